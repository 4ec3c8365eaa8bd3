"""Code export: a run as a self-contained Python script, in plain PyTorch or plain NumPy.

The scripts are written in the source tutorial's style so that a learner sees the code behind
what they watched: a leaf tensor with ``requires_grad``, ``loss.backward()``, the update under
``torch.no_grad()`` and ``x.grad = None`` (or ``torch.optim``'s ``step``/``zero_grad``); in
NumPy, the analytic gradient (SymPy's derivative of f, or the source's d_m, d_c formulas).

Each script prints the trajectory as CSV with exactly the CLI's columns (``epoch,x,loss,grad`` or
``epoch,m,c,loss,grad_m,grad_c``; one row per epoch from 0, ``grad`` at that row's parameters,
floats as ``repr``), applies the app's stop rules (the epoch limit, |gradient| ≤ tol, the first
non-finite value, which is dropped, and the explosion bound) and prints its status on stderr. In
float64 its numbers are the app's to rounding (the torch script uses the same operations as the
torch engine; the NumPy script the same formulas as the manual engine, except that a regression
uses the source's sums over the data rather than the engine's O(1) centred sums). Not
reproduced: cycle detection (``cycling`` is reported as ``max_epochs``; ``stop_on_cycle`` does not
stop the script).

Safety: the person's expression never reaches the script as typed. f is rebuilt from the checked
syntax tree (:attr:`Expression.source`), every node is checked again against a whitelist, and
the printed code is parsed back and compared with that tree. The text as typed appears only in a
comment, with line breaks and other control characters removed. Strings (paths, the device) are
embedded with ``repr``.
"""

from __future__ import annotations

import ast
import dataclasses
import math
import os
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from gdstudio.core.descent.config import RunConfig
from gdstudio.core.errors import DataError, ExpressionError, InputError
from gdstudio.core.expr.expression import expression_source
from gdstudio.core.problems import FunctionProblem, RegressionProblem

__all__ = [
    "CodegenError",
    "INLINE_LIMIT",
    "MAX_INLINE",
    "DATA_MODES",
    "torch_script",
    "numpy_script",
    "python_expression",
]

#: Regression data up to this many points is written into the script as lists ("auto").
INLINE_LIMIT = 2000
#: Never inline more than this many points (the script would be tens of megabytes).
MAX_INLINE = 200_000
#: How a regression script gets its data: "auto", "inline", "file" (read the CSV again).
DATA_MODES = ("auto", "inline", "file")

#: RunConfig fields the scripts reproduce; any other field must keep its default.
_SUPPORTED_FIELDS = frozenset(
    (
        "problem",
        "x0",
        "m0",
        "c0",
        "lr",
        "epochs",
        "engine",
        "device",
        "dtype",
        "optimizer",
        "tol",
        "momentum",
        "beta1",
        "beta2",
        "alpha",
        "eps",
        "stop_on_cycle",
    )
)
_DEVICE_RE = re.compile(r"^(cpu|mps|cuda(:[0-9]{1,3})?)$")
_EXPLOSION = "1e12"  # descent.EXPLOSION_FACTOR, as the scripts write it

_FUNCTIONS = (
    "sin",
    "cos",
    "tan",
    "exp",
    "log",
    "tanh",
    "sinh",
    "cosh",
    "abs",
    "sign",
    "sqrt",
    "pow",
)
_NUMPY_NAMES = {**{f: f"np.{f}" for f in _FUNCTIONS}, "pow": "np.power"}
_TORCH_NAMES = {**{f: f"torch.{f}" for f in _FUNCTIONS}, "pow": "torch.pow"}
# Constant sub-expressions (sqrt(2), sin(1)) in the torch script: plain floats, not tensors.
_MATH_NAMES = {
    **{f: f"math.{f}" for f in _FUNCTIONS if f != "sign"},  # sign only occurs in derivatives
    "abs": "abs",
    "pow": "math.pow",
}
_NUMPY_CONSTANTS = {"pi": "np.pi", "E": "np.e", "inf": "np.inf", "nan": "np.nan"}
_MATH_CONSTANTS = {"pi": "math.pi", "E": "math.e", "inf": "math.inf", "nan": "math.nan"}
_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
# Names the scripts use for their own things: a variable may not take one of them.
_RESERVED = frozenset(("f", "df", "m", "c", "n", "t", "np", "math", "sys", "torch", "lr", "tol"))


class CodegenError(InputError):
    """A run that cannot be exported as a script; the message says why."""


# ==============================================================================================
# Expressions: checked tree → code
# ==============================================================================================


def _dotted(name: str) -> ast.expr:
    parts = name.split(".")
    node: ast.expr = ast.Name(parts[0], ast.Load())
    for attr in parts[1:]:
        node = ast.Attribute(node, attr, ast.Load())
    return node


class _Rewriter:
    """Rebuilds a generated expression tree with the script's names, refusing anything else."""

    def __init__(self, variables: dict[str, str], backend: str) -> None:
        self.variables = variables
        self.backend = backend

    def _has_variable(self, node: ast.AST) -> bool:
        return any(isinstance(n, ast.Name) and n.id in self.variables for n in ast.walk(node))

    def build(self, node: ast.AST) -> ast.expr:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise CodegenError("unexpected constant in an expression")
            return ast.Constant(node.value)
        if isinstance(node, ast.Name):
            if node.id in self.variables:
                return ast.Name(self.variables[node.id], ast.Load())
            table = _NUMPY_CONSTANTS if self.backend == "numpy" else _MATH_CONSTANTS
            if node.id in table:
                return _dotted(table[node.id])
            raise CodegenError(f"unexpected name {node.id[:30]!r} in an expression")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return ast.UnaryOp(type(node.op)(), self.build(node.operand))
        if isinstance(node, ast.BinOp) and isinstance(node.op, _BINOPS):
            return ast.BinOp(self.build(node.left), type(node.op)(), self.build(node.right))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCTIONS
            and not node.keywords
            and all(not isinstance(a, ast.Starred) for a in node.args)
            and len(node.args) == (2 if node.func.id == "pow" else 1)
        ):
            if self.backend == "numpy":
                table = _NUMPY_NAMES
            else:
                table = _TORCH_NAMES if self._has_variable(node) else _MATH_NAMES
            if node.func.id not in table:  # pragma: no cover - sign() in a torch f
                raise CodegenError(f"{node.func.id} cannot be written for {self.backend}")
            return ast.Call(_dotted(table[node.func.id]), [self.build(a) for a in node.args], [])
        raise CodegenError(f"unexpected part {type(node).__name__} in an expression")


def _code(source: str, variables: dict[str, str], backend: str) -> str:
    """Python code for a generated expression ``source``, with the script's names."""
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:  # pragma: no cover - the sources are generated
        raise CodegenError("the expression could not be rebuilt") from None
    rebuilt = ast.Expression(_Rewriter(variables, backend).build(tree.body))
    ast.fix_missing_locations(rebuilt)
    text = ast.unparse(rebuilt)
    # The text must mean exactly the checked tree: parse it back and compare.
    if ast.dump(ast.parse(text, mode="eval")) != ast.dump(rebuilt) or "\n" in text:
        raise CodegenError("the expression could not be rebuilt faithfully")  # pragma: no cover
    return text


def _variable_names(problem: FunctionProblem) -> list[str]:
    out: list[str] = []
    for i, v in enumerate(problem.variables):
        name = v if re.fullmatch(r"[a-z]", v) and v not in _RESERVED and v not in out else f"v{i}"
        out.append(name)
    return out


def python_expression(problem: FunctionProblem, backend: str = "numpy") -> str:
    """f as code for ``backend`` ("numpy" or "torch"), rebuilt from the checked tree."""
    if backend not in ("numpy", "torch"):
        raise CodegenError(f"unknown backend {backend!r}; choose numpy or torch")
    names = _variable_names(problem)
    mapping = {f"_v{i}": n for i, n in enumerate(names)}
    return _code(problem.expression.source, mapping, backend)


def _gradient_code(problem: FunctionProblem) -> list[str]:
    """Each component of ∇f (SymPy's derivative) as NumPy code."""
    problem.expression.numpy_gradient  # noqa: B018 - raises ExpressionError if it cannot be printed
    names = _variable_names(problem)
    sources = expression_source(list(problem.expression.gradient_sym), problem.variables)
    mapping = dict(zip(problem.variables, names, strict=True))
    return [_code(src, mapping, "numpy") for src in sources]


# ==============================================================================================
# Pieces of a script
# ==============================================================================================


def _comment(text: str, limit: int = 300) -> str:
    """Text that is safe inside a ``#`` comment: one line, printable characters only."""
    clean = "".join(ch if ch.isprintable() else " " for ch in str(text))
    clean = " ".join(clean.split())
    return clean if len(clean) <= limit else clean[: limit - 3] + "..."


def _num(value: float) -> str:
    v = float(value)
    if not math.isfinite(v):  # pragma: no cover - RunConfig keeps settings finite
        raise CodegenError(f"cannot write the number {v!r} into a script")
    return repr(v)


def _check_config(config: RunConfig) -> None:
    if not isinstance(config, RunConfig):
        raise CodegenError(f"expected a RunConfig, got {type(config).__name__}")
    for f in dataclasses.fields(config):
        if f.name in _SUPPORTED_FIELDS:
            continue
        value = getattr(config, f.name)
        default = f.default if f.default is not dataclasses.MISSING else None
        if value != default:
            raise CodegenError(
                f"code export does not reproduce {f.name} = {value!r} yet; "
                f"export the run with {f.name} = {default!r}"
            )
    if not _DEVICE_RE.match(str(config.device).strip().lower()):
        raise CodegenError(f"unknown device {config.device!r}; use cpu, cuda, cuda:N or mps")


def _columns(names: Sequence[str]) -> str:
    grads = ["grad"] if len(names) == 1 else [f"grad_{n}" for n in names]
    return ",".join(["epoch", *names, "loss", *grads])


def _float_list(name: str, values: np.ndarray, per_line: int = 4) -> list[str]:
    items = [repr(v) for v in np.asarray(values, dtype=np.float64).tolist()]
    lines = [f"{name} = ["]
    for i in range(0, len(items), per_line):
        lines.append("    " + ", ".join(items[i : i + per_line]) + ",")
    lines.append("]")
    return lines


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.array_equal(a.view(np.uint64), b.view(np.uint64)))


def _synthetic_matches(problem: RegressionProblem) -> bool:
    from gdstudio.core.data import synthetic_data

    s = problem.synthetic_spec
    if s is None:
        return False
    try:
        xy = synthetic_data(
            s.n,
            s.seed,
            s.noise,
            slope=s.slope,
            intercept=s.intercept,
            x_low=s.x_low,
            x_high=s.x_high,
        )
    except InputError:
        return False
    return _same(xy.x, problem.x) and _same(xy.y, problem.y)


def _csv_layout(problem: RegressionProblem) -> dict[str, Any] | None:
    """How the script can read the problem's CSV again, or None if the file no longer fits."""
    from gdstudio.core.data import preview_csv, read_xy_csv

    source = problem.source
    if problem.synthetic_spec is not None or not source or not os.path.isfile(source):
        return None
    try:
        preview = preview_csv(source)
        xi = preview.names.index(problem.x_name)
        yi = preview.names.index(problem.y_name)
        xy = read_xy_csv(source, xi, yi)
    except (DataError, ValueError, OSError):
        return None
    if not (_same(xy.x, problem.x) and _same(xy.y, problem.y)):
        return None
    return {
        "path": os.path.abspath(source),
        "delimiter": preview.delimiter,
        "decimal_comma": preview.decimal_comma,
        "encoding": preview.python_encoding,
        "first_data_line": preview.first_data_line,
        "x_index": xi,
        "y_index": yi,
    }


def _data_lines(problem: RegressionProblem, mode: str) -> list[str]:
    """Code that defines ``x_values`` and ``y_values`` (lists or arrays of floats)."""
    if mode not in DATA_MODES:
        raise CodegenError(f"unknown data mode {mode!r}; choose from {', '.join(DATA_MODES)}")
    n = problem.n
    layout = None
    if mode == "file" or (mode == "auto" and n > INLINE_LIMIT):
        layout = _csv_layout(problem)
        if layout is None and mode == "file":
            raise CodegenError(
                "the data did not come from a CSV file that still holds it "
                f"({_comment(problem.source, 80)}); "
                "export it inline instead"
            )
    if layout is not None:
        split = (
            "line.split()" if layout["delimiter"] == " " else
            f"next(csv.reader([line], delimiter={layout['delimiter']!r}, quotechar='\"', "
            "skipinitialspace=True))"
        )
        number = (
            "float(cells[{i}].replace(',', '.'))"
            if layout["decimal_comma"]
            else "float(cells[{i}])"
        )
        return [
            f"# The data: columns {_comment(problem.x_name, 60)} (x)"
            f" and {_comment(problem.y_name, 60)} (y)",
            "# of this CSV file, read the way the app read them.",
            f"DATA_FILE = {layout['path']!r}",
            f"N_POINTS = {n}  # the run used this many points",
            "",
            "",
            "def read_data(path):",
            "    import csv",
            "",
            "    x_values, y_values = [], []",
            f'    with open(path, encoding={layout["encoding"]!r}) as fh:',
            "        for number, line in enumerate(fh, start=1):",
            "            line = line.strip()",
            f'            if number < {layout["first_data_line"]}'
            ' or not line or line.startswith("#"):',
            "                continue  # the header, blank lines and comments",
            f"            cells = [cell.strip() for cell in {split}]  # RFC 4180 quotes",
            f"            x_values.append({number.format(i=layout['x_index'])})",
            f"            y_values.append({number.format(i=layout['y_index'])})",
            "    return x_values, y_values",
            "",
            "",
            "x_values, y_values = read_data(DATA_FILE)",
            "if len(x_values) != N_POINTS:",
            '    print(f"warning: {DATA_FILE} now has {len(x_values)} points;'
            ' the run used {N_POINTS}",',
            "          file=sys.stderr)",
        ]
    if mode == "auto" and n > INLINE_LIMIT and _synthetic_matches(problem):
        s = problem.synthetic_spec
        assert s is not None
        return [
            f"# The app's synthetic data (n = {s.n}, seed = {s.seed}), generated again: around",
            f"# y = {_num(s.slope)}*x + {_num(s.intercept)},"
            f" x uniform in [{_num(s.x_low)}, {_num(s.x_high)}),"
            f" Gaussian noise of size {_num(s.noise)}.",
            f"rng = np.random.default_rng({int(s.seed)})",
            f"x_values = rng.uniform({_num(s.x_low)}, {_num(s.x_high)}, {int(s.n)})",
            f"y_values = rng.standard_normal({int(s.n)})",
            f"y_values *= {_num(s.noise)}",
            f"y_values += {_num(s.slope)} * x_values",
            f"y_values += {_num(s.intercept)}",
        ]
    if n > MAX_INLINE:
        raise CodegenError(
            f"{n:,} points are too many to write into a script (at most {MAX_INLINE:,}); "
            "save the data as a CSV file, load it from there and export again"
        )
    return [
        f"# The data: {n} points (x, y), exactly as the run used them",
        f"# (from {_comment(problem.source, 120)}).",
        *_float_list("x_values", problem.x),
        *_float_list("y_values", problem.y),
    ]


def _docstring(config: RunConfig, backend: str, names: Sequence[str], what: str) -> list[str]:
    from gdstudio import __version__

    engine = "PyTorch autograd" if backend == "torch" else "NumPy with the gradient written out"
    opt = (
        "plain gradient descent"
        if config.optimizer == "gd"
        else f"the {config.optimizer} optimizer"
    )
    return [
        '"""' + what,
        "",
        f"Exported from Gradient Descent Studio {__version__}: {opt}, {engine},",
        f"lr = {_num(config.lr)}, {config.epochs} epochs, {config.dtype}.",  # type: ignore[arg-type]
        "Run it with `python this_file.py`. It prints one CSV row per epoch, starting with",
        f"epoch 0 (the start): {_columns(names)}, the same columns and numbers",
        "as `gdstudio run --format csv` with these settings. The run's status goes to stderr",
        "(the app also reports 'cycling' when the last points repeat; this script does not look).",
        '"""',
    ]


def _settings(
    config: RunConfig, start: list[str], backend: str, lr_changes: Sequence[tuple[int, float]]
) -> list[str]:
    out = ["# --- the run's settings " + "-" * 66, *start]
    out.append(f"lr = {_num(config.lr)}  # the learning rate")  # type: ignore[arg-type]
    out.append(f"epochs = {config.epochs}  # the number of updates")
    out.append(
        f"tol = {_num(config.tol)}  # stop when |gradient| <= tol (0: only at an exact zero)"
    )
    if lr_changes:
        items = ", ".join(f"{int(e)}: {_num(v)}" for e, v in lr_changes)
        out.append(f"lr_changes = {{{items}}}  # the learning rate was changed after these epochs")
    o = config.optimizer_settings
    if backend == "numpy":
        if config.optimizer in ("momentum", "nesterov"):
            out.append(f"momentum = {_num(o.momentum)}")
        elif config.optimizer == "adam":
            out.append(f"beta1, beta2 = {_num(o.beta1)}, {_num(o.beta2)}")
        elif config.optimizer == "rmsprop":
            out.append(f"alpha = {_num(o.alpha)}")
        if config.optimizer in ("adam", "rmsprop", "adagrad"):
            out.append(f"eps = {_num(o.eps_value)}")
        out.append(f"dtype = np.{config.dtype}")
        if str(config.device).strip().lower() != "cpu":
            out.append(f"# (the app ran on {_comment(config.device, 20)}; NumPy runs on the CPU)")
    else:
        out.append(f"dtype = torch.{config.dtype}")
        device = str(config.device).strip().lower()
        out.append(f"device = torch.device({device!r})")
    if config.stop_on_cycle:
        out.append(
            "# (the app was set to stop when the points cycle; this script runs to the epoch limit)"
        )
    return out


def _torch_optimizer(config: RunConfig, target: str) -> str:
    o = config.optimizer_settings
    name = config.optimizer
    if name == "sgd":
        return f"torch.optim.SGD([{target}], lr=lr)"
    if name == "momentum":
        return f"torch.optim.SGD([{target}], lr=lr, momentum={_num(o.momentum)})"
    if name == "nesterov":
        return f"torch.optim.SGD([{target}], lr=lr, momentum={_num(o.momentum)}, nesterov=True)"
    if name == "adam":
        return (f"torch.optim.Adam([{target}], lr=lr, betas=({_num(o.beta1)}, {_num(o.beta2)}),"
                f" eps={_num(o.eps_value)})")
    if name == "rmsprop":
        return (f"torch.optim.RMSprop([{target}], lr=lr, alpha={_num(o.alpha)},"
                f" eps={_num(o.eps_value)})")
    if name == "adagrad":
        return f"torch.optim.Adagrad([{target}], lr=lr, eps={_num(o.eps_value)})"
    raise CodegenError(f"unknown optimizer {name!r}")  # pragma: no cover


def _numpy_update(config: RunConfig, p: str) -> tuple[list[str], list[str]]:
    """(state set-up lines, update lines at loop indentation) for the manual engine's formulas."""
    name = config.optimizer
    ind = "    "
    if name in ("gd", "sgd"):
        return [], [f"{ind}{p} = {p} - lr * grad"]
    if name in ("momentum", "nesterov"):
        step = "grad + momentum * buf" if name == "nesterov" else "buf"
        return ["buf = None  # the velocity (torch.optim.SGD's momentum buffer)"], [
            f"{ind}buf = grad if buf is None else momentum * buf + grad",
            f"{ind}{p} = {p} - lr * ({step})"
            if name == "nesterov"
            else f"{ind}{p} = {p} - lr * buf",
        ]
    if name == "adam":
        return [
            f"m_avg = np.zeros_like({p})  # running mean of the gradient",
            f"v_avg = np.zeros_like({p})  # running mean of its square",
        ], [
            f"{ind}t = epoch + 1",
            f"{ind}m_avg = m_avg + (grad - m_avg) * (1 - beta1)  # torch.optim.Adam's lerp",
            f"{ind}v_avg = v_avg * beta2 + (1 - beta2) * grad * grad",
            f"{ind}bias_correction1 = 1 - beta1**t",
            f"{ind}bias_correction2 = 1 - beta2**t",
            f"{ind}step_size = lr / bias_correction1",
            f"{ind}denom = np.sqrt(v_avg) / math.sqrt(bias_correction2) + eps",
            f"{ind}{p} = {p} - step_size * (m_avg / denom)",
        ]
    if name == "rmsprop":
        return [f"sq_avg = np.zeros_like({p})  # running mean of the squared gradient"], [
            f"{ind}sq_avg = sq_avg * alpha + (1 - alpha) * grad * grad",
            f"{ind}{p} = {p} - lr * (grad / (np.sqrt(sq_avg) + eps))",
        ]
    if name == "adagrad":
        return [f"sum_sq = np.zeros_like({p})  # sum of the squared gradients"], [
            f"{ind}sum_sq = sum_sq + grad * grad",
            f"{ind}{p} = {p} - lr * (grad / (np.sqrt(sum_sq) + eps))",
        ]
    raise CodegenError(f"unknown optimizer {name!r}")  # pragma: no cover


def _stop_rules(k: int, size0: str) -> list[str]:
    """The app's stop rules on ``row`` (params..., loss, grad...), inside the epoch loop."""
    gnorm = "abs(row[2])" if k == 1 else f"math.hypot(*row[{k + 1}:])"
    biggest = "abs(row[0])" if k == 1 else f"max(abs(v) for v in row[:{k}])"
    return [
        "    if not all(math.isfinite(v) for v in row):",
        "        if epoch == 0:",
        '            sys.exit("the loss or its gradient is not finite at the start:'
        ' choose another start")',
        '        status = "diverged"  # a value is not finite: this row is dropped, the run ends',
        "        break",
        '    print(epoch, *map(repr, row), sep=",")',
        "    last = epoch",
        "    if epoch == 0:",
        f"        loss0, size0 = row[{k}], {size0}",
        f"    if {gnorm} <= tol:",
        '        status = "converged"',
        "        break",
        f"    if abs(row[{k}] - loss0) > {_EXPLOSION} * (1 + abs(loss0))"
        f" or {biggest} > {_EXPLOSION} * (1 + size0):",
        '        status = "diverged"  # exploded: this row is kept, the run ends',
        "        break",
        "    if epoch == epochs:",
        "        break",
    ]


_FOOTER = [
    'print(f"status: {status} after {last} epochs", file=sys.stderr)',
]


def _lr_change_lines(optimizer: str | None) -> list[str]:
    lines = ["    lr = lr_changes.get(epoch, lr)"]
    if optimizer is not None:
        lines += [f"    for group in {optimizer}.param_groups:", '        group["lr"] = lr']
    return lines


# ==============================================================================================
# The two scripts
# ==============================================================================================


def _normalise_changes(lr_changes: Sequence[tuple[int, float]]) -> list[tuple[int, float]]:
    out = []
    for item in lr_changes:
        try:
            epoch, lr = item
            epoch_i = int(epoch)
            lr_f = float(lr)
        except (TypeError, ValueError):
            raise CodegenError(
                f"lr_changes must be (epoch, learning rate) pairs, got {item!r}"
            ) from None
        if epoch_i < 0 or not math.isfinite(lr_f) or lr_f <= 0:
            raise CodegenError(f"bad learning-rate change {item!r}")
        out.append((epoch_i, lr_f))
    return out


def _typed_comment(problem: FunctionProblem) -> list[str]:
    return [
        "# f as typed in the app (for reference only; the code below is rebuilt from the checked",
        f"# expression): {_comment(problem.text)}",
        f"# SymPy's derivative: {_comment(problem.expression.derivative_text)}",
    ]


def torch_script(
    config: RunConfig,
    *,
    data: str = "auto",
    lr_changes: Sequence[tuple[int, float]] = (),
) -> str:
    """A self-contained PyTorch script that reproduces ``config``'s run.

    Parameters
    ----------
    data
        Regression only: "inline" writes the points into the script, "file" reads the CSV file
        the data came from, "auto" inlines up to :data:`INLINE_LIMIT` points and otherwise
        generates the synthetic data again or reads the file (inline if neither fits).
    lr_changes
        ``History.lr_changes``: learning-rate changes made during the run, applied again.

    Raises
    ------
    CodegenError
        for settings a script cannot reproduce (and bad arguments).
    """
    _check_config(config)
    changes = _normalise_changes(lr_changes)
    problem = config.problem
    start = config.start_params().tolist()
    names = list(problem.param_names)
    k = len(names)
    opt = config.optimizer != "gd"
    lines: list[str] = ["#!/usr/bin/env python3"]
    if isinstance(problem, FunctionProblem):
        vars_ = _variable_names(problem)
        f_code = python_expression(problem, "torch")
        if not problem.expression.sym.free_symbols:
            f_code = (
                f"{f_code} + 0 * {vars_[0]}  # + 0*{vars_[0]}: a tensor autograd can differentiate"
            )
        sig = ", ".join(vars_)
        lines += _docstring(
            config,
            "torch",
            names,
            f"Gradient descent on f({sig}) ="
            f" {python_expression(problem, 'numpy').replace('np.', '')}.",
        )
        lines += _typed_comment(problem)
        lines += ["", "import math", "import sys", "", "import torch", ""]
        if k == 1:
            start_lines = [f"{vars_[0]}0 = {_num(start[0])}  # the start"]
        else:
            start_lines = [
                f"{', '.join(v + '0' for v in vars_)} = {', '.join(_num(v) for v in start)}"
                "  # the start"
            ]
        lines += _settings(config, start_lines, "torch", changes)
        lines += ["", "", f"def f({sig}):", f"    return {f_code}", "", ""]
        if k == 1:
            p = vars_[0]
            lines += [
                f"# {p} is a leaf tensor: autograd records every operation on it, and",
                f"# loss.backward() leaves d(loss)/d{p} in {p}.grad.",
                f"{p} = torch.tensor({p}0, dtype=dtype, device=device, requires_grad=True)",
            ]
            loss_line = f"    loss = f({p})"
            row_line = f"    row = [{p}.item(), loss.item(), {p}.grad.item()]"
        else:
            p = "params"
            lines += [
                f"params = torch.tensor([{', '.join(v + '0' for v in vars_)}],"
                " dtype=dtype, device=device)",
                "params.requires_grad_()  # a leaf tensor: loss.backward() fills params.grad",
            ]
            loss_line = f"    {sig} = params\n    loss = f({sig})"
            row_line = "    row = [*params.tolist(), loss.item(), *params.grad.tolist()]"
        size0 = (
            f"abs({p}0)"
            if k == 1
            else f"max(abs(v) for v in ({', '.join(v + '0' for v in vars_)}))"
        )
    else:
        assert isinstance(problem, RegressionProblem)
        p = "params"
        lines += _docstring(
            config,
            "torch",
            names,
            "Linear regression y = m*x + c by gradient descent on the mean squared error.",
        )
        lines += ["", "import math", "import sys", ""]
        data_lines = _data_lines(problem, data)
        if any("np." in ln for ln in data_lines):
            lines += ["import numpy as np"]
        lines += ["import torch", ""]
        lines += _settings(
            config,
            [f"m0, c0 = {_num(start[0])}, {_num(start[1])}  # the start: slope and intercept"],
            "torch",
            changes,
        )
        lines += ["", *data_lines, ""]
        lines += [
            "X = torch.tensor(x_values, dtype=dtype, device=device)",
            "Y = torch.tensor(y_values, dtype=dtype, device=device)",
            "",
        ]
        if start == [0.0, 0.0] and all(math.copysign(1.0, v) > 0 for v in start):
            lines.append(
                "params = torch.zeros(2, dtype=dtype, device=device).requires_grad_()  # m = c = 0"
            )
        else:
            lines.append(
                "params = torch.tensor([m0, c0], dtype=dtype, device=device).requires_grad_()"
            )
        lines += [
            "",
            "",
            "def mse(params):",
            "    m, c = params",
            "    preds = m * X + c",
            "    return ((preds - Y) ** 2).mean()  # the mean of (Y - (m*X + c))**2",
            "",
        ]
        loss_line = "    loss = mse(params)"
        row_line = "    row = [*params.tolist(), loss.item(), *params.grad.tolist()]"
        size0 = "max(abs(m0), abs(c0))"
    if opt:
        lines += ["", f"optimizer = {_torch_optimizer(config, p)}"]
    lines += [
        "",
        f"print({_columns(names)!r})",
        'status, last = "max_epochs", 0',
        "for epoch in range(epochs + 1):",
        loss_line,
        "    loss.backward()  # the gradient at this row's parameters",
        row_line,
        *_stop_rules(k, size0),
    ]
    if changes:
        lines += _lr_change_lines("optimizer" if opt else None)
    if opt:
        lines += [
            "    optimizer.step()  # the update, as torch.optim does it",
            "    optimizer.zero_grad()"
            "  # gradients accumulate: clear them before the next backward()",
        ]
    else:
        lines += [
            "    with torch.no_grad():  # the update itself is not part of the graph",
            f"        {p} -= lr * {p}.grad",
            f"    {p}.grad = None  # gradients accumulate: clear them before the next backward()",
        ]
    lines += _FOOTER
    return "\n".join(lines) + "\n"


def numpy_script(
    config: RunConfig,
    *,
    data: str = "auto",
    lr_changes: Sequence[tuple[int, float]] = (),
) -> str:
    """A self-contained NumPy script that reproduces ``config``'s run with analytic gradients.

    f's gradient is SymPy's derivative printed as NumPy code; a regression uses the source's
    formulas d_m = (−2/n)·Σ X·(Y − Ŷ), d_c = (−2/n)·Σ (Y − Ŷ). Every optimizer is written out
    with the manual engine's formulas (those of ``torch.optim``). ``data`` and ``lr_changes``
    as for :func:`torch_script`. The device setting does not apply (NumPy runs on the CPU).
    """
    _check_config(config)
    changes = _normalise_changes(lr_changes)
    problem = config.problem
    start = config.start_params().tolist()
    names = list(problem.param_names)
    k = len(names)
    lines: list[str] = ["#!/usr/bin/env python3"]
    if isinstance(problem, FunctionProblem):
        vars_ = _variable_names(problem)
        sig = ", ".join(vars_)
        f_code = python_expression(problem, "numpy")
        try:
            grads = _gradient_code(problem)
        except ExpressionError as err:
            raise CodegenError(f"the gradient cannot be written as NumPy code: {err}") from None
        lines += _docstring(
            config, "numpy", names, f"Gradient descent on f({sig}) = {f_code.replace('np.', '')}."
        )
        lines += _typed_comment(problem)
        lines += ["", "import math", "import sys", "", "import numpy as np", ""]
        if k == 1:
            start_lines = [f"{vars_[0]}0 = {_num(start[0])}  # the start"]
        else:
            start_lines = [
                f"{', '.join(v + '0' for v in vars_)} = {', '.join(_num(v) for v in start)}"
                "  # the start"
            ]
        lines += _settings(config, start_lines, "numpy", changes)
        lines += ["", "", f"def f({sig}):", f"    return {f_code}", "", ""]
        if k == 1:
            p = vars_[0]
            lines += [
                f"def df({sig}):",
                f'    """f\'({sig}), derived by SymPy."""',
                f"    return {grads[0]}",
                "",
                "",
                f"{p} = dtype({p}0)",
            ]
            body = [
                f"    loss = f({p})",
                f"    grad = df({p})",
                f"    row = [float({p}), float(loss), float(grad)]",
            ]
            size0 = f"abs({p}0)"
        else:
            p = "params"
            lines += [
                f"def gradient({sig}):",
                '    """(df/d' + ", df/d".join(vars_) + '), derived by SymPy."""',
                "    return np.array([",
                *[f"        {g}," for g in grads],
                "    ])",
                "",
                "",
                f"params = np.array([{', '.join(v + '0' for v in vars_)}], dtype=dtype)",
            ]
            body = [
                f"    {sig} = params",
                f"    loss = f({sig})",
                f"    grad = gradient({sig}).astype(dtype)",
                "    row = [*map(float, params), float(loss), *map(float, grad)]",
            ]
            size0 = f"max(abs(v) for v in ({', '.join(v + '0' for v in vars_)}))"
    else:
        assert isinstance(problem, RegressionProblem)
        lines += _docstring(
            config,
            "numpy",
            names,
            "Linear regression y = m*x + c by gradient descent on the mean squared error.",
        )
        lines += ["", "import math", "import sys", "", "import numpy as np", ""]
        lines += _settings(
            config,
            [f"m0, c0 = {_num(start[0])}, {_num(start[1])}  # the start: slope and intercept"],
            "numpy",
            changes,
        )
        lines += ["", *_data_lines(problem, data), ""]
        lines += [
            "X = np.array(x_values, dtype=dtype)",
            "Y = np.array(y_values, dtype=dtype)",
            "n = len(X)",
            "",
            "",
            "def loss_and_gradient(m, c):",
            '    """The MSE and its gradient, by the formulas derived by hand."""',
            "    Y_pred = m * X + c",
            "    loss = np.mean((Y - Y_pred) ** 2)",
            "    d_m = (-2 / n) * np.sum(X * (Y - Y_pred))",
            "    d_c = (-2 / n) * np.sum(Y - Y_pred)",
            "    return loss, np.array([d_m, d_c], dtype=dtype)",
            "",
            "",
            "params = np.array([m0, c0], dtype=dtype)  # (m, c)",
        ]
        p = "params"
        body = [
            "    m, c = params",
            "    loss, grad = loss_and_gradient(m, c)",
            "    row = [*map(float, params), float(loss), *map(float, grad)]",
        ]
        size0 = "max(abs(m0), abs(c0))"
    setup, update = _numpy_update(config, p)
    lines += [*setup, ""] if setup else [""]
    lines += [
        'np.seterr(all="ignore")'
        '  # where f is undefined NumPy gives nan or inf: a stop rule ends the run',
        f"print({_columns(names)!r})",
        'status, last = "max_epochs", 0',
        "for epoch in range(epochs + 1):",
        *body,
        *_stop_rules(k, size0),
    ]
    if changes:
        lines += _lr_change_lines(None)
    lines += ["    # the update", *update]
    lines += _FOOTER
    return "\n".join(lines) + "\n"
