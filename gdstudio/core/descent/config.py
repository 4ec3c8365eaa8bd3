"""What a run is: :class:`RunConfig`, validated in one place, with messages a person reads.

Its fields are the CLI's options (``--lr`` → ``lr``); sessions, the exported scripts and the
window build and read the same dataclass. Every numeric field goes through the same check.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from gdstudio.core.descent.optimizers import OPTIMIZERS, OptimizerSettings
from gdstudio.core.errors import ConfigError
from gdstudio.core.problems import FunctionProblem, Problem, RegressionProblem

#: Upper bound on epochs for one run (memory: 24 bytes per epoch for f(x)).
MAX_EPOCHS = 100_000_000
#: Who computes the gradient (see :mod:`.engines`).
ENGINES = ("manual", "torch")
#: Floating-point types a run computes in.
DTYPES = ("float64", "float32")


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or value is None:
        raise ConfigError(f"{what} must be a number, got {value!r}")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} must be a number, got {value!r}") from None
    if math.isnan(out):
        raise ConfigError(f"{what} must be a number, got nan")
    return out


def check_learning_rate(value: Any) -> float:
    lr = _number(value, "learning rate")
    if not math.isfinite(lr):
        raise ConfigError(f"learning rate must be finite, got {value!r}")
    if lr <= 0:
        raise ConfigError(f"learning rate must be > 0, got {value!r}")
    return lr


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a run. Validated on construction; keyword names mirror the CLI.

    ``x0`` is the start of a function problem (a number, or a pair for f(x, y)); ``m0``/``c0``
    that of a regression. ``lr`` and ``x0`` default to the problem's own defaults.
    """

    problem: Problem = field(default_factory=FunctionProblem)
    x0: float | Sequence[float] | None = None
    m0: float = 0.0
    c0: float = 0.0
    lr: float | None = None
    epochs: int = 50
    engine: str = "manual"
    device: str = "cpu"
    dtype: str = "float64"
    optimizer: str = "gd"
    tol: float = 0.0
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    alpha: float = 0.99
    eps: float | None = None
    stop_on_cycle: bool = False
    scale_x: bool = False
    batch_size: int = 0
    batch_seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.problem, (FunctionProblem, RegressionProblem)):
            raise ConfigError(
                f"problem must be a FunctionProblem or RegressionProblem, got {self.problem!r}"
            )
        lr = self.problem.default_lr if self.lr is None else self.lr
        object.__setattr__(self, "lr", check_learning_rate(lr))
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, (int, np.integer)):
            e = _number(self.epochs, "epochs")
            if not math.isfinite(e) or e != int(e):
                raise ConfigError(f"epochs must be a whole number, got {self.epochs!r}")
            object.__setattr__(self, "epochs", int(e))
        if not 0 <= self.epochs <= MAX_EPOCHS:
            raise ConfigError(f"epochs must be between 0 and {MAX_EPOCHS:,}, got {self.epochs}")
        object.__setattr__(self, "epochs", int(self.epochs))
        tol = _number(self.tol, "tolerance")
        if not math.isfinite(tol) or tol < 0:
            raise ConfigError(f"tolerance must be ≥ 0 and finite, got {self.tol!r}")
        object.__setattr__(self, "tol", tol)
        if self.engine not in ENGINES:
            raise ConfigError(f"unknown engine {self.engine!r}; choose manual or torch")
        if self.dtype not in DTYPES:
            raise ConfigError(f"unknown dtype {self.dtype!r}; choose float64 or float32")
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(
                f"unknown optimizer {self.optimizer!r}; choose from {', '.join(OPTIMIZERS)}"
            )
        if self.engine == "manual" and str(self.device).lower() != "cpu":
            raise ConfigError(
                "the manual engine runs on the CPU; choose the torch engine for device"
                f" {self.device!r}"
            )
        self.optimizer_settings  # validates hyper-parameters  # noqa: B018
        for name in ("batch_size", "batch_seed"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
                raise ConfigError(f"{name.replace('_', ' ')} must be a whole number ≥ 0, got {v!r}")
        if not isinstance(self.problem, RegressionProblem):
            if self.scale_x:
                raise ConfigError("feature scaling applies to regression problems only")
            if self.batch_size:
                raise ConfigError("mini-batches apply to regression problems only")
        # Validates the start point (finite numbers, right count).
        self.start_params()

    @property
    def optimizer_settings(self) -> OptimizerSettings:
        return OptimizerSettings(
            self.optimizer, self.momentum, self.beta1, self.beta2, self.alpha, self.eps
        )

    def start_params(self) -> np.ndarray:
        if isinstance(self.problem, RegressionProblem):
            return self.problem.start((self.m0, self.c0))
        return self.problem.start(self.x0)

    def with_(self, **changes: Any) -> RunConfig:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def with_lr(self, lr: float) -> RunConfig:
        """A copy with another learning rate: only that is checked (the rest was, when this
        configuration was made), which makes it cheap enough for every lane of a race."""
        out = object.__new__(RunConfig)  # copy.copy's result, without its generic protocol
        out.__dict__.update(self.__dict__)
        object.__setattr__(out, "lr", check_learning_rate(lr))
        return out

    def to_dict(self) -> dict[str, Any]:
        """The configuration as plain JSON values, in the CLI's vocabulary."""
        out: dict[str, Any] = dict(self.problem.describe())
        start = self.start_params()
        if isinstance(self.problem, RegressionProblem):
            out.update({"m0": float(start[0]), "c0": float(start[1])})
        elif start.size == 1:
            out["x0"] = float(start[0])
        else:
            out["x0"] = [float(v) for v in start]
        out.update(
            {
                "lr": self.lr,
                "epochs": self.epochs,
                "engine": self.engine,
                "device": self.device,
                "dtype": self.dtype,
                "optimizer": self.optimizer,
                "tol": self.tol,
            }
        )
        if self.optimizer in ("momentum", "nesterov"):
            out["momentum"] = self.momentum
        elif self.optimizer == "adam":
            out["betas"] = [self.beta1, self.beta2]
        elif self.optimizer == "rmsprop":
            out["alpha"] = self.alpha
        if self.optimizer in ("adam", "rmsprop", "adagrad"):
            out["eps"] = self.optimizer_settings.eps_value
        if self.scale_x:
            out["scale_x"] = True
        if self.batch_size:
            out["batch_size"] = self.batch_size
            out["batch_seed"] = self.batch_seed
        return out
