"""A race's lanes drawn on the existing plots, one colour per lane.

Each layer adds its items to a plot once per race and then only calls ``setData``:

* :class:`LanePaths`: a path and a current-point marker per lane (the iterates on f(x), the
  trajectories on a contour).
* :class:`LossLanes`: one loss curve per lane on the loss plot, each kept as a min/max envelope
  (O(new rows) per frame however long the race), linear or log like the plot itself.
* :class:`FitLanes`: each lane's current line m·x + c on the regression's data.

They draw what :class:`~gdstudio.ui.model.race_data.RaceData` holds, at the epoch the history slider
points to (the newest rows while following the run).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pyqtgraph as pg

from gdstudio.ui.model.decimate import PathRows
from gdstudio.ui.model.envelope import PeakEnvelope
from gdstudio.ui.model.race_data import RaceData
from gdstudio.ui.plots.base import view_spans

__all__ = ["LanePaths", "LossLanes", "FitLanes"]

#: Above this many points a path is a line only: markers on thousands of points cost a scatter
#: plot each frame and show nothing a line does not.
MAX_SYMBOLS = 300


class LanePaths:
    """Per lane: its path (line + small markers) and its current point, on one plot."""

    def __init__(self, plot: pg.PlotWidget, *, z: float = 30.0, symbol_size: float = 5.0,
                 marker_size: float = 13.0, outline: bool = False) -> None:
        self.plot = plot
        self._z = z
        self._symbol_size = symbol_size
        self._marker_size = marker_size
        self._outline = outline
        self.paths: list[pg.PlotDataItem] = []
        self.markers: list[pg.PlotDataItem] = []
        self._symbols: list[bool] = []
        self._shadows: list[pg.PlotDataItem] = []
        self._rows: list[PathRows] = []  # which points each lane's path draws
        self.labels: list[str] = []

    @property
    def active(self) -> bool:
        return bool(self.paths)

    def set_lanes(self, colours: Sequence[str], labels: Sequence[str]) -> None:
        """New lanes (the items of the old ones are removed)."""
        self.clear()
        self.labels = list(labels)
        for j, (colour, label) in enumerate(zip(colours, labels, strict=True)):
            if self._outline:  # a pale halo under the path: visible on any background
                shadow = pg.PlotDataItem(pen=pg.mkPen((255, 255, 255, 200), width=4.5))
                shadow.setZValue(self._z + 2 * j)
                self.plot.addItem(shadow)
                self._shadows.append(shadow)
            path = pg.PlotDataItem(
                pen=pg.mkPen(colour, width=2.2), symbol="o", symbolSize=self._symbol_size,
                symbolBrush=pg.mkBrush(colour), symbolPen=pg.mkPen(colour), name=label,
                connect="finite",
            )
            path.setZValue(self._z + 2 * j + 1)
            marker = pg.PlotDataItem(
                symbol="o", symbolSize=self._marker_size, symbolBrush=pg.mkBrush(colour),
                symbolPen=pg.mkPen("w", width=2), pen=None,
            )
            marker.setZValue(self._z + 100 + j)
            self.plot.addItem(path)
            self.plot.addItem(marker)
            self.paths.append(path)
            self.markers.append(marker)
            self._symbols.append(True)
            self._rows.append(PathRows())

    def clear(self) -> None:
        for item in (*self.paths, *self.markers, *self._shadows):
            self.plot.removeItem(item)
        self.paths, self.markers, self._shadows, self.labels = [], [], [], []
        self._symbols, self._rows = [], []

    def set_lane(self, j: int, xs: np.ndarray, ys: np.ndarray) -> None:
        """Lane ``j``'s path up to the epoch shown (every row of it, in the plot's coordinates:
        the points its shape needs at the view's scale are drawn); its marker on the last
        point."""
        xs, ys = np.asarray(xs), np.asarray(ys)
        idx = self._rows[j].rows((xs, ys), view_spans(self.plot.getViewBox()))
        px, py = xs[idx], ys[idx]
        symbols = len(px) <= MAX_SYMBOLS
        if symbols != self._symbols[j]:
            self.paths[j].setSymbol("o" if symbols else None)
            self._symbols[j] = symbols
        self.paths[j].setData(px, py)
        if self._shadows:
            self._shadows[j].setData(px, py)
        if len(xs) and math.isfinite(float(xs[-1])) and math.isfinite(float(ys[-1])):
            self.markers[j].setData([float(xs[-1])], [float(ys[-1])])
        else:
            self.markers[j].setData([], [])

    def lane_data(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        """The points drawn for lane ``j`` (for tests and automation)."""
        x, y = self.paths[j].getData()
        if x is None:
            return np.empty(0), np.empty(0)
        return np.asarray(x), np.asarray(y)

    def marker(self, j: int) -> tuple[float, float] | None:
        x, y = self.markers[j].getData()
        if x is None or not len(x):
            return None
        return float(x[0]), float(y[0])

    def legend_entries(self) -> list[tuple[pg.PlotDataItem, str]]:
        return list(zip(self.paths, self.labels, strict=True))


#: The loss plot's bins (min/max pairs), all lanes together: a paint of 24 lanes of 2048
#: bins each took 60-80 ms; a few hundred bins a lane still give each pixel column its own.
LANE_BINS = 8192


def lane_bins(lanes: int) -> int:
    """Bins of each lane's loss envelope: at most 2048, at least 256, LANE_BINS in all."""
    return 2 * (min(2048, max(256, LANE_BINS // max(1, lanes))) // 2)


class LossLanes:
    """One loss curve per lane on the :class:`~gdstudio.ui.plots.loss.LossPlot`."""

    def __init__(self, plot: pg.PlotWidget) -> None:
        self.plot = plot
        self.curves: list[pg.PlotDataItem] = []
        self.markers: list[pg.PlotDataItem] = []
        self._envelopes: list[PeakEnvelope] = []
        self._data: RaceData | None = None
        self._mode: object = None

    @property
    def active(self) -> bool:
        return bool(self.curves)

    def set_lanes(self, colours: Sequence[str], labels: Sequence[str]) -> None:
        self.clear()
        for j, (colour, label) in enumerate(zip(colours, labels, strict=True)):
            curve = pg.PlotDataItem(pen=pg.mkPen(colour, width=2.2), name=label,
                                    connect="finite")
            curve.curve.setSegmentedLineMode("on")
            curve.setZValue(5 + j)
            marker = pg.PlotDataItem(symbol="o", symbolSize=10, symbolBrush=pg.mkBrush(colour),
                                     symbolPen=pg.mkPen("w", width=1.5), pen=None)
            marker.setZValue(40 + j)
            self.plot.addItem(curve)
            self.plot.addItem(marker)
            self.curves.append(curve)
            self.markers.append(marker)
            self._envelopes.append(PeakEnvelope(max_bins=lane_bins(len(colours))))
        self._data = None

    def clear(self) -> None:
        for item in (*self.curves, *self.markers):
            self.plot.removeItem(item)
        self.curves, self.markers, self._envelopes = [], [], []
        self._data = None
        self.plot.lane_range = None

    def refresh(self, data: RaceData, epoch: int | None,
                shown: Callable[[np.ndarray], np.ndarray], mode: object) -> None:
        """Draw every lane's loss (what ``shown`` makes of it: loss, or loss − loss*)."""
        for _lane in self.refresh_parts(data, epoch, shown, mode):
            pass

    def refresh_parts(self, data: RaceData, epoch: int | None,
                      shown: Callable[[np.ndarray], np.ndarray],
                      mode: object) -> Iterator[None]:
        """:meth:`refresh`, yielding after each lane (the caller may draw the rest in a later
        turn of the event loop); the plot's range of the lanes is set after the last."""
        if not self.curves:
            return
        if data is not self._data or mode != self._mode \
                or any(env.n > int(data.lengths[j]) for j, env in enumerate(self._envelopes)):
            for env in self._envelopes:
                env.clear()
            self._data, self._mode = data, mode
        lo, hi = math.inf, -math.inf
        log = bool(self.plot.log_scale)
        for j, env in enumerate(self._envelopes):
            length = int(data.lengths[j]) if data.n else 0
            if length > env.n:
                env.extend(shown(data.loss[env.n : length, j]))
            x, y = env.xy()
            if x.size and np.isfinite(y).any():
                self.curves[j].setData(x, y)
            else:
                self.curves[j].setData([], [])
            r = env.value_range()
            if r is not None:
                lo, hi = min(lo, r[0]), max(hi, r[1])
            if length:
                row = data.row(j, epoch)
                value = float(shown(data.loss[row : row + 1, j])[0])
                if math.isfinite(value) and (value > 0 or not log):
                    self.markers[j].setData([float(row)], [value])
                    yield
                    continue
            self.markers[j].setData([], [])
            yield
        self.plot.lane_range = (lo, hi) if lo <= hi else None

    def legend_entries(self) -> list[tuple[pg.PlotDataItem, str]]:
        return [(c, c.opts["name"]) for c in self.curves]


class FitLanes:
    """Each lane's current line m·x + c on the regression's data."""

    def __init__(self, plot: pg.PlotWidget) -> None:
        self.plot = plot
        self.lines: list[pg.PlotDataItem] = []

    @property
    def active(self) -> bool:
        return bool(self.lines)

    def set_lanes(self, colours: Sequence[str], labels: Sequence[str]) -> None:
        self.clear()
        for j, (colour, label) in enumerate(zip(colours, labels, strict=True)):
            line = pg.PlotDataItem(pen=pg.mkPen(colour, width=2.2), name=label)
            line.setZValue(25 + j)
            self.plot.addItem(line)
            self.lines.append(line)

    def clear(self) -> None:
        for item in self.lines:
            self.plot.removeItem(item)
        self.lines = []

    def refresh(self, data: RaceData, epoch: int | None, limit: float = 1e30) -> None:
        (x_lo, x_hi), _ = self.plot.vb.viewRange()
        xs = np.array([x_lo, x_hi])
        for j, line in enumerate(self.lines):
            if not data.n:
                line.setData([], [])
                continue
            m, c = (float(v) for v in data.params[data.row(j, epoch), j])
            with np.errstate(all="ignore"):
                ys = np.clip(m * xs + c, -limit, limit)
            if np.isfinite(ys).all():
                line.setData(xs, ys)
            else:
                line.setData([], [])

    def legend_entries(self) -> list[tuple[pg.PlotDataItem, str]]:
        return [(line, line.opts["name"]) for line in self.lines]
