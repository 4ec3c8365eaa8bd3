"""The update's arithmetic, live: how the row looked at came from the row before, with the
numbers plugged in (issue 15, item 3).

The lines are :mod:`gdstudio.core.arithmetic`'s (Qt-free, tested against the history rows);
this panel only shows them, as plain text in a read-only, selectable monospace field named
``updateArithmetic``. It follows the run model: the epoch looked at (the history slider), or
the newest row while the run plays (at most a few times a second; with feature scaling or
mini-batches, which make the run again to explain it, once it is paused), the lane of a race
shown, a new run.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFontDatabase, QTextOption
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from gdstudio.core.arithmetic import UpdateArithmetic
from gdstudio.ui.model.run_model import RunModel

__all__ = ["ArithmeticPanel"]

#: While a run plays, the newest row's arithmetic is shown at most this often.
FOLLOW_MS = 150


class ArithmeticPanel(QPlainTextEdit):
    """The arithmetic of the update that led to the row looked at."""

    def __init__(self, model: RunModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("updateArithmetic")
        self.setReadOnly(True)  # (selectable: read-only keeps the text selection and copying)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        size = self.font().pointSizeF()
        if size > 0:
            font.setPointSizeF(size * 1.15)  # a little larger than the UI's text
        self.setFont(font)
        self.setToolTip("The update that led to the row looked at, with the run's own numbers "
                        "(the history's, to the last digit); follows the history slider")
        self.setPlaceholderText("The update's arithmetic appears here once a run has rows.")
        self._model = model
        self._arithmetic: UpdateArithmetic | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.refresh)
        events = model.events
        for event in (events.began, events.reset, events.lane):
            event.connect(lambda *_: self._start_over())
        for event in (events.epoch, events.lr, events.state):
            event.connect(lambda *_: self.refresh())
        events.rows.connect(self._on_rows)

    def _start_over(self) -> None:
        """A new run, or another lane: its state is replayed afresh."""
        self._arithmetic = None
        self.refresh()

    def _on_rows(self, _first: int, _stop: int) -> None:
        if self._model.epoch is not None:
            return  # a row looked at does not change when rows are added
        if self._model.state == "playing":
            if not self._timer.isActive():
                self._timer.start(FOLLOW_MS)
        else:
            self.refresh()

    def epoch_shown(self) -> int | None:
        """The row whose update is shown (None: no rows)."""
        run = self._model.run
        if run.n == 0 or run.config is None:
            return None
        epoch = self._model.epoch
        return run.n - 1 if epoch is None else min(int(epoch), run.n - 1)

    def refresh(self) -> None:
        """Show the arithmetic of the row looked at (the model's state now)."""
        self._timer.stop()
        run = self._model.run
        epoch = self.epoch_shown()
        if epoch is None or run.config is None:
            text = ""
        else:
            if self._arithmetic is None or self._arithmetic.config is not run.config:
                self._arithmetic = UpdateArithmetic(run.config)
            if self._arithmetic.remakes_the_run and self._model.state == "playing":
                # (made again on this thread, it would compete with the run for the window)
                lines = [f"epoch {epoch}: the update's arithmetic is shown when the run is "
                         "paused (with feature scaling or mini-batches it makes the run again)"]
            else:
                lines = self._arithmetic.lines(run.params, run.grad, epoch, run.lr_changes)
            text = "\n".join(lines)
            if self._arithmetic.pending:  # a long replay goes on in steps: the window stays live
                self._timer.start(0)
        if text != self.toPlainText():
            self.setPlainText(text)
