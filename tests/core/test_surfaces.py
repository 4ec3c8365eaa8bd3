"""Functions of two variables: closed forms on a quadratic bowl, presets, Hessian analysis."""

from __future__ import annotations

import numpy as np
import pytest

from gdstudio.cli import main
from gdstudio.core import FunctionProblem, RunConfig, run
from gdstudio.core.analysis import analyze_surface
from gdstudio.core.problems import SURFACE_PRESETS


@pytest.mark.parametrize("engine", ["manual", "torch"])
@pytest.mark.parametrize("optimizer", ["gd"])
def test_quadratic_bowl_matches_closed_form(engine, optimizer):
    a, b, lr = 1.0, 10.0, 0.08
    p = FunctionProblem(f"{a}*x**2 + {b}*y**2", variables=("x", "y"))
    h = run(RunConfig(problem=p, x0=(-4.0, 1.5), lr=lr, epochs=60, engine=engine,
                      optimizer=optimizer))
    t = np.arange(h.epochs_run + 1)
    # x_t = x0 (1 − 2a·lr)^t,  y_t = y0 (1 − 2b·lr)^t
    np.testing.assert_allclose(h.params[:, 0], -4.0 * (1 - 2 * a * lr) ** t, rtol=1e-12,
                               atol=1e-300)
    np.testing.assert_allclose(h.params[:, 1], 1.5 * (1 - 2 * b * lr) ** t, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(
        h.grad, np.column_stack([2 * a * h.params[:, 0], 2 * b * h.params[:, 1]]), rtol=1e-12)


def test_bowl_analysis():
    sa = analyze_surface(FunctionProblem.preset("bowl"))
    assert sa.kind == "minimum" and sa.point == pytest.approx((0, 0), abs=1e-12)
    np.testing.assert_allclose(sa.eigenvalues, [2, 20])
    assert sa.critical_lr == pytest.approx(0.1)
    assert sa.regime(0.08).kind == "oscillating"  # y zig-zags: 1 − 20·0.08 = −0.6
    assert sa.regime(0.11).kind == "diverging"
    h = run(RunConfig(problem=FunctionProblem.preset("bowl"), lr=0.11, epochs=500))
    assert h.status == "diverged"


def test_rosenbrock_hessian_at_minimum():
    sa = analyze_surface(FunctionProblem.preset("rosenbrock"))
    assert sa.point == pytest.approx((1, 1), abs=1e-9)
    H = np.array([[802.0, -400.0], [-400.0, 200.0]])  # by hand at (1, 1)
    np.testing.assert_allclose(sa.hessian, H, rtol=1e-9)
    assert sa.critical_lr == pytest.approx(2 / np.linalg.eigvalsh(H)[-1], rel=1e-9)


def test_himmelblau_start_decides_the_minimum():
    p = FunctionProblem.preset("himmelblau")
    ends = set()
    for start in [(0.0, 0.0), (-1.0, 3.0), (-1.0, -3.0), (3.5, -1.5)]:
        h = run(RunConfig(problem=p, x0=start, lr=0.01, epochs=3000, tol=1e-9))
        assert h.status == "converged" and h.loss[-1] < 1e-12
        ends.add(tuple(np.round(h.params[-1], 3)))
    assert len(ends) == 4


def test_saddle_diverges_along_y():
    h = run(RunConfig(problem=FunctionProblem.preset("saddle"), epochs=1000))
    assert h.status == "diverged" and abs(h.params[-1, 1]) > 1e3 and abs(h.params[-1, 0]) < 1e-5
    assert "every epoch" in h.message  # the steady-growth rule
    assert analyze_surface(FunctionProblem.preset("saddle")).regime(0.1).kind == "unknown"


@pytest.mark.parametrize("key", sorted(SURFACE_PRESETS))
def test_presets_run_on_both_engines(key):
    p = FunctionProblem.preset(key)
    cfg = RunConfig(problem=p, epochs=200)
    m, t = run(cfg), run(cfg.with_(engine="torch"))
    assert m.status == t.status
    np.testing.assert_allclose(m.params, t.params, rtol=1e-9, atol=1e-12)


def test_cli_two_variables(capsys):
    assert main(["run", "--expr", "x**2 + 3*y**2", "--x0", "1,2", "--lr", "0.1", "--epochs", "2",
                 "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "epoch,x,y,loss,grad_x,grad_y"
    assert out[1] == "0,1.0,2.0,13.0,2.0,12.0"
    assert main(["run", "--expr", "x**2 + y", "--x0", "1"]) == 2
    assert "needs 2 values" in capsys.readouterr().err


def test_saddle_is_reported_where_it_is():
    sa = analyze_surface(FunctionProblem.preset("saddle"))
    assert sa.kind == "saddle" and sa.point == pytest.approx((0, 0), abs=1e-12)
    np.testing.assert_allclose(sa.eigenvalues, [-2, 2])
