"""The source tutorial's claims, reproduced (and its known errors not copied)."""

from __future__ import annotations

import numpy as np
import pytest

from gdstudio.core import FunctionProblem, RegressionProblem, RunConfig, run
from gdstudio.core.analysis import analyze_function, analyze_regression

QUAD = "x**2 - 4*x + 5"


def quad_run(lr: float, epochs: int = 50, engine: str = "manual", **kw):
    return run(RunConfig(problem=FunctionProblem(QUAD), x0=7.0, lr=lr, epochs=epochs,
                         engine=engine, **kw))


@pytest.mark.parametrize("engine", ["manual", "torch"])
def test_closed_form_trajectory_lr_0_1(engine):
    # x_{t+1} - 2 = (1 - 2 lr)(x_t - 2)  →  x_t = 2 + 5 * 0.8**t
    h = quad_run(0.1, epochs=40, engine=engine)
    t = np.arange(41)
    expected = 2 + 5 * 0.8**t
    np.testing.assert_allclose(h.params[:, 0], expected, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(h.loss, (expected - 2) ** 2 + 1, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(h.grad[:, 0], 2 * expected - 4, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(h.params[:6, 0], [7, 6, 5.2, 4.56, 4.048, 3.6384], rtol=1e-15)


def test_minimum_is_f2_equals_1_not_the_misprinted_function():
    # The source prints x² − 5x + 5, but its numbers (x = 2, f(2) = 1) belong to x² − 4x + 5.
    a = analyze_function(FunctionProblem(QUAD))
    (m,) = a.minima
    assert m.x == 2.0 and m.f == 1.0 and m.curvature == 2.0
    assert a.derivative_text == "2*x - 4"


@pytest.mark.parametrize(
    "lr, kind",
    [(0.01, "monotone"), (0.1, "monotone"), (0.3, "monotone"), (0.7, "oscillating"),
     (1.0, "cycling")],
)
def test_five_learning_rates_are_classified_as_the_source_describes(lr, kind):
    a = analyze_function(FunctionProblem(QUAD))
    target, regime = a.regime(lr, 7.0)
    assert target is not None and target.x == 2.0
    assert regime.kind == kind
    assert regime.critical_lr == 1.0


def test_five_learning_rates_runs_behave_as_described():
    slow, base, fast = quad_run(0.01), quad_run(0.1), quad_run(0.3)
    # 0.01 needs far more iterations; 0.3 gets there faster than 0.1
    err = lambda h, t: abs(h.params[min(t, h.epochs_run), 0] - 2)  # noqa: E731
    assert err(slow, 50) > err(base, 50) > err(fast, 50)
    for h in (slow, base, fast):  # monotone: never crosses the minimum
        assert np.all(h.params[:, 0] >= 2.0)
        assert np.all(np.diff(h.loss) <= 0)
    # 0.7 overshoots (alternating sides) but converges
    over = quad_run(0.7)
    d = over.params[:10, 0] - 2
    assert np.all(d[1:] * d[:-1] < 0)
    assert over.status in ("converged", "max_epochs") and abs(over.params[-1, 0] - 2) < 1e-12
    # 1 never reaches the minimum: 7, -3, 7, -3, ...
    cyc = quad_run(1.0)
    assert cyc.status == "cycling"
    np.testing.assert_array_equal(cyc.params[:, 0], np.where(np.arange(51) % 2 == 0, 7.0, -3.0))


def test_lr_above_critical_diverges_and_keeps_finite_rows():
    h = quad_run(1.5)
    assert h.status == "diverged"
    assert np.isfinite(h.params).all() and np.isfinite(h.loss).all()
    # x_t - 2 = 5 (-2)^t exactly representable: the rows before divergence are exact
    t = np.arange(h.epochs_run + 1)
    np.testing.assert_array_equal(h.params[:, 0], 2 + 5 * (-2.0) ** t)


def test_regression_lr_1e4_converges_and_1e2_diverges_on_default_data():
    problem = RegressionProblem.synthetic()
    # c crawls (condition number ~4e3): the analysis predicts ~3e5 epochs for a 1e6-fold shrink
    good = run(RunConfig(problem=problem, lr=1e-4, epochs=400_000))
    assert good.status != "diverged"
    assert np.all(np.diff(good.loss) <= 1e-12 * good.loss[:-1])  # loss never increases
    ls = analyze_regression(problem)
    assert ls.regime(1e-4).converges
    assert good.loss[-1] == pytest.approx(ls.loss, rel=1e-9)  # the least-squares MSE
    np.testing.assert_allclose(good.params[-1], [ls.m, ls.c], rtol=1e-5)
    # least squares computed independently by NumPy
    A = np.column_stack([problem.x, np.ones_like(problem.x)])
    np.testing.assert_allclose([ls.m, ls.c], np.linalg.lstsq(A, problem.y, rcond=None)[0],
                               rtol=1e-12)
    bad = run(RunConfig(problem=problem, lr=1e-2, epochs=50))
    assert bad.status == "diverged"
    assert not ls.regime(1e-2).converges
    assert np.isfinite(bad.params).all()


def test_regression_loss_uses_correct_sign_not_the_sources_typo():
    # The source's MSE line (Y - m*X + c)**2 has a sign error; it must be (Y - (m*X + c))**2.
    problem = RegressionProblem.synthetic(n=50, seed=3)
    m, c = 1.7, -4.2
    h = run(RunConfig(problem=problem, m0=m, c0=c, lr=1e-4, epochs=0))
    x, y = problem.x, problem.y
    correct = np.mean((y - (m * x + c)) ** 2)
    typo = np.mean((y - m * x + c) ** 2)
    assert h.loss[0] == pytest.approx(correct, rel=1e-12)
    assert abs(h.loss[0] - typo) > 1.0


@pytest.mark.parametrize("m, c", [(0.0, 0.0), (2.0, 5.0), (-1.5, 30.0)])
def test_autograd_gradient_equals_hand_derived_gradient(m, c):
    torch = pytest.importorskip("torch")
    problem = RegressionProblem.synthetic()
    X = torch.tensor(problem.x)
    Y = torch.tensor(problem.y)
    params = torch.tensor([m, c], dtype=torch.float64).requires_grad_()
    preds = params[0] * X + params[1]
    loss = ((preds - Y) ** 2).mean()
    loss.backward()
    # the source's hand-derived formulas, written out independently here
    n = len(problem.x)
    y_pred = m * problem.x + c
    d_m = (-2 / n) * np.sum(problem.x * (problem.y - y_pred))
    d_c = (-2 / n) * np.sum(problem.y - y_pred)
    np.testing.assert_allclose(params.grad.numpy(), [d_m, d_c], rtol=1e-12)
    # and the app's manual engine and torch engine both report the same gradient at row 0
    for engine in ("manual", "torch"):
        h = run(RunConfig(problem=problem, m0=m, c0=c, lr=1e-4, epochs=0, engine=engine))
        np.testing.assert_allclose(h.grad[0], [d_m, d_c], rtol=1e-11)
        assert h.loss[0] == pytest.approx(float(loss.detach()), rel=1e-12)
