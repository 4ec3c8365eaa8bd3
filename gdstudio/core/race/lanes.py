"""What a race is: its lanes (one learning rate and one optimizer each, :class:`Lane`), the
lanes for every pair asked for (:func:`make_lanes`), and the whole race asked for
(:class:`RaceSpec`: the base configuration, the lanes, how they are named)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from gdstudio.core.descent.config import RunConfig
from gdstudio.core.descent.optimizers import OPTIMIZERS, OptimizerSettings
from gdstudio.core.errors import ConfigError

#: The source's five learning rates (the default race).
SOURCE_LEARNING_RATES = (0.01, 0.1, 0.3, 0.7, 1.0)


#: Most lanes in one race.
MAX_LANES = 1024
#: |gradient| reported as "reached" in summaries when the run's own tol is 0.
DEFAULT_REPORT_TOL = 1e-6
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


@dataclass(frozen=True)
class Lane:
    """One run of a race: its learning rate and optimizer."""

    lr: float
    optimizer: OptimizerSettings



def make_lanes(
    config: RunConfig,
    lrs: Sequence[float] | None = None,
    optimizers: Sequence[str | OptimizerSettings] | None = None,
) -> list[Lane]:
    """Lanes for every (optimizer, lr) pair; defaults: the config's own lr and optimizer."""
    from gdstudio.core.descent.config import check_learning_rate

    rates = [check_learning_rate(v) for v in (lrs if lrs is not None and len(lrs) else [config.lr])]
    opts: list[OptimizerSettings] = []
    for o in optimizers if optimizers is not None and len(optimizers) else [config.optimizer]:
        if isinstance(o, OptimizerSettings):
            opts.append(o)
        else:
            if o not in OPTIMIZERS:
                raise ConfigError(f"unknown optimizer {o!r}; choose from {', '.join(OPTIMIZERS)}")
            base = config.optimizer_settings
            opts.append(OptimizerSettings(o, base.momentum, base.beta1, base.beta2, base.alpha,
                                          base.eps))
    lanes = [Lane(lr, o) for o in opts for lr in rates]
    if not lanes:
        raise ConfigError("a race needs at least one learning rate and one optimizer")
    if len(lanes) > MAX_LANES:
        raise ConfigError(f"a race has at most {MAX_LANES} runs, got {len(lanes)}")
    return lanes


@dataclass(frozen=True, eq=False)
class RaceSpec:
    """A race to run: ``config`` (problem, start, epochs, engine, tol, …) and its lanes.

    ``kind`` says what is compared: ``"lr"`` (one optimizer, several learning rates) or
    ``"optimizer"`` (several optimizers, one learning rate); it only changes the labels.
    """

    config: RunConfig
    lanes: tuple[Lane, ...]
    kind: str = "lr"
    _bases: dict[OptimizerSettings, RunConfig] = field(default_factory=dict, repr=False)
    _labels: list[str] = field(default_factory=list, repr=False)

    @property
    def epochs(self) -> int:
        return self.config.epochs

    @property
    def report_tol(self) -> float:
        """|gradient| counted as "reached" in the summary: the stop rule's tol, or 10⁻⁶."""
        return self.config.tol or DEFAULT_REPORT_TOL

    def label(self, j: int) -> str:
        """Lane ``j``'s name in legends and tables: what tells it from the other lanes."""
        return self.labels()[j]

    def labels(self) -> list[str]:
        """Every lane's :meth:`label` (made once)."""
        if not self._labels:
            optimizers = {lane.optimizer.name for lane in self.lanes}
            several_rates = len({lane.lr for lane in self.lanes}) > 1
            for lane in self.lanes:
                name = OPTIMIZER_NAMES.get(lane.optimizer.name, lane.optimizer.name)
                if len(optimizers) > 1 and several_rates:
                    self._labels.append(f"{name}, lr {lane.lr:g}")
                elif len(optimizers) > 1 or self.kind == "optimizer":
                    self._labels.append(name)
                else:
                    self._labels.append(f"lr {lane.lr:g}")
        return list(self._labels)

    def lane_config(self, j: int) -> RunConfig:
        """The single run that lane ``j`` is (its learning rate and optimizer settings)."""
        lane = self.lanes[j]
        o = lane.optimizer
        base = self._bases.get(o)
        if base is None:  # validated once per optimizer; each lane then changes only its lr
            base = self.config.with_(optimizer=o.name, momentum=o.momentum, beta1=o.beta1,
                                     beta2=o.beta2, alpha=o.alpha, eps=o.eps)
            self._bases[o] = base
        return base.with_lr(lane.lr)
