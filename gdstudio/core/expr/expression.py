"""A typed function f(x) (or f(x, y)): :func:`parse_expression` and :class:`Expression`.

The text a person types is never handed to ``eval``, ``exec`` or ``sympify``: it passes the
gates of :mod:`.parse` (text, whitelisted syntax tree, bounded constants), is printed back as
Python source in the order the person wrote it (:mod:`.printing`) and compiled for three back
ends (``math`` scalars, NumPy arrays, torch tensors; :mod:`.compile`). Only when a derivative
is first needed is the checked tree translated node by node into SymPy objects
(:mod:`.symbolic`, imported then: the window can show f(x) without waiting for SymPy).
"""

from __future__ import annotations

import ast
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from gdstudio.core.errors import ExpressionError
from gdstudio.core.expr.compile import array_body, compile_function, compile_source
from gdstudio.core.expr.known import known_gradient
from gdstudio.core.expr.parse import (
    MAX_LENGTH,
    Checker,
    check_text,
    normalise,
    syntax_error,
)
from gdstudio.core.expr.printing import source_of

__all__ = [
    "Expression",
    "parse_expression",
    "load_symbolic",
    "symbolic_loaded",
    "compile_sympy",
    "expression_source",
]


_SYMBOLIC_LOCK = threading.Lock()
_symbolic_module: Any = None


def load_symbolic() -> Any:
    """The SymPy side (:mod:`._symbolic`), imported on first use by whichever thread asks first.

    SymPy takes about a second to import. The window imports it in a background thread after it
    is shown while its worker may need it too: SymPy's import has cycles, and two threads
    importing it at once can see a half-initialised module, so one thread imports and the others
    wait here.
    """
    global _symbolic_module
    if _symbolic_module is None:
        with _SYMBOLIC_LOCK:
            if _symbolic_module is None:
                from gdstudio.core.expr import symbolic as _symbolic

                _symbolic_module = _symbolic
    return _symbolic_module


def symbolic_loaded() -> bool:
    """Whether :func:`load_symbolic` has finished (SymPy is imported)."""
    return _symbolic_module is not None


@dataclass(frozen=True)
class Expression:
    """A checked function of one or more variables, with its symbolic gradient.

    Build it with :func:`parse_expression`. ``text`` is the normalised text as typed. The
    SymPy form (:attr:`sym`) and everything derived from it are computed on first use.
    """

    text: str
    variables: tuple[str, ...]
    #: f as Python source in the person's own order of operations (``_v0`` … for variables)
    source: str = field(default="", repr=False, compare=False)
    tree: Any = field(default=None, repr=False, compare=False)

    @cached_property
    def sym(self) -> Any:
        """The SymPy expression (imports SymPy on first use)."""
        _symbolic = load_symbolic()

        tree = self.tree if self.tree is not None else ast.parse(self.text, mode="eval")
        return _symbolic.build_sym(self.text, self.variables, tree)

    def uses(self, name: str) -> bool:
        """Whether the text uses the variable (or constant) ``name``."""
        tree = self.tree if self.tree is not None else ast.parse(self.text, mode="eval")
        return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(tree))

    @property
    def dim(self) -> int:
        return len(self.variables)

    @cached_property
    def symbols(self) -> tuple[Any, ...]:
        _symbolic = load_symbolic()

        return _symbolic.symbols(self.variables)

    @cached_property
    def gradient_sym(self) -> tuple[Any, ...]:
        _symbolic = load_symbolic()

        return tuple(_symbolic.diff(self.sym, s) for s in self.symbols)

    @cached_property
    def derivative_text(self) -> str:
        """The derivative (1-D) or gradient components as readable text (a short sentence for a
        part too long to show: the text is bounded whatever the expression)."""
        _symbolic = load_symbolic()

        parts = [_symbolic.bounded_pretty(g) for g in self.gradient_sym]
        return parts[0] if len(parts) == 1 else "(" + ", ".join(parts) + ")"

    @cached_property
    def pretty(self) -> str:
        _symbolic = load_symbolic()

        return _symbolic.bounded_pretty(self.sym)

    # --- compiled callables ------------------------------------------------------------------

    @cached_property
    def math_function(self) -> Callable[..., float]:
        """f(*scalars) on Python floats; raises ValueError/OverflowError/ZeroDivisionError."""
        return compile_source(self.source, self.variables, "math")

    @cached_property
    def gradient_bodies(self) -> tuple[str, ...]:
        """Each gradient component as Python source of ``_v0``, ``_v1``, … (SymPy's derivative,
        printed by :mod:`.symbolic`). The shipped presets' are known without SymPy
        (:mod:`.known`, checked against SymPy by the tests), so a first run needs no SymPy."""
        known = known_gradient(self.text, self.variables)
        if known is not None:
            return known
        _symbolic = load_symbolic()

        return tuple(_symbolic.array_bodies(list(self.gradient_sym), self.variables, "math"))

    def gradient_source(self, names: Sequence[str] | None = None) -> tuple[str, ...]:
        """The gradient components as source with the variables named ``names`` (default:
        the variables' own names)."""
        names = tuple(names or self.variables)
        return tuple(re.sub(r"\b_v(\d+)\b", lambda m: names[int(m.group(1))], body)
                     for body in self.gradient_bodies)

    def _compiled_gradient(self, backend: str) -> Callable[..., Any]:
        args = [f"_v{i}" for i in range(self.dim)]
        bodies = [b if backend == "math" else array_body(b, self.dim)
                  for b in self.gradient_bodies]
        result = bodies[0] if self.dim == 1 else "(" + ", ".join(bodies) + ",)"
        return compile_function(f"def _compiled({', '.join(args)}):\n    return {result}\n",
                                backend)

    @cached_property
    def math_gradient(self) -> Callable[..., Any]:
        """∇f(*scalars) on Python floats: a float (1-D) or a tuple of floats."""
        return self._compiled_gradient("math")

    @cached_property
    def numpy_function(self) -> Callable[..., np.ndarray]:
        """f(*arrays), elementwise; invalid points give nan/inf (no exception)."""
        return compile_source(self.source, self.variables, "numpy")

    @cached_property
    def numpy_function_raw(self) -> Callable[..., np.ndarray]:
        """As :attr:`numpy_function`, for callers that already silence NumPy's warnings."""
        return compile_source(self.source, self.variables, "numpy-raw")

    @cached_property
    def numpy_gradient_raw(self) -> Callable[..., Any]:
        """As :attr:`numpy_gradient`, for callers that already silence NumPy's warnings."""
        return self._compiled_gradient("numpy-raw")

    @property
    def numpy_function_body(self) -> str:
        """The source of f as :attr:`numpy_function` computes it (see :func:`numpy_out_form`)."""
        return array_body(self.source, len(self.variables))

    @cached_property
    def numpy_gradient_bodies(self) -> tuple[str, ...]:
        """The source of each gradient component as :attr:`numpy_gradient` computes it (one
        Python expression of ``_v0``, ``_v1``, …); see :func:`numpy_out_form`."""
        return tuple(array_body(b, self.dim) for b in self.gradient_bodies)

    @cached_property
    def numpy_gradient(self) -> Callable[..., Any]:
        """∇f(*arrays): one array (1-D) or a tuple of arrays, elementwise."""
        return self._compiled_gradient("numpy")

    def torch_function(self) -> Callable[..., Any]:
        """f(*tensors) built from torch operations (autograd-able)."""
        return compile_source(self.source, self.variables, "torch")

    def evaluate(self, *values: float) -> float:
        """f at a point, as a float; nan where f is undefined."""
        with np.errstate(all="ignore"):
            out = self.numpy_function(*(np.float64(v) for v in values))
        return float(out)

    def gradient(self, *values: float) -> tuple[float, ...]:
        with np.errstate(all="ignore"):
            out = self.numpy_gradient(*(np.float64(v) for v in values))
        if self.dim == 1:
            return (float(out),)
        return tuple(float(o) for o in out)


def parse_expression(text: str, variables: Sequence[str] = ("x",)) -> Expression:
    """Check and parse ``text`` as a function of ``variables``.

    Raises
    ------
    ExpressionError
        for anything off the whitelist or beyond the size bounds; the message names the part.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"the expression must be text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH * 4:  # before normalising, which can lengthen the text
        raise ExpressionError(
            f"the expression is too long ({len(text):,} characters; at most {MAX_LENGTH})"
        )
    normal = normalise(text)
    check_text(normal, variables)
    try:
        tree = ast.parse(normal, mode="eval")
    except SyntaxError as err:
        raise syntax_error(normal, err) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("the expression is nested too deeply") from None
    checker = Checker(normal, variables)  # the probe algebra: bounds, no SymPy
    try:
        checker.build(tree)
    except RecursionError:
        raise ExpressionError("the expression is nested too deeply") from None
    source = source_of(tree.body, tuple(variables))
    return Expression(normal, tuple(variables), source, tree)


def compile_sympy(
    exprs: Sequence[Any], variables: Sequence[str], backend: str, *, single: bool = False
) -> Callable[..., Any]:
    """Compile SymPy expressions into one Python function (see :mod:`._symbolic`)."""
    _symbolic = load_symbolic()

    return _symbolic.compile_sympy(exprs, variables, backend, single=single)


def expression_source(exprs: Sequence[Any], variables: Sequence[str]) -> list[str]:
    """The Python source text (math names) of SymPy expressions; used by code generation."""
    _symbolic = load_symbolic()

    return _symbolic.expression_source(exprs, variables)


# --------------------------------------------------------------------------------------------
# The same arithmetic as one NumPy call per operation, each writing into a buffer.
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# A small printer: SymPy tree → Python source for one of three back ends.
# --------------------------------------------------------------------------------------------


