"""One way to run a piece of work off the GUI thread: a :class:`Task`.

A task runs a function once in a thread of its own and reports back on the GUI thread through
signals: ``progressed(done, total)`` as it goes, then ``succeeded(result)`` or
``failed(error)`` or ``cancelled()``, then always ``finished()``. The function receives a
:class:`TaskContext` to report progress and to learn that it should stop (its
:meth:`~TaskContext.report` returns False then; :meth:`~TaskContext.cancelled` says so too).

Why not superqt's ``create_worker``: it runs workers on the global QThreadPool, whose threads
outlive any one window and are not in :mod:`.registry` (the tests fail a test that leaves a
thread running, and the app joins every thread before it exits), and a cancelled pool worker
cannot be waited for by itself. A :class:`Task` is a registered QThread: it is stopped by its
event (``cancel``), joined (``wait``) and never destroyed while it runs; its signals come back
queued, so only the GUI thread touches widgets. The run's worker
(:mod:`gdstudio.ui.threads.worker`) is the other shape of the same mechanism: a long-lived
object living in a registered QThread, driven by queued commands.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from gdstudio.ui.threads.registry import register_thread

__all__ = ["Task", "TaskContext", "start_task", "PACE_WORK_S"]

log = logging.getLogger(__name__)

#: A task with a rest (``rest_s``) rests that long after each stretch of this much work, at
#: its next :meth:`TaskContext.report` or :meth:`TaskContext.cancelled`. Python runs one thread
#: at a time (the GIL), and every call from Qt into Python on the GUI thread (a paint, a
#: timer, a click) must take it back from the task, up to 5 ms each time: a window repainted
#: while a task encodes a file stalled half a second. While the task rests, the GUI thread has
#: the interpreter to itself.
PACE_WORK_S = 0.006


class TaskContext:
    """What the work sees of its task: progress reports and the request to stop."""

    def __init__(self, thread: _TaskThread | None, rest_s: float = 0.0) -> None:
        self._thread = thread  # None: work run at once on the calling thread
        self._rest_s = rest_s
        self._worked_since = time.perf_counter()

    @classmethod
    def immediate(cls) -> TaskContext:
        """The context of work run at once on the calling thread: never cancelled, progress
        ignored."""
        return cls(None)

    def cancelled(self) -> bool:
        """Whether the work should stop. Work asks often (between pieces of a millisecond or
        so); a task with a rest paces itself here (see :data:`PACE_WORK_S`)."""
        if self._thread is None:
            return False
        self._pace()
        return self._thread.stop.is_set()

    def report(self, done: int, total: int) -> bool:
        """Report progress; False when the work should stop (and a rest, as in
        :meth:`cancelled`)."""
        if self._thread is None:
            return True
        self._thread.progressed.emit(int(done), int(total))
        self._pace()
        return not self._thread.stop.is_set()

    def _pace(self) -> None:
        if self._rest_s and time.perf_counter() - self._worked_since >= PACE_WORK_S:
            time.sleep(self._rest_s)
            self._worked_since = time.perf_counter()


class _TaskThread(QThread):
    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()

    def __init__(self, work: Callable[[TaskContext], Any], name: str, rest_s: float) -> None:
        super().__init__()
        self.setObjectName(name)
        self.work = work
        self.rest_s = rest_s
        self.stop = threading.Event()

    def run(self) -> None:  # in the new thread
        try:
            result = self.work(TaskContext(self, self.rest_s))
        except Exception as err:  # noqa: BLE001 - reported on the GUI thread, never a crash
            if self.stop.is_set():
                self.cancelled.emit()
            else:
                self.failed.emit(err)
        else:
            if self.stop.is_set():
                self.cancelled.emit()
            else:
                self.succeeded.emit(result)


class Task(QObject):
    """``work(context)`` run once off the GUI thread; see the module's docstring."""

    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, work: Callable[[TaskContext], Any], *, name: str = "gdstudioTask",
                 rest_s: float = 0.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._outcome: str | None = None
        self._thread: _TaskThread | None = _TaskThread(work, name, rest_s)
        queued = Qt.ConnectionType.QueuedConnection
        self._thread.progressed.connect(self._on_progressed, queued)
        self._thread.succeeded.connect(self._on_succeeded, queued)
        self._thread.failed.connect(self._on_failed, queued)
        self._thread.cancelled.connect(self._on_cancelled, queued)
        self._thread.finished.connect(self._on_thread_finished, queued)

    @property
    def done(self) -> bool:
        """It has reported how it ended (succeeded, failed or cancelled)."""
        return self._outcome is not None

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and shiboken6.isValid(thread) and thread.isRunning()

    def start(self) -> Task:
        thread = self._thread
        if thread is not None and not thread.isRunning() and not thread.isFinished():
            register_thread(thread, thread.stop)
            thread.start()
        return self

    def cancel(self) -> None:
        """Ask the work to stop (it is told through its context); ``cancelled`` follows."""
        if self._thread is not None:
            self._thread.stop.set()

    def wait(self, timeout_ms: int = 30_000) -> bool:
        """Block until the thread has ended (after a cancel, or at shutdown)."""
        thread = self._thread
        if thread is None or not shiboken6.isValid(thread):
            return True
        return bool(thread.wait(timeout_ms))

    def detach(self) -> None:
        """Forget the results still on their way (their receiver is going away): nothing
        more is emitted by this task."""
        self._outcome = self._outcome or "detached"

    # --- results, on the GUI thread ------------------------------------------------------------

    @Slot(int, int)
    def _on_progressed(self, done: int, total: int) -> None:
        if self._outcome is None:
            self.progressed.emit(done, total)

    @Slot(object)
    def _on_succeeded(self, result: object) -> None:
        self._end("succeeded", self.succeeded, result)

    @Slot(object)
    def _on_failed(self, error: object) -> None:
        self._end("failed", self.failed, error)

    @Slot()
    def _on_cancelled(self) -> None:
        self._end("cancelled", self.cancelled)

    def _end(self, outcome: str, signal: Any, *args: object) -> None:
        if self._outcome is None:
            self._outcome = outcome
            signal.emit(*args)
            self.finished.emit()

    @Slot()
    def _on_thread_finished(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None and shiboken6.isValid(thread):
            # QThread.finished is emitted from the thread just before it ends: until it has,
            # isRunning() is still true (a task seen as over while its thread still ran, in a
            # test's teardown) and deleting the QThread would destroy a running thread. Join
            # it: microseconds, its work is done.
            thread.wait()
            thread.deleteLater()


def start_task(work: Callable[[TaskContext], Any], *, name: str, parent: QObject | None = None,
               on_success: Callable[[Any], None] | None = None,
               on_failure: Callable[[Any], None] | None = None,
               on_progress: Callable[[int, int], None] | None = None,
               rest_s: float = 0.0) -> Task:
    """Make a :class:`Task`, connect the callbacks and start it."""
    task = Task(work, name=name, rest_s=rest_s, parent=parent)
    if on_success is not None:
        task.succeeded.connect(on_success)
    if on_failure is not None:
        task.failed.connect(on_failure)
    if on_progress is not None:
        task.progressed.connect(on_progress)
    return task.start()
