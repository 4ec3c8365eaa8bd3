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
        self._allocate(k, capacity)

    def _allocate(self, k: int, capacity: int) -> None:
        self.k = k
        self.n = 0
        self._params = np.empty((capacity, k))
        self._loss = np.empty(capacity)
        self._grad = np.empty((capacity, k))
        #: Running ranges of the finite values (updated per batch: O(batch), never O(n)).
        self.param_min = np.full(k, np.inf)
        self.param_max = np.full(k, -np.inf)
        self.loss_min = np.inf
        self.loss_max = -np.inf

    # --- views -------------------------------------------------------------------------------

    @property
    def params(self) -> np.ndarray:
        return self._params[: self.n]

    @property
    def loss(self) -> np.ndarray:
        return self._loss[: self.n]

    @property
    def grad(self) -> np.ndarray:
        return self._grad[: self.n]

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
        view.n = max(0, min(self.n, int(epoch) + 1))
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
        need = self.n + m
        capacity = self._loss.shape[0]
        if need > capacity:
            new = max(need, 2 * capacity)
            for name in ("_params", "_loss", "_grad"):
                old = getattr(self, name)
                grown = np.empty((new,) + old.shape[1:])
                grown[: self.n] = old[: self.n]
                setattr(self, name, grown)
        first = self.n
        if m:
            params = np.asarray(batch.params, dtype=np.float64).reshape(m, self.k)
            loss = np.asarray(batch.loss, dtype=np.float64)
            self._params[first:need] = params
            self._loss[first:need] = loss
            self._grad[first:need] = np.asarray(batch.grad).reshape(m, self.k)
            with np.errstate(invalid="ignore"):
                self.param_min = np.fmin(self.param_min, np.nanmin(
                    np.where(np.isfinite(params), params, np.nan), axis=0, initial=np.inf))
                self.param_max = np.fmax(self.param_max, np.nanmax(
                    np.where(np.isfinite(params), params, np.nan), axis=0, initial=-np.inf))
            finite = loss[np.isfinite(loss)]
            if finite.size:
                self.loss_min = min(self.loss_min, float(finite.min()))
                self.loss_max = max(self.loss_max, float(finite.max()))
        self.n = need
        self.status = batch.status
        self.message = batch.message
        self.finished = batch.finished
        return first, need
