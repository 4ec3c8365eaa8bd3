"""Data for regression problems: a seeded synthetic generator and a validating CSV reader.

The CSV reader accepts what people actually have: a header or none, comma, semicolon or tab
delimiters (or a spreadsheet's ``sep=;`` first line), UTF-8, or UTF-16/UTF-32 with a byte-order
mark (a spreadsheet's "Unicode text"), Windows and old Mac line endings, RFC 4180 quoting (a
quoted cell may hold the delimiter and doubled quotes), a decimal comma in semicolon files.
Anything else is refused with a :class:`DataError` that names the file, the line and the reason,
quoting at most ~80 characters of the file. A row that cannot be read as numbers (a cell that is
not a finite number, an empty cell, the wrong number of fields) is a :class:`BadRowError`; asked
to (``skip_bad_rows=True``), the reader leaves such rows out instead and says how many it left
out and which lines (:class:`CsvReading`), refusing still a file none of whose rows is read.

Only regular files are read (a FIFO, a device or a folder is refused before anything is read,
never waited on). Bytes are read in blocks, each checked for binary content (a NUL byte,
wherever it starts) before it is split into lines; a line is at most :data:`MAX_LINE_CHARS`.
One number grammar (ASCII digits, sign, point, exponent; finite) decides for the preview and for
the reader: NumPy's C parser reads the chunks it can (the fast path), and a chunk it refuses is
read in pure Python by the preview's own rules, so that ten million rows load in seconds with
memory bounded by the data itself, with an optional progress callback that can cancel.
"""

from __future__ import annotations

import codecs
import csv
import math
import os
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import NoReturn

import numpy as np

from gdstudio.core.errors import BadRowError, DataError
from gdstudio.core.io.files import FileRefused, open_regular, quote

__all__ = [
    "XYData",
    "CsvPreview",
    "CsvReading",
    "is_header_name",
    "LoadCancelled",
    "synthetic_data",
    "preview_csv",
    "read_xy_csv",
    "available_memory",
    "MAX_SYNTHETIC_POINTS",
    "DEFAULT_SYNTHETIC",
    "SKIPPED_LINES_SHOWN",
]

#: Hard upper bound on synthetic data size, whatever the memory.
MAX_SYNTHETIC_POINTS = 200_000_000

_DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", " ": "space"}


class LoadCancelled(Exception):
    """Raised when a progress callback asks to stop a load."""


@dataclass(frozen=True)
class SyntheticSpec:
    """The parameters of the built-in synthetic data (y = slope·x + intercept + noise)."""

    n: int = 100
    seed: int = 0
    noise: float = 8.0
    slope: float = 2.5
    intercept: float = 10.0
    x_low: float = 0.0
    x_high: float = 50.0


#: The default regression data (DESIGN.md): about 100 points, x over tens of units; on it
#: lr = 1e-4 converges and lr = 1e-2 diverges.
DEFAULT_SYNTHETIC = SyntheticSpec()


#: Line numbers of skipped rows that a message names (the others are counted).
SKIPPED_LINES_SHOWN = 5

_PLACEHOLDER_NAME = re.compile(r"column [0-9]+")


def _placeholder_name(index: int) -> str:
    """The name of a column the file does not name (no header, or an empty header cell)."""
    return f"column {index + 1}"


def is_header_name(name: str) -> bool:
    """Whether a column name is a file's own (its header's), not the reader's placeholder
    ("column 2") for a column the file does not name."""
    return bool(name) and _PLACEHOLDER_NAME.fullmatch(name) is None


@dataclass(frozen=True)
class CsvReading:
    """How a CSV file was read: which two of its columns are x and y, and the rows left out
    when the load was asked to skip bad rows."""

    path: str
    #: The 0-based indices of the x and y columns.
    columns: tuple[int, int]
    #: Their names: the header's, or "column N" (numbered from 1) where the file has none.
    names: tuple[str, str]
    n_columns: int
    has_header: bool
    #: The load was asked to skip rows that cannot be read (whether or not it found any).
    skip_bad_rows: bool = False
    #: How many rows were skipped, the first :data:`SKIPPED_LINES_SHOWN` line numbers
    #: (1-based, as an editor numbers them), and why the first was (", column 'y': 'oops' is
    #: not a number", or ": 3 fields, expected 2 …": what follows "line N" in an error).
    skipped: int = 0
    skipped_lines: tuple[int, ...] = ()
    skipped_detail: str = ""

    def skipped_text(self) -> str:
        """"skipped 3 rows that are not two numbers: lines 4, 9, 17 (line 4, column 'y':
        'oops' is not a number)", or "" when none was."""
        if not self.skipped or not self.skipped_lines:
            return ""
        first = self.skipped_lines[0]
        if self.skipped == 1:
            return f"skipped 1 row that is not two numbers: line {first}{self.skipped_detail}"
        more = self.skipped - len(self.skipped_lines)
        listed = ", ".join(str(n) for n in self.skipped_lines)
        if more > 0:
            listed += f" and {more:,} more"
        return (f"skipped {self.skipped:,} rows that are not two numbers: lines {listed} "
                f"(line {first}{self.skipped_detail})")

    def columns_text(self) -> str:
        """"x is 'hours' (column 2), y is 'score' (column 3) of 3 columns": by the header's
        name where the file names the column, always by its number (from 1)."""
        parts = []
        for variable, index, name in zip(("x", "y"), self.columns, self.names, strict=True):
            if self.has_header and is_header_name(name):
                parts.append(f"{variable} is {quote(name, 40)} (column {index + 1})")
            else:
                parts.append(f"{variable} is column {index + 1}")
        return f"{parts[0]}, {parts[1]} of {self.n_columns} columns"


@dataclass(frozen=True, eq=False)
class XYData:
    """Two aligned float64 columns and where they came from."""

    x: np.ndarray
    y: np.ndarray
    source: str = "arrays"
    x_name: str = "x"
    y_name: str = "y"
    #: How a CSV file was read (None for data that did not come from one).
    reading: CsvReading | None = None

    def __len__(self) -> int:
        return int(self.x.shape[0])


def available_memory() -> int:
    """Bytes of memory this process can still reasonably use (best effort)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 8 * 1024**3


def format_bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"  # pragma: no cover


def check_synthetic_size(n: int) -> None:
    """Refuse, up front, a synthetic data size that cannot fit in memory."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise DataError(f"the number of points must be a whole number, got {n!r}")
    if n < 2:
        raise DataError(f"the number of points must be at least 2, got {n}")
    if n > MAX_SYNTHETIC_POINTS:
        raise DataError(
            f"{n:,} points is too many (at most {MAX_SYNTHETIC_POINTS:,})"
        )
    # x, y and a temporary of the same size while generating, plus the engine's working set.
    need = 4 * 8 * int(n)
    have = available_memory()
    if need > 0.6 * have:
        raise DataError(
            f"{n:,} points need about {format_bytes(need)} of memory; "
            f"only {format_bytes(have)} is available"
        )


def synthetic_data(
    n: int = DEFAULT_SYNTHETIC.n,
    seed: int = DEFAULT_SYNTHETIC.seed,
    noise: float = DEFAULT_SYNTHETIC.noise,
    *,
    slope: float = DEFAULT_SYNTHETIC.slope,
    intercept: float = DEFAULT_SYNTHETIC.intercept,
    x_low: float = DEFAULT_SYNTHETIC.x_low,
    x_high: float = DEFAULT_SYNTHETIC.x_high,
) -> XYData:
    """Seeded points around y = slope·x + intercept, x uniform in [x_low, x_high).

    The same (n, seed, noise) always gives the same data, on every machine (NumPy's PCG64).
    """
    check_synthetic_size(n)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DataError(f"the seed must be a whole number ≥ 0, got {seed!r}")
    for name, value in (("noise", noise), ("slope", slope), ("intercept", intercept)):
        if not isinstance(value, (int, float, np.floating)) or not math.isfinite(value):
            raise DataError(f"{name} must be a finite number, got {value!r}")
    if noise < 0:
        raise DataError(f"noise must be ≥ 0, got {noise}")
    if not (math.isfinite(x_low) and math.isfinite(x_high) and x_low < x_high):
        raise DataError(f"the x range must be finite and increasing, got {x_low}..{x_high}")
    rng = np.random.default_rng(int(seed))
    x = rng.uniform(x_low, x_high, int(n))
    y = rng.standard_normal(int(n))
    with np.errstate(all="ignore"):
        y *= noise
        y += slope * x
        y += intercept
    if not np.isfinite(y).all():
        raise DataError(f"noise {noise:g} is too large: the data overflow")
    return XYData(x, y, source=f"synthetic (n={n}, seed={seed}, noise={noise:g})")


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvPreview:
    """What the first lines of a CSV file look like: for a column chooser."""

    path: str
    delimiter: str
    decimal_comma: bool
    has_header: bool
    names: list[str]
    rows: list[list[str]]
    n_columns: int
    first_data_line: int
    #: The text's encoding, from its byte-order mark: "UTF-8", "UTF-16" or "UTF-32"
    encoding: str = "UTF-8"

    @property
    def python_encoding(self) -> str:
        """The name Python's :func:`open` reads this file's text with (the BOM skipped)."""
        return {"UTF-16": "utf-16", "UTF-32": "utf-32"}.get(self.encoding, "utf-8-sig")

    @property
    def delimiter_name(self) -> str:
        return _DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))

    def numeric_columns(self) -> list[int]:
        """Indices of columns whose preview cells all parse as numbers."""
        out = []
        for j in range(self.n_columns):
            cells = [r[j] for r in self.rows if j < len(r)]
            if cells and all(_is_number(c, self.decimal_comma) for c in cells):
                out.append(j)
        return out


def _is_number(cell: str, decimal_comma: bool = False) -> bool:
    try:
        _to_float(cell, decimal_comma)
    except ValueError:
        return False
    return True


#: What a number cell may hold (after its quotes and surrounding spaces go): ASCII digits with
#: an optional sign, point and exponent. The preview and the reader both decide with it; NumPy's
#: fast parser, which the reader tries first, accepts the same finite numbers (and is
#: cross-checked against it in the tests).
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_NON_FINITE = re.compile(r"[+-]?(?:inf|infinity|nan)", re.ASCII | re.IGNORECASE)


def _to_float(cell: str, decimal_comma: bool = False) -> float:
    """The finite number a cell holds; ``ValueError(reason)`` if it holds none."""
    text = cell.strip()
    if decimal_comma:
        text = text.replace(",", ".")
    if not text:
        raise ValueError("an empty cell")
    if _NUMBER.fullmatch(text):
        value = float(text)
        if math.isfinite(value):
            return value
        raise ValueError(f"{quote(cell)} is not a finite number (it overflows a float)")
    if _NON_FINITE.fullmatch(text):
        raise ValueError(f"{quote(cell)} is not a finite number")
    raise ValueError(f"{quote(cell)} is not a number")


def _split(line: str, delimiter: str) -> list[str]:
    """The cells of one line: RFC 4180 quoting (a quoted cell may hold the delimiter and
    doubled quotes), spaces around cells dropped; space-separated files split on runs of
    white space."""
    if delimiter == " ":
        return line.split()
    cells = next(csv.reader([line], delimiter=delimiter, quotechar='"', skipinitialspace=True))
    return [c.strip() for c in cells] if cells else [""]


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)
#: Bytes read (and checked for binary content) at a time.
_BLOCK_BYTES = 1 << 18
_SEP_HINT = re.compile(r"sep=(.?)", re.IGNORECASE)
#: The longest line a data file may have (a CSV of numbers has far shorter ones).
MAX_LINE_CHARS = 1 << 20
# (the csv module refuses cells over 128 KiB; a line is bounded by MAX_LINE_CHARS instead)
csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE_CHARS + 1))
#: The most rows the columns are first sized for (then grown by half, in place).
_FIRST_ROWS_MAX = 1 << 20


class _TextFile:
    """A data file's lines, read in blocks of bytes: the encoding from its byte-order mark
    (UTF-8 without one), every block checked for NUL characters (binary content, wherever it
    starts), every line bounded, before anything is kept. ``done`` counts the bytes read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.fh, self.size = open_regular(path)
        except FileRefused as err:
            raise DataError(f"{path}: {err}") from None
        head = self.fh.read(4)
        self.encoding, self.encoding_name, skip = "utf-8", "UTF-8", 0
        for bom, codec, name in _BOMS:
            if head.startswith(bom):
                self.encoding, self.encoding_name, skip = codec, name, len(bom)
                break
        self.fh.seek(skip)
        self.done = skip
        self.chars = 0  # characters decoded so far (for the bytes per character)
        self.hashes = False  # a "#" seen so far (comment lines may need filtering)

    def close(self) -> None:
        self.fh.close()

    def __enter__(self) -> _TextFile:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _binary(self, at: int) -> NoReturn:
        raise DataError(
            f"{self.path}: not a text CSV file: it contains binary data (a NUL byte near "
            f"offset {at:,}; UTF-16 text needs a byte-order mark)"
        )

    def blocks(self) -> Iterator[list[str]]:
        """Lists of whole lines (without their line ends), one list per block read."""
        decoder = codecs.getincrementaldecoder(self.encoding)(errors="strict")
        pending = ""
        line = 1
        while True:
            try:
                raw = self.fh.read(_BLOCK_BYTES)
            except OSError as err:
                raise DataError(f"{self.path}: cannot be read ({err.strerror or err})") from None
            final = not raw
            if self.encoding == "utf-8" and b"\x00" in raw:
                self._binary(self.done + raw.find(b"\x00"))
            try:
                text = decoder.decode(raw, final)
            except UnicodeDecodeError as err:
                start = max(0, err.start)
                at = self.done + start
                where, number = "", None
                if self.encoding == "utf-8":  # the line: the line ends before the bad byte
                    before = raw[:start]
                    ends = before.count(b"\n") or before.count(b"\r")
                    number = line + ends
                    where = f", line {number:,}"
                bad = err.object[start:start + 1].hex()
                raise DataError(
                    f"{self.path}{where}: not {self.encoding_name} text: the byte 0x{bad} at "
                    f"offset {at:,} cannot be decoded (another encoding, such as Latin-1, or "
                    f"binary data: save it as UTF-8, or UTF-16 with a byte-order mark)",
                    line=number,
                ) from None
            if "\x00" in text:
                self._binary(self.done)
            if not self.hashes and "#" in text:
                self.hashes = True
            self.done += len(raw)
            self.chars += len(text)
            text = pending + text
            if not final and text.endswith("\r"):
                text, pending = text[:-1], "\r"  # its "\n" may start the next block
            else:
                pending = ""
            if "\r" in text:  # universal newlines: CRLF and CR as LF
                text = text.replace("\r\n", "\n").replace("\r", "\n")
            lines = text.split("\n")
            if not final:
                pending = lines.pop() + pending
                if len(pending) > MAX_LINE_CHARS:
                    raise DataError(
                        f"{self.path}, line {line + len(lines):,}: longer than "
                        f"{MAX_LINE_CHARS:,} characters: not a CSV file of numbers",
                        line=line + len(lines),
                    )
            elif lines and lines[-1] == "":
                lines.pop()  # the end of the last line
            if len(text) > MAX_LINE_CHARS and max(map(len, lines), default=0) > MAX_LINE_CHARS:
                number = line + next(k for k, ln in enumerate(lines) if len(ln) > MAX_LINE_CHARS)
                raise DataError(
                    f"{self.path}, line {number:,}: longer than {MAX_LINE_CHARS:,} "
                    f"characters: not a CSV file of numbers", line=number)
            line += len(lines)
            if lines:
                yield lines
            if final:
                return

    def lines(self) -> Iterator[str]:
        return chain.from_iterable(self.blocks())  # (C-level: no Python frame per line)


def _sample_lines(text: _TextFile, limit: int = 50) -> list[tuple[int, str]]:
    """Up to ``limit`` non-empty, non-comment lines with their 1-based line numbers."""
    out: list[tuple[int, str]] = []
    for number, line in enumerate(text.lines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        out.append((number, stripped))
        if len(out) >= limit:
            break
    return out


def _choose_delimiter(lines: Sequence[str]) -> str:
    best, best_score = ",", (-1, -1)
    for d in _DELIMITERS:
        counts = [len(_split(line, d)) for line in lines]
        if not counts or counts[0] < 2:
            continue
        consistent = sum(1 for c in counts if c == counts[0])
        score = (consistent, counts[0])
        if score > best_score:
            best, best_score = d, score
    if best_score == (-1, -1):
        # One column, or separated by spaces
        if lines and len(lines[0].split()) >= 2:
            return " "
    return best


def preview_csv(path: str | os.PathLike[str], max_rows: int = 20) -> CsvPreview:
    """Look at the first lines: delimiter, header, column names, a few rows as text."""
    p = Path(path)
    with _TextFile(p) as text:
        lines = _sample_lines(text, limit=max(max_rows + 1, 50))
        encoding = text.encoding_name
    if not lines:
        raise DataError(f"{p}: the file is empty")
    hint = _SEP_HINT.fullmatch(lines[0][1])
    if hint is not None:  # a spreadsheet's "sep=;" first line names the delimiter
        asked = hint.group(1) or "\t"  # "sep=<tab>" lost its tab to the strip
        if asked not in (*_DELIMITERS, " "):
            raise DataError(
                f"{p}, line {lines[0][0]}: 'sep=' asks for the delimiter {quote(asked)}; "
                f"gdstudio reads comma, semicolon, tab or space", line=lines[0][0])
        lines = lines[1:]
        if not lines:
            raise DataError(f"{p}: no data rows (only a 'sep=' line)")
        delimiter = asked
    else:
        delimiter = _choose_delimiter([ln for _, ln in lines])

    def splitter(line: str) -> list[str]:
        return _split(line, delimiter)

    first = splitter(lines[0][1])
    decimal_comma = False
    if delimiter == ";":
        body = [c for _, ln in lines[1:] for c in splitter(ln)]
        decimal_comma = any("," in c for c in body) and not any("." in c for c in body)
    has_header = not all(_is_number(c, decimal_comma) for c in first)
    n_columns = len(first)
    if has_header:
        names = [c if c else _placeholder_name(j) for j, c in enumerate(first)]
        data = lines[1:]
    else:
        names = [_placeholder_name(j) for j in range(n_columns)]
        data = lines
    rows = [splitter(ln) for _, ln in data[:max_rows]]
    first_data_line = data[0][0] if data else lines[-1][0] + 1
    return CsvPreview(
        path=str(p),
        delimiter=delimiter,
        decimal_comma=decimal_comma,
        has_header=has_header,
        names=names,
        rows=rows,
        n_columns=n_columns,
        first_data_line=first_data_line,
        encoding=encoding,
    )


def _column_index(choice: int | str | None, default: int, preview: CsvPreview, what: str) -> int:
    if choice is None:
        index = default
    elif isinstance(choice, (int, np.integer)) and not isinstance(choice, bool):
        index = int(choice)
    elif (isinstance(choice, str) and choice.strip().lstrip("-").isdigit()
          and choice not in preview.names):
        index = int(choice)
    elif isinstance(choice, str):
        if choice not in preview.names:
            shown = [quote(n, 30) for n in preview.names[:12]]
            more = len(preview.names) - len(shown)
            available = ", ".join(shown) + (f" and {more:,} more" if more > 0 else "")
            raise DataError(f"{preview.path}: no column named {quote(choice)} "
                            f"(columns: {available})")
        index = preview.names.index(choice)
    else:
        raise DataError(f"{what} column must be a name or an index, got {quote(repr(choice))}")
    if not 0 <= index < preview.n_columns:
        raise DataError(
            f"{preview.path}: {what} column {index} does not exist "
            f"(the file has {preview.n_columns} column{'s' if preview.n_columns != 1 else ''}, "
            f"numbered from 0)"
        )
    return index


class _Skipped:
    """The rows a load that skips bad rows has left out so far: how many, the first line
    numbers, and why the first was left out."""

    def __init__(self) -> None:
        self.count = 0
        self.lines: list[int] = []
        self.detail = ""

    def add(self, number: int, detail: str) -> None:
        if not self.count:
            self.detail = detail
        self.count += 1
        if len(self.lines) < SKIPPED_LINES_SHOWN:
            self.lines.append(number)


def _row_problem(
    stripped: str, cells: Sequence[str], delimiter: str, n_columns: int
) -> str:
    """Why a line's cells are not a row of the file ("" if they are): what follows
    "line N" in its error."""
    if len(cells) != n_columns and stripped.count('"') % 2:
        return (": a quoted cell is not closed on this line (cells spanning lines are not "
                "supported)")
    if len(cells) != n_columns:
        return (f": {len(cells)} field{'s' if len(cells) != 1 else ''}, expected {n_columns} "
                f"(separated by {_DELIMITER_NAMES.get(delimiter, delimiter)})")
    return ""


def _parse_python(
    path: Path,
    lines: Sequence[str],
    first_line_number: int,
    delimiter: str,
    decimal_comma: bool,
    n_columns: int,
    columns: tuple[int, int],
    names: Sequence[str],
    skipped: _Skipped | None = None,
) -> tuple[np.ndarray, np.ndarray] | DataError:
    """The x and y columns of a chunk that NumPy's fast parser refused, read in pure Python
    with the preview's own rules (:func:`_split`, :func:`_to_float`), or the
    :class:`BadRowError` of its first bad line (the file, the line, the column and the
    reason). With ``skipped``, bad lines are counted there and left out instead."""
    xs: list[float] = []
    ys: list[float] = []
    for offset, raw in enumerate(lines):
        number = first_line_number + offset
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        cells = _split(stripped, delimiter)
        detail = _row_problem(stripped, cells, delimiter, n_columns)
        pair: list[float] = []
        if not detail:
            for j in columns:
                try:
                    pair.append(_to_float(cells[j], decimal_comma))
                except ValueError as err:
                    detail = f", column {quote(names[j])}: {err}"
                    break
        if detail:
            if skipped is None:
                return BadRowError(f"{path}, line {number}{detail}", line=number)
            skipped.add(number, detail)
            continue
        xs.append(pair[0])
        ys.append(pair[1])
    return np.array(xs, dtype=np.float64), np.array(ys, dtype=np.float64)


def _parse_chunk(
    lines: list[str],
    delimiter: str,
    decimal_comma: bool,
    n_columns: int,
    columns: tuple[int, int],
    hashes: bool = True,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Parse lines into the x and y columns with NumPy's C parser (the fast path); None if
    anything is off (then :func:`_parse_python` decides, with the preview's rules).
    ``hashes``: the text may hold a "#" (else no line can be a comment)."""
    if hashes:  # whole comment lines only: a "#" after a number is not a comment
        lines = [ln for ln in lines if not ln.lstrip().startswith("#")]
    if decimal_comma:
        lines = [ln.replace(",", ".") for ln in lines]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data" for comment-only chunks
            arr = np.loadtxt(
                lines,
                delimiter=None if delimiter == " " else delimiter,
                dtype=np.float64,
                comments=None,
                quotechar='"',
                ndmin=2,
            )
    except (ValueError, IndexError):
        return None
    if arr.size == 0:
        return np.empty(0), np.empty(0)
    if arr.shape[1] != n_columns:
        return None
    x = arr[:, columns[0]]
    y = arr[:, columns[1]]
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        return None
    return x, y


def _check_rows_fit(path: Path, rows: int, available: int | None = None) -> None:
    """Refuse, before reading on, a file whose rows (estimated from the first chunk's bytes
    per row) cannot fit: two float64 columns and the growth of one of them by half."""
    need = int(rows) * 8 * 3
    have = available_memory() if available is None else available
    if rows > MAX_SYNTHETIC_POINTS or need > 0.6 * have:
        raise DataError(
            f"{path}: too large to load: about {rows:,} rows, which need about "
            f"{format_bytes(need)} of memory; only {format_bytes(have)} is available"
        )


def read_xy_csv(
    path: str | os.PathLike[str],
    x_column: int | str | None = None,
    y_column: int | str | None = None,
    *,
    progress: Callable[[int, int], bool | None] | None = None,
    chunk_lines: int = 1 << 15,
    skip_bad_rows: bool = False,
) -> XYData:
    """Read two numeric columns (by default the first two) from a CSV file.

    Parameters
    ----------
    path
        The file. Header optional; comma, semicolon, tab (or space) separated.
    x_column, y_column
        Column names (from the header) or 0-based indices.
    progress
        Called as ``progress(bytes_done, bytes_total)`` after each chunk; returning ``False``
        cancels the load with :class:`LoadCancelled`.
    chunk_lines
        Lines parsed at a time. Memory is the two columns plus one chunk of text (a few MB).
    skip_bad_rows
        Leave out the rows that cannot be read as numbers (a cell that is not a finite
        number, an empty cell, the wrong number of fields) instead of refusing the file; the
        result's ``reading`` says how many and which lines. A file with fewer than two rows
        left is refused all the same.

    Raises
    ------
    BadRowError
        for the first row that cannot be read (unless ``skip_bad_rows``), naming the file,
        the line, the column and the reason.
    DataError
        naming the file, the line and the reason.
    """
    preview = preview_csv(path)
    p = Path(preview.path)
    if preview.n_columns < 2:
        line = preview.first_data_line - (1 if preview.has_header else 0)
        raise DataError(f"{p}: needs two numeric columns (x and y); line {line} has 1 column")
    xi = _column_index(x_column, 0, preview, "x")
    yi = _column_index(y_column, 1, preview, "y")
    if xi == yi:
        raise DataError(f"{p}: x and y must be different columns "
                        f"(both are {quote(preview.names[xi])})")
    # The columns go straight into two arrays sized from the first chunk's bytes per row (grown
    # by half if that was short, trimmed in place at the end): the peak is about the data plus
    # one chunk of text, never a list of parts and their concatenation.
    x = np.empty(0)
    y = np.empty(0)
    rows = 0
    skipped = _Skipped() if skip_bad_rows else None
    with _TextFile(p) as text:
        total = max(1, text.size)
        lines = text.lines()
        line_number = 1
        # skip what comes before the first data row (a 'sep=' line, the header, comments)
        for _ in islice(lines, preview.first_data_line - 1):
            line_number += 1
        while True:
            chunk = list(islice(lines, chunk_lines))
            if not chunk:
                break
            xy = _parse_chunk(
                chunk, preview.delimiter, preview.decimal_comma, preview.n_columns, (xi, yi),
                hashes=text.hashes,
            )
            if xy is None:
                # NumPy refused something: a bad line (found and explained here), or a form
                # only the pure-Python reader takes (a quote after a space, a text column)
                parsed = _parse_python(
                    p, chunk, line_number, preview.delimiter, preview.decimal_comma,
                    preview.n_columns, (xi, yi), preview.names, skipped,
                )
                if isinstance(parsed, DataError):
                    raise parsed
                xy = parsed
            chunk_chars = sum(map(len, chunk)) + len(chunk) if rows == 0 else 0
            line_number += len(chunk)
            del chunk
            done = text.done  # bytes read so far (a block ahead of the lines parsed)
            k = xy[0].shape[0]
            if rows + k > x.shape[0]:
                if rows == 0:  # first rows: guess the file's row count from their size
                    per_char = text.done / max(1, text.chars)  # 1 for ASCII, 2 for UTF-16
                    size = chunk_chars * per_char  # the bytes of the lines parsed so far
                    guess = int(k * (total / max(size, 1.0)) * 1.02) + 1024
                    _check_rows_fit(p, guess)
                    # (at most a million rows at first: a file's size is no promise that it
                    # is all rows, and growing by half in place is cheap)
                    need = max(k, min(guess, _FIRST_ROWS_MAX))
                else:
                    need = max(rows + k, x.shape[0] + x.shape[0] // 2)
                x.resize(need, refcheck=False)  # in place (realloc), keeps rows [0, rows)
                y.resize(need, refcheck=False)
            x[rows : rows + k] = xy[0]
            y[rows : rows + k] = xy[1]
            rows += k
            del xy
            if progress is not None and progress(min(done, total), total) is False:
                raise LoadCancelled(str(p))
    reading = CsvReading(
        path=str(p), columns=(xi, yi), names=(preview.names[xi], preview.names[yi]),
        n_columns=preview.n_columns, has_header=preview.has_header, skip_bad_rows=skip_bad_rows,
        skipped=skipped.count if skipped else 0,
        skipped_lines=tuple(skipped.lines) if skipped else (),
        skipped_detail=skipped.detail if skipped else "",
    )
    if rows < 2:
        if rows == 0 and skipped is not None and skipped.count:
            first = f"line {skipped.lines[0]}{skipped.detail}"
            if skipped.count == 1:
                raise DataError(f"{p}: the only data row is not two numbers ({first}): "
                                "nothing to fit")
            raise DataError(f"{p}: none of the {skipped.count:,} data rows is two numbers "
                            f"({first}): nothing to fit")
        got = "no data rows" if rows == 0 else "only 1 data row"
        why = f" ({reading.skipped_text()})" if reading.skipped else ""
        raise DataError(f"{p}: {got}; at least 2 are needed{why}")
    x.resize(rows, refcheck=False)
    y.resize(rows, refcheck=False)
    return XYData(x, y, source=str(p), x_name=preview.names[xi], y_name=preview.names[yi],
                  reading=reading)


def validate_xy(x: object, y: object, source: str = "data") -> XYData:
    """Check arrays given directly (API, session files) the way a CSV is checked."""
    try:
        xa = np.asarray(x, dtype=np.float64).reshape(-1)
        ya = np.asarray(y, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as err:
        raise DataError(f"{source}: x and y must be numbers ({err})") from None
    if xa.shape != ya.shape:
        raise DataError(f"{source}: x has {xa.size} values but y has {ya.size}")
    if xa.size < 2:
        raise DataError(f"{source}: at least 2 points are needed, got {xa.size}")
    bad = ~(np.isfinite(xa) & np.isfinite(ya))
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"{source}: point {i} ({xa[i]}, {ya[i]}) is not finite")
    return XYData(np.ascontiguousarray(xa), np.ascontiguousarray(ya), source=source)
