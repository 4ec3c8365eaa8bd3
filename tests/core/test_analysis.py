"""Analysis against closed forms: stationary points, curvature, critical rates, regimes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gdstudio.core import FunctionProblem, RegressionProblem, RunConfig, run
from gdstudio.core.analysis import analyze_function, analyze_regression, classify


def test_quartic_local_and_global_minimum():
    a = analyze_function(FunctionProblem.preset("quartic"))
    # f' = 4x³ − 8x + 1: compare with NumPy's roots, independently
    roots = np.sort(np.roots([4, 0, -8, 1]).real)
    assert [p.kind for p in a.points] == ["minimum", "maximum", "minimum"]
    np.testing.assert_allclose([p.x for p in a.points], roots, rtol=1e-13)
    for p in a.points:
        assert p.curvature == pytest.approx(12 * p.x**2 - 8, rel=1e-12)
        assert p.f == pytest.approx(p.x**4 - 4 * p.x**2 + p.x, rel=1e-12)
    assert a.global_minimum.x == pytest.approx(roots[0])
    # descent from 2 heads for the local minimum, from -0.5 for the global one
    assert a.minimum_for(2.0).x == pytest.approx(roots[2])
    assert a.minimum_for(-0.5).x == pytest.approx(roots[0])
    target, regime = a.regime(0.02, 2.0)
    assert regime.critical_lr == pytest.approx(2 / (12 * roots[2] ** 2 - 8))
    assert regime.kind == "monotone"


def test_non_polynomial_minima_found_by_sampling():
    a = analyze_function(FunctionProblem.preset("wavy"))
    assert not a.exact
    for p in a.points:  # f'(x) = 3cos(3x) + 0.2x = 0 at each, checked independently
        assert abs(3 * math.cos(3 * p.x) + 0.2 * p.x) < 1e-9
        assert (p.kind == "minimum") == (-9 * math.sin(3 * p.x) + 0.2 > 0)
    assert len(a.minima) == 6


def test_kink_and_flat_minimum():
    a = analyze_function(FunctionProblem("abs(x)"))
    (p,) = a.points
    assert p.x == 0 and p.kind == "minimum" and not p.smooth
    assert a.regime(0.1, 2.5)[1].kind == "cycling"
    b = analyze_function(FunctionProblem("x**4"))
    (q,) = b.points
    assert q.x == 0 and q.kind == "minimum" and q.curvature == 0 and q.critical_lr == math.inf


def test_no_minimum_downhill():
    a = analyze_function(FunctionProblem("x**3"))
    assert [p.kind for p in a.points] == ["inflection"]
    target, regime = a.regime(0.1, 7.0)
    assert target is None and regime.kind == "unknown"


@pytest.mark.parametrize("lr, kind", [(0.2, "monotone"), (0.5, "monotone"), (0.8, "oscillating"),
                                      (1.0, "cycling"), (1.2, "diverging")])
def test_classify_matches_runs(lr, kind):
    assert classify(lr, 2.0).kind == kind
    h = run(RunConfig(problem=FunctionProblem("x**2 - 4*x + 5"), x0=7.0, lr=lr, epochs=200))
    expected = {"monotone": {"converged", "max_epochs"}, "oscillating": {"converged", "max_epochs"},
                "cycling": {"cycling"}, "diverging": {"diverged"}}[kind]
    assert h.status in expected


def test_regime_epoch_estimate_matches_the_run():
    regime = classify(0.1, 2.0)  # q = 0.8
    assert regime.epochs_to_1e6 == math.ceil(math.log(1e-6) / math.log(0.8))
    h = run(RunConfig(problem=FunctionProblem("x**2 - 4*x + 5"), x0=7.0, lr=0.1, epochs=200))
    err = np.abs(h.params[:, 0] - 2)
    assert err[int(regime.epochs_to_1e6)] <= 1e-6 * err[0] < err[int(regime.epochs_to_1e6) - 1]


def test_regression_analysis_against_numpy():
    p = RegressionProblem.synthetic()
    a = analyze_regression(p)
    X = np.column_stack([p.x, np.ones(p.n)])
    H = 2 * X.T @ X / p.n  # Hessian of the MSE, independently
    np.testing.assert_allclose(a.hessian, H, rtol=1e-12)
    np.testing.assert_allclose(a.eigenvalues, np.linalg.eigvalsh(H), rtol=1e-10)
    assert a.critical_lr == pytest.approx(2 / np.linalg.eigvalsh(H)[-1], rel=1e-12)
    assert a.condition_number == pytest.approx(np.linalg.cond(H), rel=1e-8)
    assert 1e-4 < a.critical_lr < 1e-2  # why 1e-4 converges and 1e-2 diverges
    assert a.regime(1e-4).converges and a.regime(1e-2).kind == "diverging"
    coef = np.linalg.lstsq(X, p.y, rcond=None)[0]
    assert (a.m, a.c) == pytest.approx(tuple(coef), rel=1e-12)
