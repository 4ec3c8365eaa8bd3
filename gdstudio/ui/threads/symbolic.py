"""SymPy off the GUI thread: the window is shown first, the derivative text follows.

SymPy takes about a second to import, longer than the rest of the window's start-up. Nothing the
first paint needs comes from it: the curve is drawn from the parsed expression (plain Python),
so the derivative label, the surface's gradient and the analysis panel ask for SymPy through
:func:`call_when_ready`. Before the import has finished they show a placeholder, and the import
runs as a background task started once the window is on screen (:func:`start`). When it ends
the callbacks run on the GUI thread, in the order they were registered.

Symbolic work itself (a derivative's text) runs off the GUI thread too, through
:class:`Latest`: typing an expression asks for its derivative, and only the newest request is
worked out when the one under way ends. The core bounds each piece of that work (sizes are
measured before SymPy differentiates, expands or prints), so a task always ends.

Callers that need SymPy at once (a session opened from the command line, a test) may still use
the core directly: :func:`gdstudio.core.expr.expression.load_symbolic` makes sure only one thread
imports it; the others wait.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject

from gdstudio.core.expr.expression import load_symbolic, symbolic_loaded
from gdstudio.ui.threads.tasks import Task, TaskContext, start_task

__all__ = ["call_when_ready", "hold", "is_ready", "release", "start", "Latest", "PLACEHOLDER"]

#: What a label shows while SymPy is still loading.
PLACEHOLDER = "…"


class _Loader(QObject):
    """Lives in the GUI thread; the import runs as a :class:`~.tasks.Task`."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: list[tuple[QObject, Callable[[], None]]] = []
        self.task: Task | None = None
        self.error = ""
        self.held = 0

    def flush(self, error: str) -> None:
        self.error = error
        pending, self.pending = self.pending, []
        for owner, callback in pending:
            if shiboken6.isValid(owner):  # not a panel deleted meanwhile
                callback()


def _import(_context: TaskContext) -> None:  # the import thread
    load_symbolic()


_loader: _Loader | None = None


def _instance() -> _Loader:
    global _loader
    if _loader is None:
        _loader = _Loader()
        app = QCoreApplication.instance()
        if app is not None:
            _loader.moveToThread(app.thread())
    return _loader


def is_ready() -> bool:
    """Whether SymPy is imported (derivatives and analyses can be computed at once)."""
    return symbolic_loaded()


def start() -> None:
    """Import SymPy in a background thread (once); a no-op when it is loaded or loading."""
    loader = _instance()
    if is_ready() or loader.task is not None:
        return
    loader.task = start_task(
        _import, name="gdstudioSymPyImport", parent=loader,
        on_success=lambda _none: loader.flush(""),
        on_failure=lambda err: loader.flush(f"{type(err).__name__}: {err}"))


def hold() -> None:
    """Delay the import until :func:`release` (the window, while it is built and shown: the
    import thread would compete with it for the interpreter)."""
    _instance().held += 1


def release() -> None:
    """End a :func:`hold`; the import starts if something waits for it."""
    loader = _instance()
    loader.held = max(0, loader.held - 1)
    if not loader.held and loader.pending:
        start()


def call_when_ready(owner: QObject, callback: Callable[[], None]) -> bool:
    """Call ``callback`` now if SymPy is loaded (returns True), else once it is (returns
    False; the caller shows a placeholder meanwhile), starting the import unless held. The
    call is dropped if ``owner`` (the widget it updates) has been deleted by then."""
    if is_ready():
        callback()
        return True
    loader = _instance()
    loader.pending.append((owner, callback))
    if not loader.held:
        start()
    return False


class Latest(QObject):
    """Symbolic work for one widget, off the GUI thread, one piece at a time: a request made
    while one is under way replaces any request still waiting, and a result is delivered
    only while no newer request waits (the newest one's result follows)."""

    def __init__(self, parent: QObject, name: str) -> None:
        super().__init__(parent)
        self._name = name
        self._task: Task | None = None
        self._asked: tuple[Callable[[], Any], Callable[[Any], None]] | None = None

    @property
    def busy(self) -> bool:
        return self._task is not None or self._asked is not None

    def request(self, work: Callable[[], Any], deliver: Callable[[Any], None]) -> None:
        """Run ``work()`` in a thread (once SymPy is loaded, see :func:`call_when_ready`) and
        pass its result, or the exception it raised, to ``deliver`` on the GUI thread."""
        self._asked = (work, deliver)
        call_when_ready(self, self._next)

    def cancel(self) -> None:
        """Forget the request waiting (the one under way ends, its result is dropped)."""
        self._asked = None
        if self._task is not None:
            self._task.detach()

    def _next(self) -> None:
        if self._task is not None or self._asked is None:
            return
        work, deliver = self._asked
        self._asked = None

        def run(_context: TaskContext) -> Any:
            load_symbolic()
            return work()

        def done(result: Any) -> None:
            if self._asked is None:
                deliver(result)

        task = Task(run, name=self._name, parent=self)
        task.succeeded.connect(done)
        task.failed.connect(done)
        task.finished.connect(self._on_finished)
        self._task = task.start()

    def _on_finished(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.deleteLater()
        self._next()
