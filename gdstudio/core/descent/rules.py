"""The stop rules of a run, and the messages that say why it stopped.

:func:`scan_block` applies them to a block of new rows (converged, diverged by non-finite
values, explosion or steady growth); :func:`find_cycles` finds iterates that repeat. A single
run and every lane of a race obey exactly these rules; the race screens many runs at once
first (:mod:`gdstudio.core.race.screen`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gdstudio.core.problems import FunctionProblem, Problem

#: How far loss or parameters may move, relative to their start, before the run is "diverged".
EXPLOSION_FACTOR = 1e12


#: A steadily growing run is "diverged" sooner: growth by at least GROWTH_RATE per epoch for
#: GROWTH_EPOCHS epochs in a row, to GROWTH_FACTOR × (1 + |start|). A converging run cannot
#: do that: the distance from its start grows at most like t/(t−1) per epoch.
GROWTH_RATE = 1.1


GROWTH_EPOCHS = 20


GROWTH_FACTOR = 1e6


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
            maybe = np.asarray(_within_ulps(a, b, eps).all(axis=2))
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


def growth_floors(loss0: float, p0max: float) -> tuple[float, float]:
    """The loss rise and the |parameter| that every divergence rule needs a run to pass (the
    steady-growth floor; the explosion limits lie beyond it)."""
    return GROWTH_FACTOR * (1.0 + abs(loss0)), GROWTH_FACTOR * (1.0 + p0max)


def grad_norms(G: np.ndarray) -> np.ndarray:
    """Euclidean norm of each row, without overflow for huge components."""
    if G.shape[1] == 1:
        return np.abs(G[:, 0])
    with np.errstate(all="ignore"):
        scale = np.max(np.abs(G), axis=1)
        safe = np.where(scale > 0, scale, 1.0)
        return scale * np.sqrt(np.sum((G / safe[:, None]) ** 2, axis=1))


def grad_norm(g: np.ndarray) -> float:
    """|g| of one gradient (any shape), without overflow: :func:`grad_norms` of one row."""
    return float(grad_norms(np.asarray(g, dtype=np.float64).reshape(1, -1))[0])


def short_number(v: float) -> str:
    return f"{v:.6g}"


@dataclass(frozen=True)
class BlockStop:
    """What the stop rules say about a block of new rows: how many to keep, and why it ended."""

    keep: int
    status: str = ""  # "" (go on), "converged" or "diverged"
    message: str = ""


def _point_text(names: Sequence[str], p: np.ndarray) -> str:
    return ", ".join(f"{n} = {short_number(float(v))}" for n, v in zip(names, p, strict=True))


def converged_at_start_message(gnorm: float) -> str:
    return f"converged at epoch 0: |gradient| = {short_number(gnorm)} ≤ tol"


def converged_stop(first: int, epoch: int, gnorm: float, tol: float) -> BlockStop:
    """The stop of a run whose first stopping row is ``first`` of its block (``epoch``),
    where |gradient| = ``gnorm`` ≤ ``tol``."""
    return BlockStop(first + 1, "converged",
                     f"converged at epoch {epoch}: |gradient| = {short_number(gnorm)}"
                     f" ≤ tol = {short_number(tol)}")


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
            why = (f"f is undefined or infinite at {_point_text(names, p)}"
                   f" (f = {short_number(loss)})")
        elif isinstance(problem, FunctionProblem):
            why = f"the gradient is undefined or infinite at {_point_text(names, p)}"
        else:
            why = f"the loss overflowed at {_point_text(names, p)}"
        return BlockStop(first, "diverged", f"diverged at epoch {epoch}: {why}")
    if big_p[first]:
        why = (f"the parameters grew beyond {limit:.0e} × their start"
               f" ({_point_text(names, P[first])})")
    elif growing[first]:
        what = "loss" if grow_l[first] else "parameters"
        why = (f"the {what} grew by over {int(round((GROWTH_RATE - 1) * 100))}% every epoch for "
               f"{GROWTH_EPOCHS} epochs, to over {GROWTH_FACTOR:.0e} × the start "
               f"({_point_text(names, P[first])}, loss {short_number(float(L[first]))})")
    else:
        why = f"the loss reached {short_number(float(L[first]))}, beyond {limit:.0e} × its start"
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
    shown = ", ".join(short_number(float(v)) for v in points[:, 0][:6])
    return f"cycling with period {period} ({names[0]}: {shown}) through epoch {epoch}"
