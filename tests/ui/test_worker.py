"""The worker thread on its own: pacing, coalescing, run ids, errors, shutdown."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gdstudio.core import Descent, FunctionProblem, RegressionProblem, RunConfig
from gdstudio.ui.threads.registry import live_threads
from gdstudio.ui.threads.worker import FRAME_SECONDS, RunController


class Recorder:
    """Everything a controller emits, with arrival times."""

    def __init__(self, controller: RunController) -> None:
        self.batches: list = []
        self.times: list[float] = []
        self.resets: list = []
        self.states: list[str] = []
        self.failures: list[tuple[str, bool]] = []
        controller.stepsAdvanced.connect(self._on_batch)
        controller.runReset.connect(lambda batch, config: self.resets.append((batch, config)))
        controller.stateChanged.connect(self.states.append)
        controller.failed.connect(lambda message, internal: self.failures.append(
            (message, internal)))

    def _on_batch(self, batch) -> None:
        self.batches.append(batch)
        self.times.append(time.perf_counter())

    def rows(self) -> int:
        return sum(len(b) for b in self.batches)


@pytest.fixture
def controller(qtbot):
    c = RunController()
    thread = c.qthread
    yield c
    assert c.shutdown()
    assert thread not in live_threads()


def configure(qtbot, controller, config) -> None:
    with qtbot.waitSignal(controller.runReset, timeout=10_000):
        controller.configure(config)
    qtbot.waitUntil(lambda: controller.state in ("ready", "finished"))


def quadratic(**kw) -> RunConfig:
    return RunConfig(problem=FunctionProblem("x**2 - 4*x + 5"), x0=7.0, **kw)


def test_run_to_end_reaches_the_gui_at_most_60_times_a_second(qtbot, controller):
    epochs = 600_000
    rec = Recorder(controller)
    configure(qtbot, controller, quadratic(lr=1e-3, epochs=epochs))
    emitted: list[float] = []  # stamped in the worker thread, at the moment of each emit
    controller._worker.stepsAdvanced.connect(
        lambda *_: emitted.append(time.perf_counter()), Qt.ConnectionType.DirectConnection)
    began = time.perf_counter()
    controller.run_to_end()
    qtbot.waitUntil(lambda: controller.state == "finished", timeout=60_000)
    elapsed = time.perf_counter() - began
    assert rec.rows() == epochs  # every update arrived, in order, no gaps
    starts = [b.start for b in rec.batches]
    stops = [b.stop for b in rec.batches]
    assert starts[0] == 1 and starts[1:] == stops[:-1] and stops[-1] == epochs + 1
    assert rec.batches[-1].finished and rec.batches[-1].status == "max_epochs"
    # ≤ ~60 batches per second, however fast the steps run (+2 for the first and the last)
    assert len(rec.batches) <= elapsed / FRAME_SECONDS * 1.1 + 2, (len(rec.batches), elapsed)
    assert len(rec.batches) < epochs / 1000  # blocks, not single steps
    gaps = np.diff(emitted)
    assert len(emitted) == len(rec.batches)
    assert np.median(gaps) >= 0.6 * FRAME_SECONDS
    # numbers identical to the headless run
    reference = Descent(quadratic(lr=1e-3, epochs=epochs)).run_to_end().history()
    last = rec.batches[-1]
    assert last.params[-1, 0] == reference.params[-1, 0]


def test_play_is_paced_one_step_per_tick(qtbot, controller):
    rec = Recorder(controller)
    configure(qtbot, controller, quadratic(lr=0.1, epochs=1000))
    controller.set_speed(40)
    began = time.perf_counter()
    controller.play()
    qtbot.waitUntil(lambda: rec.rows() >= 12, timeout=10_000)
    elapsed = time.perf_counter() - began
    controller.pause()
    qtbot.waitUntil(lambda: controller.state == "paused")
    assert all(len(b) == 1 for b in rec.batches)
    assert elapsed >= 0.6 * 11 / 40  # 40 steps/s: a dozen steps take about 0.3 s


def test_fast_play_takes_several_steps_per_frame(qtbot, controller):
    rec = Recorder(controller)
    configure(qtbot, controller, quadratic(lr=1e-3, epochs=100_000))
    controller.set_speed(5000)
    controller.play()
    qtbot.waitUntil(lambda: rec.rows() >= 2000, timeout=10_000)
    controller.pause()
    qtbot.waitUntil(lambda: controller.state == "paused")
    assert max(len(b) for b in rec.batches) > 10


def test_a_new_run_drops_batches_of_the_old_one(qtbot, controller):
    rec = Recorder(controller)
    configure(qtbot, controller, quadratic(lr=1e-3, epochs=5_000_000))
    controller.run_to_end()
    qtbot.waitUntil(lambda: len(rec.batches) >= 2, timeout=10_000)
    controller.configure(quadratic(lr=0.1, epochs=10))
    old = len(rec.batches)
    qtbot.waitUntil(lambda: len(rec.resets) == 2, timeout=10_000)
    assert len(rec.batches) == old  # nothing of the old run got through after configure()
    qtbot.waitUntil(lambda: controller.state == "ready")
    controller.step()
    qtbot.waitUntil(lambda: len(rec.batches) == old + 1)
    assert rec.batches[-1].start == 1 and rec.batches[-1].params[0, 0] == pytest.approx(6.0)


def test_learning_rate_applies_from_the_next_update(qtbot, controller):
    rec = Recorder(controller)
    configure(qtbot, controller, quadratic(lr=0.1, epochs=10))
    controller.step()
    controller.set_lr(0.25)
    controller.step()
    qtbot.waitUntil(lambda: rec.rows() == 2)
    x1 = rec.batches[0].params[0, 0]
    x2 = rec.batches[1].params[0, 0]
    assert x1 == pytest.approx(6.0)
    assert x2 == pytest.approx(x1 - 0.25 * (2 * x1 - 4))


def test_bad_input_becomes_a_message(qtbot, controller):
    rec = Recorder(controller)
    config = RunConfig(problem=FunctionProblem("log(x)"), x0=-1.0, lr=0.1)
    with qtbot.waitSignal(controller.failed, timeout=10_000):
        controller.configure(config)
    qtbot.waitUntil(lambda: controller.state == "empty")
    message, internal = rec.failures[-1]
    assert not internal and "x = -1" in message
    controller.step()  # nothing to step: ignored, no crash
    configure(qtbot, controller, quadratic(lr=0.1))


def test_an_exception_in_a_step_stops_the_run_not_the_thread(qtbot, controller, monkeypatch):
    rec = Recorder(controller)
    configure(qtbot, controller, quadratic(lr=0.1))

    def broken(self, n=1):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(Descent, "advance", broken)
    with qtbot.waitSignal(controller.failed, timeout=10_000):
        controller.play()
    qtbot.waitUntil(lambda: controller.state == "error")
    message, internal = rec.failures[-1]
    assert internal and "ZeroDivisionError: boom" in message
    assert controller.running
    monkeypatch.undo()
    configure(qtbot, controller, quadratic(lr=0.1))
    controller.step()
    qtbot.waitUntil(lambda: rec.rows() == 1)


def test_regression_diverges_and_says_where(qtbot, controller):
    rec = Recorder(controller)
    configure(qtbot, controller, RunConfig(problem=RegressionProblem.synthetic(), lr=1e-2))
    controller.run_to_end()
    qtbot.waitUntil(lambda: controller.state == "finished", timeout=10_000)
    last = rec.batches[-1]
    assert last.status == "diverged" and last.message.startswith("diverged at epoch")


def test_shutdown_while_running_to_end(qtbot):
    c = RunController()
    rec = Recorder(c)
    configure(qtbot, c, quadratic(lr=1e-3, epochs=50_000_000))
    c.run_to_end()
    qtbot.waitUntil(lambda: len(rec.batches) >= 1, timeout=10_000)
    thread = c.qthread
    assert thread in live_threads()
    assert c.shutdown(timeout_ms=10_000)
    assert thread.isFinished()
    assert thread not in live_threads()


def test_devices_are_probed_in_a_child_process(monkeypatch):
    # The window lists torch devices without importing torch itself (that would hold the
    # interpreter lock for a second); the child's answer is the core's own.
    import sys

    from gdstudio.core.descent.devices import available_devices
    from gdstudio.ui.threads.devices import probe_devices_in_subprocess

    before = "torch" in sys.modules
    found = probe_devices_in_subprocess()
    assert ("torch" in sys.modules) == before
    assert found == available_devices()
    assert found[0] == "cpu"
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    assert probe_devices_in_subprocess() == ["cpu"]
