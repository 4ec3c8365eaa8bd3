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
from gdstudio.core.numbers import flag, real, whole
from gdstudio.core.problems import FunctionProblem, Problem, RegressionProblem

#: Upper bound on epochs for one run (memory: 24 bytes per epoch for f(x)).
MAX_EPOCHS = 100_000_000
#: Who computes the gradient (see :mod:`.engines`).
ENGINES = ("manual", "torch")
#: Floating-point types a run computes in.
DTYPES = ("float64", "float32")


@dataclass(frozen=True)
class ConfigField:
    """One :class:`RunConfig` field as every outer layer knows it: the CLI's option and help,
    the session format that requires it, whether exported scripts reproduce it, and which
    optimizers use it. :data:`CONFIG_FIELDS` lists them all (the problem aside), in the
    dataclass's order: the CLI's run options, the session's required fields and code export's
    check are read from it, so a field added to RunConfig is added here once."""

    name: str
    #: how the CLI reads it: "start", "real", "whole", "flag", "choice" or "text"
    kind: str
    help: str
    #: the session format version from which it is required (0: optional, absent = default)
    session: int = 1
    #: exported scripts reproduce it (else code export refuses a value other than the default)
    scripts: bool = True
    #: the optimizers that use it (empty: every run)
    optimizers: tuple[str, ...] = ()

    @property
    def option(self) -> str:
        """The CLI's option (``--batch-size``)."""
        return "--" + self.name.replace("_", "-")

    @property
    def default(self) -> Any:
        """RunConfig's default (None where the problem decides: lr, x0)."""
        return RunConfig.__dataclass_fields__[self.name].default

    def describe(self) -> str:
        """The help text, its ``{default}`` filled in with RunConfig's default."""
        return self.help.format(default=self.default)


#: Every RunConfig field but ``problem``, in the dataclass's order (a test checks that).
CONFIG_FIELDS: tuple[ConfigField, ...] = (
    ConfigField("x0", "start", "start of a function problem: a number, or a,b for f(x, y) "
                               "(default 7, or the preset's)"),
    ConfigField("m0", "start", "regression: start slope (default {default:g})"),
    ConfigField("c0", "start", "regression: start intercept (default {default:g})"),
    ConfigField("lr", "real", "learning rate (default 0.1 for f(x), 1e-4 for a regression); "
                              "a comma list (0.01,0.1,0.3,0.7,1) races them"),
    ConfigField("epochs", "whole", "number of updates (default {default}, or the preset's)"),
    ConfigField("engine", "choice", "who computes the gradient (default {default})"),
    ConfigField("device", "text", "torch engine: cpu, cuda, cuda:N or mps"),
    ConfigField("dtype", "choice", "floating-point type (default {default})"),
    ConfigField("optimizer", "choice", "|".join(OPTIMIZERS) + "; gd is the plain update "
                                       "x -= lr*grad; a comma list (gd,adam) races them"),
    ConfigField("tol", "real", "stop when |gradient| <= tol (0: never early)"),
    ConfigField("momentum", "real", "momentum/nesterov: μ ({default}; torch's is 0)",
                optimizers=("momentum", "nesterov")),
    ConfigField("beta1", "real", "adam: beta1 ({default})", optimizers=("adam",)),
    ConfigField("beta2", "real", "adam: beta2 ({default})", optimizers=("adam",)),
    ConfigField("alpha", "real", "rmsprop: smoothing constant ({default})",
                optimizers=("rmsprop",)),
    ConfigField("eps", "real", "adam/rmsprop/adagrad: eps (torch's default)",
                optimizers=("adam", "rmsprop", "adagrad")),
    ConfigField("stop_on_cycle", "flag",
                "end the run as soon as the iterates are seen cycling"),
    ConfigField("scale_x", "flag",
                "regression: descend on standardised x (results in original units)", session=0),
    ConfigField("batch_size", "whole",
                "regression: mini-batch size (0: full batch); an epoch is one pass", session=0),
    ConfigField("batch_seed", "whole",
                "regression: seed of the mini-batch shuffle (default {default})", session=0),
)
#: :data:`CONFIG_FIELDS` by name.
CONFIG_FIELD = {f.name: f for f in CONFIG_FIELDS}
#: The hyper-parameters and the optimizers that use them (the others ignore them).
HYPER_PARAMETERS = {f.name: f.optimizers for f in CONFIG_FIELDS if f.optimizers}


def check_learning_rate(value: Any) -> float:
    if type(value) is float and 0.0 < value < math.inf:  # (the common case, for every lane)
        return value
    return real(value, "learning rate", low=0.0, low_open=True)


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
        # Every numeric field through one check (.numbers), with the CLI's messages.
        object.__setattr__(self, "epochs", whole(self.epochs, "epochs", high=MAX_EPOCHS))
        object.__setattr__(self, "tol", real(self.tol, "tolerance", low=0.0))
        for name in ("momentum", "beta1", "beta2", "alpha"):
            object.__setattr__(self, name, real(getattr(self, name), name, low=0.0, high=1.0,
                                                high_open=True))
        if self.eps is not None:
            object.__setattr__(self, "eps", real(self.eps, "eps", low=0.0, low_open=True))
        for name in ("batch_size", "batch_seed"):
            object.__setattr__(self, name, whole(getattr(self, name), name.replace("_", " ")))
        for name in ("stop_on_cycle", "scale_x"):
            object.__setattr__(self, name, flag(getattr(self, name), name))
        for name in ("m0", "c0"):
            object.__setattr__(self, name, real(getattr(self, name), f"start {name}"))
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
        uses = {name for name, users in HYPER_PARAMETERS.items() if self.optimizer in users}
        if "momentum" in uses:
            out["momentum"] = self.momentum
        if "beta1" in uses:
            out["betas"] = [self.beta1, self.beta2]
        if "alpha" in uses:
            out["alpha"] = self.alpha
        if "eps" in uses:
            out["eps"] = self.optimizer_settings.eps_value
        if self.scale_x:
            out["scale_x"] = True
        if self.batch_size:
            out["batch_size"] = self.batch_size
            out["batch_seed"] = self.batch_seed
        return out
