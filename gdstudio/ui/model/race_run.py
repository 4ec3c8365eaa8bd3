"""A race as the worker drives it: the core's :class:`~gdstudio.core.race.race.Race` behind the same
small interface as a :class:`~gdstudio.core.descent.loop.Descent` (``advance``, ``finished``, ``epoch``,
``initial_batch``), so one worker, one timer and one set of commands serve both.

No Qt here: :class:`RaceSpec` is what the window asks for (the base :class:`RunConfig` and the
lanes), :class:`RaceRun` lives in the worker thread, and :class:`RaceStep` is what crosses back
to the GUI thread (NumPy arrays only, with each lane's length, status, message and whether it
has stopped; the core's ``RaceBatch`` carries no messages and no per-lane "done" flags).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gdstudio.core import RunConfig
from gdstudio.core.race.lanes import Lane
from gdstudio.core.race.race import DEFAULT_REPORT_TOL, Race

__all__ = ["RaceSpec", "RaceRun", "RaceStep", "merge_race_steps", "OPTIMIZER_NAMES"]

#: How each optimizer is named in legends and tables.
OPTIMIZER_NAMES = {
    "gd": "Gradient descent",
    "sgd": "SGD",
    "momentum": "Momentum",
    "nesterov": "Nesterov",
    "adam": "Adam",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
}


def _lr_label(lr: float) -> str:
    return f"lr {lr:g}"


@dataclass(frozen=True, eq=False)
class RaceSpec:
    """A race to run: ``config`` (problem, start, epochs, engine, tol, …) and its lanes.

    ``kind`` says what is compared: ``"lr"`` (one optimizer, several learning rates) or
    ``"optimizer"`` (several optimizers, one learning rate); it only changes the labels.
    """

    config: RunConfig
    lanes: tuple[Lane, ...]
    kind: str = "lr"

    @property
    def epochs(self) -> int:
        return self.config.epochs

    @property
    def report_tol(self) -> float:
        """|gradient| counted as "reached" in the summary: the stop rule's tol, or 10⁻⁶."""
        return self.config.tol or DEFAULT_REPORT_TOL

    @property
    def problem(self):  # noqa: ANN201 - FunctionProblem | RegressionProblem
        return self.config.problem

    def label(self, j: int) -> str:
        lane = self.lanes[j]
        name = OPTIMIZER_NAMES.get(lane.optimizer.name, lane.optimizer.name)
        optimizers = {la.optimizer.name for la in self.lanes}
        rates = {la.lr for la in self.lanes}
        if len(optimizers) > 1 and len(rates) > 1:
            return f"{name}, {_lr_label(lane.lr)}"
        if len(optimizers) > 1 or self.kind == "optimizer":
            return name
        return _lr_label(lane.lr)

    def labels(self) -> list[str]:
        return [self.label(j) for j in range(len(self.lanes))]

    def lane_config(self, j: int) -> RunConfig:
        """The single run that lane ``j`` is (its learning rate and optimizer settings)."""
        lane = self.lanes[j]
        o = lane.optimizer
        return self.config.with_(lr=lane.lr, optimizer=o.name, momentum=o.momentum,
                                 beta1=o.beta1, beta2=o.beta2, alpha=o.alpha, eps=o.eps)


@dataclass(frozen=True, eq=False)
class RaceStep:
    """New rows of every lane (epochs ``start`` … ``start + n − 1``) and each lane's state.

    Rows of a lane past its ``lengths[j]`` repeat its last row; they are not its history.
    """

    start: int
    params: np.ndarray  # (n, K, k)
    loss: np.ndarray  # (n, K)
    grad: np.ndarray  # (n, K, k)
    lengths: tuple[int, ...]
    statuses: tuple[str, ...]
    messages: tuple[str, ...]
    done: tuple[bool, ...]
    finished: bool

    def __len__(self) -> int:
        return int(self.loss.shape[0])

    @property
    def stop(self) -> int:
        return self.start + len(self)

    @property
    def status(self) -> str:
        return "finished" if self.finished else ""


def merge_race_steps(parts: Sequence[RaceStep]) -> RaceStep:
    """One step holding the rows of consecutive ``parts`` and the state after the last."""
    if len(parts) == 1:
        return parts[0]
    last = parts[-1]
    return RaceStep(
        start=parts[0].start,
        params=np.concatenate([p.params for p in parts]),
        loss=np.concatenate([p.loss for p in parts]),
        grad=np.concatenate([p.grad for p in parts]),
        lengths=last.lengths,
        statuses=last.statuses,
        messages=last.messages,
        done=last.done,
        finished=last.finished,
    )


class RaceRun:
    """The worker's handle on a race: a Descent-like face over :class:`Race`."""

    def __init__(self, spec: RaceSpec) -> None:
        self.spec = spec
        self.config = spec.config
        self.race = Race(spec.config, spec.lanes)

    @property
    def finished(self) -> bool:
        return self.race.finished

    @property
    def epoch(self) -> int:
        return self.race.epoch

    def _step(self, batch: object) -> RaceStep:
        race = self.race
        return RaceStep(
            start=batch.start,  # type: ignore[attr-defined]
            params=batch.params,  # type: ignore[attr-defined]
            loss=batch.loss,  # type: ignore[attr-defined]
            grad=batch.grad,  # type: ignore[attr-defined]
            lengths=tuple(int(v) for v in race.lengths),
            statuses=tuple(race.statuses),
            messages=tuple(race.messages),
            done=tuple(bool(v) for v in race.done),
            finished=race.finished,
        )

    def advance(self, n: int = 1) -> RaceStep:
        return self._step(self.race.advance(n))

    def initial_batch(self) -> RaceStep:
        return self._step(self.race.initial_batch())
