"""A checked syntax tree as Python source, in the order of operations the person typed.

The generated source names the variables ``_v0``, ``_v1``, … and folds variable-free parts into
one number, as Python computes them; :mod:`.compile` turns it into functions.
"""

from __future__ import annotations

import ast
import math

from gdstudio.core.errors import ExpressionError
from gdstudio.core.expr.compile import compile_function

_AST_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def source_of(node: ast.AST, variables: tuple[str, ...]) -> str:
    """Python source for a tree that :class:`~gdstudio.core.expr.parse.Checker` accepted,
    keeping its order of operations.

    f(x) is then computed exactly as the person wrote it (``x**2 - 4*x + 5`` left to right),
    the way their own Python would, rather than in SymPy's reordered canonical form. A
    sub-expression without variables (``sqrt(2)``, ``2**10``) is folded into one number, as
    Python computes it, so that every back end (torch included) sees a plain constant.
    """
    if not isinstance(node, (ast.Constant, ast.Name)) and not _uses_variables(node, variables):
        return _fold_constant(node, variables)
    if isinstance(node, ast.Constant):
        v = node.value
        assert isinstance(v, (int, float)), v  # the Checker admits only real numbers
        if isinstance(v, int) and abs(v) < 2**53:
            return str(v)
        return number_literal(float(v)) if abs(v) < 1e308 else "inf"
    if isinstance(node, ast.Name):
        if node.id in variables:
            return f"_v{variables.index(node.id)}"
        return {"pi": "pi", "e": "E"}[node.id]
    if isinstance(node, ast.UnaryOp):
        inner = source_of(node.operand, variables)
        return f"(-{inner})" if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        left = source_of(node.left, variables)
        right = source_of(node.right, variables)
        if isinstance(node.op, ast.Pow):
            exponent = node.right
            while isinstance(exponent, ast.UnaryOp) and isinstance(exponent.op, ast.UAdd):
                exponent = exponent.operand
            sign = ""
            if isinstance(exponent, ast.UnaryOp) and isinstance(exponent.op, ast.USub):
                sign, exponent = "-", exponent.operand
            if isinstance(exponent, ast.Constant) and isinstance(exponent.value, int):
                return f"({left}**{sign}{exponent.value})"
            return f"pow({left}, {right})"
        return f"({left} {_AST_OPS[type(node.op)]} {right})"
    if isinstance(node, ast.Call):
        name = node.func.id  # type: ignore[attr-defined]
        name = {"ln": "log"}.get(name, name)
        return f"{name}({source_of(node.args[0], variables)})"
    raise ExpressionError("unexpected part in a checked expression")  # pragma: no cover


def _uses_variables(node: ast.AST, variables: tuple[str, ...]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in variables for n in ast.walk(node))


def _fold_constant(node: ast.AST, variables: tuple[str, ...]) -> str:
    """The value of a variable-free sub-expression, computed with Python floats and math."""
    body = _ast_source_unfolded(node, variables)
    fn = compile_function(f"def _compiled():\n    return {body}\n", "math")
    try:
        value = fn()
    except (ValueError, OverflowError, ZeroDivisionError):
        return "nan"
    if isinstance(value, int) and abs(value) < 2**53:
        return f"({value})" if value < 0 else str(value)
    return number_literal(float(value))


def _ast_source_unfolded(node: ast.AST, variables: tuple[str, ...]) -> str:
    # Children of a constant sub-expression are constant too: print them without folding.
    if isinstance(node, ast.Constant):
        return source_of(node, variables)
    if isinstance(node, ast.Name):
        return source_of(node, variables)
    if isinstance(node, ast.UnaryOp):
        inner = _ast_source_unfolded(node.operand, variables)
        return f"(-{inner})" if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        left = _ast_source_unfolded(node.left, variables)
        right = _ast_source_unfolded(node.right, variables)
        if isinstance(node.op, ast.Pow):
            if isinstance(node.right, ast.Constant) and isinstance(node.right.value, int):
                return f"({left}**{node.right.value})"
            return f"pow({left}, {right})"
        return f"({left} {_AST_OPS[type(node.op)]} {right})"
    if isinstance(node, ast.Call):
        name = {"ln": "log"}.get(node.func.id, node.func.id)  # type: ignore[attr-defined]
        return f"{name}({_ast_source_unfolded(node.args[0], variables)})"
    raise ExpressionError("unexpected part in a checked expression")  # pragma: no cover


def number_literal(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "(-inf)"
    text = repr(float(value))
    return f"({text})" if value < 0 else text
