"""The loss plot (``lossPlot``): loss per epoch, linear or log (then loss − loss* when the
optimum is known), with marks where the learning rate changed."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg  # noqa: E402  (after PySide6 on purpose)

# PySide6 first, so pyqtgraph binds to it (and not to another Qt binding it might find).
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QResizeEvent
from PySide6.QtWidgets import QLabel, QWidget

from gdstudio.ui.model.envelope import PeakEnvelope
from gdstudio.ui.model.formatting import number
from gdstudio.ui.model.run_data import LrChange, RunData
from gdstudio.ui.plots.base import (
    FollowingPlot,
    nice_ceil,
)

__all__ = ["LossPlot"]


class LossPlot(FollowingPlot):
    """Loss per epoch; on a log scale it shows loss − loss* when the optimum is known."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("lossPlot", parent)
        # Why a log plot shows nothing (every value ≤ 0 has no logarithm): said, not left blank.
        self.emptyNote = QLabel(self)
        self.emptyNote.setObjectName("lossEmptyNote")
        self.emptyNote.setTextFormat(Qt.TextFormat.PlainText)
        self.emptyNote.setWordWrap(True)
        self.emptyNote.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.emptyNote.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.emptyNote.hide()
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
        self.legend_wanted = False
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
        # no "(x1e+15)" over a log axis: its ticks are powers of ten already
        self.getAxis("left").enableAutoSIPrefix(not on)
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

    def refresh(self, data: RunData, at: int | None = None, *, upto: bool = False) -> None:
        """Draw the loss (O(new rows) while following the whole run); the marker at epoch
        ``at`` (the newest when None). ``upto``: the curve only up to ``at`` (a GIF's frame:
        the run as it was then), in the whole run's axes."""
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
        (x_lo, x_hi), _ = self.vb.viewRange()
        if upto and at is not None and at < n - 1:
            stop = max(0, int(at)) + 1
            x, y = data.epochs_at(slice(0, stop)), self._shown(data.loss[:stop])
        elif self._follow or not (math.isfinite(x_lo) and math.isfinite(x_hi)):
            # (a view pyqtgraph could not compute shows the whole run, never an error per frame)
            x, y = self._envelope.xy()
        else:  # zoomed in by hand: the exact values in view (pyqtgraph downsamples them)
            i0 = max(0, int(math.floor(x_lo)) - 1)
            i1 = min(n, int(math.ceil(x_hi)) + 2)
            x, y = data.epochs_at(slice(i0, i1)), self._shown(data.loss[i0:i1])
        if x.size and np.isfinite(y).any():
            self.loss_item.setData(x, y)
        else:
            self.loss_item.setData([], [])
        self._say_why_empty(data, n)
        t = n - 1 if at is None else max(0, min(int(at), n - 1))
        last = float(self._shown(data.loss[t : t + 1])[0])
        if math.isfinite(last):
            # a scatter is not transformed by the log mode: place it in view coordinates
            self.current_item.setData([float(t)], [math.log10(last) if self._log else last])
        else:
            self.current_item.setData([], [])
        self.update_view()

    def _say_why_empty(self, data: RunData, n: int) -> None:
        """On a log scale with nothing > 0 to draw, say why (a negative loss, or the run at
        its optimum)."""
        note = ""
        if self._log and n and not self._envelope.value_range():
            loss = data.loss[:n]
            if self._gap_mode():
                note = ("Nothing to draw on a log scale: loss − loss* is 0 (or below) at every "
                        "epoch so far, and a logarithm needs a positive number.")
            elif np.isfinite(loss).any() and not (loss > 0).any():
                note = ("Nothing to draw on a log scale: the loss is 0 or negative at every "
                        "epoch so far, and a logarithm needs a positive number. Turn Log-scale "
                        "loss (L) off to see it.")
        if note != self.emptyNote.text():
            self.emptyNote.setText(note)
        self.emptyNote.setVisible(bool(note))
        if note:
            self._place_note()

    def _place_note(self) -> None:
        margin = 40
        self.emptyNote.setGeometry(margin, margin, max(10, self.width() - 2 * margin),
                                   max(10, self.height() - 2 * margin))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        note = getattr(self, "emptyNote", None)  # (pyqtgraph resizes while it is being built)
        if note is not None and note.isVisible():
            self._place_note()

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
        x_hi = float(planned if 0 < planned <= 1000 else min(nice_ceil(max(n - 1, 10)),
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
