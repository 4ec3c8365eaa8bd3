"""Session files (``.gdstudio``): a problem, its run settings, the run's history and UI state.

A session is one JSON document::

    {
      "format": "gdstudio-session",
      "version": 1,
      "app": "gdstudio 0.1.0",
      "problem": {"kind": "function", "expr": "x**2 - 4*x + 5", "variables": ["x"],
                  "preset": "quadratic", "name": "...", "x0": 7.0, "lr": 0.1,
                  "x_range": [-4.0, 8.0]},
      "config": {"x0": null, "m0": 0.0, "c0": 0.0, "lr": 0.1, "epochs": 50,
                 "engine": "manual", "device": "cpu", "dtype": "float64", "optimizer": "gd",
                 "tol": 0.0, "momentum": 0.9, "beta1": 0.9, "beta2": 0.999, "alpha": 0.99,
                 "eps": null, "stop_on_cycle": false},
      "history": {"status": "max_epochs", "message": "...", "param_names": ["x"],
                  "epochs_run": 50, "params": [[7.0, 6.0, ...]], "loss": [26.0, 17.0, ...],
                  "grad": [[10.0, 8.0, ...]], "lr_changes": [[12, 0.05]]},
      "ui": {"tab": "function", "speed": 40}
    }

* A regression problem embeds its data: ``{"kind": "regression", "name", "source", "x_name",
  "y_name", "synthetic": {n, seed, noise, slope, intercept, x_low, x_high} | null, "n",
  "x": [...], "y": [...]}``. Floats are written with ``repr`` so every number reads back as the
  same float, bit for bit.
* History arrays are stored by column: ``params`` and ``grad`` hold one list per parameter
  (``len == epochs_run + 1``), so a loaded history has shape ``(epochs_run + 1, k)``.
* ``"problem"`` keeps the problem's own defaults (``x0``/``lr``/``x_range``, used where the
  config's ``x0`` is null); ``"config"`` holds every :class:`RunConfig` field.
* ``"ui"`` is the window's own state; the core stores it and returns it untouched (JSON values
  only: tuples come back as lists).
* Unknown top-level keys are ignored (additions that an older reader may skip); everything
  this version knows is checked.

Writes are atomic: the document goes to a temporary file in the same folder, is flushed and
fsync'ed, then replaces the target with :func:`os.replace`. A failure at any point leaves the
old file as it was and removes the temporary file.

Loading never executes anything from the file: the expression goes through the same checked
parser as typed text, and every other value is type- and range-checked. Any problem raises
:class:`SessionError` (an :class:`~gdstudio.core.errors.InputError`) with a message for a person.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gdstudio.core.data import SyntheticSpec, available_memory
from gdstudio.core.descent.config import (
    CONFIG_FIELDS,
    DTYPES,
    ENGINES,
    MAX_EPOCHS,
    RunConfig,
)
from gdstudio.core.descent.loop import STATUSES, History
from gdstudio.core.descent.optimizers import OPTIMIZERS
from gdstudio.core.errors import InputError
from gdstudio.core.expr.parse import CONSTANTS, FUNCTIONS
from gdstudio.core.io.atomic import write_atomic
from gdstudio.core.io.files import FileRefused, open_regular
from gdstudio.core.problems import (
    FUNCTION_PRESETS,
    SURFACE_PRESETS,
    FunctionProblem,
    RegressionProblem,
)

__all__ = [
    "FORMAT",
    "VERSION",
    "SUFFIX",
    "MAX_FILE_BYTES",
    "MAX_NUMBERS",
    "CONFIG_FIELDS_V1",
    "SessionError",
    "Session",
    "rerun_differs",
    "session_to_dict",
    "session_from_dict",
    "dumps_session",
    "loads_session",
    "save_session",
    "load_session",
    "session_from_history",
]

FORMAT = "gdstudio-session"
VERSION = 1
SUFFIX = ".gdstudio"
#: Files larger than this are refused before anything is read.
MAX_FILE_BYTES = 512 * 1024**2
#: At most this many JSON values (numbers, mostly) in one file: about 2 GB as Python objects.
MAX_NUMBERS = 64_000_000
#: Longest accepted text field (names, messages, sources, column names).
MAX_TEXT = 100_000
#: Deepest accepted nesting of the ``ui`` dict, when saving and when opening (what opens can
#: always be saved again).
MAX_UI_DEPTH = 64

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,15}$")
_DEVICE_RE = re.compile(r"^(cpu|mps|cuda(:[0-9]{1,3})?)$", re.IGNORECASE)
_OBJECT_BYTES = 32  # a float in a list: 24-byte object + 8-byte slot


class SessionError(InputError):
    """A session file that cannot be read or written; the message says why."""


@dataclass(frozen=True, eq=False)
class Session:
    """What a ``.gdstudio`` file holds.

    ``history`` (if any) is the run made with ``config``; ``ui`` is the window's own state
    (JSON values), stored and returned untouched.
    """

    config: RunConfig
    history: History | None = None
    ui: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.config, RunConfig):
            raise SessionError(f"a session needs a RunConfig, got {type(self.config).__name__}")
        if self.history is not None and not isinstance(self.history, History):
            raise SessionError(
                f"history must be a History or None, got {type(self.history).__name__}"
            )
        if not isinstance(self.ui, dict):
            raise SessionError(f"ui must be a dict, got {type(self.ui).__name__}")
        if self.history is not None:
            names = tuple(self.config.problem.param_names)
            if tuple(self.history.param_names) != names:
                raise SessionError(
                    f"the history is of ({', '.join(self.history.param_names)}) but the problem's "
                    f"parameters are ({', '.join(names)})"
                )


# ==============================================================================================
# Writing
# ==============================================================================================


def _finite_array(values: np.ndarray, what: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    if not np.isfinite(arr).all():
        i = int(np.argmin(np.isfinite(arr)))
        raise SessionError(
            f"cannot save: {what}[{i}] is {arr[i]} (only finite numbers can be saved)"
        )
    return arr


def _finite_list(values: np.ndarray, what: str) -> list[float]:
    return _finite_array(values, what).tolist()


def _start_value(value: Any) -> Any:
    """A start point as JSON: null, a float, or a list of floats."""
    if value is None:
        return None
    if np.ndim(value) == 0:
        return float(value)
    return [float(v) for v in value]


def _problem_to_dict(problem: FunctionProblem | RegressionProblem, *,
                     arrays: bool = False) -> dict[str, Any]:
    numbers = _finite_array if arrays else _finite_list
    if isinstance(problem, FunctionProblem):
        return {
            "kind": "function",
            "expr": problem.text,
            "variables": list(problem.variables),
            "preset": problem.preset_key,
            "name": problem.name,
            "x0": _start_value(problem.default_x0),
            "lr": float(problem.default_lr),
            "x_range": None if problem.x_range is None else [float(v) for v in problem.x_range],
        }
    spec = problem.synthetic_spec
    return {
        "kind": "regression",
        "name": problem.name,
        "source": problem.source,
        "x_name": problem.x_name,
        "y_name": problem.y_name,
        "synthetic": None
        if spec is None
        else {
            "n": int(spec.n),
            "seed": int(spec.seed),
            "noise": float(spec.noise),
            "slope": float(spec.slope),
            "intercept": float(spec.intercept),
            "x_low": float(spec.x_low),
            "x_high": float(spec.x_high),
        },
        "n": problem.n,
        "x": numbers(problem.x, "problem.x"),
        "y": numbers(problem.y, "problem.y"),
    }


#: The RunConfig fields of version 1 (all required). Fields added to RunConfig later are
#: saved too (as plain JSON scalars) and optional on reading: absent means the field's default.
#: (From the one table of RunConfig's fields, :data:`~gdstudio.core.descent.config.CONFIG_FIELDS`.)
CONFIG_FIELDS_V1 = tuple(f.name for f in CONFIG_FIELDS if f.session == 1)


def _config_fields() -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(RunConfig) if f.name != "problem"]


def _scalar(value: Any, where: str) -> Any:
    """A RunConfig value of a field this module has no special case for, as JSON."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)) and math.isfinite(float(value)):
        return float(value)
    raise SessionError(f"cannot save: {where} = {value!r} is not a plain number, text or flag")


def _config_to_dict(config: RunConfig) -> dict[str, Any]:
    out: dict[str, Any] = {
        "x0": _start_value(config.x0),
        "m0": float(config.m0),
        "c0": float(config.c0),
        "lr": float(config.lr),  # type: ignore[arg-type]
        "epochs": int(config.epochs),
        "engine": config.engine,
        "device": str(config.device),
        "dtype": config.dtype,
        "optimizer": config.optimizer,
        "tol": float(config.tol),
        "momentum": float(config.momentum),
        "beta1": float(config.beta1),
        "beta2": float(config.beta2),
        "alpha": float(config.alpha),
        "eps": None if config.eps is None else float(config.eps),
        "stop_on_cycle": bool(config.stop_on_cycle),
    }
    for f in _config_fields():
        if f.name not in out:
            out[f.name] = _scalar(getattr(config, f.name), f"config.{f.name}")
    return out


def _history_to_dict(history: History, *, arrays: bool = False) -> dict[str, Any]:
    """The history as JSON values; with ``arrays``, its number lists as float64 arrays (for
    :func:`_pieces`, which writes them a piece at a time: no list of millions of floats)."""
    params = np.asarray(history.params, dtype=np.float64)
    grad = np.asarray(history.grad, dtype=np.float64)
    numbers = _finite_array if arrays else _finite_list
    return {
        "status": history.status,
        "message": history.message,
        "param_names": list(history.param_names),
        "epochs_run": history.epochs_run,
        "params": [numbers(params[:, j], f"history.params[{j}]") for j in range(params.shape[1])],
        "loss": numbers(history.loss, "history.loss"),
        "grad": [numbers(grad[:, j], f"history.grad[{j}]") for j in range(grad.shape[1])],
        "lr_changes": [[int(e), float(lr)] for e, lr in history.lr_changes],
    }


def _check_ui(value: Any, where: str, depth: int = 0) -> None:
    """The ``ui`` dict must be plain JSON so that it comes back as it went in."""
    if depth > MAX_UI_DEPTH:
        raise SessionError(f"cannot save: {where} is nested too deeply")
    if value is None or isinstance(value, (bool, str, int)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SessionError(
                f"cannot save: {where} is {value} (only finite numbers can be saved)"
            )
        return
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_ui(v, f"{where}[{i}]", depth + 1)
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise SessionError(f"cannot save: {where} has a key {k!r} that is not text")
            _check_ui(v, f"{where}[{k!r}]", depth + 1)
        return
    raise SessionError(
        f"cannot save: {where} is a {type(value).__name__}; the ui state must be JSON values"
    )


def session_to_dict(session: Session) -> dict[str, Any]:
    """The session as plain JSON values (the document :func:`save_session` writes)."""
    return _document(session, arrays=False)


def _document(session: Session, *, arrays: bool) -> dict[str, Any]:
    from gdstudio import __version__

    _check_ui(session.ui, "ui")
    config = session.config
    history = session.history
    return {
        "format": FORMAT,
        "version": VERSION,
        "app": f"gdstudio {__version__}",
        "problem": _problem_to_dict(config.problem, arrays=arrays),
        "config": _config_to_dict(config),
        "history": None if history is None else _history_to_dict(history, arrays=arrays),
        "ui": session.ui,
    }


_NUMBERS_PER_PIECE = 4096


def _pieces(value: Any, indent: int, ascii_only: bool) -> Iterator[str]:
    """JSON with small dicts indented and lists of numbers on one line (compact, readable), in
    pieces of at most a few hundred kilobytes: a long history is never one string (joining or
    concatenating strings of 100 MB holds the interpreter lock for a second, and a window
    saving in the background would stall meanwhile)."""
    pad = "  " * (indent + 1)
    if isinstance(value, dict) and value:
        yield "{\n"
        for i, (k, v) in enumerate(value.items()):
            yield f",\n{pad}" if i else pad
            yield f"{json.dumps(k, ensure_ascii=ascii_only)}: "
            yield from _pieces(v, indent + 1, ascii_only)
        yield "\n" + "  " * indent + "}"
        return
    if isinstance(value, list) and value and all(isinstance(v, (list, np.ndarray)) for v in value):
        yield "[\n"
        for i, v in enumerate(value):
            yield f",\n{pad}" if i else pad
            yield from _pieces(v, indent + 1, ascii_only)
        yield "\n" + "  " * indent + "]"
        return
    if isinstance(value, list) and all(type(v) is float for v in value):
        value = np.array(value, dtype=np.float64)  # (the same numbers, written as below)
    if isinstance(value, np.ndarray):  # a history's numbers (float64, finite, 1-D)
        yield "["
        step = _NUMBERS_PER_PIECE
        for i in range(0, value.size, step):
            yield ("," if i else "") + ",".join(map(float.__repr__, value[i : i + step].tolist()))
        yield "]"
        return
    yield json.dumps(value, ensure_ascii=ascii_only, allow_nan=False)


def _is_unicode(value: Any) -> bool:
    """Every text in the document can be written as UTF-8 (a path with undecodable bytes,
    held as lone surrogates, cannot)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_is_unicode(k) and _is_unicode(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_is_unicode(v) for v in value)
    return True  # (numbers, and the history's arrays)


def session_text(session: Session) -> Iterator[str]:
    """The text of a ``.gdstudio`` file for ``session``, in pieces of at most a few hundred
    kilobytes (see :func:`dumps_session` for all of it at once). The document is checked
    here, before the first piece: a session that cannot be saved raises :class:`SessionError`
    before anything is written."""
    data = _document(session, arrays=True)
    # Text that is not valid Unicode (a path with undecodable bytes) is written escaped.
    ascii_only = not _is_unicode(data)
    return itertools.chain(_pieces(data, 0, ascii_only), ("\n",))


def dumps_session(session: Session) -> str:
    """The session as the text of a ``.gdstudio`` file."""
    return "".join(session_text(session))


_CHUNK_CHARS = 1 << 20


def _write_text(fh: Any, pieces: Iterable[str], check: Callable[[], None]) -> None:
    """Write the pieces in chunks of about a megabyte, calling ``check`` after each piece (a
    cancelled save stops within a millisecond or so; a background save rests there)."""
    chunk: list[str] = []
    size = 0
    for piece in pieces:
        check()
        chunk.append(piece)
        size += len(piece)
        if size >= _CHUNK_CHARS:
            fh.write("".join(chunk))
            chunk, size = [], 0
    fh.write("".join(chunk))


class SaveCancelled(Exception):
    """A save stopped on request (the file on disk is as it was)."""


def save_session(path: str | os.PathLike[str], session: Session, *,
                 cancelled: Callable[[], bool] | None = None) -> Path:
    """Write ``session`` to ``path`` atomically; return the path written.

    The old file (if any) stays intact until the new one is complete on disk. Raises
    :class:`SessionError` for content that cannot be saved (checked before the disk is touched)
    and :class:`OSError` for the disk's own errors (no space, no permission). ``cancelled()``
    is asked between the steps of a long save: when True, :class:`SaveCancelled` is raised
    and the old file stays.
    """
    def check() -> None:
        if cancelled is not None and cancelled():
            raise SaveCancelled

    pieces = session_text(session)  # (the document is checked here, before the disk)
    check()
    if Path(os.path.realpath(os.fspath(path))).is_dir():
        raise SessionError(f"{os.path.realpath(os.fspath(path))}: is a folder, not a session file")

    def write(fh: Any) -> None:
        _write_text(fh, pieces, check)
        check()

    return write_atomic(path, write, newline="\n")


# ==============================================================================================
# Reading: every value checked, nothing executed
# ==============================================================================================


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__  # pragma: no cover - JSON has no other types


class _Reader:
    """Checks one document; every error names where in the file it is."""

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, message: str) -> SessionError:
        return SessionError(f"{self.origin}: {message}")

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{where} must be an object, got {_kind(value)}")
        return value

    def get(self, d: Mapping[str, Any], key: str, where: str) -> Any:
        if key not in d:
            raise self.fail(f"{where} is missing {key!r}")
        return d[key]

    def number(self, value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"{where} must be a number, got {_kind(value)}")
        try:
            out = float(value)
        except OverflowError:
            raise self.fail(f"{where} must be a finite number, got a number too large") from None
        if not math.isfinite(out):
            raise self.fail(f"{where} must be a finite number, got {value!r}")
        return out

    def integer(self, value: Any, where: str, lo: int, hi: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{where} must be a whole number, got {_kind(value)}")
        if not lo <= value <= hi:
            raise self.fail(f"{where} must be between {lo:,} and {hi:,}, got {value:,}")
        return value

    def text(self, value: Any, where: str, max_len: int = MAX_TEXT) -> str:
        if not isinstance(value, str):
            raise self.fail(f"{where} must be text, got {_kind(value)}")
        if len(value) > max_len:
            raise self.fail(f"{where} is too long ({len(value):,} characters; at most {max_len:,})")
        return value

    def boolean(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(f"{where} must be true or false, got {_kind(value)}")
        return value

    def generic(self, value: Any, where: str, default: Any) -> Any:
        """A setting this module has no special case for: the type of its default."""
        if isinstance(default, bool):
            return self.boolean(value, where)
        if isinstance(default, int):
            return self.integer(value, where, -(2**63), 2**63 - 1)
        if isinstance(default, float):
            return self.number(value, where)
        if isinstance(default, str):
            return self.text(value, where, 100)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return self.number(value, where) if isinstance(value, float) else value
        return self.text(value, where, 100)

    def choice(self, value: Any, where: str, choices: Sequence[str]) -> str:
        text = self.text(value, where, 100)
        if text not in choices:
            raise self.fail(f"{where} must be one of {', '.join(choices)}; got {text!r}")
        return text

    def array(self, value: Any, where: str, max_len: int) -> np.ndarray:
        """A list of finite numbers as float64, checked without a Python loop per element."""
        if not isinstance(value, list):
            raise self.fail(f"{where} must be a list of numbers, got {_kind(value)}")
        if len(value) > max_len:
            raise self.fail(f"{where} has {len(value):,} values; at most {max_len:,} are accepted")
        kinds = set(map(type, value))
        if not kinds <= {float, int}:
            bad = next(v for v in value if type(v) not in (float, int))
            raise self.fail(f"{where} must hold only numbers, found {_kind(bad)}")
        try:
            arr = np.array(value, dtype=np.float64)
        except OverflowError:
            raise self.fail(f"{where} holds a number too large for a float") from None
        if arr.ndim != 1:  # pragma: no cover - guaranteed by the type check
            raise self.fail(f"{where} must be a flat list of numbers")
        if not np.isfinite(arr).all():  # pragma: no cover - the JSON hooks refuse inf/nan
            i = int(np.argmin(np.isfinite(arr)))
            raise self.fail(f"{where}[{i}] is not a finite number")
        return arr

    def start(self, value: Any, where: str, allow_null: bool) -> Any:
        if value is None and allow_null:
            return None
        if isinstance(value, list):
            if not 1 <= len(value) <= 8:
                raise self.fail(f"{where} must be a number or a short list of numbers")
            return tuple(self.number(v, f"{where}[{i}]") for i, v in enumerate(value))
        return self.number(value, where)

    # --- parts -------------------------------------------------------------------------------

    def problem(self, value: Any) -> FunctionProblem | RegressionProblem:
        d = self.obj(value, "problem")
        kind = self.choice(
            self.get(d, "kind", "problem"), "problem.kind", ("function", "regression")
        )
        if kind == "function":
            return self.function_problem(d)
        return self.regression_problem(d)

    def function_problem(self, d: dict[str, Any]) -> FunctionProblem:
        w = "problem"
        expr = self.text(self.get(d, "expr", w), "problem.expr", 4000)
        raw_vars = self.get(d, "variables", w)
        if not isinstance(raw_vars, list) or not 1 <= len(raw_vars) <= 2:
            raise self.fail("problem.variables must be a list of one or two names")
        variables = []
        for i, v in enumerate(raw_vars):
            name = self.text(v, f"problem.variables[{i}]", 16)
            if (
                not _NAME_RE.match(name)
                or name in FUNCTIONS
                or name in CONSTANTS
                or name in variables
            ):
                raise self.fail(f"problem.variables[{i}]: {name!r} cannot name a variable")
            variables.append(name)
        preset = self.get(d, "preset", w)
        if preset is not None:
            preset = self.text(preset, "problem.preset", 100)
            known = {**FUNCTION_PRESETS, **SURFACE_PRESETS}
            if preset not in known:
                raise self.fail(
                    f"problem.preset: unknown preset {preset!r} (known: {', '.join(known)})"
                )
        name = self.text(self.get(d, "name", w), "problem.name")
        x0 = self.start(self.get(d, "x0", w), "problem.x0", allow_null=False)
        lr = self.number(self.get(d, "lr", w), "problem.lr")
        raw_range = self.get(d, "x_range", w)
        x_range = None
        if raw_range is not None:
            if not isinstance(raw_range, list) or len(raw_range) != 2:
                raise self.fail("problem.x_range must be null or a pair of numbers")
            lo = self.number(raw_range[0], "problem.x_range[0]")
            hi = self.number(raw_range[1], "problem.x_range[1]")
            if not lo < hi:
                raise self.fail(f"problem.x_range must be increasing, got {lo!r}..{hi!r}")
            x_range = (lo, hi)
        try:
            problem = FunctionProblem(
                expr, variables=variables, name=name, x0=x0, lr=lr, x_range=x_range, preset=preset
            )
            problem.start(None)  # the default start must fit the variables
        except InputError as err:
            raise self.fail(f"problem: {err}") from None
        return problem

    def regression_problem(self, d: dict[str, Any]) -> RegressionProblem:
        from gdstudio.core.data import MAX_SYNTHETIC_POINTS

        w = "problem"
        name = self.text(self.get(d, "name", w), "problem.name")
        source = self.text(self.get(d, "source", w), "problem.source")
        x_name = self.text(self.get(d, "x_name", w), "problem.x_name")
        y_name = self.text(self.get(d, "y_name", w), "problem.y_name")
        n = self.integer(self.get(d, "n", w), "problem.n", 2, MAX_SYNTHETIC_POINTS)
        x = self.array(self.get(d, "x", w), "problem.x", MAX_SYNTHETIC_POINTS)
        y = self.array(self.get(d, "y", w), "problem.y", MAX_SYNTHETIC_POINTS)
        if x.size != n or y.size != n:
            raise self.fail(f"problem.n is {n:,} but x has {x.size:,} values and y {y.size:,}")
        raw_spec = self.get(d, "synthetic", w)
        spec = None
        if raw_spec is not None:
            s = self.obj(raw_spec, "problem.synthetic")
            ws = "problem.synthetic"
            spec = SyntheticSpec(
                n=self.integer(self.get(s, "n", ws), f"{ws}.n", 2, MAX_SYNTHETIC_POINTS),
                seed=self.integer(self.get(s, "seed", ws), f"{ws}.seed", 0, 2**63 - 1),
                noise=self.number(self.get(s, "noise", ws), f"{ws}.noise"),
                slope=self.number(self.get(s, "slope", ws), f"{ws}.slope"),
                intercept=self.number(self.get(s, "intercept", ws), f"{ws}.intercept"),
                x_low=self.number(self.get(s, "x_low", ws), f"{ws}.x_low"),
                x_high=self.number(self.get(s, "x_high", ws), f"{ws}.x_high"),
            )
            if spec.n != n:
                raise self.fail(f"{ws}.n is {spec.n:,} but the data has {n:,} points")
            if spec.noise < 0 or not spec.x_low < spec.x_high:
                raise self.fail(f"{ws}: noise must be ≥ 0 and x_low < x_high")
        try:
            with np.errstate(all="ignore"):  # huge values: refused just below, not warned about
                problem = RegressionProblem(
                    x, y, source=source, x_name=x_name, y_name=y_name, synthetic=spec, name=name
                )
        except InputError as err:
            raise self.fail(f"problem: {err}") from None
        sums = (problem.sxx, problem.sxy, problem.syy, problem.sum_x, problem.sum_xx)
        if not all(math.isfinite(v) for v in sums):
            raise self.fail("problem: the data's values are too large (their squares overflow)")
        return problem

    def config(self, value: Any, problem: FunctionProblem | RegressionProblem) -> RunConfig:
        d = self.obj(value, "config")
        w = "config"

        def num(key: str) -> float:
            return self.number(self.get(d, key, w), f"config.{key}")

        device = self.text(self.get(d, "device", w), "config.device", 16)
        if not _DEVICE_RE.match(device):
            raise self.fail(
                f"config.device: unknown device {device!r}; use cpu, cuda, cuda:N or mps"
            )
        eps = self.get(d, "eps", w)
        kwargs: dict[str, Any] = {
            "x0": self.start(self.get(d, "x0", w), "config.x0", allow_null=True),
            "m0": num("m0"),
            "c0": num("c0"),
            "lr": num("lr"),
            "epochs": self.integer(self.get(d, "epochs", w), "config.epochs", 0, MAX_EPOCHS),
            "engine": self.choice(self.get(d, "engine", w), "config.engine", ENGINES),
            "device": device,
            "dtype": self.choice(self.get(d, "dtype", w), "config.dtype", DTYPES),
            "optimizer": self.choice(self.get(d, "optimizer", w), "config.optimizer", OPTIMIZERS),
            "tol": num("tol"),
            "momentum": num("momentum"),
            "beta1": num("beta1"),
            "beta2": num("beta2"),
            "alpha": num("alpha"),
            "eps": None if eps is None else self.number(eps, "config.eps"),
            "stop_on_cycle": self.boolean(self.get(d, "stop_on_cycle", w), "config.stop_on_cycle"),
        }
        fields = {f.name: f for f in _config_fields()}
        for key in d:
            if key not in fields:
                raise self.fail(f"config.{key[:60]}: unknown setting (made by a newer gdstudio?)")
        for name, f in fields.items():
            if name in kwargs or name not in d:
                continue  # absent: the field's default (it was added after version 1)
            kwargs[name] = self.generic(d[name], f"config.{name}", f.default)
        try:
            return RunConfig(problem=problem, **kwargs)
        except InputError as err:
            raise self.fail(f"config: {err}") from None

    def history(self, value: Any, config: RunConfig) -> History | None:
        if value is None:
            return None
        d = self.obj(value, "history")
        w = "history"
        status = self.choice(self.get(d, "status", w), "history.status", STATUSES)
        message = self.text(self.get(d, "message", w), "history.message")
        names = tuple(config.problem.param_names)
        raw_names = self.get(d, "param_names", w)
        if not isinstance(raw_names, list) or tuple(raw_names) != names:
            raise self.fail(f"history.param_names must be {list(names)} for this problem")
        epochs_run = self.integer(self.get(d, "epochs_run", w), "history.epochs_run", 0, MAX_EPOCHS)
        rows = epochs_run + 1
        k = len(names)

        def columns(key: str) -> np.ndarray:
            raw = self.get(d, key, w)
            if not isinstance(raw, list) or len(raw) != k:
                raise self.fail(f"history.{key} must be a list of {k} column{'s' if k > 1 else ''}")
            cols = [self.array(c, f"history.{key}[{j}]", MAX_EPOCHS + 1) for j, c in enumerate(raw)]
            for j, c in enumerate(cols):
                if c.size != rows:
                    raise self.fail(
                        f"history.{key}[{j}] has {c.size:,} values; epochs_run = {epochs_run:,} "
                        f"needs {rows:,}"
                    )
            return np.ascontiguousarray(np.column_stack(cols))

        params = columns("params")
        grad = columns("grad")
        loss = self.array(self.get(d, "loss", w), "history.loss", MAX_EPOCHS + 1)
        if loss.size != rows:
            raise self.fail(
                f"history.loss has {loss.size:,} values; epochs_run = {epochs_run:,} needs {rows:,}"
            )
        raw_changes = self.get(d, "lr_changes", w)
        if not isinstance(raw_changes, list):
            raise self.fail(f"history.lr_changes must be a list, got {_kind(raw_changes)}")
        changes: list[tuple[int, float]] = []
        for i, item in enumerate(raw_changes):
            where = f"history.lr_changes[{i}]"
            if not isinstance(item, list) or len(item) != 2:
                raise self.fail(f"{where} must be a pair [epoch, learning rate]")
            epoch = self.integer(item[0], f"{where}[0]", 0, epochs_run)
            lr = self.number(item[1], f"{where}[1]")
            if lr <= 0:
                raise self.fail(f"{where}: learning rate must be > 0, got {lr!r}")
            if changes and epoch < changes[-1][0]:
                raise self.fail(f"{where}: epochs must not go backwards")
            changes.append((epoch, lr))
        return History(
            params=params,
            loss=loss,
            grad=grad,
            status=status,
            config=config,
            message=message,
            param_names=names,
            lr_changes=tuple(changes),
        )

    def session(self, value: Any) -> Session:
        d = self.obj(value, "the document")
        fmt = d.get("format")
        if fmt is None:
            raise self.fail(f'not a gdstudio session (no "format": "{FORMAT}" tag)')
        if fmt != FORMAT:
            shown = repr(fmt) if isinstance(fmt, str) and len(fmt) <= 60 else _kind(fmt)
            raise self.fail(f"not a gdstudio session (format is {shown}, expected {FORMAT!r})")
        version = d.get("version")
        if isinstance(version, bool) or not isinstance(version, int):
            raise self.fail(f"the session's version must be a whole number, got {_kind(version)}")
        if version > VERSION:
            raise self.fail(
                f"made by a newer gdstudio (version {version}); this one reads version {VERSION}"
            )
        if version < 1:
            raise self.fail(f"unknown session version {version}")
        problem = self.problem(self.get(d, "problem", "the document"))
        config = self.config(self.get(d, "config", "the document"), problem)
        history = self.history(self.get(d, "history", "the document"), config)
        ui = self.obj(self.get(d, "ui", "the document"), "ui")
        try:  # what is opened can be saved again: the rules of saving, checked now
            _check_ui(ui, "ui")
        except SessionError as err:
            raise self.fail(str(err).removeprefix("cannot save: ")
                            + f" (at most {MAX_UI_DEPTH} levels can be saved again)") from None
        return Session(config=config, history=history, ui=ui)


def session_from_dict(data: Any, *, origin: str = "session") -> Session:
    """Check a parsed document and build the :class:`Session`; :class:`SessionError` if bad."""
    return _Reader(origin).session(data)


# --- JSON, strictly ------------------------------------------------------------------------


def _refuse_constant(name: str) -> Any:
    raise SessionError(f"{name} is not a number a session can hold (only finite numbers)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise SessionError(f"the number {text[:40]} is too large (beyond 1.8e308)")
    return value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise SessionError(f"the key {dup[:60]!r} appears twice in one object")
    return out


def _format_bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"  # pragma: no cover


def _check_budget(raw: bytes, origin: str) -> None:
    """Refuse, before parsing, a document whose values would not fit in memory."""
    values = raw.count(b",") + 1
    if values > MAX_NUMBERS:
        raise SessionError(
            f"{origin}: too large to open (about {values:,} values; at most {MAX_NUMBERS:,})"
        )
    need = values * _OBJECT_BYTES + 2 * len(raw)
    have = available_memory()
    if need > 0.6 * have:
        raise SessionError(
            f"{origin}: too large to open: it needs about {_format_bytes(need)} of memory; "
            f"only {_format_bytes(have)} is available"
        )


_TRUNCATED = "the file is truncated or not a gdstudio session"


def loads_session(raw: bytes | str, *, origin: str = "session") -> Session:
    """Parse and check the text of a ``.gdstudio`` file."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_FILE_BYTES:
        raise SessionError(
            f"{origin}: too large to open ({_format_bytes(len(raw))}; at most "
            f"{_format_bytes(MAX_FILE_BYTES)})"
        )
    _check_budget(raw, origin)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SessionError(f"{origin}: {_TRUNCATED}: not UTF-8 text (byte {err.start})") from None
    if not text.strip():
        raise SessionError(f"{origin}: {_TRUNCATED}: the file is empty")
    try:
        data = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            object_pairs_hook=_no_duplicates,
        )
    except SessionError as err:
        raise SessionError(f"{origin}: {_TRUNCATED}: {err}") from None
    except json.JSONDecodeError as err:
        raise SessionError(
            f"{origin}: {_TRUNCATED}: {err.msg} at line {err.lineno}, column {err.colno}"
        ) from None
    except RecursionError:
        raise SessionError(f"{origin}: {_TRUNCATED}: it is nested too deeply") from None
    except ValueError as err:  # e.g. an integer with more digits than Python converts
        raise SessionError(f"{origin}: {_TRUNCATED}: {err}") from None
    return session_from_dict(data, origin=origin)


def load_session(path: str | os.PathLike[str]) -> Session:
    """Read and check a ``.gdstudio`` file. Raises :class:`SessionError` with a clear message."""
    p = Path(path)
    origin = str(p)
    try:
        fh, size = open_regular(p)
    except FileRefused as err:
        raise SessionError(f"{origin}: {err}") from None
    with fh:
        if size > MAX_FILE_BYTES:
            raise SessionError(
                f"{origin}: too large to open ({_format_bytes(size)}; at most "
                f"{_format_bytes(MAX_FILE_BYTES)})"
            )
        try:
            raw = fh.read(MAX_FILE_BYTES + 1)
        except OSError as err:
            raise SessionError(f"{origin}: cannot be read ({err.strerror or err})") from None
    return loads_session(raw, origin=origin)


def rerun_differs(params: np.ndarray, loss: np.ndarray, grad: np.ndarray, stopped: str,
                  saved: History) -> str:
    """How a run computed again from a session's settings differs from the rows the session
    saved: "" when it begins with them bit for bit (NaN equal to NaN), else a sentence.

    ``params``, ``loss`` and ``grad`` are the rows computed again (they may go further than the
    saved ones: a paused run goes on to its planned end); ``stopped`` says how that run ended.
    The window checks a reopened session with it, and ``gdstudio run --session`` too.
    """
    n = saved.epochs_run + 1
    if len(params) < n:
        return (f"The saved run had {saved.epochs_run:,} epochs; computed again here it stops "
                f"at {len(params) - 1:,} ({stopped}).")

    def same(a: np.ndarray, b: np.ndarray) -> bool:
        a = np.asarray(a)[:n]
        return a.shape == np.shape(b) and bool(np.array_equal(a, b, equal_nan=True))

    if same(params, saved.params) and same(loss, saved.loss) and same(grad, saved.grad):
        return ""
    with np.errstate(all="ignore"):
        gaps = np.abs(np.asarray(params)[:n] - saved.params)
        gap = float(np.nanmax(gaps)) if np.isfinite(gaps).any() else math.inf
    return (f"The run, computed again on this machine, differs from the saved one (parameters "
            f"by up to {gap:.3g}): it was probably made on other hardware or another version.")


def session_from_history(history: History, ui: dict[str, Any] | None = None) -> Session:
    """A session holding a finished (or partial) run and its configuration."""
    return Session(config=history.config, history=history, ui=dict(ui or {}))
