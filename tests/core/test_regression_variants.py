"""Regression with feature scaling and with mini-batches."""

from __future__ import annotations

import numpy as np
import pytest

from gdstudio.core import ConfigError, FunctionProblem, RegressionProblem, RunConfig, run
from gdstudio.core.analysis import analyze_regression
from gdstudio.core.descent.minibatch import scaled_problem


@pytest.mark.parametrize("engine", ["manual", "torch"])
def test_scaling_converges_fast_and_reports_original_units(engine):
    p = RegressionProblem.synthetic()
    h = run(RunConfig(problem=p, lr=0.1, epochs=300, scale_x=True, engine=engine))
    m_star, c_star = p.least_squares()
    np.testing.assert_allclose(h.params[-1], [m_star, c_star], rtol=1e-9)
    # every row is in original units: the loss is the direct MSE at the reported (m, c)
    for t in (0, 1, 5, 50):
        m, c = h.params[t]
        assert h.loss[t] == pytest.approx(np.mean((p.y - (m * p.x + c)) ** 2), rel=1e-10)
        mse, dm, dc = p.loss_and_grad_direct(m, c)
        np.testing.assert_allclose(h.grad[t], [dm, dc], rtol=1e-8, atol=1e-9)
    # independently: descent on standardised x by hand, mapped back
    xm, s = p.x.mean(), p.x.std()
    xs = (p.x - xm) / s
    a = b = 0.0
    for _ in range(5):
        r = p.y - (a * xs + b)
        a, b = a + 0.1 * 2 * np.mean(xs * r), b + 0.1 * 2 * np.mean(r)
    np.testing.assert_allclose(h.params[5], [a / s, b - a * xm / s], rtol=1e-10)


def test_scaling_fixes_the_conditioning():
    p = RegressionProblem.synthetic()
    assert analyze_regression(p).condition_number > 1000
    assert analyze_regression(scaled_problem(p)[0]).condition_number == pytest.approx(1.0, abs=1e-9)


def test_minibatch_engines_agree_and_are_seeded():
    p = RegressionProblem.synthetic(n=60, seed=1)
    cfg = RunConfig(problem=p, lr=1e-4, epochs=30, batch_size=8, batch_seed=3)
    a, b = run(cfg), run(cfg.with_(engine="torch"))
    np.testing.assert_allclose(a.params, b.params, rtol=1e-12)
    again = run(cfg)
    np.testing.assert_array_equal(a.params, again.params)
    other = run(cfg.with_(batch_seed=4))
    assert not np.array_equal(a.params, other.params)


def test_minibatch_by_hand():
    p = RegressionProblem.synthetic(n=10, seed=0)
    h = run(RunConfig(problem=p, lr=1e-3, epochs=1, batch_size=4, batch_seed=7))
    order = np.random.default_rng(7).permutation(10)
    m = c = 0.0
    for i in range(0, 10, 4):
        idx = order[i : i + 4]
        r = p.y[idx] - (m * p.x[idx] + c)
        dm, dc = -2 / len(idx) * np.sum(p.x[idx] * r), -2 / len(idx) * np.sum(r)
        m, c = m - 1e-3 * dm, c - 1e-3 * dc
    np.testing.assert_allclose(h.params[1], [m, c], rtol=1e-13)


def test_full_size_batch_equals_full_gradient_descent():
    p = RegressionProblem.synthetic(n=40)
    a = run(RunConfig(problem=p, lr=1e-4, epochs=20, batch_size=40))
    b = run(RunConfig(problem=p, lr=1e-4, epochs=20))
    np.testing.assert_allclose(a.params, b.params, rtol=1e-12)


def test_variants_are_for_regressions():
    with pytest.raises(ConfigError, match="regression"):
        RunConfig(problem=FunctionProblem(), scale_x=True)
    with pytest.raises(ConfigError, match="regression"):
        RunConfig(problem=FunctionProblem(), batch_size=4)
    with pytest.raises(ConfigError, match="batch size"):
        RunConfig(problem=RegressionProblem.synthetic(), batch_size=-1)
