"""Generated code: the one place in gdstudio where Python source is compiled and run.

Everything compiled here is built by gdstudio itself from a checked syntax tree or a SymPy
expression (:mod:`.printing`, :mod:`.symbolic`, :mod:`.outform`), never from a person's text,
and runs with a namespace of math functions and no builtins beyond those named.
:func:`compile_generated` is the only ``exec``; the engines' generated loops and the race's
ufunc kernels call it too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np


def uses_all_variables(body: str, args: Sequence[str]) -> bool:
    """Does generated source ``body`` compute with every argument ``_v0``, ``_v1``, …? Its
    value then has the (broadcast) shape of the inputs without adding ``0*_v0``. (A body that
    is one bare argument would return the caller's own array: it still gets the term.)"""
    if not args or body.strip("() ") in args:
        return False
    return all(re.search(rf"\b{a}\b", body) for a in args)


def array_body(body: str, n_variables: int) -> str:
    """``body`` as the array back ends compute it: constants broadcast to the input's shape."""
    args = [f"_v{i}" for i in range(n_variables)]
    return body if uses_all_variables(body, args) else f"({body} + (0*{args[0]}))"


def compile_source(body: str, variables: Sequence[str], backend: str) -> Callable[..., Any]:
    """Compile an expression body made by :func:`~gdstudio.core.expr.printing.source_of`
    for one back end."""
    args = [f"_v{i}" for i in range(len(variables))]
    if backend != "math":
        body = array_body(body, len(args))
    source = f"def _compiled({', '.join(args)}):\n    return {body}\n"
    return compile_function(source, backend)


def _math_sign(v: float) -> float:
    return math.copysign(1.0, v) if v != 0.0 else 0.0 * v


def _math_pow(base: float, exponent: float) -> float:
    out = base**exponent
    if isinstance(out, complex):
        raise ValueError("negative base to a fractional power")
    return out


def _math_sqrt(v: float) -> float:
    return math.sqrt(v)


def namespace(backend: str) -> dict[str, Any]:
    if backend == "math":
        return {
            "sin": math.sin,
            "cos": math.cos,
            "tan": math.tan,
            "exp": math.exp,
            "log": math.log,
            "tanh": math.tanh,
            "sinh": math.sinh,
            "cosh": math.cosh,
            "abs": abs,
            "sign": _math_sign,
            "sqrt": _math_sqrt,
            "pow": _math_pow,
            "pi": math.pi,
            "E": math.e,
            "inf": math.inf,
            "nan": math.nan,
        }
    if backend == "numpy":
        return {
            "sin": np.sin,
            "cos": np.cos,
            "tan": np.tan,
            "exp": np.exp,
            "log": np.log,
            "tanh": np.tanh,
            "sinh": np.sinh,
            "cosh": np.cosh,
            "abs": np.abs,
            "sign": np.sign,
            "sqrt": np.sqrt,
            "pow": np.power,
            "pi": math.pi,
            "E": math.e,
            "inf": math.inf,
            "nan": math.nan,
        }
    if backend == "torch":
        import torch

        return {
            "sin": torch.sin,
            "cos": torch.cos,
            "tan": torch.tan,
            "exp": torch.exp,
            "log": torch.log,
            "tanh": torch.tanh,
            "sinh": torch.sinh,
            "cosh": torch.cosh,
            "abs": torch.abs,
            "sign": torch.sign,
            "sqrt": torch.sqrt,
            "pow": torch.pow,
            "pi": math.pi,
            "E": math.e,
            "inf": math.inf,
            "nan": math.nan,
        }
    raise ValueError(f"unknown backend {backend!r}")


def compile_generated(
    source: str,
    name: str,
    namespace: Mapping[str, Any],
    *,
    builtins: Mapping[str, Any] | None = None,
    filename: str = "<gdstudio-generated>",
) -> Any:
    """Run generated ``source`` with ``namespace`` (and only ``builtins``) and return the object
    it defines as ``name``. The only ``exec`` of the project: callers pass source they built."""
    scope: dict[str, Any] = {"__builtins__": dict(builtins or {}), **namespace}
    exec(compile(source, filename, "exec"), scope)  # noqa: S102 - gdstudio's own source
    return scope[name]


def compile_function(source: str, backend: str) -> Callable[..., Any]:
    """The function ``_compiled`` that ``source`` defines, for one back end (``math``,
    ``numpy``, ``numpy-raw`` without the silenced floating-point warnings, ``torch``)."""
    raw = backend == "numpy-raw"
    if raw:
        backend = "numpy"
    # torch's C++ functions may import lazily through the caller's builtins, so that back end
    # gets __import__ and nothing else.
    builtins: dict[str, Any] = {"__import__": __import__} if backend == "torch" else {}
    fn = compile_generated(source, "_compiled", namespace(backend), builtins=builtins,
                           filename="<gdstudio-expression>")
    fn.__doc__ = source
    if backend == "numpy" and not raw:
        raw_fn = fn

        def fn(*values: Any) -> Any:
            # Undefined points (log of a negative, overflow) give nan/inf, silently.
            with np.errstate(all="ignore"):
                return raw_fn(*values)

        fn.__doc__ = source
    return fn
