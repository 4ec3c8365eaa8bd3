"""Files as people have them, and files that are not files (issue 13, families 12 and 17).

Family 12: what is not a regular file (a FIFO, a pipe as /dev/stdin, a device, a folder) is
refused at once, never waited on; binary content is found wherever it starts, with memory
bounded by a block; messages quote at most ~80 characters of a file. Family 17: UTF-16 with a
byte-order mark, RFC 4180 quoting, and one number grammar for the preview and the reader.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import threading
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdstudio.core import DataError, RegressionProblem, RunConfig
from gdstudio.core.codegen import numpy_script
from gdstudio.core.data import preview_csv, read_xy_csv
from gdstudio.core.io.files import QUOTE_CHARS
from gdstudio.core.io.session import SessionError, load_session

POSIX = os.name == "posix"


def _finishes(fn, seconds: float = 10.0):
    """fn() run in a thread; its result or exception, or a failure if it blocks."""
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as err:  # noqa: BLE001 - handed to the test
            box["error"] = err

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "blocked (waiting on a file that is not a regular file)"
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box.get("value")


# --- family 12: not regular files --------------------------------------------------------------


@pytest.mark.skipif(not POSIX, reason="FIFOs are POSIX")
@pytest.mark.parametrize("reader", ["preview", "read", "session"])
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path, reader):
    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)
    call = {"preview": lambda: preview_csv(fifo), "read": lambda: read_xy_csv(fifo),
            "session": lambda: load_session(fifo)}[reader]
    with pytest.raises((DataError, SessionError)) as info:
        _finishes(call)
    assert str(info.value) == f"{fifo}: is a pipe, not a regular file (save what it carries " \
                              "to a file and open that)"


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_is_refused_before_it_is_read():
    for call in (lambda: read_xy_csv("/dev/zero"), lambda: load_session("/dev/zero")):
        with pytest.raises((DataError, SessionError), match="is a device, not a regular file"):
            _finishes(call)


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(DataError, match="is a folder"):
        read_xy_csv(tmp_path)
    with pytest.raises(SessionError, match="is a folder"):
        load_session(tmp_path)


@pytest.mark.skipif(not POSIX, reason="pipes as /dev/stdin are POSIX")
@pytest.mark.parametrize("option", ["--data", "--session"])
def test_cli_reading_a_pipe_as_stdin_is_a_clear_refusal(option):
    r = subprocess.run([sys.executable, "-m", "gdstudio", "run", option, "/dev/stdin"],
                       input="x,y\n1,2\n2,4\n", capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r.stderr
    assert r.stderr == ("gdstudio: error: /dev/stdin: is a pipe, not a regular file (save "
                        "what it carries to a file and open that)\n")


def test_binary_after_valid_rows_is_refused_with_bounded_memory(tmp_path):
    """Valid rows, then 1 GB of NUL bytes (a sparse file's hole): refused at the first block
    that holds them, with memory bounded by a few blocks and a first guess of the columns,
    not the file's size."""
    p = tmp_path / "sparse.csv"
    rows = b"x,y\n" + b"".join(b"%d,%d\n" % (i, 2 * i) for i in range(100_000))
    with open(p, "wb") as fh:
        fh.write(rows)
        fh.truncate(len(rows) + 1024**3)
    tracemalloc.start()
    try:
        with pytest.raises(DataError) as info:
            read_xy_csv(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert f"a NUL byte near offset {len(rows):,}" in str(info.value)
    assert "binary data" in str(info.value)
    assert peak < 40 * 1024**2, f"peak {peak / 1024**2:.1f} MB"


def test_binary_in_the_middle_of_a_big_file_is_found(tmp_path):
    p = tmp_path / "late.csv"
    head = b"".join(b"%d,%d\n" % (i, i) for i in range(400_000))  # several blocks
    p.write_bytes(head + b"\x00\x01\x02" + b"1,2\n" * 10)
    with pytest.raises(DataError, match=f"NUL byte near offset {len(head):,}"):
        read_xy_csv(p)


def test_an_endless_line_is_refused_and_not_quoted(tmp_path):
    p = tmp_path / "long.csv"
    p.write_bytes(b"x,y\n1,2\n" + b"7" * (3 * 1024**2) + b",1\n")
    with pytest.raises(DataError) as info:
        read_xy_csv(p)
    message = str(info.value)
    assert "line 3: longer than 1,048,576 characters" in message
    assert len(message) < len(str(p)) + 120


def test_messages_quote_at_most_80_characters_of_a_cell(tmp_path):
    p = tmp_path / "cell.csv"
    cell = "a" * 50_000
    header = "h" * 50_000
    p.write_text(f"x,{header}\n1,2\n3,{cell}\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_xy_csv(p)
    message = str(info.value)
    assert "is not a number" in message and "(50,000 characters)" in message
    assert len(message) < len(str(p)) + 3 * QUOTE_CHARS + 120
    with pytest.raises(DataError) as info:
        read_xy_csv(p, "x", "z" * 10_000)
    assert len(str(info.value)) < len(str(p)) + 4 * QUOTE_CHARS + 200


# --- family 17: CSV files people have ----------------------------------------------------------


def test_utf16_with_bom_tab_separated_is_read(tmp_path):
    """A spreadsheet's "Unicode text": UTF-16 LE with a BOM, tabs, CRLF line ends."""
    x = [0.5, 1.25, 2.0, 3.5]
    y = [1.0, -2.5, 4.0, 8.125]
    text = "hours\tscore\r\n" + "".join(f"{a}\t{b}\r\n" for a, b in zip(x, y, strict=True))
    for codec in ("utf-16", "utf-16-be", "utf-32"):
        p = tmp_path / f"{codec}.txt"
        data = text.encode(codec)
        if codec == "utf-16-be":
            data = b"\xfe\xff" + data
        p.write_bytes(data)
        preview = preview_csv(p)
        assert (preview.delimiter, preview.names) == ("\t", ["hours", "score"])
        xy = read_xy_csv(p)
        assert xy.x.tolist() == x and xy.y.tolist() == y


def test_utf16_without_bom_says_why(tmp_path):
    p = tmp_path / "nobom.txt"
    p.write_bytes("x\ty\n1\t2\n".encode("utf-16-le"))
    with pytest.raises(DataError, match="UTF-16 text needs a byte-order mark"):
        read_xy_csv(p)


def test_rfc4180_quoted_delimiters_and_quotes(tmp_path):
    p = tmp_path / "quoted.csv"
    rows = [["Smith, J", "1.5", "2"], ['Say "hi", Bo', "2", "4.5"], ["Doe;A", "3", "6"]]
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(["name, full", "hours (h)", "score, %"])
    writer.writerows(rows)
    p.write_text(buf.getvalue(), encoding="utf-8")
    preview = preview_csv(p)
    assert preview.names == ["name, full", "hours (h)", "score, %"]
    assert preview.rows == rows
    assert preview.numeric_columns() == [1, 2]
    xy = read_xy_csv(p, "hours (h)", "score, %")
    assert xy.x.tolist() == [1.5, 2.0, 3.0] and xy.y.tolist() == [2.0, 4.5, 6.0]
    # a quote after a space (NumPy's parser refuses it; the reader takes it as the preview does)
    q = tmp_path / "spaced.csv"
    q.write_text('x, y\n1, "2"\n3, "4"\n', encoding="utf-8")
    assert read_xy_csv(q).y.tolist() == [2.0, 4.0]


#: cell -> the number it is (None: not a number); decided here by hand, not by either parser
FORMS = {
    "1": 1.0, "1.": 1.0, ".5": 0.5, "+1": 1.0, "-1e5": -1e5, "1E+05": 1e5, " 2.5 ": 2.5,
    '"3"': 3.0, "1e-400": 0.0, "0005": 5.0,
    "1_000": None, "\u0661\u0662": None, "\uff11": None, "0x10": None, "1e": None, "e5": None,
    ".": None, "1d5": None, "++1": None, "1.5f": None, "inf": None, "nan": None,
    "Infinity": None, "1e400": None, "": None, "2 # note": None,
}


@pytest.mark.parametrize("cell", list(FORMS))
def test_preview_and_reader_accept_exactly_the_same_numbers(tmp_path, cell):
    p = tmp_path / "forms.csv"
    p.write_text(f"x,y\n1,{cell}\n2,{cell}\n", encoding="utf-8")
    numeric = 1 in preview_csv(p).numeric_columns()
    expected = FORMS[cell]
    assert numeric == (expected is not None)
    if expected is None:
        with pytest.raises(DataError, match="line 2, column 'y': "):
            read_xy_csv(p)
    else:
        assert read_xy_csv(p).y.tolist() == [expected, expected]


def test_decimal_comma_and_quotes_in_semicolon_files(tmp_path):
    p = tmp_path / "eu.csv"
    p.write_text('Name;x;y\n"Müller; K";1,5;"2,25"\nB;2,0;4,5\n', encoding="utf-8")
    xy = read_xy_csv(p, "x", "y")
    assert xy.x.tolist() == [1.5, 2.0] and xy.y.tolist() == [2.25, 4.5]


def test_exported_script_reads_a_utf16_quoted_file_as_the_app_did(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 10, 40)
    y = 2 * x + 1 + rng.normal(0, 0.5, 40)
    pairs = enumerate(zip(x.tolist(), y.tolist(), strict=True))
    lines = ['"label, long"\tx\ty'] + [f'"p {i}, q"\t{a!r}\t{b!r}' for i, (a, b) in pairs]
    p = tmp_path / "sheet.txt"
    p.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-16"))
    problem = RegressionProblem.from_csv(p, "x", "y")
    assert problem.x.tolist() == x.tolist()
    script = tmp_path / "fit.py"
    script.write_text(numpy_script(RunConfig(problem=problem, lr=1e-3, epochs=3), data="file"),
                      encoding="utf-8")
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "warning" not in r.stderr
    assert r.stdout.splitlines()[0] == "epoch,m,c,loss,grad_m,grad_c"


def test_a_file_whose_rows_cannot_fit_is_refused_after_its_first_chunk(tmp_path, monkeypatch):
    """A (sparse) 4 GB file whose first rows are 4 bytes each: some 10⁸ rows, gigabytes of
    columns; with 2 GB available it is refused at its first chunk, not after reading on."""
    import gdstudio.core.data as data

    p = tmp_path / "huge.csv"
    rows = b"x,y\n" + b"1,2\n" * 600_000  # 2.4 MB of rows: more than one block
    with open(p, "wb") as fh:
        fh.write(rows)
        fh.truncate(4 * 1024**3)
    monkeypatch.setattr(data, "available_memory", lambda: 2 * 1024**3)
    with pytest.raises(DataError, match=r"too large to load: about [0-9,]+ rows, which need "
                                        r"about [0-9.]+ GB of memory; only 2\.0 GB"):
        _finishes(lambda: read_xy_csv(p))


def test_a_spreadsheet_sep_line_names_the_delimiter(tmp_path):
    p = tmp_path / "excel.csv"
    p.write_text("sep=;\r\nx;y\r\n1,5;2\r\n2,5;4\r\n", encoding="utf-8-sig")
    preview = preview_csv(p)
    assert (preview.delimiter, preview.names, preview.decimal_comma) == (";", ["x", "y"], True)
    assert preview.first_data_line == 3
    xy = read_xy_csv(p)
    assert xy.x.tolist() == [1.5, 2.5] and xy.y.tolist() == [2.0, 4.0]
    q = tmp_path / "pipe.csv"
    q.write_text("sep=|\nx|y\n1|2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"line 1: 'sep=' asks for the delimiter '\|'"):
        read_xy_csv(q)


def test_a_quoted_cell_left_open_says_so(tmp_path):
    p = tmp_path / "open.csv"
    p.write_text('name,x,y\n"a",1,2\n"b, c,2,4\n', encoding="utf-8")
    with pytest.raises(DataError, match="line 3: a quoted cell is not closed on this line"):
        read_xy_csv(p, "x", "y")


def test_a_text_cell_over_the_csv_modules_limit_is_read(tmp_path):
    p = tmp_path / "notes.csv"
    note = "n" * 300_000  # over the csv module's default 128 KiB per cell
    p.write_text(f'x,y,note\n1,2,"{note}"\n3,4,"{note}, more"\n', encoding="utf-8")
    assert preview_csv(p).names == ["x", "y", "note"]
    xy = read_xy_csv(p)
    assert xy.x.tolist() == [1.0, 3.0] and xy.y.tolist() == [2.0, 4.0]


def test_a_latin1_file_names_the_line_and_the_byte(tmp_path):
    p = tmp_path / "latin1.csv"
    p.write_bytes("name,x,y\nA,1,2\nJos\u00e9,3,4\n".encode("latin-1"))
    with pytest.raises(DataError) as info:
        read_xy_csv(p, "x", "y")
    assert str(info.value) == (
        f"{p}, line 3: not UTF-8 text: the byte 0xe9 at offset 18 cannot be decoded (another "
        "encoding, such as Latin-1, or binary data: save it as UTF-8, or UTF-16 with a "
        "byte-order mark)")
    assert info.value.line == 3


_CELL_CHARS = "0123456789+-.eE_ x\u0661\uff11"
_DIGITS = "0123456789"


def _hand_number(cell: str) -> float | None:
    """The number a cell holds, decided by hand (not by either parser): surrounding spaces
    dropped; an optional sign, ASCII digits with at most one point (at least one digit), an
    optional exponent (e or E, an optional sign, ASCII digits); finite."""
    text = cell.strip()
    if not text:
        return None
    i = 1 if text[0] in "+-" else 0
    j = i
    while j < len(text) and text[j] in _DIGITS + ".":
        j += 1
    mantissa, rest = text[i:j], text[j:]
    if mantissa.count(".") > 1 or not any(c in _DIGITS for c in mantissa):
        return None
    if rest:
        if rest[0] not in "eE":
            return None
        exponent = rest[1:]
        if exponent[:1] in ("+", "-"):
            exponent = exponent[1:]
        if not exponent or any(c not in _DIGITS for c in exponent):
            return None
    value = float(text)
    return value if np.isfinite(value) else None


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet=_CELL_CHARS, min_size=0, max_size=8))
def test_random_cells_preview_and_reader_agree_with_a_hand_parse(cell):
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        p = os.path.join(folder, "c.csv")
        with open(p, "w", encoding="utf-8") as fh:
            fh.write(f"x,y\n1,{cell}\n2,{cell}\n")
        expected = _hand_number(cell)
        assert (1 in preview_csv(p).numeric_columns()) == (expected is not None), cell
        if expected is None:
            with pytest.raises(DataError):
                read_xy_csv(p)
        else:
            assert read_xy_csv(p).y.tolist() == [expected, expected], cell
