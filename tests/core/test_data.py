"""CSV reading (every error names file, line and reason) and the synthetic generator."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gdstudio.core import RegressionProblem
from gdstudio.core.data import LoadCancelled, preview_csv, read_xy_csv, synthetic_data
from gdstudio.core.errors import DataError


def write(tmp_path, text, name="data.csv", mode="w", **kw):
    p = tmp_path / name
    if mode == "wb":
        p.write_bytes(text)
    else:
        p.write_text(text, **kw)
    return p


def test_text_columns_that_are_not_chosen_are_ignored(tmp_path):
    # A label column, a date column: only x and y must be numbers, in every chunk; a text cell
    # in a chosen column, or a row with a field too many, is still an error with its line.
    rows = "".join(f"p{i},{150 + i},2024-01-{i % 28 + 1:02d},{50 + i / 2}\n" for i in range(100))
    p = write(tmp_path, "name,height,date,weight\n" + rows)
    d = read_xy_csv(p, "height", "weight", chunk_lines=7)
    np.testing.assert_array_equal(d.x, 150 + np.arange(100))
    np.testing.assert_array_equal(d.y, 50 + np.arange(100) / 2)
    bad = write(tmp_path, "name,height,date,weight\n" + rows + "q,1,d,oops\n", name="bad.csv")
    with pytest.raises(DataError, match=r"line 102, column 'weight': 'oops' is not a number"):
        read_xy_csv(bad, "height", "weight", chunk_lines=7)
    long = write(tmp_path, "name,height,date,weight\n" + rows + "q,1,d,2,9\n", name="l.csv")
    with pytest.raises(DataError, match="line 102: 5 fields, expected 4"):
        read_xy_csv(long, "height", "weight", chunk_lines=7)


@pytest.mark.parametrize(
    "text",
    [
        "x,y\n1,2\n3,4\n5,6\n",
        "1,2\n3,4\n5,6\n",
        "x;y\n1;2\n3;4\n5;6\n",
        "x\ty\n1\t2\n3\t4\n5\t6\n",
        "x,y\r\n1,2\r\n3,4\r\n5,6\r\n",
        "\ufeffx,y\n1,2\n3,4\n5,6\n",
        '"x","y"\n"1","2"\n"3","4"\n"5","6"\n',
        "# comment\nx,y\n\n1,2\n3,4\n\n5,6\n",
        "x y\n1 2\n3 4\n5 6\n",
        "a;b\n1,0;2,0\n3,0;4,0\n5,0;6,0\n",  # decimal comma
    ],
    ids=["header", "no-header", "semicolon", "tab", "crlf", "bom", "quoted", "comments-blank",
         "space", "decimal-comma"],
)
def test_accepted_formats(tmp_path, text):
    d = read_xy_csv(write(tmp_path, text, newline=""))
    np.testing.assert_array_equal(d.x, [1, 3, 5])
    np.testing.assert_array_equal(d.y, [2, 4, 6])


def test_chosen_columns_by_name_and_index(tmp_path):
    p = write(tmp_path, "id,height,weight\n1,150,50\n2,160,60\n3,170,72\n")
    d = read_xy_csv(p, "height", "weight")
    np.testing.assert_array_equal(d.x, [150, 160, 170])
    np.testing.assert_array_equal(d.y, [50, 60, 72])
    assert (d.x_name, d.y_name) == ("height", "weight")
    d2 = read_xy_csv(p, 2, 1)
    np.testing.assert_array_equal(d2.x, [50, 60, 72])
    with pytest.raises(DataError, match="no column named 'age'"):
        read_xy_csv(p, "age", "weight")
    with pytest.raises(DataError, match="column 5 does not exist"):
        read_xy_csv(p, 5, 1)
    with pytest.raises(DataError, match="different columns"):
        read_xy_csv(p, 1, 1)


@pytest.mark.parametrize(
    "text, fragment, line",
    [
        ("", "empty", None),
        ("\n\n  \n", "empty", None),
        ("x,y\n", "no data rows", None),
        ("x,y\n1,2\n", "only 1 data row", None),
        ("x,y\n1,2\n3,abc\n5,6\n", "line 3, column 'y': 'abc' is not a number", 3),
        ("x,y\n1,2\n3,4\n5,nan\n", "line 4, column 'y': 'nan' is not a finite number", 4),
        ("x,y\n1,2\ninf,4\n", "line 3, column 'x': 'inf' is not a finite number", 3),
        ("x,y\n1,2\n3\n5,6\n", "line 3: 1 field, expected 2", 3),
        ("x,y\n1,2\n3,4,5\n5,6\n", "line 3: 3 fields, expected 2", 3),
        ("x,y\n1,2\n3,\n", "line 3, column 'y': an empty cell", 3),
        ("1\n2\n3\n", "needs two numeric columns", None),
    ],
)
def test_errors_name_the_line_and_reason(tmp_path, text, fragment, line):
    p = write(tmp_path, text)
    with pytest.raises(DataError) as info:
        read_xy_csv(p)
    assert fragment in str(info.value)
    assert str(p) in str(info.value)
    assert info.value.line == line


def test_error_line_numbers_in_a_later_chunk(tmp_path):
    rows = "".join(f"{i},{2 * i}\n" for i in range(1000))
    p = write(tmp_path, "x,y\n" + rows + "7,oops\n" + rows)
    with pytest.raises(DataError, match="line 1002, column 'y': 'oops'") as info:
        read_xy_csv(p, chunk_lines=128)
    assert info.value.line == 1002


def test_missing_binary_and_folder(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_xy_csv(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="binary"):
        read_xy_csv(write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "img.csv", mode="wb"))
    with pytest.raises(DataError, match="UTF-8"):
        read_xy_csv(write(tmp_path, b"x,y\n1,2\n\xff\xfe,3\n", "latin.csv", mode="wb"))
    with pytest.raises(DataError, match="folder"):
        read_xy_csv(tmp_path)


def test_progress_and_cancel(tmp_path):
    p = write(tmp_path, "x,y\n" + "".join(f"{i},{i}\n" for i in range(5000)))
    seen = []
    d = read_xy_csv(p, progress=lambda done, total: seen.append((done, total)), chunk_lines=1000)
    assert len(d) == 5000 and len(seen) == 5 and seen[-1][0] <= seen[-1][1]
    assert [s[0] for s in seen] == sorted(s[0] for s in seen)
    with pytest.raises(LoadCancelled):
        read_xy_csv(p, progress=lambda done, total: False, chunk_lines=1000)


def test_preview_reports_delimiter_header_and_numeric_columns(tmp_path):
    p = write(tmp_path, "name;age;score\nann;31;2,5\nbob;42;3,5\n")
    pv = preview_csv(p)
    assert pv.delimiter == ";" and pv.has_header and pv.decimal_comma
    assert pv.names == ["name", "age", "score"]
    assert pv.numeric_columns() == [1, 2]


def test_regression_problem_from_csv(tmp_path):
    x = np.linspace(0, 10, 30)
    y = 3 * x - 2
    p = write(tmp_path, "x,y\n" + "".join(f"{a!r},{b!r}\n"
                                           for a, b in zip(x.tolist(), y.tolist(), strict=True)))
    prob = RegressionProblem.from_csv(p)
    assert prob.least_squares() == pytest.approx((3.0, -2.0), rel=1e-12, abs=1e-12)


def test_synthetic_is_seeded_and_matches_the_design():
    a = synthetic_data(100, 0)
    b = synthetic_data(100, 0)
    c = synthetic_data(100, 1)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)
    assert len(a) == 100 and a.x.min() >= 0 and a.x.max() < 50 and a.x.max() - a.x.min() > 30


@pytest.mark.parametrize(
    "n, fragment", [(1, "at least 2"), (0, "at least 2"), (-5, "at least 2"), (10**12, "too many"),
                    (50_000_000, "memory"), (2.5, "whole number")]
)
def test_synthetic_size_is_checked_up_front(n, fragment, monkeypatch):
    import gdstudio.core.data as data

    monkeypatch.setattr(data, "available_memory", lambda: 1024**3)  # a 1 GB machine
    with pytest.raises(DataError, match=fragment):
        synthetic_data(n)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300)
       | st.text(alphabet=st.sampled_from(list("0123456789.,;\t \n\r-e+abnaif\"#")), max_size=300))
def test_csv_reader_never_raises_anything_else(tmp_path, blob):
    p = tmp_path / "fuzz.csv"
    p.write_bytes(blob if isinstance(blob, bytes) else blob.encode())
    try:
        d = read_xy_csv(p)
    except DataError:
        return
    assert len(d) >= 2 and np.isfinite(d.x).all() and np.isfinite(d.y).all()
