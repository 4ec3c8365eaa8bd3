"""A window too narrow for three columns: the right-hand panels become tabs beside Setup.

At 1024 × 768 with Large or Huge text, Setup on the left, the plots in the middle and
Analysis, History and Arithmetic on the right left the right column some 145 pixels: the
history showed its epoch column only. :class:`NarrowLayout` watches the window's width and
text size; when the three columns do not fit, it puts the right-hand panels as tabs beside
Setup (one panel column, each panel as wide as Setup, the plots keep the middle), and puts
them back on their side once the window is wide enough again. It only undoes what it did:
panels a person has moved, floated or closed are left where they are, and the layout saved
at the end is the person's own (the one before it stepped in).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QByteArray, QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QMainWindow,
    QScrollArea,
    QStyle,
    QStyleOptionComboBox,
    QTabBar,
)

__all__ = ["NarrowLayout"]


class NarrowLayout(QObject):
    #: Room the right-hand column needs, in digit widths (the history's four columns).
    RIGHT_DIGITS = 34
    #: Room the plots in the middle need, in digit widths.
    MIDDLE_DIGITS = 40
    #: Wider than needed by this many digit widths before the panels go back (no flapping).
    MARGIN_DIGITS = 6

    def __init__(self, window: QMainWindow, left: QDockWidget, right: Sequence[QDockWidget],
                 *, paused: Callable[[], bool] = lambda: False) -> None:
        super().__init__(window)
        self._window = window
        self._left = left
        self._right = tuple(right)
        self._paused = paused
        self._before: QByteArray | None = None  # the layout before it stepped in
        self._text_resized = False  # the text size changed since the last fit
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self.fit)
        window.installEventFilter(self)

    @property
    def active(self) -> bool:
        """The right-hand panels are tabs beside Setup because the window is narrow."""
        return self._before is not None

    def _digit(self) -> int:
        return max(1, self._window.fontMetrics().horizontalAdvance("0"))

    def needed_width(self) -> int:
        """The window width at which the three columns fit at the current text size."""
        setup = self._left.minimumSizeHint().width()
        return setup + self._digit() * (self.RIGHT_DIGITS + self.MIDDLE_DIGITS)

    def saved_state(self) -> QByteArray:
        """The layout to keep for the next launch: the person's, not the narrow one."""
        return QByteArray(self._before) if self._before is not None \
            else self._window.saveState()

    def fit(self) -> None:
        """Step in or out for the window's width now."""
        window = self._window
        if self._paused() or not window.isVisible():
            return
        width, needed = window.width(), self.needed_width()
        if self._before is None and width < needed and self._in_place():
            self._before = window.saveState()
            for dock in self._right:
                window.tabifyDockWidget(self._left, dock)
            self._left.raise_()
            for bar in window.findChildren(QTabBar):  # the docks' tabs: whole names, scrolled
                if bar.parent() is window:
                    bar.setElideMode(Qt.TextElideMode.ElideNone)
                    bar.setUsesScrollButtons(True)
        elif self._before is not None and width > needed + self.MARGIN_DIGITS * self._digit():
            before, self._before = self._before, None
            if self._still_tabbed():
                window.restoreState(before)
        if self._text_resized:
            self._text_resized = False
            if self._before is None:
                self._widen_left()

    def _widen_left(self) -> None:
        """After a text-size change, Setup as wide as its list fields need to show their
        chosen items whole (and its tabs their names), where the plots keep their room (at
        1920 × 1080 with Huge text it kept Normal text's width: "Manual (analytic gradie…").
        It only grows: a narrower Setup is the person's own choice, or all a small screen
        has."""
        window, left = self._window, self._left
        if left.isFloating() or not left.isVisible() \
                or window.dockWidgetArea(left) != Qt.DockWidgetArea.LeftDockWidgetArea:
            return
        short = -(1 << 30)  # (the largest shortfall: negative where everything fits)
        for combo in left.findChildren(QComboBox):
            if not combo.isVisible() or combo.isEditable():
                continue  # (its choice as shown: the list itself opens as wide as it needs)
            fm = combo.fontMetrics()
            option = QStyleOptionComboBox()
            option.initFrom(combo)
            option.currentText = combo.currentText()
            needed = combo.style().sizeFromContents(
                QStyle.ContentsType.CT_ComboBox, option,
                QSize(fm.horizontalAdvance(combo.currentText()) + 4, fm.height()), combo)
            short = max(short, needed.width() - combo.width())
        for bar in left.findChildren(QTabBar):  # the problem tabs: every tab's name whole
            if bar.isVisible():
                short = max(short, bar.sizeHint().width() - bar.width())
        # room for a scroll bar that another problem tab's taller page will show (it takes
        # the tabs' and the fields' width: at Huge the other tabs' names were scrolled)
        for area in left.findChildren(QScrollArea):
            if area.isVisible() and not area.verticalScrollBar().isVisible():
                short += left.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
                break
        central = window.centralWidget()
        room = (central.width() - self.MIDDLE_DIGITS * self._digit()) if central else 0
        grow = min(short, room)
        if grow > 0:
            window.resizeDocks([left], [left.width() + grow], Qt.Orientation.Horizontal)

    def forget(self) -> None:
        """The layout was set from elsewhere (View › Reset layout): not ours to undo."""
        self._before = None

    def _in_place(self) -> bool:
        """The right-hand panels are where the default layout puts them (shown, docked on
        the right): a person's own arrangement is theirs."""
        window = self._window
        return all(dock.isVisible() and not dock.isFloating()
                   and window.dockWidgetArea(dock) == Qt.DockWidgetArea.RightDockWidgetArea
                   for dock in self._right)

    def _still_tabbed(self) -> bool:
        tabbed = self._window.tabifiedDockWidgets(self._left)
        return all(dock in tabbed for dock in self._right)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self._window and event.type() in (
                QEvent.Type.Resize, QEvent.Type.FontChange, QEvent.Type.Show):
            if event.type() == QEvent.Type.FontChange:
                self._text_resized = True
            self._timer.start()
        return False
