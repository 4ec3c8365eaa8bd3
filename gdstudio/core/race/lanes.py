"""The lanes of a race: one learning rate and one optimizer each (:class:`Lane`), and the
lanes for every pair asked for (:func:`make_lanes`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gdstudio.core.descent.config import RunConfig
from gdstudio.core.descent.optimizers import OPTIMIZERS, OptimizerSettings
from gdstudio.core.errors import ConfigError

#: The source's five learning rates (the default race).
SOURCE_LEARNING_RATES = (0.01, 0.1, 0.3, 0.7, 1.0)


#: Most lanes in one race.
MAX_LANES = 1024


@dataclass(frozen=True)
class Lane:
    """One run of a race: its learning rate and optimizer."""

    lr: float
    optimizer: OptimizerSettings

    @property
    def label(self) -> str:
        if self.optimizer.name == "gd":
            return f"lr {self.lr:g}"
        return f"{self.optimizer.name} (lr {self.lr:g})"


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
            opts.append(OptimizerSettings(o, base.momentum, base.beta1, base.beta2, base.alpha, base.eps))
    lanes = [Lane(lr, o) for o in opts for lr in rates]
    if not lanes:
        raise ConfigError("a race needs at least one learning rate and one optimizer")
    if len(lanes) > MAX_LANES:
        raise ConfigError(f"a race has at most {MAX_LANES} runs, got {len(lanes)}")
    return lanes
