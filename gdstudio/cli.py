"""The ``gdstudio`` command: the window, ``gdstudio run …`` headless, ``gdstudio lesson …``.

Exit status: 0 for any finished run whatever its status; 2 with a one-line message on stderr
(and no traceback) for bad input, or a run whose history cannot fit in memory; 3 when the
output cannot be written (a full disk, a closed standard output), with a one-line message;
141 (as for SIGPIPE) and no message when the reader leaves early (``gdstudio run | head``);
1 for an internal error (set GDSTUDIO_DEBUG=1 to see it).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn, overload

from gdstudio import __version__

if TYPE_CHECKING:
    from gdstudio.core.descent.config import ConfigField

__all__ = ["main", "build_run_parser", "build_lesson_parser", "config_from_args"]

PROG = "gdstudio"


class _UsageError(Exception):
    """Raised by the parser instead of printing usage and exiting."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, no usage block
        raise _UsageError(message)

    # --help and --version write to stdout like the runs do: a write failure is reported
    # (argparse itself drops it silently and exits 0)
    def print_help(self, file: Any = None) -> None:
        if file is None:
            _write_stdout(self.format_help())
        else:
            super().print_help(file)

    def _print_message(self, message: str, file: Any = None) -> None:
        if message and file is not None and file is sys.stdout:
            _write_stdout(message)
        else:
            super()._print_message(message, file)


#: Exit status when the output cannot be written (a full disk, a closed standard output).
EXIT_WRITE_FAILED = 3
#: Exit status when the reader of the output leaves early (``gdstudio run | head``): quietly,
#: as a Unix tool killed by SIGPIPE (128 + 13).
EXIT_PIPE_CLOSED = 141


class _OutputError(Exception):
    """The standard output cannot be written; the message is the reason."""


class _Output:
    """The standard output, as a stream whose write failures are told apart from bugs: a
    closed pipe stays a :class:`BrokenPipeError`, anything else becomes :class:`_OutputError`."""

    def __init__(self) -> None:
        self._stream = sys.stdout

    def _call(self, name: str, *args: Any) -> Any:
        if self._stream is None:
            raise _OutputError("the standard output is closed")
        try:
            return getattr(self._stream, name)(*args)
        except BrokenPipeError:
            raise
        except OSError as err:
            raise _OutputError(err.strerror or str(err)) from None
        except ValueError as err:  # "I/O operation on closed file"
            raise _OutputError(str(err)) from None

    def write(self, text: str) -> int:
        return int(self._call("write", text))

    def flush(self) -> None:
        self._call("flush")


def _write_stdout(text: str) -> None:
    out = _Output()
    out.write(text)
    out.flush()


def _silence_stdout() -> None:
    """Point the standard output at /dev/null, so that the interpreter's last flush of what
    is still buffered neither fails again nor prints "Exception ignored"."""
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.close(fd)
    except OSError:
        pass
    try:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    except OSError:
        pass


def _fail(message: str, code: int = 2) -> int:
    text = " ".join(str(message).split())  # always one line
    print(f"{PROG}: error: {text}", file=sys.stderr)
    return code


def build_run_parser() -> argparse.ArgumentParser:
    from gdstudio.core.descent.config import CONFIG_FIELD, CONFIG_FIELDS, DTYPES, ENGINES
    from gdstudio.core.problems import FUNCTION_PRESETS, SURFACE_PRESETS

    p = _Parser(
        prog=f"{PROG} run",
        description="Run gradient descent headless and print its history.",
        epilog="Example: gdstudio run --expr 'x**2 - 4*x + 5' --x0 7 --lr 0.1 --epochs 5\n"
               "         gdstudio run --session saved.gdstudio --epochs 100 --format csv\n\n"
               "Exit status: 0 a finished run (whatever its status); 2 bad input, or a run\n"
               "whose history cannot fit in memory (one line on stderr); 3 the output cannot\n"
               "be written (a full disk, a closed stdout); 141 the reader left early\n"
               "(| head), quietly; 1 an internal error.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--session", metavar="FILE.gdstudio",
                   help="run the problem and settings saved in a session file (its rows are "
                        "not needed: the run computes them again, making the learning-rate "
                        "changes its saved run made). Run options given alongside override "
                        "the session's (--lr: that rate throughout; --epochs, --x0/--m0/--c0, "
                        "--engine, --device, "
                        "--dtype, --optimizer and its hyper-parameters, --tol, ...; --format "
                        "chooses the output); problem options (--expr, --data, ...) cannot be "
                        "combined with it")
    g = p.add_argument_group("problem")
    g.add_argument("--problem", choices=("function", "regression"),
                   help="function (default) or regression (implied by --data/--synthetic)")
    g.add_argument("--expr", help="f(x) or f(x, y) in Python syntax (^ also means power); "
                                   "default x**2 - 4*x + 5")
    g.add_argument("--preset", choices=sorted(FUNCTION_PRESETS) + sorted(SURFACE_PRESETS),
                   help="a ready-made function with its own start and learning rate")
    for name in ("x0", "m0", "c0"):
        g.add_argument(CONFIG_FIELD[name].option, help=CONFIG_FIELD[name].describe())
    g.add_argument("--data", metavar="FILE.csv", help="regression data: two numeric columns x,y")
    g.add_argument("--x-column",
                   help="regression: x column (name or 0-based index; default the first)")
    g.add_argument("--y-column",
                   help="regression: y column (name or 0-based index; default the second)")
    g.add_argument("--skip-bad-rows", action="store_true",
                   help="regression: leave out the rows of --data that cannot be read (a cell "
                        "that is not a finite number, an empty cell, the wrong number of "
                        "fields) instead of refusing the file; how many, and which lines, is "
                        "said on stderr")
    g.add_argument("--synthetic", metavar="N", help="regression on N built-in synthetic points")
    g.add_argument("--seed", default="0", help="seed of the synthetic data (default 0)")
    g.add_argument("--noise", default=None, help="noise of the synthetic data (default 8)")
    r = p.add_argument_group("run")
    choices = {"engine": ENGINES, "dtype": DTYPES}
    for spec in CONFIG_FIELDS:  # (defaults: RunConfig's own, applied where not given)
        if spec.kind == "start":
            continue
        if spec.kind == "flag":
            r.add_argument(spec.option, action="store_true", help=spec.describe())
        else:
            r.add_argument(spec.option, choices=choices.get(spec.name), help=spec.describe())
    o = p.add_argument_group("output")
    o.add_argument("--format", choices=("table", "csv", "json"), default="table")
    o.add_argument("--per-epoch", action="store_true",
                   help="a race with --format csv: every lane's every epoch, one row each "
                        "(lane,lr,optimizer,epoch,…), instead of one summary row per lane")
    o.add_argument("--explain", metavar="EPOCH|last",
                   help="print, instead of the history, the update that made row EPOCH with "
                        "the numbers plugged in (the window's Arithmetic panel)")
    return p


@overload
def _float(value: str, what: str) -> float: ...
@overload
def _float(value: None, what: str) -> None: ...
@overload
def _float(value: str | None, what: str) -> float | None: ...
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


@overload
def _int(value: str, what: str) -> int: ...
@overload
def _int(value: None, what: str) -> None: ...
@overload
def _int(value: str | None, what: str) -> int | None: ...
def _int(value: str | None, what: str) -> int | None:
    if value is None:
        return None
    text = value.strip()
    try:
        out = int(text)
    except ValueError:
        pass
    else:
        if abs(out) > 10**18:
            raise _UsageError(f"{what} is too large, got {value!r}")
        return out
    try:
        f = float(text)
    except ValueError:
        f = math.nan
    if math.isfinite(f) and abs(f) > 1e18:
        raise _UsageError(f"{what} is too large, got {value!r}")
    if not math.isfinite(f) or f != int(f):
        raise _UsageError(f"{what} must be a whole number, got {value!r}")
    return int(f)


def config_from_args(args: argparse.Namespace) -> Any:
    """Build the RunConfig a parsed ``gdstudio run`` command line asks for."""
    from gdstudio.core import FunctionProblem, RegressionProblem, RunConfig
    from gdstudio.core.descent.config import CONFIG_FIELDS

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
            problem = FunctionProblem(args.expr if args.expr is not None else "x**2 - 4*x + 5",
                                      variables="auto")
        if args.x0 is not None:
            parts = [s for s in args.x0.split(",")]
            values = [_float(s, "--x0") for s in parts]
            start["x0"] = values[0] if len(values) == 1 else values
    else:
        if args.data is not None:
            problem = RegressionProblem.from_csv(args.data, _column(args.x_column),
                                                 _column(args.y_column),
                                                 skip_bad_rows=args.skip_bad_rows)
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
    lrs, optimizers = _lists(args)
    if args.epochs is not None:
        epochs = _int(args.epochs, "--epochs")
    else:
        epochs = getattr(problem, "default_epochs", 50)
    settings = {spec.name: _value(spec, getattr(args, spec.name)) for spec in CONFIG_FIELDS
                if spec.kind != "start" and spec.name not in ("lr", "epochs", "optimizer")
                and getattr(args, spec.name) is not None}  # (not given: RunConfig's default)
    return RunConfig(problem=problem, lr=lrs[0] if lrs else None, epochs=epochs,
                     optimizer=optimizers[0], **settings, **start)


def _value(spec: ConfigField, value: Any) -> Any:
    """An option's value for the RunConfig field ``spec`` (a ConfigField)."""
    if spec.kind == "real":
        return _float(value, spec.option)
    if spec.kind == "whole":
        return _int(value, spec.option)
    return value


def _attach_values(argv: list[str]) -> list[str]:
    """``--expr -x**2``: argparse would take ``-x**2`` for an option; attach it with ``=``."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if (a in ("--expr", "--x0", "--m0", "--c0", "--lr") and i + 1 < len(argv)
                and argv[i + 1].startswith("-")):
            out.append(f"{a}={argv[i + 1]}")
            i += 2
            continue
        out.append(a)
        i += 1
    return out


def _lists(args: argparse.Namespace) -> tuple[list[float], list[str]]:
    """--lr and --optimizer as lists (a comma list asks for a race)."""
    from gdstudio.core.descent.config import RunConfig
    from gdstudio.core.descent.optimizers import OPTIMIZERS

    lrs: list[float] = []
    if args.lr is not None:
        for part in args.lr.split(","):
            value = _float(part, "--lr")
            assert value is not None
            lrs.append(value)
    typed = args.optimizer if args.optimizer is not None else RunConfig.optimizer  # ("gd")
    optimizers = [o.strip().lower() for o in str(typed).split(",")]
    for o in optimizers:
        if o not in OPTIMIZERS:
            raise _UsageError(f"argument --optimizer: invalid choice: {o!r}"
                              f" (choose from {', '.join(OPTIMIZERS)})")
    return lrs, optimizers


#: ``gdstudio run`` options that define the problem: a session file defines it instead.
_PROBLEM_DESTS = ("problem", "expr", "preset", "data", "x_column", "y_column", "skip_bad_rows",
                  "synthetic", "seed", "noise")


def _given_options(argv: Sequence[str]) -> set[str]:
    """The dests of the options actually typed (not defaulted) on a ``gdstudio run`` line."""
    parser = build_run_parser()
    probe = parser.parse_args(list(argv))
    parser.set_defaults(**{dest: argparse.SUPPRESS for dest in vars(probe)})
    typed = vars(parser.parse_args(list(argv)))
    return {dest for dest, value in typed.items() if value is not argparse.SUPPRESS}


def _option(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def config_from_session(
    args: argparse.Namespace, given: set[str]
) -> tuple[Any, tuple[tuple[int, float], ...], Any]:
    """The RunConfig of ``--session FILE``, with the run options typed alongside applied, the
    learning-rate changes its saved run made (none when --lr is given: that rate runs
    throughout), and its saved run where no option changed it (to check the rows made again
    against; else None)."""
    from gdstudio.core import FunctionProblem
    from gdstudio.core.descent.config import CONFIG_FIELD
    from gdstudio.core.io.session import load_session

    clash = [d for d in _PROBLEM_DESTS if d in given]
    if clash:
        raise _UsageError(f"{_option(clash[0])} cannot be combined with --session "
                          "(the session defines the problem)")
    session = load_session(args.session)
    config = session.config
    lr_changes = () if session.history is None or "lr" in given else session.history.lr_changes
    is_function = isinstance(config.problem, FunctionProblem)
    changes: dict[str, Any] = {}
    for dest in ("m0", "c0") if is_function else ("x0",):
        if dest in given:
            kind = "a function" if is_function else "a regression"
            raise _UsageError(f"{_option(dest)} does not apply: the session's problem is {kind}")
    if "x0" in given:
        values = [_float(s, "--x0") for s in args.x0.split(",")]
        changes["x0"] = values[0] if len(values) == 1 else values
    for dest in ("m0", "c0"):
        if dest in given:
            changes[dest] = _float(getattr(args, dest), _option(dest))
    lrs, optimizers = _lists(args)  # comma lists race from the session's settings
    for dest in sorted(given):
        if dest in ("session", "format", "x0", "m0", "c0"):
            continue
        if dest not in CONFIG_FIELD:
            raise _UsageError(f"{_option(dest)} cannot be combined with --session")
        value = getattr(args, dest)
        if dest == "lr":
            value = lrs[0]
        elif dest == "optimizer":
            value = optimizers[0]
        else:
            value = _value(CONFIG_FIELD[dest], value)
        changes[dest] = value
    if changes:
        return config.with_(**changes), lr_changes, None
    return config, lr_changes, session.history


def _or(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def check_options_apply(config: Any, given: set[str], optimizers: Sequence[str],
                        args: argparse.Namespace) -> None:
    """Refuse an option typed for a run it does not change (issue 13, family 16): one rule
    for every option, a message naming it and what it applies to. ``given`` holds the dests
    typed; ``optimizers`` the run's (a race's lanes)."""
    from gdstudio.core.problems import RegressionProblem

    regression = isinstance(config.problem, RegressionProblem)
    if "device" in given and config.engine != "torch":
        raise _UsageError("--device applies to --engine torch (the manual engine runs on the "
                          "CPU): it would be ignored")
    from gdstudio.core.descent.config import HYPER_PARAMETERS

    for dest, users in HYPER_PARAMETERS.items():
        if dest in given and not any(o in users for o in optimizers):
            which = "/".join(dict.fromkeys(optimizers))
            raise _UsageError(f"{_option(dest)} applies to --optimizer {_or(users)}, "
                              f"not {which}: it would be ignored")
    if not regression:
        for dest in ("x_column", "y_column", "skip_bad_rows", "seed", "noise", "batch_seed"):
            if dest in given:
                raise _UsageError(f"{_option(dest)} applies to --problem regression, not to a "
                                  "function: it would be ignored")
        return
    from_csv = args.data is not None  # (a session's problem options are refused before)
    for dest in ("x_column", "y_column", "skip_bad_rows"):
        if dest in given and not from_csv:
            raise _UsageError(f"{_option(dest)} applies to --data FILE.csv, not to synthetic "
                              "data: it would be ignored")
    for dest in ("seed", "noise"):
        if dest in given and from_csv:
            raise _UsageError(f"{_option(dest)} applies to --synthetic N, not to --data: it "
                              "would be ignored")
    if "batch_seed" in given and not config.batch_size:
        raise _UsageError("--batch-seed applies to mini-batches (--batch-size N > 0), not to "
                          "full-batch descent: it would be ignored")


def _data_notes(config: Any, given: set[str]) -> list[str]:
    """What a person should know about how ``--data`` was read (for stderr): which columns
    were taken when the file has more than two and they were not both chosen, and the rows
    left out by --skip-bad-rows."""
    from gdstudio.core.problems import RegressionProblem

    problem = config.problem
    reading = problem.reading if isinstance(problem, RegressionProblem) else None
    if reading is None:  # (synthetic data, a function, a session's data)
        return []
    notes = []
    if reading.n_columns > 2 and not {"x_column", "y_column"} <= given:
        # (the file's columns are counted from 1 as a person reads them; the options' from 0:
        # the options' values for the columns taken, so that neither is mistaken for the other)
        xi, yi = reading.columns
        notes.append(f"{reading.path}: {reading.columns_text()}; choose others with "
                     f"--x-column/--y-column (a name, or an index from 0: these are "
                     f"--x-column {xi} --y-column {yi})")
    if reading.skipped:
        notes.append(f"{reading.path}: {reading.skipped_text()}")
    return notes


def _column(value: str | None) -> int | str | None:
    if value is None:
        return None
    text = value.strip()
    return int(text) if text.isdigit() else text


def _theory_lines(config: Any) -> list[str]:
    """One or two lines of analysis for the table footer (best effort)."""
    from gdstudio.core.analysis import analyze_function, analyze_regression
    from gdstudio.core.numbers import distinct_texts
    from gdstudio.core.problems import FunctionProblem

    try:
        if config.optimizer != "gd":
            return []
        if isinstance(config.problem, FunctionProblem):
            if config.problem.dim != 1:
                from gdstudio.core.analysis import analyze_surface

                sa = analyze_surface(config.problem, tuple(config.start_params()))
                if sa.kind != "minimum":
                    return [f"theory: ∇f = {sa.gradient_text}; {sa.regime(config.lr).description}"]
                pt = ", ".join(f"{v:.6g}" for v in sa.point)
                ev = ", ".join(f"{v:.6g}" for v in sa.eigenvalues)
                regime = sa.regime(config.lr)
                lr_t, crit_t = distinct_texts(config.lr, sa.critical_lr)
                return [
                    f"theory: ∇f = {sa.gradient_text}; heads for the minimum at ({pt}),"
                    f" f = {sa.f:.6g}; "
                    f"Hessian eigenvalues {ev}; critical lr = 2/λmax = {crit_t}",
                    f"        lr = {lr_t} is {regime.kind}: {regime.description}",
                ]
            a = analyze_function(config.problem)
            x0 = float(config.start_params()[0])
            target, regime = a.regime(config.lr, x0)
            note = [f"        ({a.note})"] if a.note else []
            if target is None:
                return [f"theory: f'(x) = {a.derivative_text}; {regime.description}", *note]
            lr_t, crit_t = distinct_texts(config.lr, regime.critical_lr)
            return [
                f"theory: f'(x) = {a.derivative_text}; heads for the {target.describe()}; "
                f"critical lr = {crit_t}",
                f"        lr = {lr_t} is {regime.kind}: {regime.description}",
                *note,
            ]
        r = analyze_regression(config.problem)
        where = ""
        regime_of = r
        if config.scale_x:
            from gdstudio.core.descent.minibatch import scaled_problem

            regime_of = analyze_regression(scaled_problem(config.problem)[0])
            where = " on standardised x"
        regime = regime_of.regime(config.lr)
        lr_t, crit_t = distinct_texts(config.lr, regime_of.critical_lr)
        lines = [
            (f"theory: least squares m = {r.m:.10g}, c = {r.c:.10g}, MSE = {r.loss:.10g}; "
             if r.unique else f"theory: no unique line (all x equal), MSE = {r.loss:.10g}; ")
            + f"critical lr{where} = 2/λmax = {crit_t}",
            f"        lr = {lr_t} is {regime.kind}: {regime.description}",
        ]
        if config.batch_size:
            lines.append("        (the analysis is for full-batch descent; mini-batches add noise)")
        return lines
    except Exception:  # noqa: BLE001 - the footer is a courtesy; never fail the run for it
        return []


def run_command(argv: Sequence[str]) -> int:
    from gdstudio.core import InputError, run
    from gdstudio.core.errors import BadRowError
    from gdstudio.core.io.export import write_csv, write_json, write_table

    parser = build_run_parser()
    argv = _attach_values(list(argv))
    try:
        args = parser.parse_args(argv)
        given = _given_options(argv)
        lr_changes: tuple[tuple[int, float], ...] = ()
        saved = None
        if args.session is not None:
            config, lr_changes, saved = config_from_session(args, given)
        else:
            config = config_from_args(args)
        lrs, optimizers = _lists(args)
        if args.session is not None and "optimizer" not in given:
            optimizers = [config.optimizer]
        explain = _explain_epoch(args.explain)
        if explain is not None and args.format != "table":
            raise _UsageError("--explain prints text: leave out --format")
        check_options_apply(config, given, optimizers, args)
        for note in _data_notes(config, given):  # (stdout stays the run's alone)
            print(f"{PROG}: note: {note}", file=sys.stderr)
        racing = len(lrs) > 1 or len(optimizers) > 1
        if args.per_epoch and not racing:
            raise _UsageError("--per-epoch applies to a race (a comma list of --lr or "
                              "--optimizer); one run's history is per epoch already")
        if args.per_epoch and args.format != "csv":
            raise _UsageError("--per-epoch prints CSV: add --format csv")
        if racing:
            if explain is not None:
                raise _UsageError("--explain applies to one run, not a race")
            from gdstudio.core.race.race import run_race

            result = run_race(config, lrs or None, optimizers)
            if args.per_epoch:
                from gdstudio.core.io.export import write_race_csv

                out = _Output()
                write_race_csv(result.histories, result.labels, out)
                out.flush()
            else:
                _print_race(result, args.format)
            return 0
        history = run(config, lr_changes)  # (a session's: made again where the run made them)
        if saved is not None:  # the session's own run, made again: is it the saved one?
            from gdstudio.core.io.session import rerun_differs

            differs = rerun_differs(history.params, history.loss, history.grad,
                                    history.message or history.status, saved)
            if differs:
                print(f"{PROG}: note: {differs}", file=sys.stderr)
    except _UsageError as err:
        return _fail(str(err))
    except BadRowError as err:
        return _fail(f"{err} (--skip-bad-rows leaves out the rows that cannot be read)")
    except InputError as err:
        return _fail(str(err))
    out = _Output()
    if explain is not None:
        return _print_explanation(history, explain, out)
    if args.format == "csv":
        write_csv(history, out)
        out.flush()
        # stdout stays pure CSV; the status goes to stderr for the person watching.
        print(f"{PROG}: status: {history.status} after {history.epochs_run} epochs"
              + (f" ({history.message})" if history.message else ""), file=sys.stderr)
    elif args.format == "json":
        write_json(history, out)
        out.write("\n")
    else:
        head = _describe(config)
        if history.lr_changes:  # (a session's, made again)
            head += "\nlearning-rate changes: " + ", ".join(
                f"{lr:g} after epoch {epoch}" for epoch, lr in history.lr_changes)
        out.write(head + "\n\n")
        write_table(history, out, footer=_theory_lines(config))
    out.flush()
    return 0


def _explain_epoch(value: str | None) -> int | str | None:
    """--explain's epoch: a whole number ≥ 0, or ``last``."""
    if value is None:
        return None
    if value.strip().lower() == "last":
        return "last"
    why = f"--explain must be an epoch (a whole number ≥ 0) or last, got {value!r}"
    try:
        epoch = _int(value, "--explain")
    except _UsageError:
        raise _UsageError(why) from None
    if epoch is None or epoch < 0:
        raise _UsageError(why)
    return epoch


def _print_explanation(history: Any, epoch: int | str, out: Any) -> int:
    """The arithmetic of the update that made row ``epoch`` (the window's Arithmetic panel)."""
    last = history.epochs_run
    t = last if epoch == "last" else int(epoch)
    if t > last:
        why = f" ({history.message})" if history.message else ""
        return _fail(f"--explain {t}: the run has epochs 0 … {last}{why}")
    out.write("\n".join(history.explain(t)) + "\n")
    out.flush()
    return 0


def _race_cell(v: float, column: int, dtype: str) -> str:
    """A race's CSV number: the lr as given (float64), the run's numbers in its dtype's digits."""
    from gdstudio.core.numbers import exact_text

    return repr(v) if column == 0 else exact_text(v, dtype)


def _print_race(result: Any, fmt: str) -> None:
    """One summary row per lane (a learning rate and/or an optimizer)."""
    import json

    from gdstudio.core.io.export import json_steps
    from gdstudio.core.numbers import json_number

    names = list(result.histories[0].param_names)
    dtype = str(result.histories[0].config.dtype)
    cols = ["lr", "optimizer", "status", "epochs_run", "epochs_to_tol",
            *[f"final_{n}" for n in names], "final_loss"]
    rows = []
    for s in result.summaries:
        rows.append([s.lr, s.optimizer, s.status, s.epochs_run,
                     "" if s.epochs_to_tol is None else s.epochs_to_tol, *s.final_params,
                     s.final_loss])
    out = _Output()
    if fmt == "json":
        # streamed lane by lane, block by block: the same text as json.dumps of the document
        base = result.histories[0].config.to_dict()
        base.pop("lr", None)
        base.pop("optimizer", None)
        out.write('{"config": ' + json.dumps(base, allow_nan=False)
                  + ', "report_tol": ' + json.dumps(result.report_tol, allow_nan=False)
                  + ', "lanes": [')
        for i, (s, h) in enumerate(zip(result.summaries, result.histories, strict=True)):
            lane = {"lr": s.lr, "optimizer": s.optimizer, "status": s.status,
                    "epochs_run": s.epochs_run, "epochs_to_tol": s.epochs_to_tol,
                    "final_loss": json_number(s.final_loss, dtype), "message": s.message}
            text = json.dumps(lane, allow_nan=False)
            out.write((", " if i else "") + text[:-1] + ', "steps": ')
            json_steps(h, out)
            out.write("}")
        out.write("]}\n")
        out.flush()
        return
    if fmt == "csv":
        out.write(",".join(cols) + "\n")
        for r in rows:
            out.write(",".join(_race_cell(v, j, dtype) if isinstance(v, float) else str(v)
                               for j, v in enumerate(r)) + "\n")
        out.flush()
        return
    cols[4] = f"epochs to |grad|<={result.report_tol:g}"
    cells = [[(f"{v:.10g}" if j == 0 else f"{json_number(v, dtype):.10g}")
              if isinstance(v, float) else ("never" if v == "" else str(v))
              for j, v in enumerate(r)] for r in rows]
    widths = [max(len(c), *(len(r[j]) for r in cells)) for j, c in enumerate(cols)]
    out.write("  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True)) + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for r in cells:
        out.write("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) + "\n")
    out.flush()


def _describe(config: Any) -> str:
    d = config.to_dict()
    if d["problem"] == "function":
        if isinstance(d["x0"], list):
            what = f"f(x, y) = {d['expr']}, start = ({d['x0'][0]}, {d['x0'][1]})"
        else:
            what = f"f(x) = {d['expr']}, x0 = {d['x0']}"
    else:
        src = (f"synthetic data (n={d['synthetic']}, seed={d['seed']})"
               if d.get("data") == "synthetic" else d["data"])
        what = f"regression y = m*x + c on {src}, m0 = {d['m0']}, c0 = {d['c0']}"
    eng = d["engine"] + (f" on {d['device']}" if d["engine"] == "torch" else "")
    return (f"{what}; lr = {d['lr']:g}, epochs = {d['epochs']}, engine {eng} ({d['dtype']}),"
            f" optimizer {d['optimizer']}")


def build_lesson_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=f"{PROG} lesson",
        description="Guided lessons: open the window on a lesson, list the shipped lessons, "
                    "or check a lesson file (every field, and every number its texts state, "
                    "recomputed by the core).",
        epilog="Examples: gdstudio lesson --list\n"
               "          gdstudio lesson first-example\n"
               "          gdstudio lesson --print first-example > my-lesson.md\n"
               "          gdstudio lesson --check my-lesson.md",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    what = p.add_mutually_exclusive_group()
    what.add_argument("--list", action="store_true", help="print the shipped lessons' names")
    what.add_argument("--check", metavar="NAME|FILE",
                      help="check a lesson: exit 0 if it is valid and its numbers are right, "
                           "else 2 with the line and the reason")
    what.add_argument("--print", metavar="NAME|FILE", dest="print_lesson",
                      help="print a lesson's file (to copy a shipped lesson and edit it)")
    p.add_argument("lesson", nargs="?", metavar="NAME|FILE",
                   help="a shipped lesson's name or a lesson file to open in the window")
    return p


def lesson_command(argv: Sequence[str]) -> int:
    """``gdstudio lesson``: --list, --check NAME|FILE, or NAME|FILE to open in the window.
    Imports no Qt unless it opens the window."""
    from gdstudio.core.errors import InputError

    parser = build_lesson_parser()
    try:
        args = parser.parse_args(list(argv))
        if args.list:
            if args.lesson is not None:
                raise _UsageError("--list takes no lesson")
            from gdstudio.core.lessons.shipped import shipped_names

            out = _Output()
            for name in shipped_names():
                out.write(name + "\n")
            out.flush()
            return 0
        if args.print_lesson is not None:
            if args.lesson is not None:
                raise _UsageError("give one lesson to --print")
            from gdstudio.core.lessons.shipped import read_lesson

            out = _Output()
            out.write(read_lesson(args.print_lesson)[0])
            out.flush()
            return 0
        if args.check is not None:
            if args.lesson is not None:
                raise _UsageError("give one lesson to --check")
            from gdstudio.core.lessons.checks import verify
            from gdstudio.core.lessons.shipped import load_lesson

            lesson = load_lesson(args.check)
            report = verify(lesson)
            if not report.ok:
                return _fail(str(report.problems[0]))
            steps, checks = len(lesson.steps), len(report.checks)
            out = _Output()
            out.write(f"ok: {lesson.name} ({steps} step{'s' if steps != 1 else ''}, "
                      f"{checks} check{'s' if checks != 1 else ''})\n")
            out.flush()
            return 0
        if args.lesson is None:
            raise _UsageError("give a lesson: gdstudio lesson NAME|FILE (gdstudio lesson "
                              "--list shows the shipped ones)")
        from gdstudio.core.lessons.shipped import load_lesson

        lesson = load_lesson(args.lesson)
    except _UsageError as err:
        return _fail(str(err))
    except InputError as err:
        return _fail(str(err))
    sys.stdout.flush()
    return _open_window(lesson=lesson)


def _open_window(session: str | None = None, lesson: Any = None) -> int:
    """The window, as the plain ``gdstudio`` opens it (optionally on a session or a lesson)."""
    from gdstudio.ui.window.app import run_app

    return run_app(session=session, lesson=lesson)


def _window_command(argv: Sequence[str]) -> int:
    parser = _Parser(prog=PROG,
                     description="Gradient Descent Studio: watch gradient descent work,"
                                 " step by step.",
                     epilog="Headless: gdstudio run --help")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("session", nargs="?", help="a .gdstudio session file to open")
    try:
        args = parser.parse_args(list(argv))
    except _UsageError as err:
        return _fail(str(err))
    return _open_window(session=args.session)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "run":
            return run_command(argv[1:])
        if argv and argv[0] == "lesson":
            return lesson_command(argv[1:])
        return _window_command(argv)
    except BrokenPipeError:
        # `gdstudio run | head`: the reader left; quietly, as Unix tools do.
        _silence_stdout()
        return EXIT_PIPE_CLOSED
    except _OutputError as err:
        _silence_stdout()
        return _fail(f"cannot write the output: {err}", EXIT_WRITE_FAILED)
    except MemoryError:
        return _fail("not enough memory for this run (fewer epochs, or fewer lanes in a "
                     "race, need less)")
    except KeyboardInterrupt:
        return 130
    except SystemExit:
        raise
    except Exception as err:  # noqa: BLE001 - last resort: one line, not a traceback
        if os.environ.get("GDSTUDIO_DEBUG"):
            raise
        return _fail(f"internal error: {type(err).__name__}: {err}"
                     " (set GDSTUDIO_DEBUG=1 for details)", 1)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
