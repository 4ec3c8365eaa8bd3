"""Bare reference loops: the source tutorial's code, as it writes it, recording nothing.

Each function runs ``epochs`` updates and returns only the final parameters (so that the work
cannot be optimised away and a caller can check it ran). They are the yardsticks of
``bench/run.py``: the engines must keep up with them while recording the full history.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def quadratic_python(x0: float, lr: float, epochs: int) -> float:
    """f(x) = x**2 - 4*x + 5 by hand: f'(x) = 2*x - 4, in a plain Python loop."""
    x = x0
    for _ in range(epochs):
        x -= lr * (2 * x - 4)
    return x


def quadratic_torch(x0: float, lr: float, epochs: int) -> float:
    """The same descent the PyTorch way: a leaf tensor, ``loss.backward()``, ``x.data -= …``."""
    import torch

    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    for _ in range(epochs):
        loss = x**2 - 4 * x + 5
        loss.backward()
        x.data -= lr * x.grad
        x.grad = None
    return float(x.detach())


def regression_numpy(X: np.ndarray, Y: np.ndarray, lr: float, epochs: int) -> tuple[float, float]:
    """Linear regression by the source's hand-derived gradients, in NumPy.

    Y_pred = m*X + c; D_m = (-2/n) * sum(X * (Y - Y_pred)); D_c = (-2/n) * sum(Y - Y_pred).
    """
    m = 0.0
    c = 0.0
    n = float(len(X))
    for _ in range(epochs):
        Y_pred = m * X + c
        D_m = (-2 / n) * np.sum(X * (Y - Y_pred))
        D_c = (-2 / n) * np.sum(Y - Y_pred)
        m = m - lr * D_m
        c = c - lr * D_c
    return float(m), float(c)


def regression_torch(X: Any, Y: Any, lr: float, epochs: int) -> tuple[float, float]:
    """The PyTorch way: params = zeros(2).requires_grad_(), MSE, backward, params.data -= …"""
    import torch

    params = torch.zeros(2, dtype=X.dtype).requires_grad_()
    for _ in range(epochs):
        preds = params[0] * X + params[1]
        loss = ((preds - Y) ** 2).mean()
        loss.backward()
        params.data -= lr * params.grad
        params.grad = None
    m, c = params.detach().tolist()
    return m, c
