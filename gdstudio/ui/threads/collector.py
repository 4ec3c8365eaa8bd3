"""Python's cyclic garbage collection, on the GUI thread only.

CPython collects reference cycles in whichever thread happens to allocate when a threshold is
passed. When that is the run's worker thread and the cycles hold Qt objects (a closed dialog's
widgets, a rebuilt menu), their C++ destructors run in the worker; with PySide that can
deadlock against the GUI thread (seen in this project's test suite: the worker's collection
waiting for the interpreter lock inside ``QObject::~QObject``, the GUI thread waiting for a Qt
lock inside another destructor). So, once a window exists, automatic collection is off and a
timer on the GUI thread collects instead, generation by generation with the interpreter's own
thresholds (the recipe of pyqtgraph's ``GarbageCollector``).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

__all__ = ["GuiGarbageCollector", "install", "is_settled", "settle"]


class GuiGarbageCollector(QObject):
    """Collects on a timer of the thread it lives in (the GUI thread)."""

    INTERVAL_MS = 500

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.setObjectName("guiGarbageCollector")
        self.threshold = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(self.INTERVAL_MS)

    def check(self) -> None:
        """Collect each generation whose count has passed its threshold (younger first)."""
        c0, c1, c2 = gc.get_count()
        if c0 > self.threshold[0]:
            gc.collect(0)
            if c1 > self.threshold[1]:
                gc.collect(1)
                if c2 > self.threshold[2]:
                    gc.collect(2)


def install() -> GuiGarbageCollector | None:
    """The application's collector, made on the first call (from the GUI thread, once a
    QCoreApplication exists); None without an application."""
    app = QCoreApplication.instance()
    if app is None:
        return None
    found = app.findChild(GuiGarbageCollector, "guiGarbageCollector")
    return found if found is not None else GuiGarbageCollector(app)


_settled = False


def settle() -> None:
    """Start-up is over (SymPy imported): what is alive now lives as long as the process (the
    modules imported, SymPy's ~80 000 functions and tuples among them), so it is moved out of
    the collector's sight (``gc.freeze``). Else the next young-generation collection walks it
    all on the GUI thread: 15-45 ms, in the first second of whatever runs then (bench row e).
    Once per process: what later windows make stays collectable."""
    global _settled
    if not _settled:
        _settled = True
        gc.freeze()


def is_settled() -> bool:
    """Whether :func:`settle` has frozen the start-up's objects."""
    return _settled
