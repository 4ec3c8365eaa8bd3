"""Issue 13, family 14: one validation path for every numeric field of RunConfig.

Each field takes what ``lr`` takes (ints, floats, NumPy scalars of every real dtype, numeric
text) and refuses the same things (bool, None where no default is meant, nan, inf out of range,
text that is not a number) with one message shape, the one the CLI prints.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from gdstudio.core import ConfigError, FunctionProblem, RegressionProblem, RunConfig
from gdstudio.core.descent.optimizers import OptimizerSettings

REGRESSION = RegressionProblem.synthetic(20, 1)
QUAD = FunctionProblem("x**2 - 4*x + 5")

#: field → (the name its messages use, a valid whole value, a valid fractional value or None,
#:          the CLI option)
FIELDS = {
    "lr": ("learning rate", 1, 0.5, "--lr"),
    "epochs": ("epochs", 3, None, "--epochs"),
    "tol": ("tolerance", 0, 0.5, "--tol"),
    "momentum": ("momentum", 0, 0.5, "--momentum"),
    "beta1": ("beta1", 0, 0.5, "--beta1"),
    "beta2": ("beta2", 0, 0.5, "--beta2"),
    "alpha": ("alpha", 0, 0.5, "--alpha"),
    "eps": ("eps", 1, 0.5, "--eps"),
    "batch_size": ("batch size", 4, None, "--batch-size"),
    "batch_seed": ("batch seed", 3, None, "--batch-seed"),
    "m0": ("start m0", 2, 0.5, "--m0"),
    "c0": ("start c0", 2, 0.5, "--c0"),
}

FLOAT_TYPES = [float, np.float16, np.float32, np.float64, np.longdouble]
INT_TYPES = [int, np.int8, np.int32, np.int64, np.uint8, np.uint64]


def _config(field: str, value: object) -> RunConfig:
    problem = REGRESSION if field in ("batch_size", "batch_seed", "m0", "c0") else QUAD
    return RunConfig(problem=problem, **{field: value})


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("kind", INT_TYPES)
def test_whole_values_of_every_integer_type_are_taken_as_plain_numbers(field, kind):
    _what, whole, _frac, _opt = FIELDS[field]
    got = getattr(_config(field, kind(whole)), field)
    assert got == whole and type(got) is type(getattr(_config(field, whole), field))
    assert type(got) in (int, float)


@pytest.mark.parametrize("field", [f for f, v in FIELDS.items() if v[2] is not None])
@pytest.mark.parametrize("kind", FLOAT_TYPES)
def test_fractional_values_of_every_float_type_are_taken_as_floats(field, kind):
    _what, _whole, frac, _opt = FIELDS[field]
    got = getattr(_config(field, kind(frac)), field)
    assert type(got) is float and got == float(kind(frac))
    # 0-d arrays and numeric text too, as the command line gives it
    assert getattr(_config(field, np.array(kind(frac))), field) == got
    assert getattr(_config(field, f" {frac!r} "), field) == frac


@pytest.mark.parametrize("field", [f for f, v in FIELDS.items() if v[2] is None])
@pytest.mark.parametrize("value", [2.5, np.float32(2.5), "2.5", float("inf"), "1e400"])
def test_whole_fields_refuse_fractions_and_infinity(field, value):
    what = FIELDS[field][0]
    with pytest.raises(ConfigError, match=f"^{what} must be a whole number, got "):
        _config(field, value)


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("value, shown", [
    (True, "True"), (np.bool_(False), "False"), ("abc", "'abc'"), ("", "''"),
    (float("nan"), "nan"), (np.float32("nan"), "nan"), ("nan", "nan"), (1 + 2j, "complex"),
    ([0.5], "list"),
])
def test_every_field_refuses_non_numbers_with_one_message(field, value, shown):
    what = FIELDS[field][0]
    message = f"{what} must be a number, got {shown}"
    if field in ("epochs", "batch_size", "batch_seed") and shown == "nan":
        message = f"{what} must be a number, got nan"
    with pytest.raises(ConfigError) as info:
        _config(field, value)
    assert str(info.value) == message


@pytest.mark.parametrize("field", [f for f in FIELDS if f != "eps"])
def test_none_is_not_a_number_except_where_it_means_the_default(field):
    what = FIELDS[field][0]
    if field == "lr":  # lr=None: the problem's own learning rate
        assert _config(field, None).lr == QUAD.default_lr
        return
    with pytest.raises(ConfigError, match=f"^{what} must be a number, got None$"):
        _config(field, None)


def test_eps_none_is_torch_default():
    assert RunConfig(problem=QUAD, optimizer="adam", eps=None).optimizer_settings.eps_value \
        == 1e-8


@pytest.mark.parametrize("field, value, message", [
    ("lr", float("inf"), "learning rate must be finite, got inf"),
    ("lr", np.float32("-inf"), "learning rate must be finite, got -inf"),
    ("lr", "-0.1", "learning rate must be > 0, got '-0.1'"),
    ("tol", np.float64("inf"), "tolerance must be finite, got inf"),
    ("tol", -1, "tolerance must be ≥ 0, got -1"),
    ("momentum", np.float32(1.0), "momentum must be in [0, 1), got 1.0"),
    ("beta2", "1", "beta2 must be in [0, 1), got '1'"),
    ("alpha", np.int64(-1), "alpha must be in [0, 1), got -1"),
    ("eps", np.float16(0), "eps must be > 0, got 0.0"),
    ("eps", "inf", "eps must be finite, got 'inf'"),
    ("epochs", np.int64(-1), "epochs must be between 0 and 100,000,000, got -1"),
    ("batch_size", np.int32(-2), "batch size must be a whole number ≥ 0, got -2"),
    ("m0", np.float64("inf"), "start m0 must be finite, got inf"),
])
def test_ranges_are_checked_after_conversion(field, value, message):
    with pytest.raises(ConfigError) as info:
        _config(field, value)
    assert str(info.value) == message


def test_the_issue_examples():
    # np.float32(0.5) momentum was "out of range"; eps="1e-8" a bare TypeError.
    c = RunConfig(problem=QUAD, optimizer="momentum", momentum=np.float32(0.5), eps="1e-8")
    assert c.momentum == 0.5 and c.eps == 1e-8 and type(c.eps) is float
    s = OptimizerSettings("adam", np.float64(0.5), np.float32(0.25), "0.5", np.float16(0.5),
                          "1e-8")
    assert (s.momentum, s.beta1, s.beta2, s.alpha, s.eps) == (0.5, 0.25, 0.5, 0.5, 1e-8)


@pytest.mark.parametrize("field", ["stop_on_cycle", "scale_x"])
@pytest.mark.parametrize("value", ["no", 1, 0, None, np.float64(1.0)])
def test_flags_are_true_or_false(field, value):
    with pytest.raises(ConfigError, match=f"^{field} must be True or False, got "):
        _config(field, value) if field == "stop_on_cycle" else \
            RunConfig(problem=REGRESSION, scale_x=value)
    assert getattr(RunConfig(problem=REGRESSION, **{field: np.bool_(True)}), field) is True


def test_the_start_takes_numpy_scalars_and_text():
    assert RunConfig(problem=QUAD, x0=np.float32(0.5)).start_params()[0] == 0.5
    assert RunConfig(problem=QUAD, x0="0.5").start_params()[0] == 0.5
    with pytest.raises(ConfigError, match="must be a number, got True"):
        RunConfig(problem=QUAD, x0=True)


@pytest.mark.parametrize("field", ["momentum", "beta1", "beta2", "alpha", "eps", "tol", "lr"])
def test_the_cli_prints_the_same_messages(field):
    what, _whole, _frac, option = FIELDS[field]
    args = [sys.executable, "-m", "gdstudio", "run", "--epochs", "1", option]
    bad_range = {"lr": "-1", "tol": "-1", "eps": "0"}.get(field, "1")
    out = subprocess.run(args + [bad_range], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    with pytest.raises(ConfigError) as info:
        _config(field, float(bad_range))
    assert out.stderr.strip() == f"gdstudio: error: {info.value}"
    out = subprocess.run(args + ["abc"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.strip() == f"gdstudio: error: {option} must be a number, got 'abc'"
    with pytest.raises(ConfigError) as info:
        _config(field, "abc")
    assert str(info.value) == f"{what} must be a number, got 'abc'"


@pytest.mark.parametrize("value, expected", [(np.float32(0.5), 0.5), ("0.25", 0.25), (1, 1.0)])
def test_a_problems_own_learning_rate_goes_the_same_way(value, expected):
    p = FunctionProblem("x**2", lr=value)
    assert p.default_lr == expected and type(p.default_lr) is float
    assert RunConfig(problem=p).lr == expected


@pytest.mark.parametrize("value, message", [
    (True, "learning rate must be a number, got True"),
    ("abc", "learning rate must be a number, got 'abc'"),
    (0, "learning rate must be > 0, got 0"),
    (np.float64("nan"), "learning rate must be a number, got nan"),
])
def test_a_problems_own_learning_rate_is_refused_the_same_way(value, message):
    with pytest.raises(ConfigError) as info:
        FunctionProblem("x**2", lr=value)
    assert str(info.value) == message
