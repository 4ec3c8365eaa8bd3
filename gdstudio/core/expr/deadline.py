"""A hard time bound on one SymPy call, in whichever thread it runs (issue 13, family 9).

Sizes are bounded before SymPy works (:mod:`.parse`, :mod:`.symbolic`), but SymPy's own
assumptions can still expand what nothing asked it to (``tanh`` asks whether its argument is
real, and SymPy expands ``(… + sqrt(x))**400`` into real and imaginary parts to find out). A
thread cannot be killed; it can be interrupted: :func:`bounded` arranges for
:class:`SymbolicTimeout` to be raised in the calling thread at the next bytecode once
``SECONDS`` have passed (CPython's ``PyThreadState_SetAsyncExc``; SymPy is Python code, and the
one kind of long C-level step, a huge integer power, is refused at parse time). SymPy's caches
keep only finished results, so an interrupted call leaves nothing half-made.
"""

from __future__ import annotations

import ctypes
import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from gdstudio.core.errors import ExpressionError

__all__ = ["SECONDS", "SymbolicTimeout", "bounded"]

#: The longest one symbolic step (building f, a derivative, a text, a printed gradient) may take.
SECONDS = 5.0

F = TypeVar("F", bound=Callable[..., Any])

_local = threading.local()


class SymbolicTimeout(ExpressionError):
    """SymPy took longer than the bound on a step."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message or (
            f"f is too complex to analyse: a symbolic step took more than {SECONDS:g} s (the "
            "torch engine needs no symbolic derivative: --engine torch)"))


def _raise_in(thread_id: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc is not None else None)


def bounded(fn: F) -> F:
    """Run ``fn`` under the time bound (once per thread: calls made inside it share its bound)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if getattr(_local, "active", False):
            return fn(*args, **kwargs)
        thread_id = threading.get_ident()
        lock = threading.Lock()
        state = {"done": False, "fired": False}

        def expire() -> None:
            with lock:
                if not state["done"]:
                    state["fired"] = True
                    _raise_in(thread_id, SymbolicTimeout)

        timer = threading.Timer(SECONDS, expire)
        timer.daemon = True
        _local.active = True
        timer.start()
        try:
            return fn(*args, **kwargs)
        finally:
            with lock:
                state["done"] = True
            timer.cancel()
            _local.active = False
            if state["fired"]:
                _raise_in(thread_id, None)  # not delivered yet: nothing may arrive later

    return wrapper  # type: ignore[return-value]
