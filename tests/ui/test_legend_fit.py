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
