"""The run: configuration, a stateful descent that advances in blocks, stop rules, history.

:class:`Descent` is what both the headless :func:`run` and the window's worker drive: it makes
``n`` more updates on request (:meth:`Descent.advance`), applies the stop rules to the new rows,
and keeps the :class:`History`. :func:`steps` wraps it as a generator of :class:`StepBatch` blocks,
the cancellation point for a consumer. A learning-rate change applies from the next update.

Statuses
--------
``converged``
    the stop rule |gradient| ≤ tol was met (the run stops at that row).
``diverged``
    a value became non-finite (that row is dropped: the last finite row is kept) or exploded
    (the loss rose by more than 10¹² × (1 + |loss₀|) or a parameter grew beyond
    10¹² × (1 + max|p₀|); that row is kept), or grew steadily: by ≥ 10 % every epoch for 20
    epochs in a row, to over 10⁶ × (1 + |start|) (a converging run cannot do that).
``cycling``
    the run reached the epoch limit with the last iterates repeating with a period ≥ 2 (as with
    r = 1 on the quadratic), unless ``stop_on_cycle`` stops it as soon as that is seen.
``max_epochs``
    none of the above.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from gdstudio.core.descent.config import RunConfig, check_learning_rate
from gdstudio.core.descent.engines import Engine, make_engine
from gdstudio.core.descent.rules import (
    GROWTH_EPOCHS,
    converged_at_start_message,
    cycle_message,
    find_cycle,
    first_cycle,
    grad_norms,
    scan_block,
    short_number,
)
from gdstudio.core.errors import ConfigError, InputError
from gdstudio.core.problems import FunctionProblem, RegressionProblem

__all__ = [
    "STATUSES",
    "History",
    "StepBatch",
    "Descent",
    "steps",
    "run",
]

STATUSES = ("converged", "max_epochs", "diverged", "cycling")


@dataclass(frozen=True, eq=False)
class History:
    """A finished (or partial) run: one row per epoch, row 0 the start.

    ``grad[t]`` is the gradient at ``params[t]``, the one the update t → t+1 uses.
    """

    params: np.ndarray
    loss: np.ndarray
    grad: np.ndarray
    status: str
    config: RunConfig
    message: str = ""
    param_names: tuple[str, ...] = ("x",)
    lr_changes: tuple[tuple[int, float], ...] = ()

    @property
    def epochs_run(self) -> int:
        return int(self.loss.shape[0]) - 1

    @property
    def grad_norm(self) -> np.ndarray:
        return grad_norms(self.grad)

    def explain(self, epoch: int) -> list[str]:
        """The update that made row ``epoch`` with its numbers plugged in, as lines of text
        (row 0: the start); see :mod:`gdstudio.core.arithmetic`."""
        from gdstudio.core.arithmetic import explain_update

        return explain_update(self.config, self.params, self.grad, epoch, self.lr_changes)

    def rows(self) -> Iterator[dict[str, float | int]]:
        """Rows as dicts in the CLI's column order."""
        gnames = ["grad"] if len(self.param_names) == 1 else [f"grad_{n}" for n in self.param_names]
        for t in range(self.loss.shape[0]):
            row: dict[str, float | int] = {"epoch": t}
            for j, name in enumerate(self.param_names):
                row[name] = float(self.params[t, j])
            row["loss"] = float(self.loss[t])
            for j, name in enumerate(gnames):
                row[name] = float(self.grad[t, j])
            yield row


@dataclass(frozen=True, eq=False)
class StepBatch:
    """New rows of a run: epochs ``start`` … ``start + len - 1``, plus the run's state after
    them."""

    start: int
    params: np.ndarray
    loss: np.ndarray
    grad: np.ndarray
    status: str
    finished: bool
    message: str = ""

    def __len__(self) -> int:
        return int(self.loss.shape[0])

    @property
    def stop(self) -> int:
        return self.start + len(self)

    @classmethod
    def concat(cls, parts: Sequence[StepBatch]) -> StepBatch:
        """One batch holding the rows of consecutive ``parts`` and the state after the last."""
        if len(parts) == 1:
            return parts[0]
        last = parts[-1]
        return StepBatch(
            start=parts[0].start,
            params=np.concatenate([p.params for p in parts]),
            loss=np.concatenate([p.loss for p in parts]),
            grad=np.concatenate([p.grad for p in parts]),
            status=last.status,
            finished=last.finished,
            message=last.message,
        )


class _Buffer:
    """Growable arrays for the history (amortised doubling; trimmed on demand)."""

    def __init__(self, k: int, capacity: int = 256) -> None:
        self.k = k
        self.n = 0
        self.params = np.empty((capacity, k))
        self.loss = np.empty(capacity)
        self.grad = np.empty((capacity, k))

    def reserve(self, need: int) -> None:
        cap = self.loss.shape[0]
        if need <= cap:
            return
        new = max(need, 2 * cap)
        for name in ("params", "loss", "grad"):
            old = getattr(self, name)
            arr = np.empty((new,) + old.shape[1:])
            arr[: self.n] = old[: self.n]
            setattr(self, name, arr)

    def extend(self, P: np.ndarray, L: np.ndarray, G: np.ndarray) -> None:
        m = L.shape[0]
        self.reserve(self.n + m)
        self.params[self.n : self.n + m] = P
        self.loss[self.n : self.n + m] = L
        self.grad[self.n : self.n + m] = G
        self.n += m

    def trim(self) -> None:
        if self.loss.shape[0] != self.n:
            self.params = self.params[: self.n].copy()
            self.loss = self.loss[: self.n].copy()
            self.grad = self.grad[: self.n].copy()



class Descent:
    """One run of gradient descent, advanced on request.

    Raises
    ------
    InputError
        if the configuration cannot run (the start point is outside f's domain, no such
        device, ...): nothing has run then.
    """

    def __init__(self, config: RunConfig, *, engine: Engine | None = None) -> None:
        self.config = config
        self._lr = float(config.lr)  # type: ignore[arg-type]
        self._lr_changes: list[tuple[int, float]] = []
        if engine is None and isinstance(config.problem, RegressionProblem) and (
            config.scale_x or config.batch_size
        ):
            from gdstudio.core.descent.minibatch import make_regression_engine

            engine = make_regression_engine(
                config.problem, config.engine, config.optimizer_settings, config.dtype,
                config.device, scale_x=config.scale_x, batch_size=config.batch_size,
                seed=config.batch_seed,
            )
        self.engine = engine or make_engine(
            config.problem, config.engine, config.optimizer_settings, config.dtype, config.device
        )
        p0 = config.start_params()
        try:
            loss0, grad0 = self.engine.start(p0)
        except (ValueError, OverflowError, ZeroDivisionError, ArithmeticError) as err:
            if isinstance(err, InputError):
                raise
            raise InputError(
                f"f cannot be evaluated at the start {self._point(p0)}: {err}"
            ) from None
        if not (math.isfinite(loss0) and np.isfinite(grad0).all()):
            is_f = isinstance(config.problem, FunctionProblem)
            if not math.isfinite(loss0):
                what = "f" if is_f else "the loss (MSE)"
            else:
                what = "the gradient"
            hint = "choose a start where f is defined" if is_f else "choose a smaller start"
            values = [loss0, *np.asarray(grad0, dtype=np.float64).ravel().tolist()]
            if is_f and not any(math.isnan(v) for v in values):
                # ±inf, not nan: f (or f') is defined there but beyond float64's 1.8e308, as
                # (x − 1e200)² at 0; the run could not hold its values, whatever it would do
                hint = ("it is infinite or beyond float64's range (1.8e308) there: choose a "
                        "start nearer the minimum, or rescale f")
            raise InputError(
                f"{what} is not finite at the start {self._point(p0)} "
                f"({'f' if is_f else 'loss'} = {short_number(loss0)}): {hint}"
            )
        self.names = tuple(config.problem.param_names)
        # Room for the whole run when that is modest (untouched pages cost nothing); the buffer
        # grows by doubling beyond that.
        self._buf = _Buffer(len(p0), capacity=min(config.epochs + 1, 1 << 22))
        self._buf.extend(p0[None, :], np.array([loss0]),
                         np.asarray(grad0, dtype=np.float64)[None, :])
        self._loss0 = float(loss0)
        self._p0max = float(np.max(np.abs(p0)))
        self._g0norm = float(grad_norms(np.asarray(grad0, dtype=np.float64).reshape(1, -1))[0])
        self._step0 = self._lr * self._g0norm  # the run's distance scale (scan_block)
        self.status = "max_epochs"
        self.message = ""
        self.finished = False
        self._check_converged_at_start()
        if not self.finished and config.epochs == 0:
            self._finish_by_epochs()

    # --- state -------------------------------------------------------------------------------

    def _point(self, p: np.ndarray) -> str:
        names = self.config.problem.param_names
        return ", ".join(f"{n} = {short_number(float(v))}" for n, v in zip(names, p, strict=True))

    @property
    def epoch(self) -> int:
        """Epochs run so far (the index of the newest row)."""
        return self._buf.n - 1

    @property
    def lr(self) -> float:
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        """Change the learning rate; applies from the next update."""
        lr = check_learning_rate(value)
        if lr != self._lr:
            self._lr = lr
            self._lr_changes.append((self.epoch, lr))

    def _check_converged_at_start(self) -> None:
        g0 = float(grad_norms(self._buf.grad[:1])[0])
        if g0 <= self.config.tol:
            self.status = "converged"
            self.message = converged_at_start_message(g0)
            self.finished = True

    def _finish_by_epochs(self) -> None:
        self.finished = True
        cyc = find_cycle(self._buf.params[: self._buf.n], dtype=self.config.dtype)
        if cyc is not None:
            period, pts = cyc
            self.status = "cycling"
            self.message = cycle_message(self.names, period, pts, self.epoch)
        else:
            self.status = "max_epochs"
            self.message = (
                f"stopped at the epoch limit ({self.epoch}) without meeting the stop rule"
            )

    # --- running -----------------------------------------------------------------------------

    def advance(self, n: int = 1) -> StepBatch:
        """Make up to ``n`` more updates (fewer at the epoch limit or when a stop rule fires)."""
        start = self._buf.n
        self._advance(n)
        return self._batch(start)

    def _advance(self, n: int) -> None:
        start = self._buf.n
        if self.finished or n <= 0:
            return
        n = min(int(n), self.config.epochs - self.epoch)
        P, L, G = self.engine.advance(n, self._lr)
        P = np.asarray(P, dtype=np.float64).reshape(-1, self._buf.k)
        L = np.asarray(L, dtype=np.float64).reshape(-1)
        G = np.asarray(G, dtype=np.float64).reshape(-1, self._buf.k)
        b = self._buf
        lo = max(0, b.n - GROWTH_EPOCHS)
        stop = scan_block(P, L, G, start, self._loss0, self._p0max, self.config.tol,
                          self.config.problem, self.names, prev_loss=b.loss[lo : b.n],
                          prev_pmax=np.max(np.abs(b.params[lo : b.n]), axis=1),
                          g0norm=self._g0norm, step0=self._step0)
        self._buf.extend(P[: stop.keep], L[: stop.keep], G[: stop.keep])
        if stop.status:
            self.status = stop.status
            self.message = stop.message
            self.finished = True
            return
        if self.config.stop_on_cycle:
            # The run ends at the row where the cycle first became certain, wherever it falls
            # in the block (the rows computed after it are dropped).
            found = first_cycle(self._buf.params[: self._buf.n], start,
                                dtype=self.config.dtype)
            if found is not None:
                end, (period, pts) = found
                self._buf.n = end + 1
                self.finished = True
                self.status = "cycling"
                self.message = cycle_message(self.names, period, pts, end)
                return
        if self.epoch >= self.config.epochs:
            self._finish_by_epochs()

    def _batch(self, start: int) -> StepBatch:
        b = self._buf
        return StepBatch(
            start=start,
            params=b.params[start : b.n].copy(),
            loss=b.loss[start : b.n].copy(),
            grad=b.grad[start : b.n].copy(),
            status=self.status,
            finished=self.finished,
            message=self.message,
        )

    def initial_batch(self) -> StepBatch:
        """Row 0 (and the state): what a consumer shows before the first update."""
        return self._batch(0)

    def run_to_end(self, *, max_block: int | None = None, target_seconds: float = 0.05) -> Descent:
        """Advance until finished, in blocks that grow while each takes < ``target_seconds``."""
        block = 64
        cap = max_block or (1 << 16 if self.config.engine == "manual" else 4096)
        while not self.finished:
            t = time.perf_counter()
            self._advance(block)  # no batch copies: the history is what is kept
            if time.perf_counter() - t < target_seconds and block < cap:
                block = min(block * 2, cap)
        return self

    def history(self) -> History:
        """The rows so far (a copy: later advances do not change it)."""
        b = self._buf
        return History(
            params=b.params[: b.n].copy(),
            loss=b.loss[: b.n].copy(),
            grad=b.grad[: b.n].copy(),
            status=self.status,
            config=self.config,
            message=self.message,
            param_names=self.names,
            lr_changes=tuple(self._lr_changes),
        )

    def take_history(self) -> History:
        """The final history without copying (the Descent must not be advanced afterwards)."""
        self._buf.trim()
        b = self._buf
        return History(
            params=b.params,
            loss=b.loss,
            grad=b.grad,
            status=self.status,
            config=self.config,
            message=self.message,
            param_names=self.names,
            lr_changes=tuple(self._lr_changes),
        )

    @property
    def lr_changes(self) -> tuple[tuple[int, float], ...]:
        """The learning-rate changes made so far, ``(epoch, lr)``: each applies from the update
        after row ``epoch`` (what :attr:`History.lr_changes` records)."""
        return tuple(self._lr_changes)

    def advance_to(
        self,
        epoch: int | None = None,
        lr_changes: Sequence[tuple[int, float]] = (),
        *,
        should_stop: Callable[[], bool] | None = None,
        max_block: int | None = None,
    ) -> Descent:
        """Advance to row ``epoch`` (default: until finished), making the learning-rate
        changes ``lr_changes`` on the way; the run can go on from there.

        Each change ``(e, lr)`` is made as the window makes one mid-run: once the run is at
        row ``e`` (before any update for e = 0), it applies from the next update. That is how
        :attr:`History.lr_changes` records them, so a run's recorded changes, replayed from its
        start, give its rows again bit for bit (a saved session reopened in the window, or run
        by ``gdstudio run --session``). The changes are taken in order of epoch (several at
        one epoch: the last one holds); those past the end are never reached. ``should_stop``
        is asked between blocks (a window closing): the run stops there.

        Raises
        ------
        ConfigError
            for a change that is not an (epoch ≥ 0, learning rate > 0) pair, or one at an
            epoch the run has already passed (it could not be made where it was).
        """
        changes = sorted(_checked_lr_changes(lr_changes), key=lambda c: c[0])
        if changes and changes[0][0] < self.epoch:
            raise ConfigError(f"a learning-rate change at epoch {changes[0][0]} is behind the "
                              f"run, which is at epoch {self.epoch}")
        last = self.config.epochs if epoch is None else min(int(epoch), self.config.epochs)
        cap = max_block or (1 << 16 if self.config.engine == "manual" else 4096)
        i = 0
        while should_stop is None or not should_stop():
            while i < len(changes) and changes[i][0] <= self.epoch:
                self.lr = changes[i][1]
                i += 1
            if self.finished or self.epoch >= last:
                break
            target = min(last, changes[i][0]) if i < len(changes) else last
            self._advance(max(1, min(target - self.epoch, cap)))
        return self


def _checked_lr_changes(lr_changes: Sequence[tuple[int, float]]) -> list[tuple[int, float]]:
    out: list[tuple[int, float]] = []
    for item in lr_changes:
        try:
            epoch, lr = item
            ok = (isinstance(epoch, (int, np.integer)) and not isinstance(epoch, bool)
                  and epoch >= 0)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ConfigError(f"a learning-rate change is an (epoch ≥ 0, lr) pair, got {item!r}")
        out.append((int(epoch), check_learning_rate(lr)))
    return out


def steps(config: RunConfig, block: int = 1) -> Iterator[StepBatch]:
    """Yield the start (row 0), then blocks of ``block`` updates until the run finishes."""
    d = Descent(config)
    yield d.initial_batch()
    while not d.finished:
        yield d.advance(block)


def run(config: RunConfig, lr_changes: Sequence[tuple[int, float]] = ()) -> History:
    """Run to the end and return the :class:`History` (the window uses the same code path).

    ``lr_changes``: learning-rate changes ``(epoch, lr)`` to make on the way, as a run's
    :attr:`History.lr_changes` recorded them (see :meth:`Descent.advance_to`).

    A history that cannot fit in memory is refused before the run starts
    (:func:`~gdstudio.core.rows.check_history_memory`, a :class:`ConfigError`).
    """
    from gdstudio.core.rows import check_history_memory

    check_history_memory(config.epochs, len(config.problem.param_names))
    d = Descent(config)
    if lr_changes:
        d.advance_to(None, lr_changes)
    else:
        d.run_to_end()
    return d.take_history()
