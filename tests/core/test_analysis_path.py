"""The analysis never promises what the run does not do (issue 13, family 6).

The local theory at a minimum holds only near it; the analysis checks the path from the start
(plain steps of the exact derivative, bounded) and says "diverging" where the first steps run
away, and where a best line is not unique it says so. The references are the runs themselves
and, for the regression, the residuals' MSE summed exactly.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from gdstudio.core import FunctionProblem, RegressionProblem, RunConfig, run
from gdstudio.core.analysis import analyze_function, analyze_regression, analyze_surface


def test_the_issues_examples_diverge_in_the_analysis_as_in_the_run():
    for expr, x0, lr in (("x**4", 5.0, 0.05), ("x**4 - 3*x**2", 7.0, 0.1)):
        problem = FunctionProblem(expr)
        _, regime = analyze_function(problem).regime(lr, x0)
        assert regime.kind == "diverging" and not regime.converges, regime.description
        h = run(RunConfig(problem=problem, x0=x0, lr=lr, epochs=100))
        assert h.status == "diverged"


CASES = [(key, x0, lr) for key in ("quadratic", "quartic", "flat", "wavy")
         for x0 in (None, 5.0, -3.0, 7.0) for lr in (0.01, 0.05, 0.1, 0.3)]


@pytest.mark.parametrize("key,x0,lr", CASES)
def test_a_converging_prediction_never_diverges_and_a_diverging_one_does(key, x0, lr):
    problem = FunctionProblem.preset(key)
    start = float(problem.start(x0)[0])
    _, regime = analyze_function(problem).regime(lr, start)
    h = run(RunConfig(problem=problem, x0=start, lr=lr, epochs=3000))
    if regime.converges:
        assert h.status != "diverged", (regime.description, h.message)
    if regime.kind == "diverging":
        assert h.status == "diverged", (regime.description, h.message)


def test_a_repelling_minimum_with_a_bounded_path_is_not_called_diverging():
    # the quartic at lr 0.2: r > 2/h at both minima, yet descent bounces between the basins
    problem = FunctionProblem.preset("quartic")
    _, regime = analyze_function(problem).regime(0.2, 2.0)
    assert regime.kind != "diverging" and not regime.converges
    h = run(RunConfig(problem=problem, x0=2.0, lr=0.2, epochs=3000))
    assert h.status != "diverged" and np.abs(h.params).max() < 3.0


def test_surfaces_check_the_path_too():
    rosen = FunctionProblem.preset("rosenbrock")
    a = analyze_surface(rosen, (-3.0, 3.0))
    assert a.kind == "minimum" and a.regime(0.001).kind == "diverging"
    assert run(RunConfig(problem=rosen, x0=(-3.0, 3.0), lr=0.001, epochs=200)).status \
        == "diverged"
    assert analyze_surface(rosen, (-1.2, 1.0)).regime(0.001).converges
    saddle = FunctionProblem.preset("saddle")
    regime = analyze_surface(saddle, (2.0, 0.01)).regime(0.1)
    assert regime.kind == "diverging"
    assert run(RunConfig(problem=saddle, x0=(2.0, 0.01), lr=0.1, epochs=150)).status \
        == "diverged"


@pytest.mark.parametrize("x_value", [3.0, 0.1])  # 0.1: x̄ is an ulp off, Σ(x − x̄)² is not 0
def test_all_x_equal_converges_to_a_best_line_that_is_not_unique(x_value):
    y = np.array([1.0, 2.0, 4.0, 4.5, -1.0])
    x = np.full(y.size, x_value)
    problem = RegressionProblem(x, y)
    a = analyze_regression(problem)
    assert not a.unique and np.isnan(a.m) and np.isnan(a.c)
    ybar = sum(Fraction(v) for v in y.tolist()) / y.size
    best = float(sum((Fraction(v) - ybar) ** 2 for v in y.tolist()) / y.size)
    assert a.loss == pytest.approx(best, rel=1e-14)
    lr = 0.05  # (below 2/λmax = 1/(x² + 1) for both)
    regime = a.regime(lr)
    assert regime.converges and np.isfinite(regime.epochs_to_1e6)
    h = run(RunConfig(problem=problem, lr=lr, epochs=int(3 * regime.epochs_to_1e6)))
    assert h.status != "diverged"
    assert h.loss[-1] == pytest.approx(best, rel=1e-9)
    # the epochs predicted: by then the excess MSE is at most 10⁻¹² of the start's (error 10⁻⁶)
    t = int(regime.epochs_to_1e6)
    assert h.loss[t] - best <= 1e-12 * (h.loss[0] - best) * 1.0001


def test_the_lessons_explanations_follow_the_path_too():
    from gdstudio.core.lessons.outcome import outcome_of
    from gdstudio.core.lessons.scoring import explain

    for expr, x0, lr in (("x**4", 5.0, 0.05), ("x**4 - 3*x**2", 7.0, 0.1)):
        outcome = outcome_of(RunConfig(problem=FunctionProblem(expr), x0=x0, lr=lr, epochs=50))
        assert outcome.status == "diverged"
        text = explain(outcome)
        assert "converges" not in text and "never overshoots" not in text, text
        assert "runs away" in text
    flat = explain(outcome_of(RunConfig(problem=FunctionProblem.preset("flat"), epochs=50)))
    assert "× 1 per epoch" not in flat and "flat minimum" in flat


def test_a_first_step_into_another_basin_moves_the_target():
    # the quartic from 2.5 at lr 0.055: the first step jumps past the local minimum near 1.35
    # into the global one's basin, where the run ends; the theory's target follows the path
    from gdstudio.core.theory import theory_of

    problem = FunctionProblem.preset("quartic")
    cfg = RunConfig(problem=problem, x0=2.5, lr=0.055, epochs=3000)
    h = run(cfg)
    theory = theory_of(cfg)
    near = theory.minimum_for(2.5)
    reached = theory.minimum_for(2.5, 0.055)
    assert near is not None and reached is not None
    assert near[0] == pytest.approx(1.347, abs=1e-3)
    assert reached[0] == pytest.approx(h.params[-1, 0], abs=1e-9)
    assert theory.optimum_loss((2.5,), 0.055) == pytest.approx(h.loss[-1], abs=1e-12)
    assert theory.regime(0.055, (2.5,)).converges
    # from 2 at lr 0.115 it lands in that basin too, where the rate is above 2/h: the path
    # stays bounded (the run cycles), so the analysis does not say "diverging"
    _, regime = analyze_function(problem).regime(0.115, 2.0)
    assert regime.kind != "diverging"
    assert run(RunConfig(problem=problem, x0=2.0, lr=0.115, epochs=3000)).status != "diverged"


def test_a_surface_minimum_is_reported_at_the_point_shown_not_a_rounding_residue():
    """Rosenbrock's minimum is f(1, 1) = 0: Newton ends a few ulps away (f = 3.87e-29 there);
    the analysis reports the point within its rounding where f and |∇f| are no larger."""
    rosen = FunctionProblem.preset("rosenbrock")
    for start in ((-1.2, 1.0), (-3.0, 3.0), (0.0, 0.0), (2.0, 2.0), (-2.0, 2.0)):
        a = analyze_surface(rosen, start)
        assert a.kind == "minimum"
        assert a.point == (1.0, 1.0), start
        assert a.f == 0.0, start
    # A minimum at no short decimal point stays where Newton found it, to its last digit:
    # f = (x − π)² + (y − e)²·3 has its minimum at (π, e) exactly as floats can say.
    odd = FunctionProblem("(x - 3.141592653589793)**2 + 3*(y - 2.718281828459045)**2",
                          variables=("x", "y"))
    b = analyze_surface(odd, (0.0, 0.0))
    assert b.kind == "minimum"
    assert b.point == pytest.approx((np.pi, np.e), rel=1e-15, abs=0)
    assert b.f <= 1e-30
