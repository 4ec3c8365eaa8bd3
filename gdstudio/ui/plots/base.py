"""What every plot shares: :class:`FollowingPlot` (a pyqtgraph plot that follows the run until
the person pans or zooms, in the window's palette), the ranges it may show (always finite,
clamped to ±``VIEW_LIMIT`` and to ``MAX_WIDEN`` base widths, so a diverging run cannot blow the
view up to 10³⁰⁰), the colours of the epochs and the view's spans (which iterates a path
draws is :mod:`gdstudio.ui.model.decimate`'s answer at that scale).

Ranges are set by the plots, not by pyqtgraph's auto-range. The plots themselves:
:mod:`~gdstudio.ui.plots.curve` (f(x)), :mod:`~gdstudio.ui.plots.fit` (regression),
:mod:`~gdstudio.ui.plots.loss` (loss per epoch), :mod:`~gdstudio.ui.plots.landscape`
(a surface or an MSE landscape seen from above). Each creates its items once and then only
calls ``setData``; the window redraws them at most once per frame from
:class:`~gdstudio.ui.model.run_data.RunData`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg  # noqa: E402  (after PySide6 on purpose)

# PySide6 first, so pyqtgraph binds to it (and not to another Qt binding it might find).
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QColor, QFont, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import QLabel, QWidget

__all__ = [
    "EPOCH_BRUSHES",
    "EPOCH_LUT",
    "MAX_SCATTER",
    "MAX_WIDEN",
    "VIEW_LIMIT",
    "FollowingPlot",
    "clamp_around",
    "finite_range",
    "nice_ceil",
    "safe_range",
    "view_spans",
]



#: Data points drawn in the fit plot's scatter (an even subsample beyond).
MAX_SCATTER = 20_000
#: No view range ever extends beyond ±VIEW_LIMIT.
VIEW_LIMIT = 1e30
#: A following view widens to hold the iterates, but to at most this many times its base width.
MAX_WIDEN = 25.0

pg.setConfigOptions(antialias=True)

_VIRIDIS = pg.colormap.get("viridis")
EPOCH_LUT = _VIRIDIS.getLookupTable(0.0, 0.92, nPts=256, alpha=False)  # skip the palest yellow
EPOCH_BRUSHES = np.array([pg.mkBrush(int(r), int(g), int(b)) for r, g, b in EPOCH_LUT],
                          dtype=object)


def finite_range(values: np.ndarray) -> tuple[float, float] | None:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return None
    return float(v.min()), float(v.max())


def safe_range(lo: float, hi: float, pad: float = 0.05) -> tuple[float, float]:
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


def clamp_around(lo: float, hi: float, base: tuple[float, float]) -> tuple[float, float]:
    """[lo, hi] cut to at most MAX_WIDEN base widths around the base range's centre."""
    centre = 0.5 * (base[0] + base[1])
    half = 0.5 * MAX_WIDEN * (base[1] - base[0])
    return max(lo, centre - half), min(hi, centre + half)


def nice_ceil(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^k that is ≥ value (value > 0)."""
    exponent = math.floor(math.log10(value))
    for mantissa in (1.0, 2.0, 5.0, 10.0):
        candidate = mantissa * 10.0 ** exponent
        if candidate >= value:
            return candidate
    return 10.0 ** (exponent + 1)  # pragma: no cover - rounding


def view_spans(vb: pg.ViewBox) -> tuple[float, float]:
    """The width and height of what a view box shows (data units)."""
    (x0, x1), (y0, y1) = vb.viewRange()
    return float(x1) - float(x0), float(y1) - float(y0)


class Axis(pg.AxisItem):
    """pyqtgraph's axis, whose SI multiplier stays 1 while it is switched off.

    pyqtgraph 0.14 works the multiplier out in ``updateAutoSIPrefix`` even when it is off,
    and only updates it while it is on: switched off at the wrong moment (the loss plot turned
    to log scale while its range, read as powers of ten, reached 10²⁷) it kept ×10⁻²⁷ for
    ever, and a loss of 1 to 26 was labelled 10⁻²⁷ to 2·10⁻²⁶."""

    def updateAutoSIPrefix(self) -> None:  # noqa: N802 - pyqtgraph's name
        if self.autoSIPrefix:
            super().updateAutoSIPrefix()
            return
        scale: float = getattr(self, "autoSIPrefixScale", 1.0)  # (pyqtgraph's, untyped)
        prefix: str = getattr(self, "labelUnitPrefix", "")
        if scale != 1.0 or prefix:
            self.autoSIPrefixScale = 1.0
            self.labelUnitPrefix = ""
            self.picture = None  # the tick labels drawn again
            self.update()


class FollowingPlot(pg.PlotWidget):
    """A plot that follows the run until the person pans or zooms, then leaves the view alone."""

    followChanged = Signal(bool)
    #: Legend entries per row (several: a compact legend across the top of the plot).
    legend_columns = 1

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        palette = parent.palette() if parent is not None else QPalette()
        super().__init__(parent, background=palette.color(QPalette.ColorRole.Base),
                         axisItems={side: Axis(side) for side in ("left", "bottom")})
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
        # Paths are thinned at the view's scale: after a pan or zoom by hand, thin them again
        # (once the person pauses: not at every wheel step).
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(100)
        self._redraw_timer.timeout.connect(self.redraw_path)
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
        # Over the plot while the set-up's fields do not make a run: the plot still shows the
        # last valid one, dimmed, and says so (a half-typed "x**2 - 4*x +" must not show the
        # minimum of "x**2 - 4*x").
        self.staleNote = QLabel(self)
        self.staleNote.setObjectName("staleNote")
        self.staleNote.setTextFormat(Qt.TextFormat.PlainText)
        self.staleNote.setWordWrap(True)
        self.staleNote.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.staleNote.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.staleNote.setAutoFillBackground(True)
        self.staleNote.setMargin(6)
        self.staleNote.hide()
        self._follow = True
        self.paint_ms = 0.0
        #: Called after each repaint (the window uses it to tell the worker a frame is done).
        self.after_paint: Callable[[], None] | None = None

    @property
    def following(self) -> bool:
        return self._follow

    @property
    def foreground(self) -> QColor:
        """The colour of the plot's texts (axes, labels): the palette's Text."""
        return QColor(self._foreground)

    def set_colors(self, background: QColor, foreground: QColor) -> None:
        """A new theme's colours (:func:`gdstudio.ui.theme.style_plot` calls it): texts drawn
        later take ``foreground``; marks with colours of their own are picked again for a
        light or a dark ``background`` (:meth:`recolor`)."""
        self._foreground = QColor(foreground)
        self.recolor(QColor(background).lightness() < 128)

    def recolor(self, dark: bool) -> None:
        """Pick the marks' colours for a dark (or light) background; a plot whose marks read
        on both has nothing to do."""

    #: The legend's text size the theme asks for, and the smallest it may shrink to (points;
    #: None until the theme says: :func:`gdstudio.ui.theme.style_plot`).
    _legend_points: float | None = None
    _legend_smallest = 0.0
    _legend_shown: float | None = None
    #: The plot shows a legend (the loss plot does not); :meth:`fit_legend` still hides it
    #: while even its smallest text would cover most of the plot.
    legend_wanted = True
    #: A legend taller than this share of its plot, at its smallest text, is not shown.
    LEGEND_MOST = 0.6

    def set_legend_points(self, points: float, smallest: float) -> None:
        """The legend's text size (Large and Huge text: larger), and the size it may shrink to
        where the plot cannot hold it (:meth:`fit_legend`)."""
        self._legend_points = float(points)
        self._legend_smallest = min(float(smallest), float(points))
        self._legend_shown = None
        self.fit_legend()

    def fit_legend(self) -> None:
        """As many legend columns (up to :attr:`legend_columns`) as the plot's width holds, a
        narrow window or huge text stacking the entries instead of cutting them off; and where
        even one column would cover most of the plot (Huge text on a 1024×768 projector), the
        legend's text smaller, down to the normal size: the legend never takes more than the
        plot's width or 45 % of its height while a smaller text would do; and where even the
        smallest takes more than :attr:`LEGEND_MOST` of the height, it is not shown."""
        legend = self.legend
        room = self.vb.width() if self.vb.width() > 0 else float(self.width())
        tall = self.vb.height() if self.vb.height() > 0 else float(self.height())
        points = self._legend_points
        while True:
            if points is not None:
                self._show_legend_points(points)
            for columns in range(max(1, self.legend_columns), 0, -1):
                if legend.columnCount != columns:
                    legend.setColumnCount(columns)
                hint = legend.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize)
                if hint.width() <= room - 16:
                    break
            fits = hint.width() <= room - 16 and hint.height() <= 0.45 * tall
            if fits or points is None or points <= self._legend_smallest:
                break
            points = max(self._legend_smallest, round(points * 0.85, 1))
        # pyqtgraph sizes a legend from its entries' current widths, which a larger text or
        # fewer columns left stretched (a 1,130 px legend of short entries, centred off the
        # plot's left edge): size it to what its entries need now.
        legend.resize(hint)
        # A plot too small for even that (a landscape stacked under the line at 1024×768 with
        # Huge text, 100 px tall): the data, not a legend over all of it. Back when it fits.
        crowded = tall > 0 and hint.height() > self.LEGEND_MOST * tall
        shown = self.legend_wanted and not crowded
        if legend.isVisible() != shown:
            legend.setVisible(shown)

    def _show_legend_points(self, points: float) -> None:
        if points == self._legend_shown:
            return
        self._legend_shown = points
        self.legend.setLabelTextSize(f"{points:g}pt")
        for _sample, label in self.legend.items:
            label.setText(label.text)  # setLabelTextSize only stores the new style

    def set_stale(self, reason: str) -> None:
        """Dim what is drawn and say ``reason`` over it (the set-up cannot make a run: the
        plot shows the last one that could); ``""`` shows the plot as it is again."""
        self.vb.setOpacity(0.3 if reason else 1.0)
        if reason != self.staleNote.text():
            self.staleNote.setText(reason)
        self.staleNote.setVisible(bool(reason))
        if reason:
            self._place_stale_note()

    @property
    def stale(self) -> bool:
        return not self.staleNote.isHidden()

    def _place_stale_note(self) -> None:
        margin = 24
        width = max(10, self.width() - 2 * margin)
        height = self.staleNote.heightForWidth(width)
        self.staleNote.setGeometry(margin, max(margin, (self.height() - height) // 2), width,
                                   max(height, self.staleNote.sizeHint().height()))
        self.staleNote.raise_()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if getattr(self, "legend", None) is not None:
            self.fit_legend()
        note = getattr(self, "staleNote", None)  # (pyqtgraph resizes while it is being built)
        if note is not None and not note.isHidden():
            self._place_stale_note()

    def paintEvent(self, event: QPaintEvent) -> None:
        began = time.perf_counter()
        super().paintEvent(event)
        #: How long the last repaint took, so the window can pace its frames.
        self.paint_ms = 1000.0 * (time.perf_counter() - began)
        if self.after_paint is not None:
            self.after_paint()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closed (pyqtgraph's ``close()`` has just emptied the plot): no timer of the plot
        may fire on the emptied items before the plot is deleted (a debounced re-sample of a
        landscape's colour bar did, after a test closed the plot)."""
        for timer in self.findChildren(QTimer):
            timer.stop()
        super().closeEvent(event)

    def _on_manual_range(self, *_args: object) -> None:
        self._redraw_timer.start()
        if self._follow:
            self._follow = False
            self.followChanged.emit(False)

    def fit_view(self) -> None:
        """Follow the run again and frame it."""
        self._follow = True
        self.followChanged.emit(True)
        self.update_view()

    def redraw_path(self) -> None:
        """Draw the run's path again at the view's scale (plots that draw one override it)."""

    def update_view(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _set_range(self, x: tuple[float, float], y: tuple[float, float], pad: float = 0.05) -> None:
        """Frame ``x`` × ``y`` (padded), with room above for the legend: what is framed is
        drawn below it, never under it (the lr 1 line of a race at f(x₀), a loss curve's
        start)."""
        lo, hi = safe_range(*y, pad=pad)
        room = self.legend_room()
        if room > 0 and math.isfinite(hi - lo):
            hi = min(VIEW_LIMIT, hi + (hi - lo) * room / (1.0 - room))
        self.vb.setRange(xRange=safe_range(*x, pad=pad), yRange=(lo, hi), padding=0,
                         update=True)

    def legend_room(self) -> float:
        """The fraction of the plot's height the legend takes at its top (0 without one);
        at most half: a legend taller than that is for the person to move (drag it)."""
        legend = getattr(self, "legend", None)
        tall = self.vb.height()
        if legend is None or not legend.isVisible() or not legend.items or tall <= 0:
            return 0.0
        return min(0.5, (legend.pos().y() + legend.geometry().height() + 4) / tall)

    #: The title's text size (points): the theme's (:meth:`set_title_points`).
    _title_points = 11.0

    def set_title(self, text: str) -> None:
        """A new title, in the theme's size (Large and Huge text: larger; a landscape's title,
        set as its problem arrives after the theme styled the plot, stayed 11 pt at Huge)."""
        item = self.getPlotItem()
        item.setTitle(text, color=self._foreground, size=f"{self._title_points:g}pt")
        if self._title_points != 11.0:  # pyqtgraph's title row is 30 px: room for this size
            height = max(30, int(2.2 * self._title_points))
            item.layout.setRowFixedHeight(0, height)
            item.titleLabel.setMaximumHeight(height)

    def set_title_points(self, points: float) -> None:
        self._title_points = float(points)

    def _label(self, axis: str, text: str) -> None:
        """An axis' name (HTML: text from a file must come escaped), in the axis' style (the
        theme's text size stays)."""
        style = dict(self.getPlotItem().getAxis(axis).labelStyle)
        style["color"] = self._foreground.name()
        self.getPlotItem().setLabel(axis, text, **style)
