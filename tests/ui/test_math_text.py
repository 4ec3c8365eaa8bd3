"""Maths as a person reads it: the Analysis panel and the derivative label never show SymPy's
spellings (Abs, sqrt, **, ASCII hyphens as minus signs, ASCII primes)."""

from __future__ import annotations

import pytest
from files_support import analysis_text

from gdstudio.ui.model.formatting import pretty_math


@pytest.mark.parametrize(("sympy_text", "shown"), [
    ("Abs(x)", "|x|"),
    ("Abs(Abs(x) - 1)", "||x| − 1|"),
    ("-2*x*exp(-x^2)", "−2·x·exp(−x²)"),
    ("x/sqrt(x**2 + 1)", "x/√(x² + 1)"),
    ("x^(-2) + y^10", "x⁻² + y¹⁰"),
    ("x^(2*y)", "x^(2·y)"),  # not a whole-number exponent: left as a bracket
    ("x^(3/2)", "x^(3/2)"),
    ("x^2.5", "x^2.5"),
    ("f'(x) = 0, f''(x) > 0", "f′(x) = 0, f″(x) > 0"),
    ("minimum at x = -1.5, f = -2", "minimum at x = −1.5, f = −2"),
])
def test_sympy_text_reads_as_maths(sympy_text, shown):
    assert pretty_math(sympy_text) == shown


def test_the_analysis_of_abs_and_exp_has_no_sympy_spelling(window, qtbot):
    c = window.controls
    c.expressionEdit.setText("abs(x - 1) + exp(-x**2)")
    qtbot.waitUntil(lambda: "f′(x)" in window.analysis.text() and "|x − 1|" in
                    window.analysis.text(), timeout=10_000)
    text = analysis_text(qtbot, window)
    for spelling in ("Abs", "**", "exp(-", "sqrt", "f'"):
        assert spelling not in text, spelling
    assert "exp(−x²)" in text
    qtbot.waitUntil(lambda: "exp(−x²)" in c.derivativeLabel.text(), timeout=10_000)
    assert "-" not in c.derivativeLabel.text()


def test_a_half_typed_expression_dims_the_plots_and_says_they_show_the_last_valid_one(window,
                                                                                      qtbot):
    c = window.controls
    plots = (window.curve_plot, window.loss_plot)
    assert not any(p.stale for p in plots)
    c.expressionEdit.setText("x**2 - 4*x +")  # a prefix of what is being typed
    qtbot.waitUntil(lambda: all(p.stale for p in plots))
    for plot in plots:
        note = plot.staleNote
        assert note.isVisible() and "last set-up that could run" in note.text()
        assert note.textFormat().name == "PlainText"
        assert plot.vb.opacity() < 1
        assert note.geometry().intersects(plot.rect())  # over the plot, not outside it
    assert not window.action("step").isEnabled()
    c.expressionEdit.setText("x**2 - 4*x + 1")
    qtbot.waitUntil(lambda: not any(p.stale for p in plots))
    assert all(p.vb.opacity() == 1 for p in plots)
    qtbot.waitUntil(lambda: window.action("step").isEnabled())


def test_the_analysis_writes_its_numbers_as_the_window_does(window, qtbot):
    """Every problem's analysis: a minus sign, never a hyphen, before a number, and ×10ⁿ,
    never e+03 ("steepest direction × -0.0016 ... condition number 2.51e+03" on
    Rosenbrock; "r = 1e-4" on a regression)."""
    import re

    from gdstudio.ui.model.formatting import prose

    hyphen, e_notation = re.compile(r"(?<![\w.])-\d"), re.compile(r"\de[+-]?\d")
    tabs = window.controls.problemTabs
    seen = []
    for index in range(tabs.count()):
        tabs.setCurrentIndex(index)
        qtbot.waitUntil(lambda: window.analysis.config is not None
                        and window.analysis.theory is not None
                        and window.analysis.theory.key is not None, timeout=30_000)
        text = analysis_text(qtbot, window)
        assert not hyphen.search(text), (tabs.tabText(index), text)
        assert not e_notation.search(text), (tabs.tabText(index), text)
        seen.append(text)
    assert any("−" in text for text in seen)
    assert prose("× -0.0016, number 2.51e+03; full-batch (-3, 4) lr 0.1-0.3") == \
        "× −0.0016, number 2.51×10³; full-batch (−3, 4) lr 0.1-0.3"
