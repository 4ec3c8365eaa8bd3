"""The engines' fast paths compute exactly what the plain loops as the source writes them compute.

* manual ``gd``: x ← x − lr·f'(x) (two roundings) in Python floats, bit for bit, whatever the
  block sizes; parameters replayed from the recorded gradients by ``np.subtract.accumulate``;
* manual regression: the O(1) update from the data's sums, bit for bit, and its gradient equal
  to the source's direct formula along a whole run;
* torch ``gd``: the direct autograd-engine call gives the gradient ``loss.backward()`` gives;
* torch regression on many points: the chunked MSE within 1e-12 of the source's expression.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdstudio.core import Descent, FunctionProblem, RegressionProblem, RunConfig, run
from gdstudio.core.descent import engines as engines_module
from gdstudio.core.descent.engines import _replay_updates

EXPRESSIONS = [
    "x**2 - 4*x + 5",
    "sin(3*x) + 0.1*x**2",
    "x**4 - 4*x**2 + x",
    "exp(x) - 2*x",
    "log(1 + x**2)",
    "sqrt(x**2 + 1) + tanh(x)",
    "abs(x)",
    "x**4",
    "log(x) + x**2",
    "1/x + x**2",
]


def _scalar_loop(problem: FunctionProblem, x0: float, g0: float, lr: float, epochs: int):
    """The plain loop: x = x - lr * g; g = f'(x), with the same f' the engine uses."""
    grad = problem.expression.math_gradient
    x, g = x0, g0
    xs, gs = [x], [g]
    for _ in range(epochs):
        x = x - lr * g
        try:
            g = grad(x)
        except (ValueError, OverflowError, ZeroDivisionError):
            xs.append(x)
            gs.append(math.nan)
            break
        xs.append(x)
        gs.append(g)
    return np.array(xs), np.array(gs)


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_manual_gd_is_the_scalar_loop_bit_for_bit(expr):
    rng = np.random.default_rng(zlib.crc32(expr.encode()))  # the same cases on every run
    problem = FunctionProblem(expr)
    for _ in range(12):
        x0 = float(rng.uniform(0.2, 5.0) * rng.choice([-1, 1]))
        lr = float(10 ** rng.uniform(-4, 0.3))
        try:
            d = Descent(RunConfig(problem=problem, x0=x0, lr=lr, epochs=1500))
        except Exception:  # noqa: BLE001 - a start outside f's domain
            continue
        while not d.finished:  # irregular blocks: block boundaries must not matter
            d.advance(int(rng.integers(1, 400)))
        h = d.take_history()
        xs, gs = _scalar_loop(problem, x0, float(h.grad[0, 0]), lr, h.epochs_run)
        n = h.epochs_run + 1
        np.testing.assert_array_equal(h.params[:, 0], xs[:n])
        np.testing.assert_array_equal(h.grad[:, 0], gs[:n])


def test_manual_gd_stops_where_f_prime_is_undefined():
    # log(x) + x²: from 0.5 with lr 1, x1 = -2.5 where log is undefined
    h = run(RunConfig(problem=FunctionProblem("log(x) + x**2"), x0=0.5, lr=1.0, epochs=10))
    assert h.status == "diverged" and h.epochs_run == 0
    h = run(RunConfig(problem=FunctionProblem("log(x) + x**2"), x0=3.0, lr=0.3, epochs=50))
    problem = FunctionProblem("log(x) + x**2")
    xs, _ = _scalar_loop(problem, 3.0, float(h.grad[0, 0]), 0.3, h.epochs_run)
    np.testing.assert_array_equal(h.params[:, 0], xs[: h.epochs_run + 1])


@settings(max_examples=200, deadline=None)
@given(
    p0=st.floats(-1e6, 1e6),
    g0=st.floats(-1e6, 1e6),
    lr=st.floats(1e-9, 10.0),
    grads=st.lists(st.one_of(st.floats(-1e300, 1e300), st.just(math.inf), st.just(math.nan)),
                   min_size=0, max_size=40),
)
def test_replay_is_the_sequential_update(p0, g0, lr, grads):
    G = np.array(grads, dtype=np.float64)
    out = _replay_updates(p0, g0, lr, G)
    expect = []
    p, g = p0, g0
    for gi in grads:
        p = p - lr * g
        expect.append(p)
        g = gi
    np.testing.assert_array_equal(out, np.array(expect, dtype=np.float64))


def test_manual_regression_is_the_scalar_loop_bit_for_bit():
    problem = RegressionProblem.synthetic(n=1000, seed=3)
    rng = np.random.default_rng(1)
    for lr in (1e-5, 1e-4, 5e-4, 1e-2):
        d = Descent(RunConfig(problem=problem, lr=lr, epochs=1500))
        while not d.finished:
            d.advance(int(rng.integers(1, 300)))
        h = d.take_history()
        n_pts = float(problem.n)
        xm, k2 = problem.x_mean, -2.0 / n_pts
        m0, c0 = problem.anchor
        m, c = 0.0, 0.0
        gm, gc = (float(v) for v in h.grad[0])
        rows = [(m, c, gm, gc)]
        for _ in range(h.epochs_run):
            m = m - lr * gm
            c = c - lr * gc
            dm = m - m0
            u = dm * xm + (c - c0)
            squares = problem.see + dm * dm * problem.sxx + n_pts * (u * u)
            assert squares > problem.resolution  # noisy data: the sums always resolve
            sr = problem.se - dm * problem.sx - n_pts * u
            gm = k2 * (problem.sxe - dm * problem.sxx - u * problem.sx + xm * sr)
            gc = k2 * sr
            rows.append((m, c, gm, gc))
        expect = np.array(rows)
        np.testing.assert_array_equal(h.params, expect[:, :2])
        np.testing.assert_array_equal(h.grad, expect[:, 2:])


@settings(max_examples=25, deadline=None)
@given(
    offset=st.floats(-1e4, 1e4),
    spread=st.floats(1e-2, 1e3),
    slope=st.floats(-5, 5),
    n=st.integers(2, 3000),
    seed=st.integers(0, 2**16),
)
def test_regression_gradients_along_a_run_equal_the_direct_formula(offset, spread, slope, n, seed):
    """Every recorded d_m, d_c of a manual run (from the sums) is the source's formula."""
    rng = np.random.default_rng(seed)
    x = offset + spread * rng.uniform(-1, 1, n)
    y = slope * x + rng.normal(0, 1 + spread, n)
    problem = RegressionProblem(x, y)
    lr = 0.1 / (1.0 + float(np.mean(x * x)))
    h = run(RunConfig(problem=problem, lr=lr, epochs=30))
    for t in range(0, h.epochs_run + 1, 5):
        m, c = (float(v) for v in h.params[t])
        mse, dm, dc = problem.loss_and_grad_direct(m, c)
        r = y - (m * x + c)
        assert abs(h.loss[t] - mse) <= 1e-9 * float(np.mean(r * r)) + 1e-300
        assert abs(h.grad[t, 0] - dm) <= 1e-9 * 2 * float(np.mean(np.abs(x * r))) + 1e-300
        assert abs(h.grad[t, 1] - dc) <= 1e-9 * 2 * float(np.mean(np.abs(r))) + 1e-300


torch = pytest.importorskip("torch")


def _torch_reference(problem, x0, lr, epochs, dtype=torch.float64):
    """The torch engine's plain descent written the long way: backward(), p - lr*p.grad."""
    if isinstance(problem, FunctionProblem):
        fn = problem.expression.torch_function()
        p = torch.tensor(float(x0), dtype=dtype, requires_grad=True)
        loss_fn = fn
    else:
        X = torch.from_numpy(problem.x).to(dtype)
        Y = torch.from_numpy(problem.y).to(dtype)
        p = torch.tensor([0.0, 0.0], dtype=dtype, requires_grad=True)

        def loss_fn(q):
            preds = q[0] * X + q[1]
            return ((preds - Y) ** 2).mean()

    def row(p, loss):
        return p.detach().reshape(-1).tolist(), float(loss.detach()), p.grad.reshape(-1).tolist()

    loss = loss_fn(p)
    loss.backward()
    rows = [row(p, loss)]
    for _ in range(epochs):
        with torch.no_grad():
            p = p - lr * p.grad
        p.requires_grad_()
        loss = loss_fn(p)
        loss.backward()
        rows.append(row(p, loss))
    P = np.array([r[0] for r in rows])
    L = np.array([r[1] for r in rows])
    G = np.array([r[2] for r in rows])
    return P, L, G


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("expr, x0, lr", [
    ("x**2 - 4*x + 5", 7.0, 0.1),
    ("sin(3*x) + 0.1*x**2", 3.5, 0.02),
    ("exp(x) - 2*x", 3.0, 0.05),
    ("sqrt(x**2 + 1) + tanh(x)", -2.0, 0.5),
])
def test_torch_gd_is_backward_bit_for_bit(expr, x0, lr, dtype):
    problem = FunctionProblem(expr)
    h = run(RunConfig(problem=problem, x0=x0, lr=lr, epochs=200, engine="torch", dtype=dtype))
    P, L, G = _torch_reference(problem, x0, lr, h.epochs_run, getattr(torch, dtype))
    np.testing.assert_array_equal(h.params, P)
    np.testing.assert_array_equal(h.loss, L)
    np.testing.assert_array_equal(h.grad, G)


def test_torch_regression_is_backward_bit_for_bit():
    problem = RegressionProblem.synthetic(n=500, seed=2)
    h = run(RunConfig(problem=problem, lr=1e-4, epochs=100, engine="torch"))
    P, L, G = _torch_reference(problem, None, 1e-4, 100)
    np.testing.assert_array_equal(h.params, P)
    np.testing.assert_array_equal(h.loss, L)
    np.testing.assert_array_equal(h.grad, G)


def test_torch_public_gradient_path_gives_the_same_run(monkeypatch):
    """torch.autograd.grad (the fallback where torch lacks the engine's entry point) and the
    direct call give the same run, bit for bit."""
    cfg = RunConfig(problem=FunctionProblem("sin(3*x) + 0.1*x**2"), x0=3.5, lr=0.02, epochs=100,
                    engine="torch")
    reg = RunConfig(problem=RegressionProblem.synthetic(n=3000), lr=1e-4, epochs=30, engine="torch")
    monkeypatch.setattr(engines_module, "TORCH_MSE_CHUNK", 1000)
    fast = [run(cfg), run(reg)]
    original = engines_module._gradient_function
    monkeypatch.setattr(engines_module, "_gradient_function",
                        lambda *args: original(*args, direct=False))
    slow = [run(cfg), run(reg)]
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(a.params, b.params)
        np.testing.assert_array_equal(a.loss, b.loss)
        np.testing.assert_array_equal(a.grad, b.grad)


def _rel(a, b):
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(a))), 1e-300))


@pytest.mark.parametrize("lr", [1e-4, 1e-3, 1e-2])
def test_torch_chunked_mse_equals_the_sources_expression(monkeypatch, lr):
    problem = RegressionProblem.synthetic(n=5003, seed=4)
    cfg = RunConfig(problem=problem, lr=lr, epochs=60, engine="torch")
    whole = run(cfg)
    monkeypatch.setattr(engines_module, "TORCH_MSE_CHUNK", 1000)  # 6 chunks, the last short
    chunked = run(cfg)
    assert chunked.status == whole.status and chunked.epochs_run == whole.epochs_run
    for a, b in ((whole.params, chunked.params), (whole.loss, chunked.loss),
                 (whole.grad, chunked.grad)):
        assert _rel(a, b) <= 1e-12
    # and the manual engine (the sums) agrees with both
    manual = run(cfg.with_(engine="manual"))
    assert _rel(manual.params, chunked.params) <= 1e-12
    # float32: within float32 rounding of the unchunked form
    monkeypatch.setattr(engines_module, "TORCH_MSE_CHUNK", 1 << 18)
    w32 = run(cfg.with_(dtype="float32"))
    monkeypatch.setattr(engines_module, "TORCH_MSE_CHUNK", 1000)
    c32 = run(cfg.with_(dtype="float32"))
    n = min(w32.epochs_run, c32.epochs_run) + 1
    assert _rel(w32.params[:n], c32.params[:n]) <= 1e-5


def test_torch_chunked_mse_with_optimizers(monkeypatch):
    problem = RegressionProblem.synthetic(n=3000, seed=5)
    for optimizer in ("momentum", "adam"):
        cfg = RunConfig(problem=problem, lr=1e-4 if optimizer == "momentum" else 0.5, epochs=40,
                        engine="torch", optimizer=optimizer)
        monkeypatch.setattr(engines_module, "TORCH_MSE_CHUNK", 1 << 18)
        whole = run(cfg)
        monkeypatch.setattr(engines_module, "TORCH_MSE_CHUNK", 700)
        chunked = run(cfg)
        assert _rel(whole.params, chunked.params) <= 1e-12, optimizer
