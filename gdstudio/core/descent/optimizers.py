"""Optimizers: their settings (:class:`OptimizerSettings`) and their update on NumPy arrays,
written as ``torch.optim`` computes it (:func:`numpy_update`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gdstudio.core.descent.fused import fma
from gdstudio.core.errors import ConfigError
from gdstudio.core.numbers import real

OPTIMIZERS = ("gd", "sgd", "momentum", "nesterov", "adam", "rmsprop", "adagrad")


#: eps where none is given: torch.optim's defaults.
DEFAULT_EPS = {"adam": 1e-8, "rmsprop": 1e-8, "adagrad": 1e-10}

#: The momentum μ of "momentum" and "nesterov" when none is given. Not torch.optim.SGD's default
#: (0, which would make them plain descent): see :class:`OptimizerSettings`.
DEFAULT_MOMENTUM = 0.9


@dataclass(frozen=True)
class OptimizerSettings:
    """An optimizer and its hyper-parameters.

    β₁, β₂, α and ε default to ``torch.optim``'s own defaults (Adam's betas (0.9, 0.999),
    RMSprop's alpha 0.99, each optimizer's eps). The momentum μ does not: it defaults to
    :data:`DEFAULT_MOMENTUM` = 0.9, where ``torch.optim.SGD``'s default is 0, because with 0 the
    "momentum" and "nesterov" optimizers would be plain descent (0.9 is the value of torch's own
    example, ``SGD(params, lr=0.1, momentum=0.9)``).
    """

    name: str = "gd"
    momentum: float = 0.9  # DEFAULT_MOMENTUM (torch.optim.SGD's default: 0)
    beta1: float = 0.9
    beta2: float = 0.999
    alpha: float = 0.99
    eps: float | None = None

    def __post_init__(self) -> None:
        if self.name not in OPTIMIZERS:
            raise ConfigError(
                f"unknown optimizer {self.name!r}; choose from {', '.join(OPTIMIZERS)}"
            )
        # One check for every hyper-parameter (NumPy scalars and numeric text as lr takes them).
        for field_name in ("momentum", "beta1", "beta2", "alpha"):
            value = real(getattr(self, field_name), field_name, low=0.0, high=1.0,
                         high_open=True)
            object.__setattr__(self, field_name, value)
        if self.eps is not None:
            object.__setattr__(self, "eps", real(self.eps, "eps", low=0.0, low_open=True))

    @property
    def eps_value(self) -> float:
        return self.eps if self.eps is not None else DEFAULT_EPS.get(self.name, 0.0)


def numpy_update(opt: OptimizerSettings, state: dict[str, Any], dt: Any) -> Any:
    """A function (p, g, lr) → new p implementing ``opt`` with ``torch.optim``'s arithmetic.

    Bit for bit what ``torch.optim``'s single-tensor code computes on a CPU tensor of dtype
    ``dt`` (read from ``torch/optim/sgd.py``, ``adam.py``, ``rmsprop.py``, ``adagrad.py``):
    hyper-parameter arithmetic (1 − β, the bias corrections, lr / bias correction) in Python
    floats (float64), each result rounded to ``dt`` where a kernel takes it as a scalar; the
    kernels' own order of operations; and their multiply-adds fused into one rounding, as the
    compiler contracts them in torch's CPU kernels (seen in torch 2.13's x86-64 build, AVX2;
    :func:`~.fused.fma`):

    ``p.add_(d, alpha=-lr)``             fma(−lr, d, p)
    ``buf.mul_(μ).add_(g)``              μ·buf, then + g
    ``g.add(buf, alpha=μ)`` (Nesterov)   fma(μ, buf, g)
    ``m.lerp_(g, w)`` (w < ½)            fma(w, g − m, m);  w ≥ ½: fma(w − 1, g − m, g)
    ``v.mul_(β).addcmul_(g, g, value=s)`` β·v, then fma(s·g, g, v)
    ``p.addcdiv_(a, d, value=s)``        p + (s·a) / d
    ``t.sqrt() / s``, ``.add_(eps)``     each rounded on its own

    One operation differs by design: the square root here is IEEE's, correctly rounded, while
    torch's CPU ``sqrt`` is MKL's vector root (``vsSqrt``/``vdSqrt``, "high accuracy" mode),
    within one unit in the last place of it but not always equal (about 1 float32 root in 6 and
    1 float64 root in 80 differ by that unit), by a CPU-dependent algorithm NumPy cannot
    reproduce. Adam, RMSprop and Adagrad therefore agree with torch.optim bit for bit wherever
    MKL's root is the correctly rounded one, and otherwise start from a denominator one unit
    apart (tests/core/test_optimizer_arithmetic.py).

    ``gd`` is not an optimizer of torch's: it is the source's ``p - lr * g`` (two roundings),
    as the torch engine computes it. ``lr`` is a Python float or a float64 column of per-lane
    rates (races); it is rounded to ``dt`` here, as torch rounds its scalar.

    Each update leaves its intermediate values in ``state["trace"]`` (the buffer, moments,
    bias corrections, denominators: the arrays this update computed, see
    :mod:`gdstudio.core.arithmetic`, which shows them).
    """
    name = opt.name

    def rounded(lr: Any) -> Any:
        return dt(lr) if np.ndim(lr) == 0 else np.asarray(lr, dtype=np.float64).astype(dt)

    def cast(a: Any) -> Any:  # each operation's result rounded to the dtype, as torch's kernels
        return a.astype(dt, copy=False)

    if name == "gd":
        return lambda p, g, lr: cast(p - cast(rounded(lr) * g))
    if name == "sgd":
        return lambda p, g, lr: fma(rounded(-lr), g, p, dt)
    if name in ("momentum", "nesterov"):
        mu = dt(opt.momentum)

        def momentum(p: np.ndarray, g: np.ndarray, lr: Any) -> np.ndarray:
            buf = state.get("buf")
            # torch.optim.SGD: the first buffer is a copy of the gradient
            buf = g.copy() if buf is None else cast(cast(mu * buf) + g)
            state["buf"] = buf
            d = fma(mu, buf, g, dt) if name == "nesterov" else buf
            state["trace"] = {"buf": buf, "d": d}
            return fma(rounded(-lr), d, p, dt)

        return momentum
    if name == "adam":
        beta1, beta2 = float(opt.beta1), float(opt.beta2)
        w1 = dt(1.0 - beta1)  # lerp's weight
        small = abs(float(w1)) < 0.5
        w1m = (w1 - dt(1.0)).astype(dt) if not small else w1  # exact (Sterbenz)
        b2, s2, eps = dt(beta2), dt(1.0 - beta2), dt(opt.eps_value)

        def adam(p: np.ndarray, g: np.ndarray, lr: Any) -> np.ndarray:
            t = state.get("t", 0) + 1
            state["t"] = t
            m = state.get("m", np.zeros_like(p))
            v = state.get("v", np.zeros_like(p))
            diff = cast(g - m)
            m = fma(w1, diff, m, dt) if small else fma(w1m, diff, g, dt)  # exp_avg.lerp_
            v = fma(cast(s2 * g), g, cast(v * b2), dt)
            state["m"], state["v"] = m, v
            step = float(t)  # torch keeps the step count in a float tensor
            bias_correction1 = 1 - beta1**step
            bias_correction2 = 1 - beta2**step
            # lr / bias_correction1 in float64, per lane where lr is a column
            step_size = np.asarray(lr, dtype=np.float64) / bias_correction1
            root2 = dt(bias_correction2**0.5)
            denom = cast(cast(np.sqrt(v) / root2) + eps)
            scale = (-step_size).astype(dt)
            state["trace"] = {"t": t, "m": m, "v": v, "bias_correction1": bias_correction1,
                              "bias_correction2": bias_correction2, "root2": root2,
                              "scale": scale, "denom": denom}
            return cast(p + cast(scale * m) / denom)  # addcdiv_

        return adam
    if name == "rmsprop":
        a, s, eps = dt(opt.alpha), dt(1.0 - float(opt.alpha)), dt(opt.eps_value)

        def rmsprop(p: np.ndarray, g: np.ndarray, lr: Any) -> np.ndarray:
            v = state.get("v", np.zeros_like(p))
            v = fma(cast(s * g), g, cast(v * a), dt)
            state["v"] = v
            avg = cast(np.sqrt(v) + eps)
            state["trace"] = {"v": v, "denom": avg}
            return cast(p + cast(rounded(-lr) * g) / avg)  # addcdiv_

        return rmsprop
    if name == "adagrad":
        eps = dt(opt.eps_value)

        def adagrad(p: np.ndarray, g: np.ndarray, lr: Any) -> np.ndarray:
            total = fma(g, g, state.get("sum", np.zeros_like(p)), dt)  # addcmul_(g, g, value=1)
            state["sum"] = total
            std = cast(np.sqrt(total) + eps)
            state["trace"] = {"sum": total, "denom": std}
            # (torch's lr / (1 + (step − 1)·lr_decay) with lr_decay = 0 is lr itself)
            return cast(p + cast(rounded(-lr) * g) / std)  # addcdiv_

        return adagrad
    raise ConfigError(f"unknown optimizer {name!r}")  # pragma: no cover
