"""The GUI thread's copy of the run: growing NumPy arrays fed by the worker's batches.

The worker's :class:`~gdstudio.core.descent.loop.Descent` lives in the worker thread; the GUI never
reads it. Instead each :class:`~gdstudio.core.descent.loop.StepBatch` the worker emits is appended
here (amortised doubling, so a batch costs O(its length)), and the plots and the history table
read views of these arrays.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from gdstudio.core import RunConfig, StepBatch
from gdstudio.core.rows import GrowingRows

#: Rows allocated up front for a run's planned epochs (more grow by doubling).
PREALLOCATE_ROWS = 1 << 22

__all__ = ["RunData", "LrChange"]


@dataclass(frozen=True)
class LrChange:
    """The learning rate became ``lr`` for the updates after epoch ``epoch``."""

    epoch: int
    lr: float


class RunData:
    """Rows 0…n−1 of the current run (params, loss, grad) and its latest state."""

    def __init__(self, k: int = 1, capacity: int = 256) -> None:
        self.config: RunConfig | None = None
        self.param_names: tuple[str, ...] = ("x",)
        self.status = ""
        self.message = ""
        self.finished = False
        self.lr_changes: list[LrChange] = []
        self._shown: int | None = None  # a view of the first rows only (see upto)
        self._allocate(k, capacity)

    def _allocate(self, k: int, capacity: int) -> None:
        self.k = k
        self._rows = GrowingRows({"params": (k,), "loss": (), "grad": (k,)}, capacity,
                                 prefault=True)
        #: Running ranges of the finite values (updated per batch: O(batch), never O(n)).
        self.param_min = np.full(k, np.inf)
        self.param_max = np.full(k, -np.inf)
        self.loss_min = np.inf
        self.loss_max = -np.inf

    # --- views -------------------------------------------------------------------------------

    @property
    def n(self) -> int:
        """Rows held (the last one may be hidden in a view made by :meth:`upto`)."""
        return self._shown if self._shown is not None else self._rows.n

    @property
    def params(self) -> np.ndarray:
        return self._rows.store("params")[: self.n]

    @property
    def loss(self) -> np.ndarray:
        return self._rows.store("loss")[: self.n]

    @property
    def grad(self) -> np.ndarray:
        return self._rows.store("grad")[: self.n]

    @property
    def epochs(self) -> np.ndarray:
        """0, 1, …, n−1 as floats (made on each call: O(n); plots use :meth:`epochs_at`)."""
        return np.arange(self.n, dtype=np.float64)

    @staticmethod
    def epochs_at(rows: np.ndarray | slice) -> np.ndarray:
        """The epochs (as floats) of some rows: an index array or a slice with bounds. Only
        the rows drawn are made; no array of every epoch is kept (growing one while the run
        plays was a stall of several milliseconds)."""
        if isinstance(rows, slice):
            return np.arange(rows.start or 0, rows.stop, rows.step or 1, dtype=np.float64)
        return np.asarray(rows, dtype=np.float64)

    @property
    def epoch(self) -> int:
        """The newest epoch (−1 before the first batch)."""
        return self.n - 1

    @property
    def planned_epochs(self) -> int:
        return self.config.epochs if self.config is not None else 0

    def __len__(self) -> int:
        return self.n

    def upto(self, epoch: int) -> RunData:
        """Rows 0 … ``epoch`` as a view sharing these arrays (no copy): the run as it was then,
        for the history slider. Ranges (param_min, …) stay those of the whole run, so views
        do not jump while scrubbing."""
        view = copy.copy(self)
        view._shown = max(0, min(self.n, int(epoch) + 1))  # noqa: SLF001 - a copy of itself
        return view

    # --- updates -----------------------------------------------------------------------------

    def reset(self, config: RunConfig, param_names: tuple[str, ...]) -> None:
        """Forget the rows; the next batch starts a run of ``config``."""
        self.config = config
        self.param_names = tuple(param_names)
        self.status = ""
        self.message = ""
        self.finished = False
        self.lr_changes = []
        # Room for the whole planned run at once (up to PREALLOCATE_ROWS): untouched pages of
        # np.empty cost nothing, and growing by copying while the worker computes is a stall.
        planned = int(config.epochs) + 1 if config is not None else 0
        self._allocate(len(param_names), max(256, min(planned, PREALLOCATE_ROWS)))

    def append(self, batch: StepBatch) -> tuple[int, int]:
        """Add a batch's rows; return the range (first, last + 1) of new row indices."""
        m = len(batch)
        if batch.start != self.n:
            raise ValueError(f"batch starts at epoch {batch.start}, expected {self.n}")
        params = np.asarray(batch.params, dtype=np.float64).reshape(m, self.k)
        loss = np.asarray(batch.loss, dtype=np.float64)
        first, stop = self._rows.append(params=params, loss=loss, grad=batch.grad)
        if m:
            with np.errstate(invalid="ignore"):
                finite = np.where(np.isfinite(params), params, np.nan)
                self.param_min = np.fmin(self.param_min,
                                         np.nanmin(finite, axis=0, initial=np.inf))
                self.param_max = np.fmax(self.param_max,
                                         np.nanmax(finite, axis=0, initial=-np.inf))
            losses = loss[np.isfinite(loss)]
            if losses.size:
                self.loss_min = min(self.loss_min, float(losses.min()))
                self.loss_max = max(self.loss_max, float(losses.max()))
        self.status = batch.status
        self.message = batch.message
        self.finished = batch.finished
        return first, stop
