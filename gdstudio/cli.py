"""The ``gdstudio`` command: the window, or ``gdstudio run …`` headless.

Exit status: 0 for any finished run whatever its status; 2 with a one-line message on stderr
(and no traceback) for bad input; 1 for an internal error (set GDSTUDIO_DEBUG=1 to see it).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from . import __version__

__all__ = ["main", "build_run_parser", "config_from_args"]

PROG = "gdstudio"


class _UsageError(Exception):
    """Raised by the parser instead of printing usage and exiting."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, no usage block
        raise _UsageError(message)


def _fail(message: str, code: int = 2) -> int:
    text = " ".join(str(message).split())  # always one line
    print(f"{PROG}: error: {text}", file=sys.stderr)
    return code


def build_run_parser() -> argparse.ArgumentParser:
    from .core.engines import DTYPES, ENGINES, OPTIMIZERS
    from .core.problems import FUNCTION_PRESETS

    p = _Parser(
        prog=f"{PROG} run",
        description="Run gradient descent headless and print its history.",
        epilog="Example: gdstudio run --expr 'x**2 - 4*x + 5' --x0 7 --lr 0.1 --epochs 5",
    )
    g = p.add_argument_group("problem")
    g.add_argument("--problem", choices=("function", "regression"),
                   help="function (default) or regression (implied by --data/--synthetic)")
    g.add_argument("--expr", help="f(x) in Python syntax (^ also means power); default x**2 - 4*x + 5")
    g.add_argument("--preset", choices=sorted(FUNCTION_PRESETS),
                   help="a ready-made function with its own start and learning rate")
    g.add_argument("--x0", help="start of a function problem (default 7, or the preset's)")
    g.add_argument("--m0", help="regression: start slope (default 0)")
    g.add_argument("--c0", help="regression: start intercept (default 0)")
    g.add_argument("--data", metavar="FILE.csv", help="regression data: two numeric columns x,y")
    g.add_argument("--x-column", help="regression: x column (name or 0-based index; default the first)")
    g.add_argument("--y-column", help="regression: y column (name or 0-based index; default the second)")
    g.add_argument("--synthetic", metavar="N", help="regression on N built-in synthetic points")
    g.add_argument("--seed", default="0", help="seed of the synthetic data (default 0)")
    g.add_argument("--noise", default=None, help="noise of the synthetic data (default 8)")
    r = p.add_argument_group("run")
    r.add_argument("--lr", help="learning rate (default 0.1 for f(x), 1e-4 for a regression)")
    r.add_argument("--epochs", default="50", help="number of updates (default 50)")
    r.add_argument("--engine", choices=ENGINES, default="manual")
    r.add_argument("--device", default="cpu", help="torch engine: cpu, cuda, cuda:N or mps")
    r.add_argument("--dtype", choices=DTYPES, default="float64")
    r.add_argument("--optimizer", choices=OPTIMIZERS, default="gd",
                   help="gd is the plain update x -= lr*grad")
    r.add_argument("--tol", default="0", help="stop when |gradient| <= tol (0: never early)")
    r.add_argument("--momentum", default="0.9", help="momentum / nesterov: momentum (0.9)")
    r.add_argument("--beta1", default="0.9", help="adam: beta1 (0.9)")
    r.add_argument("--beta2", default="0.999", help="adam: beta2 (0.999)")
    r.add_argument("--alpha", default="0.99", help="rmsprop: smoothing constant (0.99)")
    r.add_argument("--eps", default=None, help="adam/rmsprop/adagrad: eps (torch's default)")
    r.add_argument("--stop-on-cycle", action="store_true",
                   help="end the run as soon as the iterates are seen cycling")
    o = p.add_argument_group("output")
    o.add_argument("--format", choices=("table", "csv", "json"), default="table")
    return p


def _float(value: str | None, what: str) -> float | None:
    if value is None:
        return None
    try:
        out = float(value.strip())
    except ValueError:
        raise _UsageError(f"{what} must be a number, got {value!r}") from None
    if math.isnan(out):
        raise _UsageError(f"{what} must be a number, got {value!r}")
    return out


def _int(value: str | None, what: str) -> int | None:
    if value is None:
        return None
    text = value.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        f = float(text)
    except ValueError:
        f = math.nan
    if not math.isfinite(f) or f != int(f):
        raise _UsageError(f"{what} must be a whole number, got {value!r}")
    return int(f)


def config_from_args(args: argparse.Namespace) -> Any:
    """Build the RunConfig a parsed ``gdstudio run`` command line asks for."""
    from .core import FunctionProblem, RegressionProblem, RunConfig

    kind = args.problem
    regression_opts = [o for o, v in (("--data", args.data), ("--synthetic", args.synthetic),
                                       ("--m0", args.m0), ("--c0", args.c0)) if v is not None]
    function_opts = [o for o, v in (("--expr", args.expr), ("--preset", args.preset),
                                     ("--x0", args.x0)) if v is not None]
    if kind is None:
        kind = "regression" if regression_opts else "function"
    if kind == "function" and regression_opts:
        raise _UsageError(f"{regression_opts[0]} applies to --problem regression")
    if kind == "regression" and function_opts:
        raise _UsageError(f"{function_opts[0]} applies to --problem function")
    if args.data is not None and args.synthetic is not None:
        raise _UsageError("give either --data or --synthetic, not both")

    problem: Any
    start: dict[str, Any] = {}
    if kind == "function":
        if args.expr is not None and args.preset is not None:
            raise _UsageError("give either --expr or --preset, not both")
        if args.preset is not None:
            problem = FunctionProblem.preset(args.preset)
        else:
            problem = FunctionProblem(args.expr if args.expr is not None else "x**2 - 4*x + 5")
        if args.x0 is not None:
            parts = [s for s in args.x0.split(",")]
            values = [_float(s, "--x0") for s in parts]
            start["x0"] = values[0] if len(values) == 1 else values
    else:
        if args.data is not None:
            problem = RegressionProblem.from_csv(args.data, _column(args.x_column), _column(args.y_column))
        else:
            n = _int(args.synthetic, "--synthetic") if args.synthetic is not None else 100
            seed = _int(args.seed, "--seed")
            noise = _float(args.noise, "--noise")
            if noise is None:
                problem = RegressionProblem.synthetic(n, seed)
            else:
                problem = RegressionProblem.synthetic(n, seed, noise)
        if args.m0 is not None:
            start["m0"] = _float(args.m0, "--m0")
        if args.c0 is not None:
            start["c0"] = _float(args.c0, "--c0")
    return RunConfig(
        problem=problem,
        lr=_float(args.lr, "--lr"),
        epochs=_int(args.epochs, "--epochs"),
        engine=args.engine,
        device=args.device,
        dtype=args.dtype,
        optimizer=args.optimizer,
        tol=_float(args.tol, "--tol"),
        momentum=_float(args.momentum, "--momentum"),
        beta1=_float(args.beta1, "--beta1"),
        beta2=_float(args.beta2, "--beta2"),
        alpha=_float(args.alpha, "--alpha"),
        eps=_float(args.eps, "--eps"),
        stop_on_cycle=args.stop_on_cycle,
        **start,
    )


def _column(value: str | None) -> int | str | None:
    if value is None:
        return None
    text = value.strip()
    return int(text) if text.isdigit() else text


def _theory_lines(config: Any) -> list[str]:
    """One or two lines of analysis for the table footer (best effort)."""
    from .core.analysis import analyze_function, analyze_regression
    from .core.problems import FunctionProblem

    try:
        if config.optimizer != "gd":
            return []
        if isinstance(config.problem, FunctionProblem):
            if config.problem.dim != 1:
                return []
            a = analyze_function(config.problem)
            x0 = float(config.start_params()[0])
            target, regime = a.regime(config.lr, x0)
            if target is None:
                return [f"theory: f'(x) = {a.derivative_text}; {regime.description}"]
            return [
                f"theory: f'(x) = {a.derivative_text}; heads for the {target.describe()}; "
                f"critical lr = {regime.critical_lr:.6g}",
                f"        lr = {config.lr:g} is {regime.kind}: {regime.description}",
            ]
        r = analyze_regression(config.problem)
        regime = r.regime(config.lr)
        return [
            f"theory: least squares m = {r.m:.10g}, c = {r.c:.10g}, MSE = {r.loss:.10g}; "
            f"critical lr = 2/λmax = {r.critical_lr:.6g}",
            f"        lr = {config.lr:g} is {regime.kind}: {regime.description}",
        ]
    except Exception:  # noqa: BLE001 - the footer is a courtesy; never fail the run for it
        return []


def run_command(argv: Sequence[str]) -> int:
    from .core import InputError, run
    from .core.export import write_csv, write_table, to_json

    parser = build_run_parser()
    try:
        args = parser.parse_args(list(argv))
        config = config_from_args(args)
        history = run(config)
    except _UsageError as err:
        return _fail(str(err))
    except InputError as err:
        return _fail(str(err))
    out = sys.stdout
    if args.format == "csv":
        write_csv(history, out)
        # stdout stays pure CSV; the status goes to stderr for the person watching.
        print(f"{PROG}: status: {history.status} after {history.epochs_run} epochs"
              + (f" ({history.message})" if history.message else ""), file=sys.stderr)
    elif args.format == "json":
        out.write(to_json(history) + "\n")
    else:
        head = _describe(config)
        out.write(head + "\n\n")
        write_table(history, out, footer=_theory_lines(config))
    out.flush()
    return 0


def _describe(config: Any) -> str:
    d = config.to_dict()
    if d["problem"] == "function":
        what = f"f(x) = {d['expr']}, x0 = {d['x0']}"
    else:
        src = f"synthetic data (n={d['synthetic']}, seed={d['seed']})" if d.get("data") == "synthetic" else d["data"]
        what = f"regression y = m*x + c on {src}, m0 = {d['m0']}, c0 = {d['c0']}"
    eng = d["engine"] + (f" on {d['device']}" if d["engine"] == "torch" else "")
    return f"{what}; lr = {d['lr']:g}, epochs = {d['epochs']}, engine {eng} ({d['dtype']}), optimizer {d['optimizer']}"


def _window_command(argv: Sequence[str]) -> int:
    parser = _Parser(prog=PROG, description="Gradient Descent Studio: watch gradient descent work, step by step.",
                     epilog="Headless: gdstudio run --help")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("session", nargs="?", help="a .gdstudio session file to open")
    try:
        args = parser.parse_args(list(argv))
    except _UsageError as err:
        return _fail(str(err))
    from .ui.app import run_app

    return run_app(session=args.session)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "run":
            return run_command(argv[1:])
        return _window_command(argv)
    except BrokenPipeError:
        # `gdstudio run | head`: the reader left; that is not an error.
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        except OSError:
            pass
        return 0
    except KeyboardInterrupt:
        return 130
    except SystemExit:
        raise
    except Exception as err:  # noqa: BLE001 - last resort: one line, not a traceback
        if os.environ.get("GDSTUDIO_DEBUG"):
            raise
        return _fail(f"internal error: {type(err).__name__}: {err} (set GDSTUDIO_DEBUG=1 for details)", 1)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
