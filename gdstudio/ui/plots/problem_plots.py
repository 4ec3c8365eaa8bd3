"""The plots (pyqtgraph). Each panel creates its items once and then only calls ``setData``.

* :class:`CurvePlot` (``curvePlot``): f(x), the iterates joined and coloured by epoch, the
  current point, the tangent there (slope f′(x)) and the minimum descent heads for.
* :class:`FitPlot` (``fitPlot``): the data, the current line m·x + c, the least-squares line.
* :class:`LossPlot` (``lossPlot``): loss per epoch, linear or log (then loss − loss*), with
  marks where the learning rate changed.

Ranges are set here, not by pyqtgraph's auto-range: they follow the run while the person has
not panned or zoomed, always stay finite, and are clamped so a diverging run cannot blow the
view up to 10³⁰⁰ (the plot stays readable and the status bar says what happened). Panels are
redrawn by the window at most once per frame, from :class:`~gdstudio.ui.model.run_data.RunData`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg  # noqa: E402  (after PySide6 on purpose)

# PySide6 first, so pyqtgraph binds to it (and not to another Qt binding it might find).
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QPaintEvent, QPalette
from PySide6.QtWidgets import QWidget

from gdstudio.core import FunctionProblem, RegressionProblem
from gdstudio.ui.model.envelope import PeakEnvelope
from gdstudio.ui.model.formatting import number
from gdstudio.ui.model.run_data import LrChange, RunData

__all__ = ["CurvePlot", "FitPlot", "LossPlot", "MAX_MARKERS", "VIEW_LIMIT"]

#: Iterates drawn as markers (and joined) on the curve: the first and last half of this many.
MAX_MARKERS = 400
#: Data points drawn in the fit plot's scatter (an even subsample beyond).
MAX_SCATTER = 20_000
#: No view range ever extends beyond ±VIEW_LIMIT.
VIEW_LIMIT = 1e30
#: A following view widens to hold the iterates, but to at most this many times its base width.
MAX_WIDEN = 25.0

pg.setConfigOptions(antialias=True)

_VIRIDIS = pg.colormap.get("viridis")
_EPOCH_LUT = _VIRIDIS.getLookupTable(0.0, 0.92, nPts=256, alpha=False)  # skip the palest yellow
_EPOCH_BRUSHES = np.array([pg.mkBrush(int(r), int(g), int(b)) for r, g, b in _EPOCH_LUT],
                          dtype=object)


def _finite_range(values: np.ndarray) -> tuple[float, float] | None:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return None
    return float(v.min()), float(v.max())


def _safe_range(lo: float, hi: float, pad: float = 0.05) -> tuple[float, float]:
    """A finite, non-empty, padded range within ±VIEW_LIMIT."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = -1.0, 1.0
    if hi < lo:
        lo, hi = hi, lo
    span = hi - lo
    if span <= 1e-12 * max(1.0, abs(lo), abs(hi)):
        half = max(1e-9, 0.05 * max(abs(lo), abs(hi)), 0.5 if abs(lo) < 1e-9 else 0.0)
        lo, hi = lo - half, hi + half
        span = hi - lo
    lo, hi = lo - pad * span, hi + pad * span
    return max(lo, -VIEW_LIMIT), min(hi, VIEW_LIMIT)


def _clamp_around(lo: float, hi: float, base: tuple[float, float]) -> tuple[float, float]:
    """[lo, hi] cut to at most MAX_WIDEN base widths around the base range's centre."""
    centre = 0.5 * (base[0] + base[1])
    half = 0.5 * MAX_WIDEN * (base[1] - base[0])
    return max(lo, centre - half), min(hi, centre + half)


def _nice_ceil(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^k that is ≥ value (value > 0)."""
    exponent = math.floor(math.log10(value))
    for mantissa in (1.0, 2.0, 5.0, 10.0):
        candidate = mantissa * 10.0 ** exponent
        if candidate >= value:
            return candidate
    return 10.0 ** (exponent + 1)  # pragma: no cover - rounding


def _show_indices(n: int, limit: int = MAX_MARKERS) -> np.ndarray | slice:
    """Which of n iterates to draw: all, or the first and last limit/2."""
    if n <= limit:
        return slice(0, n)
    half = limit // 2
    return np.r_[0:half, n - half : n]


class _Plot(pg.PlotWidget):
    """A plot that follows the run until the person pans or zooms, then leaves the view alone."""

    followChanged = Signal(bool)
    #: Legend entries per row (several: a compact legend across the top of the plot).
    legend_columns = 1

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        palette = parent.palette() if parent is not None else QPalette()
        super().__init__(parent, background=palette.color(QPalette.ColorRole.Base))
        self.setObjectName(name)
        self._foreground = palette.color(QPalette.ColorRole.Text)
        item = self.getPlotItem()
        item.hideButtons()  # our "Fit view" replaces pyqtgraph's auto-range button
        # Keep the view box's menu (view all, axes, export) but not "Plot Options": its log,
        # FFT and downsampling switches would fight the ranges and modes this panel sets.
        item.setMenuEnabled(enableMenu=False, enableViewBoxMenu=True)
        item.showGrid(x=True, y=True, alpha=0.18)
        self.vb = item.getViewBox()
        self.vb.disableAutoRange()
        self.vb.setLimits(xMin=-VIEW_LIMIT, xMax=VIEW_LIMIT, yMin=-VIEW_LIMIT, yMax=VIEW_LIMIT)
        self.vb.sigRangeChangedManually.connect(self._on_manual_range)
        font = QFont(self.font())
        for axis_name in ("left", "bottom"):
            axis = item.getAxis(axis_name)
            axis.setPen(pg.mkPen(self._foreground, width=1))
            axis.setTextPen(pg.mkPen(self._foreground))
            axis.setTickFont(font)
            # Major and minor grid lines, not the third level: it halves the cost of a repaint.
            axis.setStyle(maxTickLevel=1)
        base = QColor(palette.color(QPalette.ColorRole.Base))
        base.setAlpha(225)
        self.legend = item.addLegend(offset=(8, 8), labelTextColor=self._foreground,
                                     brush=pg.mkBrush(base),
                                     pen=pg.mkPen(palette.color(QPalette.ColorRole.Mid)),
                                     colCount=self.legend_columns)
        self.legend.setZValue(100)
        self._follow = True
        self.paint_ms = 0.0
        #: Called after each repaint (the window uses it to tell the worker a frame is done).
        self.after_paint: Callable[[], None] | None = None

    @property
    def following(self) -> bool:
        return self._follow

    def paintEvent(self, event: QPaintEvent) -> None:
        began = time.perf_counter()
        super().paintEvent(event)
        #: How long the last repaint took, so the window can pace its frames.
        self.paint_ms = 1000.0 * (time.perf_counter() - began)
        if self.after_paint is not None:
            self.after_paint()

    def _on_manual_range(self, *_args: object) -> None:
        if self._follow:
            self._follow = False
            self.followChanged.emit(False)

    def fit_view(self) -> None:
        """Follow the run again and frame it."""
        self._follow = True
        self.followChanged.emit(True)
        self.update_view()

    def update_view(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _set_range(self, x: tuple[float, float], y: tuple[float, float], pad: float = 0.05) -> None:
        self.vb.setRange(xRange=_safe_range(*x, pad=pad), yRange=_safe_range(*y, pad=pad),
                         padding=0, update=True)

    def set_title(self, text: str) -> None:
        self.getPlotItem().setTitle(text, color=self._foreground, size="11pt")

    def _label(self, axis: str, text: str) -> None:
        self.getPlotItem().setLabel(axis, text, color=self._foreground.name())


# --------------------------------------------------------------------------------------------


class CurvePlot(_Plot):
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
            size=9, pen=pg.mkPen("w", width=0.8), brush=pg.mkBrush(_EPOCH_LUT[128].tolist()),
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
        idx = _show_indices(n)
        xs = data.params[idx, 0]
        ys = data.loss[idx]
        self.path_item.setData(xs, ys)
        epochs = data.epochs_at(idx)
        # The run so far spans the whole colour map: the start dark, the newest bright.
        scale = max(n - 1, 1)
        lut_index = np.minimum((epochs * 255) // scale, 255).astype(np.intp)
        self.points_item.setData(x=xs, y=ys, brush=_EPOCH_BRUSHES[lut_index])
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
            # running extremes (O(1)); the heights of the drawn iterates (≤ MAX_MARKERS)
            if math.isfinite(data.param_min[0]) and math.isfinite(data.param_max[0]):
                lo, hi = min(lo, float(data.param_min[0])), max(hi, float(data.param_max[0]))
                lo, hi = _clamp_around(lo, hi, self._base)
            idx = _show_indices(data.n)
            xs = data.params[idx, 0]
            inside = np.isfinite(xs) & (xs >= lo) & (xs <= hi)
            ys_iter = data.loss[idx][inside]
        self._sample((lo, hi))
        cx, cy = self.curve_item.getData()
        y_range = None
        if cx is not None and len(cx):
            shown = (cx >= lo) & (cx <= hi)
            y_range = _finite_range(np.concatenate([cy[shown], ys_iter]))
        if y_range is None:
            y_range = _finite_range(ys_iter) or (-1.0, 1.0)
        self._set_range((lo, hi), y_range, pad=0.04)


def _sub(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


# --------------------------------------------------------------------------------------------


class FitPlot(_Plot):
    """Regression: the data, the current line m·x + c, and the least-squares line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("fitPlot", parent)
        self._label("bottom", "x")
        self._label("left", "y")
        self.set_title("Data and the fitted line y = m·x + c")
        self._problem: RegressionProblem | None = None
        self._x_range = (0.0, 1.0)
        self._y_range = (0.0, 1.0)
        self.data_item = pg.ScatterPlotItem(size=6, pen=None, brush=pg.mkBrush(30, 136, 229, 120),
                                            name="data")
        self.least_squares_item = pg.PlotDataItem(
            pen=pg.mkPen("#43a047", width=2.2, style=Qt.PenStyle.DashLine), name="least squares",
        )
        self.fit_item = pg.PlotDataItem(pen=pg.mkPen("#e53935", width=2.6), name="current m·x + c")
        self.label_item = pg.TextItem(color=self._foreground, anchor=(1, 1))
        for z, item in enumerate((self.data_item, self.least_squares_item, self.fit_item)):
            item.setZValue(10 * z)
            self.addItem(item)
        self.addItem(self.label_item, ignoreBounds=True)
        self.label_item.setZValue(60)

    def set_problem(self, problem: RegressionProblem,
                    least_squares: tuple[float, float] | None) -> None:
        self._problem = problem
        x, y = problem.x, problem.y
        if x.shape[0] > MAX_SCATTER:  # an even, repeatable subsample: enough to see the cloud
            idx = np.linspace(0, x.shape[0] - 1, MAX_SCATTER).astype(np.int64)
            x, y = x[idx], y[idx]
            self.data_item.opts["name"] = f"data ({MAX_SCATTER:,} of {problem.n:,} shown)"
        else:
            self.data_item.opts["name"] = f"data (n = {problem.n:,})"
        self.data_item.setData(x, y)
        self._x_range = problem.plot_range()
        self._y_range = _finite_range(problem.y) or (-1.0, 1.0)
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


# --------------------------------------------------------------------------------------------


class LossPlot(_Plot):
    """Loss per epoch; on a log scale it shows loss − loss* when the optimum is known."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("lossPlot", parent)
        self._label("bottom", "epoch")
        self.set_title("Loss per epoch")
        self._log = False
        self._optimum = math.nan
        self._data: RunData | None = None
        self._envelope = PeakEnvelope(max_bins=2048)
        self._mode: tuple[bool, float] = (False, math.nan)
        self.loss_item = pg.PlotDataItem(pen=pg.mkPen("#8e24aa", width=2.2), name="loss",
                                         connect="finite")
        self.current_item = pg.ScatterPlotItem(size=11, brush=pg.mkBrush("#e53935"),
                                               pen=pg.mkPen("w", width=1.5), name="current")
        self.optimum_line = pg.InfiniteLine(
            angle=0, movable=False, pen=pg.mkPen("#43a047", width=1.5, style=Qt.PenStyle.DashLine),
            label="", labelOpts={"position": 0.97, "color": QColor("#2e7d32"),
                                 "anchors": [(1, 1), (1, 1)]},
        )
        self.optimum_line.hide()
        self.addItem(self.optimum_line, ignoreBounds=True)
        # Long runs: draw ~5 samples per pixel (min/max of each bin), only what is in view.
        # Set on the PlotItem, before adding items: PlotItem.addItem imposes the plot's own
        # settings on its data items (and pyqtgraph 0.14 fails re-applying them to scatters).
        self.getPlotItem().setDownsampling(auto=True, mode="peak")
        self.getPlotItem().setClipToView(True)
        self.addItem(self.loss_item)
        self.addItem(self.current_item)
        self.current_item.setZValue(20)
        self._lr_lines: list[pg.InfiniteLine] = []
        #: (min, max) of other curves drawn here (a race's lanes), in the values shown.
        self.lane_range: tuple[float, float] | None = None
        self.legend.hide()
        self._update_labels()

    @property
    def log_scale(self) -> bool:
        return self._log

    def set_log_scale(self, on: bool) -> None:
        if on == self._log:
            return
        self._log = on
        self.getPlotItem().setLogMode(x=False, y=on)
        self._update_labels()
        self._update_optimum_line()
        self._follow = True
        if self._data is not None:
            self.refresh(self._data)

    def set_optimum(self, loss_star: float) -> None:
        """The loss at the minimum (nan if unknown): the log scale shows loss − loss*."""
        self._optimum = float(loss_star)
        self._update_labels()
        self._update_optimum_line()

    def _update_optimum_line(self) -> None:
        if math.isfinite(self._optimum) and not self._log:
            self.optimum_line.setPos(self._optimum)
            self.optimum_line.show()  # before the text: a hidden label ignores new text
            self.optimum_line.label.setFormat(f"loss* = {number(self._optimum, 6)}")
        else:
            self.optimum_line.hide()

    def _gap_mode(self) -> bool:
        return self._log and math.isfinite(self._optimum)

    def _update_labels(self) -> None:
        if self._gap_mode():
            self._label("left", "loss − loss* (log scale)")
        elif self._log:
            self._label("left", "loss (log scale)")
        else:
            self._label("left", "loss")

    def reset(self) -> None:
        for line in self._lr_lines:
            self.removeItem(line)
        self._lr_lines.clear()
        self._follow = True
        self._envelope.clear()

    def mark_lr_change(self, change: LrChange) -> None:
        line = pg.InfiniteLine(
            pos=change.epoch, angle=90, movable=False,
            pen=pg.mkPen("#fb8c00", width=1.5, style=Qt.PenStyle.DotLine),
            label=f"lr → {number(change.lr, 4)}",
            labelOpts={"position": 0.92, "color": QColor("#e65100"),
                       "anchors": [(0, 0.5), (0, 0.5)]},
        )
        self.addItem(line, ignoreBounds=True)
        self._lr_lines.append(line)

    def shown_loss(self, loss: np.ndarray) -> np.ndarray:
        """The loss as the plot shows it (log scale: loss − loss*)."""
        return self._shown(loss)

    def mode_key(self) -> tuple[bool, float]:
        """What the drawn curve depends on besides the rows (scale, optimum)."""
        return self._mode_key()

    def _shown(self, loss: np.ndarray) -> np.ndarray:
        """The values plotted for these losses: loss, or on a log scale loss − loss* (> 0)."""
        if not self._log:
            return loss
        with np.errstate(all="ignore"):
            y = loss - self._optimum if self._gap_mode() else np.array(loss, dtype=float)
        y[~(y > 0)] = np.nan  # log of ≤ 0 is undefined: leave a gap
        return y

    def refresh(self, data: RunData, at: int | None = None) -> None:
        """Draw the loss (O(new rows) while following the whole run); the marker at epoch
        ``at`` (the newest when None)."""
        if data is not self._data or data.n < self._envelope.n or self._mode != self._mode_key():
            self._envelope.clear()  # a new run, or a new way of showing it
            self._data = data
            self._mode = self._mode_key()
        n = data.n
        if n > self._envelope.n:
            self._envelope.extend(self._shown(data.loss[self._envelope.n : n]))
        if n == 0:
            self.loss_item.setData([], [])
            self.current_item.setData([], [])
            self.update_view()
            return
        if self._follow:
            x, y = self._envelope.xy()
        else:  # zoomed in by hand: the exact values in view (pyqtgraph downsamples them)
            (x_lo, x_hi), _ = self.vb.viewRange()
            i0 = max(0, int(math.floor(x_lo)) - 1)
            i1 = min(n, int(math.ceil(x_hi)) + 2)
            x, y = data.epochs_at(slice(i0, i1)), self._shown(data.loss[i0:i1])
        if x.size and np.isfinite(y).any():
            self.loss_item.setData(x, y)
        else:
            self.loss_item.setData([], [])
        t = n - 1 if at is None else max(0, min(int(at), n - 1))
        last = float(self._shown(data.loss[t : t + 1])[0])
        if math.isfinite(last):
            # a scatter is not transformed by the log mode: place it in view coordinates
            self.current_item.setData([float(t)], [math.log10(last) if self._log else last])
        else:
            self.current_item.setData([], [])
        self.update_view()

    def _on_manual_range(self, *args: object) -> None:
        super()._on_manual_range(*args)
        if self._data is not None:
            self.refresh(self._data)  # the exact values of the new view

    def _mode_key(self) -> tuple[bool, float]:
        return (self._log, self._optimum if self._gap_mode() else math.nan)

    def update_view(self) -> None:
        if not self._follow:
            return
        data = self._data
        n = data.n if data is not None else 0
        planned = data.planned_epochs if data is not None else 0
        # Up to 1000 planned epochs the axis spans them all; beyond, it grows in 1-2-5 steps
        # (a new axis ten-odd times in a run, not at every frame: redrawing the ticks costs).
        x_hi = float(planned if 0 < planned <= 1000 else min(_nice_ceil(max(n - 1, 10)),
                                                              max(planned, n - 1)))
        x_hi = max(x_hi, float(n - 1), 1.0)
        r = self._envelope.value_range() if n else None
        if self.lane_range is not None:
            r = self.lane_range if r is None else (min(r[0], self.lane_range[0]),
                                                   max(r[1], self.lane_range[1]))
        if self._log:
            # view coordinates are log10(value) in log mode; the values shown are all > 0
            r = (math.log10(r[0]), math.log10(r[1])) if r is not None else (-1.0, 1.0)
            if r[1] - r[0] < 1.0:  # at least a decade, so the axis has labelled ticks
                mid = 0.5 * (r[0] + r[1])
                r = (mid - 0.5, mid + 0.5)
        else:
            if r is None:
                r = (0.0, 1.0)
            if math.isfinite(self._optimum) and n:
                # the floor descent can reach: the distance to it is what the eye should see
                r = (min(r[0], self._optimum), max(r[1], self._optimum))
            elif 0.0 <= r[0] < 0.5 * r[1]:
                r = (0.0, r[1])
        self._set_range((0.0, x_hi), r, pad=0.04)
