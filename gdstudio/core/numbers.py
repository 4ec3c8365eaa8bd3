"""Numbers as text: each dtype with its own digits, one formatter per dtype.

A float32 run's values are float32 numbers (kept in float64 arrays): printed as float64 they show
digits that are not there (float32(6.9) is 6.90000009537 as a float64, 6.9 as a float32).
:func:`exact_text` writes the shortest text that reads back as the same number *of the run's
dtype* (``repr`` for float64, NumPy's shortest round-trip digits for float32);
:func:`json_number` is the float whose ``repr`` is that text; :func:`readable_text` rounds
float64 to 12 significant digits for a table and gives float32 its own shortest digits (never
more than 9). The CLI's table, CSV and JSON, the history exports, the window's history table
and the exported scripts all use these.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["exact_text", "json_number", "readable_text", "digits_apart", "distinct_texts"]


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
        texts = [f"{v:.{d}g}" for v in vals]
        if all(texts[i] != texts[j] or vals[i] == vals[j]
               for i in range(len(vals)) for j in range(i)):
            return d
    return 17


def distinct_texts(*values: float, digits: int = 6) -> list[str]:
    """The values with :func:`digits_apart`'s digits (``%g`` style)."""
    d = digits_apart(*values, digits=digits)
    return [f"{float(v):.{d}g}" for v in values]
