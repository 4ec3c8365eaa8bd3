"""The manual engine's regression MSE and gradient, accurate to rounding (issue 13, family 1).

The O(1) sums must never lose the residuals to cancellation: near an exact fit the MSE is a mean
of squares (never negative) and equals what the residuals themselves give. The references here
are independent: each residual y − (m·x + c) formed in float64 by a plain loop (what the source
and torch compute), its square and products summed exactly with fractions.
"""

from __future__ import annotations

import csv
import io
from fractions import Fraction

import numpy as np
import pytest

from gdstudio.cli import main
from gdstudio.core import RegressionProblem, RunConfig, run
from gdstudio.core.analysis import analyze_regression
from gdstudio.core.descent.engines import ManualEngine
from gdstudio.core.descent.loop import Descent
from gdstudio.core.race.race import run_race


def reference(x: np.ndarray, y: np.ndarray, m: float, c: float) -> tuple[float, float, float]:
    """(MSE, d_m, d_c) from float64 residuals of a plain loop, summed exactly."""
    srr = sxr = sr = Fraction(0)
    for xi, yi in zip(x.tolist(), y.tolist(), strict=True):
        r = yi - (m * xi + c)
        srr += Fraction(r) ** 2
        sxr += Fraction(xi) * Fraction(r)
        sr += Fraction(r)
    n = len(x)
    return float(srr / n), float(-2 * sxr / n), float(-2 * sr / n)


def lstsq_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The least-squares line by NumPy's SVD solver (not the problem's sums)."""
    A = np.stack([x, np.ones_like(x)], axis=1)
    (m, c), *_ = np.linalg.lstsq(A, y, rcond=None)
    return float(m), float(c)


def test_exact_fit_has_zero_loss_and_gradient_and_converges(capsys):
    # the example: noise-free data on y = 2.5x + 10, started on the line
    code = main(["run", "--synthetic", "100", "--noise", "0", "--m0", "2.5", "--c0", "10",
                 "--epochs", "0", "--format", "csv"])
    out, err = capsys.readouterr()
    assert code == 0
    row = next(csv.DictReader(io.StringIO(out)))
    assert float(row["loss"]) == 0.0
    assert float(row["grad_m"]) == 0.0 and float(row["grad_c"]) == 0.0
    assert "status: converged" in err
    problem = RegressionProblem.synthetic(100, noise=0.0)
    assert reference(problem.x, problem.y, 2.5, 10.0) == (0.0, 0.0, 0.0)
    h = run(RunConfig(problem=problem, m0=2.5, c0=10.0, epochs=0))
    t = run(RunConfig(problem=problem, m0=2.5, c0=10.0, epochs=0, engine="torch"))
    assert h.status == t.status == "converged"
    assert h.loss[0] == t.loss[0] == 0.0


def _data_sets() -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(11)
    out = []
    for noise in (0.0, 1e-12, 1e-8, 1e-4, 1.0):
        p = RegressionProblem.synthetic(100, seed=3, noise=noise)
        out.append((f"synthetic noise {noise:g}", p.x, p.y))
    x = rng.uniform(1000.0, 1010.0, 500)  # a large offset: raw moments cancel badly
    out.append(("offset, exact", x, 3.0 * x + 7.0))
    out.append(("offset, noise 1e-6", x, 3.0 * x + 7.0 + rng.normal(0, 1e-6, x.size)))
    x = rng.uniform(-1.0, 1.0, 300)
    out.append(("tiny scale", 1e-3 * x, 1e-3 * (0.5 * x - 0.25 + 1e-9 * rng.normal(size=x.size))))
    return out


@pytest.mark.parametrize("name,x,y", _data_sets(), ids=lambda v: v if isinstance(v, str) else "")
def test_mse_and_gradient_near_the_fit_equal_the_residuals(name, x, y):
    problem = RegressionProblem(x, y)
    m_ls, c_ls = lstsq_line(x, y)
    points = [(m_ls, c_ls), (0.0, 0.0)]
    for dm, dc in ((1e-15, 0.0), (0.0, 1e-13), (1e-12, -1e-11), (1e-9, 0.0), (3e-7, 1e-6),
                   (1e-3, -0.2)):
        points.append((m_ls * (1 + dm) + dm, c_ls * (1 + dc) + dc))
    for m, c in points:
        loss, grad = problem.loss_and_grad(np.array([[m, c]]))
        mse, dm_ref, dc_ref = reference(x, y, m, c)
        assert loss[0] >= 0.0
        # the MSE: as accurate as the residuals' own rounding (old: −6e-29 or 3e-5 relative)
        assert abs(loss[0] - mse) <= 1e-10 * mse, (name, m, c, loss[0], mse)
        # the gradient: to rounding of the terms summed (Σ|x·r|, Σ|r|), and the rounding of
        # the residuals themselves (ε·|y| each)
        r = y - (m * x + c)
        floor = 4e-16 * float(np.mean(np.abs(y) + np.abs(m * x) + abs(c)))
        assert abs(grad[0, 0] - dm_ref) <= 1e-9 * 2 * float(np.mean(np.abs(x * r))) + 2 * floor \
            * float(np.mean(np.abs(x))), (name, m, c)
        assert abs(grad[0, 1] - dc_ref) <= 1e-9 * 2 * float(np.mean(np.abs(r))) + 2 * floor


def test_analysis_mse_at_the_optimum_is_the_residuals_mse():
    # the second example: --noise 1e-4 (old: off by 2.9e-5 relative)
    for noise in (0.0, 1e-4, 1.0):
        problem = RegressionProblem.synthetic(100, noise=noise)
        a = analyze_regression(problem)
        m_ls, c_ls = lstsq_line(problem.x, problem.y)
        assert a.m == pytest.approx(m_ls, rel=1e-12, abs=1e-12)
        assert a.c == pytest.approx(c_ls, rel=1e-12, abs=1e-12)
        mse = reference(problem.x, problem.y, a.m, a.c)[0]
        assert a.loss >= 0.0 and abs(a.loss - mse) <= 1e-12 * mse


def test_runs_on_exact_fit_data_match_torch_and_every_path_agrees():
    # Descent onto an exact fit: the manual engine reaches the residuals' zero, as torch
    # does; the generated loop, the plain NumPy path and a race's lanes are one computation.
    x = np.linspace(0.0, 4.0, 41)
    y = 0.75 * x - 1.5
    problem = RegressionProblem(x, y)
    cfg = RunConfig(problem=problem, lr=0.05, epochs=3000, m0=0.0, c0=0.0, tol=0.0)
    fast = run(cfg)
    assert np.all(fast.loss >= 0.0)
    engine = ManualEngine(problem, cfg.optimizer_settings, fast=False)  # the NumPy path
    descent = Descent(cfg, engine=engine)
    while not descent.finished:
        descent.advance(700)
    plain = descent.take_history()
    np.testing.assert_array_equal(fast.params, plain.params)
    np.testing.assert_array_equal(fast.loss, plain.loss)
    np.testing.assert_array_equal(fast.grad, plain.grad)
    for t in (0, 10, 500, 1500, fast.epochs_run):
        m, c = (float(v) for v in fast.params[t])
        mse, dm_ref, dc_ref = reference(x, y, m, c)
        assert abs(fast.loss[t] - mse) <= 1e-10 * mse
    assert fast.loss[-1] <= 1e-28
    torch_run = run(cfg.with_(engine="torch"))
    assert torch_run.loss[-1] <= 1e-28
    race = run_race(cfg, lrs=(0.05, 0.02))
    lane = race.histories[0]
    np.testing.assert_array_equal(lane.params, fast.params[: lane.params.shape[0]])
    np.testing.assert_array_equal(lane.loss, fast.loss[: lane.loss.shape[0]])


def test_degenerate_data_anchor_is_exact():
    # all x equal: no unique line; the sums (anchored on m = 0, c = ȳ) still give the residuals
    x = np.full(50, 3.0)
    y = np.linspace(-1.0, 1.0, 50) + 7.0
    problem = RegressionProblem(x, y)
    for m, c in ((0.0, 7.0), (1.0, 4.0), (-2.0, 0.0), (1e-9, 7.0 - 3e-9)):
        loss, grad = problem.loss_and_grad(np.array([[m, c]]))
        mse, dm_ref, dc_ref = reference(x, y, m, c)
        assert loss[0] == pytest.approx(mse, rel=1e-12)
        assert grad[0, 0] == pytest.approx(dm_ref, rel=1e-9, abs=1e-14)
        assert grad[0, 1] == pytest.approx(dc_ref, rel=1e-9, abs=1e-14)
