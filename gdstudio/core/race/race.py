"""Races: several runs of the same problem side by side (learning rates, optimizers).

The source's central lesson is a comparison: the same descent at r = 0.01, 0.1, 0.3, 0.7 and 1.
A race runs K such *lanes* together, batched: one set of array (or tensor) operations carries all
K runs each step — parameters are a (K, k) array, the learning rates a (K, 1) column — so K = 64
costs far less than 64 runs. Each lane obeys exactly the stop rules of a single run
(:func:`gdstudio.core.descent.loop.scan_block`) and ends with its own :class:`History`; lanes that
stop early stay frozen while the others go on.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gdstudio.core.descent.config import RunConfig
from gdstudio.core.descent.loop import History
from gdstudio.core.descent.optimizers import OptimizerSettings
from gdstudio.core.descent.rules import (
    CYCLE_ROWS,
    GROWTH_EPOCHS,
    converged_at_start_message,
    converged_stop,
    cycle_message,
    find_cycles,
    first_cycle,
    grad_norms,
    scan_block,
)
from gdstudio.core.errors import ConfigError, InputError
from gdstudio.core.race.batched import BatchedNumpy, BatchedTorch
from gdstudio.core.race.lanes import Lane, RaceSpec, make_lanes
from gdstudio.core.race.screen import block_extremes, may_stop, screened_convergence

__all__ = [
    "LaneSummary",
    "RaceBatch",
    "Race",
    "RaceResult",
    "run_race",
]

#: Values (parameters, losses, gradients of every lane) a race reserves room for at its start.
PREALLOCATE_VALUES = 1 << 24


@dataclass(frozen=True)
class LaneSummary:
    """One row of the race's summary table."""

    label: str
    lr: float
    optimizer: str
    status: str
    epochs_run: int
    epochs_to_tol: int | None  # first epoch with |gradient| ≤ report_tol; None if never
    final_loss: float
    final_params: tuple[float, ...]
    message: str


@dataclass(frozen=True, eq=False)
class RaceBatch:
    """New rows of every lane: epochs ``start`` … ``start + n − 1`` (rows after a lane's stop
    repeat its last row and are not part of its history)."""

    start: int
    params: np.ndarray  # (n, K, k)
    loss: np.ndarray  # (n, K)
    grad: np.ndarray  # (n, K, k)
    lengths: tuple[int, ...]  # each lane's history length after this batch
    statuses: tuple[str, ...]  # a lane still going says "running"
    finished: bool
    messages: tuple[str, ...] = ()  # why each finished lane ended ("" while running)
    done: tuple[bool, ...] = ()  # which lanes have finished
    #: each lane's first epoch with |gradient| ≤ the race's report tol so far (−1: none yet)
    epochs_to_tol: tuple[int, ...] = ()

    def __len__(self) -> int:
        return int(self.loss.shape[0])

    @property
    def stop(self) -> int:
        return self.start + len(self)

    @classmethod
    def concat(cls, parts: Sequence[RaceBatch]) -> RaceBatch:
        """One batch holding the rows of consecutive ``parts`` and the state after the last."""
        if len(parts) == 1:
            return parts[0]
        last = parts[-1]
        return dataclasses.replace(
            last,
            start=parts[0].start,
            params=np.concatenate([p.params for p in parts]),
            loss=np.concatenate([p.loss for p in parts]),
            grad=np.concatenate([p.grad for p in parts]),
        )


# --------------------------------------------------------------------------------------------
# Batched engines
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# The race
# --------------------------------------------------------------------------------------------


class Race:
    """K lanes advanced together; each with its own stop rules and history."""

    def __init__(self, config: RunConfig | RaceSpec, lanes: Sequence[Lane] = (), *,
                 fast: bool = True) -> None:
        """A race of ``lanes`` on ``config`` (or of a :class:`RaceSpec`). ``fast=False`` runs it
        without its generated kernels (the plain array loops, which the tests compare with the
        fast ones row for row)."""
        spec = config if isinstance(config, RaceSpec) else RaceSpec(config, tuple(lanes))
        config = spec.config
        self.spec = spec
        self.config = config
        self.lanes = spec.lanes
        if not self.lanes:
            raise ConfigError("a race needs at least one run")
        if config.scale_x or config.batch_size:
            raise ConfigError(
                "races run full-batch on unscaled data: turn off scaling and mini-batches"
            )
        problem = config.problem
        K = len(self.lanes)
        p0 = config.start_params()
        self.k = p0.shape[0]
        if config.engine == "torch":
            self.engine: Any = BatchedTorch(problem, self.lanes, config.dtype, config.device)
        else:
            self.engine = BatchedNumpy(problem, self.lanes, config.dtype, fast=fast)
        P0 = np.repeat(p0[None, :], K, axis=0)
        loss0, grad0 = self.engine.start(P0)
        if not (np.isfinite(loss0).all() and np.isfinite(grad0).all()):
            if np.isnan(loss0).any() or np.isnan(grad0).any():
                raise InputError("f or its gradient is not finite at the start: choose a start "
                                 "where f is defined")
            raise InputError("f or its gradient is infinite or beyond float64's range (1.8e308) "
                             "at the start: choose a start nearer the minimum, or rescale f")
        self.names = tuple(problem.param_names)
        # Room for the whole race at once where that is moderate (np.empty's untouched pages
        # cost nothing); longer races grow by doubling.
        cap = max(1, min(config.epochs + 1, max(256, PREALLOCATE_VALUES // (K * (2 * self.k + 1)))))
        self._allocate(cap)
        self._views: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._P[0], self._L[0], self._G[0] = P0, loss0, grad0
        self.rows = 1  # rows stored (all lanes)
        self.lengths = np.ones(K, dtype=np.int64)  # rows in each lane's history
        self.statuses = ["max_epochs"] * K
        self.messages = [""] * K
        self.done = np.zeros(K, dtype=bool)
        self._loss0 = float(loss0[0])
        self._p0max = float(np.max(np.abs(p0)))
        norms = grad_norms(grad0)
        self._g0norm = float(norms[0])  # (every lane starts at p0)
        #: |gradient| counted as "reached" in the summaries (the stop rule's tol, or 10⁻⁶), and
        #: each lane's first row within it so far (−1: none yet), kept as the race goes
        self.report_tol = spec.report_tol
        self._first_tol = np.where(norms <= self.report_tol, 0, -1)
        for j in range(K):
            if norms[j] <= config.tol:
                self.done[j] = True
                self.statuses[j] = "converged"
                self.messages[j] = converged_at_start_message(float(norms[j]))
        self.finished = bool(self.done.all()) or config.epochs == 0
        if self.finished:
            self._finish_lanes()

    @property
    def epoch(self) -> int:
        return self.rows - 1

    def _allocate(self, cap: int) -> None:
        """Rows for ``cap`` epochs of every lane: params (cap, K, k), loss (cap, K), grad
        (cap, K, k), parts of one block of memory (one allocation, which the system backs with
        large pages where it can, instead of three)."""
        K, k = len(self.lanes), self.k
        block = np.empty(cap * K * (2 * k + 1))
        size = cap * K * k
        self._P = block[:size].reshape(cap, K, k)
        self._G = block[size : 2 * size].reshape(cap, K, k)
        self._L = block[2 * size :].reshape(cap, K)

    def _reserve(self, need: int) -> None:
        cap = self._L.shape[0]
        if need <= cap:
            return
        old = (self._P, self._L, self._G)
        self._allocate(max(need, 2 * cap))
        for store, before in zip((self._P, self._L, self._G), old, strict=True):
            store[: self.rows] = before[: self.rows]

    def advance(self, n: int = 1) -> RaceBatch:
        """Advance every running lane ``n`` epochs; the new rows of all lanes."""
        start = self.rows
        self._advance(n)
        return self._batch(start)

    def _advance(self, n: int) -> None:
        start = self.rows
        if self.finished or n <= 0:
            return
        n = min(int(n), self.config.epochs - self.epoch)
        self._reserve(self.rows + n)
        P, L, G = (self._P[self.rows : self.rows + n], self._L[self.rows : self.rows + n],
                   self._G[self.rows : self.rows + n])
        frozen = self.done.copy()
        # each running lane's first row within report_tol, if it has none yet, is looked for too
        below = (self.report_tol, (self._first_tol < 0) & ~frozen)
        if self.engine.fill_loss is not None:
            # NumPy: the block made piece by piece, each piece's losses and screen right after
            # it, while its rows are in cache
            def produce(i: int, j: int) -> None:
                self.engine.advance(j - i, frozen, (P[i:j], L[i:j], G[i:j]))

            extremes = block_extremes(P, L, G, fill_loss=self.engine.fill_loss, produce=produce,
                                      find_below=below)
        else:
            self.engine.advance(n, frozen, (P, L, G))
            extremes = block_extremes(P, L, G, find_below=below)
        running = np.nonzero(~self.done)[0]
        # The stop rules, one lane at a time, only for lanes that could stop in this block.
        self.lengths[running] = start + n
        # (screened for every lane, stopped ones included: picking the running lanes out
        # first would copy the whole block)
        suspects = may_stop(P, L, G, self._loss0, self._p0max, self.config.tol,
                            extremes=extremes)[running]
        lanes = running[suspects]
        # most suspects simply converge at the first row the screen flags: those at once
        first, converges, gnorms = screened_convergence(
            P[:, lanes], L[:, lanes], G[:, lanes], self._loss0, self._p0max, self.config.tol)
        for j, row, converged, gnorm in zip(lanes, first.tolist(), converges, gnorms.tolist(),
                                            strict=True):
            if converged:
                stop = converged_stop(row, start + row, gnorm, self.config.tol)
            else:
                lo = max(0, start - GROWTH_EPOCHS)
                stop = scan_block(P[:, j], L[:, j], G[:, j], start, self._loss0, self._p0max,
                                  self.config.tol, self.config.problem, self.names,
                                  prev_loss=self._L[lo:start, j],
                                  prev_pmax=np.max(np.abs(self._P[lo:start, j]), axis=1),
                                  g0norm=self._g0norm,
                                  step0=float(self.lanes[j].lr) * self._g0norm)
            self.lengths[j] = start + stop.keep
            if stop.status:
                self.done[j] = True
                self.statuses[j] = stop.status
                self.messages[j] = stop.message
        if self.config.stop_on_cycle:
            self._stop_cycling(np.nonzero(~self.done)[0], start + n, stop=True, start=start)
        # The first row within report_tol found in the block counts where it is one of the
        # lane's own (before its stop, if it stopped in this block); none earlier can be.
        first_below = extremes.first_below
        assert first_below is not None  # (find_below was given)
        found = (first_below >= 0) & (first_below < self.lengths - start)
        self._first_tol[found] = start + first_below[found]
        self.rows += n
        if self.done.all() or self.epoch >= self.config.epochs:
            self._finish_lanes()

    def _stop_cycling(self, lanes: np.ndarray, m: int, *, stop: bool,
                      start: int | None = None) -> None:
        """Mark the ``lanes`` (each with ``m`` rows) that cycle; with ``stop=False`` (the end
        of the race) the others end at the epoch limit."""
        if not lanes.size:
            return
        found = find_cycles(self._P[max(0, m - CYCLE_ROWS) : m][:, lanes], dtype=self.config.dtype)
        for j, cyc in zip(lanes, found, strict=True):
            if cyc is None and stop:
                continue  # no cycle yet: the lane runs on
            end = m - 1
            if cyc is not None and stop and start is not None:
                # --stop-on-cycle: the lane ends where its cycle first became certain, as its
                # single run does (the rows after it are not the lane's)
                first = first_cycle(self._P[:m, j], start, dtype=self.config.dtype)
                if first is not None:
                    end, cyc = first
                    self.lengths[j] = end + 1
            if cyc is not None:
                self.statuses[j] = "cycling"
                self.messages[j] = cycle_message(self.names, cyc[0], cyc[1], end)
            else:
                self.statuses[j] = "max_epochs"
                self.messages[j] = (
                    f"stopped at the epoch limit ({m - 1}) without meeting the stop rule"
                )
            self.done[j] = True

    def _finish_lanes(self) -> None:
        self.finished = True
        running = np.nonzero(~self.done)[0]
        for m in np.unique(self.lengths[running]):
            self._stop_cycling(running[self.lengths[running] == m], int(m), stop=False)

    def _batch(self, start: int) -> RaceBatch:
        stores = (self._P, self._L, self._G)
        rows = [store[start : self.rows].copy() for store in stores]
        # A finished lane's rows after its stop repeat its last row (as documented), whatever
        # the batched engine computed for it meanwhile (the race's own rows past a lane's
        # length are never read: its history, summary and cycle search stop at its length).
        for j in np.nonzero(self.done & (self.lengths < self.rows))[0]:
            last = int(self.lengths[j]) - 1
            first = max(start, last + 1) - start
            for store, copy in zip(stores, rows, strict=True):
                copy[first:, j] = store[last, j]
        return RaceBatch(
            start=start,
            params=rows[0],
            loss=rows[1],
            grad=rows[2],
            lengths=tuple(int(v) for v in self.lengths),
            statuses=tuple(s if d else "running"
                           for s, d in zip(self.statuses, self.done, strict=True)),
            finished=self.finished,
            messages=tuple(self.messages),
            done=tuple(bool(d) for d in self.done),
            epochs_to_tol=tuple(self._first_tol.tolist()),
        )

    def initial_batch(self) -> RaceBatch:
        return self._batch(0)

    def run_to_end(self, target_seconds: float = 0.05) -> Race:
        block = 256
        cap = 1 << 14 if self.config.engine == "manual" else 2048
        while not self.finished:
            t = time.perf_counter()
            self._advance(block)
            # blocks grow towards target_seconds (up to 8× at a time): few blocks where epochs
            # are cheap, since each block's stop rules cost the same whatever its length
            growth = target_seconds / max(time.perf_counter() - t, 1e-9)
            if growth > 1.0:
                block = min(cap, block * min(8, max(2, int(growth))))
        return self

    def _read_only(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Read-only views of the rows (their slices are read-only too); made again after the
        rows move to a larger block."""
        if self._views is None or self._views[0].base is not self._P.base:
            views = tuple(store.view() for store in (self._P, self._L, self._G))
            for view in views:
                view.flags.writeable = False
            self._views = views
        return self._views

    def histories(self) -> list[History]:
        """Every lane's :meth:`history`."""
        P, L, G = self._read_only()
        return [
            History(P[:n, j], L[:n, j], G[:n, j], status, self.spec.lane_config(j), message,
                    self.names)
            for j, (n, status, message) in enumerate(
                zip(self.lengths.tolist(), self.statuses, self.messages, strict=True))
        ]

    def history(self, j: int) -> History:
        """Lane ``j``'s history so far: views of the race's rows, not copies (rows before a
        lane's length are never written again), read-only since the lanes share one block of
        memory."""
        n = int(self.lengths[j])
        P, L, G = self._read_only()
        return History(P[:n, j], L[:n, j], G[:n, j], self.statuses[j],
                       self.spec.lane_config(j), self.messages[j], self.names)

    def summaries(self, report_tol: float | None = None) -> list[LaneSummary]:
        tol = self.report_tol if report_tol is None else report_tol
        if tol == self.report_tol:  # each lane's first row within it was kept as the race went
            return self._summaries(self._first_tol)
        # another tol: the first row of all rows with |gradient| ≤ tol, which is one of the
        # lane's own where it lies before its length (none earlier can be)
        rows = self.rows
        K = len(self.lanes)
        first = block_extremes(self._P[:rows], self._L[:rows], self._G[:rows],
                               find_below=(tol, np.ones(K, dtype=bool))).first_below
        assert first is not None  # (find_below was given)
        first = np.where(first < self.lengths, first, -1)
        return self._summaries(first)

    def _summaries(self, first: np.ndarray) -> list[LaneSummary]:
        K = len(self.lanes)
        last = self.lengths - 1
        lanes = np.arange(K)
        final_loss = self._L[last, lanes].tolist()
        final_params = self._P[last, lanes].tolist()
        # (fields in order, as plain Python values converted once for all lanes)
        return [
            LaneSummary(label, lane.lr, lane.optimizer.name, status, epochs_run,
                        reached if reached >= 0 else None, loss, tuple(params), message)
            for label, lane, status, epochs_run, reached, loss, params, message in zip(
                self.spec.labels(), self.lanes, self.statuses, last.tolist(), first.tolist(),
                final_loss, final_params, self.messages, strict=True)
        ]


@dataclass(frozen=True, eq=False)
class RaceResult:
    lanes: tuple[Lane, ...]
    histories: tuple[History, ...]
    summaries: tuple[LaneSummary, ...]
    report_tol: float
    #: each lane's name in legends and tables (:meth:`RaceSpec.label`)
    labels: tuple[str, ...] = ()


def run_race(
    config: RunConfig,
    lrs: Sequence[float] | None = None,
    optimizers: Sequence[str | OptimizerSettings] | None = None,
    *,
    report_tol: float | None = None,
) -> RaceResult:
    """Run every (optimizer, lr) lane together to the end (refused before it starts, with a
    :class:`ConfigError`, when its lanes × epochs rows cannot fit in memory)."""
    from gdstudio.core.rows import check_history_memory

    lanes = make_lanes(config, lrs, optimizers)
    check_history_memory(config.epochs, len(config.problem.param_names), len(lanes))
    race = Race(config, lanes).run_to_end()
    tol = race.report_tol if report_tol is None else report_tol
    return RaceResult(
        lanes=race.lanes,
        histories=tuple(race.histories()),
        summaries=tuple(race.summaries(tol)),
        report_tol=tol,
        labels=tuple(race.spec.labels()),
    )

