"""Faults and stress in the window (issue 6, item 4).

An exception inside the worker wherever it runs; 1,000 Step clicks in a burst; Play/Pause
toggled 200 times; the problem, engine and device switched while playing; a CUDA device that
is not there; the window closed mid-run, mid-race, mid-GIF-export and mid-CSV-load; synthetic
data too large for memory. Each time: a message a person can read, a consistent state, no
thread left running (tests/conftest.py checks every test for that), no Qt warning.
"""

from __future__ import annotations

import numpy as np
import pytest
from hardening_support import (
    STATUSES,
    TIMEOUT_MS,
    PlotGuard,
    assert_plots_finite,
    press_enter,
    run_buttons,
    settle,
    type_text,
)
from PySide6.QtWidgets import QApplication

from gdstudio.core import Descent, FunctionProblem, RunConfig
from gdstudio.core.race import Race
from gdstudio.ui.panels.control_panel import (
    FUNCTION_TAB,
    MAX_WINDOW_EPOCHS,
    REGRESSION_TAB,
    SURFACE_TAB,
)
from gdstudio.ui.threads import registry
from gdstudio.ui.window.main_window import MainWindow


def closed_form(t: np.ndarray) -> np.ndarray:
    """x_t for f = x² − 4x + 5, x0 = 7, lr = 0.1."""
    return 2.0 + 5.0 * 0.8 ** np.asarray(t, dtype=float)


def _new_window(qtbot, monkeypatch) -> MainWindow:
    monkeypatch.setattr(MainWindow, "device_probe_delay_ms", None)
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1300, 860)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.controller.state == "ready" and win.run_data.n == 1,
                    timeout=TIMEOUT_MS)
    return win


def _ready(qtbot, win: MainWindow, **match: object) -> None:
    """A new run of the panel's configuration is at epoch 0 (and has ``match``'s values)."""
    qtbot.waitUntil(lambda: win.controller.state == "ready" and win.run_data.n == 1
                    and win.run_data.config is win.controls.config()
                    and all(getattr(win.run_data.config, k) == v for k, v in match.items()),
                    timeout=TIMEOUT_MS)


def _threads_stopped() -> bool:
    return all(not t.isRunning() for t in registry.live_threads())


# --------------------------------------------------------------------------------------------
# an exception inside the worker
# --------------------------------------------------------------------------------------------


class _Injected(RuntimeError):
    pass


def _fail_after(monkeypatch, cls: type, calls: int) -> None:
    """``cls.advance`` raises on its ``calls + 1``-th call (the earlier ones work)."""
    original = cls.advance
    count = [0]

    def advance(self, n=1):  # noqa: ANN001, ANN202
        count[0] += 1
        if count[0] > calls:
            raise _Injected("injected failure")
        return original(self, n)

    monkeypatch.setattr(cls, "advance", advance)


@pytest.mark.parametrize("where", ["step", "play", "run to end", "new run", "race"])
def test_an_exception_in_the_worker_is_shown_and_reset_recovers(window, qtbot, monkeypatch,
                                                                shown_dialogs, where):
    win, c = window, window.controls
    c.tolSpin.setValue(0.0)  # a run that goes on to its epoch limit (no early stop at 10⁻⁶)
    c.epochsSpin.setValue(5_000)
    c.set_speed(1000)
    if where == "race":
        c.raceSetup.set_mode("lr")
    qtbot.waitUntil(lambda: win.controller.state == "ready" and win.run_data.planned_epochs
                    == 5_000 and win.explorer.racing == (where == "race"), timeout=TIMEOUT_MS)
    if where == "new run":
        def broken(self, config):  # noqa: ANN001, ANN202
            raise _Injected("injected failure")

        monkeypatch.setattr(Descent, "__init__", broken)
        c.x0Spin.setValue(6.0)  # a new run: the worker builds a Descent, which fails
    else:
        _fail_after(monkeypatch, Race if where == "race" else Descent, 3)
        {"step": win.step, "play": win.toggle_play, "run to end": win.run_to_end,
         "race": win.toggle_play}[where]()
        if where == "step":
            for _ in range(5):
                win.step()
    qtbot.waitUntil(lambda: win.controller.state == "error", timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: win.message_bar.isVisible(), timeout=TIMEOUT_MS)
    assert "injected failure" in win.message_bar.text and "Reset" in win.message_bar.text
    assert not any(run_buttons(win).values()) and win.action("reset").isEnabled()
    settle(qtbot, win)
    assert "Reset" in win.statusLabel.text()
    assert np.isfinite(win.run_data.params).all()
    assert_plots_finite(win)

    monkeypatch.undo()
    win.reset()
    qtbot.waitUntil(lambda: win.controller.state == "ready" and win.run_data.n == 1,
                    timeout=TIMEOUT_MS)
    assert not win.message_bar.isVisible()
    win.run_to_end()
    qtbot.waitUntil(lambda: win.controller.state == "finished", timeout=TIMEOUT_MS)
    assert win.run_data.status in STATUSES
    assert shown_dialogs == []  # in the window's message bar, not a dialog


def test_an_exception_in_a_slot_of_the_gui_is_reported_not_fatal(window, qtbot, monkeypatch):
    """The worker's batch arrives in a slot that fails: the app's excepthook shows it."""
    import sys

    from gdstudio.ui.window.app import install_excepthook

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    install_excepthook(window)

    def broken(batch):  # noqa: ANN001, ANN202
        raise _Injected("a slot went wrong")

    # pytest-qt would fail the test on the exception (it is the point here): capture it.
    with qtbot.capture_exceptions() as exceptions:
        monkeypatch.setattr(window.run_data, "append", broken)
        window.step()
        qtbot.waitUntil(lambda: window.controller.state == "paused", timeout=TIMEOUT_MS)
        qtbot.waitUntil(lambda: len(exceptions) > 0, timeout=TIMEOUT_MS)
    monkeypatch.undo()
    assert "a slot went wrong" in str(exceptions[0][1])
    window.reset()  # the window goes on
    qtbot.waitUntil(lambda: window.controller.state == "ready" and window.run_data.n == 1,
                    timeout=TIMEOUT_MS)
    window.step()
    qtbot.waitUntil(lambda: window.run_data.n == 2, timeout=TIMEOUT_MS)


# --------------------------------------------------------------------------------------------
# stress: bursts of clicks
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("epochs", [50, 2_000])
def test_a_thousand_step_clicks_in_a_burst(window, qtbot, epochs):
    win = window
    win.controls.tolSpin.setValue(0.0)  # every Step makes a row (no early stop at 10⁻⁶)
    win.controls.epochsSpin.setValue(epochs)
    _ready(qtbot, win, epochs=epochs)
    for _ in range(1_000):
        win.action("step").trigger()  # no event is handled in between: 1,000 queued requests
    done = min(1_000, epochs)
    qtbot.waitUntil(lambda: win.run_data.n == done + 1, timeout=TIMEOUT_MS)
    if epochs > 1_000:
        # A barrier: the worker handles requests in order, so a learning-rate change sent now
        # is applied after every Step sent before it, at the epoch they brought the run to.
        with qtbot.waitSignal(win.controller.lrApplied, timeout=TIMEOUT_MS) as blocker:
            win.controller.set_lr(0.05)
        assert blocker.args == [1_000, 0.05]  # no Step left in a queue, none lost
        assert win.controller.state == "paused"
    else:
        qtbot.waitUntil(lambda: win.controller.state == "finished", timeout=TIMEOUT_MS)
    settle(qtbot, win)
    data = win.run_data
    assert data.n == done + 1 and data.epoch == done  # never beyond the epochs asked for
    np.testing.assert_allclose(data.params[:, 0], closed_form(np.arange(done + 1)), rtol=1e-12)
    assert win.history_model.rowCount() == data.n
    if epochs <= 1_000:
        assert data.status == "max_epochs" and not any(run_buttons(win).values())
        win.reset()  # a Step still queued would now move the new run
        _ready(qtbot, win)
        with qtbot.waitSignal(win.controller.lrApplied, timeout=TIMEOUT_MS) as blocker:
            win.controller.set_lr(0.05)
        assert blocker.args == [0, 0.05] and win.run_data.n == 1


def test_play_pause_toggled_two_hundred_times(window, qtbot):
    win = window
    win.controls.tolSpin.setValue(0.0)  # it plays on to the epoch limit (no early stop)
    win.controls.epochsSpin.setValue(100_000)
    win.controls.set_speed(1000)
    _ready(qtbot, win, epochs=100_000)
    for _ in range(200):
        win.action("play").trigger()
        QApplication.processEvents()  # as a person's clicks are: the window answers between
    # Every toggle is answered in order; the last left it playing or stopped (paused, or
    # "ready" when no step was made between the last play and pause). Then it plays on and
    # pauses as asked.
    qtbot.waitUntil(lambda: win.controller.state in ("playing", "paused", "ready"),
                    timeout=TIMEOUT_MS)
    qtbot.wait(500)  # the worker answers the toggles still queued (well within this)
    if win.controller.state != "playing":
        win.toggle_play()
    qtbot.waitUntil(lambda: win.controller.state == "playing" and win.run_data.n > 1,
                    timeout=TIMEOUT_MS)
    win.toggle_play()
    qtbot.waitUntil(lambda: win.controller.state == "paused", timeout=TIMEOUT_MS)
    settle(qtbot, win)
    data = win.run_data
    assert data.n > 1
    # Every row is the descent's own: no step lost, repeated or out of order.
    np.testing.assert_array_equal(data.epochs, np.arange(data.n))
    np.testing.assert_allclose(data.params[:, 0], closed_form(np.arange(data.n)), rtol=1e-9,
                               atol=1e-12)
    assert win.action("play").text() == "Play"
    assert all(run_buttons(win).values())
    n = data.n
    win.step()
    qtbot.waitUntil(lambda: win.run_data.n == n + 1, timeout=TIMEOUT_MS)


def test_switching_problem_engine_and_device_while_playing(window, qtbot, monkeypatch):
    win, c = window, window.controls
    guard = PlotGuard(monkeypatch)
    c.tolSpin.setValue(0.0)  # each run plays on until switched (no early stop at 10⁻⁶)
    c.epochsSpin.setValue(1_000_000)
    c.set_speed(500)

    def play() -> None:
        qtbot.waitUntil(lambda: win.controller.state == "ready", timeout=TIMEOUT_MS)
        win.toggle_play()
        n = win.run_data.n
        qtbot.waitUntil(lambda: win.controller.state == "playing" and win.run_data.n > n + 3,
                        timeout=TIMEOUT_MS)

    play()
    for tab in (REGRESSION_TAB, SURFACE_TAB, FUNCTION_TAB):
        c.problemTabs.setCurrentIndex(tab)  # a new run of the new problem, at epoch 0
        # Each problem tab keeps its own epochs (the regression's 50 last 0.1 s at this speed,
        # over before a poll under load sees it playing): this run too plays on until switched.
        c.epochsSpin.setValue(1_000_000)
        _ready(qtbot, win, epochs=1_000_000)
        assert win.run_data.n == 1
        play()
    c.engineCombo.setCurrentIndex(c.engineCombo.findData("torch"))
    _ready(qtbot, win, engine="torch")
    play()
    c.set_devices(["cpu", "cuda:99"])  # as if the probe had found one
    c.deviceCombo.setCurrentIndex(c.deviceCombo.findData("cuda:99"))
    qtbot.waitUntil(lambda: win.message_bar.isVisible(), timeout=TIMEOUT_MS)
    assert "cuda:99" in win.message_bar.text and "not available" in win.message_bar.text
    assert win.controller.state == "empty" and not any(run_buttons(win).values())
    c.deviceCombo.setCurrentIndex(c.deviceCombo.findData("cpu"))
    _ready(qtbot, win, device="cpu", engine="torch")
    assert not win.message_bar.isVisible()
    play()
    c.engineCombo.setCurrentIndex(c.engineCombo.findData("manual"))
    _ready(qtbot, win, engine="manual")
    play()
    win.toggle_play()
    qtbot.waitUntil(lambda: win.controller.state == "paused", timeout=TIMEOUT_MS)
    settle(qtbot, win)
    np.testing.assert_array_equal(win.run_data.epochs, np.arange(win.run_data.n))
    assert guard.bad == []
    assert_plots_finite(win)


@pytest.mark.parametrize("how", ["set_config", "session"])
def test_a_cuda_device_that_is_not_there_is_refused_with_a_message(window, qtbot, tmp_path,
                                                                   shown_dialogs, how):
    """The device list offers only what the probe found; a session from another machine, or a
    remembered setup, may still name a GPU this one lacks."""
    from gdstudio.core.io import session as core_session

    win = window
    config = RunConfig(problem=FunctionProblem("x**2 - 4*x + 5"), engine="torch",
                       device="cuda:99", epochs=20)
    if how == "set_config":
        win.controls.set_config(config)
    else:
        path = tmp_path / "gpu.gdstudio"
        core_session.save_session(path, core_session.Session(config=config))
        win.files.sessions.open_file(path)
    qtbot.waitUntil(lambda: win.message_bar.isVisible() or bool(shown_dialogs),
                    timeout=TIMEOUT_MS)
    text = win.message_bar.text if win.message_bar.isVisible() else shown_dialogs[-1][1]
    assert "cuda:99" in text and "not available" in text, text
    assert not any(run_buttons(win).values())
    c = win.controls
    if c.deviceCombo.currentData() == "cuda:99":  # choosing the CPU runs it
        c.deviceCombo.setCurrentIndex(c.deviceCombo.findData("cpu"))
    _ready(qtbot, win)
    win.run_to_end()
    qtbot.waitUntil(lambda: win.controller.state == "finished", timeout=TIMEOUT_MS)
    assert win.run_data.config.device == "cpu"


# --------------------------------------------------------------------------------------------
# closing while something runs
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("what", ["run to end", "race", "surface race"])
def test_closing_mid_run(qtbot, monkeypatch, what):
    win = _new_window(qtbot, monkeypatch)
    c = win.controls
    c.tolSpin.setValue(0.0)  # runs that are still going when the window closes
    if what == "surface race":
        c.problemTabs.setCurrentIndex(SURFACE_TAB)
        c.raceSetup.set_rates([1e-5, 2e-5, 5e-5])  # creeping along Rosenbrock's valley
    if what != "run to end":
        c.raceSetup.set_mode("lr")
    # long enough to be going when the poll sees it, even on a loaded machine (1 000 000 plain
    # epochs ran to their end in 0.55 s here: a stall that long, and it was over)
    c.epochsSpin.setValue(MAX_WINDOW_EPOCHS if what == "run to end" else 2_000_000)
    qtbot.waitUntil(lambda: win.controller.state == "ready"
                    and win.run_data.planned_epochs == c.epochsSpin.value(), timeout=TIMEOUT_MS)
    win.run_to_end()
    qtbot.waitUntil(lambda: win.controller.state == "playing" and win.run_data.n > 100,
                    timeout=TIMEOUT_MS)
    thread = win.controller.qthread
    win.close()
    running = [t.objectName() for t in registry.live_threads() if t.isRunning()]
    assert thread.isFinished() and _threads_stopped(), running


def test_closing_mid_gif_export(qtbot, monkeypatch, tmp_path):
    win = _new_window(qtbot, monkeypatch)
    win.run_to_end()
    qtbot.waitUntil(lambda: win.controller.state == "finished", timeout=TIMEOUT_MS)
    settle(qtbot, win)
    out = tmp_path / "out"
    out.mkdir()
    gif = win.files.export_gif(str(out / "run.gif"), frames=200, width=320, show_progress=True)
    outcomes = []
    gif.finished.connect(lambda outcome, _text: outcomes.append(outcome))
    with qtbot.waitSignal(gif.frameRendered, timeout=TIMEOUT_MS):
        pass
    encoder = gif.encoder
    win.close()
    assert outcomes == ["cancelled"]
    assert not encoder.running and _threads_stopped()
    assert list(out.iterdir()) == []  # no GIF, no half-written temporary file


def test_closing_mid_csv_load(qtbot, monkeypatch, tmp_path):
    win = _new_window(qtbot, monkeypatch)
    path = tmp_path / "big.csv"
    with open(path, "w") as fh:
        fh.write("x,y\n")
        fh.writelines(f"{i},{2 * i + 1}\n" for i in range(400_000))
    importer = win.files.importer
    config = win.run_data.config
    task = importer.load(str(path), 0, 1)
    # Wait for the load's first report to reach the dialog. (Not qtbot.waitSignal on the
    # task's own signal: a report queued from the loading thread after the wait had ended
    # reached the freed blocker once, in CI.)
    qtbot.waitUntil(lambda: importer.progress is not None and importer.progress.value() > 0,
                    timeout=TIMEOUT_MS)
    assert task.running
    win.close()
    assert not task.running and _threads_stopped()
    qtbot.waitUntil(lambda: importer.task is None, timeout=TIMEOUT_MS)
    assert win.run_data.config is config  # the half-read file was not applied
    assert not win.controls.csvRadio.isEnabled()


def test_closing_with_everything_at_once(qtbot, monkeypatch, tmp_path):
    """A run playing, a GIF being drawn and a file being read when the window closes."""
    win = _new_window(qtbot, monkeypatch)
    win.run_to_end()
    qtbot.waitUntil(lambda: win.controller.state == "finished", timeout=TIMEOUT_MS)
    settle(qtbot, win)
    gif = win.files.export_gif(str(tmp_path / "run.gif"), frames=200, width=320)
    path = tmp_path / "big.csv"
    path.write_text("x,y\n" + "".join(f"{i},{i}\n" for i in range(300_000)))
    task = win.files.importer.load(str(path), 0, 1)
    with qtbot.waitSignal(gif.frameRendered, timeout=TIMEOUT_MS):
        pass
    win.close()
    assert not task.running and _threads_stopped()
    assert not (tmp_path / "run.gif").exists()


# --------------------------------------------------------------------------------------------
# data too large for memory
# --------------------------------------------------------------------------------------------


def test_synthetic_data_too_large_is_refused_up_front(window, qtbot, monkeypatch):
    from gdstudio.core import data as core_data

    win, c = window, window.controls
    c.problemTabs.setCurrentIndex(REGRESSION_TAB)
    _ready(qtbot, win)
    config = win.run_data.config
    # 10^12 points, typed as a person would: refused beside the field, nothing generated.
    generated = []
    monkeypatch.setattr(core_data, "synthetic_data",
                        lambda *a, **k: generated.append(a) or pytest.fail("generated"))
    type_text(qtbot, c.pointsSpin, "1000000000000")
    assert c.pointsSpin.text() == "1000000000000"
    assert c.pointsError.isVisible() and "at most 10,000,000" in c.pointsError.text()
    assert not any(run_buttons(win).values())
    press_enter(qtbot, c.pointsSpin)  # Enter keeps the last good value
    assert c.pointsSpin.value() == 100 and not c.pointsError.isVisible()
    assert generated == [] and win.run_data.config is config
    monkeypatch.undo()

    # Within the field's range but more than this machine's memory: the core's check, up front.
    monkeypatch.setattr(core_data, "available_memory", lambda: 64 * 2**20)
    type_text(qtbot, c.pointsSpin, "5,000,000")
    press_enter(qtbot, c.pointsSpin)
    assert c.dataError.isVisible()
    assert "5,000,000 points need about" in c.dataError.text()
    assert "memory" in c.dataError.text()
    assert not any(run_buttons(win).values())
    assert win.run_data.config is config
    monkeypatch.undo()
    type_text(qtbot, c.pointsSpin, "200")
    press_enter(qtbot, c.pointsSpin)
    _ready(qtbot, win)
    assert win.run_data.config.problem.n == 200 and not c.dataError.isVisible()
