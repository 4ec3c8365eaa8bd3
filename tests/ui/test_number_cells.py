"""No table cell elides its number's exponent (issue 14 item 3): a narrow column shortens the
mantissa ("−1.8×10⁻¹⁶", not "−1.836970198×1…"), whole numbers are left alone."""

from __future__ import annotations

from files_support import run_to_end
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QStyleOptionViewItem

from gdstudio.ui.model.formatting import number
from gdstudio.ui.panels.number_cells import fitting_text


def test_the_mantissa_shortens_and_the_exponent_stays():
    value = -1.8369701987210297e-16
    text = number(value, 10)
    assert text == "−1.836970199×10⁻¹⁶"
    assert fitting_text(value, text, 100, len) == text
    short = fitting_text(value, text, 9, len)
    assert short.endswith("×10⁻¹⁶") and len(short) <= 10
    assert fitting_text(value, text, 1, len) == "−2×10⁻¹⁶"  # at least one digit, never "…"
    assert fitting_text(1234.0, "1,234", 2, len) == "1,234"  # an epoch is never shortened
    assert fitting_text(float("inf"), "∞", 0, len) == "∞"


def _shown(view, index) -> str:
    option = QStyleOptionViewItem()
    option.rect = view.visualRect(index)
    option.font = view.font()
    option.widget = view
    view.itemDelegateForIndex(index).initStyleOption(option, index)
    return option.text


def test_a_narrow_history_keeps_every_exponent(qtbot, window):
    window.controls.epochsSpin.setValue(200)  # the gradient ends near 10⁻¹⁹
    qtbot.waitUntil(lambda: window.run_data.config.epochs == 200
                    and window.controller.state == "ready", timeout=30_000)
    run_to_end(qtbot, window)
    view = window.history_view
    view.setFixedWidth(300)  # four number columns in what the epoch column leaves
    qtbot.waitUntil(lambda: view.width() == 300, timeout=5_000)
    view.scrollToBottom()
    model = view.model()
    metrics = QFontMetrics(view.font())
    row = model.rowCount() - 1
    checked = 0
    for column in range(1, model.columnCount()):
        index = model.index(row, column)
        value = model.value(row, column)
        text = _shown(view, index)
        assert metrics.horizontalAdvance(text) < view.visualRect(index).width(), text
        if value != 0 and abs(value) < 1e-5:
            assert "×10⁻" in text, text
            exponent = int(f"{value:e}".split("e")[1])
            assert text.endswith(number(value, 1).split("×")[1]) or \
                int(text.split("×10")[1].translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹",
                                                                 "-0123456789"))) == exponent
            checked += 1
    assert checked >= 1  # the gradient's cell, at least
