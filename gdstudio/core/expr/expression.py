"""Safe parsing of a typed function f(x) (or f(x, y)).

The text a person types is never handed to ``eval``, ``exec`` or ``sympify``. It goes through
three gates:

1. **Text**: length and nesting depth are bounded, a few typographic symbols are normalised
   (``^`` → ``**``, ``−`` → ``-``, ``×`` → ``*``, ``²`` → ``**2``, ``π`` → ``pi``).
2. **Syntax tree**: :mod:`ast` parses it and every node is checked against a whitelist (numbers,
   the variables, ``pi``, ``e``, ``+ - * / **``, unary ``±`` and one-argument calls of
   :data:`FUNCTIONS`). The error names the offending part and its position.
3. **Bounds**: the checked tree is evaluated once with plain floats for its constant parts
   (bounding constant powers so ``9**9**9**9`` or ``x**10**10`` cannot hang the machine, and
   refusing ``1/0`` or ``sqrt(-1)``); then, only when a derivative is first needed, translated
   node by node into SymPy objects (no string parsing). SymPy is imported then, not before:
   the window can show f(x) without waiting for it.

From the SymPy expression we derive the gradient symbolically and compile numeric functions for
three back ends (``math`` scalars, NumPy arrays, torch tensors) with a small printer of our own:
the generated code is built from the whitelisted tree only, never from the person's text.
"""

from __future__ import annotations

import ast
import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from gdstudio.core.errors import ExpressionError

__all__ = [
    "load_symbolic",
    "symbolic_loaded",
    "FUNCTIONS",
    "CONSTANTS",
    "MAX_LENGTH",
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_EXPONENT",
    "Expression",
    "parse_expression",
    "compile_sympy",
    "OutForm",
    "numpy_out_form",
]

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


def _normalise(text: str) -> str:
    for typed, plain in _TYPOGRAPHY.items():
        text = text.replace(typed, plain)
    return text.strip()


def _check_text(text: str, variables: Sequence[str]) -> None:
    if not text:
        raise ExpressionError("the expression is empty: type a function of " + " and ".join(variables))
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


def _syntax_error(text: str, err: SyntaxError) -> ExpressionError:
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

    def power_exponent(self, value: _Probe) -> float | None:
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


class _Checker:
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
            kind = "strings" if isinstance(value, (str, bytes)) else f"{type(value).__name__} values"
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
            raise self.refuse(node.func, "only the functions " + ", ".join(sorted(FUNCTIONS)) + " can be called")
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
        """The derivative (1-D) or gradient components as readable text."""
        _symbolic = load_symbolic()

        parts = [_symbolic.pretty(g) for g in self.gradient_sym]
        return parts[0] if len(parts) == 1 else "(" + ", ".join(parts) + ")"

    @cached_property
    def pretty(self) -> str:
        _symbolic = load_symbolic()

        return _symbolic.pretty(self.sym)

    # --- compiled callables ------------------------------------------------------------------

    @cached_property
    def math_function(self) -> Callable[..., float]:
        """f(*scalars) on Python floats; raises ValueError/OverflowError/ZeroDivisionError."""
        return compile_source(self.source, self.variables, "math")

    @cached_property
    def math_gradient(self) -> Callable[..., Any]:
        """∇f(*scalars) on Python floats: a float (1-D) or a tuple of floats."""
        return compile_sympy(list(self.gradient_sym), self.variables, "math", single=self.dim == 1)

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
        return compile_sympy(list(self.gradient_sym), self.variables, "numpy-raw", single=self.dim == 1)

    @property
    def numpy_function_body(self) -> str:
        """The source of f as :attr:`numpy_function` computes it (see :func:`numpy_out_form`)."""
        return array_body(self.source, len(self.variables))

    @cached_property
    def numpy_gradient_bodies(self) -> tuple[str, ...]:
        """The source of each gradient component as :attr:`numpy_gradient` computes it (one
        Python expression of ``_v0``, ``_v1``, …); see :func:`numpy_out_form`."""
        _symbolic = load_symbolic()

        return tuple(_symbolic.array_bodies(list(self.gradient_sym), self.variables, "numpy"))

    @cached_property
    def numpy_gradient(self) -> Callable[..., Any]:
        """∇f(*arrays): one array (1-D) or a tuple of arrays, elementwise."""
        return compile_sympy(list(self.gradient_sym), self.variables, "numpy", single=self.dim == 1)

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
    normal = _normalise(text)
    _check_text(normal, variables)
    try:
        tree = ast.parse(normal, mode="eval")
    except SyntaxError as err:
        raise _syntax_error(normal, err) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("the expression is nested too deeply") from None
    checker = _Checker(normal, variables)  # the probe algebra: bounds, no SymPy
    try:
        checker.build(tree)
    except RecursionError:
        raise ExpressionError("the expression is nested too deeply") from None
    source = _ast_source(tree.body, tuple(variables))
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


_AST_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def _ast_source(node: ast.AST, variables: tuple[str, ...]) -> str:
    """Python source for a tree that :class:`_Checker` accepted, keeping its order of operations.

    f(x) is then computed exactly as the person wrote it (``x**2 - 4*x + 5`` left to right),
    the way their own Python would, rather than in SymPy's reordered canonical form. A
    sub-expression without variables (``sqrt(2)``, ``2**10``) is folded into one number, as
    Python computes it, so that every back end (torch included) sees a plain constant.
    """
    if not isinstance(node, (ast.Constant, ast.Name)) and not _uses_variables(node, variables):
        return _fold_constant(node, variables)
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, int) and abs(v) < 2**53:
            return str(v)
        return _num(float(v)) if abs(v) < 1e308 else "inf"
    if isinstance(node, ast.Name):
        if node.id in variables:
            return f"_v{variables.index(node.id)}"
        return {"pi": "pi", "e": "E"}[node.id]
    if isinstance(node, ast.UnaryOp):
        inner = _ast_source(node.operand, variables)
        return f"(-{inner})" if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        left = _ast_source(node.left, variables)
        right = _ast_source(node.right, variables)
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
        return f"{name}({_ast_source(node.args[0], variables)})"
    raise ExpressionError("unexpected part in a checked expression")  # pragma: no cover


def _uses_variables(node: ast.AST, variables: tuple[str, ...]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in variables for n in ast.walk(node))


def _fold_constant(node: ast.AST, variables: tuple[str, ...]) -> str:
    """The value of a variable-free sub-expression, computed with Python floats and math."""
    body = _ast_source_unfolded(node, variables)
    fn = _finish(f"def _compiled():\n    return {body}\n", "math")
    try:
        value = fn()
    except (ValueError, OverflowError, ZeroDivisionError):
        return "nan"
    if isinstance(value, int) and abs(value) < 2**53:
        return f"({value})" if value < 0 else str(value)
    return _num(float(value))


def _ast_source_unfolded(node: ast.AST, variables: tuple[str, ...]) -> str:
    # Children of a constant sub-expression are constant too: print them without folding.
    if isinstance(node, ast.Constant):
        return _ast_source(node, variables)
    if isinstance(node, ast.Name):
        return _ast_source(node, variables)
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
    """Compile an expression body produced by :func:`_ast_source` for one back end."""
    args = [f"_v{i}" for i in range(len(variables))]
    if backend != "math":
        body = array_body(body, len(args))
    source = f"def _compiled({', '.join(args)}):\n    return {body}\n"
    return _finish(source, backend)


# --------------------------------------------------------------------------------------------
# The same arithmetic as one NumPy call per operation, each writing into a buffer.
# --------------------------------------------------------------------------------------------

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
        fn = _finish(f"def _compiled():\n    return {ast.unparse(node)}\n", "numpy-raw")
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


# --------------------------------------------------------------------------------------------
# A small printer: SymPy tree → Python source for one of three back ends.
# --------------------------------------------------------------------------------------------

def _math_sign(v: float) -> float:
    return math.copysign(1.0, v) if v != 0.0 else 0.0 * v


def _math_pow(base: float, exponent: float) -> float:
    out = base**exponent
    if isinstance(out, complex):
        raise ValueError("negative base to a fractional power")
    return out


def _math_sqrt(v: float) -> float:
    return math.sqrt(v)


def _namespace(backend: str) -> dict[str, Any]:
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


def _num(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "(-inf)"
    text = repr(float(value))
    return f"({text})" if value < 0 else text


def _finish(source: str, backend: str) -> Callable[..., Any]:
    raw = backend == "numpy-raw"
    if raw:
        backend = "numpy"
    # The generated code is ours (never the person's text); torch's C++ functions may import
    # lazily through the caller's builtins, so that back end gets __import__ and nothing else.
    builtins: dict[str, Any] = {"__import__": __import__} if backend == "torch" else {}
    namespace: dict[str, Any] = {"__builtins__": builtins}
    namespace.update(_namespace(backend))
    exec(compile(source, "<gdstudio-expression>", "exec"), namespace)  # noqa: S102 - our source
    fn = namespace["_compiled"]
    fn.__doc__ = source
    if backend == "numpy" and not raw:
        raw_fn = fn

        def fn(*values: Any) -> Any:
            # Undefined points (log of a negative, overflow) give nan/inf, silently.
            with np.errstate(all="ignore"):
                return raw_fn(*values)

        fn.__doc__ = source
    return fn


