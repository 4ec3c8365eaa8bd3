"""The update's arithmetic with the numbers plugged in: how row t of a run came from row t − 1.

:class:`UpdateArithmetic` explains one run's updates as lines of text, e.g. for the source's
example after three steps::

    x₃ = x₂ − r·f′(x₂) = 5.2 − 0.1 × 6.4 = 4.5600000000000005

The numbers are the run's own: the parameters and gradients of its history rows, printed as the
history's CSV prints them (float64: Python's shortest round-trip ``repr``), or with float32's
shortest digits for a float32 run (:func:`number_text`), and the hyper-parameters rounded to the
run's dtype as the update rounds them. The optimizers' state (the momentum buffer, Adam's
moments, RMSprop's and Adagrad's sums of squares) is not kept in the rows: it is replayed from
the rows' gradients with the engine's own arithmetic (:func:`~.descent.optimizers.numpy_update`
for the manual engine, ``torch.optim`` itself for the torch engine), so the value an explained
update ends on is the next row's, bit for bit; where it is not (a run this replay does not
reproduce), a line says so and quotes both.

A regression's gradient is shown with the sums it is made of, d_m = (−2/n)·Σ x·r and
d_c = (−2/n)·Σ r; the torch engine's gradient (autograd's) is shown beside the hand one.
Feature scaling and mini-batches are explained in words, with the rows' numbers: their updates
run on standardised x or on batches, which the rows do not hold.

No Qt: the window's panel (:mod:`gdstudio.ui.panels.arithmetic`) shows these lines.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from gdstudio.core.descent.config import RunConfig
from gdstudio.core.descent.optimizers import OptimizerSettings, numpy_update
from gdstudio.core.problems import FunctionProblem, RegressionProblem

__all__ = ["UpdateArithmetic", "explain_update", "number_text", "subscript", "lr_for_update"]

_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")

#: The replayed optimizer state is saved every CHECKPOINT updates, so that going back on the
#: history replays at most that many updates.
CHECKPOINT = 256

#: At most this many updates are replayed in one call of :meth:`UpdateArithmetic.lines`; a look
#: further on says how far the replay got (:attr:`UpdateArithmetic.pending`), and the next call
#: goes on from there.
REPLAY_CHUNK = 20_000

#: Optimizers without state: their update needs only the row before.
_STATELESS = ("gd", "sgd")


def subscript(t: int) -> str:
    """``3`` → ``₃``."""
    return str(int(t)).translate(_SUBSCRIPT)


def number_text(value: Any, dtype: str) -> str:
    """The shortest digits that read back as ``value`` in ``dtype``: float64, Python's
    ``repr`` (as the history's CSV); float32, the float32's own shortest digits (``5.2``, not
    the float64 ``5.199999809265137`` that holds it), unless the value is no float32 (a
    scaled regression's rows are converted to the original units in float64)."""
    from gdstudio.core.numbers import exact_text

    return exact_text(value, dtype)  # (one formatter per dtype, the CSV's)


def lr_for_update(config: RunConfig, lr_changes: Sequence[Any], start: int) -> float:
    """The learning rate of the update from row ``start`` to ``start + 1``: the run's, or the
    last change made at or before that row (``lr_changes``: (epoch, lr) pairs or objects with
    ``epoch`` and ``lr``, in the order made)."""
    lr = float(config.lr)  # type: ignore[arg-type]
    for change in lr_changes:
        epoch, rate = (change.epoch, change.lr) if hasattr(change, "epoch") else change
        if int(epoch) <= start:
            lr = float(rate)
    return lr


class _Numbers:
    """Numbers of one dtype as text: a value, and a value as an operand (negatives in
    parentheses)."""

    def __init__(self, dtype: str) -> None:
        self.dtype = dtype
        self.dt = np.float32 if dtype == "float32" else np.float64

    def __call__(self, v: Any) -> str:
        return number_text(v, self.dtype)

    def operand(self, v: Any) -> str:
        text = self(v)
        return f"({text})" if text.startswith("-") else text

    def f64(self, v: float) -> str:
        return repr(float(v))


# --------------------------------------------------------------------------------------------
# Replays of the optimizers' state
# --------------------------------------------------------------------------------------------


class _NumpyReplay:
    """The manual engine's update (:func:`numpy_update`), stepped through the rows."""

    def __init__(self, opt: OptimizerSettings, dt: Any) -> None:
        self.state: dict[str, Any] = {}
        self.step = numpy_update(opt, self.state, dt)
        self.dt = dt

    def snapshot(self) -> dict[str, Any]:
        return {k: (v.copy() if isinstance(v, np.ndarray) else v)
                for k, v in self.state.items() if k != "trace"}

    def restore(self, snap: dict[str, Any]) -> None:
        self.state.clear()
        self.state.update({k: (v.copy() if isinstance(v, np.ndarray) else v)
                           for k, v in snap.items()})

    def before(self) -> dict[str, np.ndarray]:
        """The state the next update starts from (float64 copies)."""
        return {k: np.asarray(v, dtype=np.float64).reshape(-1).copy()
                for k, v in self.state.items() if isinstance(v, np.ndarray)}

    def update(self, p: np.ndarray, g: np.ndarray, lr: float) -> tuple[np.ndarray, dict[str, Any]]:
        with np.errstate(all="ignore"):
            new = self.step(p.astype(self.dt)[None, :], g.astype(self.dt)[None, :], lr)
        trace = {k: (np.asarray(v, dtype=np.float64).reshape(-1) if np.ndim(v) else v)
                 for k, v in self.state.get("trace", {}).items()}
        return np.asarray(new, dtype=np.float64).reshape(-1), trace


_TORCH_STATE = {"buf": "momentum_buffer", "m": "exp_avg", "v": "exp_avg_sq", "sum": "sum"}


class _TorchReplay:
    """The torch engine's update: ``torch.optim`` (or the source's ``p - lr * grad``) stepped
    on the rows' parameters and gradients; the denominators made as ``torch.optim`` makes
    them."""

    def __init__(self, opt: OptimizerSettings, dtype: str, k: int, device: str = "cpu") -> None:
        import torch

        from gdstudio.core.descent.engines import make_torch_optimizer

        self.torch = torch
        self.settings = opt
        self.tdtype = torch.float64 if dtype == "float64" else torch.float32
        from gdstudio.core.descent.devices import check_device

        self.device = check_device(device)  # the run's: torch.optim's kernels differ by device
        self.p = torch.zeros(k, dtype=self.tdtype, device=self.device, requires_grad=True)
        self.opt = make_torch_optimizer(torch, self.p, opt, 0.0)

    def _state(self) -> dict[str, Any]:
        return dict(self.opt.state[self.p]) if self.opt is not None else {}

    def snapshot(self) -> dict[str, Any]:
        return {k: v.clone() for k, v in self._state().items()}

    def restore(self, snap: dict[str, Any]) -> None:
        if self.opt is not None:
            self.opt.state[self.p] = {k: v.clone() for k, v in snap.items()}

    def _numpy(self, t: Any) -> np.ndarray:
        return t.detach().reshape(-1).to("cpu", self.torch.float64).numpy().copy()

    def before(self) -> dict[str, np.ndarray]:
        state = self._state()
        out = {}
        for ours, theirs in _TORCH_STATE.items():
            if ours == "v" and self.settings.name == "rmsprop":
                theirs = "square_avg"
            if theirs in state:
                out[ours] = self._numpy(state[theirs])
        return out

    def update(self, p: np.ndarray, g: np.ndarray, lr: float) -> tuple[np.ndarray, dict[str, Any]]:
        torch = self.torch
        # (copies: the rows may be read-only views, which torch.from_numpy warns about)
        pt = torch.from_numpy(np.array(p, dtype=np.float64)).to(self.device, self.tdtype)
        gt = torch.from_numpy(np.array(g, dtype=np.float64)).to(self.device, self.tdtype)
        if self.opt is None:
            return self._numpy(pt - lr * gt), {}  # the torch engine's plain descent
        with torch.no_grad():
            self.p.copy_(pt)
        self.p.grad = gt
        for group in self.opt.param_groups:
            group["lr"] = lr
        self.opt.step()
        new = self._numpy(self.p)
        return new, self._trace(gt, lr)

    def _trace(self, g: Any, lr: float) -> dict[str, Any]:
        o, state = self.settings, self._state()
        eps = o.eps_value
        if o.name in ("momentum", "nesterov"):
            buf = state["momentum_buffer"]
            d = g.add(buf, alpha=o.momentum) if o.name == "nesterov" else buf
            return {"buf": self._numpy(buf), "d": self._numpy(d)}
        if o.name == "adam":
            step = float(state["step"])
            bc1, bc2 = 1 - o.beta1**step, 1 - o.beta2**step
            root2 = bc2**0.5
            v = state["exp_avg_sq"]
            denom = (v.sqrt() / root2).add_(eps)
            scale = self.torch.tensor(-(lr / bc1), dtype=self.tdtype)
            return {"t": int(step), "m": self._numpy(state["exp_avg"]), "v": self._numpy(v),
                    "bias_correction1": bc1, "bias_correction2": bc2,
                    "root2": float(self.torch.tensor(root2, dtype=self.tdtype)),
                    "scale": float(scale), "denom": self._numpy(denom)}
        if o.name == "rmsprop":
            v = state["square_avg"]
            return {"v": self._numpy(v), "denom": self._numpy(v.sqrt().add_(eps))}
        if o.name == "adagrad":
            total = state["sum"]
            return {"sum": self._numpy(total), "denom": self._numpy(total.sqrt().add_(eps))}
        return {}


# --------------------------------------------------------------------------------------------
# The explanation
# --------------------------------------------------------------------------------------------


class UpdateArithmetic:
    """The arithmetic of one run's updates (see the module's docstring).

    Keeps the optimizer state it replayed, so that following a run forward, one row at a time,
    costs one update per row, and going back replays at most :data:`CHECKPOINT` updates.
    """

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self.problem = config.problem
        self.optimizer = config.optimizer_settings
        self.dtype = config.dtype
        self.num = _Numbers(config.dtype)
        self.names = tuple(self.problem.param_names)
        self.x_name = "x"  # a regression's x (x′ for standardised x)
        self.k = len(self.names)
        self._replay: Any = None
        self._done = 0  # updates replayed into the state
        self._checkpoints: dict[int, dict[str, Any]] = {}
        self._lr_key: tuple[Any, ...] = ()
        #: True when the last look could not replay the optimizer's state that far yet (it
        #: goes on at the next call: a window calls again soon).
        self.pending = False
        self._scaled: Any = None  # feature scaling: the run made again on standardised x
        self._batches: Any = None  # mini-batches: the run made again, epoch by epoch

    # --- public ------------------------------------------------------------------------------

    @property
    def remakes_the_run(self) -> bool:
        """Whether explaining a row makes the run again (feature scaling, mini-batches: the
        rows do not hold what their updates ran on), which costs what the run cost."""
        return isinstance(self.problem, RegressionProblem) and bool(
            self.config.scale_x or self.config.batch_size)

    def lines(self, params: np.ndarray, grad: np.ndarray, epoch: int,
              lr_changes: Sequence[Any] = ()) -> list[str]:
        """How row ``epoch`` came from row ``epoch − 1`` (row 0: the start), from the rows
        ``params`` (n, k) and ``grad`` (n, k) of the run (rows 0 … ``epoch`` at least)."""
        t = int(epoch)
        params = np.asarray(params, dtype=np.float64).reshape(-1, self.k)
        grad = np.asarray(grad, dtype=np.float64).reshape(-1, self.k)
        if not 0 <= t < params.shape[0]:
            return []
        if t == 0:
            return self._start_lines(params[0], grad[0])
        if isinstance(self.problem, RegressionProblem) and self.config.batch_size:
            if self.config.scale_x:
                return self._variant_lines(params, grad, t, lr_changes)
            return self._batch_lines(params, grad, t, lr_changes)
        if isinstance(self.problem, RegressionProblem) and self.config.scale_x:
            return self._scaled_lines(params, t, lr_changes)
        lr = lr_for_update(self.config, lr_changes, t - 1)
        replayed = self._replay_to(params, grad, t, lr_changes)
        self.pending = replayed is None
        if replayed is None:
            return [f"replaying the {self.optimizer.name} state from the rows' gradients: "
                    f"{self._done:,} of {t - 1:,} updates…"]
        before, new, trace = replayed
        return self._update_lines(params[t - 1], grad[t - 1], params[t], t, lr, before, new, trace)

    # --- the start ---------------------------------------------------------------------------

    def _start_lines(self, p: np.ndarray, g: np.ndarray) -> list[str]:
        num = self.num
        point = ", ".join(f"{n}₀ = {num(v)}" for n, v in zip(self.names, p, strict=True))
        grads = ", ".join(f"{self._grad_symbol(j, 0)} = {num(g[j])}" for j in range(self.k))
        return [f"{point}: the start (epoch 0, before any update)",
                f"{grads}: the gradient there, which the first update uses"]

    # --- the replay --------------------------------------------------------------------------

    def _new_replay(self) -> Any:
        if self.config.engine == "torch":
            return _TorchReplay(self.optimizer, self.dtype, self.k, self.config.device)
        return _NumpyReplay(self.optimizer, self.num.dt)

    def _replay_to(self, params: np.ndarray, grad: np.ndarray, t: int,
                   lr_changes: Sequence[Any]
                   ) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, Any]] | None:
        """Replay updates 0 … t − 2 (silently) and t − 1 (traced): the state before update
        t − 1, its result and its intermediate values; None when more than
        :data:`REPLAY_CHUNK` updates remain (the replay goes on at the next call)."""
        if self.optimizer.name in _STATELESS:
            replay = self._replay or self._new_replay()
            self._replay = replay
            new, trace = replay.update(params[t - 1], grad[t - 1],
                                       lr_for_update(self.config, lr_changes, t - 1))
            return {}, new, trace
        key = tuple((c.epoch, c.lr) if hasattr(c, "epoch") else tuple(c) for c in lr_changes)
        if self._replay is None or key != self._lr_key:
            self._replay, self._done, self._checkpoints = self._new_replay(), 0, {}
            self._lr_key = key
        target = t - 1
        if self._done > target:
            start = max((c for c in self._checkpoints if c <= target), default=None)
            if start is None:
                self._replay, self._done, self._checkpoints = self._new_replay(), 0, {}
            else:
                self._replay.restore(self._checkpoints[start])
                self._done = start
        replay = self._replay
        if target - self._done > REPLAY_CHUNK:
            target_now = self._done + REPLAY_CHUNK
        else:
            target_now = target
        while self._done < target_now:
            s = self._done
            if s % CHECKPOINT == 0 and s not in self._checkpoints:
                self._checkpoints[s] = replay.snapshot()
            replay.update(params[s], grad[s], lr_for_update(self.config, lr_changes, s))
            self._done += 1
        if target_now < target:
            return None
        if target % CHECKPOINT == 0 and target not in self._checkpoints:
            self._checkpoints[target] = replay.snapshot()
        before = replay.before()
        new, trace = replay.update(params[target], grad[target],
                                   lr_for_update(self.config, lr_changes, target))
        self._done = t
        return before, new, trace

    # --- one update --------------------------------------------------------------------------

    def _grad_symbol(self, j: int, s: int) -> str:
        if isinstance(self.problem, RegressionProblem):
            return f"d_{self.names[j]}"
        at = ", ".join(f"{n}{subscript(s)}" for n in self.names)
        if self.k == 1:
            return f"f′({at})"
        return f"∂f/∂{self.names[j]}({at})"

    def _state_name(self, base: str, j: int, t: int) -> str:
        return f"{base}{subscript(t)}" if self.k == 1 else f"{base}{subscript(t)}[{self.names[j]}]"

    def _update_lines(self, p: np.ndarray, g: np.ndarray, row: np.ndarray, t: int, lr: float,
                      before: dict[str, np.ndarray], new: np.ndarray,
                      trace: dict[str, Any]) -> list[str]:
        s = t - 1
        out = self._gradient_lines(p, g, s)
        name = self.optimizer.name
        explain = {"gd": self._plain_lines, "sgd": self._plain_lines,
                   "momentum": self._momentum_lines, "nesterov": self._momentum_lines,
                   "adam": self._adam_lines, "rmsprop": self._root_lines,
                   "adagrad": self._root_lines}[name]
        out += explain(p, g, row, t, lr, before, trace)
        mismatch = [j for j in range(self.k) if not _same(new[j], row[j])]
        if mismatch:
            num = self.num
            out.append("(this replay of the update gives "
                       + ", ".join(f"{self.names[j]} = {num(new[j])}" for j in mismatch)
                       + "; the run's row holds "
                       + ", ".join(f"{num(row[j])}" for j in mismatch) + ")")
        return out

    def _gradient_lines(self, p: np.ndarray, g: np.ndarray, s: int) -> list[str]:
        """The gradient the update uses: a regression's sums; autograd's beside the hand one."""
        num, out = self.num, []
        torch = self.config.engine == "torch"
        dt = num.dt
        with np.errstate(all="ignore"):
            if isinstance(self.problem, RegressionProblem):
                point = np.asarray(p, dtype=dt)[None, :]
                _, sr, sxr = self.problem.residual_sums(point)
                factor = dt(-2.0 / self.problem.n)
                hand = [np.asarray(factor * sxr, dtype=dt)[0], np.asarray(factor * sr, dtype=dt)[0]]
                (m, c), x, sub = self.names, self.x_name, subscript(s)
                out.append(f"at {m}{sub} = {num(p[0])}, {c}{sub} = {num(p[1])}, over n = "
                           f"{self.problem.n} points, r = y − ({m}{sub}·{x} + {c}{sub}):")
                out.append(f"Σ r = {num(sr[0])}, Σ {x}·r = {num(sxr[0])} (from the data's sums)")
                for j, (what, total) in enumerate(((f"Σ {x}·r", sxr[0]), ("Σ r", sr[0]))):
                    shown = f"d_{self.names[j]} = (−2/n)·{what} = {num.operand(factor)} × " \
                            f"{num.operand(total)} = {num(hand[j])}"
                    if torch:
                        shown = (f"d_{self.names[j]} = {num(g[j])} (autograd of the MSE); by "
                                 f"hand (−2/n)·{what} = {num.operand(factor)} × "
                                 f"{num.operand(total)} = {num(hand[j])}")
                    elif not _same(hand[j], g[j]):
                        shown += f" (the row holds {num(g[j])})"
                    out.append(shown)
            elif torch and isinstance(self.problem, FunctionProblem):
                hand = ["(the derivative is still being worked out)"] * self.k
                if _derivative_ready(self.problem):
                    _, hg = self.problem.loss_and_grad(np.asarray(p, dtype=dt)[None, :])
                    hand = [num(v) for v in np.asarray(hg, dtype=dt).reshape(-1)]
                for j in range(self.k):
                    out.append(f"{self._grad_symbol(j, s)} = {num(g[j])} (autograd, p.grad); "
                               f"by hand, the derivative: {hand[j]}")
        return out

    def _plain_lines(self, p: np.ndarray, g: np.ndarray, row: np.ndarray, t: int, lr: float,
                     before: dict[str, np.ndarray], trace: dict[str, Any]) -> list[str]:
        num, s = self.num, t - 1
        r = num.operand(lr_value(lr, num.dt))
        out = []
        for j, n in enumerate(self.names):
            out.append(f"{n}{subscript(t)} = {n}{subscript(s)} − r·{self._grad_symbol(j, s)} = "
                       f"{num(p[j])} − {r} × {num.operand(g[j])} = {num(row[j])}")
        if self.optimizer.name == "sgd":
            out.append("(torch.optim.SGD: r × gradient and the subtraction in one fused "
                       "multiply-add, one rounding)")
        return out

    def _momentum_lines(self, p: np.ndarray, g: np.ndarray, row: np.ndarray, t: int, lr: float,
                        before: dict[str, np.ndarray], trace: dict[str, Any]) -> list[str]:
        num, s, dt = self.num, t - 1, self.num.dt
        mu = num(dt(self.optimizer.momentum))
        r = num.operand(lr_value(lr, dt))
        nesterov = self.optimizer.name == "nesterov"
        out = []
        for j, n in enumerate(self.names):
            b, gs = self._state_name("b", j, t), self._grad_symbol(j, s)
            if "buf" not in before:
                out.append(f"{b} = {gs} = {num(trace['buf'][j])} (the first velocity is the "
                           "gradient)")
            else:
                out.append(f"{b} = μ·{self._state_name('b', j, s)} + {gs} = {mu} × "
                           f"{num.operand(before['buf'][j])} + {num.operand(g[j])} = "
                           f"{num(trace['buf'][j])}")
            if nesterov:
                d = self._state_name("d", j, t)
                out.append(f"{d} = {gs} + μ·{b} = {num(g[j])} + {mu} × "
                           f"{num.operand(trace['buf'][j])} = {num(trace['d'][j])} (Nesterov)")
                step = d
            else:
                step = b
            out.append(f"{n}{subscript(t)} = {n}{subscript(s)} − r·{step} = {num(p[j])} − {r} × "
                       f"{num.operand(trace['d'][j])} = {num(row[j])}")
        return out

    def _adam_lines(self, p: np.ndarray, g: np.ndarray, row: np.ndarray, t: int, lr: float,
                    before: dict[str, np.ndarray], trace: dict[str, Any]) -> list[str]:
        num, s, dt, o = self.num, t - 1, self.num.dt, self.optimizer
        w1 = dt(1.0 - o.beta1)
        b2, s2 = num(dt(o.beta2)), num(dt(1.0 - o.beta2))
        step = int(trace["t"])
        sup = str(step).translate(_SUPERSCRIPT)
        zeros = np.zeros(self.k)
        m_prev, v_prev = before.get("m", zeros), before.get("v", zeros)
        # the moments' letters: m and v, or M and V beside a regression's parameter m
        first, second = ("M", "V") if "m" in self.names else ("m", "v")
        out = []
        for j in range(self.k):
            m, ms, v = (self._state_name(first, j, t), self._state_name(first, j, s),
                        self._state_name(second, j, t))
            gj, gs = num.operand(g[j]), self._grad_symbol(j, s)
            if abs(float(w1)) < 0.5:
                out.append(f"{m} = {ms} + (1 − β₁)·({gs} − {ms}) = {num(m_prev[j])} + {num(w1)} "
                           f"× ({num(g[j])} − {num.operand(m_prev[j])}) = {num(trace['m'][j])}")
            else:
                out.append(f"{m} = {gs} − β₁·({gs} − {ms}) = {num(g[j])} − {num(dt(1) - w1)} × "
                           f"({num(g[j])} − {num.operand(m_prev[j])}) = {num(trace['m'][j])}")
            out.append(f"{v} = β₂·{self._state_name(second, j, s)} + (1 − β₂)·{gs}² = {b2} × "
                       f"{num.operand(v_prev[j])} + {s2} × {gj} × {gj} = {num(trace['v'][j])}")
        bc1, bc2 = trace["bias_correction1"], trace["bias_correction2"]
        out.append(f"bias corrections: 1 − β₁{sup} = {num.f64(bc1)}, 1 − β₂{sup} = "
                   f"{num.f64(bc2)}, √(1 − β₂{sup}) = {num(trace['root2'])}")
        step_size = -float(trace["scale"])
        out.append(f"step size α = r/(1 − β₁{sup}) = {num.f64(lr)} / {num.f64(bc1)} = "
                   f"{num(step_size)}")
        eps = num(dt(o.eps_value))
        for j, n in enumerate(self.names):
            m, v = self._state_name(first, j, t), self._state_name(second, j, t)
            out.append(f"√{v}/√(1 − β₂{sup}) + ε = √{num(trace['v'][j])} / "
                       f"{num(trace['root2'])} + {eps} = {num(trace['denom'][j])}")
            out.append(f"{n}{subscript(t)} = {n}{subscript(s)} − α·{m}/(√{v}/√(1 − β₂{sup}) + ε) = "
                       f"{num(p[j])} − "
                       f"{num(step_size)} × {num.operand(trace['m'][j])} / "
                       f"{num(trace['denom'][j])} = {num(row[j])}")
        return out

    def _root_lines(self, p: np.ndarray, g: np.ndarray, row: np.ndarray, t: int, lr: float,
                    before: dict[str, np.ndarray], trace: dict[str, Any]) -> list[str]:
        """RMSprop (v = α·v + (1 − α)·g²) and Adagrad (s = s + g²): x − r·g/(√· + ε)."""
        num, s, dt, o = self.num, t - 1, self.num.dt, self.optimizer
        rms = o.name == "rmsprop"
        key, base = ("v", "v") if rms else ("sum", "s")
        prev = before.get(key, np.zeros(self.k))
        r = num.operand(lr_value(lr, dt))
        eps = num(dt(o.eps_value))
        out = []
        for j, n in enumerate(self.names):
            acc, acc_s = self._state_name(base, j, t), self._state_name(base, j, s)
            gj, gs = num.operand(g[j]), self._grad_symbol(j, s)
            if rms:
                out.append(f"{acc} = α·{acc_s} + (1 − α)·{gs}² = {num(dt(o.alpha))} × "
                           f"{num.operand(prev[j])} + {num(dt(1.0 - o.alpha))} × {gj} × {gj} = "
                           f"{num(trace[key][j])}")
            else:
                out.append(f"{acc} = {acc_s} + {gs}² = {num(prev[j])} + {gj} × {gj} = "
                           f"{num(trace[key][j])}")
            out.append(f"√{acc} + ε = √{num(trace[key][j])} + {eps} = {num(trace['denom'][j])}")
            out.append(f"{n}{subscript(t)} = {n}{subscript(s)} − r·{self._grad_symbol(j, s)}/"
                       f"(√{acc} + ε) = {num(p[j])} − {r} × {gj} / {num(trace['denom'][j])} = "
                       f"{num(row[j])}")
        return out

    # --- regression variants -----------------------------------------------------------------

    def _batch_lines(self, params: np.ndarray, grad: np.ndarray, t: int,
                     lr_changes: Sequence[Any]) -> list[str]:
        """Mini-batches: the epoch's batch updates, made again by the run's own engine (same
        seed, so the same shuffles), each with its batch's gradient; the last ends on the row."""
        c, num = self.config, self.num
        key = tuple((ch.epoch, ch.lr) if hasattr(ch, "epoch") else tuple(ch) for ch in lr_changes)
        if self._batches is None or self._batches[0] != key or self._batches[1].epochs > t - 1:
            self._batches = (key, _BatchReplay(c, params[0]))
        replay: _BatchReplay = self._batches[1]
        lr_of = lambda s: lr_for_update(c, lr_changes, s)  # noqa: E731
        n, b = replay.n, c.batch_size
        head = (f"epoch {t}: {replay.batches} updates, one per batch of {b} of the {n} points, "
                f"shuffled (seed {c.batch_seed}); on a batch r = y − (m·x + c) and "
                f"d_m = (−2/b)·Σ x·r, d_c = (−2/b)·Σ r")
        if not replay.run_to(t - 1, lr_of):
            self.pending = True
            return [head, f"making the run again: {replay.epochs:,} of {t - 1:,} epochs…"]
        self.pending = False
        lr = lr_of(t - 1)
        row, trace = replay.traced_epoch(lr)
        out = [head]
        shown = list(range(len(trace)))
        if len(trace) > 6:
            shown = [0, 1, 2, len(trace) - 2, len(trace) - 1]
        r = num.operand(lr_value(lr, num.dt))
        plain = self.optimizer.name in _STATELESS
        for i in shown:
            step = trace[i]
            if i == len(trace) - 2 and len(trace) > 6:
                out.append(f"… {len(trace) - 5} more batches …")
            g, before, after = step["grad"], step["before"], step["after"]
            if "sxr" in step:
                f = num.f64(-2.0 / step["points"])
                out.append(f"batch {i + 1} of {len(trace)} ({step['points']} points): Σ x·r = "
                           f"{num.f64(step['sxr'])}, Σ r = {num.f64(step['sr'])}; d_m = "
                           f"{f} × {num.operand(step['sxr'])} = {num(g[0])}, d_c = {f} × "
                           f"{num.operand(step['sr'])} = {num(g[1])}")
            else:
                out.append(f"batch {i + 1} of {len(trace)} ({step['points']} points): autograd "
                           f"d_m = {num(g[0])}, d_c = {num(g[1])}")
            if plain:
                out.append("    " + ", ".join(
                    f"{name} = {num(before[j])} − {r} × {num.operand(g[j])} = {num(after[j])}"
                    for j, name in enumerate(self.names)))
            else:
                out.append("    " + ", ".join(
                    f"{name}: {num(before[j])} → {num(after[j])}"
                    for j, name in enumerate(self.names))
                    + f" (the {self.optimizer.name} update on this batch's gradient)")
        out.append(", ".join(f"{name}{subscript(t)} = {num(row[j])}"
                             for j, name in enumerate(self.names))
                   + ": the row, after the epoch's last batch")
        out.append("the rows' gradient is the full data's: "
                   + ", ".join(f"d_{n}{subscript(t)} = {num(grad[t, j])}"
                               for j, n in enumerate(self.names)))
        wrong = [j for j in range(self.k) if not _same(row[j], params[t, j])]
        if wrong:
            out.append("(made again, this gives "
                       + ", ".join(f"{self.names[j]} = {num(row[j])}" for j in wrong)
                       + "; the run's row holds "
                       + ", ".join(num(params[t, j]) for j in wrong) + ")")
        return out

    def _scaled_lines(self, params: np.ndarray, t: int, lr_changes: Sequence[Any]) -> list[str]:
        """Feature scaling: the update on standardised x (m′, c′), made again by the run's own
        inner engine from the start, then converted to the rows' units as the run converts."""
        c = self.config
        key = tuple((ch.epoch, ch.lr) if hasattr(ch, "epoch") else tuple(ch) for ch in lr_changes)
        if self._scaled is None or self._scaled[0] != key:
            self._scaled = (key, _ScaledReplay(c, params[0]))
        replay: _ScaledReplay = self._scaled[1]
        ready = replay.extend_to(t, lambda s: lr_for_update(c, lr_changes, s))
        num = self.num
        out = [f"x standardised: x′ = (x − x̄)/s, x̄ = {num.f64(replay.mean)}, s = "
               f"{num.f64(replay.std)}; descent runs on m′ = m·s, c′ = c + m·x̄"]
        if not ready:
            self.pending = True
            return out + [f"making the run again on standardised x: {replay.rows - 1:,} of "
                          f"{t:,} updates…"]
        if t >= replay.rows:
            return out + ["(the run on standardised x stops before this row)"]
        P, G = replay.params(), replay.grads()
        inner = replay.arithmetic
        lines = inner.lines(P, G, t, lr_changes)
        self.pending = inner.pending
        out += lines
        m_s, c_s = P[t]
        with np.errstate(all="ignore"):
            m = m_s / replay.std
            cc = c_s - m * replay.mean
        out.append(f"m{subscript(t)} = m′{subscript(t)} / s = {num(m_s)} / {num.f64(replay.std)} = "
                   f"{num(m)}")
        out.append(f"c{subscript(t)} = c′{subscript(t)} − m{subscript(t)}·x̄ = {num(c_s)} − "
                   f"{num.operand(m)} × {num.operand(replay.mean)} = {num(cc)}")
        wrong = [(n, v, r) for n, v, r in zip(self.names, (m, cc), params[t], strict=True)
                 if not _same(v, r)]
        if wrong:
            gives = ", ".join(f"{n} = {num(v)}" for n, v, _ in wrong)
            holds = ", ".join(num(r) for *_, r in wrong)
            out.append(f"(made again, this gives {gives}; the run's row holds {holds})")
        return out

    def _variant_lines(self, params: np.ndarray, grad: np.ndarray, t: int,
                       lr_changes: Sequence[Any]) -> list[str]:
        """Feature scaling and mini-batches, in words, with the rows' numbers."""
        assert isinstance(self.problem, RegressionProblem)
        num, s, c = self.num, t - 1, self.config
        lr = lr_for_update(c, lr_changes, s)
        opt = self.optimizer.name
        rule = "m ← m − r·d_m, c ← c − r·d_c" if opt in ("gd", "sgd") else f"the {opt} update"
        out = []
        if c.batch_size:
            n = self.problem.n
            updates = -(-n // c.batch_size)
            out.append(f"epoch {t}: {updates} updates ({rule}, r = {num.f64(lr)}), one per batch "
                       f"of {c.batch_size} of the {n} points, shuffled (seed {c.batch_seed})")
        if c.scale_x:
            out.append("x standardised: the updates run on x′ = (x − x̄)/s, with m′ = m·s, "
                       f"c′ = c + m·x̄ ({rule} on m′ and c′, r = {num.f64(lr)}); the rows are "
                       "in the original units")
        for j, name in enumerate(self.names):
            out.append(f"{name}{subscript(t)} = {num(params[t, j])} (from {name}{subscript(s)} = "
                       f"{num(params[s, j])}: a change of {num(params[t, j] - params[s, j])})")
        out.append("the rows' gradient is the full data's, in original units: "
                   + ", ".join(f"d_{n}{subscript(t)} = {num(grad[t, j])}"
                               for j, n in enumerate(self.names)))
        return out


class _ScaledReplay:
    """A feature-scaled regression made again on standardised x, update by update, by the
    run's own inner engine (:func:`~.descent.minibatch.make_regression_engine`): its rows
    (m′, c′) and gradients, which the run's history (in original units) does not hold."""

    def __init__(self, config: RunConfig, start: np.ndarray) -> None:
        from gdstudio.core.descent.minibatch import make_regression_engine

        assert isinstance(config.problem, RegressionProblem)
        engine = make_regression_engine(config.problem, config.engine, config.optimizer_settings,
                                        config.dtype, config.device, scale_x=True, batch_size=0,
                                        seed=config.batch_seed)
        self.engine = engine
        self.mean, self.std = float(engine.mean), float(engine.std)  # type: ignore[attr-defined]
        self.inner = engine.inner  # type: ignore[attr-defined]
        dt = np.float32 if config.dtype == "float32" else np.float64
        p0 = np.asarray(engine.to_scaled(np.asarray(start, dtype=np.float64)),  # type: ignore
                        dtype=dt).astype(np.float64)
        _loss, g0 = self.inner.start(p0)
        self._p = [p0]
        self._g = [np.asarray(g0, dtype=np.float64).reshape(-1)]
        self.finished = False
        scaled = config.with_(problem=engine.scaled, scale_x=False)  # type: ignore[attr-defined]
        self.arithmetic = UpdateArithmetic(scaled)
        self.arithmetic.names = ("m′", "c′")
        self.arithmetic.x_name = "x′"

    @property
    def rows(self) -> int:
        return len(self._p)

    def extend_to(self, t: int, lr_of: Any) -> bool:
        """Rows up to ``t`` (at most :data:`REPLAY_CHUNK` more per call); True when there."""
        todo = min(t + 1 - self.rows, REPLAY_CHUNK)
        while todo > 0 and not self.finished:
            P, _L, G = self.inner.advance(1, lr_of(self.rows - 1))
            if len(P) == 0:
                self.finished = True
                break
            self._p.append(np.asarray(P[0], dtype=np.float64))
            self._g.append(np.asarray(G[0], dtype=np.float64))
            todo -= 1
        return self.rows > t or self.finished

    def params(self) -> np.ndarray:
        return np.array(self._p)

    def grads(self) -> np.ndarray:
        return np.array(self._g)


class _BatchReplay:
    """A mini-batch regression made again, epoch by epoch, by the run's own engine
    (:func:`~.descent.minibatch.make_regression_engine`, the same seed: the same shuffles);
    the epoch asked about is traced batch by batch (the engine's ``trace``)."""

    def __init__(self, config: RunConfig, start: np.ndarray) -> None:
        from gdstudio.core.descent.minibatch import MiniBatchEngine, make_regression_engine

        assert isinstance(config.problem, RegressionProblem)
        engine = make_regression_engine(config.problem, config.engine, config.optimizer_settings,
                                        config.dtype, config.device, scale_x=False,
                                        batch_size=config.batch_size, seed=config.batch_seed)
        assert isinstance(engine, MiniBatchEngine)
        engine.start(np.asarray(start, dtype=np.float64))
        self.engine = engine
        self.n = config.problem.n
        self.batches = -(-self.n // config.batch_size)
        self.epochs = 0

    def run_to(self, epochs: int, lr_of: Any) -> bool:
        """Go on to ``epochs`` epochs made (a chunk of updates per call); True when there."""
        stop = min(epochs, self.epochs + max(1, REPLAY_CHUNK // self.batches))
        while self.epochs < stop:
            self.engine.advance(1, lr_of(self.epochs))
            self.epochs += 1
        return self.epochs == epochs

    def traced_epoch(self, lr: float) -> tuple[np.ndarray, list[dict[str, Any]]]:
        """The next epoch, with each of its batch updates; (the row after it, the batches)."""
        self.engine.trace = []
        try:
            P, _L, _G = self.engine.advance(1, lr)
            trace = self.engine.trace
        finally:
            self.engine.trace = None
        self.epochs += 1
        return np.asarray(P[0], dtype=np.float64), trace


def lr_value(lr: float, dt: Any) -> Any:
    """The learning rate as the update uses it: rounded to the run's dtype."""
    return dt(lr)


def _derivative_ready(problem: FunctionProblem) -> bool:
    """Whether f's derivative can be evaluated now without importing SymPy (a preset's is
    known; a typed one's needs SymPy, which a window imports off its GUI thread)."""
    from gdstudio.core.expr.expression import symbolic_loaded
    from gdstudio.core.expr.known import known_gradient

    expr = problem.expression
    return symbolic_loaded() or known_gradient(expr.text, expr.variables) is not None


def _same(a: float, b: float) -> bool:
    a, b = float(a), float(b)
    return a == b or (math.isnan(a) and math.isnan(b))


def explain_update(config: RunConfig, params: np.ndarray, grad: np.ndarray, epoch: int,
                   lr_changes: Sequence[Any] = ()) -> list[str]:
    """The lines of :meth:`UpdateArithmetic.lines` for one look (no state kept), the whole
    replay made at once however long (:attr:`UpdateArithmetic.pending` never left)."""
    arithmetic = UpdateArithmetic(config)
    lines = arithmetic.lines(params, grad, epoch, lr_changes)
    while arithmetic.pending:
        lines = arithmetic.lines(params, grad, epoch, lr_changes)
    return lines
