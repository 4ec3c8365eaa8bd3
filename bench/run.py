"""Benchmarks of gdstudio's engines against bare reference loops (issue 7).

    python bench/run.py            the full table (about a minute or two)
    python bench/run.py --quick    a smoke run with tiny sizes: checks that every row still runs
    python bench/run.py --strict   exit 1 if a target is not met

Every row is a ratio measured in this process (or in fresh subprocesses it starts): the engine,
through the public path (``gdstudio.core.run(RunConfig(...))``, the code the window runs,
recording the full history), against a bare loop written as the source tutorial writes it
(``bench/reference.py``, which records nothing). Engine and reference alternate, ``repeats``
times each, and the best time of each is compared: on a shared machine the best is the run least
disturbed by others. A ratio is engine speed / reference speed: higher is better.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import reference  # noqa: E402

from gdstudio.core import FunctionProblem, RegressionProblem, RunConfig, run  # noqa: E402

QUADRATIC = "x**2 - 4*x + 5"
#: Small enough that no run reaches f'(x) = 0 exactly (which would stop it early).
LR_FUNCTION = 1e-6
LR_REGRESSION = 1e-4


@dataclass
class Row:
    key: str
    what: str
    engine: str = ""
    reference: str = ""
    ratio: str = ""
    target: str = ""
    result: str = ""  # PASS, FAIL, pending, info

    def cells(self) -> list[str]:
        return [self.key, self.what, self.engine, self.reference, self.ratio, self.target,
                self.result]


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _fmt_s(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


def _fmt_bytes(n: float) -> str:
    """Decimal units (1 MB = 10⁶ bytes), as in "x and y float64 = 160 MB"."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover


def best_of(engine: Callable[[], Any], ref: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Alternate engine and reference ``repeats`` times; the best time of each."""
    te, tr = math.inf, math.inf
    for _ in range(repeats):
        t = time.perf_counter()
        engine()
        te = min(te, time.perf_counter() - t)
        t = time.perf_counter()
        ref()
        tr = min(tr, time.perf_counter() - t)
    return te, tr


def ratio_row(key: str, what: str, te: float, tr: float, target: float, per: str = "") -> Row:
    ratio = tr / te
    return Row(
        key,
        what,
        _fmt_s(te) + per,
        _fmt_s(tr) + per,
        f"{ratio:.2f}",
        f"≥ {target:g}",
        "PASS" if ratio >= target else "FAIL",
    )


def _check_epochs(h: Any, epochs: int, what: str) -> None:
    if h.epochs_run != epochs:
        raise RuntimeError(
            f"{what}: the run stopped at epoch {h.epochs_run} ({h.status}), not {epochs}"
        )


def _pythonpath() -> str:
    return os.pathsep.join(p for p in [str(ROOT), os.environ.get("PYTHONPATH", "")] if p)


def _probe(args: list[str], timeout: float = 600) -> list[dict[str, Any]]:
    """Run bench/probes.py in a fresh process; one result per ``+``-separated probe."""
    env = dict(os.environ, PYTHONPATH=_pythonpath())
    out = subprocess.run(
        [sys.executable, str(HERE / "probes.py"), *args],
        capture_output=True, text=True, timeout=timeout, env=env,
    )
    if out.returncode != 0:
        raise RuntimeError(f"probe {args[0]} failed: {out.stderr.strip()[-800:]}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def machine_line() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import torch

    try:
        load = f"load {os.getloadavg()[0]:.2f}"
    except OSError:  # pragma: no cover
        load = "load n/a"
    return (
        f"machine: {cpu}, {os.cpu_count()} cores ({load}), "
        f"torch threads {torch.get_num_threads()}; "
        f"Python {platform.python_version()}, NumPy {np.__version__}, torch {torch.__version__}, "
        f"{platform.system()} {platform.release()}"
    )


# --------------------------------------------------------------------------------------------
# rows
# --------------------------------------------------------------------------------------------


def row_a(q: bool) -> Row:
    epochs = 10_000 if q else 1_000_000
    cfg = RunConfig(problem=FunctionProblem(QUADRATIC), x0=7.0, lr=LR_FUNCTION, epochs=epochs)
    _check_epochs(run(cfg), epochs, "a")
    te, tr = best_of(lambda: run(cfg), lambda: reference.quadratic_python(7.0, LR_FUNCTION, epochs),
                     1 if q else 7)
    return ratio_row("a", f"f(x) manual, {epochs:.0e} epochs, full history vs bare Python loop",
                     te, tr, 0.5)


def row_b(q: bool) -> Row:
    epochs = 200 if q else 20_000
    cfg = RunConfig(problem=FunctionProblem(QUADRATIC), x0=7.0, lr=LR_FUNCTION, epochs=epochs,
                    engine="torch")
    _check_epochs(run(cfg), epochs, "b")
    te, tr = best_of(lambda: run(cfg), lambda: reference.quadratic_torch(7.0, LR_FUNCTION, epochs),
                     1 if q else 5)
    return ratio_row("b", f"f(x) torch, {epochs:.0e} epochs, full history vs bare torch loop",
                     te, tr, 1.0)


def _regression_data(n: int) -> tuple[np.ndarray, np.ndarray]:
    from gdstudio.core.data import synthetic_data

    xy = synthetic_data(n, seed=1)
    return xy.x, xy.y


def _regression_rows(n: int, q: bool) -> list[Row]:
    import torch

    x, y = _regression_data(n)
    big = n >= 100_000
    label = f"{n:.0e}".replace("+0", "")
    repeats = 1 if q else (3 if big else 5)
    rows = []
    # manual: the window loads the data once (the problem computes its O(n) sums then) and runs
    # on it; the row times the run, and the info row below it also the problem's construction.
    epochs = (20 if q else 100) if big else (200 if q else 20_000)
    problem = RegressionProblem(x, y)
    manual_cfg = RunConfig(problem=problem, lr=LR_REGRESSION, epochs=epochs)

    def manual() -> Any:
        return run(manual_cfg)

    def manual_and_sums() -> Any:
        return run(manual_cfg.with_(problem=RegressionProblem(x, y)))

    def bare_numpy() -> Any:
        return reference.regression_numpy(x, y, LR_REGRESSION, epochs)

    _check_epochs(manual(), epochs, "c manual")
    te, tr = best_of(manual, bare_numpy, repeats)
    rows.append(ratio_row("c", f"regression N={label} manual, {epochs} epochs vs bare NumPy loop",
                          te, tr, 50.0 if n >= 1_000_000 else 1.0))
    tc, _ = best_of(manual_and_sums, lambda: None, repeats)
    rows.append(Row("c", "  the same, building the problem (its O(N) sums) inside the timing",
                    _fmt_s(tc), _fmt_s(tr), f"{tr / tc:.2f}", "", "info"))
    # torch: the data given to both, as a problem and as tensors (sharing memory)
    epochs = (3 if q else 20) if big else (50 if q else 3_000)
    X, Y = torch.from_numpy(x), torch.from_numpy(y)
    torch_cfg = RunConfig(problem=problem, lr=LR_REGRESSION, epochs=epochs, engine="torch")

    def torch_engine() -> Any:
        return run(torch_cfg)

    def bare_torch() -> Any:
        return reference.regression_torch(X, Y, LR_REGRESSION, epochs)

    _check_epochs(torch_engine(), epochs, "c torch")
    te, tr = best_of(torch_engine, bare_torch, repeats)
    rows.append(ratio_row("c", f"regression N={label} torch, {epochs} epochs vs bare torch loop",
                          te, tr, 1.0))
    return rows


def rows_c(q: bool) -> list[Row]:
    sizes = (1_000, 20_000) if q else (1_000, 1_000_000)
    return [row for n in sizes for row in _regression_rows(n, q)]


def _race_row(engine: str, epochs: int, q: bool, *, problem: Any = None, optimizer: str = "gd",
              label: str = "f(x)", x0: Any = 7.0, lr_hi: float = 0.99, repeats: int = 3) -> Row:
    from gdstudio.core.race.race import run_race

    lrs = [float(v) for v in np.geomspace(1e-3 * lr_hi, lr_hi, 64)]
    cfg = RunConfig(problem=problem or FunctionProblem(QUADRATIC), x0=x0, lr=lrs[0], epochs=epochs,
                    engine=engine, optimizer=optimizer)

    def race() -> Any:
        return run_race(cfg, lrs)

    def one_by_one() -> Any:
        return [run(cfg.with_(lr=lr)) for lr in lrs]

    te, tr = best_of(race, one_by_one, 1 if q else repeats)
    what = f"lr race {label} {engine}" + (f" {optimizer}" if optimizer != "gd" else "")
    return ratio_row("d", f"{what}, K = 64, {epochs} epochs vs the 64 runs one after another",
                     te, tr, 10.0)


def rows_d(q: bool) -> list[Row]:
    import importlib.util

    if importlib.util.find_spec("gdstudio.core.race.race") is None:
        return [Row("d", "learning-rate race, K = 64 vs 64 runs one after another",
                    result="pending")]
    rosenbrock = FunctionProblem.preset("rosenbrock")
    return [
        # a race of ~10 ms against ~0.1 s: the best of 10 alternating runs of each, since this
        # VM's speed swings by tens of percent within seconds (3 runs of each often catch the
        # two in different swings)
        _race_row("manual", 100 if q else 2_000, q, repeats=10),
        _race_row("torch", 10 if q else 200, q),
        # where one manual step is more than a scalar Python expression, batching pays there too
        _race_row("manual", 20 if q else 500, q, optimizer="adam", lr_hi=0.5),
        _race_row("manual", 20 if q else 500, q, problem=rosenbrock, label="f(x, y) Rosenbrock",
                  x0=(-1.2, 1.0), lr_hi=0.0015),
    ]


def _has_window() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("gdstudio.ui.window.main_window") is not None
    except ImportError:
        return False


def row_e(q: bool) -> list[Row]:
    what = "the window (offscreen): f(x) manual run to the end"
    target = "≤ 1.3 × headless + 0.5 s"
    if not _has_window():
        return [Row("e", what, target=target + "; stall ≤ 50 ms",
                    result="pending (needs the window)")]
    epochs = 10_000 if q else 1_000_000
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                   XDG_CONFIG_HOME=tmp, HOME=tmp, PYTHONPATH=_pythonpath())
        for _ in range(1 if q else 3):
            out = subprocess.run([sys.executable, str(HERE / "probes.py"), "window", str(epochs)],
                                 capture_output=True, text=True, timeout=600, env=env)
            if out.returncode != 0:
                last = (out.stderr.strip().splitlines() or ["?"])[-1][:60]
                return [Row("e", what, target=target, result=f"FAIL ({last})")]
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    ok_runs = all(r["finished"] and r["gui_rows"] == epochs + 1 for r in results)
    gui = statistics.median(r["gui"] for r in results)
    headless = statistics.median(r["headless"] for r in results)
    stall = statistics.median(r["longest_stall"] for r in results)
    worst = max(r["longest_stall"] for r in results)
    limit = 1.3 * headless + 0.5
    return [
        Row("e", f"{what}, {epochs:.0e} epochs: GUI vs headless (median of {len(results)})",
            _fmt_s(gui), _fmt_s(headless), f"{headless / gui:.2f}", target + f" = {limit:.2f} s",
            "PASS" if ok_runs and gui <= limit else "FAIL"),
        Row("e", "  the same: longest stall of the GUI thread (gap between 2 ms timer ticks), "
            "median (worst)", f"{_fmt_s(stall)} ({_fmt_s(worst)})", "", "", "≤ 50 ms",
            "PASS" if stall <= 0.05 else "FAIL"),
        *_window_stall_rows(q),
    ]


def _window_stall_rows(q: bool) -> list[Row]:
    """Issue 13's two other long pieces of GUI work: Run to end of a 24-lane race over
    200,000 epochs (the summary table and the lanes' plots refreshed as it goes) and File ›
    Save of a 2,000,000-epoch run (in the background, with a progress dialog): the GUI
    thread's longest stall during each, median (worst) of 3 runs."""
    cases = [
        ("window-race", ["24", "200" if q else "200000"],
         "  Run to end of a race of 24 lanes × {epochs} epochs: longest stall"),
        ("window-save", ["2000" if q else "2000000"],
         "  File › Save of a {epochs}-epoch run's session: longest stall"),
    ]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                   XDG_CONFIG_HOME=tmp, HOME=tmp, PYTHONPATH=_pythonpath())
        for probe, args, what in cases:
            what = what.format(epochs=f"{int(args[-1]):,}")
            results = []
            for _ in range(1 if q else 3):
                out = subprocess.run([sys.executable, str(HERE / "probes.py"), probe, *args],
                                     capture_output=True, text=True, timeout=600, env=env)
                if out.returncode != 0:
                    last = (out.stderr.strip().splitlines() or ["?"])[-1][:60]
                    results = []
                    rows.append(Row("e", what, target="≤ 50 ms", result=f"FAIL ({last})"))
                    break
                results.append(json.loads(out.stdout.strip().splitlines()[-1]))
            if not results:
                continue
            ok = all(r.get("finished", True) and r.get("saved", True) for r in results)
            stall = statistics.median(r["longest_stall"] for r in results)
            worst = max(r["longest_stall"] for r in results)
            rows.append(Row("e", what + ", median (worst)",
                            f"{_fmt_s(stall)} ({_fmt_s(worst)})", "", "", "≤ 50 ms",
                            "PASS" if ok and stall <= 0.05 else "FAIL"))
    return rows


def _startup_env(tmp: str) -> dict[str, str]:
    # As an installed app starts: its modules' bytecode compiled already (pip compiles it
    # at install). A first, unmeasured start writes it to a cache of its own here, even
    # where PYTHONDONTWRITEBYTECODE is set (it is, on this project's machine: every start
    # compiled gdstudio's modules from source, ~0.2-0.3 s).
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               XDG_CONFIG_HOME=tmp, HOME=tmp, PYTHONPYCACHEPREFIX=os.path.join(tmp, "pycache"),
               PYTHONPATH=_pythonpath())
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _startups(probe: str, count: int) -> list[tuple[float, dict[str, Any]]] | str:
    """``count`` measured starts (after one that fills the bytecode cache): (the moment the
    process was started, the probe's report) each, or why they failed."""
    out_list = []
    with tempfile.TemporaryDirectory() as tmp:
        env = _startup_env(tmp)
        subprocess.run([sys.executable, str(HERE / "probes.py"), probe],
                       capture_output=True, text=True, timeout=120, env=env)
        for _ in range(count):
            began = time.perf_counter()
            out = subprocess.run([sys.executable, str(HERE / "probes.py"), probe],
                                 capture_output=True, text=True, timeout=120, env=env)
            if out.returncode != 0:
                return "FAIL (" + (out.stderr.strip().splitlines() or ["?"])[-1][:60] + ")"
            out_list.append((began, json.loads(out.stdout.strip().splitlines()[-1])))
    return out_list


def rows_f(q: bool) -> list[Row]:
    what = "start-up: process start → main window shown (median)"
    target = 1.5
    if not _has_window():
        return [Row("f", what, target=f"≤ {target} s", result="pending")]
    count = 1 if q else 7
    shown = _startups("startup", count)
    if isinstance(shown, str):
        return [Row("f", what, target=f"≤ {target} s", result=shown)]
    t = statistics.median(r["shown"] - began for began, r in shown)
    rows = [Row("f", f"{what} of {len(shown)}", _fmt_s(t), "", "", f"≤ {target} s",
                "PASS" if t <= target else "FAIL")]
    what = "start-up: process start → Step enabled, first row on screen (median)"
    ready = _startups("interactive", count)
    if isinstance(ready, str):
        return rows + [Row("f", what, target=f"≤ {target} s", result=ready)]
    t = statistics.median(r["interactive"] - began for began, r in ready)
    stall = statistics.median(r["stall_to_interactive"] for _b, r in ready)
    worst = max(r["stall_to_interactive"] for _b, r in ready)
    after = statistics.median(r["stall_after"] for _b, r in ready)
    settled = statistics.median(r["settled"] - began for began, r in ready)
    return rows + [
        Row("f", f"{what} of {len(ready)}", _fmt_s(t), "", "", f"≤ {target} s",
            "PASS" if t <= target else "FAIL"),
        Row("f", "  the same: longest GUI-thread stall from the first show to then, median "
            "(worst)", f"{_fmt_s(stall)} ({_fmt_s(worst)})", "", "", "≤ 50 ms",
            "PASS" if stall <= 0.05 else "FAIL"),
        Row("f", f"  then: SymPy imported, analysis shown at {_fmt_s(settled)}; longest stall "
            "meanwhile, median", _fmt_s(after), "", "", "(reported)", "info"),
    ]


def rows_g(q: bool) -> list[Row]:
    epochs = 10_000 if q else 1_000_000
    n = 20_000 if q else 10_000_000
    history_args = ["history", str(epochs)]
    regression_args = ["regression", str(n), "1000", "2" if q else "3"]
    if q:  # one process for both (memory numbers meaningless at these sizes anyway)
        h, r = _probe(["--warm-up", "1000", *history_args, "+", *regression_args])
    else:
        (h,) = _probe(history_args)
        (r,) = _probe(regression_args)
    per_epoch = h["history_bytes"] / h["epochs"]
    rss_per = h["rss_growth"] / h["epochs"]
    peak_per = h["peak_growth"] / h["epochs"]
    rows = [
        Row("g", f"memory: f(x) manual, {epochs:.0e} epochs: History bytes per epoch",
            f"{per_epoch:.1f} B", "", "", "≤ 64 B", "PASS" if per_epoch <= 64 else "FAIL"),
        Row("g", "  same run: RSS growth per epoch after it (peak during it)",
            f"{rss_per:.1f} B ({peak_per:.1f} B)", "", "", "≤ 64 B",
            "PASS" if rss_per <= 64 else "FAIL"),
    ]
    data = r["data_bytes"]
    worst = r["max_peak"] / data
    rows.append(Row("g", f"memory: regression N={n:.0e} ({_fmt_bytes(data)} x,y), peak RSS above "
                    f"baseline: load, manual, torch", _fmt_bytes(r["max_peak"]), "",
                    f"{worst:.2f} × data", "≤ 3 × data", "PASS" if worst <= 3 else "FAIL"))
    rows.append(Row("g", f"  peaks by phase: load {_fmt_bytes(r['load_peak'])}, manual "
                    f"{_fmt_bytes(r['manual_peak'])}, torch {_fmt_bytes(r['torch_peak'])} "
                    f"({r['torch_epochs']} epochs in {_fmt_s(r['torch_seconds'])})", result="info"))
    return rows


def row_h(q: bool) -> Row:
    rows = 20_000 if q else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "points.csv")
        x, y = _regression_data(rows)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("x,y\n")
            np.savetxt(fh, np.column_stack([x, y]), delimiter=",", fmt="%.17g")
        ours, ref = math.inf, math.inf
        peak = 0
        for _ in range(1 if q else 3):
            r, n = _probe(["csv-read", path, "+", "csv-numpy", path])
            ours = min(ours, r["seconds"])
            peak = max(peak, r["peak"])
            data = r["data_bytes"]
            ref = min(ref, n["seconds"])
    ratio = ref / ours
    ok = peak <= 3 * data
    return Row("h", f"CSV {rows:.0e} rows: read_xy_csv (validating, chunked) vs np.loadtxt of the "
               f"file; peak RSS above baseline {_fmt_bytes(peak)} = {peak / data:.2f} × data",
               _fmt_s(ours), _fmt_s(ref), f"{ratio:.2f}", "peak ≤ 3 × data (time: info)",
               "PASS" if ok else "FAIL")


# --------------------------------------------------------------------------------------------
# table
# --------------------------------------------------------------------------------------------

HEADER = Row("row", "what", "engine", "reference", "ratio", "target", "result")


def print_table(rows: list[Row], file: Any = sys.stdout) -> None:
    cells = [HEADER.cells()] + [r.cells() for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER.cells()))]
    widths[1] = min(widths[1], 100)

    def line(c: list[str]) -> str:
        return " | ".join(v.ljust(w) if i in (0, 1, 5, 6) else v.rjust(w)
                          for i, (v, w) in enumerate(zip(c, widths, strict=True))).rstrip()

    print(line(cells[0]), file=file)
    print("-+-".join("-" * w for w in widths), file=file)
    for c in cells[1:]:
        print(line(c), file=file)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run for CI")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is not met")
    parser.add_argument("--rows", default="abcdefgh", help="which rows to run (default: all)")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    q = args.quick
    print(machine_line())
    mode = "quick (smoke run: sizes too small for the ratios to mean much)" if q else "full"
    print(f"mode: {mode}")
    print(flush=True)
    producers: list[tuple[str, Callable[[bool], Any]]] = [
        ("a", row_a), ("b", row_b), ("c", rows_c), ("d", rows_d), ("e", row_e), ("f", rows_f),
        ("g", rows_g), ("h", row_h),
    ]
    rows: list[Row] = []
    for key, produce in producers:
        if key not in args.rows:
            continue
        t = time.perf_counter()
        try:
            made = produce(q)
        except Exception as err:  # noqa: BLE001 - one broken row must not hide the others
            made = Row(key, f"error: {type(err).__name__}: {err}"[:100], result="ERROR")
        new = made if isinstance(made, list) else [made]
        rows += new
        print(f"  row {key} done in {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    print_table(rows)
    failed = [r for r in rows if r.result.startswith(("FAIL", "ERROR"))]
    errors = [r for r in rows if r.result == "ERROR"]
    print()
    print(f"{sum(r.result == 'PASS' for r in rows)} PASS, {len(failed)} FAIL/ERROR, "
          f"{sum(r.result.startswith('pending') for r in rows)} pending")
    if errors or (args.strict and failed):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
