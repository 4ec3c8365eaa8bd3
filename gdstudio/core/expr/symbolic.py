"""The symbolic half of expressions: SymPy objects, derivatives, and a printer to Python.

Imported only when a derivative (or other symbolic work) is first needed, so that SymPy's
import time is not paid before the window appears. The tree it builds from has already been
checked by :mod:`.expressions` (whitelist and bounds).
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Sequence
from typing import Any

import sympy

from gdstudio.core.errors import ExpressionError
from gdstudio.core.expr.compile import compile_function, uses_all_variables
from gdstudio.core.expr.parse import Checker
from gdstudio.core.expr.printing import number_literal

__all__ = ["array_bodies", "build_sym", "compile_sympy", "expression_source", "pretty"]

_SYMPY_FUNCTIONS = {
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "exp": sympy.exp,
    "log": sympy.log,
    "ln": sympy.log,
    "sqrt": sympy.sqrt,
    "abs": sympy.Abs,
    "tanh": sympy.tanh,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
}


class _SympyAlgebra:
    """Build SymPy objects (real symbols, exact integers, 53-bit floats)."""

    def symbol(self, name: str) -> Any:
        return sympy.Symbol(name, real=True)

    def integer(self, value: int) -> Any:
        return sympy.Integer(value)

    def float(self, value: float) -> Any:
        return sympy.Float(value)

    def constant(self, name: str) -> Any:
        return sympy.pi if name == "pi" else sympy.E

    def binary(self, op: Any, a: Any, b: Any, refuse: Callable[[str], Exception]) -> Any:
        import ast

        if op is ast.Add:
            return a + b
        if op is ast.Sub:
            return a - b
        if op is ast.Mult:
            return a * b
        return a / b

    def power(self, base: Any, exponent: Any, refuse: Callable[[str], Exception]) -> Any:
        return base**exponent

    def power_exponent(self, value: Any) -> builtins.float | None:  # (float: the method)
        if value.is_Pow and value.exp.is_number and value.base.free_symbols:
            try:
                return float(value.exp)
            except (TypeError, ValueError, OverflowError):  # pragma: no cover
                return math.inf
        return None

    def function(self, name: str, arg: Any, refuse: Callable[[str], Exception]) -> Any:
        return _SYMPY_FUNCTIONS[name](arg)


def build_sym(text: str, variables: Sequence[str], tree: Any) -> Any:
    """The SymPy expression of a checked tree; ExpressionError if it is nowhere defined."""
    try:
        sym = Checker(text, variables, _SympyAlgebra()).build(tree)
    except RecursionError:  # pragma: no cover - depth is bounded before
        raise ExpressionError("the expression is nested too deeply") from None
    if not isinstance(sym, sympy.Expr):  # pragma: no cover - defensive
        raise ExpressionError("the text is not a mathematical expression")
    if sym.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise ExpressionError(
            "the expression is undefined everywhere (a division by zero or log(0)?)"
        )
    if sym.has(sympy.I):
        raise ExpressionError("the expression is not real-valued")
    return sym


def symbols(variables: Sequence[str]) -> tuple[Any, ...]:
    return tuple(sympy.Symbol(v, real=True) for v in variables)


def diff(expr: Any, symbol: Any) -> Any:
    return sympy.diff(expr, symbol)


def pretty(expr: Any) -> str:
    return sympy.sstr(expr).replace("**", "^")


_FUNC_NAMES = {
    sympy.sin: "sin",
    sympy.cos: "cos",
    sympy.tan: "tan",
    sympy.exp: "exp",
    sympy.log: "log",
    sympy.tanh: "tanh",
    sympy.sinh: "sinh",
    sympy.cosh: "cosh",
    sympy.Abs: "abs",
    sympy.sign: "sign",
}



class _Unsupported(Exception):
    pass






def _to_float(expr: Any) -> float:
    try:
        return float(expr)
    except (TypeError, ValueError, OverflowError):
        return math.nan


def _print(expr: Any, names: dict[Any, str]) -> str:
    if expr in names:
        return names[expr]
    if not expr.free_symbols:
        # Every constant sub-expression (2, 1/3, sqrt(2), pi, exp(3)) becomes one float literal.
        return number_literal(_to_float(expr))
    if expr.is_Add:
        return "(" + " + ".join(_print(a, names) for a in expr.args) + ")"
    if expr.is_Mul:
        return "(" + "*".join(_print(a, names) for a in expr.args) + ")"
    if expr.is_Pow:
        base, exponent = expr.args
        b = _print(base, names)
        if exponent == sympy.Rational(1, 2):
            return f"sqrt({b})"
        if exponent == sympy.Rational(-1, 2):
            return f"(1/sqrt({b}))"
        if exponent.is_Integer:
            return f"({b}**{int(exponent)})"
        return f"pow({b}, {_print(exponent, names)})"
    func = expr.func
    if func in _FUNC_NAMES and len(expr.args) == 1:
        return f"{_FUNC_NAMES[func]}({_print(expr.args[0], names)})"
    raise _Unsupported(f"cannot compile {func.__name__}")


def array_bodies(exprs: Sequence[Any], variables: Sequence[str], backend: str) -> list[str]:
    """The body (source of one Python expression of ``_v0``, ``_v1``, …) of each of ``exprs``
    for ``backend``, as :func:`compile_sympy` compiles them."""
    args = [f"_v{i}" for i in range(len(variables))]
    names = {sympy.Symbol(v, real=True): a for v, a in zip(variables, args, strict=True)}
    names.update({sympy.Symbol(v): a for v, a in zip(variables, args, strict=True)})
    try:
        bodies = [_print(sympy.sympify(e), names) for e in exprs]
    except _Unsupported as err:
        raise ExpressionError(_unsupported_message(err)) from None
    if backend != "math":
        # Constants (e.g. a derivative of 2) must still broadcast to the input's shape; a body
        # that uses every variable has that shape already (and skips two array operations).
        zero = f"(0*{args[0]})" if args else "0"
        bodies = [b if uses_all_variables(b, args) else f"({b} + {zero})" for b in bodies]
    return bodies


def compile_sympy(
    exprs: Sequence[Any], variables: Sequence[str], backend: str, *, single: bool = False
) -> Callable[..., Any]:
    """Compile SymPy expressions into one Python function of ``variables``.

    The source is generated from the SymPy tree by :func:`_print` (numbers, the variable
    names, operators and names from a fixed namespace), never from user text.
    """
    args = [f"_v{i}" for i in range(len(variables))]
    bodies = array_bodies(exprs, variables, backend)
    result = bodies[0] if single else "(" + ", ".join(bodies) + ",)"
    source = f"def _compiled({', '.join(args)}):\n    return {result}\n"
    return compile_function(source, backend)


def expression_source(exprs: Sequence[Any], variables: Sequence[str]) -> list[str]:
    """The Python source text (math names) of each expression; used by code generation."""
    args = list(variables)
    names = {sympy.Symbol(v, real=True): v for v in args}
    try:
        return [_print(sympy.sympify(e), names) for e in exprs]
    except _Unsupported as err:
        raise ExpressionError(_unsupported_message(err)) from None


def _unsupported_message(err: _Unsupported) -> str:
    return (f"its derivative cannot be evaluated numerically ({err}); simplify f(x), or use "
            "the torch engine (automatic differentiation)")
