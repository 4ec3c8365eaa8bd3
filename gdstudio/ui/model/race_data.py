"""The GUI thread's copy of a race: every lane's rows, fed by the worker's core
:class:`~gdstudio.core.race.RaceBatch`\\ es.

Like :class:`~gdstudio.ui.model.run_data.RunData` for a single run, the arrays grow by amortised
doubling (a step costs O(its rows × lanes)) and the panels read views of them. Per lane it keeps
its length (rows past it are not its history), status, message, whether it has stopped, and the
first epoch at which |gradient| ≤ the report tolerance (the core's race keeps it).
No Qt here (the lanes' colours are the theme's: :func:`gdstudio.ui.theme.run_colors`).
"""

from __future__ import annotations

import numpy as np

from gdstudio.core import StepBatch
from gdstudio.core.race import RaceBatch
from gdstudio.core.race.lanes import RaceSpec
from gdstudio.core.rows import GrowingRows

__all__ = ["RaceData", "MAX_WINDOW_LANES"]

#: Numbers (every lane's parameters, loss, gradient) reserved for a race at its start.
PREALLOCATE_VALUES = 1 << 25
#: Most lanes a race may have in the window (each is a curve on every plot).
MAX_WINDOW_LANES = 24


class RaceData:
    """Rows 0…n−1 of every lane of the current race, and each lane's state."""

    def __init__(self) -> None:
        self.spec: RaceSpec | None = None
        self._allocate(0, 1, 16)

    def _allocate(self, lanes: int, k: int, capacity: int) -> None:
        self.K = lanes
        self.k = k
        self._rows = GrowingRows({"params": (lanes, k), "loss": (lanes,), "grad": (lanes, k)},
                                 capacity, prefault=True)
        self.lengths = np.zeros(lanes, dtype=np.int64)
        self.statuses: tuple[str, ...] = ("",) * lanes
        self.messages: tuple[str, ...] = ("",) * lanes
        self.done = np.zeros(lanes, dtype=bool)
        self.finished = False
        #: First epoch with |gradient| ≤ report tol, per lane (−1: not yet).
        self.epochs_to_tol = np.full(lanes, -1, dtype=np.int64)
        self._scanned = np.zeros(lanes, dtype=np.int64)  # rows of each lane searched so far
        #: Ranges of the finite values of each lane's history (for the plots' views).
        self.param_min = np.full(k, np.inf)
        self.param_max = np.full(k, -np.inf)

    # --- views -------------------------------------------------------------------------------

    @property
    def n(self) -> int:
        return self._rows.n

    @property
    def params(self) -> np.ndarray:
        return self._rows.view("params")

    @property
    def loss(self) -> np.ndarray:
        return self._rows.view("loss")

    @property
    def grad(self) -> np.ndarray:
        return self._rows.view("grad")

    @property
    def epoch(self) -> int:
        return self.n - 1

    @property
    def active(self) -> bool:
        return self.spec is not None

    def row(self, j: int, epoch: int | None = None) -> int:
        """The row that shows lane ``j`` at ``epoch`` (its last row once it has stopped)."""
        last = int(self.lengths[j]) - 1
        return last if epoch is None else max(0, min(int(epoch), last))

    def lane_params(self, j: int, epoch: int | None = None) -> np.ndarray:
        """Lane ``j``'s parameter rows up to ``epoch`` (all of its history when None)."""
        return self._rows.store("params")[: self.row(j, epoch) + 1, j]

    def lane_loss(self, j: int, epoch: int | None = None) -> np.ndarray:
        return self._rows.store("loss")[: self.row(j, epoch) + 1, j]

    def running(self, j: int, epoch: int | None = None) -> bool:
        """Is lane ``j`` still going at ``epoch`` (the newest when None)?"""
        if not self.done[j]:
            return True
        return epoch is not None and epoch < int(self.lengths[j]) - 1

    # --- updates -----------------------------------------------------------------------------

    def reset(self, spec: RaceSpec | None) -> None:
        self.spec = spec
        if spec is None:
            self._allocate(0, 1, 16)
            return
        # Room for the whole race at once where that is moderate (up to PREALLOCATE_VALUES
        # numbers; untouched pages of np.empty cost nothing): growing a block of many lanes
        # by copying, while the race runs, stalled the GUI thread for a second at a time.
        lanes, k = len(spec.lanes), len(spec.config.problem.param_names)
        per_row = lanes * (2 * k + 1)
        rows = min(spec.epochs + 1, max(256, PREALLOCATE_VALUES // per_row))
        self._allocate(lanes, k, max(256, rows))

    def append(self, step: RaceBatch) -> tuple[int, int]:
        """Add a step's rows; return the range (first, last + 1) of new row indices."""
        if step.start != self.n:
            raise ValueError(f"race step starts at epoch {step.start}, expected {self.n}")
        first, need = self._rows.append(params=step.params, loss=step.loss, grad=step.grad)
        self.lengths = np.minimum(np.asarray(step.lengths, dtype=np.int64), self.n)
        self.statuses = tuple(step.statuses)
        self.messages = tuple(step.messages)
        self.done = np.asarray(step.done, dtype=bool)
        self.finished = bool(step.finished)
        if step.epochs_to_tol:
            self.epochs_to_tol = np.asarray(step.epochs_to_tol, dtype=np.int64)
        self._scan(first)
        return first, need

    def _scan(self, first: int) -> None:
        """Update the ranges of the finite values with each lane's new history rows."""
        if self.spec is None:
            return
        for j in range(self.K):
            lo, hi = int(self._scanned[j]), int(self.lengths[j])
            if hi <= lo:
                continue
            P = self._rows.store("params")[lo:hi, j]
            with np.errstate(invalid="ignore"):
                finite = np.where(np.isfinite(P), P, np.nan)
                self.param_min = np.fmin(self.param_min, np.nanmin(finite, axis=0, initial=np.inf))
                self.param_max = np.fmax(self.param_max, np.nanmax(finite, axis=0, initial=-np.inf))
            self._scanned[j] = hi

    # --- one lane as a single run ------------------------------------------------------------

    def lane_batch(self, j: int, start: int) -> StepBatch:
        """Lane ``j``'s rows from ``start`` to its length, as a single run's StepBatch."""
        stop = max(start, int(self.lengths[j]))
        done = bool(self.done[j])
        return StepBatch(
            start=start,
            params=self._rows.store("params")[start:stop, j].copy(),
            loss=self._rows.store("loss")[start:stop, j].copy(),
            grad=self._rows.store("grad")[start:stop, j].copy(),
            status=self.statuses[j] if done else "",
            finished=done,
            message=self.messages[j] if done else "",
        )
