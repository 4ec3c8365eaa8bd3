"""Optimizers: their settings (:class:`OptimizerSettings`) and their update on NumPy arrays,
written as ``torch.optim`` computes it (:func:`numpy_update`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from gdstudio.core.errors import ConfigError

OPTIMIZERS = ("gd", "sgd", "momentum", "nesterov", "adam", "rmsprop", "adagrad")


_DEFAULT_EPS = {"adam": 1e-8, "rmsprop": 1e-8, "adagrad": 1e-10}


@dataclass(frozen=True)
class OptimizerSettings:
    """An optimizer and its hyper-parameters (``torch.optim``'s defaults where not given)."""

    name: str = "gd"
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    alpha: float = 0.99
    eps: float | None = None

    def __post_init__(self) -> None:
        if self.name not in OPTIMIZERS:
            raise ConfigError(f"unknown optimizer {self.name!r}; choose from {', '.join(OPTIMIZERS)}")
        for field_name, lo, hi in (
            ("momentum", 0.0, 1.0),
            ("beta1", 0.0, 1.0),
            ("beta2", 0.0, 1.0),
            ("alpha", 0.0, 1.0),
        ):
            v = getattr(self, field_name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not lo <= v < hi:
                raise ConfigError(f"{field_name} must be in [{lo:g}, {hi:g}), got {v!r}")
        if self.eps is not None and (not math.isfinite(self.eps) or self.eps <= 0):
            raise ConfigError(f"eps must be > 0, got {self.eps!r}")

    @property
    def eps_value(self) -> float:
        return self.eps if self.eps is not None else _DEFAULT_EPS.get(self.name, 0.0)


def numpy_update(opt: OptimizerSettings, state: dict[str, Any], dt: Any) -> Any:
    """A function (p, g, lr) → new p implementing ``opt`` as ``torch.optim`` does."""
    name = opt.name
    one = dt(1.0)
    if name in ("gd", "sgd"):
        return lambda p, g, lr: (p - lr * g).astype(dt, copy=False)
    if name in ("momentum", "nesterov"):
        mu = dt(opt.momentum)

        def momentum(p: np.ndarray, g: np.ndarray, lr: Any) -> np.ndarray:
            buf = state.get("buf")
            buf = g.copy() if buf is None else (mu * buf + g).astype(dt, copy=False)
            state["buf"] = buf
            d = (g + mu * buf).astype(dt, copy=False) if name == "nesterov" else buf
            return (p - lr * d).astype(dt, copy=False)

        return momentum
    if name == "adam":
        b1, b2, eps = dt(opt.beta1), dt(opt.beta2), dt(opt.eps_value)

        def adam(p: np.ndarray, g: np.ndarray, lr: Any) -> np.ndarray:
            t = state.get("t", 0) + 1
            state["t"] = t
            m = state.get("m", np.zeros_like(p))
            v = state.get("v", np.zeros_like(p))
            m = (m + (g - m) * (one - b1)).astype(dt, copy=False)  # torch: lerp
            v = (v * b2 + (one - b2) * g * g).astype(dt, copy=False)
            state["m"], state["v"] = m, v
            bc1 = 1.0 - float(opt.beta1) ** t
            bc2 = 1.0 - float(opt.beta2) ** t
            # lr may be one number or a column of per-run rates (races)
            step_size = (np.asarray(lr, dtype=np.float64) / bc1).astype(dt)
            denom = (np.sqrt(v) / dt(math.sqrt(bc2)) + eps).astype(dt, copy=False)
            return (p - step_size * (m / denom)).astype(dt, copy=False)

        return adam
    if name == "rmsprop":
        a, eps = dt(opt.alpha), dt(opt.eps_value)

        def rmsprop(p: np.ndarray, g: np.ndarray, lr: Any) -> np.ndarray:
            v = state.get("v", np.zeros_like(p))
            v = (v * a + (one - a) * g * g).astype(dt, copy=False)
            state["v"] = v
            return (p - lr * (g / (np.sqrt(v) + eps))).astype(dt, copy=False)

        return rmsprop
    if name == "adagrad":
        eps = dt(opt.eps_value)

        def adagrad(p: np.ndarray, g: np.ndarray, lr: Any) -> np.ndarray:
            s = state.get("sum", np.zeros_like(p))
            s = (s + g * g).astype(dt, copy=False)
            state["sum"] = s
            return (p - lr * (g / (np.sqrt(s) + eps))).astype(dt, copy=False)

        return adagrad
    raise ConfigError(f"unknown optimizer {name!r}")  # pragma: no cover
