"""The race's fast path: generated NumPy kernels, one ufunc call per operation into buffers
allocated once (:mod:`gdstudio.core.expr.outform`), run through the project's one compile step.

``Race(..., fast=False)`` runs without them; the tests compare both paths row for row.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from gdstudio.core.expr.compile import compile_generated
from gdstudio.core.expr.outform import OUT_FORM_UFUNCS, numpy_out_form


def flat_view(a: np.ndarray) -> np.ndarray:
    """A one-dimensional view of contiguous ``a`` (an error, never a silent copy)."""
    view = a.view()
    view.shape = (a.size,)
    return view


def plain_descent_loop(expression: Any, lr: np.ndarray) -> Any:
    """Plain descent of K lanes on f(x) in float64: ``loop(X, G, x, g)`` writes row i of each
    lane's x (``X``, (n, K)) and f'(x) (``G``) from the previous x and f'(x) (``x``, ``g``).

    On arrays of 64 numbers a NumPy call costs about a microsecond whatever it computes, and
    most of that is argument handling: each operation of the update and of f' is one ufunc
    call with its output array given positionally, into rows and scratch arrays allocated
    once (the arithmetic of ``x - lr*g`` and of the compiled f', bit for bit). None where f'
    has a part :func:`~.expressions.numpy_out_form` does not translate."""
    compiled = _compile_descent_loop(expression.numpy_gradient_bodies[0])
    if compiled is None:
        return None
    make, constants, temps = compiled
    K = lr.shape[0]
    return make(lr=lr, step=np.empty(K), **constants, **{name: np.empty(K) for name in temps})


def loss_fill(expression: Any, size: int) -> Any:
    """f of up to ``size`` float64 values: ``fill(x, out)`` (flat arrays), one ufunc call per
    operation into scratch arrays allocated once, bit for bit the compiled f. None where f
    has a part :func:`~.expressions.numpy_out_form` does not translate."""
    compiled = _compile_loss_fill(expression.numpy_function_body)
    if compiled is None:
        return None
    make, constants, temps = compiled
    return make(size, **constants, **{f"_b{name}": np.empty(size) for name in temps})


@functools.lru_cache(maxsize=32)
def _compile_loss_fill(body: str) -> tuple[Any, dict[str, np.ndarray], tuple[str, ...]] | None:
    form = numpy_out_form(body, {"_v0": "x"}, "out")
    if form is None:
        return None
    args = ["size", *form.constants, *(f"_b{t}" for t in form.temps)]
    make = (
        f"def _make({', '.join(args)}):\n"
        "    def _fill(x, out):\n"
        "        n = x.shape[0]\n"
        "        if n > size:\n"
        "            return False\n"
        + "".join(f"        {t} = _b{t}[:n]\n" for t in form.temps)
        + "".join(f"        {line}\n" for line in form.lines)
        + "        return True\n"
        "    return _fill\n"
    )
    return _compile_source(make, form)


@functools.lru_cache(maxsize=32)
def _compile_descent_loop(body: str) -> tuple[Any, dict[str, np.ndarray], tuple[str, ...]] | None:
    form = numpy_out_form(body, {"_v0": "xn"}, "gn")
    if form is None:
        return None
    args = ["lr", "step", *form.constants, *form.temps]
    make = (
        f"def _make({', '.join(args)}):\n"
        "    def _loop(X, G, x, g):\n"
        "        for xn, gn in zip(X, G):\n"
        "            multiply(lr, g, step)\n"
        "            subtract(x, step, xn)\n"
        + "".join(f"            {line}\n" for line in form.lines)
        + "            x = xn\n"
        "            g = gn\n"
        "    return _loop\n"
    )
    return _compile_source(make, form, zip=zip)


def _compile_source(
    source: str, form: Any, **builtins: Any
) -> tuple[Any, dict[str, np.ndarray], tuple[str, ...]]:
    """Compile generated ``source`` defining ``_make`` around the statements of out form
    ``form``, with the ufuncs and only ``builtins``: (``_make``, constants, scratch names)."""
    for value in form.constants.values():
        value.flags.writeable = False  # shared by every race on this f
    make = compile_generated(source, "_make", OUT_FORM_UFUNCS, builtins=builtins,
                             filename="<gdstudio-race>")
    return make, form.constants, form.temps
