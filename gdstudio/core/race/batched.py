"""All lanes of a race advanced by one set of array operations: NumPy (the analytic gradient)
or torch (autograd of the summed per-lane losses)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from gdstudio.core.descent.devices import check_device
from gdstudio.core.descent.optimizers import OptimizerSettings, numpy_update
from gdstudio.core.errors import ConfigError
from gdstudio.core.problems import FunctionProblem
from gdstudio.core.race.kernels import flat_view, loss_fill, plain_descent_loop
from gdstudio.core.race.lanes import Lane
from gdstudio.core.race.screen import SCREEN_CHUNK


class BatchedNumpy:
    """All lanes as one (K, k) NumPy array; the analytic gradient of the problem."""

    def __init__(self, problem: Any, lanes: Sequence[Lane], dtype: str, *,
                 fast: bool = True) -> None:
        """``fast=False``: no generated ufunc kernels (the plain array loops; tests compare)."""
        self.problem = problem
        self.dt = np.float64 if dtype == "float64" else np.float32
        K = len(lanes)
        #: each lane's rate as given (the optimizers round it as torch does) and in the dtype
        self.lr64 = np.array([[lane.lr] for lane in lanes], dtype=np.float64)
        self.lr = self.lr64.astype(self.dt)
        groups: dict[OptimizerSettings, list[int]] = {}
        for i, lane in enumerate(lanes):
            groups.setdefault(lane.optimizer, []).append(i)
        self.groups = [
            (np.array(idx), numpy_update(opt, {}, self.dt)) for opt, idx in groups.items()
        ]
        self.single = len(self.groups) == 1
        # every lane plain descent (gd: p − lr·g; torch.optim.SGD fuses it, see numpy_update):
        # its loops write p − lr·g straight into the rows
        self.plain = self.single and next(iter(groups)).name == "gd"
        self.K = K
        one_d = isinstance(problem, FunctionProblem) and problem.dim == 1
        self._derivative = problem.expression.numpy_gradient_raw if one_d else None
        self.kernel = (plain_descent_loop(problem.expression, self.lr[:, 0])
                      if fast and one_d and self.plain and self.dt == np.float64 else None)
        self._fill = (loss_fill(problem.expression, SCREEN_CHUNK)
                      if fast and one_d and self.dt == np.float64 else None)

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
            if self.kernel is not None:
                # x ← x − lr·f'(x) written straight into the rows, one ufunc call per operation
                self.kernel(P[:, :, 0], G[:, :, 0], p[:, 0], g[:, 0])
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
                    np.concatenate(xs, out=flat_view(P))
                    np.concatenate(ds, out=flat_view(G))
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
                        p = self.groups[0][1](p, g, self.lr64)
                    else:
                        new = np.empty_like(p)
                        for idx, step in self.groups:
                            new[idx] = step(p[idx], g[idx], self.lr64[idx])
                        p = new
                    P[i] = p
                    g = gradient(p)
                    G[i] = g
        self.p, self.g = P[n - 1].astype(dt) if n else p, np.asarray(g, dtype=dt).copy()
        if not direct:
            out[0][...] = P
            out[2][...] = G


class BatchedTorch:
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
        """As :meth:`BatchedNumpy.advance`, losses included."""
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
