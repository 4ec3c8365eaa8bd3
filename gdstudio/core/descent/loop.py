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
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from gdstudio.core.descent.engines import (
    DTYPES,
    ENGINES,
    OPTIMIZERS,
    Engine,
    OptimizerSettings,
    make_engine,
)
from gdstudio.core.errors import ConfigError, InputError
from gdstudio.core.problems import FunctionProblem, Problem, RegressionProblem

__all__ = [
    "STATUSES",
    "EXPLOSION_FACTOR",
    "MAX_EPOCHS",
    "RunConfig",
    "History",
    "StepBatch",
    "Descent",
    "steps",
    "run",
    "find_cycle",
    "check_learning_rate",
    "scan_block",
    "grad_norms",
]

STATUSES = ("converged", "max_epochs", "diverged", "cycling")
#: How far loss or parameters may move, relative to their start, before the run is "diverged".
EXPLOSION_FACTOR = 1e12
#: A steadily growing run is "diverged" sooner: growth by at least GROWTH_RATE per epoch for
#: GROWTH_EPOCHS epochs in a row, to GROWTH_FACTOR × (1 + |start|). A converging run cannot
#: do that: the distance from its start grows at most like t/(t−1) per epoch.
GROWTH_RATE = 1.1
GROWTH_EPOCHS = 20
GROWTH_FACTOR = 1e6
#: Upper bound on epochs for one run (memory: 24 bytes per epoch for f(x)).
MAX_EPOCHS = 100_000_000


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
            raise ConfigError(f"problem must be a FunctionProblem or RegressionProblem, got {self.problem!r}")
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
                f"the manual engine runs on the CPU; choose the torch engine for device {self.device!r}"
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
    """New rows of a run: epochs ``start`` … ``start + len - 1``, plus the run's state after them."""

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


#: Cycle search: periods 2 … CYCLE_PERIODS, each repeated CYCLE_REPEATS times at the end of
#: the rows; the search reads only the last CYCLE_ROWS rows.
CYCLE_PERIODS = 32
CYCLE_REPEATS = 3
CYCLE_ROWS = CYCLE_REPEATS * CYCLE_PERIODS + 1


def find_cycle(
    params: np.ndarray, *, max_period: int = CYCLE_PERIODS, repeats: int = CYCLE_REPEATS,
    dtype: str = "float64",
) -> tuple[int, np.ndarray] | None:
    """Detect iterates that repeat with a period p ≥ 2 at the end of ``params`` (rows).

    Returns ``(p, points of one cycle)`` or None. Repetition must be (nearly) exact and the
    cycle wider than float rounding: two neighbouring floats at a minimum are not a cycle.
    (One run of :func:`find_cycles`.)
    """
    return find_cycles(params[:, None, :], max_period=max_period, repeats=repeats,
                       dtype=dtype)[0]


def find_cycles(
    params: np.ndarray, *, max_period: int = CYCLE_PERIODS, repeats: int = CYCLE_REPEATS,
    dtype: str = "float64",
) -> list[tuple[int, np.ndarray] | None]:
    """Cycles at the end of K runs of the same length at once: ``params`` is (n, K, k); one
    result per run, as :func:`find_cycle` describes it.

    Period p (2 … ``max_period``, the smallest first) is a cycle of run j when its last
    ``repeats`` · p + 1 rows repeat every p rows to 4 ulps, and the cycle's spread is wider than
    64 ulps of its size.
    """
    params = params[max(0, params.shape[0] - (repeats * max_period + 1)) :]  # all it reads
    n, K = params.shape[0], params.shape[1]
    eps = float(np.finfo(np.float32 if dtype == "float32" else np.float64).eps)
    tiny = np.finfo(np.float64).tiny
    out: list[tuple[int, np.ndarray] | None] = [None] * K
    with np.errstate(all="ignore"):
        # Runs whose whole tail lies within rounding of itself (settled at a point) cannot
        # hold a cycle wider than rounding: every cycle's spread is at most the tail's, its
        # size at least the tail's smallest row. Only the others are searched.
        spread = (params.max(axis=0) - params.min(axis=0)).max(axis=1)
        smallest = np.abs(params).max(axis=2).min(axis=0)
        lanes = np.nonzero(~(spread <= 64 * eps * np.maximum(smallest, tiny)))[0]
        # A cycle of period p has its last row within 4 ulps of the row p before it: which
        # periods pass that one comparison, for each run (all at once; the search below makes
        # it again among the rest, so this only skips periods and runs that cannot pass).
        periods = np.arange(2, min(max_period, max(n - 1, 1)) + 1)
        candidates: list[int] = []
        if lanes.size and periods.size:
            a = params[n - 1, lanes][None]
            b = params[n - 1 - periods][:, lanes]
            maybe = _within_ulps(a, b, eps).all(axis=2)
            keep = maybe.any(axis=0)
            lanes, maybe = lanes[keep], maybe[:, keep]
            candidates = (periods[maybe.any(axis=1)]).tolist()
        for p in candidates:
            need = repeats * p + 1
            if n < need or not lanes.size:
                break
            if not maybe[p - 2].any():
                continue
            tail = params[n - need :, lanes]
            a, b = tail[p:], tail[:-p]
            close = _within_ulps(a, b, eps).all(axis=(0, 2))
            if not close.any():
                continue
            cycle = tail[-p:]
            spread = (cycle.max(axis=0) - cycle.min(axis=0)).max(axis=1)
            size = np.abs(cycle).max(axis=(0, 2))
            hit = close & (spread > 64 * eps * np.maximum(size, tiny))
            for i in np.nonzero(hit)[0]:
                out[int(lanes[i])] = (p, cycle[:, i].copy())
            lanes, maybe = lanes[~hit], maybe[:, ~hit]
    return out


def _within_ulps(a: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    """Where a and b agree to 4 ulps (of the larger): "the same point" for the cycle rule."""
    return np.abs(a - b) <= 4 * eps * np.maximum(np.abs(a), np.abs(b))


#: Values per piece when the rows of many runs are screened piece by piece: temporaries of
#: 128 KB stay in the allocator's reused memory (whole blocks of megabytes each cost fresh
#: pages from the system, which is most of a screen's time).
SCREEN_CHUNK = 1 << 14


@dataclass(frozen=True)
class BlockExtremes:
    """Per run, over a block of rows of K runs: what the stop screen needs."""

    finite: np.ndarray  # every loss, parameter and gradient value is finite
    top_loss: np.ndarray  # largest loss
    top_p: np.ndarray  # largest |parameter|
    low_g: np.ndarray  # smallest |gradient| (nan where one is nan)
    #: with ``find_below=(tol, runs)``: the first row of each of those runs with |gradient| ≤
    #: tol (−1: none, or not looked for)
    first_below: np.ndarray | None = None


def block_extremes(
    P: np.ndarray, L: np.ndarray, G: np.ndarray,
    fill_loss: Callable[[np.ndarray, np.ndarray], None] | None = None,
    produce: Callable[[int, int], None] | None = None,
    find_below: tuple[float, np.ndarray] | None = None,
) -> BlockExtremes:
    """:class:`BlockExtremes` of K runs' rows (P, G: (n ≥ 1, K, k); L: (n, K), C-contiguous),
    piece by piece. Each piece's rows i … j − 1 are first computed by ``produce(i, j)`` and
    their losses written by ``fill_loss(params, loss)``, if given: the piece is then screened
    while it is still in cache. ``find_below=(tol, runs)`` (a bool mask) also looks for the
    first row of those runs with |gradient| ≤ tol, piece by piece as well.

    maximum and minimum carry nan along, and |inf| is inf: a run's values are all finite
    exactly when its largest and smallest loss, largest |parameter| and largest |gradient| are.
    """
    n, K, k = P.shape
    rows = max(1, SCREEN_CHUNK // (K * k))
    maximum, minimum, absolute = np.maximum, np.minimum, np.absolute
    scratch = np.empty(min(n, rows) * K)
    parts: list[list[np.ndarray]] = [[], [], [], [], []]
    first_below = None
    if find_below is not None:
        below_tol, looking = find_below[0], find_below[1].copy()
        first_below = np.full(K, -1)
    with np.errstate(all="ignore"):
        for i in range(0, n, rows):
            p, g, loss = P[i : i + rows], G[i : i + rows], L[i : i + rows]
            m = p.shape[0]
            if produce is not None:
                produce(i, i + m)
            if fill_loss is not None:
                fill_loss(p, loss)
            if k == 1:
                size = absolute(p[..., 0], scratch[: m * K].reshape(m, K))
            else:
                size = maximum.reduce(absolute(p), axis=2)
            top_p = _lane_reduce(maximum, size)
            if k == 1:
                gnorm = absolute(g[..., 0], scratch[: m * K].reshape(m, K))
            else:
                gnorm = grad_norms(g.reshape(m * K, k)).reshape(m, K)
            low = _lane_reduce(minimum, gnorm)
            for part, value in zip(parts, (_lane_reduce(maximum, loss), _lane_reduce(minimum, loss),
                                           top_p, _lane_reduce(maximum, gnorm), low)):
                part.append(value)
            if first_below is not None:
                found = looking & (low <= below_tol)
                if found.any():
                    runs = np.flatnonzero(found)
                    first_below[runs] = i + (gnorm[:, runs] <= below_tol).argmax(axis=0)
                    looking &= ~found
        top_loss, low_loss, top_p, top_g, low_g = (
            part[0] if len(part) == 1 else ufunc.reduce(np.array(part), axis=0)
            for part, ufunc in zip(parts, (maximum, minimum, maximum, maximum, minimum)))
        finite = np.isfinite(top_loss) & np.isfinite(low_loss) & np.isfinite(top_p) & np.isfinite(top_g)
    return BlockExtremes(finite, top_loss, top_p, low_g, first_below)


def _lane_reduce(ufunc: np.ufunc, a: np.ndarray) -> np.ndarray:
    """``ufunc.reduce(a, axis=0)`` of a C-contiguous (m, K) array, the same values sooner: NumPy
    reduces over rows one short row at a time, so rows are first taken r at a time (m/r rows
    of r·K values, then r rows of K)."""
    m, K = a.shape
    r = max(1, 1024 // K)
    q = m // r
    if q < 2 or not a.flags.c_contiguous:
        return ufunc.reduce(a, axis=0)
    out = ufunc.reduce(ufunc.reduce(a[: q * r].reshape(q, r * K), axis=0).reshape(r, K), axis=0)
    return out if q * r == m else ufunc(out, ufunc.reduce(a[q * r :], axis=0))


def growth_floors(loss0: float, p0max: float) -> tuple[float, float]:
    """The loss rise and the |parameter| that every divergence rule needs a run to pass (the
    steady-growth floor; the explosion limits lie beyond it)."""
    return GROWTH_FACTOR * (1.0 + abs(loss0)), GROWTH_FACTOR * (1.0 + p0max)


def may_stop(
    P: np.ndarray, L: np.ndarray, G: np.ndarray, loss0: float, p0max: float, tol: float,
    extremes: BlockExtremes | None = None,
) -> np.ndarray:
    """For K runs' new rows at once (P, G: (n, K, k); L: (n, K)): which runs :func:`scan_block`
    could stop in this block (a superset: a non-finite value, |gradient| ≤ tol, or a loss or a
    parameter past the steady-growth floor, which every divergence rule needs). The others
    simply go on; only these are scanned one by one. (``extremes``: the rows' own, if known.)"""
    if P.shape[0] == 0:
        return np.zeros(P.shape[1], dtype=bool)
    e = extremes if extremes is not None else block_extremes(P, L, G)
    loss_floor, p_floor = growth_floors(loss0, p0max)
    with np.errstate(invalid="ignore"):
        return ~e.finite | (e.low_g <= tol) | (e.top_loss - loss0 >= loss_floor) | (e.top_p >= p_floor)


def grad_norms(G: np.ndarray) -> np.ndarray:
    """Euclidean norm of each row, without overflow for huge components."""
    if G.shape[1] == 1:
        return np.abs(G[:, 0])
    with np.errstate(all="ignore"):
        scale = np.max(np.abs(G), axis=1)
        safe = np.where(scale > 0, scale, 1.0)
        return scale * np.sqrt(np.sum((G / safe[:, None]) ** 2, axis=1))


def _fmt(v: float) -> str:
    return f"{v:.6g}"


@dataclass(frozen=True)
class BlockStop:
    """What the stop rules say about a block of new rows: how many to keep, and why it ended."""

    keep: int
    status: str = ""  # "" (go on), "converged" or "diverged"
    message: str = ""


def _point_text(names: Sequence[str], p: np.ndarray) -> str:
    return ", ".join(f"{n} = {_fmt(float(v))}" for n, v in zip(names, p))


def converged_at_start_message(gnorm: float) -> str:
    return f"converged at epoch 0: |gradient| = {_fmt(gnorm)} ≤ tol"


def converged_stop(first: int, epoch: int, gnorm: float, tol: float) -> BlockStop:
    """The stop of a run whose first stopping row is ``first`` of its block (``epoch``),
    where |gradient| = ``gnorm`` ≤ ``tol``."""
    return BlockStop(first + 1, "converged",
                     f"converged at epoch {epoch}: |gradient| = {_fmt(gnorm)} ≤ tol = {_fmt(tol)}")


def screened_convergence(
    P: np.ndarray, L: np.ndarray, G: np.ndarray, loss0: float, p0max: float, tol: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For S runs' rows at once (P, G: (n, S, k); L: (n, S)), per run: the first row where a
    rule of :func:`may_stop`'s screen holds (n if none), whether the run converges there, and
    its |gradient| there.

    Every row where :func:`scan_block` stops a run is such a row (a value not finite,
    |gradient| ≤ tol, or the loss or a parameter past the growth floor, which each divergence
    rule needs and more: EXPLOSION_FACTOR ≥ GROWTH_FACTOR). So a run whose first such row is
    finite with |gradient| ≤ tol stops right there, converged (:func:`converged_stop`); for
    the other runs only :func:`scan_block` can tell.
    """
    n, S, k = P.shape
    loss_floor, p_floor = growth_floors(loss0, p0max)
    with np.errstate(all="ignore"):
        finite = np.isfinite(L) & np.isfinite(P).all(axis=2) & np.isfinite(G).all(axis=2)
        gnorm = np.abs(G[..., 0]) if k == 1 else grad_norms(G.reshape(n * S, k)).reshape(n, S)
        conv = gnorm <= tol
        fires = (~finite | conv | (L - loss0 >= loss_floor)
                 | (np.abs(P).max(axis=2) >= p_floor))
    first = np.where(fires.any(axis=0), fires.argmax(axis=0), n)
    at, runs = np.minimum(first, n - 1), np.arange(S)
    converges = (first < n) & conv[at, runs] & finite[at, runs]
    return first, converges, gnorm[at, runs]


assert EXPLOSION_FACTOR >= GROWTH_FACTOR  # (screened_convergence relies on it)


def scan_block(
    P: np.ndarray,
    L: np.ndarray,
    G: np.ndarray,
    start: int,
    loss0: float,
    p0max: float,
    tol: float,
    problem: Problem,
    names: Sequence[str],
    prev_loss: np.ndarray | None = None,
    prev_pmax: np.ndarray | None = None,
) -> BlockStop:
    """Apply the stop rules to rows ``start`` … of one run (see the module's docstring).

    ``prev_loss`` / ``prev_pmax``: the loss and max |parameter| of the rows just before the
    block (up to :data:`GROWTH_EPOCHS` of them), for the steady-growth rule.
    """
    keep = L.shape[0]
    finite = np.isfinite(L) & np.isfinite(P).all(axis=1) & np.isfinite(G).all(axis=1)
    first_bad = int(np.argmin(finite)) if not finite.all() else keep
    limit = EXPLOSION_FACTOR
    with np.errstate(all="ignore"):
        pmax = np.max(np.abs(P), axis=1)
        big_p = pmax > limit * (1.0 + p0max)
        # Only a rising loss is divergence: falling far (x² − 1e12·x from 0) is progress, and a
        # function unbounded below shows itself in the parameters instead.
        rise = L - loss0
        exploded = ((rise > limit * (1.0 + abs(loss0))) | big_p) & finite
        prev_rise = None if prev_loss is None else np.maximum(prev_loss - loss0, 0.0)
        loss_floor, p_floor = growth_floors(loss0, p0max)
        grow_l = _steady_growth(np.maximum(rise, 0.0), prev_rise, loss_floor)
        grow_p = _steady_growth(pmax, prev_pmax, p_floor)
        growing = (grow_l | grow_p) & finite
        exploded |= growing
        gnorm = grad_norms(G)
    first_explode = int(np.argmax(exploded)) if exploded.any() else keep
    conv = (gnorm <= tol) & finite
    first_conv = int(np.argmax(conv)) if conv.any() else keep
    first = min(first_bad, first_explode, first_conv)
    if first >= keep:
        return BlockStop(keep)
    epoch = start + first
    if first == first_conv:
        return converged_stop(first, epoch, float(gnorm[first]), tol)
    if first == first_bad:
        p, loss = P[first], float(L[first])
        if not np.isfinite(p).all():
            why = f"the parameters overflowed ({_point_text(names, p)})"
        elif isinstance(problem, FunctionProblem) and not math.isfinite(loss):
            why = f"f is undefined or infinite at {_point_text(names, p)} (f = {_fmt(loss)})"
        elif isinstance(problem, FunctionProblem):
            why = f"the gradient is undefined or infinite at {_point_text(names, p)}"
        else:
            why = f"the loss overflowed at {_point_text(names, p)}"
        return BlockStop(first, "diverged", f"diverged at epoch {epoch}: {why}")
    if big_p[first]:
        why = f"the parameters grew beyond {limit:.0e} × their start ({_point_text(names, P[first])})"
    elif growing[first]:
        what = "loss" if grow_l[first] else "parameters"
        why = (f"the {what} grew by over {int(round((GROWTH_RATE - 1) * 100))}% every epoch for "
               f"{GROWTH_EPOCHS} epochs, to over {GROWTH_FACTOR:.0e} × the start "
               f"({_point_text(names, P[first])}, loss {_fmt(float(L[first]))})")
    else:
        why = f"the loss reached {_fmt(float(L[first]))}, beyond {limit:.0e} × its start"
    return BlockStop(first + 1, "diverged", f"diverged at epoch {epoch}: {why}")


def _steady_growth(values: np.ndarray, previous: np.ndarray | None, floor: float) -> np.ndarray:
    """Per row: has ``values`` grown ≥ GROWTH_RATE× per row for GROWTH_EPOCHS rows, past floor?"""
    if not values.shape[0] or not (np.max(values) >= floor):
        return np.zeros(values.shape[0], dtype=bool)  # the usual case: nowhere near the floor
    prev = np.asarray(previous if previous is not None else [], dtype=np.float64)[-GROWTH_EPOCHS:]
    allv = np.concatenate([prev, values])
    n = allv.shape[0]
    if n < 2:
        return np.zeros(values.shape[0], dtype=bool)
    ok = np.zeros(n, dtype=bool)
    ok[1:] = (allv[1:] >= GROWTH_RATE * allv[:-1]) & (allv[:-1] > 0)
    pos = np.arange(n)
    last_break = np.maximum.accumulate(np.where(~ok, pos, -1))
    run_length = pos - last_break
    hit = (run_length >= GROWTH_EPOCHS) & (allv >= floor)
    return hit[prev.shape[0]:]


def cycle_message(names: Sequence[str], period: int, points: np.ndarray, epoch: int) -> str:
    shown = ", ".join(_fmt(float(v)) for v in points[:, 0][:6])
    return f"cycling with period {period} ({names[0]}: {shown}) through epoch {epoch}"


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
            raise InputError(f"f cannot be evaluated at the start {self._point(p0)}: {err}") from None
        if not (math.isfinite(loss0) and np.isfinite(grad0).all()):
            is_f = isinstance(config.problem, FunctionProblem)
            if not math.isfinite(loss0):
                what = "f" if is_f else "the loss (MSE)"
            else:
                what = "the gradient"
            hint = "choose a start where f is defined" if is_f else "choose a smaller start"
            raise InputError(
                f"{what} is not finite at the start {self._point(p0)} "
                f"({'f' if is_f else 'loss'} = {_fmt(loss0)}): {hint}"
            )
        self.names = tuple(config.problem.param_names)
        # Room for the whole run when that is modest (untouched pages cost nothing); the buffer
        # grows by doubling beyond that.
        self._buf = _Buffer(len(p0), capacity=min(config.epochs + 1, 1 << 22))
        self._buf.extend(p0[None, :], np.array([loss0]), np.asarray(grad0, dtype=np.float64)[None, :])
        self._loss0 = float(loss0)
        self._p0max = float(np.max(np.abs(p0)))
        self.status = "max_epochs"
        self.message = ""
        self.finished = False
        self._check_converged_at_start()
        if not self.finished and config.epochs == 0:
            self._finish_by_epochs()

    # --- state -------------------------------------------------------------------------------

    def _point(self, p: np.ndarray) -> str:
        names = self.config.problem.param_names
        return ", ".join(f"{n} = {_fmt(float(v))}" for n, v in zip(names, p))

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
            self.message = f"stopped at the epoch limit ({self.epoch}) without meeting the stop rule"

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
                          prev_pmax=np.max(np.abs(b.params[lo : b.n]), axis=1))
        self._buf.extend(P[: stop.keep], L[: stop.keep], G[: stop.keep])
        if stop.status:
            self.status = stop.status
            self.message = stop.message
            self.finished = True
        elif self.epoch >= self.config.epochs:
            self._finish_by_epochs()
        elif self.config.stop_on_cycle:
            cyc = find_cycle(self._buf.params[: self._buf.n], dtype=self.config.dtype)
            if cyc is not None:
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


def steps(config: RunConfig, block: int = 1) -> Iterator[StepBatch]:
    """Yield the start (row 0), then blocks of ``block`` updates until the run finishes."""
    d = Descent(config)
    yield d.initial_batch()
    while not d.finished:
        yield d.advance(block)


def run(config: RunConfig) -> History:
    """Run to the end and return the :class:`History` (the window uses the same code path)."""
    return Descent(config).run_to_end().take_history()
