"""The small labels every setup page puts beside its fields: a message saying why a field's
text cannot be used (red, hidden while it can), and a note (what SymPy found, what the data
holds). Their text comes from the core's messages or from user data: always plain text."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel

from gdstudio.ui.panels.widgets import IntegerSpinBox, ScientificSpinBox
from gdstudio.ui.theme import ERROR_RED, set_text_colour

__all__ = ["error_label", "field_error", "note_label", "show_error"]


def error_label(name: str) -> QLabel:
    """A red message, hidden until :func:`show_error` gives it a text."""
    label = QLabel()
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    set_text_colour(label, ERROR_RED)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def show_error(label: QLabel, message: str) -> None:
    """Show ``message`` (hide the label when it is empty)."""
    label.setText(message)
    label.setVisible(bool(message))


def field_error(form: QFormLayout, spin: ScientificSpinBox | IntegerSpinBox,
                name: str) -> QLabel:
    """A message row under ``spin`` saying why its text cannot be used (hidden when it can)."""
    label = error_label(name)
    spin.problemChanged.connect(lambda message: show_error(label, message))
    form.addRow(label)
    return label


def note_label(name: str) -> QLabel:
    """A plain-text note that wraps and can be selected."""
    label = QLabel()
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label
