"""The race's stop screen: which of many runs could stop in a block of rows, found at once.

A performance module, fenced off from the rules themselves (:mod:`gdstudio.core.descent.rules`):
:func:`block_extremes` reduces a block of K runs' rows to per-run extremes, piece by piece while
the rows are in cache; :func:`may_stop` says which runs a stop rule could fire on (the others
are passed over without a scan); :func:`screened_convergence` settles at once the runs whose
first flagged row converges. Each is tested against :func:`~gdstudio.core.descent.rules.scan_block`
run by run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gdstudio.core.descent.rules import (
    EXPLOSION_FACTOR,
    GROWTH_FACTOR,
    grad_norms,
    growth_floors,
)

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
                                           top_p, _lane_reduce(maximum, gnorm), low), strict=True):
                part.append(value)
            if first_below is not None:
                found = looking & (low <= below_tol)
                if found.any():
                    runs = np.flatnonzero(found)
                    first_below[runs] = i + (gnorm[:, runs] <= below_tol).argmax(axis=0)
                    looking &= ~found
        top_loss, low_loss, top_p, top_g, low_g = (
            part[0] if len(part) == 1 else ufunc.reduce(np.array(part), axis=0)
            for part, ufunc in zip(parts, (maximum, minimum, maximum, maximum, minimum),
                                   strict=True))
        finite = (np.isfinite(top_loss) & np.isfinite(low_loss) & np.isfinite(top_p)
                  & np.isfinite(top_g))
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
        return (~e.finite | (e.low_g <= tol) | (e.top_loss - loss0 >= loss_floor)
                | (e.top_p >= p_floor))


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
