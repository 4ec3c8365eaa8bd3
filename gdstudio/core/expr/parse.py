"""The gates a typed expression passes before anything computes with it.

1. **Text**: length and nesting depth are bounded, a few typographic symbols are normalised
   (``^`` → ``**``, ``−`` → ``-``, ``×`` → ``*``, ``²`` → ``**2``, ``π`` → ``pi``).
2. **Syntax tree**: :mod:`ast` parses it and every node is checked against a whitelist (numbers,
   the variables, ``pi``, ``e``, ``+ - * / **``, unary ``±`` and one-argument calls of
   :data:`FUNCTIONS`). The error names the offending part and its position.
3. **Bounds**: the checked tree is evaluated once with plain floats for its constant parts
   (:class:`Checker` with its probe algebra), bounding constant powers so ``9**9**9**9`` or
   ``x**10**10`` cannot hang the machine, and refusing ``1/0`` or ``sqrt(-1)``.

The same :class:`Checker` walks the tree again with SymPy's algebra (:mod:`.symbolic`).
"""

from __future__ import annotations

import ast
import builtins
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from gdstudio.core.errors import ExpressionError

#: Longest accepted text, in characters.
MAX_LENGTH = 1000


#: Deepest accepted nesting (parentheses, calls, operators).
MAX_DEPTH = 60


#: Largest accepted syntax tree, in nodes.
MAX_NODES = 400


#: Largest accepted constant exponent applied to a variable (``x**1000`` is fine).
MAX_EXPONENT = 1000


#: Largest magnitude (as a power of ten) a constant sub-expression may reach.
MAX_CONSTANT_DIGITS = 400


# Whitelisted functions: name typed → name of the SymPy function it becomes.
FUNCTIONS: dict[str, str] = {
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "exp": "exp",
    "log": "log",
    "ln": "log",
    "sqrt": "sqrt",
    "abs": "Abs",
    "tanh": "tanh",
    "sinh": "sinh",
    "cosh": "cosh",
}


#: Named constants: name typed → name of the SymPy constant.
CONSTANTS: dict[str, str] = {"pi": "pi", "e": "E"}


_TYPOGRAPHY = {
    "^": "**",
    "\u2212": "-",  # minus sign
    "\u2013": "-",  # en dash
    "\u00d7": "*",  # multiplication sign
    "\u00b7": "*",  # middle dot
    "\u22c5": "*",  # dot operator
    "\u00f7": "/",  # division sign
    "\u00b2": "**2",
    "\u00b3": "**3",
    "\u03c0": "pi",
}


_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


_ALLOWED_LIST = "numbers, {vars}, pi, e, + - * / ** and " + ", ".join(
    sorted(set(FUNCTIONS) - {"ln"})
)


def _allowed(variables: Sequence[str]) -> str:
    return _ALLOWED_LIST.format(vars=", ".join(variables))


def normalise(text: str) -> str:
    for typed, plain in _TYPOGRAPHY.items():
        text = text.replace(typed, plain)
    return text.strip()


def check_text(text: str, variables: Sequence[str]) -> None:
    if not text:
        raise ExpressionError(
            "the expression is empty: type a function of " + " and ".join(variables)
        )
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is too long ({len(text):,} characters; at most {MAX_LENGTH})"
        )
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
            if depth > MAX_DEPTH:
                raise ExpressionError(
                    f"the expression is nested too deeply (more than {MAX_DEPTH} parentheses)",
                    position=i,
                )
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise ExpressionError(f"unmatched ')' at position {i + 1}", position=i)
        elif not (ch.isascii() and (ch.isprintable() or ch in " \t")):
            raise ExpressionError(
                f"unexpected character {ch!r} at position {i + 1}", position=i
            )
    if depth > 0:
        raise ExpressionError("missing ')': a parenthesis is opened but never closed")


def syntax_error(text: str, err: SyntaxError) -> ExpressionError:
    col = (err.offset or 1) - 1
    hint = ""
    m = re.search(r"(\d)\s*([a-zA-Z(])", text)
    if m:
        hint = f" (write {m.group(1)}*{m.group(2)} for a product)"
    where = f" at position {col + 1}" if err.offset else ""
    snippet = text[max(0, col - 5) : col + 5]
    near = f" near {snippet!r}" if snippet.strip() else ""
    return ExpressionError(f"invalid syntax{where}{near}{hint}", position=col)


def _segment(text: str, node: ast.AST) -> str:
    seg = ast.get_source_segment(text, node) or type(node).__name__
    return seg if len(seg) <= 40 else seg[:37] + "..."


def _position(node: ast.AST) -> int | None:
    return getattr(node, "col_offset", None)


class _Probe:
    """A value of the probe algebra: a float if constant, else the names it depends on."""

    __slots__ = ("const", "free_symbols", "pow_exp")

    def __init__(self, const: float | None, free: frozenset[str] = frozenset(),
                 pow_exp: float | None = None) -> None:
        self.const = const
        self.free_symbols = free
        self.pow_exp = pow_exp  # x**k chains: the combined exponent k

    @property
    def is_number(self) -> bool:
        return self.const is not None

    def __float__(self) -> float:
        return float(self.const) if self.const is not None else math.nan

    def __neg__(self) -> _Probe:
        if self.const is not None:
            return _Probe(-self.const)
        return _Probe(None, self.free_symbols)


_UNDEFINED = "the expression is undefined everywhere (a division by zero or log(0)?)"


class _ProbeAlgebra:
    """Constant parts as Python floats (as Python itself would compute them), the rest marked."""

    def symbol(self, name: str) -> _Probe:
        return _Probe(None, frozenset([name]), 1.0)

    def integer(self, value: int) -> _Probe:
        try:
            return _Probe(float(value))
        except OverflowError:
            return _Probe(math.copysign(math.inf, value))

    def float(self, value: float) -> _Probe:
        return _Probe(value)

    def constant(self, name: str) -> _Probe:
        return _Probe(math.pi if name == "pi" else math.e)

    def binary(self, op: type, a: _Probe, b: _Probe, refuse: Callable[[str], Exception]) -> _Probe:
        if a.const is None or b.const is None:
            return _Probe(None, a.free_symbols | b.free_symbols)
        x, y = a.const, b.const
        try:
            if op is ast.Add:
                return _Probe(x + y)
            if op is ast.Sub:
                return _Probe(x - y)
            if op is ast.Mult:
                return _Probe(x * y)
            return _Probe(x / y)
        except ZeroDivisionError:
            raise ExpressionError(_UNDEFINED) from None

    def power(self, base: _Probe, exponent: _Probe, refuse: Callable[[str], Exception]) -> _Probe:
        if base.const is not None and exponent.const is not None:
            try:
                out = base.const**exponent.const
            except ZeroDivisionError:
                raise ExpressionError(_UNDEFINED) from None
            except OverflowError:
                out = math.inf
            if isinstance(out, complex):
                raise ExpressionError("the expression is not real-valued") from None
            return _Probe(out)
        free = base.free_symbols | exponent.free_symbols
        if base.pow_exp is not None and exponent.const is not None:
            return _Probe(None, free, base.pow_exp * exponent.const)
        return _Probe(None, free)

    def power_exponent(self, value: _Probe) -> builtins.float | None:  # (float: the method)
        return value.pow_exp if value.const is None else None

    def function(self, name: str, arg: _Probe, refuse: Callable[[str], Exception]) -> _Probe:
        if arg.const is None:
            return _Probe(None, arg.free_symbols)
        v = arg.const
        if name in ("log", "ln"):
            if v == 0:
                raise ExpressionError(_UNDEFINED)
            if v < 0:
                raise ExpressionError("the expression is not real-valued")
        if name == "sqrt" and v < 0:
            raise ExpressionError("the expression is not real-valued")
        fn = abs if name == "abs" else getattr(math, {"ln": "log"}.get(name, name))
        try:
            return _Probe(fn(v))
        except OverflowError:
            return _Probe(math.inf)
        except ValueError:  # sin(inf) and the like: a constant that is not a number
            return _Probe(math.nan)


class Checker:
    """Walks a syntax tree, refuses anything off the whitelist, and builds values of an algebra.

    With :class:`_ProbeAlgebra` (at parse time) the values are floats for constant parts and
    markers for the rest: that checks every bound without SymPy. With the SymPy algebra (in
    :mod:`._symbolic`, when a derivative is needed) the same walk builds the SymPy expression.
    """

    def __init__(self, text: str, variables: Sequence[str], algebra: Any = None) -> None:
        self.text = text
        self.variables = tuple(variables)
        self.algebra = algebra if algebra is not None else _ProbeAlgebra()
        self.symbols = {v: self.algebra.symbol(v) for v in self.variables}
        self.nodes = 0

    def refuse(self, node: ast.AST, why: str) -> ExpressionError:
        return ExpressionError(
            f"{_segment(self.text, node)!r} is not allowed: {why}", position=_position(node)
        )

    def build(self, node: ast.AST, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ExpressionError(
                f"the expression is too large (more than {MAX_NODES} parts)"
            )
        if depth > MAX_DEPTH:
            raise ExpressionError(
                f"the expression is nested too deeply (more than {MAX_DEPTH} levels)",
                position=_position(node),
            )
        if isinstance(node, ast.Expression):
            return self.build(node.body, depth + 1)
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return -self.build(node.operand, depth + 1)
            if isinstance(node.op, ast.UAdd):
                return self.build(node.operand, depth + 1)
            raise self.refuse(node, "only unary + and - are allowed")
        if isinstance(node, ast.BinOp):
            op = type(node.op)
            if op not in _BINOPS:
                raise self.refuse(node, "only + - * / ** (or ^) are allowed between terms")
            left = self.build(node.left, depth + 1)
            right = self.build(node.right, depth + 1)
            if op is ast.Pow:
                return self._power(node, left, right)
            return self.algebra.binary(op, left, right, lambda why: self.refuse(node, why))
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        if isinstance(node, ast.Attribute):
            raise self.refuse(node, "attribute access is not allowed")
        if isinstance(node, ast.Lambda):
            raise self.refuse(node, "lambda is not allowed")
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            raise self.refuse(node, "comprehensions are not allowed")
        if isinstance(node, (ast.JoinedStr, ast.FormattedValue)):
            raise self.refuse(node, "strings are not allowed")
        if isinstance(node, ast.Compare):
            raise self.refuse(node, "comparisons are not allowed")
        if isinstance(node, ast.BoolOp):
            raise self.refuse(node, "'and'/'or' are not allowed")
        if isinstance(node, ast.Subscript):
            raise self.refuse(node, "indexing is not allowed")
        if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
            raise self.refuse(node, "only a single expression is allowed")
        raise self.refuse(node, f"only {_allowed(self.variables)} can be used")

    def _constant(self, node: ast.Constant) -> Any:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = ("strings" if isinstance(value, (str, bytes))
                    else f"{type(value).__name__} values")
            raise self.refuse(node, f"{kind} are not allowed, only real numbers")
        if isinstance(value, int):
            if abs(value) >= 10**MAX_CONSTANT_DIGITS:
                raise self.refuse(node, "the number is too large")
            return self.algebra.integer(value)
        if not math.isfinite(value):
            raise self.refuse(node, "the number is too large (beyond 1.8e308)")
        return self.algebra.float(value)

    def _name(self, node: ast.Name) -> Any:
        if node.id in self.symbols:
            return self.symbols[node.id]
        if node.id in CONSTANTS:
            return self.algebra.constant(node.id)
        if node.id in FUNCTIONS:
            raise self.refuse(node, f"{node.id} is a function: write {node.id}(...)")
        if node.id.startswith("__"):
            raise self.refuse(node, "names with double underscores are not allowed")
        if len(self.variables) == 1 and len(node.id) == 1:
            why = f"unknown variable: f is a function of {self.variables[0]} only"
        else:
            why = f"unknown name; only {_allowed(self.variables)} can be used"
        raise self.refuse(node, why)

    def _call(self, node: ast.Call, depth: int) -> Any:
        if isinstance(node.func, ast.Attribute):
            raise self.refuse(node.func, "attribute access is not allowed")
        if not isinstance(node.func, ast.Name):
            raise self.refuse(
                node.func, "only the functions " + ", ".join(sorted(FUNCTIONS)) + " can be called"
            )
        name = node.func.id
        if name not in FUNCTIONS:
            if name.startswith("__"):
                raise self.refuse(node.func, "names with double underscores are not allowed")
            raise self.refuse(
                node.func,
                "unknown function; allowed: " + ", ".join(sorted(set(FUNCTIONS) - {"ln"})),
            )
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise self.refuse(node, f"{name} takes exactly one argument")
        arg = self.build(node.args[0], depth + 1)
        return self.algebra.function(name, arg, lambda why: self.refuse(node, why))

    def _power(self, node: ast.BinOp, base: Any, exponent: Any) -> Any:
        base_free = bool(base.free_symbols)
        exp_free = bool(exponent.free_symbols)
        if not exp_free and exponent.is_number:
            try:
                e = abs(float(exponent))
            except (TypeError, ValueError, OverflowError):  # pragma: no cover - defensive
                e = math.inf
            if base_free and e > MAX_EXPONENT:
                raise self.refuse(
                    node, f"the exponent is too large (at most {MAX_EXPONENT} on a variable)"
                )
            if not base_free and base.is_number:
                try:
                    b = abs(float(base))
                except (TypeError, ValueError, OverflowError):  # pragma: no cover
                    b = math.inf
                if b > 1.0 and math.isfinite(e):
                    digits = e * math.log10(b)
                elif b > 1.0:
                    digits = math.inf
                elif 0.0 < b < 1.0 and math.isfinite(e):
                    digits = e * -math.log10(b)
                elif 0.0 < b < 1.0:
                    digits = math.inf
                else:
                    digits = 0.0
                if digits > MAX_CONSTANT_DIGITS:
                    raise self.refuse(
                        node,
                        f"the constant is too large (about 10^{digits:.3g}; "
                        f"at most 10^{MAX_CONSTANT_DIGITS})",
                    )
        result = self.algebra.power(base, exponent, lambda why: self.refuse(node, why))
        # (x**2)**600 collapses to x**1200: bound the result too.
        combined = self.algebra.power_exponent(result)
        if combined is not None:
            if abs(combined) > MAX_EXPONENT:
                raise self.refuse(
                    node, f"the exponent is too large (at most {MAX_EXPONENT} on a variable)"
                )
        return result
