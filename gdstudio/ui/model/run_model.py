"""The one model the window's panels observe: the run set up, its rows, a race, the epoch shown.

Data flows one way::

    setup panel ─ RunConfig ─▶ worker thread (core Descent / Race)
                                   │ StepBatch / RaceBatch (NumPy arrays)
                                   ▼
                               RunModel ── events ──▶ plots, tables, status, analysis

The window feeds the model what the worker sends (:meth:`RunModel.take_reset`,
:meth:`RunModel.take_rows`, …) and never pushes state into a panel by hand: each view connects
to the events it needs once, at construction. No Qt here; the model is tested without a
QApplication.

Events (``model.events.<name>.connect(callback)``):

``began(config, race)``
    a new run (or race) is set up; nothing of it is computed yet.
``reset()``
    the run's first rows have arrived: the rows shown start over.
``rows(first, stop)``
    rows ``first … stop−1`` were added to the run shown (a race: to the lane shown too).
``lane(j)``
    the race's lane ``j`` is now the one shown in the history and the status line.
``epoch(epoch)``
    the epoch looked at changed (None: the newest, following the run).
``state(state)``
    the worker's state (one of :data:`STATES`).
``lr(change)``
    the learning rate changed mid-run (an :class:`~.run_data.LrChange`).
``analysis(analysis)``
    the theory of the problem set up arrived (see :mod:`gdstudio.ui.threads.analysis`).
"""

from __future__ import annotations

from typing import Any

from gdstudio.core import RunConfig, StepBatch
from gdstudio.core.race import RaceBatch
from gdstudio.core.race.lanes import RaceSpec
from gdstudio.ui.model.events import Event
from gdstudio.ui.model.race_data import RaceData
from gdstudio.ui.model.run_data import LrChange, RunData

__all__ = ["RunModel", "RunEvents", "STATES"]

#: The worker's states: no usable run / at epoch 0 / stopped mid-run / playing / run over /
#: stopped by an internal error.
STATES = ("empty", "ready", "paused", "playing", "finished", "error")


class RunEvents:
    """The model's events (see the module's docstring)."""

    def __init__(self) -> None:
        self.began = Event("began")
        self.reset = Event("reset")
        self.rows = Event("rows")
        self.lane = Event("lane")
        self.epoch = Event("epoch")
        self.state = Event("state")
        self.lr = Event("lr")
        self.analysis = Event("analysis")


class RunModel:
    """What the window shows; changed on the GUI thread, observed by the panels."""

    def __init__(self) -> None:
        self.events = RunEvents()
        #: The run set up (a race: its base configuration); None before the first one.
        self.config: RunConfig | None = None
        #: The race set up, or None for a single run.
        self.race: RaceSpec | None = None
        #: The single run, or the race lane shown (the history table reads it).
        self.run = RunData()
        #: Every lane of the race (empty for a single run).
        self.race_data = RaceData()
        #: The lane of the race shown in the history and the status line.
        self.lane = 0
        #: The epoch looked at (the history slider); None: the newest.
        self.epoch: int | None = None
        #: The worker's state, as it last reported it.
        self.state = "empty"
        #: The theory of the problem set up (None until it has been worked out).
        self.analysis: Any = None

    @property
    def racing(self) -> bool:
        return self.race is not None

    # --- set up ------------------------------------------------------------------------------

    def begin(self, config: RunConfig, race: RaceSpec | None) -> None:
        """A new run of ``config`` (or ``race``) is set up; its rows will follow."""
        self.config = config
        self.race = race
        self.epoch = None
        self.state = "empty"
        self.analysis = None
        if race is not None:
            self.lane = min(self.lane, len(race.lanes) - 1)
        shown = race.lane_config(self.lane) if race is not None else config
        self.run.reset(shown, tuple(config.problem.param_names))
        self.race_data.reset(race)
        self.events.began.emit(config, race)

    # --- what the worker sends ---------------------------------------------------------------

    def take_reset(self, batch: StepBatch | RaceBatch, config: RunConfig | RaceSpec) -> None:
        """The first rows of the run (or race) ``config``."""
        if isinstance(config, RaceSpec):
            assert isinstance(batch, RaceBatch)
            self.race = config
            self.race_data.reset(config)
            self.race_data.append(batch)
            self.lane = min(self.lane, len(config.lanes) - 1)
            self._load_lane()
        else:
            assert isinstance(batch, StepBatch)
            self.run.reset(config, tuple(config.problem.param_names))
            self.run.append(batch)
        self.events.reset.emit()

    def take_rows(self, batch: StepBatch | RaceBatch) -> bool:
        """New rows of the current run; False (and nothing changes) for rows out of order."""
        if isinstance(batch, RaceBatch):
            if self.race_data.spec is None or batch.start != self.race_data.n:
                return False
            self.race_data.append(batch)
            lane = self.race_data.lane_batch(self.lane, self.run.n)
            if not (len(lane) or lane.finished != self.run.finished):
                self.events.rows.emit(self.run.n, self.run.n)
                return True
            batch_for_run: StepBatch = lane
        else:
            if batch.start != self.run.n:
                return False
            batch_for_run = batch
        first, stop = self.run.append(batch_for_run)
        self.events.rows.emit(first, stop)
        return True

    def set_state(self, state: str) -> None:
        if state not in STATES:
            raise ValueError(f"unknown state {state!r}")
        self.state = state
        self.events.state.emit(state)

    def apply_lr(self, epoch: int, lr: float) -> None:
        """The learning rate became ``lr`` after ``epoch`` (a change made mid-run)."""
        change = LrChange(int(epoch), float(lr))
        self.run.lr_changes.append(change)
        self.events.lr.emit(change)

    def set_analysis(self, analysis: Any) -> None:
        self.analysis = analysis
        self.events.analysis.emit(analysis)

    # --- what the person looks at ------------------------------------------------------------

    def select_lane(self, j: int) -> None:
        """Show lane ``j`` of the race in the history and the status line."""
        race = self.race
        if race is None or not 0 <= j < len(race.lanes) or j == self.lane:
            self.lane = max(0, j)
            return
        self.lane = j
        self._load_lane()
        self.events.lane.emit(j)

    def select_epoch(self, epoch: int | None) -> None:
        """Look at ``epoch`` (None: follow the run's newest)."""
        epoch = None if epoch is None else max(0, int(epoch))
        if epoch != self.epoch:
            self.epoch = epoch
            self.events.epoch.emit(epoch)

    def shown_run(self) -> RunData:
        """The run (or the lane shown) as it was at the epoch looked at."""
        return self.run if self.epoch is None else self.run.upto(self.epoch)

    def rows_in_view(self) -> int:
        """Rows the history slider spans: the race's, or the run's."""
        return self.race_data.n if self.racing else self.run.n

    def _load_lane(self) -> None:
        race = self.race
        if race is None:
            return
        self.run.reset(race.lane_config(self.lane), tuple(race.config.problem.param_names))
        if self.race_data.n:
            self.run.append(self.race_data.lane_batch(self.lane, 0))
