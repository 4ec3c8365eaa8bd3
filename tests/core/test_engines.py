"""Engines: manual (analytic) and torch (autograd) agree; optimizers match torch.optim."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdstudio.core import FunctionProblem, RegressionProblem, RunConfig, run
from gdstudio.core.descent.devices import available_devices, check_device
from gdstudio.core.errors import DeviceError

torch = pytest.importorskip("torch")


def _rel_err(a: np.ndarray, b: np.ndarray, floor: float = 1e-300) -> float:
    scale = np.maximum(np.max(np.abs(a)), floor)
    return float(np.max(np.abs(a - b)) / scale)


@settings(max_examples=60, deadline=None)
@given(
    a=st.floats(0.1, 5.0),
    b=st.floats(-10.0, 10.0),
    c=st.floats(-10.0, 10.0),
    # float32 cannot follow a start in its subnormal range: keep starts representable
    x0=st.floats(-20.0, 20.0).filter(lambda v: v == 0 or abs(v) > 1e-6),
    lr_frac=st.floats(0.01, 0.95),
)
def test_engine_parity_on_random_quadratics(a, b, c, x0, lr_frac):
    # stable learning rates: lr < critical = 2/f'' = 1/a
    problem = FunctionProblem(f"{a!r}*x**2 + {b!r}*x + {c!r}")
    lr = lr_frac / a
    cfg = RunConfig(problem=problem, x0=x0, lr=lr, epochs=40)
    m = run(cfg)
    t = run(cfg.with_(engine="torch"))
    assert m.epochs_run == t.epochs_run
    assert _rel_err(m.params, t.params) <= 1e-12
    assert _rel_err(m.grad, t.grad) <= 1e-12
    assert _rel_err(m.loss, t.loss) <= 1e-12
    # float32 torch against float64 manual (relative to float32's smallest normal number at
    # least: a minimum at -b/2a of 1e-45 lies among float32's few subnormals)
    t32 = run(cfg.with_(engine="torch", dtype="float32"))
    n = min(t32.epochs_run, m.epochs_run) + 1
    assert _rel_err(m.params[:n], t32.params[:n], floor=float(np.finfo(np.float32).tiny)) <= 1e-5


@pytest.mark.parametrize("expr, x0, lr", [
    ("sin(3*x) + 0.1*x**2", 3.5, 0.02),
    ("x**4 - 4*x**2 + x", 2.0, 0.02),
    ("exp(x) - 2*x", 3.0, 0.05),
    ("log(1 + x**2)", 2.0, 0.3),
    ("sqrt(x**2 + 1) + tanh(x)", -2.0, 0.5),
])
def test_engine_parity_on_other_functions(expr, x0, lr):
    cfg = RunConfig(problem=FunctionProblem(expr), x0=x0, lr=lr, epochs=60)
    m, t = run(cfg), run(cfg.with_(engine="torch"))
    assert _rel_err(m.params, t.params) <= 1e-12
    assert _rel_err(m.grad, t.grad) <= 1e-11


@pytest.mark.parametrize("optimizer",
                         ["gd", "sgd", "momentum", "nesterov", "adam", "rmsprop", "adagrad"])
@pytest.mark.parametrize("problem_kind", ["function", "regression"])
def test_manual_optimizers_match_torch_optim(optimizer, problem_kind):
    if problem_kind == "function":
        cfg = RunConfig(problem=FunctionProblem("x**4 - 4*x**2 + x"), x0=2.0, lr=0.01, epochs=80,
                        optimizer=optimizer)
    else:
        lr = 1e-4 if optimizer in ("gd", "sgd", "momentum", "nesterov") else 0.5
        cfg = RunConfig(problem=RegressionProblem.synthetic(), lr=lr, epochs=80,
                        optimizer=optimizer)
    m = run(cfg)
    t = run(cfg.with_(engine="torch"))
    assert m.epochs_run == t.epochs_run == 80
    assert _rel_err(m.params, t.params) <= 1e-9, optimizer


def test_optimizer_first_steps_by_hand():
    # Adam's first step moves each parameter by ~lr (bias-corrected m/sqrt(v) = sign(g))
    h = run(RunConfig(problem=FunctionProblem("x**2"), x0=3.0, lr=0.1, epochs=1, optimizer="adam"))
    assert h.params[1, 0] == pytest.approx(3.0 - 0.1, rel=1e-9)
    # momentum: v1 = g0, v2 = 0.9 v1 + g1
    h = run(RunConfig(problem=FunctionProblem("x**2"), x0=1.0, lr=0.1, epochs=2,
                      optimizer="momentum"))
    x1 = 1.0 - 0.1 * 2.0
    x2 = x1 - 0.1 * (0.9 * 2.0 + 2 * x1)
    np.testing.assert_allclose(h.params[:, 0], [1.0, x1, x2], rtol=1e-15)
    # adagrad: x1 = x0 - lr * g / sqrt(g²)
    h = run(RunConfig(problem=FunctionProblem("x**2"), x0=1.0, lr=0.1, epochs=1,
                      optimizer="adagrad"))
    assert h.params[1, 0] == pytest.approx(0.9, rel=1e-9)


def test_regression_sums_gradient_equals_direct_formula():
    rng = np.random.default_rng(5)
    # large offsets stress cancellation in the sums
    x = rng.uniform(1000, 1010, 10_000)
    y = 3 * x + 7 + rng.normal(0, 1, x.size)
    p = RegressionProblem(x, y)
    for m, c in [(0.0, 0.0), (3.0, 7.0), (2.9, 500.0), (-1.0, 1e4)]:
        loss, grad = p.loss_and_grad(np.array([[m, c]]))
        mse, dm, dc = p.loss_and_grad_direct(m, c)
        # relative to the size of the terms summed, the formulas agree to rounding
        r = y - (m * x + c)
        assert abs(loss[0] - mse) <= 1e-10 * np.mean(r * r) + 1e-12
        assert abs(grad[0, 0] - dm) <= 1e-10 * 2 * np.mean(np.abs(x * r))
        assert abs(grad[0, 1] - dc) <= 1e-10 * 2 * np.mean(np.abs(r))


def test_regression_engines_agree_and_update_is_the_sources():
    problem = RegressionProblem.synthetic()
    cfg = RunConfig(problem=problem, lr=1e-4, epochs=30)
    m, t = run(cfg), run(cfg.with_(engine="torch"))
    assert _rel_err(m.params, t.params) <= 1e-12
    # each row: params[t+1] = params[t] - lr * grad[t]
    np.testing.assert_allclose(m.params[1:], m.params[:-1] - 1e-4 * m.grad[:-1], rtol=1e-15, atol=0)
    t32 = run(cfg.with_(engine="torch", dtype="float32"))
    assert _rel_err(m.params, t32.params) <= 1e-5


def test_devices():
    assert available_devices()[0] == "cpu"
    assert str(check_device("cpu")) == "cpu"
    for bad in ("gpu", "cuda:x", "tpu"):
        with pytest.raises(DeviceError):
            check_device(bad)
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="not available"):
            run(RunConfig(engine="torch", device="cuda"))
        with pytest.raises(DeviceError, match="not available"):
            check_device("cuda:1")
    if not torch.backends.mps.is_available():
        with pytest.raises(DeviceError, match="not available"):
            check_device("mps")


@pytest.mark.parametrize("expr", ["x + sqrt(2)", "sin(1)*x**2", "x**0.5 + x**2", "e**x - 3*x",
                                  "2**10*x**2", "x**(1/3) + x**2", "log(2)*x**2 - sqrt(pi)*x",
                                  "abs(-3)*x**2"])
def test_torch_engine_handles_constant_subexpressions_and_powers(expr):
    # constants such as sqrt(2) are folded to numbers; pow works in the generated namespace
    cfg = RunConfig(problem=FunctionProblem(expr), x0=2.0, lr=1e-4, epochs=5)
    m, t = run(cfg), run(cfg.with_(engine="torch"))
    assert m.status == t.status
    assert _rel_err(m.params, t.params) <= 1e-12
    assert _rel_err(m.loss, t.loss) <= 1e-12


def test_huge_regression_data_is_refused_plainly():
    from gdstudio.core import DataError

    with pytest.raises(DataError, match="too large"):
        RegressionProblem([1e300, 2e300, 3e300], [1.0, 2.0, 3.0])
