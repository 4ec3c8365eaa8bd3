"""Long file work (saving a large session, exporting a long history) off the GUI thread, with a
progress dialog and Cancel, for callers that want its result before they go on.

:func:`run_with_progress` runs the work as a :class:`~gdstudio.ui.threads.tasks.Task` and
waits for it in a local event loop: the window keeps painting and the run keeps going, while a
window-modal progress dialog keeps the person from starting something else meanwhile. Small
work (``small=True``) runs at once on the GUI thread, as before: it would end before a dialog
could even be seen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer
from PySide6.QtWidgets import QProgressDialog, QWidget

from gdstudio.ui.threads.tasks import Task, TaskContext

__all__ = ["Cancelled", "run_with_progress", "FILE_TASK_REST_S"]

#: File work rests this long after each few milliseconds of work (it asks its context whether
#: it is cancelled between pieces): the window repaints and answers meanwhile (bench row e's
#: save: the longest stall of the GUI thread while a 2,000,000-epoch session is written).
FILE_TASK_REST_S = 0.004


class Cancelled(Exception):
    """The person pressed Cancel (raised by work that checks its context)."""


class _AfterFirstPaint(QObject):
    """Calls ``then`` once, on the turn of the event loop after ``widget`` first paints, or
    after ``timeout_ms``, whichever comes first."""

    def __init__(self, widget: QWidget, then: Callable[[], object], timeout_ms: int) -> None:
        super().__init__(widget)
        self._then: Callable[[], object] | None = then
        self._widget = widget
        widget.installEventFilter(self)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._go)
        self._timer.start(timeout_ms)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self._widget and event.type() == QEvent.Type.Paint and self._then:
            self._timer.start(0)  # after this paint, and the dialog's children's
        return False

    def _go(self) -> None:
        then, self._then = self._then, None
        if then is not None:
            then()

    def stop(self) -> None:
        self._timer.stop()
        if shiboken6.isValid(self._widget):
            self._widget.removeEventFilter(self)


def run_with_progress(parent: QWidget, title: str, text: str,
                      work: Callable[[TaskContext], Any], *, small: bool = False,
                      show_after_ms: int = 0) -> tuple[str, Any]:
    """``("done", result)``, ``("failed", error)`` or ``("cancelled", None)``."""
    if small:
        try:
            return "done", work(TaskContext.immediate())
        except Cancelled:
            return "cancelled", None
        except Exception as err:  # noqa: BLE001 - the caller reports it
            return "failed", err
    outcome: list[tuple[str, Any]] = []
    loop = QEventLoop()
    task = Task(work, name="gdstudioFileTask", rest_s=FILE_TASK_REST_S, parent=parent)
    progress = QProgressDialog(text, "Cancel", 0, 0, parent)
    progress.setObjectName("fileProgress")
    progress.setWindowTitle(title)
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    # At once, or (``show_after_ms``) only when the work takes longer than that (the dialog's
    # own timer): a short script copied to the clipboard does not flash a dialog.
    progress.setMinimumDuration(show_after_ms)
    progress.setAutoClose(False)
    progress.setAutoReset(False)
    progress.canceled.connect(task.cancel)
    task.succeeded.connect(lambda result: outcome.append(("done", result)))
    task.failed.connect(lambda err: outcome.append(
        ("cancelled", None) if isinstance(err, Cancelled) else ("failed", err)))
    task.cancelled.connect(lambda: outcome.append(("cancelled", None)))
    task.finished.connect(loop.quit)
    if show_after_ms <= 0:
        # The work starts once the dialog has painted (or after a moment, for a window the
        # system does not paint): the first paint of a new window, 20-30 ms of polish and
        # layout, would otherwise compete with the work for the interpreter lock and stall.
        starter = _AfterFirstPaint(progress, task.start, timeout_ms=250)
        progress.show()
    else:
        starter = None
        task.start()
    loop.exec()
    if starter is not None:
        starter.stop()
    if shiboken6.isValid(progress):
        progress.canceled.disconnect()
        progress.reset()
        progress.close()
        progress.deleteLater()
    task.wait()
    task.deleteLater()
    return outcome[0] if outcome else ("cancelled", None)
