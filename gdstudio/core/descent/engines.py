"""Engines: who computes the gradient and applies the update.

``manual``
    Analytic gradients: SymPy's derivative of f, or the source's d_m, d_c formulas (from the
    data's sums) for a regression. Plain gradient descent runs in a tight pure-Python loop; other
    optimizers run on NumPy arrays with the same formulas as ``torch.optim``.
``torch``
    Autograd: the gradient of the loss at a leaf tensor (what ``loss.backward()`` leaves in
    ``p.grad``), on a chosen device and dtype, with the plain update ``p - lr * grad`` (``gd``)
    or a ``torch.optim`` optimizer. A large regression's MSE is evaluated in chunks (CPU).

Both engines expose the same small interface: :meth:`Engine.start` evaluates the start point
(row 0), :meth:`Engine.advance` makes ``n`` updates and returns the ``n`` new rows (parameters,
loss, gradient at those parameters) as float64 NumPy arrays. Tensors never leave this module.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any, cast

import numpy as np

from gdstudio.core.descent.config import DTYPES
from gdstudio.core.descent.devices import check_device
from gdstudio.core.descent.optimizers import OptimizerSettings, numpy_update
from gdstudio.core.errors import ConfigError
from gdstudio.core.expr.compile import compile_generated, namespace
from gdstudio.core.problems import FunctionProblem, Problem, RegressionProblem

__all__ = [
    "Engine",
    "ManualEngine",
    "TorchEngine",
    "make_engine",
]


Rows = tuple[np.ndarray, np.ndarray, np.ndarray]


# --------------------------------------------------------------------------------------------
# Devices (torch is imported only when asked about)
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Engines
# --------------------------------------------------------------------------------------------


class Engine(ABC):
    """Holds the current parameters (and optimizer state) of one run."""

    name: str = ""

    def __init__(self, problem: Problem, optimizer: OptimizerSettings, dtype: str) -> None:
        if dtype not in DTYPES:
            raise ConfigError(f"unknown dtype {dtype!r}; choose float64 or float32")
        self.problem = problem
        self.optimizer = optimizer
        self.dtype = dtype
        self.k = problem.dim

    @abstractmethod
    def start(self, params0: np.ndarray) -> tuple[float, np.ndarray]:
        """Set the start point; return (loss, gradient) there."""

    @abstractmethod
    def advance(self, n: int, lr: float) -> Rows:
        """Make ``n`` updates with learning rate ``lr``; return the new rows.

        Returns ``(params (n, k), loss (n,), grad (n, k))``, float64. A row whose values are not
        finite may end the returned block early (the caller stops the run there).
        """


class ManualEngine(Engine):
    """Analytic gradients; pure-Python loop for plain descent, NumPy for the optimizers."""

    name = "manual"

    def __init__(self, problem: Problem, optimizer: OptimizerSettings, dtype: str = "float64",
                 *, fast: bool = True) -> None:
        """``fast=False`` turns the generated loops off: every run then takes the plain NumPy
        path (the tests compare the two)."""
        super().__init__(problem, optimizer, dtype)
        self._np_dtype = np.float64 if dtype == "float64" else np.float32
        self._p = np.zeros((1, self.k), dtype=self._np_dtype)
        self._g = np.zeros((1, self.k), dtype=self._np_dtype)
        self._state: dict[str, Any] = {}
        self._fast = None
        if fast and optimizer.name == "gd" and dtype == "float64":
            if isinstance(problem, FunctionProblem) and problem.dim == 1:
                self._fast = _function_loop(problem)
            elif isinstance(problem, RegressionProblem):
                self._fast = _regression_loop(problem)

    def start(self, params0: np.ndarray) -> tuple[float, np.ndarray]:
        p = np.asarray(params0, dtype=self._np_dtype).reshape(1, self.k)
        loss, grad = self.problem.loss_and_grad(p)
        self._p = p.copy()
        self._g = np.asarray(grad, dtype=self._np_dtype).reshape(1, self.k).copy()
        self._state = {}
        return float(loss[0]), self._g[0].astype(np.float64)

    def advance(self, n: int, lr: float) -> Rows:
        if self._fast is not None:
            return self._advance_fast(n, lr)
        return self._advance_numpy(n, lr)

    # -- plain gradient descent, Python floats ------------------------------------------------

    def _advance_fast(self, n: int, lr: float) -> Rows:
        # The generated loop writes only the gradients, straight into float64 arrays (no float
        # objects kept alive, no list → array conversion); the parameters are then replayed
        # from them exactly (see _replay_updates). The loss is evaluated vectorised afterwards.
        assert self._fast is not None
        k, n, lr = self.k, int(n), float(lr)
        p0 = [float(v) for v in self._p[0]]
        g0 = [float(v) for v in self._g[0]]
        out = np.empty((k, n), dtype=np.float64)
        # each row's memoryview (ndarray.data), of floats: out is float64 (format "d")
        views = [cast("memoryview[float]", row.data) for row in out]
        p, g, rows = self._fast(p0, g0, lr, n, views)
        params = np.empty((rows, k), dtype=np.float64)
        for j in range(k):
            params[:, j] = _replay_updates(p0[j], g0[j], lr, out[j, :rows])
        grad = out[:, :rows].T if k == 1 else np.ascontiguousarray(out[:, :rows].T)
        self._p = np.array([p], dtype=np.float64)
        self._g = np.array([g], dtype=np.float64)
        with np.errstate(all="ignore"):
            loss = np.asarray(self.problem.loss(params), dtype=np.float64)
        return params, loss, grad

    # -- optimizers on NumPy arrays ---------------------------------------------------------

    def _advance_numpy(self, n: int, lr: float) -> Rows:
        dt = self._np_dtype
        P = np.empty((n, self.k), dtype=np.float64)
        L = np.empty(n, dtype=np.float64)
        G = np.empty((n, self.k), dtype=np.float64)
        p, g = self._p, self._g
        lr_t = float(lr)  # (rounded to the dtype by the update, as torch rounds its scalar)
        step = numpy_update(self.optimizer, self._state, dt)
        with np.errstate(all="ignore"):
            for i in range(n):
                p = step(p, g, lr_t)
                loss, g = self.problem.loss_and_grad(p)
                g = np.asarray(g, dtype=dt)
                P[i] = p[0]
                L[i] = loss[0]
                G[i] = g[0]
                if not (math.isfinite(L[i]) and np.isfinite(P[i]).all()
                        and np.isfinite(G[i]).all()):
                    n = i + 1
                    break
        self._p, self._g = p, g
        return P[:n], L[:n], G[:n]


def _replay_updates(p0: float, g0: float, lr: float, grads: np.ndarray) -> np.ndarray:
    """The iterates p₁ … p_m of p_{t+1} = p_t − lr·g_t, given g₀ and grads = g₁ … g_m.

    Bit for bit what the scalar loop computed: ``lr·g`` is one IEEE multiplication whether
    Python or NumPy does it, and ``np.subtract.accumulate`` is the sequential recurrence
    out[t] = out[t−1] − step[t], one rounding per subtraction, as in ``p = p - lr * g``.
    (g_m, the last gradient, is not needed: it drives the next block's first update.)
    """
    m = grads.shape[0]
    if m == 0:
        return np.empty(0)
    steps = np.empty(m + 1, dtype=np.float64)
    steps[0] = p0
    steps[1] = lr * g0
    with np.errstate(all="ignore"):
        np.multiply(lr, grads[: m - 1], out=steps[2:])
        return np.subtract.accumulate(steps)[1:]


def _function_loop(problem: FunctionProblem) -> Any:
    """Generate a tight loop for plain descent on f(x): x ← x − lr·f'(x), recording f'(x).

    The loop's source is generated from the checked SymPy derivative (never from user text).
    ``loop([x], [g], lr, n, [out])`` makes n updates, writes each new gradient to ``out`` (a
    float64 memoryview) and returns ``([x], [g], rows)``; rows < n when f' cannot be evaluated
    at the last x (its gradient is then nan). The parameters are replayed from the gradients
    and the loss is evaluated afterwards, vectorised, on them.
    """
    (grad_src,) = problem.expression.gradient_source(("x",))
    source = (
        "def _loop(p, gr, lr, n, outs):\n"
        "    (x,) = p\n"
        "    (g,) = gr\n"
        "    (out,) = outs\n"
        "    i = -1\n"
        "    try:\n"
        "        for i in range(n):\n"
        "            x = x - lr * g\n"
        f"            g = {grad_src}\n"
        "            out[i] = g\n"
        "    except (ValueError, OverflowError, ZeroDivisionError):\n"
        "        out[i] = nan\n"
        "        return [x], [nan], i + 1\n"
        "    return [x], [g], n\n"
    )
    builtins = {
        "range": range,
        "ValueError": ValueError,
        "OverflowError": OverflowError,
        "ZeroDivisionError": ZeroDivisionError,
    }
    return compile_generated(source, "_loop", namespace("math"), builtins=builtins,
                             filename="<gdstudio-loop>")


def _regression_loop(problem: RegressionProblem) -> Any:
    """Plain descent on the MSE from the data's sums: O(1) per step, any n.

    Same protocol as :func:`_function_loop`, with parameters (m, c): the loop writes d_m and
    d_c (the source's formulas, from the sums) and the parameters are replayed from them.
    """
    n_pts = float(problem.n)
    xm, ym = problem.x_mean, problem.y_mean
    sxx, sxy, sx, sy = problem.sxx, problem.sxy, problem.sx, problem.sy
    k2 = -2.0 / n_pts

    def loop(
        p: list[float], gr: list[float], lr: float, n: int, outs: list[memoryview[float]]
    ) -> tuple[list[float], list[float], int]:
        m, c = p
        gm, gc = gr
        out_m, out_c = outs
        for i in range(n):
            m = m - lr * gm
            c = c - lr * gc
            d = ym - m * xm - c
            sr = sy - m * sx + n_pts * d
            gm = k2 * (sxy - m * sxx + d * sx + xm * sr)
            gc = k2 * sr
            out_m[i] = gm
            out_c[i] = gc
        return [m, c], [gm, gc], n

    return loop


#: Above this many points the torch engine's MSE (on the CPU) is evaluated in chunks of this size
#: (2 MB of float64): see :func:`_torch_mse`.
TORCH_MSE_CHUNK = 1 << 18


def _gradient_function(torch: Any, dtype: Any, device: Any, direct: bool = True) -> Any:
    """``grad_of(out, p, seed=1)`` → seed·∂out/∂p for a 0-d ``out``: ``torch.autograd.grad``.

    ``torch.autograd.grad`` (like ``loss.backward()``) spends several microseconds per call in
    Python (argument normalisation, making the ones seed, context bookkeeping) around the C++
    autograd engine; for a 1-D function that is a large share of a step. Where this torch has
    it, the engine's own entry point is called with the arguments ``torch.autograd.grad``
    would pass (a prepared seed, no retained graph, ``accumulate_grad=False``): the same
    gradient tensor, bit for bit. Otherwise (or with ``direct=False``) the public function.
    """
    one = torch.ones((), dtype=dtype, device=device)

    def public(out: Any, p: Any, seed: Any = one) -> Any:
        return torch.autograd.grad(out, p, grad_outputs=seed)[0]

    if not direct:
        return public
    try:
        from torch.autograd.variable import Variable

        run_backward = Variable._execution_engine.run_backward  # noqa: SLF001 - see above
    except (ImportError, AttributeError):  # pragma: no cover - other torch builds
        return public
    usable = [True]

    def grad_of(out: Any, p: Any, seed: Any = one) -> Any:
        if usable[0] and out.dim() == 0 and out.dtype == dtype:
            try:
                (g,) = run_backward(
                    (out,), (seed,), False, False, (p,),
                    allow_unreachable=True, accumulate_grad=False,
                )
            except TypeError:  # pragma: no cover - the private signature changed: go public
                usable[0] = False
                return public(out, p, seed)
            return g if g is not None else torch.zeros_like(p)
        return public(out, p, seed)

    return grad_of


def _torch_mse(X: Any, Y: Any, grad_of: Any, chunk: int = TORCH_MSE_CHUNK) -> Any:
    """``loss_and_grad(p)`` for the source's loss ``((preds − Y)²).mean()``, preds = m·X + c.

    Up to ``chunk`` points (or with ``chunk = 0``) it is exactly the source's expression and
    one backward. Beyond, the same expression is evaluated one chunk of the data at a time,
    each chunk's sum of squares differentiated (by autograd) as soon as it is made, seeded with
    1/n as the mean's backward would, and the chunks' gradients added: the same loss and
    gradient up to the order of summation (relative differences ~1e-16 in float64), but no
    n-sized temporary is ever made. For 10⁷ float64 points the source's form holds ~4 × 80 MB of
    temporaries at its peak; this holds a few 2 MB ones, which also stay in cache and make a
    large-n step several times faster.
    """
    import torch

    n = int(X.shape[0])
    if chunk <= 0 or n <= chunk:

        def loss_and_grad(p: Any) -> tuple[Any, Any]:
            preds = p[0] * X + p[1]
            loss = ((preds - Y) ** 2).mean()
            return loss, grad_of(loss, p)

        return loss_and_grad

    pieces = [(X[i : i + chunk], Y[i : i + chunk]) for i in range(0, n, chunk)]
    # 1/n as the mean's backward computes it (grad / n, in the data's dtype).
    seed = torch.ones((), dtype=X.dtype, device=X.device) / n
    # The chunks' sums and the gradient are accumulated in place, in buffers made once: a small
    # tensor kept alive between two chunks would split the heap's free 2 MB blocks and make the
    # allocator take fresh memory for every chunk (fragmentation).
    sums = X.new_empty(len(pieces))
    total = X.new_empty(2)

    def chunked_loss_and_grad(p: Any) -> tuple[Any, Any]:
        for j, (Xi, Yi) in enumerate(pieces):
            preds = p[0] * Xi + p[1]
            s = ((preds - Yi) ** 2).sum()
            g = grad_of(s, p, seed)
            if j:
                total.add_(g)  # total = total + g, chunk after chunk
            else:
                total.copy_(g)
            sums[j] = s.detach()
        return sums.sum() / n, total.clone()

    return chunked_loss_and_grad


def torch_mse_loss_and_grad(X: Any, Y: Any, grad_of: Any = None) -> Any:
    """The torch engine's ``loss_and_grad(p)`` for a regression on tensors ``X``, ``Y``: the
    source's MSE and its autograd gradient (see :func:`_torch_mse`), chunked on the CPU (cache,
    memory), in one piece on a GPU (which wants one big kernel per operation). A race whose
    lanes cannot be batched exactly evaluates each lane with this, as its single run does."""
    import torch

    if grad_of is None:
        grad_of = _gradient_function(torch, X.dtype, X.device)
    chunk = TORCH_MSE_CHUNK if X.device.type == "cpu" else 0
    return _torch_mse(X, Y, grad_of, chunk)


class TorchEngine(Engine):
    """Autograd on a device: the gradient of the loss at leaf tensors, then the update."""

    name = "torch"

    def __init__(
        self,
        problem: Problem,
        optimizer: OptimizerSettings,
        dtype: str = "float64",
        device: str = "cpu",
    ) -> None:
        super().__init__(problem, optimizer, dtype)
        import torch

        self.torch = torch
        self.device = check_device(device)
        self.tdtype = torch.float64 if dtype == "float64" else torch.float32
        grad_of = _gradient_function(torch, self.tdtype, self.device)
        if isinstance(problem, FunctionProblem):
            fn = problem.expression.torch_function()
            if problem.dim == 1:
                loss_fn = fn  # p is a 0-d tensor, as in the source
            else:
                loss_fn = lambda p: fn(*p.unbind())  # noqa: E731

            def loss_and_grad(p: Any) -> tuple[Any, Any]:
                loss = loss_fn(p)
                return loss, grad_of(loss, p)

            self._loss_and_grad = loss_and_grad
        else:
            X = torch.from_numpy(problem.x).to(device=self.device, dtype=self.tdtype)
            Y = torch.from_numpy(problem.y).to(device=self.device, dtype=self.tdtype)
            self._X, self._Y = X, Y
            self._loss_and_grad = torch_mse_loss_and_grad(X, Y, grad_of)
        self._p: Any = None
        self._g: Any = None
        self._opt: Any = None

    def _leaf(self, values: Any) -> Any:
        t = self.torch.as_tensor(values, dtype=self.tdtype, device=self.device)
        if self.k == 1 and isinstance(self.problem, FunctionProblem):
            t = t.reshape(())
        return t.detach().clone().requires_grad_()

    def _make_optimizer(self, p: Any, lr: float) -> Any:
        o = self.optimizer
        optim = self.torch.optim
        if o.name == "sgd":
            return optim.SGD([p], lr=lr)
        if o.name == "momentum":
            return optim.SGD([p], lr=lr, momentum=o.momentum)
        if o.name == "nesterov":
            return optim.SGD([p], lr=lr, momentum=o.momentum, nesterov=True)
        if o.name == "adam":
            return optim.Adam([p], lr=lr, betas=(o.beta1, o.beta2), eps=o.eps_value)
        if o.name == "rmsprop":
            return optim.RMSprop([p], lr=lr, alpha=o.alpha, eps=o.eps_value)
        if o.name == "adagrad":
            return optim.Adagrad([p], lr=lr, eps=o.eps_value)
        return None

    def start(self, params0: np.ndarray) -> tuple[float, np.ndarray]:
        p = self._leaf(np.asarray(params0, dtype=np.float64))
        loss, g = self._loss_and_grad(p)
        self._p, self._g = p, g
        if self.optimizer.name == "gd":
            self._opt = None
        else:
            p.grad = g  # what loss.backward() leaves there, for torch.optim
            self._opt = self._make_optimizer(p, 0.0)
        grad = g.detach().reshape(-1).to("cpu", self.torch.float64).numpy().copy()
        return float(loss.detach()), grad

    def advance(self, n: int, lr: float) -> Rows:
        torch = self.torch
        ps: list[Any] = []
        losses: list[Any] = []
        grads: list[Any] = []
        p = self._p
        loss_and_grad = self._loss_and_grad
        if self._opt is None:
            # Plain descent: a fresh leaf each step, p − lr·g computed on the detached values
            # (no graph, no in-place write, nothing to copy for the record), in two roundings
            # as the source writes it (sub(alpha=) would fuse them). The gradient is the
            # autograd engine's (see _gradient_function), kept beside the leaf rather than in
            # p.grad. The rows stay tensors and go to the host once per block.
            g = self._g
            for _ in range(n):
                p = (p.detach() - lr * g).requires_grad_()
                loss, g = loss_and_grad(p)
                ps.append(p)
                losses.append(loss)
                grads.append(g)
            self._p, self._g = p, g
        else:
            opt = self._opt
            for group in opt.param_groups:
                group["lr"] = lr
            for _ in range(n):
                opt.step()
                loss, g = loss_and_grad(p)
                p.grad = g
                ps.append(p.detach().clone())
                losses.append(loss)
                grads.append(g)
        with torch.no_grad():
            P = torch.stack(ps).reshape(n, self.k)
            L = torch.stack(losses).reshape(n)
            G = torch.stack(grads).reshape(n, self.k)
            # One device → host copy per block: no sync on every step.
            P, L, G = (t.to("cpu", torch.float64).numpy() for t in (P, L, G))
        return P, L, G


def make_engine(
    problem: Problem,
    engine: str = "manual",
    optimizer: OptimizerSettings | None = None,
    dtype: str = "float64",
    device: str = "cpu",
    *,
    fast: bool = True,
) -> Engine:
    """The engine named ``engine`` (``fast=False``: the manual engine without its generated
    loops)."""
    optimizer = optimizer or OptimizerSettings()
    if engine == "manual":
        if device not in ("cpu", None, ""):
            raise ConfigError(
                f"the manual engine runs on the CPU; choose the torch engine for device {device!r}"
            )
        return ManualEngine(problem, optimizer, dtype, fast=fast)
    if engine == "torch":
        return TorchEngine(problem, optimizer, dtype, device)
    raise ConfigError(f"unknown engine {engine!r}; choose manual or torch")
