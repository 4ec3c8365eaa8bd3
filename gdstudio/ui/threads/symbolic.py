"""SymPy off the GUI thread: the window is shown first, the derivative text follows.

SymPy takes about a second to import, longer than the rest of the window's start-up. Nothing the
first paint needs comes from it: the curve is drawn from the parsed expression (plain Python),
so the derivative label, the surface's gradient and the analysis panel ask for SymPy through
:func:`call_when_ready`. Before the import has finished they show a placeholder, and the import
runs in a background thread started once the window is on screen (:func:`start`). When it ends
the callbacks run on the GUI thread, in the order they were registered.

Callers that need SymPy at once (a session opened from the command line, a test) may still use
the core directly: :func:`gdstudio.core.expr.expression.load_symbolic` makes sure only one thread
imports it; the others wait.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Signal

from gdstudio.core.expr.expression import load_symbolic, symbolic_loaded

__all__ = ["call_when_ready", "hold", "is_ready", "release", "start", "PLACEHOLDER"]

#: What a label shows while SymPy is still loading.
PLACEHOLDER = "…"


class _Loader(QObject):
    """Lives in the GUI thread; ``loaded`` is emitted from the import thread (queued)."""

    loaded = Signal(str)  # "" when the import succeeded, else the reason

    def __init__(self) -> None:
        super().__init__()
        self.pending: list[tuple[QObject, Callable[[], None]]] = []
        self.thread: threading.Thread | None = None
        self.error = ""
        self.held = 0
        self.loaded.connect(self._flush)

    def run(self) -> None:  # the import thread
        try:
            load_symbolic()
        except Exception as err:  # noqa: BLE001 - reported in the window, never a crash
            self.loaded.emit(f"{type(err).__name__}: {err}")
        else:
            self.loaded.emit("")

    def _flush(self, error: str) -> None:
        self.error = error
        pending, self.pending = self.pending, []
        for owner, callback in pending:
            if shiboken6.isValid(owner):  # not a panel deleted meanwhile
                callback()


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
    if is_ready() or (loader.thread is not None and loader.thread.is_alive()):
        return
    loader.thread = threading.Thread(target=loader.run, name="gdstudioSymPyImport",
                                     daemon=True)
    loader.thread.start()


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
