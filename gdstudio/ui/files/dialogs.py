"""The questions the window asks a person, in one place: file choosers and message boxes.

Every modal question the file features ask goes through a function of this module, looked up
at call time (``dialogs.ask_save_changes(...)``, never imported by name), so that tests (and
automation) replace it with an answer instead of driving a nested event loop.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QMessageBox,
    QSpinBox,
    QWidget,
)

__all__ = [
    "SAVE",
    "DISCARD",
    "CANCEL",
    "ask_save_changes",
    "ask_open_path",
    "ask_save_path",
    "show_error",
    "show_warning",
    "ask_skip_bad_rows",
    "ask_gif_options",
]

SAVE, DISCARD, CANCEL = "save", "discard", "cancel"


def ask_save_changes(parent: QWidget | None, name: str) -> str:
    """Save / Discard / Cancel for unsaved changes to ``name``; returns SAVE, DISCARD or CANCEL."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Unsaved changes")
    box.setTextFormat(Qt.TextFormat.PlainText)  # the name is a file's
    box.setText(f"Save the changes to {name}?")
    box.setInformativeText("Your changes (settings and the run) are lost if you don't save them.")
    box.setStandardButtons(QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                           | QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    box.setEscapeButton(QMessageBox.StandardButton.Cancel)
    answer = box.exec()
    if answer == QMessageBox.StandardButton.Save:
        return SAVE
    if answer == QMessageBox.StandardButton.Discard:
        return DISCARD
    return CANCEL


def ask_open_path(parent: QWidget | None, title: str, folder: str, filters: str) -> str:
    """A file to open ('' when cancelled)."""
    path, _ = QFileDialog.getOpenFileName(parent, title, folder or os.path.expanduser("~"),
                                          filters)
    return path


def ask_save_path(parent: QWidget | None, title: str, suggested: str, filters: str) -> str:
    """Where to save ('' when cancelled); the dialog asks before replacing a file."""
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    return path


def _message(parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str) -> None:
    # Plain text, always: a message may quote a file's content or a path (``<img src=…>`` in
    # a CSV cell would otherwise be rendered, and Qt would read the file it names).
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()


def show_error(parent: QWidget | None, title: str, text: str) -> None:
    """Something could not be done; ``text`` (plain text) says what and why."""
    _message(parent, QMessageBox.Icon.Warning, title, text)


def show_warning(parent: QWidget | None, title: str, text: str) -> None:
    """Something was done, with a caveat worth reading (plain text)."""
    _message(parent, QMessageBox.Icon.Information, title, text)


def ask_skip_bad_rows(parent: QWidget | None, title: str, text: str) -> bool:
    """A data file refused for a row that cannot be read (``text``, plain text, says which and
    why): True to load it again leaving out every such row ("Skip bad rows"), False to leave
    it (Cancel, Escape, or closing the box; the default, so that Enter drops no data)."""
    box = QMessageBox(parent)
    box.setObjectName("skipBadRowsBox")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)  # it quotes the file's cells and its path
    box.setText(text)
    box.setInformativeText("Skip bad rows loads the file without the rows that are not two "
                           "numbers (a text or empty cell, nan or inf, a row with too many or "
                           "too few fields); how many were left out, and which lines, is said "
                           "after the load.")
    skip = box.addButton("Skip bad rows", QMessageBox.ButtonRole.AcceptRole)
    skip.setObjectName("skipBadRowsButton")
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    clicked = box.clickedButton()
    return clicked is not None and box.buttonRole(clicked) == QMessageBox.ButtonRole.AcceptRole


def ask_gif_options(parent: QWidget | None, epochs_run: int, width: int,
                    spacings: dict[str, str] | None = None
                    ) -> tuple[int, int, int, str] | None:
    """Frames, milliseconds per frame, width (pixels) and how the frames are spread
    (a key of ``spacings``) of a GIF of the run; None if cancelled."""
    dialog = QDialog(parent)
    dialog.setObjectName("gifOptionsDialog")
    dialog.setWindowTitle("Export the run as a GIF")
    form = QFormLayout(dialog)
    frames = QSpinBox()
    frames.setObjectName("gifFramesSpin")
    frames.setRange(1, max(1, min(epochs_run + 1, 2000)))
    frames.setValue(min(epochs_run + 1, 100))
    frames.setToolTip("How many epochs the animation shows, evenly spread from the first to "
                      "the last")
    delay = QSpinBox()
    delay.setObjectName("gifDelaySpin")
    delay.setRange(20, 5000)
    delay.setSingleStep(10)
    delay.setValue(80)
    delay.setSuffix(" ms")
    delay.setToolTip("How long each frame stays on screen")
    size = QSpinBox()
    size.setObjectName("gifWidthSpin")
    size.setRange(200, 4000)
    size.setValue(max(200, min(width, 1000)))
    size.setSuffix(" px")
    size.setToolTip("Width of the animation (the height follows the plots' proportions)")
    spread = QComboBox()
    spread.setObjectName("gifSpacingCombo")
    for key, label in (spacings or {"even": "evenly spread"}).items():
        spread.addItem(label, key)
    # a long run moves most at its start: log-spaced frames show it (even ones skip it)
    spread.setCurrentIndex(max(0, spread.findData("log" if epochs_run > 200 else "even")))
    spread.setToolTip("Which epochs the frames show: evenly spread over the run, closer "
                      "together at the start (log-spaced: where a long run moves most), or "
                      "every epoch from the first")
    form.addRow("Frames", frames)
    form.addRow("Frames at", spread)
    form.addRow("Each frame", delay)
    form.addRow("Width", size)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return frames.value(), delay.value(), size.value(), str(spread.currentData())
