"""The run: statuses, stop rules, divergence handling, the step generator, lr changes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdstudio.core import (
    STATUSES,
    ConfigError,
    Descent,
    FunctionProblem,
    InputError,
    RegressionProblem,
    RunConfig,
    StepBatch,
    run,
    steps,
)
from gdstudio.core.descent.rules import find_cycle

QUAD = FunctionProblem("x**2 - 4*x + 5")


def test_api_shapes_as_documented():
    h = run(RunConfig(problem=QUAD, x0=7.0, lr=0.1, epochs=50))
    assert h.params.shape == (51, 1) and h.loss.shape == (51,) and h.grad.shape == (51, 1)
    assert h.status == "max_epochs" and h.epochs_run == 50
    r = run(RunConfig(problem=RegressionProblem.synthetic(), lr=1e-4, epochs=7))
    assert r.params.shape == (8, 2) and r.grad.shape == (8, 2) and r.param_names == ("m", "c")


def test_converged_stops_at_the_first_row_meeting_tol():
    tol = 1e-3
    h = run(RunConfig(problem=QUAD, x0=7.0, lr=0.1, epochs=500, tol=tol))
    assert h.status == "converged"
    # |grad_t| = 10 * 0.8^t ≤ 1e-3  ⇔  t ≥ log(1e-4)/log(0.8)
    expected = math.ceil(math.log(1e-4) / math.log(0.8))
    assert h.epochs_run == expected
    assert abs(h.grad[-1, 0]) <= tol < abs(h.grad[-2, 0])


def test_converged_at_start_runs_nothing():
    h = run(RunConfig(problem=QUAD, x0=2.0, lr=0.1, epochs=50))
    assert h.status == "converged" and h.epochs_run == 0


def test_diverged_on_overflow_keeps_last_finite_row():
    h = run(RunConfig(problem=FunctionProblem("exp(x)"), x0=1.0, lr=-1e-9 + 1e-9 + 800.0,
                      epochs=50))
    # gd on exp with huge lr: x → x - 800 e^x goes very negative, then f' → 0: not divergent.
    assert h.status in STATUSES
    h = run(RunConfig(problem=FunctionProblem("x**4"), x0=3.0, lr=1.0, epochs=50))
    assert h.status == "diverged"
    assert np.isfinite(h.params).all() and np.isfinite(h.loss).all() and np.isfinite(h.grad).all()


def test_step_into_undefined_region_ends_the_run_clearly():
    # log(x) + x²: from x0 = 0.5 with lr 1, x1 = 0.5 - (2 + 1) = -2.5 where log is undefined
    h = run(RunConfig(problem=FunctionProblem("log(x) + x**2"), x0=0.5, lr=1.0, epochs=10))
    assert h.status == "diverged" and h.epochs_run == 0
    assert "undefined" in h.message and "epoch 1" in h.message
    t = run(RunConfig(problem=FunctionProblem("log(x) + x**2"), x0=0.5, lr=1.0, epochs=10,
                      engine="torch"))
    assert t.status == "diverged" and t.epochs_run == 0


def test_start_outside_domain_is_an_input_error():
    with pytest.raises(InputError, match="start"):
        Descent(RunConfig(problem=FunctionProblem("log(x)"), x0=-1.0))
    with pytest.raises(InputError, match="start"):
        Descent(RunConfig(problem=FunctionProblem("1/x"), x0=0.0))


@pytest.mark.parametrize("field, value, fragment", [
    ("lr", -0.1, "learning rate must be > 0, got -0.1"),
    ("lr", 0.0, "learning rate must be > 0"),
    ("lr", float("nan"), "learning rate must be a number"),
    ("lr", float("inf"), "learning rate must be finite"),
    ("lr", "abc", "learning rate must be a number"),
    ("epochs", -1, "epochs must be between 0"),
    ("epochs", 2.5, "whole number"),
    ("epochs", 10**12, "epochs must be between 0"),
    ("tol", -1.0, "tolerance must be"),
    ("x0", float("nan"), "must be a finite number"),
    ("x0", float("inf"), "must be a finite number"),
    ("x0", (1.0, 2.0), "needs 1 value"),
    ("engine", "jax", "unknown engine"),
    ("optimizer", "lbfgs", "unknown optimizer"),
    ("dtype", "float16", "unknown dtype"),
    ("device", "cuda", "manual engine runs on the CPU"),
    ("momentum", 1.5, "momentum must be in"),
    ("eps", -1.0, "eps must be > 0"),
])
def test_config_validation_messages(field, value, fragment):
    with pytest.raises(ConfigError) as info:
        RunConfig(problem=QUAD, **{field: value})
    assert fragment in str(info.value)


def test_steps_generator_yields_row0_then_blocks():
    cfg = RunConfig(problem=QUAD, x0=7.0, lr=0.1, epochs=10)
    batches = list(steps(cfg, block=3))
    assert batches[0].start == 0 and len(batches[0]) == 1
    assert [b.start for b in batches] == [0, 1, 4, 7, 10]
    assert batches[-1].finished and batches[-1].status == "max_epochs"
    xs = np.concatenate([b.params[:, 0] for b in batches])
    np.testing.assert_allclose(xs, 2 + 5 * 0.8 ** np.arange(11), rtol=1e-13)


@pytest.mark.parametrize("engine", ["manual", "torch"])
def test_learning_rate_change_applies_from_the_next_step(engine):
    d = Descent(RunConfig(problem=QUAD, x0=7.0, lr=0.1, epochs=10, engine=engine))
    d.advance(2)
    x2 = d.history().params[-1, 0]
    d.lr = 0.3
    d.advance(1)
    x3 = d.history().params[-1, 0]
    assert x3 == pytest.approx(x2 - 0.3 * (2 * x2 - 4), rel=1e-15)
    assert d.history().lr_changes == ((2, 0.3),)
    with pytest.raises(ConfigError):
        d.lr = -1


def test_cycle_detection():
    assert find_cycle(np.array([[7.0], [-3.0]] * 10))[0] == 2
    three = np.array([[1.0], [2.0], [5.0]] * 6)
    assert find_cycle(three)[0] == 3
    # two neighbouring floats at the minimum are rounding, not a cycle
    a = 2.0
    b = np.nextafter(2.0, 3.0)
    assert find_cycle(np.array([[a], [b]] * 10)) is None
    assert find_cycle(np.linspace(0, 1, 40)[:, None]) is None


def test_abs_ends_cycling_around_the_kink():
    h = run(RunConfig(problem=FunctionProblem.preset("abs"), epochs=100))
    assert h.status == "cycling"
    assert np.max(np.abs(h.params[-10:, 0])) <= 0.1 + 1e-12


def test_stop_on_cycle_stops_early():
    h = run(RunConfig(problem=QUAD, x0=7.0, lr=1.0, epochs=100_000, stop_on_cycle=True))
    assert h.status == "cycling" and h.epochs_run < 100_000


def test_epochs_zero():
    h = run(RunConfig(problem=QUAD, x0=7.0, lr=0.1, epochs=0))
    assert h.epochs_run == 0 and h.status == "max_epochs" and h.loss[0] == 26.0


def test_long_run_blocks_equal_single_steps():
    cfg = RunConfig(problem=FunctionProblem.preset("wavy"), epochs=3000)
    whole = run(cfg)
    d = Descent(cfg)
    while not d.finished:
        d.advance(1)
    np.testing.assert_array_equal(whole.params, d.history().params)
    np.testing.assert_array_equal(whole.loss, d.history().loss)


@settings(max_examples=120, deadline=None)
@given(
    expr=st.sampled_from(["x**2 - 4*x + 5", "x**4 - 4*x**2 + x", "sin(3*x) + 0.1*x**2", "abs(x)",
                          "x**4", "log(x)", "1/x", "sqrt(x)", "exp(x)", "x**3", "tan(x)", "-x**2",
                          "exp(-x**2)"]),
    x0=st.floats(-50, 50),
    lr=st.floats(1e-6, 10.0),
    epochs=st.integers(0, 300),
    engine=st.sampled_from(["manual", "torch"]),
)
def test_fuzz_runs_end_in_a_known_status_with_finite_rows(expr, x0, lr, epochs, engine):
    try:
        h = run(RunConfig(problem=FunctionProblem(expr), x0=x0, lr=lr, epochs=epochs,
                          engine=engine))
    except InputError:
        return  # start outside the domain: refused up front
    assert h.status in STATUSES
    assert np.isfinite(h.params).all() and np.isfinite(h.loss).all() and np.isfinite(h.grad).all()
    assert 0 <= h.epochs_run <= epochs


def test_steady_growth_is_divergence_before_overflow():
    # lr 1.1 on the quadratic: q = 1 − 2.2 = −1.2, the error grows ×1.2 and the loss ×1.44 per epoch
    h = run(RunConfig(problem=QUAD, x0=7.0, lr=1.1, epochs=200))
    assert h.status == "diverged" and "every epoch" in h.message
    t = h.epochs_run
    assert 20 <= t < 60
    np.testing.assert_allclose(h.params[:, 0], 2 + 5 * (-1.2) ** np.arange(t + 1), rtol=1e-9)
    # the rule never fires on converging runs, even slow ones whose loss falls a long way
    for lr in (1e-4, 0.01, 0.5, 0.99):
        h = run(RunConfig(problem=FunctionProblem("x**2 - 1e12*x"), x0=0.0, lr=lr, epochs=3000))
        assert h.status != "diverged"


def test_step_batches_concatenate_and_keep_the_final_state():
    d = Descent(RunConfig(lr=0.1, epochs=5))
    parts = [d.advance(2), d.advance(3)]
    merged = StepBatch.concat(parts)
    assert merged.start == 1 and len(merged) == 5 and merged.finished
    np.testing.assert_array_equal(merged.params[:, 0], d.history().params[1:, 0])
    assert StepBatch.concat(parts[:1]) is parts[0]


def test_race_batches_concatenate_and_keep_the_final_state():
    from gdstudio.core.race import Race, RaceBatch, make_lanes

    cfg = RunConfig(epochs=30)
    race = Race(cfg, make_lanes(cfg, [0.1, 0.7, 1.0]))
    parts = [race.advance(10), race.advance(20)]
    merged = RaceBatch.concat(parts)
    assert merged.start == 1 and len(merged) == 30 and merged.finished
    assert merged.statuses == parts[-1].statuses and merged.epochs_to_tol == parts[-1].epochs_to_tol
    for j, h in enumerate(race.histories()):
        n = h.epochs_run
        np.testing.assert_array_equal(merged.params[: n, j], h.params[1:, :])


def test_the_gradient_norm_never_overflows():
    from gdstudio.core.descent.rules import grad_norm, grad_norms

    big = np.array([[1e300, 1e300], [3e-300, 4e-300], [0.0, 0.0], [3.0, 4.0]])
    np.testing.assert_allclose(grad_norms(big), [math.sqrt(2) * 1e300, 5e-300, 0.0, 5.0],
                               rtol=1e-15)
    with np.errstate(all="raise"):  # no overflow warning on the way
        assert grad_norm(np.array([1e300, 1e300])) == pytest.approx(math.sqrt(2) * 1e300)
        assert grad_norm(np.array([-2e308])) == 2e308
