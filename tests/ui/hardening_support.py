"""Helpers for the window's hardening tests: type as a person does, read what the plots hold."""

from __future__ import annotations

import math
import threading

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QLineEdit, QWidget

from gdstudio.ui.window.main_window import MainWindow

TIMEOUT_MS = 30_000
#: The statuses a finished run can have (the CLI's and the core's four).
STATUSES = ("converged", "max_epochs", "diverged", "cycling")


def line_edit(widget: QWidget) -> QLineEdit:
    if isinstance(widget, QAbstractSpinBox):
        return widget.lineEdit()
    assert isinstance(widget, QLineEdit), widget
    return widget


def type_text(qtbot, widget: QWidget, text: str) -> None:
    """Select everything in the field and type ``text`` over it, key by key."""
    edit = line_edit(widget)
    edit.selectAll()
    if text:
        qtbot.keyClicks(edit, text)
    else:
        qtbot.keyClick(edit, Qt.Key.Key_Backspace)


def press_enter(qtbot, widget: QWidget) -> None:
    """Enter, as a person presses it to commit what they typed."""
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def run_buttons(win: MainWindow) -> dict[str, bool]:
    """Whether Step, Play and Run to end are enabled."""
    return {name: win.findChild(QWidget, name).isEnabled()
            for name in ("stepButton", "playButton", "runToEndButton")}


def settle(qtbot, win: MainWindow) -> None:
    """The worker has answered the last command and a frame has been drawn since."""
    qtbot.waitUntil(lambda: win.controller.state in ("ready", "paused", "finished", "empty",
                                                     "error"), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not win.frames.pending, timeout=TIMEOUT_MS)
    win.draw_now()


def plot_widgets(win: MainWindow) -> list[pg.PlotWidget]:
    return [w for w in win.findChildren(pg.PlotWidget)]


def plotted_arrays(win: MainWindow) -> list[tuple[str, object, np.ndarray, np.ndarray]]:
    """Every curve and scatter of every plot: (plot name, item, x, y) as drawn."""
    out = []
    for plot in plot_widgets(win):
        for item in plot.getPlotItem().items:
            if isinstance(item, (pg.PlotDataItem, pg.ScatterPlotItem, pg.PlotCurveItem)):
                x, y = item.getData()
                if x is None or y is None:
                    continue
                out.append((plot.objectName(), item, np.asarray(x, dtype=float),
                            np.asarray(y, dtype=float)))
    return out


def assert_plots_finite(win: MainWindow) -> None:
    """No plot item holds an infinity; NaN only as the gap of a curve drawn with
    ``connect="finite"`` (pyqtgraph's way to leave out undefined points); view ranges finite."""
    for name, item, x, y in plotted_arrays(win):
        assert not np.isinf(x).any() and not np.isinf(y).any(), (name, item)
        if np.isnan(x).any() or np.isnan(y).any():
            connect = getattr(item, "opts", {}).get("connect")
            assert isinstance(item, (pg.PlotDataItem, pg.PlotCurveItem)) \
                and connect == "finite", \
                f"NaN handed to {item} on {name} (connect={connect!r})"
    for plot in plot_widgets(win):
        (x0, x1), (y0, y1) = plot.getPlotItem().getViewBox().viewRange()
        assert all(math.isfinite(v) for v in (x0, x1, y0, y1)), plot.objectName()


class PlotGuard:
    """Watches every ``setData`` of pyqtgraph's curves and scatters while a test runs.

    Records each call that hands a plot an infinity, or a NaN anywhere but in a curve drawn
    with ``connect="finite"`` (pyqtgraph leaves those points out: a gap, as for log(x) at
    x ≤ 0). Calls pyqtgraph makes inside another ``setData`` are not counted twice.
    """

    def __init__(self, monkeypatch) -> None:
        self.bad: list[str] = []
        self.calls = 0
        self._depth = 0
        for cls in (pg.PlotDataItem, pg.ScatterPlotItem, pg.PlotCurveItem):
            monkeypatch.setattr(cls, "setData", self._wrap(cls.setData))

    def _wrap(self, original):  # noqa: ANN001, ANN202 - a method wrapper
        guard = self

        def set_data(item, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            if guard._depth == 0 and threading.current_thread() is threading.main_thread():
                guard._check(item, args, kwargs)
            guard._depth += 1
            try:
                return original(item, *args, **kwargs)
            finally:
                guard._depth -= 1

        return set_data

    def _check(self, item: object, args: tuple, kwargs: dict) -> None:
        self.calls += 1
        arrays = [a for a in args if not isinstance(a, dict)]
        arrays += [kwargs[k] for k in ("x", "y", "pos") if k in kwargs]
        connect = kwargs.get("connect", getattr(item, "opts", {}).get("connect"))
        for a in arrays:
            try:
                values = np.asarray(a, dtype=float)
            except (TypeError, ValueError):
                continue  # spots, brushes: not coordinates
            if np.isinf(values).any():
                self.bad.append(f"an infinity handed to {type(item).__name__}")
            elif np.isnan(values).any() and not (
                    isinstance(item, (pg.PlotDataItem, pg.PlotCurveItem))
                    and connect == "finite"):
                self.bad.append(f"a NaN handed to {type(item).__name__} (connect={connect!r})")
