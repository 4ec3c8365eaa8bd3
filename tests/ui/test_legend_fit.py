"""A legend never runs past its plot (issue 14 item 6): with huge text or a narrow window the
curve plot's legend stacks its entries instead of being cut off, and spreads out again when
there is room."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication


def _legend_width(plot) -> float:
    return plot.legend.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize).width()


def test_the_curve_legend_fits_the_plot_in_every_text_size(qtbot, window):
    plot = window.curve_plot
    try:
        for size in ("normal", "large", "huge"):
            window.appearance.choose_text_size(size)
            for width in (1024, 1400):
                window.resize(width, 768)
                QApplication.processEvents()
                qtbot.waitUntil(lambda: plot.vb.width() > 0, timeout=5_000)
                assert _legend_width(plot) <= plot.vb.width(), (size, width)
        window.appearance.choose_text_size("normal")
        window.resize(1900, 1000)
        QApplication.processEvents()
        assert plot.legend.columnCount == plot.legend_columns  # room again: three columns
    finally:
        window.appearance.choose_text_size("normal")


def test_a_plot_too_small_for_its_legend_shows_the_data_instead(qtbot, window):
    # A landscape stacked under the line at 1024×768 with Huge text was 100 px tall and its
    # legend, at its smallest text, covered all of it: there the legend is not shown, and it
    # comes back when the plot has room. (The loss plot has no legend, whatever its size.)
    plot = window.curve_plot
    try:
        window.appearance.choose_text_size("huge")
        window.resize(1900, 1000)
        qtbot.waitUntil(lambda: plot.vb.height() > 300, timeout=5_000)
        qtbot.waitUntil(plot.legend.isVisible, timeout=5_000)
        window.plots_splitter.setSizes([60, 900, 0])  # the curve plot squeezed
        qtbot.waitUntil(lambda: not plot.legend.isVisible(), timeout=5_000)
        hint = plot.legend.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize)
        assert hint.height() > plot.LEGEND_MOST * plot.vb.height()
        window.plots_splitter.setSizes([700, 300, 0])
        qtbot.waitUntil(plot.legend.isVisible, timeout=5_000)
        assert not window.loss_plot.legend.isVisible()
    finally:
        window.appearance.choose_text_size("normal")
