"""Typed expressions that attack, explode or are undefined on part of the line (issue 6, items
2 and 5, in the window).

The core's parser is fuzzed on its own (tests/core/test_expressions.py); here the same attacks
go through the window: a message beside the field, the run on screen left as it was; functions
undefined on part of the range draw only their defined part and a step into the undefined region
ends the run with a clear status; and hypothesis drives random (f, x0, lr, epochs) through the
window's fields to the end of the run, watching every ``setData`` of every plot item.
"""

from __future__ import annotations

import numpy as np
import pytest
from hardening_support import (
    STATUSES,
    TIMEOUT_MS,
    PlotGuard,
    assert_plots_finite,
    press_enter,
    run_buttons,
    settle,
    type_text,
)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st


@pytest.fixture
def guard(monkeypatch):
    return PlotGuard(monkeypatch)


def _step(qtbot, win, times: int = 1) -> None:
    for _ in range(times):
        n = win.run_data.n
        win.step()
        qtbot.waitUntil(lambda n=n: win.run_data.n == n + 1, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: win.controller.state in ("paused", "finished"), timeout=TIMEOUT_MS)


def _attacks(tmp_path) -> dict[str, str]:
    marker = tmp_path / "pwned"
    return {
        "import and run a command": f"__import__('os').system('echo pwned > {marker}')",
        "attribute access": "x.__class__",
        "a walk to object's subclasses": "().__class__.__bases__[0].__subclasses__()",
        "dunder name": "__builtins__",
        "lambda": "lambda: 1",
        "comprehension": "[x for x in y]",
        "f-string": "f'{x}'",
        "a tower of powers": "9**9**9**9",
        "a huge power of x": "x**10**10",
        "factorial of a billion": "factorial(10**9)",
        "10^5 nested parentheses": "(" * 100_000 + "x" + ")" * 100_000,
        "a 1 MB expression": "x + " * 250_000 + "x",
        "an emoji": "x**2 + \U0001F600",
        "a full-width x": "\uff58**2",
        "a zero-width space": "x\u200b**2",
        "a right-to-left override": "\u202ex**2",
        "a NUL character": "x\x00",
    }


ATTACKS = list(_attacks(__import__("pathlib").Path("/nowhere")))


@pytest.mark.parametrize("name", ATTACKS)
def test_an_attack_is_refused_beside_the_field_and_the_run_is_kept(window, qtbot, tmp_path,
                                                                   shown_dialogs, guard, name):
    text = _attacks(tmp_path)[name]
    win, c = window, window.controls
    _step(qtbot, win, 3)
    params, loss = win.run_data.params.copy(), win.run_data.loss.copy()
    curve = [a.copy() for a in win.curve_plot.curve_item.getData()]
    config = win.run_data.config

    c.expressionEdit.setText(text)  # pasted: typed key by key, its first letters would be a
    # valid f(x) of their own (checked as you type) and start a run of their own

    message = c.expressionError.text()
    assert c.expressionError.isVisible() and message
    assert len(message) < 300 and "Traceback" not in message
    assert not c.derivativeLabel.isVisible()
    assert not any(run_buttons(win).values()) and not win.action("reset").isEnabled()
    win.step()
    win.run_to_end()
    settle(qtbot, win)
    # The run on screen is the one from before, untouched.
    assert win.run_data.config is config and win.controller.state == "paused"
    np.testing.assert_array_equal(win.run_data.params, params)
    np.testing.assert_array_equal(win.run_data.loss, loss)
    for before, now in zip(curve, win.curve_plot.curve_item.getData(), strict=True):
        np.testing.assert_array_equal(before, now)
    assert not (tmp_path / "pwned").exists()
    assert shown_dialogs == [] and guard.bad == []

    c.expressionEdit.setText("x**2 - 4*x + 5")  # fixed: a new run, which works
    qtbot.waitUntil(lambda: win.controller.state == "ready" and win.run_data.n == 1,
                    timeout=TIMEOUT_MS)
    assert not c.expressionError.isVisible()
    _step(qtbot, win, 1)
    np.testing.assert_allclose(win.run_data.params[:, 0], [7, 6])


@pytest.mark.parametrize("text, normal", [("x² − 4·x + 5", "x**2 - 4*x + 5"),
                                          ("x^2 - 4x + 5", None)])
def test_odd_but_meaningful_typing(window, qtbot, text, normal):
    c = window.controls
    c.expressionEdit.setText(text)
    if normal is None:  # "4x": refused with a hint, as any other mistake
        assert c.expressionError.isVisible() and c.expressionError.text()
        return
    assert not c.expressionError.isVisible()
    qtbot.waitUntil(lambda: window.controller.state == "ready"
                    and window.run_data.config.problem.text == normal, timeout=TIMEOUT_MS)
    _step(qtbot, window, 2)
    np.testing.assert_allclose(window.run_data.params[:, 0], [7, 6, 5.2])


DOMAINS = {
    "log(x)": lambda x: x > 0,
    "1/x": lambda x: x != 0,
    "sqrt(x)": lambda x: x >= 0,
    "sqrt(x) + log(x + 3)": lambda x: x >= 0,
}


@pytest.mark.parametrize("expr", list(DOMAINS))
def test_a_function_undefined_on_part_of_the_range_draws_only_its_defined_part(
        window, qtbot, guard, expr):
    win = window
    win.controls.expressionEdit.setText(expr)
    win.controls.x0Spin.setValue(1.0)
    qtbot.waitUntil(lambda: win.controller.state == "ready"
                    and win.run_data.config.problem.text == expr, timeout=TIMEOUT_MS)
    settle(qtbot, win)
    item = win.curve_plot.curve_item
    xs, ys = (np.asarray(a, dtype=float) for a in item.getData())
    defined = DOMAINS[expr](xs)
    assert defined.any() and (~defined).any() or expr == "1/x"
    # Drawn where f is defined; a gap (NaN, left out by connect="finite") where it is not.
    assert np.isfinite(ys[defined]).all()
    assert np.isnan(ys[~defined]).all()
    assert item.opts["connect"] == "finite"
    assert np.isfinite(xs).all() and not np.isinf(ys).any()
    assert guard.bad == []
    assert_plots_finite(win)


@pytest.mark.parametrize("expr, x0, lr, epoch", [
    ("sqrt(x)", 1.0, 1.0, 2),  # x: 1, 0.5, then −0.21 where √x is undefined
    ("log(x)", 1.0, 1.0, 1),  # x: 1, then 0: log 0 = −∞
    ("log(x)", 2.0, 1.0, 3),
])
def test_a_step_into_the_undefined_region_ends_the_run_with_a_clear_status(
        window, qtbot, guard, shown_dialogs, expr, x0, lr, epoch):
    win, c = window, window.controls
    c.expressionEdit.setText(expr)
    c.x0Spin.setValue(x0)
    c.lrSpin.setValue(lr)
    qtbot.waitUntil(lambda: win.controller.state == "ready"
                    and win.run_data.config.problem.text == expr
                    and win.run_data.config.lr == lr, timeout=TIMEOUT_MS)
    for _ in range(epoch):
        win.step()
        qtbot.waitUntil(lambda: win.controller.state in ("paused", "finished"),
                        timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: win.controller.state == "finished", timeout=TIMEOUT_MS)
    settle(qtbot, win)
    data = win.run_data
    assert data.status == "diverged"
    assert data.n == epoch  # the last finite row is kept; the undefined one is not
    assert np.isfinite(data.params).all() and np.isfinite(data.loss).all()
    status = win.statusLabel.text()
    assert status.startswith("Diverged at epoch") and "undefined" in status, status
    assert not any(run_buttons(win).values()) and win.action("reset").isEnabled()
    assert guard.bad == [] and shown_dialogs == []
    assert_plots_finite(win)
    win.reset()  # and it starts again
    qtbot.waitUntil(lambda: win.controller.state == "ready" and win.run_data.n == 1,
                    timeout=TIMEOUT_MS)


# --------------------------------------------------------------------------------------------
# hypothesis: random (f, x0, lr, epochs) typed into the window and run to the end
# --------------------------------------------------------------------------------------------

_leaves = st.one_of(st.just("x"), st.just("x"), st.integers(1, 5).map(str),
                    st.sampled_from(["0.5", "2.5", "pi"]))


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    unary = st.builds(lambda f, a: f"{f}({a})",
                      st.sampled_from(["sin", "cos", "exp", "log", "sqrt", "abs", "tanh"]), inner)
    binary = st.builds(lambda a, op, b: f"({a}) {op} ({b})", inner,
                       st.sampled_from(["+", "-", "*", "/"]), inner)
    power = st.builds(lambda a, k: f"({a})**{k}", inner, st.integers(2, 4))
    return st.one_of(unary, binary, power)


expressions = st.recursive(_leaves, _extend, max_leaves=5)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(expr=expressions,
       x0=st.floats(-20, 20, allow_nan=False).map(lambda v: round(v, 3)),
       lr=st.sampled_from([1e-3, 0.01, 0.05, 0.1, 0.3, 0.7, 1.0, 1.5, 3.0]),
       epochs=st.integers(0, 300))
def test_fuzz_random_runs_end_in_one_of_four_statuses_and_plot_nothing_non_finite(
        window, qtbot, guard, shown_dialogs, expr, x0, lr, epochs):
    win, c = window, window.controls
    c.expressionEdit.setText(expr)
    for spin, text in ((c.x0Spin, repr(x0)), (c.lrSpin, repr(lr)), (c.epochsSpin, str(epochs))):
        type_text(qtbot, spin, text)
        press_enter(qtbot, spin)
    if c.expressionError.isVisible():  # refused as typed (undefined everywhere, …)
        event("refused: the expression")
        assert c.expressionError.text() and not any(run_buttons(win).values())
        return
    assert c.x0Spin.value() == x0 and c.lrSpin.value() == lr and c.epochsSpin.value() == epochs
    assert c.config() is not None, c.configError.text()
    win.reset()  # a fresh run of exactly this
    config = c.config()
    qtbot.waitUntil(lambda: win.run_data.config is config
                    and (win.controller.state in ("ready", "finished")
                         or (win.controller.state == "empty" and win.message_bar.isVisible())),
                    timeout=TIMEOUT_MS)
    if win.controller.state == "empty":  # refused by the core: f undefined at x0, …
        event("refused: the start")
        assert win.message_bar.text and not any(run_buttons(win).values())
        return
    if win.controller.state == "ready":
        win.run_to_end()
    qtbot.waitUntil(lambda: win.controller.state == "finished", timeout=TIMEOUT_MS)
    settle(qtbot, win)
    data = win.run_data
    assert data.status in STATUSES, (expr, x0, lr, epochs, data.status)
    event(f"ran: {data.status}")
    assert data.n - 1 <= epochs
    assert np.isfinite(data.params).all() and np.isfinite(data.loss).all()
    assert guard.bad == [], (expr, x0, lr, epochs, guard.bad)
    assert_plots_finite(win)
    assert shown_dialogs == []
