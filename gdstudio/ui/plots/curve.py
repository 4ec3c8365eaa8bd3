"""The f(x) plot (``curvePlot``): f(x), the iterates joined and coloured by epoch, the current
point, the tangent there (slope f′(x)) and the minimum descent heads for."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg  # noqa: E402  (after PySide6 on purpose)

# PySide6 first, so pyqtgraph binds to it (and not to another Qt binding it might find).
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from gdstudio.core import FunctionProblem
from gdstudio.ui.model.decimate import PathRows
from gdstudio.ui.model.formatting import number
from gdstudio.ui.model.run_data import RunData
from gdstudio.ui.plots.base import (
    EPOCH_BRUSHES,
    EPOCH_LUT,
    VIEW_LIMIT,
    FollowingPlot,
    clamp_around,
    finite_range,
    view_spans,
)

__all__ = ["CurvePlot"]


class CurvePlot(FollowingPlot):
    """f(x) with the path of the iterates, the current point and its tangent."""

    legend_columns = 3

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("curvePlot", parent)
        # Top centre: inside a valley (where descent happens) the top middle is empty.
        self.legend.anchor(itemPos=(0.5, 0), parentPos=(0.5, 0), offset=(0, 6))
        self._label("bottom", "x")
        self._label("left", "f(x)")
        self.set_title("f(x) and the iterates")
        self._problem: FunctionProblem | None = None
        self._base = (-10.0, 10.0)
        self._data: RunData | None = None
        #: Which iterates the path draws (thinned at the view's scale, new rows only while
        #: the run grows).
        self._path_rows = PathRows()
        self._sampled_for: tuple[float, float] | None = None

        self.curve_item = pg.PlotDataItem(pen=pg.mkPen("#1e88e5", width=2.5), name="f(x)",
                                          connect="finite")
        self.tangent_item = pg.PlotDataItem(
            pen=pg.mkPen("#d81b60", width=2, style=Qt.PenStyle.DashLine),
            name="tangent, slope f′(xₜ)",
        )
        self.path_item = pg.PlotDataItem(pen=pg.mkPen((120, 120, 120, 170), width=1.3),
                                         connect="finite")
        self.points_item = pg.ScatterPlotItem(
            size=9, pen=pg.mkPen("w", width=0.8), brush=pg.mkBrush(EPOCH_LUT[128].tolist()),
            name="iterates xₜ (colour: epoch)",
        )
        self.minimum_item = pg.ScatterPlotItem(
            symbol="star", size=18, brush=pg.mkBrush("#43a047"), pen=pg.mkPen("w", width=0.8),
            name="minimum",
        )
        self.current_item = pg.ScatterPlotItem(
            size=15, brush=pg.mkBrush("#e53935"), pen=pg.mkPen("w", width=2), name="current xₜ",
        )
        label_fill = QColor(self.backgroundBrush().color())
        label_fill.setAlpha(200)
        self.label_item = pg.TextItem(color=self._foreground, anchor=(-0.1, 1.1),
                                      fill=pg.mkBrush(label_fill))
        self.label_item.setZValue(60)
        for z, item in enumerate((self.curve_item, self.tangent_item, self.path_item,
                                  self.points_item, self.minimum_item, self.current_item)):
            item.setZValue(10 * z)
            self.addItem(item)
        self.addItem(self.label_item, ignoreBounds=True)
        self.vb.sigXRangeChanged.connect(self._on_x_range_changed)

    # --- inputs ------------------------------------------------------------------------------

    def set_problem(self, problem: FunctionProblem, x0: float,
                    minimum: tuple[float, float] | None = None) -> None:
        """A new function (or start): re-sample f, mark the minimum, follow again."""
        self._problem = problem
        extra = [x0] + ([minimum[0]] if minimum is not None else [])
        self._base = problem.plot_range(extra)
        self._sampled_for = None
        self.set_minimum(minimum)
        self._follow = True
        self._sample(self._base)

    def set_minimum(self, minimum: tuple[float, float] | None) -> None:
        """Mark (x*, f(x*)), or nothing."""
        if minimum is not None:
            self.minimum_item.setData([minimum[0]], [minimum[1]])
            where, height = number(minimum[0], 4), number(minimum[1], 4)
            self.minimum_item.opts["name"] = f"minimum f({where}) = {height}"
        else:
            self.minimum_item.setData([], [])
            self.minimum_item.opts["name"] = "minimum"
        self._relabel_legend()

    def _relabel_legend(self) -> None:
        self.legend.clear()
        for item in (self.curve_item, self.points_item, self.current_item, self.tangent_item,
                     self.minimum_item):
            if item is self.minimum_item and not len(item.data):
                continue
            self.legend.addItem(item, item.opts["name"])
        self.fit_legend()

    def refresh(self, data: RunData) -> None:
        """Draw the run's iterates (called at most once per frame)."""
        self._data = data
        n = data.n
        if n == 0 or self._problem is None or data.k != 1:
            for item in (self.path_item, self.points_item, self.current_item, self.tangent_item):
                item.setData([], [])
            self.label_item.setText("")
            self.update_view()
            return
        self._draw_path(data)
        x_t, f_t, g_t = float(data.params[-1, 0]), float(data.loss[-1]), float(data.grad[-1, 0])
        self.current_item.setData([x_t], [f_t])
        self.update_view()
        self._draw_tangent(x_t, f_t, g_t)
        (x_lo, x_hi), (y_lo, y_hi) = self.vb.viewRange()
        inside = x_lo <= x_t <= x_hi and y_lo <= f_t <= y_hi
        where = "" if inside else "  (off the plot)"
        self.label_item.setText(f"x{_sub(n - 1)} = {number(x_t)}{where}")
        if not inside:  # a point off the plot: say so in the bottom-right corner
            self.label_item.setAnchor((1.02, 1.1))
            self.label_item.setPos(x_hi, y_lo)
            return
        # Above the point, on the side the tangent does not go (inside the valley), unless
        # that would leave the view.
        fx = (x_t - x_lo) / (x_hi - x_lo) if x_hi > x_lo else 0.5
        fy = (f_t - y_lo) / (y_hi - y_lo) if y_hi > y_lo else 0.5
        left = g_t > 0
        if fx > 0.8:
            left = True
        elif fx < 0.2:
            left = False
        self.label_item.setAnchor((1.1 if left else -0.1, -0.1 if fy > 0.85 else 1.1))
        self.label_item.setPos(x_t, f_t)

    def _draw_path(self, data: RunData) -> None:
        """The iterates joined and marked: the rows the path's shape needs at the view's scale
        (all of a short run), each marker in the colour of its own epoch."""
        n = data.n
        idx = self._rows(data)
        xs = data.params[idx, 0]
        ys = data.loss[idx]
        self.path_item.setData(xs, ys)
        epochs = data.epochs_at(idx)
        # The run so far spans the whole colour map: the start dark, the newest bright.
        scale = max(n - 1, 1)
        lut_index = np.minimum((epochs * 255) // scale, 255).astype(np.intp)
        self.points_item.setData(x=xs, y=ys, brush=EPOCH_BRUSHES[lut_index])

    def _rows(self, data: RunData) -> np.ndarray:
        """The rows of ``data`` the path draws."""
        return self._path_rows.rows((data.params[:, 0], data.loss), view_spans(self.vb))

    def redraw_path(self) -> None:
        data = self._data
        if data is not None and data.n and self._problem is not None and data.k == 1:
            self._draw_path(data)

    def iterates(self) -> tuple[np.ndarray, np.ndarray]:
        """The iterates drawn (x, f(x)), for tests and automation."""
        x, y = self.path_item.getData()
        if x is None:
            return np.empty(0), np.empty(0)
        return np.asarray(x), np.asarray(y)

    # --- drawing -----------------------------------------------------------------------------

    def _draw_tangent(self, x_t: float, f_t: float, g_t: float) -> None:
        (x_lo, x_hi), (y_lo, y_hi) = self.vb.viewRange()
        if not (math.isfinite(x_t) and math.isfinite(f_t) and math.isfinite(g_t)):
            self.tangent_item.setData([], [])
            return
        half = 0.14 * (x_hi - x_lo)
        if g_t != 0.0:  # keep the segment inside the view's height, however steep
            half = min(half, 0.35 * (y_hi - y_lo) / abs(g_t))
        xs = np.array([x_t - half, x_t + half])
        self.tangent_item.setData(xs, f_t + g_t * (xs - x_t))

    def _sample(self, x_range: tuple[float, float]) -> None:
        """Evaluate f on a grid over ``x_range`` (plus a margin) for the curve."""
        if self._problem is None:
            return
        lo, hi = x_range
        margin = 0.25 * (hi - lo)
        xs = np.linspace(lo - margin, hi + margin, 1201)
        with np.errstate(all="ignore"):
            ys = np.array(self._problem.loss(xs.reshape(-1, 1)), dtype=float)
        ys[~np.isfinite(ys)] = np.nan
        ys = np.clip(ys, -VIEW_LIMIT, VIEW_LIMIT)
        if np.isfinite(ys).any():
            self.curve_item.setData(xs, ys)
        else:
            self.curve_item.setData([], [])
        self._sampled_for = (lo - margin, hi + margin)

    def _on_x_range_changed(self, _vb: object, x_range: tuple[float, float]) -> None:
        lo, hi = float(x_range[0]), float(x_range[1])
        have = self._sampled_for
        if have is None or lo < have[0] or hi > have[1] or (hi - lo) < 0.2 * (have[1] - have[0]):
            self._sample((lo, hi))

    def update_view(self) -> None:
        if not self._follow or self._problem is None:
            return
        lo, hi = self._base
        data = self._data
        ys_iter = np.empty(0)
        if data is not None and data.n and data.k == 1:
            # running extremes (O(1)); the heights of the drawn iterates (a few thousand)
            if math.isfinite(data.param_min[0]) and math.isfinite(data.param_max[0]):
                lo, hi = min(lo, float(data.param_min[0])), max(hi, float(data.param_max[0]))
                lo, hi = clamp_around(lo, hi, self._base)
            idx = self._rows(data)
            xs = data.params[idx, 0]
            inside = np.isfinite(xs) & (xs >= lo) & (xs <= hi)
            ys_iter = data.loss[idx][inside]
        self._sample((lo, hi))
        cx, cy = self.curve_item.getData()
        y_range = None
        if cx is not None and len(cx):
            shown = (cx >= lo) & (cx <= hi)
            y_range = finite_range(np.concatenate([cy[shown], ys_iter]))
            if y_range is not None and data is not None and data.n > 1:
                y_range = self._onto_iterates(y_range, (lo, hi), cx, cy, ys_iter, data)
        if y_range is None:
            y_range = finite_range(ys_iter) or (-1.0, 1.0)
        self._set_range((lo, hi), y_range, pad=0.04)

    @staticmethod
    def _onto_iterates(y_range: tuple[float, float], x_range: tuple[float, float],
                       cx: np.ndarray, cy: np.ndarray, ys_iter: np.ndarray,
                       data: RunData) -> tuple[float, float]:
        """The heights to frame: the curve's over the whole view, unless the iterates span
        much of the view's width and the curve beside them (f beyond the start of exp(x),
        10⁴ times f(x₀)) would squash them into a line at the bottom: then the curve's over
        the iterates' span only, and the iterates'."""
        a, b = float(data.param_min[0]), float(data.param_max[0])
        if not (math.isfinite(a) and math.isfinite(b)) or b - a < 0.2 * (x_range[1] - x_range[0]):
            return y_range
        near = (cx >= a) & (cx <= b)
        framed = finite_range(np.concatenate([cy[near], ys_iter]))
        if framed is None or framed[1] - framed[0] >= 0.1 * (y_range[1] - y_range[0]):
            return y_range
        return framed


def _sub(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
