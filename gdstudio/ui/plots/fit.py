"""The regression plot (``fitPlot``): the data, the current line m·x + c and the least-squares
line. Its axes name the data's columns where the file's header does ("hours (x)"), escaped:
pyqtgraph renders an axis label as HTML, and a column's name is the file's text."""

from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg  # noqa: E402  (after PySide6 on purpose)

# PySide6 first, so pyqtgraph binds to it (and not to another Qt binding it might find).
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from gdstudio.core import RegressionProblem
from gdstudio.ui.model.formatting import column_label, number
from gdstudio.ui.model.run_data import RunData
from gdstudio.ui.plots.base import (
    MAX_SCATTER,
    VIEW_LIMIT,
    FollowingPlot,
    finite_range,
)

__all__ = ["FitPlot"]


#: (data points RGBA, least-squares line, current line) on a light and on a dark background.
_LIGHT_MARKS = ((21, 101, 192, 200), "#388e3c", "#e53935")
_DARK_MARKS = ((100, 181, 246, 200), "#81c784", "#ff6e6e")


class FitPlot(FollowingPlot):
    """Regression: the data, the current line m·x + c, and the least-squares line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("fitPlot", parent)
        self._label("bottom", "x")
        self._label("left", "y")
        self.set_title("Data and the fitted line y = m·x + c")
        self._problem: RegressionProblem | None = None
        self._x_range = (0.0, 1.0)
        self._y_range = (0.0, 1.0)
        self.data_item = pg.ScatterPlotItem(size=6, pen=None, name="data")
        self.least_squares_item = pg.PlotDataItem(name="least squares")
        self.fit_item = pg.PlotDataItem(name="current m·x + c")
        self.recolor(self.backgroundBrush().color().lightness() < 128)
        self.label_item = pg.TextItem(color=self._foreground, anchor=(1, 1))
        for z, item in enumerate((self.data_item, self.least_squares_item, self.fit_item)):
            item.setZValue(10 * z)
            self.addItem(item)
        self.addItem(self.label_item, ignoreBounds=True)
        self.label_item.setZValue(60)

    def recolor(self, dark: bool) -> None:
        """The data, the least-squares line and the current line in colours that read on the
        background: on a dark one, lighter shades and more opaque points (the light theme's
        translucent blue and dark green all but vanish on it)."""
        data, least_squares, line = _DARK_MARKS if dark else _LIGHT_MARKS
        self.data_item.setBrush(pg.mkBrush(*data))
        self.least_squares_item.setPen(pg.mkPen(least_squares, width=2.6 if dark else 2.2,
                                                style=Qt.PenStyle.DashLine))
        self.fit_item.setPen(pg.mkPen(line, width=2.6))

    def set_problem(self, problem: RegressionProblem,
                    least_squares: tuple[float, float] | None) -> None:
        self._problem = problem
        self._label("bottom", html.escape(column_label(problem.x_name, "x")))
        self._label("left", html.escape(column_label(problem.y_name, "y")))
        x, y = problem.x, problem.y
        if x.shape[0] > MAX_SCATTER:  # an even, repeatable subsample: enough to see the cloud
            idx = np.linspace(0, x.shape[0] - 1, MAX_SCATTER).astype(np.int64)
            x, y = x[idx], y[idx]
            self.data_item.opts["name"] = f"data ({MAX_SCATTER:,} of {problem.n:,} shown)"
        else:
            self.data_item.opts["name"] = f"data (n = {problem.n:,})"
        self.data_item.setData(x, y)
        self._x_range = problem.plot_range()
        self._y_range = finite_range(problem.y) or (-1.0, 1.0)
        xs = np.array(self._x_range)
        if least_squares is not None and all(math.isfinite(v) for v in least_squares):
            m, c = least_squares
            self.least_squares_item.setData(xs, m * xs + c)
            self.least_squares_item.opts["name"] = f"least squares ({_line(m, c)})"
        else:
            self.least_squares_item.setData([], [])
        self.legend.clear()
        for item in (self.data_item, self.fit_item, self.least_squares_item):
            self.legend.addItem(item, item.opts["name"])
        self._follow = True
        self.update_view()

    def refresh(self, data: RunData) -> None:
        if data.n == 0 or data.k != 2 or self._problem is None:
            self.fit_item.setData([], [])
            self.label_item.setText("")
            return
        m, c = (float(v) for v in data.params[-1])
        (x_lo, x_hi), (y_lo, y_hi) = self.vb.viewRange()
        xs = np.array([x_lo, x_hi])
        with np.errstate(all="ignore"):
            ys = np.clip(m * xs + c, -VIEW_LIMIT, VIEW_LIMIT)
        if np.isfinite(ys).all():
            self.fit_item.setData(xs, ys)
        else:
            self.fit_item.setData([], [])
        self.label_item.setText(f"epoch {data.n - 1}:  m = {number(m)},  c = {number(c)}")
        self.label_item.setPos(x_hi, y_lo)

    def update_view(self) -> None:
        if self._follow and self._problem is not None:
            self._set_range(self._x_range, self._y_range, pad=0.06)


def _line(m: float, c: float) -> str:
    sign = "+" if c >= 0 else "−"
    return f"y = {number(m, 4)}·x {sign} {number(abs(c), 4)}"
