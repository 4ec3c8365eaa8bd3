"""Fit view frames the iterates: the curve beside them never squashes them into a line."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton


def _run_to_end(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.controller.state == "ready")
    qtbot.mouseClick(window.findChild(QAbstractButton, "runToEndButton"),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.controller.state == "finished", timeout=20_000)
    window.draw_now()


def test_fit_view_on_exp_frames_the_start_and_the_end_of_the_run(window, qtbot):
    c = window.controls
    c.expressionEdit.setText("exp(x)")
    c.x0Spin.setValue(7.0)
    c.lrSpin.setValue(0.1)
    _run_to_end(qtbot, window)
    plot = window.curve_plot
    plot.fit_view()
    (x_lo, x_hi), (y_lo, y_hi) = plot.vb.viewRange()
    # what is framed lies below the legend: its share of the height is room above the data
    y_hi = y_lo + (y_hi - y_lo) * (1 - plot.legend_room())
    data = window.model.run
    xs, fs = data.params[: data.n, 0], data.loss[: data.n]
    assert x_lo <= xs.min() and xs.max() <= x_hi
    assert y_lo <= fs.min() and fs.max() <= y_hi
    # f(x₀) = e⁷ ≈ 1097 is most of the height, not 5 % of it under e¹⁰ from the right margin
    assert fs.max() >= 0.8 * (y_hi - y_lo), (fs.max(), y_lo, y_hi)
    assert y_hi <= 1.2 * math.exp(7.0)


def test_fit_view_on_the_source_example_still_shows_the_whole_parabola(window, qtbot):
    _run_to_end(qtbot, window)
    plot = window.curve_plot
    plot.fit_view()
    (x_lo, x_hi), (y_lo, y_hi) = plot.vb.viewRange()
    y_hi = y_lo + (y_hi - y_lo) * (1 - plot.legend_room())
    data = window.model.run
    assert x_lo <= 2 and 7 <= x_hi
    cx, cy = plot.curve_item.getData()
    span = (x_hi - x_lo) / 1.08  # the range framed, without the view's 4 % padding each side
    lo, hi = x_lo + 0.04 * span, x_hi - 0.04 * span
    shown = (cx >= lo) & (cx <= hi)
    assert cy[shown].max() <= y_hi + 1e-9  # the curve over the whole range framed fits in it
    assert data.loss[: data.n].max() <= y_hi


def test_what_is_framed_is_drawn_below_the_legend_not_under_it(window, qtbot):
    _run_to_end(qtbot, window)
    for plot in (window.curve_plot, window.loss_plot):
        plot.fit_view()
        room = plot.legend_room()
        if not plot.legend.items or not plot.legend.isVisible():
            assert room == 0
            continue
        assert 0 < room <= 0.5
        (_x, (y_lo, y_hi)) = plot.vb.viewRange()
        legend_bottom = plot.legend.pos().y() + plot.legend.geometry().height()
        # the legend's bottom edge, in data units: every value framed lies below it
        edge = y_hi - (y_hi - y_lo) * legend_bottom / plot.vb.height()
        data = window.model.run
        assert data.loss[: data.n].max() <= edge + 1e-9, plot.objectName()
