"""Regression variants: feature scaling, and mini-batch stochastic gradient descent.

Feature scaling
    Descent runs on standardised x' = (x − x̄)/s (s the standard deviation of x), where the
    MSE's Hessian is well conditioned, and every row is reported in the original units:
    m = m'/s, c = c' − m'·x̄/s. The loss is the same MSE (the predictions are identical); the
    gradient column is the gradient in original units at the reported (m, c).
Mini-batches
    One epoch is one pass over the data, shuffled with a seeded generator, in updates on batches
    of ``batch_size`` points (the last batch may be smaller). Each row is the state after an
    epoch, with the full-data MSE and full-data gradient there (what the plots compare).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gdstudio.core.descent.devices import check_device
from gdstudio.core.descent.engines import Engine, make_engine
from gdstudio.core.descent.optimizers import OptimizerSettings, numpy_update
from gdstudio.core.problems import RegressionProblem

__all__ = ["ScaledEngine", "MiniBatchEngine", "scaled_problem", "make_regression_engine"]

Rows = tuple[np.ndarray, np.ndarray, np.ndarray]


def scaled_problem(problem: RegressionProblem) -> tuple[RegressionProblem, float, float]:
    """The problem on standardised x, with (x̄, s)."""
    mean = problem.x_mean
    std = math.sqrt(problem.sxx / problem.n)
    if not std > 0:
        std = 1.0
    xs = (problem.x - mean) / std
    scaled = RegressionProblem(xs, problem.y, source=problem.source + " (x standardised)",
                               x_name=problem.x_name, y_name=problem.y_name)
    return scaled, mean, std


class ScaledEngine(Engine):
    """Runs an inner engine on standardised x; reports rows in original units."""

    name = "scaled"

    def __init__(self, problem: RegressionProblem, inner_factory: Any, optimizer: OptimizerSettings,
                 dtype: str) -> None:
        super().__init__(problem, optimizer, dtype)
        self.original = problem
        self.scaled, self.mean, self.std = scaled_problem(problem)
        self.inner: Engine = inner_factory(self.scaled)

    def to_scaled(self, p: np.ndarray) -> np.ndarray:
        m, c = p
        return np.array([m * self.std, c + m * self.mean])

    def to_original(self, P: np.ndarray) -> np.ndarray:
        m = P[:, 0] / self.std
        c = P[:, 1] - m * self.mean
        return np.column_stack([m, c])

    def _rows(self, P: np.ndarray, L: np.ndarray) -> Rows:
        orig = self.to_original(np.asarray(P, dtype=np.float64))
        with np.errstate(all="ignore"):
            _, G = self.original.loss_and_grad(orig)
        return orig, np.asarray(L, dtype=np.float64), G

    def start(self, params0: np.ndarray) -> tuple[float, np.ndarray]:
        loss, _ = self.inner.start(self.to_scaled(np.asarray(params0, dtype=np.float64)))
        with np.errstate(all="ignore"):
            _, G = self.original.loss_and_grad(np.asarray(params0, dtype=np.float64)[None, :])
        return loss, G[0]

    def advance(self, n: int, lr: float) -> Rows:
        P, L, _ = self.inner.advance(n, lr)
        return self._rows(P, L)


class MiniBatchEngine(Engine):
    """Mini-batch descent on a regression: analytic batch gradients (manual) or autograd."""

    name = "minibatch"
    problem: RegressionProblem  # (Engine's, narrowed: mini-batches are for regressions)

    def __init__(self, problem: RegressionProblem, optimizer: OptimizerSettings, dtype: str,
                 batch_size: int, seed: int, engine: str = "manual", device: str = "cpu") -> None:
        super().__init__(problem, optimizer, dtype)
        self.batch_size = int(batch_size)
        self.rng = np.random.default_rng(int(seed))
        self.kind = engine
        self.state: dict[str, Any] = {}
        if engine == "torch":
            import torch

            self.torch = torch
            self.device = check_device(device)
            self.tdtype = torch.float64 if dtype == "float64" else torch.float32
            self.X = torch.from_numpy(problem.x).to(device=self.device, dtype=self.tdtype)
            self.Y = torch.from_numpy(problem.y).to(device=self.device, dtype=self.tdtype)
        self.dt = np.float64 if dtype == "float64" else np.float32

    def start(self, params0: np.ndarray) -> tuple[float, np.ndarray]:
        p = np.asarray(params0, dtype=np.float64)
        loss, G = self.problem.loss_and_grad(p[None, :])
        if self.kind == "torch":
            torch = self.torch
            self.p = torch.tensor(p, dtype=self.tdtype, device=self.device).requires_grad_()
            self.opt = _torch_optimizer(torch, self.p, self.optimizer)
        else:
            self.p = p.astype(self.dt)[None, :]
            self.step = numpy_update(self.optimizer, self.state, self.dt)
        return float(loss[0]), G[0]

    def _epoch_manual(self, lr: float) -> None:
        x, y = self.problem.x, self.problem.y
        n = x.shape[0]
        order = self.rng.permutation(n)
        lr_t = float(lr)  # (rounded to the dtype by the update, as torch rounds its scalar)
        p = self.p
        for i in range(0, n, self.batch_size):
            idx = order[i : i + self.batch_size]
            xb, yb = x[idx], y[idx]
            m, c = float(p[0, 0]), float(p[0, 1])
            r = yb - (m * xb + c)
            b = idx.shape[0]
            g = np.array([[(-2.0 / b) * float(np.sum(xb * r)), (-2.0 / b) * float(np.sum(r))]],
                         dtype=self.dt)
            p = self.step(p, g, lr_t)
        self.p = p

    def _epoch_torch(self, lr: float) -> None:
        torch = self.torch
        n = self.X.shape[0]
        order = torch.from_numpy(self.rng.permutation(n)).to(self.device)
        p = self.p
        for i in range(0, n, self.batch_size):
            idx = order[i : i + self.batch_size]
            xb, yb = self.X[idx], self.Y[idx]
            loss = ((p[0] * xb + p[1] - yb) ** 2).mean()
            loss.backward()
            if self.opt is None:
                with torch.no_grad():
                    p -= lr * p.grad
                p.grad = None
            else:
                for group in self.opt.param_groups:
                    group["lr"] = lr
                self.opt.step()
                self.opt.zero_grad(set_to_none=True)

    def advance(self, n: int, lr: float) -> Rows:
        P = np.empty((n, 2))
        with np.errstate(all="ignore"):
            for i in range(n):
                if self.kind == "torch":
                    self._epoch_torch(lr)
                    P[i] = self.p.detach().to("cpu", self.torch.float64).numpy()
                else:
                    self._epoch_manual(lr)
                    P[i] = self.p[0]
                if not np.isfinite(P[i]).all():
                    P = P[: i + 1]
                    break
            L, G = self.problem.loss_and_grad(P)
        return P, np.asarray(L, dtype=np.float64), np.asarray(G, dtype=np.float64)


def _torch_optimizer(torch: Any, p: Any, o: OptimizerSettings) -> Any:
    optim = torch.optim
    if o.name == "gd":
        return None
    if o.name == "sgd":
        return optim.SGD([p], lr=0.0)
    if o.name == "momentum":
        return optim.SGD([p], lr=0.0, momentum=o.momentum)
    if o.name == "nesterov":
        return optim.SGD([p], lr=0.0, momentum=o.momentum, nesterov=True)
    if o.name == "adam":
        return optim.Adam([p], lr=0.0, betas=(o.beta1, o.beta2), eps=o.eps_value)
    if o.name == "rmsprop":
        return optim.RMSprop([p], lr=0.0, alpha=o.alpha, eps=o.eps_value)
    return optim.Adagrad([p], lr=0.0, eps=o.eps_value)


def make_regression_engine(problem: RegressionProblem, engine: str, optimizer: OptimizerSettings,
                           dtype: str, device: str, *, scale_x: bool, batch_size: int | None,
                           seed: int) -> Engine:
    """The engine for a regression with scaling and/or mini-batches."""

    def factory(p: RegressionProblem) -> Engine:
        if batch_size:
            return MiniBatchEngine(p, optimizer, dtype, batch_size, seed, engine, device)
        return make_engine(p, engine, optimizer, dtype, device)

    if scale_x:
        return ScaledEngine(problem, factory, optimizer, dtype)
    return factory(problem)
