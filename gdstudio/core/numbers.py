"""Numbers as text: each dtype with its own digits, one formatter per dtype.

A float32 run's values are float32 numbers (kept in float64 arrays): printed as float64 they show
digits that are not there (float32(6.9) is 6.90000009537 as a float64, 6.9 as a float32).
:func:`exact_text` writes the shortest text that reads back as the same number *of the run's
dtype* (``repr`` for float64, NumPy's shortest round-trip digits for float32);
:func:`json_number` is the float whose ``repr`` is that text; :func:`readable_text` rounds
float64 to 12 significant digits for a table and gives float32 its own shortest digits (never
more than 9). The CLI's table, CSV and JSON, the history exports, the window's history table
and the exported scripts all use these.

Numbers from text and programs: one check for every numeric setting of a run (issue 13, family 14).

In ``core`` itself (not ``core.descent``) so that the problems can use it without an import cycle.

:func:`real` and :func:`whole` accept what a person or a program naturally passes for a number
(Python ints and floats, NumPy scalars of any real dtype, a 0-d array, text such as ``"1e-8"``
as the command line gives it) and refuse the rest with one message shape, the one the CLI
prints: ``<what> must be a number, got <value>``, then the field's own range. ``True`` is not a
number here, nor is ``None`` (unless the field allows it), nor nan. Every numeric field of
:class:`~gdstudio.core.descent.config.RunConfig` and
:class:`~gdstudio.core.descent.optimizers.OptimizerSettings` goes through them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gdstudio.core.errors import ConfigError

__all__ = ["exact_text", "json_number", "readable_text", "digits_apart", "distinct_texts",
           "real", "whole", "flag", "shown"]


def exact_text(value: float, dtype: str = "float64") -> str:
    """The shortest text that reads back (in ``dtype``) as ``value``: repr's style. A value
    of a float32 run that is no float32 (a scaled regression's rows, converted back to the
    original units in float64) keeps all its float64 digits."""
    v = float(value)
    if dtype == "float32" and math.isfinite(v) and float(np.float32(v)) == v:
        return str(np.float32(v))  # Dragon4's shortest float32 digits, in repr's notation
    return repr(v)


def json_number(value: float, dtype: str = "float64") -> float:
    """``value`` as the float JSON writes with :func:`exact_text`'s digits."""
    v = float(value)
    return float(exact_text(v, dtype)) if dtype == "float32" and math.isfinite(v) else v


def readable_text(value: float, dtype: str = "float64") -> str:
    """``value`` for reading: 12 significant digits (float64), the shortest (float32)."""
    v = float(value)
    if v == 0.0:
        return "0"
    if not math.isfinite(v):
        return str(v)
    if dtype == "float32":
        return exact_text(v, dtype)
    return f"{v:.12g}"


def digits_apart(*values: float, digits: int = 6) -> int:
    """Significant digits, at least ``digits``, with which different ``values`` print
    differently (a verdict "r > 2/h" never sits beside an lr and a 2/h that read alike)."""
    vals = [float(v) for v in values if math.isfinite(float(v))]
    for d in range(digits, 17):
        seen: dict[str, float] = {}  # (one pass: a race of 64 rates had 2,016 pairs to compare)
        if all(seen.setdefault(f"{v:.{d}g}", v) == v for v in vals):
            return d
    return 17


def distinct_texts(*values: float, digits: int = 6) -> list[str]:
    """The values with :func:`digits_apart`'s digits (``%g`` style)."""
    d = digits_apart(*values, digits=digits)
    return [f"{float(v):.{d}g}" for v in values]


# --------------------------------------------------------------------------------------------
# One check for every numeric setting of a run (issue 13, family 14)
# --------------------------------------------------------------------------------------------


def shown(value: Any) -> str:
    """How a refused value is quoted: text as typed (quoted), numbers as numbers
    (``np.float32(1.5)`` is shown as ``1.5``), anything else by its type."""
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:40] + "…"
        return repr(text)
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if value is None:
        return "None"
    return type(value).__name__


def _as_float(value: Any, what: str) -> float:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if value is None or isinstance(value, (bool, np.bool_)):
        raise ConfigError(f"{what} must be a number, got {shown(value)}")
    if isinstance(value, str):
        try:
            out = float(value.strip())
        except ValueError:
            raise ConfigError(f"{what} must be a number, got {shown(value)}") from None
    elif isinstance(value, (int, np.integer)):
        try:
            out = float(value)
        except OverflowError:
            out = math.inf if value > 0 else -math.inf
    elif isinstance(value, (float, np.floating)):
        out = float(value)
    else:
        raise ConfigError(f"{what} must be a number, got {shown(value)}")
    if math.isnan(out):
        raise ConfigError(f"{what} must be a number, got nan")
    return out


def real(value: Any, what: str, *, low: float | None = None, high: float | None = None,
         low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite float within the bounds, else a ConfigError naming ``what``."""
    out = _as_float(value, what)
    if not math.isfinite(out):
        raise ConfigError(f"{what} must be finite, got {shown(value)}")
    below = low is not None and (out <= low if low_open else out < low)
    above = high is not None and (out >= high if high_open else out > high)
    if below or above:
        if low is not None and high is not None:
            interval = (f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}")
            raise ConfigError(f"{what} must be in {interval}, got {shown(value)}")
        if low is not None:
            raise ConfigError(f"{what} must be {'>' if low_open else '≥'} {low:g}, "
                              f"got {shown(value)}")
        raise ConfigError(f"{what} must be {'<' if high_open else '≤'} {high:g}, "
                          f"got {shown(value)}")
    return out


def whole(value: Any, what: str, *, low: int = 0, high: int | None = None) -> int:
    """``value`` as an int within ``[low, high]`` (an integral float or text is accepted as
    the CLI accepts ``1e3``), else a ConfigError naming ``what``."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        out = int(value)
    else:
        text = value.strip() if isinstance(value, str) else None
        if text is not None and text.lstrip("+-").isdigit():
            out = int(text)
        else:
            f = _as_float(value, what)
            if not math.isfinite(f) or f != int(f):
                raise ConfigError(f"{what} must be a whole number, got {shown(value)}")
            out = int(f)
    if out < low or (high is not None and out > high):
        span = f"between {low:,} and {high:,}" if high is not None else f"a whole number ≥ {low:,}"
        raise ConfigError(f"{what} must be {span}, got {shown(value)}")
    return out


def flag(value: Any, what: str) -> bool:
    """``value`` as a bool: True/False (NumPy's too); text or numbers are refused, since
    ``"no"`` would otherwise be true."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ConfigError(f"{what} must be True or False, got {shown(value)}")
