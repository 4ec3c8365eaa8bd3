"""Memory mapped in ahead of its writer, on a thread of its own.

A fresh array costs nothing until it is written: then the kernel maps and zeroes each of its
pages at the first write. That is slow (on this project's 2-core VM, the 115 MB of a 24-lane race
of 200,000 epochs took 240 ms of page faults, against 3.5 ms to write them once mapped), and it
is paid by the thread that writes: the window's copies of a run's rows are written on the GUI
thread, so their page faults were its stalls (5-10 ms for each batch a race hands over).

:func:`populate` asks the kernel to map a range of an array's rows without changing a byte of
them (Linux's ``madvise(MADV_POPULATE_WRITE)``, kernel 5.14 or later), so it may run while the rows
before it are being written. :class:`Prefaulter` does that on one daemon thread shared by the
process, for the rows just ahead of those written (:class:`~gdstudio.core.rows.GrowingRows` with
``prefault=True`` asks for them after each append). The call into the kernel releases the
interpreter lock (``ctypes``), so the thread competes with nobody for Python. Where the call is
not offered (other systems, older kernels) nothing is done and the writer faults its pages in,
as before.
"""

from __future__ import annotations

import atexit
import ctypes
import mmap
import queue
import sys
import threading
from collections.abc import Callable

import numpy as np

__all__ = ["SUPPORTED", "populate", "Prefaulter", "prefaulter"]

_MADV_POPULATE_WRITE = 23
_PAGE = mmap.PAGESIZE
#: Bytes asked of the kernel at a time (so that a job for a dropped array ends soon).
CHUNK_BYTES = 4 << 20


def _madvise() -> Callable[[int, int, int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.madvise
    except (OSError, AttributeError):  # pragma: no cover - a libc without madvise
        return None
    fn.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    fn.restype = ctypes.c_int
    probe = np.empty(2 * _PAGE // 8)  # does this kernel know MADV_POPULATE_WRITE?
    start = probe.ctypes.data - probe.ctypes.data % _PAGE
    return fn if fn(start, _PAGE, _MADV_POPULATE_WRITE) == 0 else None


_madvise_fn = _madvise()
#: Whether :func:`populate` can map pages ahead on this system.
SUPPORTED = _madvise_fn is not None


def populate(array: np.ndarray, first: int, stop: int) -> bool:
    """Map rows ``first … stop − 1`` of a C-contiguous ``array`` (first axis) into memory, their
    values unchanged. False where the system does not offer it (nothing done)."""
    fn = _madvise_fn
    if fn is None or not array.flags.c_contiguous or array.size == 0:
        return False
    row_bytes = array.strides[0] if array.ndim else array.itemsize
    first, stop = max(0, int(first)), min(len(array), int(stop))
    if stop <= first:
        return True
    lo = array.ctypes.data + first * row_bytes
    hi = array.ctypes.data + stop * row_bytes
    lo -= lo % _PAGE  # the pages holding the rows (a page shared with other memory is mapped
    while lo < hi:    # already: populating it changes nothing)
        size = min(CHUNK_BYTES, hi - lo)
        if fn(lo, size + (-size) % _PAGE, _MADV_POPULATE_WRITE) != 0:
            return False
        lo += size
    return True


class Prefaulter:
    """One daemon thread that maps the rows it is asked for (:meth:`ahead`), oldest first."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[np.ndarray, int, int] | None] = queue.SimpleQueue()
        self._idle = threading.Event()
        self._idle.set()
        self._pending = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def ahead(self, arrays: tuple[np.ndarray, ...], first: int, stop: int) -> None:
        """Map rows ``first … stop − 1`` of each of ``arrays`` soon (nothing where unsupported).
        The arrays are kept alive until their job is done."""
        if not SUPPORTED or stop <= first:
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._serve, name="gdstudioPrefault",
                                                daemon=True)
                self._thread.start()
                atexit.register(self.stop)  # (joined at exit, as every thread of the app)
            for a in arrays:
                self._pending += 1
                self._idle.clear()
                self._jobs.put((a, int(first), int(stop)))

    def stop(self, timeout: float = 2.0) -> None:
        """End the thread once the jobs asked for before are done (at exit)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive():
            self._jobs.put(None)
            thread.join(timeout)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every job asked for is done; True if they are."""
        return self._idle.wait(timeout)

    def _serve(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:  # (stop)
                return
            array, first, stop = job
            try:
                populate(array, first, stop)
            finally:
                del array, job
                with self._lock:
                    self._pending -= 1
                    if not self._pending:
                        self._idle.set()


#: The process's prefaulter.
prefaulter = Prefaulter()
