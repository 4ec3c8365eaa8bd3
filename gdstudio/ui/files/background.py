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
from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

from gdstudio.ui.threads.tasks import Task, TaskContext

__all__ = ["Cancelled", "run_with_progress"]


class Cancelled(Exception):
    """The person pressed Cancel (raised by work that checks its context)."""


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
    task = Task(work, name="gdstudioFileTask", parent=parent)
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
        progress.show()
    task.start()
    if not outcome:
        loop.exec()
    if shiboken6.isValid(progress):
        progress.canceled.disconnect()
        progress.reset()
        progress.close()
        progress.deleteLater()
    task.wait()
    task.deleteLater()
    return outcome[0] if outcome else ("cancelled", None)
