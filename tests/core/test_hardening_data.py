"""Data files that go wrong in the ways real files do: each gets a clear DataError, never more."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from gdstudio.core import DataError, RegressionProblem
from gdstudio.core.data import preview_csv, read_xy_csv

CASES = {
    "empty": (b"", "empty"),
    "whitespace only": (b"\n \n\t\n", "empty"),
    "header only": (b"x,y\n", "no data rows"),
    "one row": (b"x,y\n1,2\n", "only 1 data row"),
    "ragged short": (b"x,y\n1,2\n3\n", "line 3: 1 field, expected 2"),
    "ragged long": (b"1,2\n3,4,5\n", "line 2: 3 fields, expected 2"),
    "non-numeric": (b"x,y\n1,2\n3,four\n", "line 3, column 'y': 'four' is not a number"),
    "nan cell": (b"x,y\n1,2\nNaN,4\n", "line 3, column 'x': 'NaN' is not a finite number"),
    "inf cell": (b"x,y\n1,2\n3,-inf\n", "line 3, column 'y': '-inf' is not a finite number"),
    "binary": (bytes(range(256)) * 8, "binary"),
    "png renamed": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "binary"),
    "latin-1": ("x,y\n1,2\n3,4\n\u00e9,5\n".encode("latin-1"), "UTF-8"),
    "one column": (b"x\n1\n2\n3\n", "two numeric columns"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_files(tmp_path, name):
    content, fragment = CASES[name]
    p = tmp_path / "data.csv"
    p.write_bytes(content)
    with pytest.raises(DataError) as info:
        RegressionProblem.from_csv(p)
    assert fragment in str(info.value)
    assert str(p) in str(info.value)


@pytest.mark.parametrize("content", [
    b"\xef\xbb\xbfx,y\r\n1,2\r\n3,4\r\n",  # BOM + CRLF
    b"x,y\r1,2\r3,4\r",  # old Mac line endings
    b"x;y\n1,0;2,0\n3,0;4,0\n",
    b"  x ,  y \n 1 , 2 \n 3 , 4 \n",
])
def test_odd_but_valid_files(tmp_path, content):
    p = tmp_path / "ok.csv"
    p.write_bytes(content)
    d = read_xy_csv(p)
    np.testing.assert_array_equal(d.x, [1, 3])
    np.testing.assert_array_equal(d.y, [2, 4])


def test_file_deleted_between_choosing_and_reading(tmp_path):
    p = tmp_path / "gone.csv"
    p.write_text("x,y\n1,2\n3,4\n")
    preview = preview_csv(p)  # the person looks at it in the dialog ...
    assert preview.names == ["x", "y"]
    p.unlink()  # ... and meanwhile it disappears
    with pytest.raises(DataError, match="file not found"):
        read_xy_csv(p)


def test_large_file_memory_is_bounded(tmp_path):
    n = 1_000_000
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 50, n)
    y = 2.5 * x + rng.normal(0, 1, n)
    p = tmp_path / "big.csv"
    with open(p, "w") as fh:
        fh.write("x,y\n")
        for start in range(0, n, 100_000):
            block = np.column_stack([x[start:start + 100_000], y[start:start + 100_000]])
            np.savetxt(fh, block, delimiter=",", fmt="%.17g")
    tracemalloc.start()
    try:
        d = read_xy_csv(p)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(d.x, x)
    np.testing.assert_array_equal(d.y, y)
    data_bytes = 2 * 8 * n
    # chunked parsing: the peak stays within a few times the data itself (not the text's size)
    assert peak <= 4 * data_bytes + 64 * 2**20, peak
