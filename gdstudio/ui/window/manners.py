"""How the window's fields behave, as in any desktop application.

* The mouse wheel changes a field (a number, a list, a slider) only when it has the keyboard
  focus; otherwise it scrolls the panel the field is in. (Scrolling the Setup panel used to
  change β₁ on its way past, and that went into saved sessions.)
* Enter commits a field and gives the keyboard back to the window, so that the window's keys
  (E: Run to end, Space: Play, →: Step) act again; Esc does the same without committing more.
  While a field is being edited, its keys stay in it (Qt's convention: a text field takes the
  printable keys before any shortcut does).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QSlider,
    QWidget,
)

__all__ = ["DesktopManners"]

_FIELDS = (QAbstractSpinBox, QComboBox, QSlider)
_RETURN_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


def _field_of(obj: QObject) -> QWidget | None:
    """The field ``obj`` belongs to (a spin box's own line edit belongs to the spin box)."""
    widget = obj if isinstance(obj, QWidget) else None
    for _ in range(3):
        if widget is None:
            return None
        if isinstance(widget, _FIELDS):
            return widget
        widget = widget.parentWidget()
    return None


def _scroll_area_of(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea) and not isinstance(parent, _FIELDS):
            return parent
        parent = parent.parentWidget()
    return None


class DesktopManners(QObject):
    """An event filter for ``root`` (the window): see the module's docstring. ``home`` is the
    widget that takes the keyboard when a field gives it back."""

    def __init__(self, root: QWidget, home: QWidget) -> None:
        super().__init__(root)
        self._root = root
        self._home = home
        home.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        app = QCoreApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def _in_window(self, widget: QWidget) -> bool:
        return widget.window() is self._root

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        # Every event of the application passes here (tens of thousands a second while a run
        # plays): the class test first, which costs a fraction of event.type()'s enum.
        if isinstance(event, QWheelEvent):
            return self._wheel(watched, event)
        if isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            self._key(watched, event)
        return False

    def _wheel(self, watched: QObject, event: QWheelEvent) -> bool:
        field = _field_of(watched)
        if field is None or not self._in_window(field) or field.hasFocus():
            return False
        if isinstance(field, QAbstractSpinBox) and field.lineEdit() is not None \
                and field.lineEdit().hasFocus():
            return False
        # Not focused: the panel scrolls instead (the field never sees the wheel).
        area = _scroll_area_of(field)
        if area is not None:
            QCoreApplication.sendEvent(area.verticalScrollBar(), event)
        return True

    def _key(self, watched: QObject, event: QKeyEvent) -> None:
        if not isinstance(watched, QWidget) or not self._in_window(watched):
            return
        editing = isinstance(watched, QLineEdit) or _field_of(watched) is not None
        if not editing or event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return
        if event.key() in _RETURN_KEYS or event.key() == Qt.Key.Key_Escape:
            # after the field has taken the key (Enter commits it)
            QTimer.singleShot(0, self._give_back)

    def _give_back(self) -> None:
        focused = QApplication.focusWidget()
        if focused is None or _field_of(focused) is not None or isinstance(focused, QLineEdit):
            self._home.setFocus(Qt.FocusReason.OtherFocusReason)
