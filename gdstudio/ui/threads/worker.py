"""The run, off the GUI thread: a :class:`DescentWorker` on a QThread drives the core's Descent.

Wiring (superqt's pattern)::

    GUI thread                                   worker thread
    RunController ── queued command signals ──▶  DescentWorker (owns Descent, QTimer)
                  ◀── queued result signals ───  runReset / stepsAdvanced / stateChanged / …

* Commands arrive as queued signals, so they are handled in order, between two ticks.
* Pacing is a QTimer living in the worker's thread: no sleeps, no ``processEvents`` loops.
  Up to 60 steps/s the timer fires once per step; above that it fires once per frame and makes
  as many steps as the elapsed time allows; at "as fast as possible" (and Run to end) each tick
  advances in blocks, sized by how long a block takes, for one frame's worth of time. Either
  way the GUI receives at most ~60 batches per second, each a :class:`StepBatch` of NumPy arrays.
* Every batch, state and error carries the id of the run it belongs to; the controller drops
  what belongs to an older run (a reset may cross batches already in flight).
* Shutdown: a stop flag (``threading.Event``, read inside long ticks) → a queued ``shutdown``
  that stops the timer and quits the thread's loop → ``QThread.wait()`` in the GUI thread.
* The thread is kept in the registry (:mod:`.registry`), never owned by a widget, so it cannot
  be destroyed while it runs; the app's ``aboutToQuit`` stops it. One-shot work off the GUI
  thread goes through :mod:`.tasks` (the same registry).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from gdstudio.core import Descent, InputError, RunConfig, StepBatch
from gdstudio.core.race import Race, RaceBatch
from gdstudio.core.race.lanes import RaceSpec
from gdstudio.ui.model.run_model import STATES
from gdstudio.ui.threads.registry import register_thread

__all__ = [
    "DescentWorker",
    "RunController",
    "FRAME_SECONDS",
    "STATES",
]

log = logging.getLogger(__name__)

#: The longest a tick computes before handing a batch to the GUI (one frame at 60 Hz).
FRAME_SECONDS = 1.0 / 60.0
#: At full speed the worker rests this long between ticks. Python runs one thread at a time
#: (the GIL): these pauses leave the GUI thread whole slices of time to draw and to answer
#: clicks, instead of fighting for every step of a frame.
FAST_IDLE_MS = 4
#: ...and computes for the rest of a frame.
FAST_BUDGET_SECONDS = FRAME_SECONDS - FAST_IDLE_MS / 1000.0
#: At full speed the worker pauses (at most this long) while the window draws a frame: every
#: call from Qt into Python in the GUI thread (a paint, an event filter, a slot) must take the
#: interpreter lock back from a busy worker, which multiplies a frame's cost; so the frame is
#: drawn alone, and the worker computes between frames.
FRAME_WAIT_SECONDS = 0.05
#: A full-speed tick advances in blocks whose size adapts to take between these times.
BLOCK_SECONDS = (0.0015, 0.004)

_F = TypeVar("_F", bound=Callable[..., Any])

# --------------------------------------------------------------------------------------------
# The worker
# --------------------------------------------------------------------------------------------


def _guarded(method: _F) -> _F:
    """Turn any exception escaping a worker slot into a ``failed`` signal (never a crash)."""

    @wraps(method)
    def wrapper(self: DescentWorker, *args: Any) -> Any:
        try:
            return method(self, *args)
        except Exception as err:  # noqa: BLE001 - the worker must survive anything
            self._fail(err)
            return None

    return wrapper  # type: ignore[return-value]


class DescentWorker(QObject):
    """Owns one :class:`~gdstudio.core.descent.loop.Descent` at a time; lives in the worker thread.

    Talk to it only through signals (see :class:`RunController`).
    """

    # Results, each tagged with the run id it belongs to.
    # A race sends the core's RaceBatch and its RaceSpec in place of StepBatch and RunConfig.
    runReset = Signal(int, object, object)  # run id, initial StepBatch (row 0), RunConfig
    stepsAdvanced = Signal(int, object)  # run id, StepBatch
    stateChanged = Signal(int, str)  # run id, one of STATES
    lrApplied = Signal(int, int, float)  # run id, epoch after which it applies, lr
    failed = Signal(int, str, bool)  # run id, message, True if a bug (not the person's input)

    # Emitted from any thread to stop the worker (queued into its own thread).
    shutdownRequested = Signal()

    def __init__(self, stop: threading.Event | None = None,
                 drawn: threading.Event | None = None) -> None:
        super().__init__()
        self.setObjectName("descentWorker")
        self._stop = stop or threading.Event()
        # Set while the window has drawn every batch sent (see FRAME_WAIT_SECONDS).
        if drawn is None:
            drawn = threading.Event()
            drawn.set()
        self._drawn = drawn
        self._descent: Descent | Race | None = None  # a single run, or a race of several
        self._run_id = 0
        self._state = "empty"
        self._speed = 10.0  # steps per second; <= 0: as fast as possible
        self._to_end = False
        self._credit = 0.0
        self._last_tick = 0.0
        self._block = 64
        # A child moves with its parent to the worker thread; started only from there.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self.shutdownRequested.connect(self.shutdown, Qt.ConnectionType.QueuedConnection)

    # --- state -------------------------------------------------------------------------------

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
        self.stateChanged.emit(self._run_id, state)

    def _state_after_batch(self) -> str:
        d = self._descent
        if d is None:
            return "empty"
        if d.finished:
            return "finished"
        return "ready" if d.epoch == 0 else "paused"

    def _fail(self, err: BaseException) -> None:
        self._timer.stop()
        self._to_end = False
        # The state first: when the message shows, the buttons already say what can be done.
        if isinstance(err, InputError):
            self._descent = None
            self._set_state("empty")
            self.failed.emit(self._run_id, str(err), False)
            return
        log.error("error in the run (run %d)", self._run_id, exc_info=err)
        self._set_state("error")
        self.failed.emit(
            self._run_id,
            f"The run stopped because of an internal error: {type(err).__name__}: {err}. "
            "Press Reset to start again.",
            True,
        )

    # --- commands (slots; reached through queued signals) ----------------------------------

    @Slot(int, object)
    @_guarded
    def configure(self, run_id: int, config: RunConfig | RaceSpec) -> None:
        """Start a new run of ``config``, or a race (the old one, if any, is dropped)."""
        self._timer.stop()
        self._to_end = False
        self._run_id = run_id
        self._descent = None
        self._descent = Race(config) if isinstance(config, RaceSpec) else Descent(config)
        self.runReset.emit(run_id, self._descent.initial_batch(), config)
        self._set_state(self._state_after_batch())

    @Slot(int, object, int, object)
    @_guarded
    def resume(self, run_id: int, config: RunConfig, epochs: int,
               lr_changes: Sequence[tuple[int, float]]) -> None:
        """Start a run of ``config`` and bring it to epoch ``epochs`` (a reopened session).

        The learning-rate changes recorded in the run (``(epoch, lr)`` pairs) are made again at
        their epochs (the core's :meth:`Descent.advance_to`, as ``gdstudio run --session``
        does), so the run is the one that was saved, and it can go on from there. It is
        reported as one reset holding every row, then its lr changes, then its state.
        """
        self._timer.stop()
        self._to_end = False
        self._run_id = run_id
        self._descent = None
        d = Descent(config).advance_to(epochs, lr_changes, should_stop=self._stop.is_set)
        self._descent = d
        self.runReset.emit(run_id, d.initial_batch(), config)
        for epoch, lr in d.lr_changes:
            self.lrApplied.emit(run_id, epoch, lr)
        self._set_state(self._state_after_batch())

    @Slot()
    @_guarded
    def step(self) -> None:
        """One update (ignored while playing or when there is nothing to advance)."""
        if self._descent is None or self._state in ("playing", "error") or self._descent.finished:
            return
        self._emit(self._descent.advance(1))  # (a Descent's or a Race's batch)
        self._set_state(self._state_after_batch())

    @Slot()
    @_guarded
    def play(self) -> None:
        self._start(to_end=False)

    @Slot()
    @_guarded
    def run_to_end(self) -> None:
        self._start(to_end=True)

    def _start(self, *, to_end: bool) -> None:
        if self._descent is None or self._state == "error" or self._descent.finished:
            return
        self._to_end = to_end
        self._credit = 0.0
        self._last_tick = time.perf_counter()
        self._set_state("playing")
        self._timer.start(0)  # the first step at once

    @Slot()
    @_guarded
    def pause(self) -> None:
        if self._state != "playing":
            return
        self._timer.stop()
        self._to_end = False
        self._set_state(self._state_after_batch())

    @Slot(float)
    @_guarded
    def set_lr(self, lr: float) -> None:
        """Use ``lr`` from the next update on."""
        d = self._descent
        if not isinstance(d, Descent) or d.finished:  # a race's lanes keep their own rates
            return
        if lr != d.lr:
            d.lr = lr
            self.lrApplied.emit(self._run_id, d.epoch, d.lr)

    @Slot(float)
    @_guarded
    def set_speed(self, steps_per_second: float) -> None:
        """Steps per second while playing; 0 (or less) for as fast as possible."""
        self._speed = float(steps_per_second)
        if self._timer.isActive():
            self._credit = 0.0
            self._last_tick = time.perf_counter()
            self._timer.start(0)

    @Slot()
    def shutdown(self) -> None:
        """Stop the timer, drop the run and end the thread's event loop (in this thread)."""
        self._timer.stop()
        self._descent = None
        thread = self.thread()
        if thread is not None:
            thread.quit()

    # --- pacing ------------------------------------------------------------------------------

    def _fast(self) -> bool:
        return self._to_end or self._speed <= 0

    def _period_ms(self) -> float:
        """Milliseconds between two paced ticks: one step each up to 60 steps/s, else a frame."""
        return max(1000.0 / self._speed, 1000.0 * FRAME_SECONDS)

    @Slot()
    @_guarded
    def _tick(self) -> None:
        d = self._descent
        if d is None or self._state != "playing" or self._stop.is_set():
            return
        if self._fast() and not self._drawn.is_set():
            self._drawn.wait(FRAME_WAIT_SECONDS)  # sleeps: the GUI thread draws alone
            if self._stop.is_set():
                return
        began = time.perf_counter()
        batch: StepBatch | RaceBatch | None
        if self._fast():
            batch = self._advance_for(FAST_BUDGET_SECONDS)
        else:
            if self._speed <= 1.0 / FRAME_SECONDS:
                n = 1  # one step per tick
            else:  # as many steps as the time since the last tick is worth
                self._credit += self._speed * (began - self._last_tick)
                self._credit = min(self._credit, self._speed * 0.25)  # no burst after a stall
                n = int(self._credit)
                self._credit -= n
            self._last_tick = began
            batch = d.advance(n) if n > 0 else None
        if batch is not None:
            self._emit(batch)
        if d.finished:
            self._to_end = False
            self._set_state("finished")
            return
        # Single-shot, re-armed here: the pause between ticks is real even after a long tick.
        if self._fast():
            self._timer.start(FAST_IDLE_MS)
        else:
            spent_ms = 1000.0 * (time.perf_counter() - began)
            self._timer.start(max(0, round(self._period_ms() - spent_ms)))

    def _advance_for(self, seconds: float) -> StepBatch | RaceBatch:
        """Advance in blocks for about ``seconds``; blocks grow while each is quick."""
        d = self._descent
        assert d is not None
        cap = 1 << 16 if d.config.engine == "manual" else 4096
        began = time.perf_counter()
        parts: list[Any] = []
        while not d.finished and not self._stop.is_set():
            t = time.perf_counter()
            parts.append(d.advance(self._block))
            took = time.perf_counter() - t
            # Blocks of 1.5-4 ms: the window's frame may begin at any moment, and it waits
            # for the block under way to end (see FRAME_WAIT_SECONDS).
            if took < BLOCK_SECONDS[0] and self._block < cap:
                self._block = min(2 * self._block, cap)
            elif took > BLOCK_SECONDS[1] and self._block > 1:
                self._block //= 2
            if time.perf_counter() - began >= seconds or not self._drawn.is_set():
                break  # a frame's worth, or the window is drawing: hand over what we have
        if not parts:
            parts.append(d.advance(0))
        return type(parts[0]).concat(parts)

    def _emit(self, batch: StepBatch | RaceBatch) -> None:
        if len(batch) or batch.finished:
            self.stepsAdvanced.emit(self._run_id, batch)


# --------------------------------------------------------------------------------------------
# The GUI thread's handle on the worker
# --------------------------------------------------------------------------------------------


class RunController(QObject):
    """Starts the worker thread and speaks to it; re-emits results of the current run only.

    Methods are commands (safe to call at any time from the GUI thread); signals are results.
    """

    # Commands to the worker (queued).
    _configureRequested = Signal(int, object)
    _resumeRequested = Signal(int, object, int, object)
    _stepRequested = Signal()
    _playRequested = Signal()
    _pauseRequested = Signal()
    _runToEndRequested = Signal()
    _lrRequested = Signal(float)
    _speedRequested = Signal(float)

    # Results (GUI thread), for the current run only.
    runReset = Signal(object, object)  # initial StepBatch, RunConfig
    stepsAdvanced = Signal(object)  # StepBatch
    stateChanged = Signal(str)
    lrApplied = Signal(int, float)  # epoch, lr
    failed = Signal(str, bool)  # message, internal

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._run_id = 0
        self._state = "empty"
        self._stop = threading.Event()
        self._drawn = threading.Event()
        self._drawn.set()
        self._holding = False
        self._held: tuple[Any, tuple[Any, ...]] | None = None  # the latest request while held
        # No Qt parent: the registry keeps the thread alive until it has finished, so it can
        # never be destroyed while running, whatever happens to the window.
        self._thread = QThread()
        self._thread.setObjectName("gdstudioDescentThread")
        self._worker = DescentWorker(self._stop, self._drawn)
        self._worker.moveToThread(self._thread)

        queued = Qt.ConnectionType.QueuedConnection
        self._configureRequested.connect(self._worker.configure, queued)
        self._resumeRequested.connect(self._worker.resume, queued)
        self._stepRequested.connect(self._worker.step, queued)
        self._playRequested.connect(self._worker.play, queued)
        self._pauseRequested.connect(self._worker.pause, queued)
        self._runToEndRequested.connect(self._worker.run_to_end, queued)
        self._lrRequested.connect(self._worker.set_lr, queued)
        self._speedRequested.connect(self._worker.set_speed, queued)

        self._worker.runReset.connect(self._on_run_reset, queued)
        self._worker.stepsAdvanced.connect(self._on_steps, queued)
        self._worker.stateChanged.connect(self._on_state, queued)
        self._worker.lrApplied.connect(self._on_lr_applied, queued)
        self._worker.failed.connect(self._on_failed, queued)

        self._thread.finished.connect(self._worker.deleteLater)
        self._thread.finished.connect(self._thread.deleteLater)
        worker = self._worker
        register_thread(self._thread, self._stop,
                        lambda: worker.shutdownRequested.emit() if shiboken6.isValid(worker)
                        else None)
        self._thread.start()

    # --- commands ----------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """The current run's state as last reported by the worker (one of :data:`STATES`)."""
        return self._state

    @property
    def qthread(self) -> QThread:
        """The worker's thread (for tests and diagnostics)."""
        return self._thread

    @property
    def running(self) -> bool:
        return shiboken6.isValid(self._thread) and self._thread.isRunning()

    def configure(self, config: RunConfig | RaceSpec) -> int:
        """Start a new run or race (dropping the current one); returns its id."""
        self._run_id += 1
        self._state = "empty"
        self._send(self._configureRequested, (self._run_id, config))
        return self._run_id

    def resume(self, config: RunConfig, epochs: int,
               lr_changes: Sequence[tuple[int, float]] = ()) -> int:
        """Start a run of ``config`` brought to epoch ``epochs`` with these lr changes made
        again (a reopened session); returns its id. Reported as one :attr:`runReset`."""
        self._run_id += 1
        self._state = "empty"
        self._send(self._resumeRequested, (self._run_id, config, int(epochs), tuple(lr_changes)))
        return self._run_id

    def frame_pending(self) -> None:
        """The window is drawing a frame: at full speed the worker waits (briefly)."""
        self._drawn.clear()

    def frame_drawn(self) -> None:
        """The window has drawn what it received: the worker may go on."""
        self._drawn.set()

    def hold(self) -> None:
        """Keep new runs to myself until :meth:`release` (the window, until it is on screen:
        building a run's first row may import SymPy, which would compete with the first paint).
        Only the latest :meth:`configure` or :meth:`resume` is kept."""
        self._holding = True

    def release(self) -> None:
        """Send the run asked for while held, if any."""
        self._holding = False
        held, self._held = self._held, None
        if held is not None:
            signal, args = held
            signal.emit(*args)

    def _send(self, signal: Any, args: tuple[Any, ...]) -> None:
        if self._holding:
            self._held = (signal, args)
        else:
            signal.emit(*args)

    def step(self) -> None:
        self._stepRequested.emit()

    def play(self) -> None:
        self._playRequested.emit()

    def pause(self) -> None:
        self._pauseRequested.emit()

    def run_to_end(self) -> None:
        self._runToEndRequested.emit()

    def set_lr(self, lr: float) -> None:
        self._lrRequested.emit(float(lr))

    def set_speed(self, steps_per_second: float) -> None:
        self._speedRequested.emit(float(steps_per_second))

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Stop the worker and wait for its thread to finish; True when it has."""
        if not shiboken6.isValid(self._thread):
            return True
        self._stop.set()
        self._drawn.set()  # never leave the worker waiting for a frame
        if self._thread.isRunning():
            if shiboken6.isValid(self._worker):
                self._worker.shutdownRequested.emit()
            else:  # pragma: no cover - the worker is deleted only after the thread finished
                self._thread.quit()
            if not self._thread.wait(timeout_ms):  # pragma: no cover - a stuck engine
                log.warning("the run's thread did not stop within %d ms", timeout_ms)
                return False
        return True

    # --- results -----------------------------------------------------------------------------

    def _current(self, run_id: int) -> bool:
        return run_id == self._run_id

    @Slot(int, object, object)
    def _on_run_reset(self, run_id: int, batch: StepBatch, config: RunConfig) -> None:
        if self._current(run_id):
            self.runReset.emit(batch, config)

    @Slot(int, object)
    def _on_steps(self, run_id: int, batch: StepBatch) -> None:
        if self._current(run_id):
            self.stepsAdvanced.emit(batch)

    @Slot(int, str)
    def _on_state(self, run_id: int, state: str) -> None:
        if self._current(run_id):
            self._state = state
            self.stateChanged.emit(state)

    @Slot(int, int, float)
    def _on_lr_applied(self, run_id: int, epoch: int, lr: float) -> None:
        if self._current(run_id):
            self.lrApplied.emit(epoch, lr)

    @Slot(int, str, bool)
    def _on_failed(self, run_id: int, message: str, internal: bool) -> None:
        if self._current(run_id):
            self.failed.emit(message, internal)
