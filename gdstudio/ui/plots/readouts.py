"""Pointing at a plot: a hover readout in the corner, and clicks in data coordinates.

:class:`PlotPointer` listens to a pyqtgraph plot's scene. While the mouse is over the data area
it shows the text a callback makes of the point under it (epoch and loss, x and f(x), (x, y, f))
in a small label in the plot's lower-left corner; a plain left click inside the data area emits
:attr:`PlotPointer.clicked` with the point, rounded to a step that suits the zoom (a click means
"about here": 3.47, not 3.4712938…). Drags (pan) and double clicks are not clicks.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel

__all__ = ["PlotPointer", "snap"]


def snap(value: float, span: float, fraction: float = 1e-3) -> float:
    """``value`` rounded to a power of ten near ``fraction`` of ``span`` (the view's width)."""
    if not (math.isfinite(value) and math.isfinite(span) and span > 0):
        return value
    step = 10.0 ** math.floor(math.log10(span * fraction))
    digits = max(0, -int(math.floor(math.log10(step))))
    return round(round(value / step) * step, digits)


class PlotPointer(QObject):
    """Hover readout and clicks for one plot (``readout(x, y) -> text`` in view coordinates)."""

    #: A plain left click in the data area: (x, y) in view coordinates, snapped to the zoom.
    clicked = Signal(float, float)

    def __init__(self, plot: pg.PlotWidget,
                 readout: Callable[[float, float], str | None] | None = None) -> None:
        super().__init__(plot)
        self.plot = plot
        self.vb = plot.getPlotItem().getViewBox()
        self._readout = readout
        self.label = QLabel(plot)
        self.label.setObjectName(f"{plot.objectName()}Readout")
        self._style()
        self.label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.label.hide()
        plot.scene().sigMouseMoved.connect(self._on_moved)
        plot.scene().sigMouseClicked.connect(self._on_clicked)
        plot.installEventFilter(self)

    @property
    def text(self) -> str:
        return self.label.text() if self.label.isVisible() else ""

    def _style(self) -> None:
        """The label in the plot's colours (again when the theme changes)."""
        base = self.plot.palette().color(QPalette.ColorRole.Base)
        text = self.plot.palette().color(QPalette.ColorRole.Text)
        self.label.setStyleSheet(
            f"QLabel {{ background: rgba({base.red()}, {base.green()}, {base.blue()}, 215);"
            f" color: {text.name()}; border: 1px solid rgba(120, 120, 120, 120);"
            f" border-radius: 3px; padding: 1px 5px; }}")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.plot and event.type() == QEvent.Type.Leave:
            self.label.hide()
        elif watched is self.plot and event.type() == QEvent.Type.PaletteChange:
            self._style()
        return False

    def _inside(self, scene_pos: QPointF) -> bool:
        return self.vb.sceneBoundingRect().contains(scene_pos)

    def hover(self, x: float, y: float) -> None:
        """Show the readout for the view point (x, y) (what a mouse move does)."""
        text = self._readout(x, y) if self._readout is not None else None
        if not text:
            self.label.hide()
            return
        self.label.setText(text)
        self.label.adjustSize()
        corner = self.plot.mapFromScene(self.vb.sceneBoundingRect().bottomLeft())
        self.label.move(corner.x() + 6, corner.y() - self.label.height() - 6)
        self.label.show()
        self.label.raise_()

    def _on_moved(self, scene_pos: QPointF) -> None:
        if not self._inside(scene_pos):
            self.label.hide()
            return
        p = self.vb.mapSceneToView(scene_pos)
        self.hover(float(p.x()), float(p.y()))

    def _on_clicked(self, event: object) -> None:
        ev = event  # pyqtgraph's MouseClickEvent
        if ev.button() != Qt.MouseButton.LeftButton or ev.double():  # type: ignore[attr-defined]
            return
        if ev.modifiers() != Qt.KeyboardModifier.NoModifier:  # type: ignore[attr-defined]
            return
        pos = ev.scenePos()  # type: ignore[attr-defined]
        if not self._inside(pos):
            return
        legend = getattr(self.plot, "legend", None)
        if legend is not None and legend.isVisible() and legend.sceneBoundingRect().contains(pos):
            return  # a click on the legend is not a point of the plot
        p = self.vb.mapSceneToView(pos)
        (x_lo, x_hi), (y_lo, y_hi) = self.vb.viewRange()
        self.clicked.emit(snap(float(p.x()), x_hi - x_lo), snap(float(p.y()), y_hi - y_lo))
