"""Work-arounds for defects of the Qt binding that would otherwise crash the window.

PySide6 6.12.0 (its abi3 wheels) on CPython < 3.12 returns the singletons ``None``, ``True``
and ``False`` without taking a new reference to them: every call of a method returning
``None`` (``QPainter.setPen``, ``QLabel.setText``, …) and every ``Signal.emit()`` (which
returns ``True``) drops one reference. From CPython 3.12 those objects are immortal and it is
harmless; on 3.11 the counts reach zero after some thousands of calls and the interpreter
aborts ("Fatal Python error: none_dealloc: deallocating None" or "bool_dealloc"). PySide6
6.11.3 does not have the defect. The proper fix is a version pin (see the report of issue 3);
this module keeps the window alive meanwhile, whatever is installed.

:func:`guard_singleton_refcounts` measures the defect (a fixed binding is left alone) and,
where present, gives each singleton a reserve of references large enough never to run out
(2⁴⁰: a million calls a second for twelve days), as CPython 3.12 makes them immortal.
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["guard_singleton_refcounts", "binding_drops_references", "SINGLETONS"]

SINGLETONS: tuple[object, ...] = (None, True, False, Ellipsis, NotImplemented)
_RESERVE = 1 << 40
_applied = False


def binding_drops_references(trials: int = 32) -> bool:
    """Whether PySide6 loses references to ``None``/``True`` on ordinary calls (measured)."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        probed = Signal()

    probe = _Probe()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(trials):
        probe.setObjectName("probe")  # returns None
        probe.probed.emit()  # returns True
    lost_none = none_before - sys.getrefcount(None)
    lost_true = true_before - sys.getrefcount(True)
    del probe
    # Bookkeeping may take or give a reference or two; the defect loses one per call.
    return lost_none >= trials // 2 or lost_true >= trials // 2


def _add_references(obj: object, count: int) -> bool:
    """Add ``count`` references to ``obj`` that are never given back."""
    cell = ctypes.c_ssize_t.from_address(id(obj))
    # In a normal CPython build the reference count is the object's first field: check it is
    # what we are about to change before changing it.
    if cell.value != sys.getrefcount(obj) - 1:
        return False
    cell.value += count
    return True


def guard_singleton_refcounts() -> bool:
    """Protect the singletons from the PySide6 6.12.0 defect; True if it was needed."""
    global _applied
    if _applied or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return _applied
    if not binding_drops_references():
        return False
    for singleton in SINGLETONS:
        if not _add_references(singleton, _RESERVE):  # pragma: no cover - unusual builds
            incref = ctypes.pythonapi.Py_IncRef
            incref.argtypes = [ctypes.py_object]
            for _ in range(1 << 22):
                incref(singleton)
    _applied = True
    return True
