"""Every thread gdstudio starts, in one registry: none is destroyed while it runs, all are
stopped and joined before the app exits.

A thread is registered with the way to stop it: a ``threading.Event`` that its work polls, and
optionally a callable that asks it to end its event loop (the run's worker quits through a
queued signal). :func:`stop_all_threads` (the app's ``aboutToQuit``) sets every event, asks
every loop to end and waits (and so does the interpreter's exit, for scripts that never ran
the app's event loop); tests check :func:`live_threads` after each window test.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QThread

__all__ = ["register_thread", "live_threads", "stop_all_threads"]


@dataclass
class _Entry:
    thread: QThread
    stop: threading.Event | None
    quit: Callable[[], None] | None


_REGISTRY: list[_Entry] = []


def register_thread(thread: QThread, stop: threading.Event | None = None,
                    quit: Callable[[], None] | None = None) -> None:
    """Keep ``thread`` until it has finished; ``stop`` is set and ``quit`` called (else
    ``thread.quit()``) when the app stops its threads."""
    _REGISTRY.append(_Entry(thread, stop, quit))


def _prune() -> None:
    _REGISTRY[:] = [e for e in _REGISTRY
                    if shiboken6.isValid(e.thread) and not e.thread.isFinished()]


def live_threads() -> list[QThread]:
    """The QThreads gdstudio started that still exist (running, or not yet cleaned up)."""
    _prune()
    return [e.thread for e in _REGISTRY]


def stop_all_threads(timeout_ms: int = 30_000) -> None:
    """Ask every live thread to stop and wait for it (the app's last act before exit)."""
    _prune()
    entries = list(_REGISTRY)
    for entry in entries:
        if entry.stop is not None:
            entry.stop.set()
        if entry.quit is not None:
            entry.quit()
        else:
            entry.thread.quit()
    for entry in entries:
        if shiboken6.isValid(entry.thread):
            entry.thread.wait(timeout_ms)
    _prune()


# A script that closes its window and returns (no QApplication.exec, no aboutToQuit) must not
# have a QThread destroyed while it runs as the interpreter exits: the process would abort.
atexit.register(stop_all_threads)
