"""Events without Qt: a list of callbacks that a model calls when something changed.

napari's models announce their changes the same way (``dims.events.current_step.connect``):
the model knows nothing of who listens, and it can be tested without a QApplication.
Callbacks run at once, in the order they were connected, on the thread that changed the model
(the window changes its model on the GUI thread only).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Event"]

Callback = Callable[..., Any]


class Event:
    """``connect(callback)``, ``disconnect(callback)``, ``emit(*args)``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._callbacks: list[Callback] = []

    def connect(self, callback: Callback) -> Callback:
        """Call ``callback(*args)`` at every :meth:`emit` (once, however often connected)."""
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def disconnect(self, callback: Callback) -> None:
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, *args: Any) -> None:
        for callback in list(self._callbacks):
            callback(*args)

    def __repr__(self) -> str:
        return f"<Event {self.name}: {len(self._callbacks)} listener(s)>"
