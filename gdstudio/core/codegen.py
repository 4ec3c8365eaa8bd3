"""Code export: a run as a self-contained Python script, in plain PyTorch or plain NumPy.

The scripts are written in the source tutorial's style so that a learner sees the code behind
what they watched: a leaf tensor with ``requires_grad``, ``loss.backward()``, the update under
``torch.no_grad()`` and ``x.grad = None`` (or ``torch.optim``'s ``step``/``zero_grad``); in
NumPy, the analytic gradient (SymPy's derivative of f, or the source's d_m, d_c formulas).

Each script prints the trajectory as CSV, the same text as ``gdstudio run --format csv`` for the
run (``epoch,x,loss,grad`` or ``epoch,m,c,loss,grad_m,grad_c``; one row per epoch from 0, each
number with its dtype's shortest digits, :mod:`.numbers`), and its status and message on stderr,
bit for bit: the torch script makes the torch engine's operations (a large regression's MSE in
the engine's chunks), the NumPy script the manual engine's (f and ∇f on arrays, or on Python
floats in the fast loop of plain descent on f(x) in float64; a regression's loss from the data's
sums); both reproduce feature scaling and mini-batches.

What must not drift from the app is not written twice: the stop rules (:mod:`.descent.rules`:
steady growth, explosion, a falling loss is not divergence, the cycle search), the number
format, the optimizers' arithmetic (:func:`.descent.optimizers.numpy_update`) and the
regression's sums and loss, scaling and mini-batch epoch are the app's source text, copied into
the script (:mod:`.embed`), so a change to a rule changes the scripts with it.
``tests/core/test_codegen_exact.py`` runs the scripts over a grid and compares them with the
core's runs.

Not reproduced: ``stop_on_cycle`` (the app looks for a cycle after each block of updates, at its
own pace; the script runs to the epoch limit and reports ``cycling`` there, as the app does); with
other NumPy/torch versions or another CPU, math functions may round differently.

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

from gdstudio.core.descent.config import CONFIG_FIELDS, RunConfig
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
# f' in the manual engine's fast loop: the app's own math namespace (its sign, pow and sqrt).
_FAST_NAMES = {
    **{f: f"math.{f}" for f in _FUNCTIONS},
    "abs": "abs",
    "sign": "_math_sign",
    "pow": "_math_pow",
    "sqrt": "_math_sqrt",
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
            elif self.backend == "math":
                table = _FAST_NAMES
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
    # the fields the scripts reproduce (the table's word); any other must keep its default
    reproduced = {"problem"} | {f.name for f in CONFIG_FIELDS if f.scripts}
    for f in dataclasses.fields(config):
        if f.name in reproduced:
            continue
        value = getattr(config, f.name)
        default = f.default if f.default is not dataclasses.MISSING else None
        if value != default:  # (a field added to RunConfig before the scripts learn it)
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
            f"# The data: columns {_comment(problem.x_name, 60)} (x) and "
            f"{_comment(problem.y_name, 60)} (y)",
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
            f'            if number < {layout["first_data_line"]} or not line '
            'or line.startswith("#"):',
            "                continue  # the header, blank lines and comments",
            f"            cells = [cell.strip() for cell in {split}]  # RFC 4180 quotes",
            f"            x_values.append({number.format(i=layout['x_index'])})",
            f"            y_values.append({number.format(i=layout['y_index'])})",
            "    return x_values, y_values",
            "",
            "",
            "x_values, y_values = read_data(DATA_FILE)",
            "if len(x_values) != N_POINTS:",
            '    print(f"warning: {DATA_FILE} now has {len(x_values)} points; "'
            '"the run used {N_POINTS}",',
            "          file=sys.stderr)",
        ]
    if mode == "auto" and n > INLINE_LIMIT and _synthetic_matches(problem):
        s = problem.synthetic_spec
        assert s is not None
        return [
            f"# The app's synthetic data (n = {s.n}, seed = {s.seed}), generated again: around",
            f"# y = {_num(s.slope)}*x + {_num(s.intercept)}, x uniform in "
            f"[{_num(s.x_low)}, {_num(s.x_high)}),"
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
        f"epoch 0 (the start): {_columns(names)}: the same text, bit for",
        f"bit, as `gdstudio run --format csv{' --engine torch' if backend == 'torch' else ''}` "
        "with these settings (each number with its",
        "dtype's shortest digits), and the run's status and message on stderr. It carries the",
        "app's own stop rules, number format"
        + (" and optimizer arithmetic" if backend == "numpy" else "")
        + ", copied from its source.",
        "",
        "Where it can differ: with another NumPy"
        + (" or torch" if backend == "torch" else "")
        + " version or another CPU than the app's (their",
        "math functions may round differently)"
        + ("; on a GPU, where torch's kernels are the device's" if backend == "torch" else "")
        + (";" if config.stop_on_cycle else "."),
        *(
            [
                "and here, as the app was set to stop when the points cycle: the app looks for a",
                "cycle after each block of updates, at its own pace; this script runs to the epoch",
                "limit (the same rows up to the app's last, then more).",
            ]
            if config.stop_on_cycle
            else []
        ),
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
        return (f"torch.optim.Adam([{target}], lr=lr, betas=({_num(o.beta1)}, {_num(o.beta2)}), "
                f"eps={_num(o.eps_value)})")
    if name == "rmsprop":
        return (f"torch.optim.RMSprop([{target}], lr=lr, alpha={_num(o.alpha)}, "
                f"eps={_num(o.eps_value)})")
    if name == "adagrad":
        return f"torch.optim.Adagrad([{target}], lr=lr, eps={_num(o.eps_value)})"
    raise CodegenError(f"unknown optimizer {name!r}")  # pragma: no cover


def _settings_class(config: RunConfig) -> list[str]:
    """The optimizer's settings as :func:`numpy_update` reads them (``OptimizerSettings``)."""
    o = config.optimizer_settings
    return [
        "",
        "",
        "class Settings:",
        '    """The optimizer and its hyper-parameters, as the app holds them."""',
        "",
        f"    name = {o.name!r}",
        f"    momentum = {_num(o.momentum)}",
        f"    beta1, beta2 = {_num(o.beta1)}, {_num(o.beta2)}",
        f"    alpha = {_num(o.alpha)}",
        f"    eps_value = {_num(o.eps_value)}",
    ]


#: What each optimizer's update is, in words, above the app's code that makes it.
_UPDATE_WORDS = {
    "sgd": "p ← p − lr·g (torch.optim.SGD: one fused multiply-add)",
    "momentum": "buf ← μ·buf + g, p ← p − lr·buf (torch.optim.SGD with momentum)",
    "nesterov": "buf ← μ·buf + g, p ← p − lr·(g + μ·buf) (torch.optim.SGD, nesterov=True)",
    "adam": "torch.optim.Adam: running means of g and g², bias-corrected",
    "rmsprop": "torch.optim.RMSprop: p ← p − lr·g / (√(running mean of g²) + eps)",
    "adagrad": "torch.optim.Adagrad: p ← p − lr·g / (√(Σ g²) + eps)",
}

_STUBS = {
    "FunctionProblem": (
        "class FunctionProblem:\n"
        '    """(The app\'s function problem: the stop rules only ask whether a run is one.)"""'
    ),
    "ConfigError": "class ConfigError(ValueError):\n    pass",
    "DataError": "class DataError(ValueError):\n    pass",
}


def _app_code(roots: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """(imports, lines): the app's own code for ``roots``, copied (:mod:`.embed`)."""
    from gdstudio.core.embed import embedded_code

    imports, code = embedded_code(roots, _STUBS)
    banner = "# " + "=" * 94
    return imports, [
        "",
        "",
        banner,
        "# The app's own code, copied unchanged from gdstudio's source: the stop rules, the number",
        "# format of the rows and the optimizers' arithmetic. The script calls it below exactly",
        "# where the app does, so that it prints the app's numbers, bit for bit.",
        banner,
        "",
        "",
        *code.splitlines(),
        "",
        "",
        banner,
        "# The run",
        banner,
    ]


_RULE_ROOTS = {
    "gdstudio.core.descent.rules": [
        "scan_block",
        "BlockStop",
        "grad_norms",
        "find_cycle",
        "cycle_message",
        "converged_at_start_message",
        "GROWTH_EPOCHS",
        "CYCLE_ROWS",
    ],
    "gdstudio.core.numbers": ["exact_text"],
}


def _run_loop(
    config: RunConfig, names: Sequence[str], evaluate: list[str], update: list[str],
    changes: list[tuple[int, float]], optimizer: str | None, is_function: bool,
) -> list[str]:
    """The epoch loop: ``evaluate`` sets ``P``, ``L``, ``G`` (the row as float64 arrays of
    shapes (1, k), (1,), (1, k)); then the app's stop rules and ``update``."""
    lines = [
        "",
        f"names = {tuple(names)!r}  # the parameters",
        f"problem = {'FunctionProblem()' if is_function else 'None'}"
        "  # (for the wording of the stop messages)",
        f"DTYPE = {config.dtype!r}",
        f"START = [{', '.join(_num(v) for v in config.start_params().tolist())}]",
        f"print({_columns(names)!r})",
        'status, message, last = "max_epochs", "", 0',
        "recent_loss, recent_pmax = [], []  # the last GROWTH_EPOCHS rows (the growth rule)",
        "recent_params = []  # the last CYCLE_ROWS rows (the cycle search at the end)",
        "for epoch in range(epochs + 1):",
        *evaluate,
        "    if epoch == 0:  # the start: the app refuses a start where a value is not finite",
        "        P = np.array([START])  # (row 0 is the start as given, in float64)",
        "        if not (np.isfinite(L).all() and np.isfinite(P).all() and np.isfinite(G).all()):",
        '            sys.exit("the loss or its gradient is not finite at the start: choose another '
        'start")',
        "        loss0, p0max = float(L[0]), float(np.max(np.abs(P[0])))",
        "        gnorm = float(grad_norms(G)[0])",
        "        g0norm, step0 = gnorm, lr * gnorm  # the run's distance scale (the rules')",
        "        stop = BlockStop(1)",
        "        if gnorm <= tol:",
        '            stop = BlockStop(1, "converged", converged_at_start_message(gnorm))',
        "    else:  # the app's stop rules on this row",
        "        stop = scan_block(P, L, G, epoch, loss0, p0max, tol, problem, names,",
        "                          prev_loss=np.array(recent_loss),",
        "                          prev_pmax=np.array(recent_pmax), g0norm=g0norm,",
        "                          step0=step0)",
        "    if stop.keep:  # (a row with a value that is not finite is dropped)",
        '        print(epoch, *(exact_text(v, DTYPE) for v in (*P[0], L[0], *G[0])), sep=",")',
        "        last = epoch",
        "        recent_loss = [*recent_loss[-GROWTH_EPOCHS + 1:], float(L[0])]",
        "        recent_pmax = [*recent_pmax[-GROWTH_EPOCHS + 1:], float(np.max(np.abs(P[0])))]",
        "        recent_params = [*recent_params[-CYCLE_ROWS + 1:], P[0]]",
        "    if stop.status:",
        "        status, message = stop.status, stop.message",
        "        break",
        "    if epoch == epochs:",
        "        break",
    ]
    if changes:
        lines += _lr_change_lines(optimizer)
    lines += ["    # the update", *update]
    lines += [
        'if status == "max_epochs":  # the app then looks for points that repeat',
        "    cycle = find_cycle(np.array(recent_params), dtype=DTYPE)",
        "    if cycle is not None:",
        '        status, message = "cycling", cycle_message(names, *cycle, last)',
        "    else:",
        '        message = f"stopped at the epoch limit ({last}) without meeting the stop rule"',
        'print(f"status: {status} after {last} epochs ({message})", file=sys.stderr)',
    ]
    return lines


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


def _start_lines(vars_: list[str], start: list[float]) -> list[str]:
    if len(vars_) == 1:
        return [f"{vars_[0]}0 = {_num(start[0])}  # the start"]
    return [
        f"{', '.join(v + '0' for v in vars_)} = {', '.join(_num(v) for v in start)}  # the start"
    ]


def _header_imports(extra: list[str], torch: bool) -> list[str]:
    """``from __future__`` first (the app's copied code has annotations), then the imports."""
    std = sorted({"import math", "import sys", *(i for i in extra if "numpy" not in i)},
                 key=lambda line: (line.startswith("from "), line))
    third = sorted({"import numpy as np", *(["import torch"] if torch else [])})
    return ["", "from __future__ import annotations", "", *std, "", *third, ""]


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
    opt = config.optimizer != "gd"
    scaled = isinstance(problem, RegressionProblem) and bool(config.scale_x)
    batches = isinstance(problem, RegressionProblem) and bool(config.batch_size)
    roots = {key: list(v) for key, v in _RULE_ROOTS.items()}
    variant: list[str] = []
    body = ""
    if scaled or batches:
        from gdstudio.core.embed import class_members_code

        body, outer = class_members_code(RegressionProblem, ["_compute_sums", "loss_and_grad"])
        roots["gdstudio.core.problems"] = sorted(outer)
        variant, used = _variant_classes(scaled, batches, "torch")
        roots["gdstudio.core.descent.minibatch"] = sorted(used)
    imports, app = _app_code(roots)
    lines: list[str] = ["#!/usr/bin/env python3"]
    evaluate: list[str] = []
    update: list[str] = []
    if isinstance(problem, FunctionProblem):
        vars_ = _variable_names(problem)
        k = len(vars_)
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
            f"Gradient descent on f({sig}) = "
            f"{python_expression(problem, 'numpy').replace('np.', '')}.",
        )
        lines += _typed_comment(problem)
        lines += _header_imports(imports, True)
        lines += _settings(config, _start_lines(vars_, start), "torch", changes)
        lines += ["", "", f"def f({sig}):", f"    return {f_code}"]
        lines += app
        if k == 1:
            p = vars_[0]
            lines += [
                f"# {p} is a leaf tensor: autograd records every operation on it, and",
                f"# loss.backward() leaves d(loss)/d{p} in {p}.grad.",
                f"{p} = torch.tensor({p}0, dtype=dtype, device=device, requires_grad=True)",
            ]
            evaluate = [f"    loss = f({p})"]
        else:
            p = "params"
            lines += [
                f"params = torch.tensor([{', '.join(v + '0' for v in vars_)}], dtype=dtype, "
                "device=device)",
                "params.requires_grad_()  # a leaf tensor: loss.backward() fills params.grad",
            ]
            evaluate = [f"    {sig} = params", f"    loss = f({sig})"]
    else:
        assert isinstance(problem, RegressionProblem)
        p = "params"
        lines += _docstring(
            config,
            "torch",
            names,
            "Linear regression y = m*x + c by gradient descent on the mean squared error.",
        )
        lines += _header_imports(imports, True)
        lines += _settings(
            config,
            [f"m0, c0 = {_num(start[0])}, {_num(start[1])}  # the start: slope and intercept"],
            "torch",
            changes,
        )
        lines += ["", *_data_lines(problem, data), ""]
        if scaled or batches:
            # the app's code first: Data's __init__, run below, uses its module-level names
            lines += app
            app = []
            lines += _regression_class(body)
            lines += variant
            lines += _inner_problem(scaled)
            lines += [
                "# the data the descent runs on, as tensors",
                "X = torch.from_numpy(inner.x).to(device=device, dtype=dtype)",
                "Y = torch.from_numpy(inner.y).to(device=device, dtype=dtype)",
            ]
        else:
            lines += [
                "X = torch.tensor(x_values, dtype=dtype, device=device)",
                "Y = torch.tensor(y_values, dtype=dtype, device=device)",
            ]
        lines += [
            "",
            "",
            "def mse(params):",
            "    m, c = params",
            "    preds = m * X + c",
            "    return ((preds - Y) ** 2).mean()  # the mean of (Y - (m*X + c))**2",
        ]
        from gdstudio.core.descent.engines import TORCH_MSE_CHUNK

        chunked = problem.n > TORCH_MSE_CHUNK
        if chunked:
            lines += _chunked_mse(TORCH_MSE_CHUNK)
        lines += app
        if scaled or batches:
            lines.append("params = torch.tensor(inner_start, dtype=dtype, device=device)"
                         ".requires_grad_()")
        elif start == [0.0, 0.0] and all(math.copysign(1.0, v) > 0 for v in start):
            lines.append(
                "params = torch.zeros(2, dtype=dtype, device=device).requires_grad_()  # m = c = 0"
            )
        else:
            lines.append(
                "params = torch.tensor([m0, c0], dtype=dtype, device=device).requires_grad_()"
            )
        evaluate = ["    loss = mse(params)"]
        if chunked:
            evaluate = [
                "    if CHUNKED:",
                "        loss, params.grad = mse_in_chunks(params)",
                "    else:",
                "        loss = mse(params)",
                "        loss.backward()",
            ]
    if not (isinstance(problem, RegressionProblem) and chunked) and not batches:
        evaluate += ["    loss.backward()  # the gradient at this row's parameters"]
    if batches:
        evaluate = [
            "    if epoch == 0:",
            f"        batches = TorchBatches(X, Y, {int(config.batch_size)}, "
            f"{int(config.batch_seed)}, params, {'optimizer' if opt else 'None'})",
            "        Pm = inner_start[None, :]",
            "    else:",
            "        Pm = params.detach().to('cpu', torch.float64).numpy().copy()[None, :]",
            "    loss, grad = inner.loss_and_grad(Pm)  # the full data's loss and gradient",
        ]
    elif scaled:
        evaluate += [
            "    Pm = params.detach().to('cpu', torch.float64).numpy().copy().reshape(1, -1)",
        ]
    if scaled:
        evaluate += [
            "    # the row in original units, with the gradient there (the app's sums)",
            "    P = np.array([START]) if epoch == 0 else scaling.to_original(Pm)",
            "    G = np.asarray(data.loss_and_grad(P)[1], dtype=np.float64)",
            "    L = np.asarray(loss.detach().to('cpu', torch.float64).numpy() "
            "if torch.is_tensor(loss) else loss, dtype=np.float64).reshape(1)",
        ]
    elif batches:
        evaluate += [
            "    P, G = Pm, np.asarray(grad, dtype=np.float64)",
            "    L = np.asarray(loss, dtype=np.float64).reshape(1)",
        ]
    else:
        evaluate += [
            "    # the row, as float64 arrays for the app's stop rules",
            f"    P = {p}.detach().to('cpu', torch.float64).numpy().copy().reshape(1, -1)",
            "    L = loss.detach().to('cpu', torch.float64).numpy().copy().reshape(1)",
            f"    G = {p}.grad.to('cpu', torch.float64).numpy().copy().reshape(1, -1)",
        ]
    if opt:
        lines += ["", f"optimizer = {_torch_optimizer(config, p)}"]
        update = [
            "    optimizer.step()  # the update, as torch.optim does it",
            "    optimizer.zero_grad()  # gradients accumulate: clear them before the next "
            "backward()",
        ]
    else:
        update = [
            "    with torch.no_grad():  # the update itself is not part of the graph",
            f"        {p} -= lr * {p}.grad",
            f"    {p}.grad = None  # gradients accumulate: clear them before the next backward()",
        ]
    if batches:
        update = ["    batches._epoch_torch(lr)  # one pass over the data in mini-batches"]
    lines += _run_loop(config, names, evaluate, update, changes,
                       "optimizer" if opt and not batches else None,
                       isinstance(problem, FunctionProblem))
    return "\n".join(lines) + "\n"


def _inner_problem(scaled: bool) -> list[str]:
    """``data`` (the app's sums) and ``inner``, the problem the descent runs on, with its start
    ``inner_start`` (float64): the standardised problem with feature scaling."""
    lines = [
        "data = Data(np.array(x_values, dtype=np.float64), np.array(y_values, "
        "dtype=np.float64))",
    ]
    if scaled:
        return lines + [
            "# Feature scaling: descent runs on x' = (x - mean)/std; rows in original units",
            "mean, std = data.x_mean, math.sqrt(data.sxx / data.n)",
            "if not std > 0:",
            "    std = 1.0",
            "scaling = Scaling(mean, std)",
            "inner = Data((data.x - mean) / std, data.y)",
            "inner_start = scaling.to_scaled(np.array([m0, c0]))",
        ]
    return lines + ["inner, inner_start = data, np.array([m0, c0])"]


def _chunked_mse(chunk: int) -> list[str]:
    """The torch engine's MSE of a large data set on the CPU: chunk by chunk (its
    ``_torch_mse``), the same sums in the same order."""
    return [
        "",
        "",
        f"CHUNK = {int(chunk)}  # on the CPU the app sums a large MSE in chunks of this size",
        'CHUNKED = device.type == "cpu"',
        "pieces = [(X[i : i + CHUNK], Y[i : i + CHUNK]) for i in range(0, X.shape[0], CHUNK)]",
        "",
        "",
        "def mse_in_chunks(params):",
        '    """The MSE and its gradient one chunk at a time: each chunk\'s sum of squares is',
        "    differentiated as soon as it is made (seeded with 1/n, as the mean's backward), the",
        '    gradients added."""',
        "    n = X.shape[0]",
        "    seed = torch.ones((), dtype=X.dtype, device=X.device) / n",
        "    sums, total = X.new_empty(len(pieces)), X.new_empty(2)",
        "    for j, (Xi, Yi) in enumerate(pieces):",
        "        preds = params[0] * Xi + params[1]",
        "        s = ((preds - Yi) ** 2).sum()",
        "        (g,) = torch.autograd.grad(s, params, grad_outputs=seed)",
        "        if j:",
        "            total.add_(g)",
        "        else:",
        "            total.copy_(g)",
        "        sums[j] = s.detach()",
        "    return sums.sum() / n, total.clone()",
    ]


def _fast_path(config: RunConfig) -> bool:
    """Does the manual engine run ``config`` in its Python-float loop (math functions)?"""
    problem = config.problem
    return (config.optimizer == "gd" and config.dtype == "float64"
            and isinstance(problem, FunctionProblem) and problem.dim == 1)


def numpy_script(
    config: RunConfig,
    *,
    data: str = "auto",
    lr_changes: Sequence[tuple[int, float]] = (),
) -> str:
    """A self-contained NumPy script that reproduces ``config``'s run with analytic gradients,
    bit for bit as the manual engine computes it.

    f and its gradient (SymPy's derivative) are written as the manual engine evaluates them: on
    NumPy arrays, and for plain descent on f(x) in float64 on Python floats (the ``math``
    module), as its fast loop does. A regression computes the data's sums and the loss from
    them with the app's own code (``RegressionProblem``), copied. The optimizers, the stop rules
    and the number format are the app's code, copied (:mod:`.embed`). ``data`` and
    ``lr_changes`` as for :func:`torch_script`. The device setting does not apply (NumPy runs on
    the CPU).
    """
    _check_config(config)
    changes = _normalise_changes(lr_changes)
    problem = config.problem
    start = config.start_params().tolist()
    names = list(problem.param_names)
    roots = {key: list(v) for key, v in _RULE_ROOTS.items()}
    batches = isinstance(problem, RegressionProblem) and bool(config.batch_size)
    scaled = isinstance(problem, RegressionProblem) and bool(config.scale_x)
    if config.optimizer != "gd" or batches:
        roots["gdstudio.core.descent.optimizers"] = ["numpy_update"]
    fast = _fast_path(config)
    lines: list[str] = ["#!/usr/bin/env python3"]
    if isinstance(problem, FunctionProblem):
        if fast:
            roots["gdstudio.core.expr.compile"] = ["_math_sign", "_math_pow", "_math_sqrt"]
        imports, app = _app_code(roots)
        vars_ = _variable_names(problem)
        k = len(vars_)
        sig = ", ".join(vars_)
        f_text = python_expression(problem, "numpy")
        try:
            f_code, grads, fast_grad = _engine_code(problem, fast)
        except ExpressionError as err:
            raise CodegenError(f"the gradient cannot be written as NumPy code: {err}") from None
        lines += _docstring(
            config, "numpy", names, f"Gradient descent on f({sig}) = {f_text.replace('np.', '')}."
        )
        lines += _typed_comment(problem)
        lines += _header_imports(imports, False)
        lines += _settings(config, _start_lines(vars_, start), "numpy", changes)
        lines += ["", "", f"def f({sig}):", f"    return {f_code}", "", ""]
        if k == 1:
            lines += [
                f"def gradient({sig}):",
                f'    """f\'({sig}), derived by SymPy."""',
                f"    return {grads[0]}",
            ]
        else:
            lines += [
                f"def gradient({sig}):",
                '    """(df/d' + ", df/d".join(vars_) + '), derived by SymPy."""',
                "    return (",
                *[f"        {g}," for g in grads],
                "    )",
            ]
        cols = "".join(f"    {v} = params[:, {i}]\n" for i, v in enumerate(vars_)).rstrip("\n")
        lines += [
            "",
            "",
            "def loss_and_grad(params):",
            '    """f and its gradient at parameter rows (an array of shape (1, k))."""',
            *cols.split("\n"),
            f"    loss, g = f({sig}), gradient({sig})",
        ]
        if k == 1:
            lines += ["    return loss, g.reshape(-1, 1)"]
        else:
            lines += [
                "    grad = np.empty(params.shape, dtype=np.result_type(*g))",
                "    for i, gi in enumerate(g):",
                "        grad[:, i] = gi",
                "    return loss, grad",
            ]
        if fast:
            lines += [
                "",
                "",
                f"def df({sig}):",
                f'    """f\'({sig}) on a Python float (math functions): the app\'s fast loop."""',
                f"    return {fast_grad}",
            ]
        lines += app
        lines += [f"params = np.array([[{', '.join(v + '0' for v in vars_)}]], dtype=dtype)"]
        is_function = True
    else:
        assert isinstance(problem, RegressionProblem)
        from gdstudio.core.embed import class_members_code

        body, outer = class_members_code(RegressionProblem, ["_compute_sums", "loss_and_grad"])
        roots["gdstudio.core.problems"] = sorted(outer)
        variant: list[str] = []
        if scaled or batches:
            variant, used = _variant_classes(scaled, batches)
            roots["gdstudio.core.descent.minibatch"] = sorted(used)
        imports, app = _app_code(roots)
        lines += _docstring(
            config,
            "numpy",
            names,
            "Linear regression y = m*x + c by gradient descent on the mean squared error.",
        )
        lines += _header_imports(imports, False)
        lines += _settings(
            config,
            [f"m0, c0 = {_num(start[0])}, {_num(start[1])}  # the start: slope and intercept"],
            "numpy",
            changes,
        )
        lines += ["", *_data_lines(problem, data), ""]
        lines += _regression_class(body)
        lines += variant
        lines += app
        lines += _inner_problem(scaled)
        if not batches:
            lines += ["params = np.asarray(inner_start, dtype=dtype).reshape(1, 2)  # (m, c)"]
        is_function = False
    if config.optimizer != "gd" or batches:
        lines += _settings_class(config)
        lines += [
            "",
            "",
            "step = numpy_update(Settings, {}, dtype)  # the app's update (torch.optim's "
            "arithmetic)",
        ]
    lines += ['np.seterr(all="ignore")  # where f is undefined NumPy gives nan or inf: a stop '
              "rule ends the run"]
    if fast:
        evaluate = [
            "    if epoch == 0:  # the start, on arrays",
            "        loss, grad = loss_and_grad(params)",
            "        x_now, g_now = float(params[0, 0]), float(grad[0, 0])",
            "    else:  # then Python floats, as the app's fast loop",
            "        try:",
            "            g_now = df(x_now)",
            "        except (ValueError, OverflowError, ZeroDivisionError):",
            "            g_now = math.nan  # f' cannot be evaluated here: the run ends",
            "        loss = f(np.array([x_now]))",
            "    P = np.array([[x_now]])",
            "    L = np.asarray(loss, dtype=np.float64).reshape(1)",
            "    G = np.array([[g_now]])",
        ]
        update = ["    x_now = x_now - lr * g_now"]
    elif batches or scaled:
        evaluate, update = _variant_loop(scaled, batches, config)
    else:
        call = "loss_and_grad(params)" if is_function else "data.loss_and_grad(params)"
        evaluate = [
            f"    loss, grad = {call}",
            "    grad = np.asarray(grad, dtype=dtype)",
            "    P = params.astype(np.float64)",
            "    L = np.asarray(loss, dtype=np.float64).reshape(1)",
            "    G = grad.astype(np.float64)",
        ]
        if config.optimizer == "gd":
            update = ["    params = params - lr * grad  # the source's update"]
        else:
            update = [f"    # {_UPDATE_WORDS[config.optimizer]}",
                      "    params = step(params, grad, lr)"]
    lines += _run_loop(config, names, evaluate, update, changes, None, is_function)
    return "\n".join(lines) + "\n"


def _engine_code(problem: FunctionProblem, fast: bool) -> tuple[str, list[str], str]:
    """(f, ∇f's components, f' on Python floats or "") as the manual engine evaluates them."""
    expr = problem.expression
    expr.numpy_gradient  # noqa: B018 - raises ExpressionError if it cannot be printed
    names = _variable_names(problem)
    mapping = {f"_v{i}": n for i, n in enumerate(names)}
    f_code = _code(expr.numpy_function_body, mapping, "numpy")
    grads = [_code(b, mapping, "numpy") for b in expr.numpy_gradient_bodies]
    fast_grad = _code(expr.gradient_bodies[0], mapping, "math") if fast else ""
    return f_code, grads, fast_grad


def _variant_classes(
    scaled: bool, batches: bool, backend: str = "numpy"
) -> tuple[list[str], set[str]]:
    """The app's feature scaling and mini-batch epoch (``ScaledEngine``, ``MiniBatchEngine``),
    copied into small classes; and the module-level names they use."""
    from gdstudio.core.descent.minibatch import MiniBatchEngine, ScaledEngine
    from gdstudio.core.embed import class_members_code

    out: list[str] = []
    used: set[str] = set()
    if scaled:
        body, names = class_members_code(ScaledEngine, ["to_scaled", "to_original"])
        used |= names
        out += [
            "",
            "",
            "class Scaling:",
            '    """x standardised: (m, c) to the scaled problem\'s parameters and back (the',
            '    app\'s ScaledEngine, copied)."""',
            "",
            "    def __init__(self, mean, std):",
            "        self.mean, self.std = mean, std",
            "",
            *body.splitlines(),
        ]
    if batches and backend == "torch":
        body, names = class_members_code(MiniBatchEngine, ["_epoch_torch"])
        used |= names
        out += [
            "",
            "",
            "class TorchBatches:",
            '    """One epoch = one pass over the shuffled data in batches (the app\'s',
            '    MiniBatchEngine, copied): the same seeded shuffles, the same updates."""',
            "",
            "    def __init__(self, X, Y, batch_size, seed, p, opt):",
            "        self.torch, self.X, self.Y, self.batch_size = torch, X, Y, batch_size",
            "        self.rng = np.random.default_rng(seed)",
            "        self.device, self.p, self.opt = X.device, p, opt",
            "        self.trace = None  # (the app records each batch here for its Arithmetic)",
            "",
            *body.splitlines(),
        ]
    elif batches:
        body, names = class_members_code(MiniBatchEngine, ["_epoch_manual"])
        used |= names
        out += [
            "",
            "",
            "class MiniBatches:",
            '    """One epoch = one pass over the shuffled data in batches (the app\'s',
            '    MiniBatchEngine, copied): the same seeded shuffles, the same updates."""',
            "",
            "    def __init__(self, problem, batch_size, seed, step, params):",
            "        self.problem, self.batch_size = problem, batch_size",
            "        self.rng = np.random.default_rng(seed)",
            "        self.step, self.p, self.dt = step, params, params.dtype.type",
            "        self.trace = None  # (the app records each batch here for its Arithmetic)",
            "",
            *body.splitlines(),
        ]
    return out, used


def _variant_loop(scaled: bool, batches: bool, config: RunConfig) -> tuple[list[str], list[str]]:
    """(evaluate, update) lines of a regression with feature scaling and/or mini-batches."""
    if batches:
        setup = [
            "    if epoch == 0:",
            f"        batches = MiniBatches(inner, {int(config.batch_size)}, "
            f"{int(config.batch_seed)}, step,",
            "                              inner_start.astype(dtype)[None, :])",
            "        Pm = inner_start[None, :]",
            "    else:",
            "        Pm = batches.p.astype(np.float64)",
            "    loss, grad = inner.loss_and_grad(Pm)  # the full data's loss and gradient",
        ]
        update = ["    batches._epoch_manual(lr)  # one pass over the data in mini-batches"]
    else:
        setup = [
            "    loss, grad = inner.loss_and_grad(params)",
            "    grad = np.asarray(grad, dtype=dtype)",
            "    Pm = params.astype(np.float64)",
        ]
        if config.optimizer == "gd":
            update = ["    params = params - lr * grad  # the source's update"]
        else:
            update = [f"    # {_UPDATE_WORDS[config.optimizer]}",
                      "    params = step(params, grad, lr)"]
    if scaled:
        rows = [
            "    # the row in original units, with the gradient there",
            "    P = np.array([START]) if epoch == 0 else scaling.to_original(Pm)",
            "    G = np.asarray(data.loss_and_grad(P)[1], dtype=np.float64)",
        ]
    else:
        rows = ["    P, G = Pm, np.asarray(grad, dtype=np.float64)"]
    return [*setup, *rows, "    L = np.asarray(loss, dtype=np.float64).reshape(1)"], update


def _regression_class(body: str) -> list[str]:
    """The app's ``RegressionProblem`` reduced to the data's sums and the loss from them
    (``body``: its members, copied)."""
    return [
        "",
        "",
        "class Data:",
        '    """The data and the app\'s loss from its sums (gdstudio\'s RegressionProblem,',
        "    copied): MSE = mean((Y - (m*X + c))**2), d_m = (-2/n)*sum(X*(Y - (m*X + c))),",
        '    d_c = (-2/n)*sum(Y - (m*X + c)), computed in O(1) from sums made once."""',
        "",
        "    def __init__(self, x, y):",
        '        self.x, self.y, self.source = x, y, "the data"',
        "        self._compute_sums()",
        "",
        *body.splitlines(),
    ]
