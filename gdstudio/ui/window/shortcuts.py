"""Help › Keyboard shortcuts: every key of the window, listed from the declared commands."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gdstudio.ui.window.actions import ACTIONS

__all__ = ["ShortcutsDialog", "OTHER_KEYS"]

#: Keys that are not commands of their own.
OTHER_KEYS = (
    ("[  ]", "History slider: one epoch back, forward"),
    ("Shift+[  Shift+]", "History slider: ten epochs back, forward"),
    ("Enter", "In a field: use the value typed, give the keys back to the window"),
    ("Esc", "In a field: give the keys back to the window"),
    ("Tab  Shift+Tab", "Next, previous field"),
    ("Mouse wheel", "On a plot: zoom; on a field that has the keyboard: change it"),
)


class ShortcutsDialog(QDialog):
    """A table of (keys, what they do)."""

    def __init__(self, actions: Mapping[str, QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        native = QKeySequence.SequenceFormat.NativeText
        rows: list[tuple[str, str]] = []
        for spec in ACTIONS:
            sequences = actions[spec.key].shortcuts()
            if sequences:
                rows.append(("  ".join(k.toString(native) for k in sequences),
                             actions[spec.key].text().replace("&", "")))
        rows += list(OTHER_KEYS)
        table = QTableWidget(len(rows), 2, self)
        table.setObjectName("shortcutsTable")
        table.setHorizontalHeaderLabels(["Keys", "What they do"])
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        for r, (keys, what) in enumerate(rows):
            table.setItem(r, 0, QTableWidgetItem(keys))
            table.setItem(r, 1, QTableWidgetItem(what))
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        table.resizeRowsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        width = table.horizontalHeader().length() + 60
        self.resize(max(520, width), min(640, 60 + 30 * len(rows)))
        self.setWindowModality(Qt.WindowModality.WindowModal)
