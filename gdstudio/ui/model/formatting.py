"""Numbers as a person reads them. Pure functions, no Qt."""

from __future__ import annotations

import math
import re

from gdstudio.core.data import is_header_name
from gdstudio.core.numbers import exact_text, json_number

__all__ = [
    "number", "exact", "lr_text", "steps_per_second_text", "pretty_math", "SUPERSCRIPT",
    "column_label", "COLUMN_LABEL_CHARS", "prose",
]

SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def number(value: float, digits: int = 6, dtype: str = "float64") -> str:
    """``value`` with ``digits`` significant digits, ``−`` for minus, ``×10ⁿ`` for exponents.

    A float32 value is rounded from its own shortest digits (6.9, not 6.900000095)."""
    value = json_number(value, dtype)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}×10{str(int(exponent)).translate(SUPERSCRIPT)}"
    return text.replace("-", "−")


def exact(value: float, dtype: str = "float64") -> str:
    """The shortest text that reads back as exactly ``value`` of ``dtype`` (float64: ``repr``)."""
    return exact_text(value, dtype)


def lr_text(value: float) -> str:
    """A learning rate as typed: ``0.1``, ``0.0001``, ``1e-6`` (shortest exact form)."""
    text = repr(float(value))
    if "e" in text:
        mantissa, exponent = text.split("e")
        if mantissa.endswith(".0"):
            mantissa = mantissa[:-2]
        text = f"{mantissa}e{int(exponent)}"
    elif text.endswith(".0"):
        text = text[:-2]
    return text


def steps_per_second_text(steps: float) -> str:
    """``10 steps/s`` or ``as fast as possible`` (0 or less)."""
    if steps <= 0:
        return "as fast as possible"
    if steps >= 1000:
        return f"{steps / 1000:g}k steps/s"
    return f"{steps:g} step/s" if steps == 1 else f"{steps:g} steps/s"


_POWER = re.compile(r"\^(?:\((-?\d+)\)|(-?\d+)(?![\d.]))")
_PRIME_MARKS = {1: "′", 2: "″", 3: "‴"}
#: A number or name followed by ``'`` (SymPy's and the core's ASCII prime: f', f'').
_PRIMES = re.compile(r"(?<=[A-Za-z)])('+)")


def _abs_bars(text: str) -> str:
    """``Abs(x - 1)`` → ``|x - 1|`` (SymPy's spelling of the absolute value, nested too)."""
    while (start := text.find("Abs(")) >= 0:
        depth, end = 0, -1
        for i in range(start + 3, len(text)):
            if text[i] == "(":
                depth += 1
            elif text[i] == ")":
                depth -= 1
                if depth == 0:
                    end = i
                    break
        if end < 0:  # unbalanced: leave the rest as it is
            return text
        text = f"{text[:start]}|{text[start + 4:end]}|{text[end + 1:]}"
    return text


def pretty_math(text: str) -> str:
    """SymPy's text (or the core's) as a person reads maths: ``x^2`` → ``x²``, ``*`` → ``·``,
    every ``-`` → ``−``, ``Abs(u)`` → ``|u|``, ``sqrt(u)`` → ``√(u)``, ``f'`` → ``f′``.

    SymPy's text has no hyphen that is not a minus sign (names are identifiers), so each one
    becomes the minus sign, in exponents and after a bracket too (``exp(−x²)``)."""
    out = _abs_bars(text.replace("**", "^"))
    out = _POWER.sub(lambda m: (m.group(1) or m.group(2)).translate(SUPERSCRIPT), out)
    out = _PRIMES.sub(lambda m: _PRIME_MARKS.get(len(m.group(1)), m.group(1)), out)
    return out.replace("*", "·").replace("sqrt(", "√(").replace("-", "−")


#: A number in a sentence: its sign (a hyphen after a space, a bracket, ×, = or the start),
#: digits, and an exponent ("-0.0016", "2.51e+03", "1e-4").
_PROSE_NUMBER = re.compile(r"(?<![\w.])(-?)(\d+(?:\.\d+)?)(?:e([+-]?\d+))?(?![\w.])")


def prose(text: str) -> str:
    """The core's sentences (an analysis' regime, its notes) with their numbers written as
    the window writes them (:func:`number`): ``−`` for a minus sign, ``×10ⁿ`` for an
    exponent ("steepest direction × −0.0016, condition number 2.51×10³"). Hyphens inside
    words ("full-batch", "million-fold") are left alone."""
    def one(m: re.Match[str]) -> str:
        sign, digits, exponent = m.group(1), m.group(2), m.group(3)
        out = ("−" if sign else "") + digits
        if exponent is not None:
            out += "×10" + str(int(exponent)).translate(SUPERSCRIPT)
        return out

    return _PROSE_NUMBER.sub(one, text)


#: The most characters of a column's name shown in a label (a header cell may hold 10⁶).
COLUMN_LABEL_CHARS = 40


def column_label(name: str, variable: str) -> str:
    """A data column as labelled on screen: ``"hours (x)"`` where the file's header names it,
    plain ``"x"`` where it does not (no header, the reader's "column 2", arrays or synthetic
    data). Plain text: a view that renders markup must escape it."""
    if not is_header_name(name) or name == variable:
        return variable
    if len(name) > COLUMN_LABEL_CHARS:
        name = name[: COLUMN_LABEL_CHARS - 1] + "…"
    return f"{name} ({variable})"
