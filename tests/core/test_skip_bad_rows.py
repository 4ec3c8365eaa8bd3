"""Issue 14, items 9 and 10: "skip bad rows" for messy data, and which columns were taken.

Without the option a CSV with one bad row is refused, naming the line, as before (now as a
:class:`BadRowError`, so that the window can offer to skip such rows). With it, every row that
is not two numbers (a text cell, an empty cell, nan or inf, the wrong number of fields, a quote
left open) is left out, and the reading says how many and which lines: counted here from the
file's text by a plain loop of the test's own, not by the reader. A file none of whose rows is
read is still refused.
"""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest

from gdstudio.cli import main
from gdstudio.core import RegressionProblem
from gdstudio.core.data import SKIPPED_LINES_SHOWN, read_xy_csv
from gdstudio.core.errors import BadRowError, DataError


def write(tmp_path, text, name="data.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def good_and_bad(text: str, columns: tuple[int, int] = (0, 1), header: bool = True):
    """The test's own reading of a plain comma file: the (x, y) of its good rows and the
    1-based line numbers of the others (blank and # lines are neither)."""
    width = None
    good, bad = [], []
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        cells = [c.strip() for c in line.split(",")]
        if width is None:
            width = len(cells)
            if header:
                continue
        try:
            if len(cells) != width:
                raise ValueError
            pair = tuple(float(cells[j]) for j in columns)
            if not all(math.isfinite(v) for v in pair):
                raise ValueError
        except ValueError:
            bad.append(number)
            continue
        good.append(pair)
    return good, bad


MESSY = ("x,y\n1,2\n3,oops\n5,6\n7\n8,9,10\n\n# a comment\n11,nan\n12,13\n14,\n-inf,2\n"
         "15,1e999\n16,17\n")


def test_without_the_option_a_bad_row_is_refused_naming_its_line(tmp_path):
    p = write(tmp_path, MESSY)
    with pytest.raises(BadRowError, match=r"line 3, column 'y': 'oops' is not a number") as info:
        read_xy_csv(p)
    assert info.value.line == 3 and str(p) in str(info.value)
    assert isinstance(info.value, DataError)  # (what every caller catches already)


def test_bad_rows_are_skipped_counted_and_named(tmp_path):
    p = write(tmp_path, MESSY)
    good, bad = good_and_bad(MESSY)
    assert bad == [3, 5, 6, 9, 11, 12, 13]  # (the helper, checked by eye once)
    d = read_xy_csv(p, skip_bad_rows=True)
    np.testing.assert_array_equal(d.x, [g[0] for g in good])
    np.testing.assert_array_equal(d.y, [g[1] for g in good])
    r = d.reading
    assert r.skip_bad_rows and r.skipped == len(bad)
    assert r.skipped_lines == tuple(bad[:SKIPPED_LINES_SHOWN])
    assert r.skipped_text() == (
        "skipped 7 rows that are not two numbers: lines 3, 5, 6, 9, 11 and 2 more "
        "(line 3, column 'y': 'oops' is not a number)")


def test_one_skipped_row_and_a_few(tmp_path):
    one = read_xy_csv(write(tmp_path, "x,y\n1,2\n2,3\n3,4,5\n4,5\n"), skip_bad_rows=True)
    assert one.reading.skipped_text() == ("skipped 1 row that is not two numbers: line 4: "
                                          "3 fields, expected 2 (separated by comma)")
    few = read_xy_csv(write(tmp_path, "x,y\n1,2\n2,a\n3,4\n4,\n5,6\n"), skip_bad_rows=True)
    assert few.reading.skipped_text() == ("skipped 2 rows that are not two numbers: lines 3, 5 "
                                          "(line 3, column 'y': 'a' is not a number)")
    clean = read_xy_csv(write(tmp_path, "x,y\n1,2\n2,3\n"), skip_bad_rows=True)
    assert clean.reading.skipped == 0 and clean.reading.skipped_text() == ""
    assert clean.reading.skip_bad_rows  # (asked, whether or not any was found)


def test_unchosen_columns_may_hold_anything_but_must_be_there(tmp_path):
    text = "name,height,weight\n" + "".join(
        f"p{i},{150 + i},{'?' if i % 7 == 3 else 50 + i}\n" for i in range(40)) + "q,1\n"
    good, bad = good_and_bad(text, columns=(1, 2))
    d = read_xy_csv(write(tmp_path, text), "height", "weight", skip_bad_rows=True)
    assert d.reading.skipped == len(bad) and list(d.reading.skipped_lines) == bad[:5]
    np.testing.assert_array_equal(d.x, [g[0] for g in good])
    assert d.reading.columns_text() == ("x is 'height' (column 2), y is 'weight' (column 3) "
                                        "of 3 columns")


@pytest.mark.parametrize("chunk_lines", [7, 128, 1 << 15])
def test_a_large_file_with_scattered_bad_rows_in_every_chunk(tmp_path, chunk_lines):
    rng = random.Random(14)
    lines = ["x,y"]
    for i in range(5000):
        kind = rng.random()
        if kind < 0.02:
            lines.append(rng.choice([f"{i},oops", f"{i}", f"{i},1,2", f"{i},nan", f",{i}",
                                     f"{i},inf", '"1,2']))
        else:
            lines.append(f"{i},{2 * i + 1}")
    text = "\n".join(lines) + "\n"
    good, bad = good_and_bad(text)
    assert 50 < len(bad) < 150
    d = read_xy_csv(write(tmp_path, text), skip_bad_rows=True, chunk_lines=chunk_lines)
    assert len(d) == len(good) and d.reading.skipped == len(bad)
    assert list(d.reading.skipped_lines) == bad[:5]
    np.testing.assert_array_equal(d.x, [g[0] for g in good])
    np.testing.assert_array_equal(d.y, [g[1] for g in good])
    assert f"and {len(bad) - 5:,} more" in d.reading.skipped_text()


def test_a_file_where_every_row_is_bad_is_still_refused(tmp_path):
    p = write(tmp_path, "name,score\nann,a\nbob,b\ncid,\n")
    with pytest.raises(DataError) as info:
        read_xy_csv(p, skip_bad_rows=True)
    assert not isinstance(info.value, BadRowError)  # (nothing left to skip: no offer again)
    assert str(info.value) == (f"{p}: none of the 3 data rows is two numbers (line 2, column "
                               "'name': 'ann' is not a number): nothing to fit")
    only = write(tmp_path, "x,y\n1,a\n", name="only.csv")
    with pytest.raises(DataError, match=r"the only data row is not two numbers \(line 2, "
                                        r"column 'y': 'a' is not a number\)"):
        read_xy_csv(only, skip_bad_rows=True)
    one_left = write(tmp_path, "x,y\n1,a\n2,3\n", name="one.csv")
    with pytest.raises(DataError, match=r"only 1 data row; at least 2 are needed \(skipped 1 "
                                        r"row that is not two numbers: line 2"):
        read_xy_csv(one_left, skip_bad_rows=True)


@pytest.mark.parametrize("content, fragment", [
    (b"x,y\n1,2\n\xff\xfe,3\n4,5\n", "UTF-8"),
    (b"x,y\n1,2\n\x00\x00,3\n", "binary"),
    (b"", "empty"),
    (b"x\n1\n2\n", "two numeric columns"),
])
def test_what_is_wrong_with_the_whole_file_is_not_skipped(tmp_path, content, fragment):
    p = tmp_path / "f.csv"
    p.write_bytes(content)
    with pytest.raises(DataError, match=fragment) as info:
        read_xy_csv(p, skip_bad_rows=True)
    assert not isinstance(info.value, BadRowError)


def test_the_problem_keeps_how_it_was_read(tmp_path):
    p = write(tmp_path, "a,b,c\n1,2,3\n2,x,4\n3,6,5\n4,8,6\n")
    problem = RegressionProblem.from_csv(p, skip_bad_rows=True)
    assert problem.n == 3 and problem.reading.skipped == 1
    assert problem.reading.columns == (0, 1) and problem.reading.n_columns == 3
    assert RegressionProblem.synthetic().reading is None
    headerless = RegressionProblem.from_csv(write(tmp_path, "1,2,3\n2,4,5\n3,6,7\n", "h.csv"))
    assert headerless.reading.columns_text() == "x is column 1, y is column 2 of 3 columns"


# --- the command line ------------------------------------------------------------------------


def cli(capsys, *args):
    code = main(["run", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_refuses_a_bad_row_and_names_the_option(capsys, tmp_path):
    p = write(tmp_path, "x,y\n1,2\n2,oops\n3,6\n")
    code, out, err = cli(capsys, "--data", str(p), "--epochs", "1")
    assert code == 2 and out == ""
    assert err == (f"gdstudio: error: {p}, line 3, column 'y': 'oops' is not a number "
                   "(--skip-bad-rows leaves out the rows that cannot be read)\n")


def test_cli_skips_bad_rows_and_says_so_on_stderr(capsys, tmp_path):
    p = write(tmp_path, MESSY)
    good, bad = good_and_bad(MESSY)
    code, out, err = cli(capsys, "--data", str(p), "--skip-bad-rows", "--epochs", "2",
                         "--format", "json")
    assert code == 0
    assert err == (f"gdstudio: note: {p}: skipped {len(bad)} rows that are not two numbers: "
                   "lines 3, 5, 6, 9, 11 and 2 more (line 3, column 'y': 'oops' is not a "
                   "number)\n")
    d = json.loads(out)
    assert d["config"]["n"] == len(good)  # the run is on the rows left
    xs, ys = np.array(good).T
    assert d["steps"][0]["grad_c"] == pytest.approx(-2 * ys.mean())


def test_cli_refuses_a_file_with_no_good_row_even_when_skipping(capsys, tmp_path):
    p = write(tmp_path, "x,y\na,b\nc,d\n")
    code, out, err = cli(capsys, "--data", str(p), "--skip-bad-rows")
    assert code == 2 and out == ""
    assert err == (f"gdstudio: error: {p}: none of the 2 data rows is two numbers (line 2, "
                   "column 'x': 'a' is not a number): nothing to fit\n")


def test_cli_says_which_columns_it_took_of_more_than_two(capsys, tmp_path):
    text = "id,hours,score\n" + "".join(f"{i},{i / 2},{3 * i + 1}\n" for i in range(10))
    p = write(tmp_path, text)
    code, _out, err = cli(capsys, "--data", str(p), "--epochs", "1", "--format", "csv")
    assert code == 0
    assert err.splitlines()[0] == (
        f"gdstudio: note: {p}: x is 'id' (column 1), y is 'hours' (column 2) of 3 columns; "
        "choose others with --x-column/--y-column (a name, or an index from 0: these are "
        "--x-column 0 --y-column 1)")
    code, _out, err = cli(capsys, "--data", str(p), "--x-column", "score", "--epochs", "1",
                          "--format", "csv")
    assert code == 0 and err.splitlines()[0] == (  # y left to its default: said
        f"gdstudio: note: {p}: x is 'score' (column 3), y is 'hours' (column 2) of 3 columns; "
        "choose others with --x-column/--y-column (a name, or an index from 0: these are "
        "--x-column 2 --y-column 1)")
    code, _out, err = cli(capsys, "--data", str(p), "--x-column", "hours", "--y-column",
                          "score", "--epochs", "1", "--format", "csv")
    assert code == 0 and "note" not in err  # both chosen: nothing to say
    bare = write(tmp_path, "".join(f"{i},{i / 2},{3 * i + 1}\n" for i in range(10)), "n.csv")
    code, _out, err = cli(capsys, "--data", str(bare), "--epochs", "1", "--format", "csv")
    assert code == 0 and err.splitlines()[0] == (
        f"gdstudio: note: {bare}: x is column 1, y is column 2 of 3 columns; choose others "
        "with --x-column/--y-column (a name, or an index from 0: these are --x-column 0 "
        "--y-column 1)")
    two = write(tmp_path, "a,b\n1,2\n2,4\n", "two.csv")
    code, _out, err = cli(capsys, "--data", str(two), "--epochs", "1", "--format", "csv")
    assert code == 0 and "note" not in err


def test_cli_skip_bad_rows_with_a_session_is_refused(capsys, tmp_path):
    from gdstudio.core import RunConfig
    from gdstudio.core.io.session import Session, save_session

    path = tmp_path / "s.gdstudio"
    save_session(path, Session(RunConfig(problem=RegressionProblem.synthetic(), epochs=2)))
    code, out, err = cli(capsys, "--session", str(path), "--skip-bad-rows")
    assert code == 2 and out == ""
    assert err == ("gdstudio: error: --skip-bad-rows cannot be combined with --session (the "
                   "session defines the problem)\n")
