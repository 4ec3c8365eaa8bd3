"""Rows mapped into memory ahead of their writer (gdstudio.core.pages): the window's copies of
a race's rows paid the kernel's page faults on the GUI thread (5-10 ms a batch). Residency is
read back with mincore(2), independently of the code under test."""

from __future__ import annotations

import ctypes
import mmap

import numpy as np
import pytest

from gdstudio.core import pages
from gdstudio.core.rows import PREFAULT_BYTES, GrowingRows

pytestmark = pytest.mark.skipif(not pages.SUPPORTED,
                                reason="needs Linux 5.14+ (madvise MADV_POPULATE_WRITE)")

PAGE = mmap.PAGESIZE


def resident_pages(array: np.ndarray, first_row: int, stop_row: int) -> tuple[int, int]:
    """(resident, total) whole pages of rows first … stop − 1, by mincore(2)."""
    libc = ctypes.CDLL(None, use_errno=True)
    row = array.strides[0]
    lo = array.ctypes.data + first_row * row
    hi = array.ctypes.data + stop_row * row
    lo += -lo % PAGE  # whole pages only (a page shared with other memory may be mapped)
    hi -= hi % PAGE
    n = max(0, (hi - lo) // PAGE)
    vec = (ctypes.c_ubyte * max(1, n))()
    assert libc.mincore(ctypes.c_void_p(lo), ctypes.c_size_t(n * PAGE), vec) == 0
    return sum(v & 1 for v in vec[:n]), n


#: Above glibc's largest mmap threshold (32 MiB): an array this big gets a mapping of its own
#: (a smaller one may reuse heap pages that an earlier test already touched).
OWN_MAPPING = 40 << 20


def fresh(rows: int, *shape: int) -> np.ndarray:
    """A new anonymous mapping of which no page is touched yet."""
    buf = mmap.mmap(-1, rows * int(np.prod(shape, dtype=int)) * 8)
    a = np.frombuffer(buf, dtype=np.float64).reshape(rows, *shape)
    assert resident_pages(a, 0, rows)[0] == 0
    return a


def test_populate_maps_the_rows_and_changes_none_of_them():
    a = fresh(1 << 17, 3)  # 3 MiB
    a[:1000] = np.arange(3000.0).reshape(1000, 3)  # rows already written
    assert pages.populate(a, 0, 60_000)
    mapped, total = resident_pages(a, 0, 60_000)
    assert mapped == total > 300
    np.testing.assert_array_equal(a[:1000], np.arange(3000.0).reshape(1000, 3))
    assert resident_pages(a, 70_000, 1 << 17)[0] == 0  # nothing past what was asked
    assert not pages.populate(a[:, 0], 0, 10)  # not contiguous: nothing done, said so


def test_growing_rows_with_prefault_map_the_rows_ahead_of_the_last_append():
    capacity = OWN_MAPPING // (8 * 24)
    rows = GrowingRows({"params": (24, 1), "loss": (24,)}, capacity, prefault=True)
    assert pages.prefaulter.wait_idle(5.0)
    params = rows.store("params")
    ahead = PREFAULT_BYTES // (8 * 48)  # rows in PREFAULT_BYTES (both arrays)
    mapped, total = resident_pages(params, 0, ahead)
    assert mapped == total > 0
    assert resident_pages(params, 4 * ahead, capacity)[0] == 0  # not the whole block at once
    m = 5000
    values = np.random.default_rng(1).random((m, 24, 1))
    rows.append(params=values, loss=values[:, :, 0])
    assert pages.prefaulter.wait_idle(5.0)
    mapped, total = resident_pages(params, m, m + 4 * m)  # four appends of m rows ahead
    assert mapped == total > 0
    np.testing.assert_array_equal(rows.view("params"), values)  # the rows as written
    plain = GrowingRows({"loss": ()}, OWN_MAPPING // 8)  # without prefault: nothing ahead
    assert pages.prefaulter.wait_idle(5.0)
    assert resident_pages(plain.store("loss"), 0, OWN_MAPPING // 8)[0] == 0
