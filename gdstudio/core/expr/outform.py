"""The fast path's kernel form: a generated NumPy body as one ufunc call per operation.

:func:`numpy_out_form` rewrites the body the compiler made (never a person's text) into
statements ``ufunc(a, b, out)`` that write into buffers allocated once, for the race's batched
inner loop; the arithmetic is bit for bit the body's. :mod:`.compile` runs the result.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

import numpy as np

from gdstudio.core.expr.compile import compile_function

#: The ufuncs out-form statements call, by the name they use.
OUT_FORM_UFUNCS: dict[str, Any] = {
    name: getattr(np, name)
    for name in ("add", "subtract", "multiply", "divide", "power", "square", "negative",
                 "sin", "cos", "tan", "exp", "log", "tanh", "sinh", "cosh", "absolute", "sign",
                 "sqrt", "copyto")
}


_OUT_BINARY = {ast.Add: "add", ast.Sub: "subtract", ast.Mult: "multiply", ast.Div: "divide",
               ast.Pow: "power"}


_OUT_CALLS = {"sin": ("sin", 1), "cos": ("cos", 1), "tan": ("tan", 1), "exp": ("exp", 1),
              "log": ("log", 1), "tanh": ("tanh", 1), "sinh": ("sinh", 1), "cosh": ("cosh", 1),
              "abs": ("absolute", 1), "sign": ("sign", 1), "sqrt": ("sqrt", 1),
              "pow": ("power", 2)}


@dataclass(frozen=True)
class OutForm:
    """Statements computing one generated NumPy body with a ufunc call per operation.

    Each statement is ``ufunc(a, b, out)`` with ``out`` given positionally (NumPy parses a
    keyword ``out=`` at about the cost of the call itself on small arrays); the results are
    bit for bit those of the body, which makes the same calls on temporary arrays."""

    lines: tuple[str, ...]
    #: name → value (a 0-d float64 array), for the variable-free parts
    constants: dict[str, np.ndarray]
    #: names of the scratch arrays the statements write (one per intermediate result)
    temps: tuple[str, ...]


class _NoOutForm(Exception):
    pass


def numpy_out_form(body: str, inputs: dict[str, str], dest: str) -> OutForm | None:
    """``body`` (a generated float64 NumPy expression of ``_v0``, ``_v1``, …) as statements
    that write its value into ``dest``; ``inputs`` renames the variables. None where the body
    has a part this translation does not know (the caller then calls the compiled body).

    Constants are computed once as the body computes them (variable-free parts evaluated on
    their own); ``x**2`` becomes ``square`` (what NumPy's ``**`` does for an exponent of 2).
    """
    tree = ast.parse(body, mode="eval").body
    lines: list[str] = []
    constants: dict[str, np.ndarray] = {}
    temps: list[str] = []

    def constant(node: ast.AST) -> str:
        fn = compile_function(f"def _compiled():\n    return {ast.unparse(node)}\n", "numpy-raw")
        with np.errstate(all="ignore"):
            value = fn()
        name = f"_c{len(constants)}"
        constants[name] = np.asarray(value, dtype=np.float64)
        return name

    def emit(node: ast.AST, out: str | None = None) -> str:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
            return emit(node.operand, out)
        if not any(isinstance(n, ast.Name) and n.id in inputs for n in ast.walk(node)):
            result = constant(node)
        elif isinstance(node, ast.Name):
            result = inputs[node.id]
        else:
            if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
                fn, args = "negative", [node.operand]
            elif isinstance(node, ast.BinOp) and type(node.op) in _OUT_BINARY:
                exponent = node.right
                if (isinstance(node.op, ast.Pow) and isinstance(exponent, ast.Constant)
                        and type(exponent.value) is int and exponent.value == 2):
                    fn, args = "square", [node.left]
                else:
                    fn, args = _OUT_BINARY[type(node.op)], [node.left, node.right]
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                  and node.func.id in _OUT_CALLS and not node.keywords
                  and len(node.args) == _OUT_CALLS[node.func.id][1]):
                fn, args = _OUT_CALLS[node.func.id][0], list(node.args)
            else:
                raise _NoOutForm
            names = [emit(a) for a in args]
            if out is None:
                out = f"_t{len(temps)}"
                temps.append(out)
            lines.append(f"{fn}({', '.join(names)}, {out})")
            return out
        if out is not None:
            lines.append(f"copyto({out}, {result})")
            return out
        return result

    try:
        emit(tree, dest)
    except _NoOutForm:
        return None
    return OutForm(tuple(lines), constants, tuple(temps))
