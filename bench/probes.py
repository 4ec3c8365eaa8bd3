"""Measurements that need a fresh process of their own; ``bench/run.py`` starts them.

    python bench/probes.py history EPOCHS              memory of a long 1-D run's history
    python bench/probes.py regression N EPOCHS_MANUAL EPOCHS_TORCH
                                                       peak RSS of an N-point regression
    python bench/probes.py csv-read PATH               load a CSV with gdstudio's reader
    python bench/probes.py csv-numpy PATH              the same file with np.loadtxt (reference)
    python bench/probes.py startup                     build and show the main window
    python bench/probes.py window EPOCHS               a run to the end in the window vs headless
    python bench/probes.py window-race LANES EPOCHS    a race run to the end in the window
    python bench/probes.py window-save EPOCHS          File › Save of a long run's session

Several probes can run one after another in one process, separated by ``+`` (the quick smoke
run does that to save start-ups; their memory numbers then influence each other). Each prints
one JSON object on a line of its own. ``--warm-up N`` sets the warm-up run's size.

Memory is read from /proc/self/status (Linux):
``VmRSS`` now, and ``VmHWM`` (the peak), which is reset before each measured phase by writing
5 to /proc/self/clear_refs where the kernel allows it. The baseline is taken after the imports
and a tiny warm-up run (torch's lazy set-up), before the data.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's gdstudio


def _status_kib(field: str) -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    if field == "VmHWM":
        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return -1


def rss() -> int:
    """Resident set size now, in bytes."""
    return _status_kib("VmRSS") * 1024


def peak() -> int:
    """Peak resident set size since the last :func:`reset_peak`, in bytes."""
    return _status_kib("VmHWM") * 1024


def reset_peak() -> bool:
    """Start a new peak from the current RSS; False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


_WARM_UP_POINTS = 1 << 17


def _warm_up() -> None:
    """Tiny runs of both engines: torch's lazy set-up (its thread pool starts on the first
    operation big enough to be split, hence 2¹⁷ points) is not part of what is measured."""
    from gdstudio.core import FunctionProblem, RegressionProblem, RunConfig, run

    problem = RegressionProblem.synthetic(n=_WARM_UP_POINTS)
    for engine in ("manual", "torch"):
        run(RunConfig(problem=problem, lr=1e-4, epochs=3, engine=engine))
        quadratic = FunctionProblem("x**2 - 4*x + 5")
        run(RunConfig(problem=quadratic, x0=7.0, lr=0.1, epochs=3, engine=engine))


def _baseline() -> tuple[int, bool]:
    gc.collect()
    base = rss()
    return base, reset_peak()


def probe_history(epochs: int) -> dict[str, object]:
    import numpy as np  # noqa: F401 - part of the baseline

    from gdstudio.core import FunctionProblem, RunConfig, run

    _warm_up()
    problem = FunctionProblem("x**2 - 4*x + 5")
    base, resettable = _baseline()
    t = time.perf_counter()
    h = run(RunConfig(problem=problem, x0=7.0, lr=1e-6, epochs=epochs))
    seconds = time.perf_counter() - t
    gc.collect()
    nbytes = h.params.nbytes + h.loss.nbytes + h.grad.nbytes
    return {
        "epochs": h.epochs_run,
        "seconds": seconds,
        "history_bytes": nbytes,
        "rss_growth": rss() - base,
        "peak_growth": peak() - base,
        "peak_reset": resettable,
    }


def probe_regression(n: int, epochs_manual: int, epochs_torch: int) -> dict[str, object]:
    import numpy as np  # noqa: F401
    import torch  # noqa: F401

    from gdstudio.core import RegressionProblem, RunConfig, run
    from gdstudio.core.data import synthetic_data

    _warm_up()
    base, resettable = _baseline()
    out: dict[str, object] = {"n": n, "baseline": base, "peak_reset": resettable}
    t = time.perf_counter()
    xy = synthetic_data(n, seed=1)
    problem = RegressionProblem(xy.x, xy.y, source=xy.source)
    del xy
    out["load_seconds"] = time.perf_counter() - t
    out["data_bytes"] = problem.x.nbytes + problem.y.nbytes
    out["load_peak"] = peak() - base
    for engine, epochs in (("manual", epochs_manual), ("torch", epochs_torch)):
        reset_peak()
        t = time.perf_counter()
        h = run(RunConfig(problem=problem, lr=1e-4, epochs=epochs, engine=engine))
        out[f"{engine}_seconds"] = time.perf_counter() - t
        out[f"{engine}_epochs"] = h.epochs_run
        out[f"{engine}_peak"] = peak() - base
        del h
        gc.collect()
    out["rss_end"] = rss() - base
    # Without a resettable peak, every phase's peak is the whole process's.
    out["max_peak"] = max(int(out[k]) for k in ("load_peak", "manual_peak", "torch_peak"))  # type: ignore[call-overload]
    return out


def probe_csv(path: str, reader: str) -> dict[str, object]:
    import numpy as np

    from gdstudio.core.data import read_xy_csv

    base, resettable = _baseline()
    t = time.perf_counter()
    if reader == "gdstudio":
        xy = read_xy_csv(path)
        rows = len(xy)
        data_bytes = xy.x.nbytes + xy.y.nbytes
    else:
        arr = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
        x = np.ascontiguousarray(arr[:, 0])
        y = np.ascontiguousarray(arr[:, 1])
        del arr
        rows = x.shape[0]
        data_bytes = x.nbytes + y.nbytes
    seconds = time.perf_counter() - t
    return {
        "rows": rows,
        "seconds": seconds,
        "data_bytes": data_bytes,
        "peak": peak() - base,
        "peak_reset": resettable,
    }


def _qt_platform() -> None:
    import os

    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _dismiss(window: object) -> None:
    """Stop the window's threads without closing it (closing may ask to save the session)."""
    from gdstudio.ui.threads.registry import stop_all_threads

    window.hide()  # type: ignore[attr-defined]
    window.controller.shutdown()  # type: ignore[attr-defined]
    stop_all_threads()


def probe_startup() -> dict[str, object]:
    """Build the window as ``gdstudio`` does and report the clock when it is shown.

    ``time.perf_counter`` is CLOCK_MONOTONIC on Linux, the same clock in every process, so the
    parent subtracts the moment it started this process.
    """
    began = time.perf_counter()
    _qt_platform()
    from gdstudio.ui.window.app import make_app

    app = make_app([sys.argv[0]])
    from PySide6.QtTest import QTest

    from gdstudio.ui.window.main_window import MainWindow

    imported = time.perf_counter()
    window = MainWindow()
    window.show()
    exposed = QTest.qWaitForWindowExposed(window, 10_000)
    app.processEvents()  # the first paint
    shown = time.perf_counter()
    result = {
        "began": began,
        "imported": imported,
        "shown": shown,
        "exposed": bool(exposed),
        "torch_imported": "torch" in sys.modules,
    }
    _dismiss(window)
    return result


def probe_interactive() -> dict[str, object]:
    """Start as ``gdstudio`` does and report the clock when the window is interactive: shown,
    with Step enabled and the first row in the status line; the longest stall of the GUI
    thread (gap between 2 ms timer ticks) from the first show to then, and from then until
    start-up has settled (SymPy imported in the background and the analysis shown)."""
    began = time.perf_counter()
    _qt_platform()
    from gdstudio.ui.window.app import make_app

    _app = make_app([sys.argv[0]])  # (kept: the application lives while the probe runs)
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer

    from gdstudio.ui.window.main_window import MainWindow

    window = MainWindow()
    gaps: list[float] = []
    clock = QElapsedTimer()
    ticker = QTimer()
    ticker.setTimerType(Qt.TimerType.PreciseTimer)
    ticker.setInterval(2)

    def tick() -> None:
        gaps.append(clock.nsecsElapsed() / 1e9)
        clock.restart()

    ticker.timeout.connect(tick)
    marks: dict[str, float] = {}
    ticks_at_interactive: list[int] = []
    step = window.action("step")

    def poll() -> None:
        now = time.perf_counter()
        if "interactive" not in marks and step.isEnabled() \
                and window.statusLabel.text().startswith("Epoch 0"):
            marks["interactive"] = now
            ticks_at_interactive.append(len(gaps))
        if "settled" not in marks and "Working out" not in window.analysis.text() \
                and "interactive" in marks:
            marks["settled"] = now
            loop.quit()

    poller = QTimer()
    poller.setInterval(1)
    poller.timeout.connect(poll)
    loop = QEventLoop()
    window.show()
    marks["shown_call"] = time.perf_counter()
    clock.start()
    ticker.start()
    poller.start()
    QTimer.singleShot(30_000, loop.quit)
    loop.exec()
    ticker.stop()
    poller.stop()
    result = {
        "began": began,
        "interactive": marks.get("interactive", float("nan")),
        "settled": marks.get("settled", float("nan")),
        "stall_to_interactive": max(gaps[1:ticks_at_interactive[0] + 1] if ticks_at_interactive
                                    else gaps[1:], default=0.0),
        "stall_after": max(gaps[ticks_at_interactive[0] + 1:] if ticks_at_interactive else [],
                           default=0.0),
        "torch_imported": "torch" in sys.modules,
    }
    _dismiss(window)
    return result


class _Window:
    """The window built as ``gdstudio`` builds it, started up and settled: SymPy loaded (in
    the background, after the first paint) and the analysis shown, so that what is measured
    next is playing or saving, not start-up (that is row f)."""

    def __init__(self) -> None:
        _qt_platform()
        from gdstudio.ui.window.app import make_app

        self.app = make_app([sys.argv[0]])
        from gdstudio.ui.window.main_window import MainWindow

        self.window = MainWindow()
        self.window.show()
        from PySide6.QtTest import QTest

        QTest.qWaitForWindowExposed(self.window, 10_000)

    def wait_until(self, done: Any, timeout_ms: int) -> bool:
        from PySide6.QtCore import QEventLoop, QTimer

        if done():
            return True
        loop = QEventLoop()
        poll = QTimer()
        poll.timeout.connect(lambda: loop.quit() if done() else None)
        poll.start(10)
        QTimer.singleShot(timeout_ms, loop.quit)
        loop.exec()
        poll.stop()
        return bool(done())

    def wait_for(self, state: str, timeout_ms: int) -> bool:
        return self.wait_until(lambda: self.window.controller.state == state, timeout_ms)

    def settle(self) -> None:
        from gdstudio.ui.threads import symbolic

        self.wait_until(lambda: symbolic.is_ready()
                        and "Working out" not in self.window.analysis.text(), 30_000)

    def close(self) -> None:
        _dismiss(self.window)


class _StallClock:
    """A 2 ms timer on the GUI thread; the longest gap between its ticks is a stall."""

    def __init__(self) -> None:
        from PySide6.QtCore import QElapsedTimer, Qt, QTimer

        self.gaps: list[float] = []
        self._clock = QElapsedTimer()
        self._ticker = QTimer()
        self._ticker.setTimerType(Qt.TimerType.PreciseTimer)
        self._ticker.setInterval(2)
        self._ticker.timeout.connect(self._tick)

    def _tick(self) -> None:
        self.gaps.append(self._clock.nsecsElapsed() / 1e9)
        self._clock.restart()

    def __enter__(self) -> _StallClock:
        self._clock.start()
        self._ticker.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._ticker.stop()

    @property
    def longest(self) -> float:
        return max(self.gaps[1:], default=0.0)


def probe_window(epochs: int) -> dict[str, object]:
    """A run to the end in the window (offscreen) against the same run headless.

    The window's own path: its run is configured as the controls would (``start_run``), then
    Run to end; the time is from the command to the worker's "finished" state with every batch
    drawn, and the GUI thread's longest stall meanwhile (:class:`_StallClock`).
    """
    from gdstudio.core import FunctionProblem, RunConfig, run

    config = RunConfig(problem=FunctionProblem("x**2 - 4*x + 5"), x0=7.0, lr=1e-6, epochs=epochs)
    run(config.with_(epochs=1000))  # warm caches
    t = time.perf_counter()
    h = run(config)
    headless = time.perf_counter() - t

    shell = _Window()
    window = shell.window
    window.start_run(config)
    ready = shell.wait_for("ready", 30_000)
    shell.settle()
    with _StallClock() as stalls:
        t = time.perf_counter()
        window.run_to_end()
        finished = shell.wait_for("finished", 120_000)
        shell.app.processEvents()  # the last frame
        gui = time.perf_counter() - t
    rows = window.run_data.n
    shell.close()
    return {
        "epochs": epochs,
        "headless": headless,
        "headless_epochs": h.epochs_run,
        "gui": gui,
        "gui_rows": rows,
        "ready": ready,
        "finished": finished,
        "longest_stall": stalls.longest,
    }


def probe_window_race(lanes: int, epochs: int) -> dict[str, object]:
    """Run to end of a learning-rate race in the window (issue 13's 24 lanes × 200,000
    epochs): the time, every lane's rows, and the GUI thread's longest stall meanwhile (the
    summary table and the lanes' plots refreshed as the race goes)."""
    from gdstudio.ui.panels.race_setup import log_spaced

    shell = _Window()
    window = shell.window
    controls = window.controls
    controls.epochsSpin.setValue(epochs)
    controls.raceSetup.set_mode("lr")
    # rates from crawling to past critical (2/h = 1 on the default quadratic): every lane
    # runs all its epochs, or ends on divergence, as a class's wide race does
    controls.raceSetup.set_rates(log_spaced(1e-7, 1e-3, lanes))
    race = window.model.race_data
    ready = shell.wait_until(lambda: window.explorer.racing and race.K == lanes
                             and race.n == 1 and window.controller.state == "ready", 30_000)
    shell.settle()
    with _StallClock() as stalls:
        t = time.perf_counter()
        window.run_to_end()
        finished = shell.wait_until(lambda: window.controller.state == "finished"
                                    and race.finished, 300_000)
        shell.app.processEvents()
        gui = time.perf_counter() - t
    rows = int(sum(race.lengths))
    shell.close()
    return {"lanes": lanes, "epochs": epochs, "ready": ready, "finished": finished,
            "gui": gui, "rows": rows, "longest_stall": stalls.longest}


def probe_window_save(epochs: int) -> dict[str, object]:
    """Save, as File › Save does, the session of a run of ``epochs`` epochs (issue 13: 2·10⁶
    epochs blocked the window 3.7 s): the time and the GUI thread's longest stall while the
    file is written (in the background, with a progress dialog)."""
    import tempfile

    from gdstudio.core import FunctionProblem, RunConfig

    shell = _Window()
    window = shell.window
    config = RunConfig(problem=FunctionProblem("x**2 - 4*x + 5"), x0=7.0, lr=1e-6, epochs=epochs)
    window.start_run(config)
    shell.wait_for("ready", 30_000)
    window.run_to_end()
    finished = shell.wait_for("finished", 300_000)
    shell.settle()
    shell.wait_until(lambda: not window.frames.pending, 30_000)
    window.draw_now()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.gdstudio"
        with _StallClock() as stalls:
            t = time.perf_counter()
            saved = window.files.sessions.write(path)
            seconds = time.perf_counter() - t
        size = path.stat().st_size if path.exists() else 0
    rows = window.run_data.n
    shell.close()
    return {"epochs": epochs, "finished": finished, "saved": saved, "rows": rows,
            "bytes": size, "seconds": seconds, "longest_stall": stalls.longest}


def _one(args: list[str]) -> dict[str, object]:
    mode = args[0]
    if mode == "history":
        return probe_history(int(args[1]))
    if mode == "regression":
        return probe_regression(int(args[1]), int(args[2]), int(args[3]))
    if mode == "csv-read":
        return probe_csv(args[1], "gdstudio")
    if mode == "csv-numpy":
        return probe_csv(args[1], "numpy")
    if mode == "startup":
        return probe_startup()
    if mode == "interactive":
        return probe_interactive()
    if mode == "window":
        return probe_window(int(args[1]))
    if mode == "window-race":
        return probe_window_race(int(args[1]), int(args[2]))
    if mode == "window-save":
        return probe_window_save(int(args[1]))
    raise SystemExit(f"unknown probe {mode!r}")


def main(argv: list[str]) -> int:
    global _WARM_UP_POINTS
    if argv[:1] == ["--warm-up"]:
        _WARM_UP_POINTS = int(argv[1])
        argv = argv[2:]
    command: list[str] = []
    for word in [*argv, "+"]:
        if word != "+":
            command.append(word)
        elif command:
            print(json.dumps(_one(command)), flush=True)
            command = []
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
