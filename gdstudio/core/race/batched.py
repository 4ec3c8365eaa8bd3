"""All lanes of a race advanced by one set of array operations: NumPy (the analytic gradient)
or torch (autograd of the summed per-lane losses)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gdstudio.core.descent.devices import check_device
from gdstudio.core.descent.engines import torch_mse_loss_and_grad
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
    #: Most K·N elements a regression's lanes are evaluated with in one batched tensor.
    CHUNK = 1 << 22
    #: torch's CPU reductions split a sum of more than this many elements across threads
    #: (``at::internal::GRAIN_SIZE``), in an order a batched row sum does not follow.
    SERIAL_SUM = 32768

    def __init__(self, problem: Any, lanes: Sequence[Lane], dtype: str, device: str) -> None:
        import torch

        self.torch = torch
        self.problem = problem
        self.device = check_device(device)
        self.tdtype = torch.float64 if dtype == "float64" else torch.float32
        #: each lane's rate as given (Adam divides it by the bias correction in float64, as
        #: torch.optim does with its Python float) and rounded to the dtype (torch's scalar)
        self.lr64 = np.array([[lane.lr] for lane in lanes], dtype=np.float64)
        self.lr = torch.tensor(self.lr64, dtype=self.tdtype, device=self.device)
        groups: dict[OptimizerSettings, list[int]] = {}
        for i, lane in enumerate(lanes):
            groups.setdefault(lane.optimizer, []).append(i)
        #: per optimizer: its lanes (as a tensor and an array), settings and state
        self.groups: list[tuple[Any, np.ndarray, OptimizerSettings, dict[str, Any]]] = [
            (torch.tensor(idx, device=self.device), np.array(idx), opt, {})
            for opt, idx in groups.items()
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
            # A lane must be its single run bit for bit. A batched (K, N) row mean sums each
            # row as the single run's 1-D mean sums its N points only on the CPU, while no
            # sum is split across threads and no chunks are needed; otherwise each lane is
            # evaluated by the single run's own function (K autograd calls a step, each on N
            # points: little more than the batched work where N is large).
            n = int(X.shape[0])
            if (self.device.type != "cpu" or n > self.SERIAL_SUM
                    or len(lanes) * n > self.CHUNK):
                self._lane_loss_and_grad = torch_mse_loss_and_grad(X, Y)

    #: a regression's (loss, gradient) of one lane, where lanes are evaluated one at a time
    _lane_loss_and_grad: Any = None

    def _mse(self, P: Any) -> Any:
        m, c = P[:, 0:1], P[:, 1:2]
        return ((m * self.X + c - self.Y) ** 2).mean(dim=1)  # preds − Y, as the source

    def _eval(self, P: Any) -> tuple[Any, Any]:
        torch = self.torch
        if self._lane_loss_and_grad is not None:
            rows = [self._lane_loss_and_grad(P[j].detach().requires_grad_())
                    for j in range(P.shape[0])]
            return (torch.stack([loss.detach() for loss, _ in rows]),
                    torch.stack([g for _, g in rows]))
        P = P.detach().requires_grad_()
        losses = self._losses(P)
        (g,) = torch.autograd.grad(losses.sum(), P)
        return losses.detach(), g

    def start(self, P0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        torch = self.torch
        self.p = torch.as_tensor(np.asarray(P0, dtype=np.float64),
                                 device=self.device).to(self.tdtype)
        loss, self.g = self._eval(self.p)
        return (loss.to("cpu", torch.float64).numpy().reshape(-1),
                self.g.to("cpu", torch.float64).numpy())

    def _update(self, p: Any, g: Any, lanes: Any, opt: OptimizerSettings,
                state: dict[str, Any]) -> Any:
        """One step of ``opt`` for the lanes ``lanes`` (an index, or ``slice(None)``): the ops of
        ``torch.optim``'s single-tensor code (``_single_tensor_sgd``, ``_adam``, ``_rmsprop``,
        ``_adagrad``) on the (lanes, k) tensor, with the learning rate a (lanes, 1) column.

        Each lane is then, bit for bit, the single torch run with its rate: the kernels are
        elementwise with the same roundings whatever the tensor's length (their multiply-adds
        fused in the vectorised and the scalar loops alike), a scalar becomes the column of
        its per-lane values rounded the same way, and ``p.add_(d, alpha=-lr)`` becomes
        ``p.addcmul(d, lr, value=-1)`` (fma(−d, lr, p) = fma(−lr, d, p): the negation is exact).
        ``gd`` is the source's ``p - lr * g``, as the torch engine's plain descent.
        """
        torch = self.torch
        name = opt.name
        lr = self.lr[lanes]  # (lanes: a NumPy index or slice(None))
        if name == "gd":
            return p - lr * g
        if name == "sgd":
            return torch.addcmul(p, g, lr, value=-1)
        if name in ("momentum", "nesterov"):
            buf = state.get("buf")
            if buf is None:
                buf = g.detach().clone()
            else:
                buf.mul_(opt.momentum).add_(g, alpha=1)
            state["buf"] = buf
            d = g.add(buf, alpha=opt.momentum) if name == "nesterov" else buf
            return torch.addcmul(p, d, lr, value=-1)
        if name == "adam":
            t = state.get("t", 0) + 1
            state["t"] = t
            if t == 1:
                state["m"], state["v"] = torch.zeros_like(p), torch.zeros_like(p)
            m, v = state["m"], state["v"]
            m.lerp_(g, 1 - opt.beta1)
            v.mul_(opt.beta2).addcmul_(g, g, value=1 - opt.beta2)
            step = float(t)  # torch.optim keeps the step in a float tensor and reads .item()
            bias_correction1 = 1 - opt.beta1**step
            bias_correction2 = 1 - opt.beta2**step
            # value=-step_size of addcdiv_, one per lane: lr / bias_correction1 in float64
            neg_step = torch.tensor(-(self.lr64[lanes] / bias_correction1), dtype=self.tdtype,
                                    device=self.device)
            denom = (v.sqrt() / bias_correction2**0.5).add_(opt.eps_value)
            return p + (neg_step * m) / denom  # p.addcdiv_(m, denom, value=-step_size)
        if name == "rmsprop":
            if "v" not in state:
                state["v"] = torch.zeros_like(p)
            v = state["v"]
            v.mul_(opt.alpha).addcmul_(g, g, value=1 - opt.alpha)
            avg = v.sqrt().add_(opt.eps_value)
            return p + (-lr * g) / avg  # p.addcdiv_(g, avg, value=-lr)
        if name == "adagrad":
            if "sum" not in state:
                state["sum"] = torch.zeros_like(p)
            total = state["sum"]
            total.addcmul_(g, g, value=1)
            std = total.sqrt().add_(opt.eps_value)
            return p + (-lr * g) / std  # p.addcdiv_(g, std, value=-clr), clr = lr
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
                    _, _, opt, state = self.groups[0]
                    new = self._update(p, g, slice(None), opt, state)
                else:
                    new = torch.empty_like(p)
                    for idx, lanes, opt, state in self.groups:
                        new[idx] = self._update(p[idx], g[idx], lanes, opt, state)
                if any_frozen:
                    new = torch.where(frozen_t[:, None], p, new)
            p = new
            loss, g = self._eval(p)
            ps.append(p)
            ls.append(loss)
            gs.append(g)
        self.p, self.g = p, g
        with torch.no_grad():
            for rows, t in zip(out, (ps, ls, gs), strict=True):
                rows[...] = torch.stack(t).to("cpu", torch.float64).numpy().reshape(rows.shape)
