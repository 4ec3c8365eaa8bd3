"""Reading a lesson file: bounded and safe reading, the ``+++`` blocks, TOML, validation.

A lesson file is Markdown with TOML blocks between lines of ``+++``: the first block is the
lesson's header, each further block opens a step, and the Markdown after a block is that
step's text. Nothing from the file is ever evaluated: TOML is read by :mod:`tomllib`,
expressions by the core's whitelisting parser. Every error is a :class:`LessonError` naming
the 1-based line and the reason (an unknown field is named, with the allowed ones).
"""

from __future__ import annotations

import difflib
import hashlib
import math
import os
import re
import stat
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gdstudio.core.descent.config import HYPER_PARAMETERS
from gdstudio.core.lessons.errors import LessonError
from gdstudio.core.lessons.model import (
    BEHAVIOURS,
    MAX_LESSON_BYTES,
    MAX_LESSON_EPOCHS,
    MAX_LESSON_LANES,
    MAX_LESSON_POINTS,
    MAX_LESSON_STEPS,
    PANELS,
    PREDICTION_KINDS,
    PROBLEM_KINDS,
    QUANTITIES,
    Check,
    LaneSetup,
    Lesson,
    Prediction,
    Quantity,
    Setup,
    Step,
)
from gdstudio.core.lessons.text import read_number

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10: the same parser, as a package
    import tomli as tomllib

__all__ = ["parse_lesson", "read_lesson_file", "HEADER_FIELDS", "STEP_FIELDS", "SETUP_FIELDS",
           "PREDICT_FIELDS", "CHECK_FIELDS", "LANE_FIELDS", "AFTER_HEADING", "NAME_PATTERN"]

#: The lesson header's fields.
HEADER_FIELDS = ("title", "name", "summary", "format")
#: Fields of a step's block that set the window up (inherited by later steps; race excepted).
SETUP_FIELDS = ("problem", "expr", "x0", "m0", "c0", "data", "synthetic", "seed", "noise", "lr",
                "epochs", "tol", "engine", "dtype", "optimizer", "momentum", "beta1", "beta2",
                "alpha", "eps", "scale_x", "stop_on_cycle", "batch_size", "batch_seed", "race",
                "panels")
#: Every field of a step's block: its title, the setup, and the predict and check tables.
STEP_FIELDS = ("title", *SETUP_FIELDS, "predict", "check")
#: A ``[predict]`` table.
PREDICT_FIELDS = ("kind", "ask", "options", "quantity", "epoch", "distance", "lane", "with",
                  "tolerance", "relative")
#: A ``[[check]]`` table.
CHECK_FIELDS = ("quantity", "epoch", "distance", "lane", "with", "value", "shown", "tolerance")
#: A lane of ``race``.
LANE_FIELDS = ("lr", "optimizer", *HYPER_PARAMETERS)
#: Setup fields a quantity's ``with`` may change.
OVERRIDE_FIELDS = ("lr", "epochs", "tol", "engine", "dtype", "optimizer", "momentum", "beta1",
                   "beta2", "alpha", "eps", "scale_x", "x0", "m0", "c0")
#: The heading that splits a step's text: what follows is shown once the run is done.
AFTER_HEADING = "## After the run"
#: A lesson's name: lower-case letters, digits and dashes.
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
#: The only format version so far.
FORMAT_VERSION = 1

_DELIMITER = "+++"
_HEADING = re.compile(r"^#{1,6}\s")


# --------------------------------------------------------------------------------------------
# Reading the file: bounded, never blocking, never a traceback
# --------------------------------------------------------------------------------------------


def read_lesson_file(path: str | os.PathLike[str], *, source: str | None = None,
                     max_bytes: int = MAX_LESSON_BYTES) -> str:
    """The text of a lesson file, refused with one clear :class:`LessonError` if it is not a
    regular file (a directory, a FIFO, a device), is larger than ``max_bytes``, or is not
    UTF-8. A FIFO is refused before it is opened (opening one would wait for a writer)."""
    name = source if source is not None else os.fspath(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise LessonError("no such file", source=name) from None
    except NotADirectoryError:
        raise LessonError("no such file (a part of the path is not a folder)",
                          source=name) from None
    except PermissionError:
        raise LessonError("permission denied", source=name) from None
    except (OSError, ValueError) as err:
        raise LessonError(f"cannot read it: {_os_reason(err)}", source=name) from None
    _require_regular(info.st_mode, name)
    if info.st_size > max_bytes:
        raise LessonError(f"the file is too large for a lesson ({info.st_size:,} bytes; "
                          f"at most {max_bytes:,})", source=name)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except PermissionError:
        raise LessonError("permission denied", source=name) from None
    except OSError as err:
        raise LessonError(f"cannot read it: {_os_reason(err)}", source=name) from None
    try:
        _require_regular(os.fstat(fd).st_mode, name)  # the path may have been swapped since
        chunks: list[bytes] = []
        got = 0
        while got <= max_bytes:
            chunk = os.read(fd, max_bytes + 1 - got)
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    except OSError as err:
        raise LessonError(f"cannot read it: {_os_reason(err)}", source=name) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise LessonError(f"the file is too large for a lesson (more than {max_bytes:,} bytes)",
                          source=name)
    return decode_lesson_bytes(data, name)


def _require_regular(mode: int, name: str) -> None:
    if stat.S_ISDIR(mode):
        raise LessonError("is a directory, not a lesson file", source=name)
    if stat.S_ISFIFO(mode):
        raise LessonError("is a named pipe (FIFO), not a lesson file", source=name)
    if not stat.S_ISREG(mode):
        raise LessonError("is not a regular file (a device or a socket?)", source=name)


def _os_reason(err: BaseException) -> str:
    return getattr(err, "strerror", None) or str(err) or type(err).__name__


def decode_lesson_bytes(data: bytes, name: str) -> str:
    """UTF-8 (a byte-order mark allowed) or a :class:`LessonError` naming the line."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise LessonError(f"not UTF-8 text (byte 0x{data[err.start]:02x}); save the lesson as "
                          "UTF-8", line=line, source=name) from None


# --------------------------------------------------------------------------------------------
# Where each TOML key sits
# --------------------------------------------------------------------------------------------

Path_ = tuple[Any, ...]


class KeyLines:
    """The line of each key of a TOML block, found by a light scan of its lines.

    Paths: ``("lr",)``, ``("predict", "kind")``, ``("check", 1, "shown")`` (the second
    ``[[check]]``), ``("race", 0, "lr")`` (the first lane, as ``[[race]]`` or an inline table).
    :meth:`of` falls back to the nearest enclosing path, then to the block's first line.
    """

    def __init__(self, lines: list[str], first_line: int) -> None:
        self.first = first_line
        self.lines: dict[Path_, int] = {}
        self._scan(lines)

    def of(self, *path: Any) -> int:
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.first

    def _record(self, path: Path_, line: int) -> None:
        self.lines.setdefault(path, line)

    def _scan(self, lines: list[str]) -> None:
        prefix: Path_ = ()
        counts: dict[Path_, int] = {}
        in_string = ""  # the delimiter of a multi-line string being skipped
        array: tuple[Path_, int, int] | None = None  # (key path, bracket depth, element index)
        for i, raw in enumerate(lines):
            ln = self.first + i
            if in_string:
                if raw.count(in_string) % 2 == 1:
                    in_string = ""
                continue
            if array is not None:
                array = self._scan_array(raw, ln, array)
                continue
            s = raw.strip()
            if not s or s.startswith("#"):
                continue
            if s.startswith("[["):
                name = tuple(_dotted(s[2:].split("]]")[0]))
                idx = counts.get(name, 0)
                counts[name] = idx + 1
                prefix = (*name, idx)
                self._record(name, ln)
                self._record(prefix, ln)
                continue
            if s.startswith("["):
                prefix = tuple(_dotted(s[1:].split("]")[0]))
                self._record(prefix, ln)
                continue
            m = _KEY.match(s)
            if not m:
                continue
            key = (*prefix, *_dotted(m.group(1)))
            self._record(key, ln)
            rest = s[m.end():].strip()
            for delim in ('"""', "'''"):
                if rest.startswith(delim) and rest.count(delim) % 2 == 1:
                    in_string = delim
            if rest.startswith("[") or rest.startswith("{"):
                array = self._scan_array(rest, ln, (key, 0, 0))
        return

    def _scan_array(self, text: str, ln: int, state: tuple[Path_, int, int]
                    ) -> tuple[Path_, int, int] | None:
        key, depth, index = state
        quote = ""
        for ch in text:
            if quote:
                if ch == quote:
                    quote = ""
                continue
            if ch in "\"'":
                quote = ch
            elif ch == "#":
                break
            elif ch in "[{":
                if ch == "{" and depth == 1:
                    self._record((*key, index), ln)
                    index += 1
                depth += 1
            elif ch in "]}":
                depth -= 1
                if depth <= 0:
                    return None
        return (key, depth, index)


_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_KEY = re.compile(rf"^({_PART}(?:\s*\.\s*{_PART})*)\s*=")


def _dotted(text: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", text)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------


class _Block:
    """One TOML block: its table, the lines of its keys, and checks that raise at the line."""

    def __init__(self, table: dict[str, Any], lines: KeyLines, source: str) -> None:
        self.table = table
        self.lines = lines
        self.source = source

    def fail(self, reason: str, *path: Any) -> LessonError:
        return LessonError(reason, line=self.lines.of(*path), source=self.source)

    def only(self, table: dict[str, Any], allowed: Iterable[str], what: str, *path: Any) -> None:
        allowed = tuple(allowed)
        for key in table:
            if key not in allowed:
                hint = _did_you_mean(key, allowed)
                raise self.fail(f"unknown field {key!r}{what} ({hint}allowed: "
                                f"{', '.join(allowed)})", *path, key)


def _did_you_mean(key: str, allowed: tuple[str, ...]) -> str:
    """"did you mean 'lr'? " for 'lrate' (a shared start first, then difflib), or ""."""
    low = key.lower()
    prefixed = [a for a in allowed if len(a) >= 2 and (low.startswith(a) or a.startswith(low))]
    close = sorted(prefixed, key=len, reverse=True)[:1] or difflib.get_close_matches(
        low, allowed, n=1)
    return f"did you mean {close[0]!r}? " if close and close[0] != key else ""


def _name(path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path if not isinstance(p, int))


def _text(b: _Block, value: Any, *path: Any, empty: bool = False) -> str:
    if not isinstance(value, str):
        raise b.fail(f"{_name(path)} must be text in quotes, got {_show(value)}", *path)
    if not empty and not value.strip():
        raise b.fail(f"{_name(path)} must not be empty", *path)
    return value


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return str(value)


def _float(b: _Block, value: Any, *path: Any, low: float | None = None,
           low_open: bool = False, high: float | None = None, high_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise b.fail(f"{_name(path)} must be a number, got {_show(value)}", *path)
    v = float(value)
    if not math.isfinite(v):
        raise b.fail(f"{_name(path)} must be a finite number, got {_show(value)}", *path)
    bad = ((low is not None and (v < low or (low_open and v == low)))
           or (high is not None and (v > high or (high_open and v == high))))
    if bad:
        lo = "" if low is None else f"{'>' if low_open else '≥'} {low:g}"
        hi = "" if high is None else f"{'<' if high_open else '≤'} {high:g}"
        rule = " and ".join(p for p in (lo, hi) if p)
        raise b.fail(f"{_name(path)} must be {rule}, got {_show(value)}", *path)
    return v


def _int(b: _Block, value: Any, *path: Any, low: int, high: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise b.fail(f"{_name(path)} must be a whole number, got {_show(value)}", *path)
    if not low <= value <= high:
        raise b.fail(f"{_name(path)} must be from {low:,} to {high:,}, got {value:,}", *path)
    return value


def _bool(b: _Block, value: Any, *path: Any) -> bool:
    if not isinstance(value, bool):
        raise b.fail(f"{_name(path)} must be true or false, got {_show(value)}", *path)
    return value


def _choice(b: _Block, value: Any, choices: Iterable[str], *path: Any) -> str:
    choices = tuple(choices)
    text = _text(b, value, *path)
    if text not in choices:
        raise b.fail(f"{_name(path)} must be one of {', '.join(choices)}, got {text!r}", *path)
    return text


# --------------------------------------------------------------------------------------------
# The file's structure
# --------------------------------------------------------------------------------------------


class _Piece:
    """A TOML block (lines ``first``… of the file) and the Markdown after it."""

    def __init__(self, line: int, toml_lines: list[str], body: list[tuple[int, str]]) -> None:
        self.line = line  # the opening +++
        self.toml_lines = toml_lines
        self.body = body  # (line number, text)


def _pieces(text: str, source: str) -> list[_Piece]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    pieces: list[_Piece] = []
    i = 0
    # before the header: blank lines only
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i == len(lines) or lines[i].strip() != _DELIMITER:
        raise LessonError("a lesson starts with its header: a line +++, the lesson's fields "
                          "(title = \"...\"), and another line +++", line=min(i + 1, len(lines)),
                          source=source)
    fenced = False
    while i < len(lines):
        opening = i
        i += 1
        toml_lines: list[str] = []
        while i < len(lines) and lines[i].strip() != _DELIMITER:
            toml_lines.append(lines[i])
            i += 1
        if i == len(lines):
            raise LessonError("this +++ block is never closed (a line +++ must end it)",
                              line=opening + 1, source=source)
        i += 1
        body: list[tuple[int, str]] = []
        while i < len(lines):
            stripped = lines[i].strip()
            if stripped.startswith("```"):
                fenced = not fenced
            elif not fenced and stripped == _DELIMITER:
                break
            body.append((i + 1, lines[i]))
            i += 1
        pieces.append(_Piece(opening + 1, toml_lines, body))
        if len(pieces) > MAX_LESSON_STEPS + 1:
            raise LessonError(f"too many steps (at most {MAX_LESSON_STEPS})", line=opening + 1,
                              source=source)
    return pieces


def _toml(piece: _Piece, source: str) -> _Block:
    first = piece.line + 1
    try:
        table = tomllib.loads("\n".join(piece.toml_lines))
    except tomllib.TOMLDecodeError as err:
        msg = str(err)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        reason = re.sub(r"\s*\(at (?:line \d+, column \d+|end of document)\)", "", msg)
        if m:
            line = first + int(m.group(1)) - 1
            reason = f"{reason} (column {m.group(2)})"
        else:
            line = first + max(len(piece.toml_lines) - 1, 0)
        raise LessonError(f"not valid TOML: {reason[:1].lower()}{reason[1:]}", line=line,
                          source=source) from None
    return _Block(table, KeyLines(piece.toml_lines, first), source)


def _body(piece: _Piece, source: str, *, allow_after: bool) -> tuple[str, str]:
    """The Markdown after a block: (before, after) "## After the run"; other headings refused."""
    before: list[str] = []
    after: list[str] = []
    target = before
    split_at = 0
    fenced = False
    for ln, line in piece.body:
        stripped = line.strip()
        if stripped.startswith("```"):
            fenced = not fenced
        elif not fenced and _HEADING.match(stripped):
            is_after = stripped.rstrip(" #").lower() == AFTER_HEADING.lower()
            if allow_after and is_after and not split_at:
                target = after
                split_at = ln
                continue
            what = ("a step's title is its heading (title = \"...\" in its block); the only "
                    f"heading in a step's text is {AFTER_HEADING!r}") if allow_after else (
                "the lesson's title is its heading (title = \"...\" in the header)")
            if split_at and allow_after and is_after:
                what = f"{AFTER_HEADING!r} may appear once in a step"
            raise LessonError(f"headings are not allowed here: {what}", line=ln, source=source)
        target.append(line.rstrip())
    return _trim(before), _trim(after)


def _trim(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n")


# --------------------------------------------------------------------------------------------
# The lesson
# --------------------------------------------------------------------------------------------


def parse_lesson(text: str, *, source: str = "lesson", name: str | None = None) -> Lesson:
    """Read and validate a lesson's text (see ``docs/lessons.md``).

    ``source`` names the file in messages; ``name`` is the lesson's name when its header
    does not give one (a file's stem). Every step is built into a run configuration
    (:func:`~.build.step_config`) so that a lesson which parses is one the window can run.

    Raises
    ------
    LessonError
        with the 1-based line and the reason.
    """
    from gdstudio.core.lessons.build import lesson_configs

    if len(text) > MAX_LESSON_BYTES:
        raise LessonError(f"the lesson is too long (at most {MAX_LESSON_BYTES:,} characters)",
                          source=source)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise LessonError("the text contains a NUL byte (is it a text file?)", line=line,
                          source=source)
    pieces = _pieces(text, source)
    header = _toml(pieces[0], source)
    lesson_name, title, summary = _header(header, name)
    intro, _ = _body(pieces[0], source, allow_after=False)
    if len(pieces) < 2:
        raise LessonError("the lesson has no steps: each step starts with a +++ block "
                          "holding at least its title", line=pieces[0].line, source=source)
    steps = tuple(_step(i, piece, source) for i, piece in enumerate(pieces[1:]))
    lesson = Lesson(
        name=lesson_name, title=title, steps=steps, summary=summary, intro=intro, source=source,
        file=source,
        fingerprint=hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16],
    )
    lesson_configs(lesson)  # raises LessonError at the line to blame
    return lesson


def _header(b: _Block, default_name: str | None) -> tuple[str, str, str]:
    t = b.table
    b.only(t, HEADER_FIELDS, " in the lesson's header")
    if "format" in t:
        fmt = _int(b, t["format"], "format", low=1, high=10**6)
        if fmt != FORMAT_VERSION:
            raise b.fail(f"this lesson is in format {fmt}; this gdstudio reads format "
                         f"{FORMAT_VERSION}", "format")
    if "title" not in t:
        raise b.fail("the lesson's header needs a title (title = \"...\")")
    title = _text(b, t["title"], "title").strip()
    summary = _text(b, t.get("summary", ""), "summary", empty=True).strip()
    if "name" in t:
        name = _text(b, t["name"], "name").strip()
    else:
        name = _default_name(default_name or title)
    if not NAME_PATTERN.match(name):
        raise b.fail(f"name must be lower-case letters, digits and dashes (like "
                     f"'first-example'), got {name!r}", "name")
    return name, title, summary


def _default_name(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64].strip("-")
    return slug or "lesson"


def _step(index: int, piece: _Piece, source: str) -> Step:
    b = _toml(piece, source)
    t = b.table
    b.only(t, STEP_FIELDS, "")
    if "title" not in t:
        raise LessonError("a step needs a title (title = \"...\" in its +++ block)",
                          line=piece.line, source=source)
    title = _text(b, t["title"], "title").strip()
    setup = _setup(b, t)
    prediction = _prediction(b, t["predict"]) if "predict" in t else None
    checks: tuple[Check, ...] = ()
    if "check" in t:
        raw = t["check"]
        if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
            raise b.fail("check must be tables: write each as [[check]]", "check")
        if len(raw) > 100:
            raise b.fail("at most 100 checks in a step", "check")
        checks = tuple(_check(b, c, i) for i, c in enumerate(raw))
    text, after = _body(piece, source, allow_after=True)
    step = Step(index=index, title=title, text=text, after=after, setup=setup,
                prediction=prediction, checks=checks, line=piece.line)
    for i, check in enumerate(checks):
        if check.shown is not None and check.shown not in text and check.shown not in after:
            raise b.fail(f"check shows {check.shown!r}, which is not in the step's text", "check",
                         i, "shown")
    return step


# --- setup -------------------------------------------------------------------------------------

_FLOATS: dict[str, dict[str, Any]] = {
    "lr": {"low": 0.0, "low_open": True},
    "tol": {"low": 0.0},
    "noise": {"low": 0.0},
    "momentum": {"low": 0.0, "high": 1.0, "high_open": True},
    "beta1": {"low": 0.0, "high": 1.0, "high_open": True},
    "beta2": {"low": 0.0, "high": 1.0, "high_open": True},
    "alpha": {"low": 0.0, "high": 1.0, "high_open": True},
    "eps": {"low": 0.0, "low_open": True},
    "m0": {},
    "c0": {},
}
_INTS: dict[str, tuple[int, int]] = {
    "epochs": (0, MAX_LESSON_EPOCHS),
    "synthetic": (2, MAX_LESSON_POINTS),
    "seed": (0, 2**63 - 1),
    "batch_size": (0, MAX_LESSON_POINTS),
    "batch_seed": (0, 2**63 - 1),
}


def _choices(name: str) -> tuple[str, ...]:
    from gdstudio.core.descent.config import DTYPES, ENGINES
    from gdstudio.core.descent.optimizers import OPTIMIZERS

    return {"problem": PROBLEM_KINDS, "engine": ENGINES, "dtype": DTYPES,
            "optimizer": OPTIMIZERS}[name]


def _setup_value(b: _Block, key: str, value: Any, *path: Any) -> Any:
    """One setup field's value, checked (``path`` locates it in the block)."""
    path = path or (key,)
    if key in _FLOATS:
        return _float(b, value, *path, **_FLOATS[key])
    if key in _INTS:
        lo, hi = _INTS[key]
        return _int(b, value, *path, low=lo, high=hi)
    if key in ("problem", "engine", "dtype", "optimizer"):
        return _choice(b, value, _choices(key), *path)
    if key in ("scale_x", "stop_on_cycle"):
        return _bool(b, value, *path)
    if key == "x0":
        if isinstance(value, list):
            if len(value) != 2:
                raise b.fail(f"x0 must be a number (for f(x)) or two numbers [x, y] (for "
                             f"f(x, y)), got {len(value)} numbers", *path)
            return (_float(b, value[0], *path), _float(b, value[1], *path))
        return _float(b, value, *path)
    if key == "expr":
        return _text(b, value, *path)
    if key == "data":
        text = _text(b, value, *path).strip()
        if text != "synthetic" and not re.match(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", text):
            raise b.fail("data must be \"synthetic\" or the name of a bundled data set "
                         f"(letters, digits, - and _), got {text!r}", *path)
        return text
    raise AssertionError(key)  # pragma: no cover


def _setup(b: _Block, t: dict[str, Any]) -> Setup:
    values: dict[str, Any] = {}
    for key in SETUP_FIELDS:
        if key not in t or key in ("race", "panels"):
            continue
        values[key] = _setup_value(b, key, t[key])
    if "expr" in values:
        _check_expr(b, values["expr"], values.get("problem"))
    if "race" in t:
        values["race"] = _race(b, t["race"])
    if "panels" in t:
        raw = t["panels"]
        if not isinstance(raw, list):
            raise b.fail(f"panels must be a list like [\"curve\", \"loss\"], got {_show(raw)}",
                         "panels")
        panels = []
        for p in raw:
            panels.append(_choice(b, p, PANELS, "panels"))
        values["panels"] = tuple(dict.fromkeys(panels))
    if "data" in values or "synthetic" in values or "seed" in values or "noise" in values:
        data = values.get("data")
        if data not in (None, "synthetic"):
            for key in ("synthetic", "seed", "noise"):
                if key in values:
                    raise b.fail(f"{key} applies to synthetic data, not to the data set {data!r}",
                                 key)
    lines = tuple((key, b.lines.of(key)) for key in values)
    return Setup(**values, lines=lines)


def _check_expr(b: _Block, text: str, problem: str | None) -> None:
    from gdstudio.core.errors import ExpressionError
    from gdstudio.core.expr.expression import parse_expression

    if problem == "regression":
        raise b.fail("expr applies to function and surface problems, not to a regression", "expr")
    variables = ("x",) if problem == "function" else ("x", "y")
    try:
        parsed = parse_expression(text, variables)
    except ExpressionError as err:
        hint = ""
        if problem == "function" and "'y'" in str(err):
            hint = " (a function of x and y is problem = \"surface\")"
        raise b.fail(f"expr does not parse: {err}{hint}", "expr") from None
    del parsed  # f(x, y) that ignores y is allowed (a valley along x)


def _race(b: _Block, raw: Any) -> tuple[LaneSetup, ...]:
    if not isinstance(raw, list) or not all(isinstance(v, dict) for v in raw):
        raise b.fail("race must be a list of lanes: [[race]] tables, or race = [{lr = 0.1}, "
                     "{lr = 0.3}]", "race")
    if len(raw) > MAX_LESSON_LANES:
        raise b.fail(f"a lesson's race has at most {MAX_LESSON_LANES} lanes, got {len(raw)}",
                     "race")
    lanes = []
    for i, lane in enumerate(raw):
        b.only(lane, LANE_FIELDS, " in a lane of race", "race", i)
        values = {k: _setup_value(b, k, v, "race", i, k) for k, v in lane.items()}
        lanes.append(LaneSetup(**values, line=b.lines.of("race", i)))
    return tuple(lanes)


# --- predictions and checks ---------------------------------------------------------------------


def _quantity(b: _Block, t: dict[str, Any], where: tuple[Any, ...], *, words: bool = True
              ) -> Quantity:
    if "quantity" not in t:
        raise b.fail("quantity is missing: what number is asked? (allowed: "
                     f"{', '.join(QUANTITIES)})", *where)
    name = _text(b, t["quantity"], *where, "quantity").strip()
    if name not in QUANTITIES:
        hint = _did_you_mean(name, tuple(QUANTITIES))
        raise b.fail(f"unknown quantity {name!r} ({hint}allowed: {', '.join(QUANTITIES)})",
                     *where, "quantity")
    info = QUANTITIES[name]
    if not words and info.type == "word":
        raise b.fail(f"a number prediction needs a number; {name!r} is a word (ask for it with "
                     "kind = \"choice\")", *where, "quantity")
    epoch = distance = lane = None
    for param in ("epoch", "distance"):
        if param in t and param not in info.takes:
            raise b.fail(f"{param} does not apply to {name!r}", *where, param)
    if "epoch" in t:
        epoch = _int(b, t["epoch"], *where, "epoch", low=0, high=MAX_LESSON_EPOCHS)
    if "distance" in t:
        distance = _float(b, t["distance"], *where, "distance", low=0.0, low_open=True)
    if "lane" in t:
        lane = _int(b, t["lane"], *where, "lane", low=1, high=MAX_LESSON_LANES)
    overrides: tuple[tuple[str, Any], ...] = ()
    if "with" in t:
        raw = t["with"]
        if not isinstance(raw, dict):
            raise b.fail("with must be a table of setup fields, like with = {lr = 0.7}", *where,
                         "with")
        b.only(raw, OVERRIDE_FIELDS, " in with", *where, "with")
        overrides = tuple((k, _setup_value(b, k, v, *where, "with", k)) for k, v in raw.items())
    lines = tuple((k, b.lines.of(*where, k)) for k in ("quantity", "epoch", "distance", "lane",
                                                        "with") if k in t)
    return Quantity(name, epoch=epoch, distance=distance, lane=lane, overrides=overrides,
                    line=b.lines.of(*where, "quantity"), lines=lines)


def _prediction(b: _Block, t: Any) -> Prediction:
    if not isinstance(t, dict):
        raise b.fail("predict must be a table: write it as [predict]", "predict")
    b.only(t, PREDICT_FIELDS, " in [predict]", "predict")
    if "kind" not in t:
        raise b.fail(f"predict needs a kind ({', '.join(PREDICTION_KINDS)})", "predict")
    kind = _text(b, t["kind"], "predict", "kind").strip()
    if kind not in PREDICTION_KINDS:
        raise b.fail(f"unknown prediction kind {kind!r} (allowed: {', '.join(PREDICTION_KINDS)})",
                     "predict", "kind")
    if "ask" not in t:
        raise b.fail("predict needs the question: ask = \"...\"", "predict")
    ask = _text(b, t["ask"], "predict", "ask").strip()
    line = b.lines.of("predict")
    tolerance = relative = None
    if kind == "choice":
        for key in ("quantity", "epoch", "distance", "tolerance", "relative"):
            if key in t:
                raise b.fail(f"{key} applies to kind = \"number\"; a choice asks what the run "
                             "does", "predict", key)
        options: tuple[str, ...] = BEHAVIOURS
        if "options" in t:
            raw = t["options"]
            if not isinstance(raw, list) or len(raw) < 2:
                raise b.fail("options must be a list of at least two of "
                             f"{', '.join(BEHAVIOURS)}", "predict", "options")
            options = tuple(dict.fromkeys(_choice(b, o, BEHAVIOURS, "predict", "options")
                                          for o in raw))
            if len(options) < 2:
                raise b.fail("options must hold at least two different choices", "predict",
                             "options")
        target = _quantity(b, {**t, "quantity": "behaviour"}, ("predict",))
        return Prediction(kind, ask, target, options=options, line=line)
    if "options" in t:
        raise b.fail("options applies to kind = \"choice\"", "predict", "options")
    quantity = _quantity(b, t, ("predict",), words=False)
    if "tolerance" in t:
        tolerance = _float(b, t["tolerance"], "predict", "tolerance", low=0.0)
    if "relative" in t:
        relative = _float(b, t["relative"], "predict", "relative", low=0.0)
    return Prediction(kind, ask, quantity, tolerance=tolerance, relative=relative, line=line)


def _check(b: _Block, t: dict[str, Any], i: int) -> Check:
    where = ("check", i)
    b.only(t, CHECK_FIELDS, " in [[check]]", *where)
    quantity = _quantity(b, t, where)
    info = quantity.info
    shown: str | None = None
    value: float | str | None = None
    if "shown" in t:
        shown = _text(b, t["shown"], *where, "shown").strip()
    if "value" in t:
        raw = t["value"]
        if info.type == "word":
            value = _text(b, raw, *where, "value").strip()
        else:
            value = _float(b, raw, *where, "value")
    if value is None and shown is None:
        raise b.fail("a check needs the value it expects (value = ...) or the text it shows "
                     "(shown = \"...\")", *where)
    if shown is not None and info.type != "word" and value is None:
        try:
            value = read_number(shown)
        except ValueError as err:
            raise b.fail(f"shown: {err}; or give the number as value = ...", *where,
                         "shown") from None
    if shown is not None and info.type == "word" and value is None:
        value = shown
    tolerance = None
    if "tolerance" in t:
        if info.type == "word":
            raise b.fail(f"tolerance does not apply to {quantity.name!r} (a word)", *where,
                         "tolerance")
        tolerance = _float(b, t["tolerance"], *where, "tolerance", low=0.0)
    return Check(quantity, value=value, shown=shown, tolerance=tolerance,
                 line=b.lines.of(*where))


def stem(path: str | os.PathLike[str]) -> str:
    """A file's name without its suffix: the default name of a lesson read from it."""
    return _default_name(Path(path).stem)
