"""Races: several runs of the same problem side by side (learning rates, optimizers).

The source's central lesson is a comparison: the same descent at r = 0.01, 0.1, 0.3, 0.7 and 1.
A race runs K such *lanes* together, batched: one set of array (or tensor) operations carries all
K runs each step — parameters are a (K, k) array, the learning rates a (K, 1) column — so K = 64
costs far less than 64 runs. Each lane obeys exactly the stop rules of a single run
(:func:`gdstudio.core.descent.loop.scan_block`) and ends with its own :class:`History`; lanes that
stop early stay frozen while the others go on.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gdstudio.core.descent.engines import OPTIMIZERS, OptimizerSettings, _numpy_update, check_device
from gdstudio.core.descent.loop import (
    CYCLE_ROWS,
    GROWTH_EPOCHS,
    SCREEN_CHUNK,
    History,
    RunConfig,
    block_extremes,
    converged_at_start_message,
    converged_stop,
    cycle_message,
    find_cycles,
    grad_norms,
    may_stop,
    scan_block,
    screened_convergence,
)
from gdstudio.core.errors import ConfigError, InputError
from gdstudio.core.expr.expression import OUT_FORM_UFUNCS, numpy_out_form
from gdstudio.core.problems import FunctionProblem

__all__ = [
    "SOURCE_LEARNING_RATES",
    "MAX_LANES",
    "Lane",
    "LaneSummary",
    "RaceBatch",
    "Race",
    "RaceResult",
    "make_lanes",
    "run_race",
]

#: The source's five learning rates (the default race).
SOURCE_LEARNING_RATES = (0.01, 0.1, 0.3, 0.7, 1.0)
#: Most lanes in one race.
MAX_LANES = 1024
#: |gradient| reported as "reached" in summaries when the run's own tol is 0.
DEFAULT_REPORT_TOL = 1e-6
#: Values (parameters, losses, gradients of every lane) a race reserves room for at its start.
PREALLOCATE_VALUES = 1 << 24


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


def make_lanes(
    config: RunConfig,
    lrs: Sequence[float] | None = None,
    optimizers: Sequence[str | OptimizerSettings] | None = None,
) -> list[Lane]:
    """Lanes for every (optimizer, lr) pair; defaults: the config's own lr and optimizer."""
    from gdstudio.core.descent.loop import check_learning_rate

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


# --------------------------------------------------------------------------------------------
# Batched engines
# --------------------------------------------------------------------------------------------


def _flat(a: np.ndarray) -> np.ndarray:
    """A one-dimensional view of contiguous ``a`` (an error, never a silent copy)."""
    view = a.view()
    view.shape = (a.size,)
    return view


def _plain_descent_loop(expression: Any, lr: np.ndarray) -> Any:
    """Plain descent of K lanes on f(x) in float64: ``loop(X, G, x, g)`` writes row i of each
    lane's x (``X``, (n, K)) and f'(x) (``G``) from the previous x and f'(x) (``x``, ``g``).

    On arrays of 64 numbers a NumPy call costs about a microsecond whatever it computes, and
    most of that is argument handling: each operation of the update and of f' is one ufunc
    call with its output array given positionally, into rows and scratch arrays allocated
    once (the arithmetic of ``x - lr*g`` and of the compiled f', bit for bit). None where f'
    has a part :func:`~.expressions.numpy_out_form` does not translate."""
    compiled = _compile_descent_loop(expression.numpy_gradient_bodies[0])
    if compiled is None:
        return None
    make, constants, temps = compiled
    K = lr.shape[0]
    return make(lr=lr, step=np.empty(K), **constants, **{name: np.empty(K) for name in temps})


def _loss_fill(expression: Any, size: int) -> Any:
    """f of up to ``size`` float64 values: ``fill(x, out)`` (flat arrays), one ufunc call per
    operation into scratch arrays allocated once, bit for bit the compiled f. None where f
    has a part :func:`~.expressions.numpy_out_form` does not translate."""
    compiled = _compile_loss_fill(expression.numpy_function_body)
    if compiled is None:
        return None
    make, constants, temps = compiled
    return make(size, **constants, **{f"_b{name}": np.empty(size) for name in temps})


@functools.lru_cache(maxsize=32)
def _compile_loss_fill(body: str) -> tuple[Any, dict[str, np.ndarray], tuple[str, ...]] | None:
    form = numpy_out_form(body, {"_v0": "x"}, "out")
    if form is None:
        return None
    args = ["size", *form.constants, *(f"_b{t}" for t in form.temps)]
    make = (
        f"def _make({', '.join(args)}):\n"
        "    def _fill(x, out):\n"
        "        n = x.shape[0]\n"
        "        if n > size:\n"
        "            return False\n"
        + "".join(f"        {t} = _b{t}[:n]\n" for t in form.temps)
        + "".join(f"        {line}\n" for line in form.lines)
        + "        return True\n"
        "    return _fill\n"
    )
    return _compile_source(make, form)


@functools.lru_cache(maxsize=32)
def _compile_descent_loop(body: str) -> tuple[Any, dict[str, np.ndarray], tuple[str, ...]] | None:
    form = numpy_out_form(body, {"_v0": "xn"}, "gn")
    if form is None:
        return None
    args = ["lr", "step", *form.constants, *form.temps]
    make = (
        f"def _make({', '.join(args)}):\n"
        "    def _loop(X, G, x, g):\n"
        "        for xn, gn in zip(X, G):\n"
        "            multiply(lr, g, step)\n"
        "            subtract(x, step, xn)\n"
        + "".join(f"            {line}\n" for line in form.lines)
        + "            x = xn\n"
        "            g = gn\n"
        "    return _loop\n"
    )
    return _compile_source(make, form, zip=zip)


def _compile_source(
    source: str, form: Any, **builtins: Any
) -> tuple[Any, dict[str, np.ndarray], tuple[str, ...]]:
    """Compile generated ``source`` defining ``_make`` around the statements of out form
    ``form``, with the ufuncs and only ``builtins``: (``_make``, constants, scratch names)."""
    for value in form.constants.values():
        value.flags.writeable = False  # shared by every race on this f
    namespace: dict[str, Any] = {"__builtins__": builtins, **OUT_FORM_UFUNCS}
    exec(compile(source, "<gdstudio-race>", "exec"), namespace)  # noqa: S102 - generated
    return namespace["_make"], form.constants, form.temps


class _BatchedNumpy:
    """All lanes as one (K, k) NumPy array; the analytic gradient of the problem."""

    def __init__(self, problem: Any, lanes: Sequence[Lane], dtype: str) -> None:
        self.problem = problem
        self.dt = np.float64 if dtype == "float64" else np.float32
        K = len(lanes)
        self.lr = np.array([[lane.lr] for lane in lanes], dtype=np.float64).astype(self.dt)
        groups: dict[OptimizerSettings, list[int]] = {}
        for i, lane in enumerate(lanes):
            groups.setdefault(lane.optimizer, []).append(i)
        self.groups = [
            (np.array(idx), _numpy_update(opt, {}, self.dt)) for opt, idx in groups.items()
        ]
        self.single = len(self.groups) == 1
        # every lane plain descent: its loops write p − lr·g straight into the rows
        self.plain = self.single and next(iter(groups)).name in ("gd", "sgd")
        self.K = K
        one_d = isinstance(problem, FunctionProblem) and problem.dim == 1
        self._derivative = problem.expression.numpy_gradient_raw if one_d else None
        self._loop = (_plain_descent_loop(problem.expression, self.lr[:, 0])
                      if one_d and self.plain and self.dt == np.float64 else None)
        self._fill = (_loss_fill(problem.expression, SCREEN_CHUNK)
                      if one_d and self.dt == np.float64 else None)

    def start(self, P0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.p = np.asarray(P0, dtype=self.dt).copy()
        with np.errstate(all="ignore"):
            loss, g = self.problem.loss_and_grad(self.p)
        self.g = np.asarray(g, dtype=self.dt)
        return np.asarray(loss, dtype=np.float64), self.g.astype(np.float64)

    def fill_loss(self, params: np.ndarray, loss: np.ndarray) -> None:
        """Write the losses of rows ``params`` (m, K, k) into ``loss`` (m, K), in the run's
        dtype (float32 parameters widened to float64 are narrowed back exactly)."""
        m, K, k = params.shape
        if (self._fill is not None and params.flags.c_contiguous and loss.flags.c_contiguous
                and self._fill(params.reshape(m * K), loss.reshape(m * K))):
            return
        flat = params.reshape(m * K, k).astype(self.dt, copy=False)
        loss[...] = np.asarray(self.problem.loss(flat), dtype=self.dt).reshape(m, K)

    def advance(self, n: int, frozen: np.ndarray, out: tuple[np.ndarray, ...]) -> None:
        """Make ``n`` updates of every lane into ``out`` = (params (n, K, k), loss (n, K),
        grad (n, K, k)), float64 rows of the race; the losses are left to :meth:`fill_loss`."""
        # Lanes that have stopped (``frozen``) are carried along: their rows past the stop are
        # never read as theirs (the batches handed out repeat their last row), and lanes never
        # mix, so nothing they compute reaches another lane. The inner loop makes only the
        # update and the gradient; the losses, which no step needs, are evaluated afterwards,
        # piece by piece as the race screens the rows (the same elementwise arithmetic, in the
        # run's dtype).
        K, k = self.p.shape
        dt = self.dt
        direct = dt == np.float64  # (float32 is computed aside, then widened)
        P = out[0] if direct else np.empty((n, K, k), dtype=dt)
        G = out[2] if direct else np.empty((n, K, k), dtype=dt)
        p, g = self.p, self.g
        gradient = self.problem.gradient_raw
        with np.errstate(all="ignore"):
            if self._loop is not None:
                # x ← x − lr·f'(x) written straight into the rows, one ufunc call per operation
                self._loop(P[:, :, 0], G[:, :, 0], p[:, 0], g[:, 0])
                g = G[n - 1] if n else g
            elif self.plain and self._derivative is not None:
                # plain descent on f(x): x and f'(x) as (K,) arrays, two array operations and
                # f' an epoch; the rows are gathered in lists and copied into P and G once (on
                # arrays this small, each call's overhead is nearly the whole cost)
                lr1, derivative = self.lr[:, 0], self._derivative
                multiply, subtract = np.multiply, np.subtract
                x, d = p[:, 0], g[:, 0]
                xs: list[np.ndarray] = []
                ds: list[np.ndarray] = []
                keep_x, keep_d = xs.append, ds.append
                for _ in range(n):
                    x = subtract(x, multiply(lr1, d))
                    d = derivative(x)
                    keep_x(x)
                    keep_d(d)
                if n:  # (k = 1: P and G are (n, K) in memory, rows in order)
                    np.concatenate(xs, out=_flat(P))
                    np.concatenate(ds, out=_flat(G))
                    g = G[n - 1]
            elif self.plain:  # plain descent: p − lr·g, in place
                lr = self.lr
                scaled = np.empty_like(p)
                for i in range(n):
                    np.multiply(lr, g, out=scaled)
                    np.subtract(p, scaled, out=P[i])
                    p = P[i]
                    g = gradient(p)
                    G[i] = g
            else:
                for i in range(n):
                    if self.single:
                        p = self.groups[0][1](p, g, self.lr)
                    else:
                        new = np.empty_like(p)
                        for idx, step in self.groups:
                            new[idx] = step(p[idx], g[idx], self.lr[idx])
                        p = new
                    P[i] = p
                    g = gradient(p)
                    G[i] = g
        self.p, self.g = P[n - 1].astype(dt) if n else p, np.asarray(g, dtype=dt).copy()
        if not direct:
            out[0][...] = P
            out[2][...] = G


class _BatchedTorch:
    """All lanes as one (K, k) leaf tensor; autograd of the summed per-lane losses."""

    #: Above this many K·N elements, a regression loss is evaluated in chunks of the data.
    CHUNK = 1 << 22

    def __init__(self, problem: Any, lanes: Sequence[Lane], dtype: str, device: str) -> None:
        import torch

        self.torch = torch
        self.problem = problem
        self.device = check_device(device)
        self.tdtype = torch.float64 if dtype == "float64" else torch.float32
        self.lr = torch.tensor([[lane.lr] for lane in lanes], dtype=self.tdtype, device=self.device)
        groups: dict[OptimizerSettings, list[int]] = {}
        for i, lane in enumerate(lanes):
            groups.setdefault(lane.optimizer, []).append(i)
        self.groups = [
            (torch.tensor(idx, device=self.device), opt, {}) for opt, idx in groups.items()
        ]
        self.single = len(self.groups) == 1
        if isinstance(problem, FunctionProblem):
            fn = problem.expression.torch_function()
            self._losses = lambda P: fn(*P.unbind(dim=1))
        else:
            X = torch.from_numpy(problem.x).to(device=self.device, dtype=self.tdtype)
            Y = torch.from_numpy(problem.y).to(device=self.device, dtype=self.tdtype)
            self.X, self.Y = X, Y
            self._losses = self._mse

    def _mse(self, P: Any) -> Any:
        X, Y = self.X, self.Y
        n = X.shape[0]
        m, c = P[:, 0:1], P[:, 1:2]
        step = max(1, self.CHUNK // max(1, P.shape[0]))
        if step >= n:
            return ((m * X + c - Y) ** 2).mean(dim=1)
        total = None
        for i in range(0, n, step):
            part = ((m * X[i : i + step] + c - Y[i : i + step]) ** 2).sum(dim=1)
            total = part if total is None else total + part
        return total / n

    def _eval(self, P: Any) -> tuple[Any, Any]:
        torch = self.torch
        P = P.detach().requires_grad_()
        losses = self._losses(P)
        (g,) = torch.autograd.grad(losses.sum(), P)
        return losses.detach(), g

    def start(self, P0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        torch = self.torch
        self.p = torch.as_tensor(np.asarray(P0, dtype=np.float64), device=self.device).to(self.tdtype)
        loss, self.g = self._eval(self.p)
        return (loss.to("cpu", torch.float64).numpy().reshape(-1),
                self.g.to("cpu", torch.float64).numpy())

    def _update(self, p: Any, g: Any, lr: Any, opt: OptimizerSettings, state: dict[str, Any]) -> Any:
        """torch.optim's formulas, with one learning rate per lane."""
        torch = self.torch
        name = opt.name
        if name in ("gd", "sgd"):
            return p - lr * g
        if name in ("momentum", "nesterov"):
            buf = state.get("buf")
            buf = g.clone() if buf is None else buf * opt.momentum + g
            state["buf"] = buf
            d = g + opt.momentum * buf if name == "nesterov" else buf
            return p - lr * d
        if name == "adam":
            t = state.get("t", 0) + 1
            state["t"] = t
            m = state.get("m", torch.zeros_like(p))
            v = state.get("v", torch.zeros_like(p))
            m = torch.lerp(m, g, 1 - opt.beta1)
            v = v * opt.beta2 + (1 - opt.beta2) * g * g
            state["m"], state["v"] = m, v
            bc1 = 1 - opt.beta1**t
            bc2 = 1 - opt.beta2**t
            denom = v.sqrt() / math.sqrt(bc2) + opt.eps_value
            return p - (lr / bc1) * (m / denom)
        if name == "rmsprop":
            v = state.get("v", torch.zeros_like(p))
            v = v * opt.alpha + (1 - opt.alpha) * g * g
            state["v"] = v
            return p - lr * (g / (v.sqrt() + opt.eps_value))
        if name == "adagrad":
            s = state.get("sum", torch.zeros_like(p)) + g * g
            state["sum"] = s
            return p - lr * (g / (s.sqrt() + opt.eps_value))
        raise ConfigError(f"unknown optimizer {name!r}")  # pragma: no cover

    #: the losses come with the steps (evaluated on the device with the gradients)
    fill_loss = None

    def advance(self, n: int, frozen: np.ndarray, out: tuple[np.ndarray, ...]) -> None:
        """As :meth:`_BatchedNumpy.advance`, losses included."""
        torch = self.torch
        frozen_t = torch.as_tensor(frozen, device=self.device)
        any_frozen = bool(frozen.any())
        ps, ls, gs = [], [], []
        p, g = self.p, self.g
        for _ in range(n):
            with torch.no_grad():
                if self.single:
                    idx, opt, state = self.groups[0]
                    new = self._update(p, g, self.lr, opt, state)
                else:
                    new = torch.empty_like(p)
                    for idx, opt, state in self.groups:
                        new[idx] = self._update(p[idx], g[idx], self.lr[idx], opt, state)
                if any_frozen:
                    new = torch.where(frozen_t[:, None], p, new)
            p = new
            loss, g = self._eval(p)
            ps.append(p)
            ls.append(loss)
            gs.append(g)
        self.p, self.g = p, g
        with torch.no_grad():
            for rows, t in zip(out, (ps, ls, gs)):
                rows[...] = torch.stack(t).to("cpu", torch.float64).numpy().reshape(rows.shape)


# --------------------------------------------------------------------------------------------
# The race
# --------------------------------------------------------------------------------------------


class Race:
    """K lanes advanced together; each with its own stop rules and history."""

    def __init__(self, config: RunConfig, lanes: Sequence[Lane]) -> None:
        self.config = config
        self.lanes = tuple(lanes)
        if not self.lanes:
            raise ConfigError("a race needs at least one run")
        if config.scale_x or config.batch_size:
            raise ConfigError("races run full-batch on unscaled data: turn off scaling and mini-batches")
        problem = config.problem
        K = len(self.lanes)
        p0 = config.start_params()
        self.k = p0.shape[0]
        if config.engine == "torch":
            self.engine: Any = _BatchedTorch(problem, self.lanes, config.dtype, config.device)
        else:
            self.engine = _BatchedNumpy(problem, self.lanes, config.dtype)
        P0 = np.repeat(p0[None, :], K, axis=0)
        loss0, grad0 = self.engine.start(P0)
        if not (np.isfinite(loss0).all() and np.isfinite(grad0).all()):
            raise InputError("f or its gradient is not finite at the start: choose a start where f is defined")
        self.names = tuple(problem.param_names)
        self._optimizer_configs: dict[OptimizerSettings, RunConfig] = {}
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
        #: |gradient| counted as "reached" in the summaries (the stop rule's tol, or 10⁻⁶), and
        #: each lane's first row within it so far (−1: none yet), kept as the race goes
        self.report_tol = config.tol or DEFAULT_REPORT_TOL
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
        for store, before in zip((self._P, self._L, self._G), old):
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
        for j, row, converged, gnorm in zip(lanes, first.tolist(), converges, gnorms.tolist()):
            if converged:
                stop = converged_stop(row, start + row, gnorm, self.config.tol)
            else:
                lo = max(0, start - GROWTH_EPOCHS)
                stop = scan_block(P[:, j], L[:, j], G[:, j], start, self._loss0, self._p0max,
                                  self.config.tol, self.config.problem, self.names,
                                  prev_loss=self._L[lo:start, j],
                                  prev_pmax=np.max(np.abs(self._P[lo:start, j]), axis=1))
            self.lengths[j] = start + stop.keep
            if stop.status:
                self.done[j] = True
                self.statuses[j] = stop.status
                self.messages[j] = stop.message
        if self.config.stop_on_cycle:
            self._stop_cycling(np.nonzero(~self.done)[0], start + n, stop=True)
        # The first row within report_tol found in the block counts where it is one of the
        # lane's own (before its stop, if it stopped in this block); none earlier can be.
        first = extremes.first_below
        found = (first >= 0) & (first < self.lengths - start)
        self._first_tol[found] = start + first[found]
        self.rows += n
        if self.done.all() or self.epoch >= self.config.epochs:
            self._finish_lanes()

    def _stop_cycling(self, lanes: np.ndarray, m: int, *, stop: bool) -> None:
        """Mark the ``lanes`` (each with ``m`` rows) that cycle; with ``stop=False`` (the end
        of the race) the others end at the epoch limit."""
        if not lanes.size:
            return
        found = find_cycles(self._P[max(0, m - CYCLE_ROWS) : m][:, lanes], dtype=self.config.dtype)
        for j, cyc in zip(lanes, found):
            if cyc is None and stop:
                continue  # no cycle yet: the lane runs on
            if cyc is not None:
                self.statuses[j] = "cycling"
                self.messages[j] = cycle_message(self.names, cyc[0], cyc[1], m - 1)
            else:
                self.statuses[j] = "max_epochs"
                self.messages[j] = f"stopped at the epoch limit ({m - 1}) without meeting the stop rule"
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
            for store, copy in zip(stores, rows):
                copy[first:, j] = store[last, j]
        return RaceBatch(
            start=start,
            params=rows[0],
            loss=rows[1],
            grad=rows[2],
            lengths=tuple(int(v) for v in self.lengths),
            statuses=tuple(s if d else "running" for s, d in zip(self.statuses, self.done)),
            finished=self.finished,
            messages=tuple(self.messages),
            done=tuple(bool(d) for d in self.done),
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
            History(P[:n, j], L[:n, j], G[:n, j], status, self._lane_config(lane), message,
                    self.names)
            for j, (lane, n, status, message) in enumerate(
                zip(self.lanes, self.lengths.tolist(), self.statuses, self.messages))
        ]

    def history(self, j: int) -> History:
        """Lane ``j``'s history so far: views of the race's rows, not copies (rows before a
        lane's length are never written again), read-only since the lanes share one block of
        memory."""
        n = int(self.lengths[j])
        P, L, G = self._read_only()
        return History(P[:n, j], L[:n, j], G[:n, j], self.statuses[j],
                       self._lane_config(self.lanes[j]), self.messages[j], self.names)

    def _lane_config(self, lane: Lane) -> RunConfig:
        """The single run that ``lane`` is."""
        o = lane.optimizer
        base = self._optimizer_configs.get(o)
        if base is None:  # validated once per optimizer; each lane then changes only its lr
            base = self.config.with_(optimizer=o.name, momentum=o.momentum, beta1=o.beta1,
                                     beta2=o.beta2, alpha=o.alpha, eps=o.eps)
            self._optimizer_configs[o] = base
        return base.with_lr(lane.lr)

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
            LaneSummary(lane.label, lane.lr, lane.optimizer.name, status, epochs_run,
                        reached if reached >= 0 else None, loss, tuple(params), message)
            for lane, status, epochs_run, reached, loss, params, message in zip(
                self.lanes, self.statuses, last.tolist(), first.tolist(), final_loss,
                final_params, self.messages)
        ]


@dataclass(frozen=True, eq=False)
class RaceResult:
    lanes: tuple[Lane, ...]
    histories: tuple[History, ...]
    summaries: tuple[LaneSummary, ...]
    report_tol: float


def run_race(
    config: RunConfig,
    lrs: Sequence[float] | None = None,
    optimizers: Sequence[str | OptimizerSettings] | None = None,
    *,
    report_tol: float | None = None,
) -> RaceResult:
    """Run every (optimizer, lr) lane together to the end."""
    lanes = make_lanes(config, lrs, optimizers)
    race = Race(config, lanes).run_to_end()
    tol = race.report_tol if report_tol is None else report_tol
    return RaceResult(
        lanes=race.lanes,
        histories=tuple(race.histories()),
        summaries=tuple(race.summaries(tol)),
        report_tol=tol,
    )

