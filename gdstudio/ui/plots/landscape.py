"""Loss landscapes over two parameters: a heat map with contour lines, and the descent on it.

:class:`LandscapePlot` serves two panels:

* ``surfacePlot``: f(x, y) for the "Surface" problems (Rosenbrock, Himmelblau, …);
* ``landscapePlot``: the regression's MSE over (m, c), with the least-squares optimum marked —
  the long, narrow valley that makes c crawl at lr = 10⁻⁴. With feature scaling on, it is drawn
  in the standardised coordinates descent actually works in (its title says so).

The colours and contours show log₁₀(f − f_min): a landscape's interesting part (the valley)
spans decades below its rim. The run's trajectory is drawn on top (points coloured by epoch, the
current point, the start), or one coloured path per lane in a race. Clicking the map moves the
start there; hovering shows the point and the value. The map is re-sampled (debounced) when the
view moves out of, or far into, what was sampled.

A :class:`Landscape` says what to draw; :func:`surface_landscape` and
:func:`regression_landscape` build one from a problem (no mathematics here beyond evaluating the
core's own loss on a grid, and the affine change to scaled coordinates).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QTimer, Signal
from PySide6.QtWidgets import QWidget

from gdstudio.core import FunctionProblem, RegressionProblem
from gdstudio.ui.model.contours import contour_levels, contour_segments, log_surface
from gdstudio.ui.model.decimate import PathRows
from gdstudio.ui.model.formatting import number, pretty_math
from gdstudio.ui.model.run_data import RunData
from gdstudio.ui.plots.base import (
    EPOCH_BRUSHES,
    VIEW_LIMIT,
    FollowingPlot,
    clamp_around,
    view_spans,
)
from gdstudio.ui.plots.race_layers import LanePaths
from gdstudio.ui.plots.readouts import PlotPointer

__all__ = [
    "Landscape",
    "LandscapePlot",
    "surface_landscape",
    "regression_landscape",
    "GRID_POINTS",
    "LANDSCAPE_COLOURS",
]

#: Samples per axis of the map.
GRID_POINTS = 181
#: The map's colours, low → high: pale where descent ends up, so coloured paths stand out.
#: (ColorBrewer's "Blues", safe for colour-blind eyes and in print.)
LANDSCAPE_COLOURS = ("#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6",
                     "#2171b5")
_CONTOUR_LEVELS = 16

Sampler = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _identity(points: np.ndarray) -> np.ndarray:
    return points


@dataclass(frozen=True, eq=False)
class Landscape:
    """What a :class:`LandscapePlot` draws. Coordinates are the view's ("x", "y" below)."""

    title: str
    names: tuple[str, str]
    value_name: str
    sampler: Sampler  # (X, Y) grids → values
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    minimum: tuple[float, float] | None = None
    minimum_label: str = "minimum"
    floor: float | None = None  # the lowest value, if known (the minimum's)
    to_view: Callable[[np.ndarray], np.ndarray] = field(default=_identity)
    from_view: Callable[[np.ndarray], np.ndarray] = field(default=_identity)
    aspect_locked: bool = False
    note: str = ""
    tip: str = ""

    def value(self, x: float, y: float) -> float:
        with np.errstate(all="ignore"):
            out = np.asarray(self.sampler(np.array([[x]]), np.array([[y]])), dtype=float)
        return float(out.reshape(-1)[0])


def _span(*values: float, pad: float = 0.3, minimum: float = 0.5) -> tuple[float, float]:
    finite = [v for v in values if math.isfinite(v)]
    lo, hi = (min(finite), max(finite)) if finite else (-1.0, 1.0)
    width = max(hi - lo, minimum, 0.05 * max(abs(lo), abs(hi)))
    mid = 0.5 * (lo + hi)
    half = 0.5 * width * (1 + 2 * pad)
    return mid - half, mid + half


def surface_landscape(problem: FunctionProblem, start: tuple[float, float],
                      point: tuple[float, float] | None = None, kind: str = "minimum",
                      f_min: float | None = None, pretty: str | None = None) -> Landscape:
    """f(x, y) over the problem's own range (widened to hold the start and the point).
    ``pretty`` is f as SymPy prints it (the theory's, worked out off the GUI thread); until it
    is known the title shows f as typed (no SymPy here)."""
    fn = problem.expression.numpy_function

    def sampler(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(fn(X, Y), dtype=float), X.shape)

    extra_x = [start[0]] + ([point[0]] if point is not None else [])
    extra_y = [start[1]] + ([point[1]] if point is not None else [])
    x_range = problem.plot_range(extra_x, axis=0)
    y_range = problem.plot_range(extra_y, axis=1)
    if problem.x_range is None:  # a typed f(x, y): around the start and the point
        x_range = _span(*extra_x, minimum=4.0)
    if problem.y_range is None:
        y_range = _span(*extra_y, minimum=4.0)
    names = (problem.variables[0], problem.variables[1])
    shown = pretty_math(pretty or problem.text.replace("**", "^"))
    return Landscape(
        title=f"f({names[0]}, {names[1]}) = {shown}",
        names=names, value_name="f", sampler=sampler, x_range=x_range, y_range=y_range,
        minimum=point if kind == "minimum" else None,
        minimum_label=(f"minimum ({number(point[0], 4)}, {number(point[1], 4)})"
                       if point is not None else "minimum"),
        floor=f_min if kind == "minimum" else None,
    )


def regression_landscape(problem: RegressionProblem, start: tuple[float, float],
                         optimum: tuple[float, float] | None, loss_star: float | None,
                         *, scaled: bool = False, condition: float | None = None) -> Landscape:
    """The MSE over (m, c); with ``scaled``, over the standardised coordinates (m′, c′).

    ``condition``: the Hessian's condition number (of the coordinates drawn), for the title.
    """
    to_view: Callable[[np.ndarray], np.ndarray]
    from_view: Callable[[np.ndarray], np.ndarray]
    if scaled:
        from gdstudio.core.descent.minibatch import scaled_problem

        target, mean, std = scaled_problem(problem)

        def to_view(P: np.ndarray) -> np.ndarray:
            P = np.asarray(P, dtype=float)
            return np.column_stack([P[:, 0] * std, P[:, 1] + P[:, 0] * mean])

        def from_view(P: np.ndarray) -> np.ndarray:
            P = np.asarray(P, dtype=float)
            m = P[:, 0] / std
            return np.column_stack([m, P[:, 1] - m * mean])
    else:
        target, to_view, from_view = problem, _identity, _identity

    def sampler(M: np.ndarray, C: np.ndarray) -> np.ndarray:
        rows = np.column_stack([np.ravel(M), np.ravel(C)])
        with np.errstate(all="ignore"):
            return np.asarray(target.loss(rows), dtype=float).reshape(np.shape(M))

    s = to_view(np.array([start], dtype=float))[0]
    pts = [s]
    best = None
    if optimum is not None and all(math.isfinite(v) for v in optimum):
        best = to_view(np.array([optimum], dtype=float))[0]
        pts.append(best)
    xs, ys = [float(p[0]) for p in pts], [float(p[1]) for p in pts]
    names = ("m′", "c′") if scaled else ("m", "c")
    title = "MSE, x standardised" if scaled else "MSE over (m, c)"
    if condition is not None and math.isfinite(condition):
        title += f"  ·  κ = {number(condition, 3)}"
    return Landscape(
        title=title, names=names, value_name="MSE", sampler=sampler,
        x_range=_span(*xs, minimum=0.2), y_range=_span(*ys, minimum=0.2),
        minimum=(float(best[0]), float(best[1])) if best is not None else None,
        minimum_label="least squares (m*, c*)" if not scaled else "least squares (m′*, c′*)",
        floor=loss_star, to_view=to_view, from_view=from_view,
        note="scaled" if scaled else "",
        tip=("The MSE over the coordinates descent works in when x is standardised: "
             "m′ = m·s, c′ = c + m·x̄ (s the standard deviation of x, x̄ its mean). The "
             "valley is round: every direction converges at the same pace." if scaled else
             "The MSE over (m, c). With x spread over tens of units the valley is long and "
             "narrow (condition number κ = λmax/λmin): a learning rate small enough for the "
             "steep m direction makes c crawl along the valley floor."),
    )


class LandscapePlot(FollowingPlot):
    """A heat map with contour lines of log₁₀(value − min), and the run (or race) on it."""

    #: The person clicked the map: the new start, in the problem's own coordinates.
    startClicked = Signal(float, float)

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(name, parent)
        # pyqtgraph lays the plot out at its title's width at least: never narrower than that.
        self.setMinimumWidth(330)
        self.legend.anchor(itemPos=(1, 0), parentPos=(1, 0), offset=(-8, 8))
        self._landscape: Landscape | None = None
        self._data: RunData | None = None
        self._sampled: tuple[tuple[float, float], tuple[float, float]] | None = None
        self._lane_box: tuple[float, float, float, float] | None = None
        #: Which iterates the path draws (thinned at the view's scale, new rows only while
        #: the run grows).
        self._path_rows = PathRows()
        self.cmap = pg.ColorMap(np.linspace(0.0, 1.0, len(LANDSCAPE_COLOURS)),
                                [pg.mkColor(c) for c in LANDSCAPE_COLOURS])
        self.image_item = pg.ImageItem(axisOrder="col-major")
        self.image_item.setLookupTable(self.cmap.getLookupTable(nPts=256))
        self.contour_item = pg.PlotDataItem(pen=pg.mkPen((45, 60, 85, 110), width=1),
                                            connect="pairs")
        self.path_item = pg.PlotDataItem(pen=pg.mkPen((38, 50, 56, 220), width=1.6),
                                         connect="finite")
        self.points_item = pg.ScatterPlotItem(size=7, pen=pg.mkPen("w", width=0.7),
                                              name="iterates (colour: epoch)")
        self.start_item = pg.ScatterPlotItem(size=13, brush=pg.mkBrush(255, 255, 255, 230),
                                             pen=pg.mkPen("#263238", width=2), name="start")
        self.minimum_item = pg.ScatterPlotItem(symbol="star", size=20, brush=pg.mkBrush("#43a047"),
                                               pen=pg.mkPen("w", width=1), name="minimum")
        self.current_item = pg.ScatterPlotItem(size=15, brush=pg.mkBrush("#e53935"),
                                               pen=pg.mkPen("w", width=2), name="current")
        self.label_item = pg.TextItem(color=self._foreground, anchor=(1.02, 1.1),
                                      fill=pg.mkBrush(255, 255, 255, 200))
        items = (self.image_item, self.contour_item, self.path_item, self.points_item,
                 self.start_item, self.minimum_item, self.current_item)
        for z, item in zip((-100, -50, 10, 20, 150, 160, 170), items, strict=True):
            item.setZValue(z)
            self.addItem(item)
        self.addItem(self.label_item, ignoreBounds=True)
        self.label_item.setZValue(200)
        self._colour_bar: pg.ColorBarItem | None = None  # made with the first map (start-up)
        self.lanes = LanePaths(self, z=60, symbol_size=4, marker_size=14, outline=True)
        self.pointer = PlotPointer(self, self._readout)
        self.pointer.clicked.connect(self._on_clicked)
        self._resample_timer = QTimer(self)
        self._resample_timer.setSingleShot(True)
        self._resample_timer.setInterval(120)
        self._resample_timer.timeout.connect(self._resample)
        self.vb.sigRangeChanged.connect(self._on_range_changed)

    # --- what to draw ------------------------------------------------------------------------

    @property
    def colour_bar(self) -> pg.ColorBarItem:
        """The scale beside the map (built on first use: the window starts without a map)."""
        if self._colour_bar is None:
            self._colour_bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=self.cmap, width=14,
                                               interactive=False, colorMapMenu=False)
            self._colour_bar.setImageItem(self.image_item, insert_in=self.getPlotItem())
        return self._colour_bar

    @property
    def landscape(self) -> Landscape | None:
        return self._landscape

    def set_landscape(self, landscape: Landscape, start: tuple[float, float]) -> None:
        """A new map (problem, start or scaling): sample it now and follow the run again."""
        self._landscape = landscape
        self.set_title(landscape.title)
        base_tip = ("Colours and contours: log₁₀ of the height above the lowest value. Click to "
                    "start from there; drag to pan, wheel to zoom.")
        self.setToolTip(f"{landscape.tip} {base_tip}".strip())
        self._label("bottom", landscape.names[0])
        self._label("left", landscape.names[1])
        self.colour_bar.axis.setLabel(f"log₁₀({landscape.value_name} − min)",
                                      color=self._foreground.name())
        self.vb.setAspectLocked(landscape.aspect_locked)
        if landscape.minimum is not None:
            self.minimum_item.setData([landscape.minimum[0]], [landscape.minimum[1]])
        else:
            self.minimum_item.setData([], [])
        self.minimum_item.opts["name"] = landscape.minimum_label
        self.set_start(start)
        self._place_legend(landscape, start)
        self._lane_box = None
        self._follow = True
        self._sampled = None
        self._set_range(landscape.x_range, landscape.y_range, pad=0.0)
        self._resample()
        self.relabel_legend()

    def _place_legend(self, land: Landscape, start: tuple[float, float]) -> None:
        """The legend in the top corner farther from the start and the minimum."""
        (x_lo, x_hi), (y_lo, y_hi) = land.x_range, land.y_range
        points = [land.to_view(np.array([start], dtype=float))[0]]
        if land.minimum is not None:
            points.append(np.array(land.minimum))
        norm = [((p[0] - x_lo) / (x_hi - x_lo), (p[1] - y_lo) / (y_hi - y_lo)) for p in points]
        left = min(math.hypot(x, 1 - y) for x, y in norm)
        right = min(math.hypot(1 - x, 1 - y) for x, y in norm)
        if left > right:
            self.legend.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(8, 8))
        else:
            self.legend.anchor(itemPos=(1, 0), parentPos=(1, 0), offset=(-8, 8))

    def set_start(self, start: tuple[float, float]) -> None:
        if self._landscape is None:
            return
        s = self._landscape.to_view(np.array([start], dtype=float))[0]
        self.start_item.setData([float(s[0])], [float(s[1])])

    def relabel_legend(self) -> None:
        self.legend.clear()
        if self.lanes.active:
            for item, label in self.lanes.legend_entries():
                self.legend.addItem(item, label)
        else:
            self.legend.addItem(self.points_item, self.points_item.opts["name"])
            self.legend.addItem(self.current_item, "current point")
        self.legend.addItem(self.start_item, "start (click to move)")
        if len(self.minimum_item.data):
            self.legend.addItem(self.minimum_item, self.minimum_item.opts["name"])

    # --- the run -----------------------------------------------------------------------------

    def view_points(self, params: np.ndarray) -> np.ndarray:
        """Parameter rows (n, 2) in the map's coordinates."""
        if self._landscape is None or not len(params):
            return np.asarray(params, dtype=float).reshape(-1, 2)
        with np.errstate(all="ignore"):
            return self._landscape.to_view(np.asarray(params, dtype=float).reshape(-1, 2))

    def refresh(self, data: RunData) -> None:
        """Draw a single run's trajectory (``data`` may be a view up to a scrubbed epoch)."""
        self._data = data
        n = data.n
        single = not self.lanes.active
        for item in (self.path_item, self.points_item, self.current_item):
            item.setVisible(single)
        if n == 0 or data.k != 2 or self._landscape is None:
            for item in (self.path_item, self.points_item, self.current_item):
                item.setData([], [])
            self.label_item.setText("")
            self.update_view()
            return
        if single:
            self._draw_path(data)
        self.update_view()
        a, b = (float(v) for v in data.params[-1])
        names = data.param_names
        self.label_item.setText(f"epoch {n - 1}:  {names[0]} = {number(a, 5)},  "
                                f"{names[1]} = {number(b, 5)}")
        self.place_label()

    #: The epoch label's corners, best first: (anchor, at the view's x end, at its y end).
    _LABEL_CORNERS = (((1.02, 1.1), 1, 0), ((-0.02, 1.1), 0, 0),
                      ((1.02, -0.1), 1, 1), ((-0.02, -0.1), 0, 1))

    def place_label(self) -> None:
        """The epoch label in the corner of the view where it covers the fewest points drawn
        (the path, its markers, the start, the minimum; a race's lanes), clear of the legend
        where it can be: in the bottom-right corner it hid a regression's path along c ≈ 0."""
        (x_lo, x_hi), (y_lo, y_hi) = self.vb.viewRange()
        pts = self._drawn_points()
        px, py = self.vb.viewPixelSize()
        rect = self.label_item.boundingRect()  # (pixels: the label ignores the view's scale)
        w, h = rect.width() * px * 1.04, rect.height() * py * 1.2
        mx, my = 10 * px, 10 * py  # (a marker's half size: the minimum's star is 20 px)
        legend = None
        if self.legend.isVisible() and self.legend.scene() is not None:
            legend = self.vb.mapSceneToView(self.legend.sceneBoundingRect()).boundingRect()
        best, best_score = None, (2, 0)
        for anchor, right, top in self._LABEL_CORNERS:
            x0 = x_hi - w if right else x_lo
            y0 = y_hi - h if top else y_lo
            over_legend = legend is not None and legend.intersects(QRectF(x0, y0, w, h))
            inside = int(np.count_nonzero((pts[:, 0] >= x0 - mx) & (pts[:, 0] <= x0 + w + mx)
                                          & (pts[:, 1] >= y0 - my) & (pts[:, 1] <= y0 + h + my)))
            score = (int(over_legend), inside)
            if best is None or score < best_score:
                best, best_score = (anchor, x_hi if right else x_lo, y_hi if top else y_lo), score
                if score == (0, 0):
                    break
        assert best is not None
        anchor, x, y = best
        self.label_item.setAnchor(anchor)
        self.label_item.setPos(x, y)

    def _drawn_points(self) -> np.ndarray:
        """Every point drawn on the map now (n, 2), in its coordinates."""
        parts = []
        items = [self.path_item, self.start_item, self.minimum_item, self.current_item]
        if self.lanes.active:
            items += [*self.lanes.paths, *self.lanes.markers]
        for item in items:
            if not item.isVisible():
                continue
            x, y = item.getData()
            if x is not None and len(x):
                parts.append(np.column_stack([np.asarray(x, float), np.asarray(y, float)]))
        return np.concatenate(parts) if parts else np.empty((0, 2))

    def _draw_path(self, data: RunData) -> None:
        """The trajectory in map coordinates: the rows its shape needs at the view's scale
        (all of a short run), each marker in the colour of its own epoch; the current point."""
        pts = self.view_points(data.params)
        idx = self._path_rows.rows((pts[:, 0], pts[:, 1]), view_spans(self.vb))
        shown = pts[idx]
        self.path_item.setData(shown[:, 0], shown[:, 1])
        scale = max(data.n - 1, 1)
        lut = np.minimum((data.epochs_at(idx) * 255) // scale, 255).astype(np.intp)
        self.points_item.setData(x=shown[:, 0], y=shown[:, 1], brush=EPOCH_BRUSHES[lut])
        cur = pts[-1]
        if np.isfinite(cur).all():
            self.current_item.setData([float(cur[0])], [float(cur[1])])
        else:
            self.current_item.setData([], [])

    def redraw_path(self) -> None:
        data = self._data
        if data is not None and data.n and data.k == 2 and self._landscape is not None \
                and not self.lanes.active:
            self._draw_path(data)

    def trajectory(self) -> tuple[np.ndarray, np.ndarray]:
        """The single run's points drawn (map coordinates), for tests and automation."""
        x, y = self.path_item.getData()
        if x is None:
            return np.empty(0), np.empty(0)
        return np.asarray(x), np.asarray(y)

    def current_point(self) -> tuple[float, float] | None:
        x, y = self.current_item.getData()
        if x is None or not len(x):
            return None
        return float(x[0]), float(y[0])

    def set_lane_box(self, lo: np.ndarray, hi: np.ndarray) -> None:
        """The race's extent (parameter space), so a following view holds every lane."""
        if self._landscape is None or not (np.isfinite(lo).all() and np.isfinite(hi).all()):
            self._lane_box = None
            return
        corners = np.array([[lo[0], lo[1]], [lo[0], hi[1]], [hi[0], lo[1]], [hi[0], hi[1]]])
        v = self.view_points(corners)
        self._lane_box = (float(v[:, 0].min()), float(v[:, 0].max()),
                          float(v[:, 1].min()), float(v[:, 1].max()))

    # --- view ------------------------------------------------------------------------------

    def update_view(self) -> None:
        land = self._landscape
        if not self._follow or land is None:
            return
        (x_lo, x_hi), (y_lo, y_hi) = land.x_range, land.y_range
        boxes = []
        data = self._data
        if data is not None and data.n and data.k == 2 and not self.lanes.active:
            lo, hi = data.param_min, data.param_max
            if np.isfinite(lo).all() and np.isfinite(hi).all():
                corners = np.array([[lo[0], lo[1]], [lo[0], hi[1]], [hi[0], lo[1]],
                                    [hi[0], hi[1]]])
                v = self.view_points(corners)
                boxes.append((v[:, 0].min(), v[:, 0].max(), v[:, 1].min(), v[:, 1].max()))
        if self._lane_box is not None and self.lanes.active:
            boxes.append(self._lane_box)
        for bx_lo, bx_hi, by_lo, by_hi in boxes:
            x_lo, x_hi = min(x_lo, float(bx_lo)), max(x_hi, float(bx_hi))
            y_lo, y_hi = min(y_lo, float(by_lo)), max(y_hi, float(by_hi))
        x_lo, x_hi = clamp_around(x_lo, x_hi, land.x_range)
        y_lo, y_hi = clamp_around(y_lo, y_hi, land.y_range)
        if (x_lo, x_hi, y_lo, y_hi) != self._last_range():
            self._set_range((x_lo, x_hi), (y_lo, y_hi), pad=0.0)

    def _last_range(self) -> tuple[float, float, float, float] | None:
        return getattr(self, "_asked", None)

    def _set_range(self, x: tuple[float, float], y: tuple[float, float], pad: float = 0.05) -> None:
        self._asked = (x[0], x[1], y[0], y[1])
        super()._set_range(x, y, pad=pad)

    def _on_range_changed(self, *_args: object) -> None:
        if self.label_item.toPlainText():
            self.place_label()  # (in a corner of the view now shown, clear of the points)
        if self._landscape is None or self._sampled is None:
            return
        (x_lo, x_hi), (y_lo, y_hi) = self.vb.viewRange()
        (sx_lo, sx_hi), (sy_lo, sy_hi) = self._sampled
        outside = x_lo < sx_lo or x_hi > sx_hi or y_lo < sy_lo or y_hi > sy_hi
        zoomed = (x_hi - x_lo) < 0.4 * (sx_hi - sx_lo) or (y_hi - y_lo) < 0.4 * (sy_hi - sy_lo)
        if outside or zoomed:
            self._resample_timer.start()

    def _resample(self) -> None:
        """Sample the map over the view (and a margin), and draw its colours and contours."""
        land = self._landscape
        if land is None:
            return
        (x_lo, x_hi), (y_lo, y_hi) = self.vb.viewRange()
        mx, my = 0.15 * (x_hi - x_lo), 0.15 * (y_hi - y_lo)
        x_lo, x_hi = max(x_lo - mx, -VIEW_LIMIT), min(x_hi + mx, VIEW_LIMIT)
        y_lo, y_hi = max(y_lo - my, -VIEW_LIMIT), min(y_hi + my, VIEW_LIMIT)
        xs = np.linspace(x_lo, x_hi, GRID_POINTS)
        ys = np.linspace(y_lo, y_hi, GRID_POINTS)
        X, Y = np.meshgrid(xs, ys, indexing="ij")
        with np.errstate(all="ignore"):
            Z = np.asarray(land.sampler(X, Y), dtype=float)
        values, _floor, _delta = log_surface(Z, land.floor)
        finite = values[np.isfinite(values)]
        self._sampled = ((x_lo, x_hi), (y_lo, y_hi))
        if finite.size == 0:
            self.image_item.clear()
            self.contour_item.setData([], [])
            return
        lo, hi = float(finite.min()), float(finite.max())
        if not hi > lo:
            hi = lo + 1.0
        shown = np.where(np.isfinite(values), values, hi)
        self.image_item.setImage(shown, autoLevels=False, levels=(lo, hi))
        dx, dy = xs[1] - xs[0], ys[1] - ys[0]
        self.image_item.setRect(QRectF(x_lo - dx / 2, y_lo - dy / 2, x_hi - x_lo + dx,
                                       y_hi - y_lo + dy))
        self.colour_bar.setLevels((lo, hi))
        sx, sy = contour_segments(xs, ys, values, contour_levels(values, _CONTOUR_LEVELS))
        self.contour_item.setData(sx, sy)

    # --- pointing ------------------------------------------------------------------------------

    def _readout(self, x: float, y: float) -> str | None:
        land = self._landscape
        if land is None:
            return None
        value = land.value(x, y)
        a, b = (float(v) for v in land.from_view(np.array([[x, y]]))[0])
        if land.note == "scaled":
            return (f"m = {number(a, 5)}, c = {number(b, 5)}  (m′ = {number(x, 5)}, "
                    f"c′ = {number(y, 5)})  ·  MSE = {number(value, 6)}")
        n0, n1 = land.names
        return f"{n0} = {number(a, 5)}, {n1} = {number(b, 5)}  ·  {land.value_name} = " \
               f"{number(value, 6)}"

    def _on_clicked(self, x: float, y: float) -> None:
        land = self._landscape
        if land is None:
            return
        a, b = (float(v) for v in land.from_view(np.array([[x, y]]))[0])
        if land.note == "scaled":  # back in original units: keep four significant digits
            a, b = float(f"{a:.4g}"), float(f"{b:.4g}")
        self.startClicked.emit(a, b)

