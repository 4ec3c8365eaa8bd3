"""Regimes decided by exact comparisons, never within a tolerance (issue 13, family 4).

r·h is compared with 1 and 2 as the rationals the two floats are; the references are the
closed form of descent on the source's quadratic (error × (1 − 2r) an epoch) and Fractions.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from gdstudio.core import FunctionProblem, RunConfig, run
from gdstudio.core.analysis import analyze_function, classify
from gdstudio.core.lessons.outcome import outcome_of
from gdstudio.core.lessons.scoring import explain

QUADRATIC = "x**2 - 4*x + 5"  # h = 2, minimum x* = 2


def exact_factor(lr: float, h: float) -> float:
    return float(1 - Fraction(lr) * Fraction(h))


def test_a_rate_just_above_critical_diverges_as_the_run_shows():
    # the example: 1.0000000001 was "cycling: r = 2/h exactly"
    lr = 1.0000000001
    problem = FunctionProblem(QUADRATIC)
    _, regime = analyze_function(problem).regime(lr, 7.0)
    assert regime.kind == "diverging" and not regime.converges
    assert regime.factor == exact_factor(lr, 2.0)
    assert "-1.0000000002" in regime.description  # not "× -1 per epoch"
    h = run(RunConfig(problem=problem, x0=7.0, lr=lr, epochs=60))
    err = np.abs(h.params[:, 0] - 2.0)
    np.testing.assert_allclose(err, 5.0 * abs(exact_factor(lr, 2.0)) ** np.arange(61),
                               rtol=1e-9)
    assert err[-1] > err[0]  # it grows: the run does not cycle


def test_exactly_critical_cycles_and_just_below_converges():
    assert classify(1.0, 2.0).kind == "cycling"
    h = run(RunConfig(problem=FunctionProblem(QUADRATIC), x0=7.0, lr=1.0, epochs=10))
    assert set(h.params[:, 0].tolist()) == {7.0, -3.0}
    below = classify(0.9999999999, 2.0)
    assert below.kind == "oscillating" and below.converges
    assert below.factor == exact_factor(0.9999999999, 2.0)


def test_within_rounding_of_critical_is_said_so():
    for lr, h in ((1.0 + 2.0**-52, 2.0), (1.0 - 2.0**-53, 2.0), (0.1, 20.0)):
        rh = Fraction(lr) * Fraction(h)
        assert rh != 2  # (0.1 as stored is a little above 1/10)
        regime = classify(lr, h)
        assert regime.kind == "critical" and not regime.converges
        assert "within rounding" in regime.description


def test_one_step_landing_only_when_exact():
    assert classify(0.5, 2.0).description.startswith("r = 1/h")
    near = classify(0.50000000001, 2.0)
    assert near.kind == "oscillating" and near.factor == exact_factor(0.50000000001, 2.0)
    assert near.factor != 0.0
    assert classify(0.49999999999, 2.0).kind == "monotone"


@pytest.mark.parametrize("lr,word", [(1.0000000001, "> 2"), (0.9999999999, "< 1, so it still")])
def test_lesson_explanations_use_the_same_comparison(lr, word):
    text = explain(outcome_of(RunConfig(problem=FunctionProblem(QUADRATIC), x0=7.0, lr=lr,
                                        epochs=20)))
    assert "for ever" not in text and word in text
    assert "= 2 >" not in text  # the product is shown with the digits that make it > 2


def test_surface_verdicts_are_not_decided_by_a_tolerance():
    # a strict minimum with a small curvature is a minimum (old: "degenerate" under 1e-9·λmax),
    # a saddle with a small negative one a saddle; a zero eigenvalue stays degenerate
    from gdstudio.core.analysis import analyze_surface

    cases = {"x**2 + 1e-10*y**2": "minimum", "x**2 - 1e-10*y**2": "saddle",
             "x**2": "degenerate"}
    for expr, kind in cases.items():
        problem = FunctionProblem(expr, variables=("x", "y"))
        a = analyze_surface(problem, (1.0, 1.0) if kind == "minimum" else (0.0, 0.0))
        assert a.kind == kind, (expr, a.kind)
    a = analyze_surface(FunctionProblem("x**2 + 1e-10*y**2", variables=("x", "y")), (1.0, 1.0))
    np.testing.assert_allclose(a.eigenvalues, [2e-10, 2.0], rtol=1e-12)
    assert a.regime(0.1).converges


def test_momentum_limit_is_compared_exactly():
    # heavy ball: stable for r·λ < 2·(1 + μ); 1.8999999999 is below 1.9 (old: within 1e-9 of
    # the limit it was "not below it: the jumps grow")
    def text(lr):
        cfg = RunConfig(problem=FunctionProblem(QUADRATIC), x0=7.0, lr=lr, epochs=20,
                        optimizer="momentum", momentum=0.9)
        return explain(outcome_of(cfg))

    below = text(1.8999999999)
    assert "damps the overshoots" in below and "× 1 per" not in below
    assert "the jumps grow" in text(1.9000000001)
    assert "within rounding" in text(1.9)  # 1.9·2 and 2·(1 + 0.9) differ in the last bits


def test_converging_sentences_never_show_a_factor_of_one():
    # a factor printed as "× -1" or "× 1 per epoch" beside "converges" says the opposite
    from gdstudio.core import RegressionProblem
    from gdstudio.core.analysis import analyze_regression, analyze_surface

    a = analyze_regression(RegressionProblem.synthetic())
    text = a.regime(0.999999 * a.critical_lr).description
    assert text.startswith("converges") and "× -1 per" not in text
    s = analyze_surface(FunctionProblem("x**2 + 1e-10*y**2", variables=("x", "y")), (1.0, 1.0))
    text = s.regime(0.1).description
    assert "flattest × 1 " not in text and "0.99999999998" in text
