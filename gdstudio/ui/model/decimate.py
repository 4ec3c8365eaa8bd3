"""Which of a path's n points to draw, so that the drawn polyline stays on the real one.

A run of a million epochs cannot be handed to a plot in full every frame, and it must not be
drawn as its first and last few hundred iterates either: the chord between them crosses ground
the run never visited (on Rosenbrock a chord from iterate 199 to iterate 4800 climbs to f = 66
where the run never exceeds 3.5). :func:`decimate` keeps instead the first point, the last one
and every point the shape needs, with the Ramer–Douglas–Peucker criterion: between two kept
points, every dropped point lies within ``tolerance`` of the chord that joins them. Then every
point of the drawn polyline is within ``tolerance`` of the real polyline, and every real point
within ``tolerance`` of the drawn one (each real point lies near its chord, and the real path
runs from one end of the chord to the other inside that band). Distances are measured in the
drawn coordinates divided by the plot's spans, so ``tolerance`` is a fraction of the plot.

Bounded cost (NumPy throughout; no Python loop over the points):

* Stage 1 cuts the path into buckets of :data:`BUCKET` rows and applies the criterion, with
  half the tolerance, inside each bucket: one pass over the rows for a path that moves slowly
  (the long tail of a converging run), a few more for the buckets that need splitting; every
  failing stretch is split at its farthest point and at its middle, so the splits end after
  log₂(:data:`BUCKET`) rounds.
* Stage 2 applies the criterion again, with the other half, to what stage 1 kept: at most
  :data:`STAGE_BUDGET` points (for a long, slow run about two per bucket, most of them
  dropped again), so its rounds are cheap.

The errors add up to at most ``tolerance``. When a path is too intricate to draw within the
tolerance in ``limit`` points (a random walk of a million large steps), the stretches drawn
worst are refined first and the rest are drawn as the chords of what was kept; the points
holding each coordinate's smallest and largest value are always kept, so the drawn extent is
the real one.

A plot draws its path every frame while the run grows: :class:`PathRows` keeps what it
thinned and thins only the new rows (same criterion, same scale), so a frame costs O(new
rows); it starts again from scratch when the path is not the same one grown, when the view
became finer, or when the pieces added up to ``limit`` points.

Non-finite rows (a diverging run) are never joined across: the rows where the path stops or
starts being finite are kept, so a plot item drawn with ``connect="finite"`` breaks the line
there; the rows in between are dropped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["BUCKET", "KEEP_ALL", "MAX_POINTS", "STAGE_BUDGET", "TOLERANCE", "PathRows", "decimate",
           "warm_up"]

#: Paths of at most this many points are drawn whole (every iterate a marker).
KEEP_ALL = 400
#: A decimated path has at most this many points (plus the few forced ones: see decimate).
MAX_POINTS = 2000
#: Largest distance of a dropped point from its chord, as a fraction of the plot's spans.
TOLERANCE = 1e-3
#: Rows per bucket in stage 1.
BUCKET = 64
#: At most this many points leave stage 1.
STAGE_BUDGET = 1 << 15
#: Normalised coordinates are clipped to ±this (far off the plot; keeps squares finite).
_FAR = 1e6


def warm_up() -> None:
    """Pay the one-time costs of a first thinning now (NumPy imports modules such as
    ``numpy.ma`` on the first use of some functions: 20-50 ms), so that they do not fall in
    the first frame of a long run (bench row e's longest stall). The window calls it once
    start-up has settled."""
    t = np.linspace(0.0, 6.0, 2 * KEEP_ALL)
    path = np.column_stack([np.cos(t), np.sin(3 * t)])
    path[KEEP_ALL] = np.nan  # the non-finite branch too
    PathRows().rows(path)


def decimate(points: np.ndarray | Sequence[np.ndarray], scale: Sequence[float] | None = None,
             *, tolerance: float = TOLERANCE, limit: int = MAX_POINTS,
             keep_all: int = KEEP_ALL) -> np.ndarray:
    """The indices (sorted, unique, 0 and n − 1 included) of the rows of ``points`` to draw.

    Parameters
    ----------
    points
        The path as drawn, in order: an array of shape (n,) or (n, d), or a sequence of d
        arrays of n values (its columns: the x and the y drawn).
    scale
        The spans of the plot's axes (d numbers), or None. The tolerance is a fraction of the
        smaller of each span and the points' own finite extent along that axis.
    tolerance
        Largest distance, in those fractions, of a dropped point from the chord drawn for it.
    limit
        At most this many indices are returned (beyond the endpoints, the 2·d extremes and
        the rows where the path stops or starts being finite).
    keep_all
        Paths of at most this many points are returned whole.
    """
    U = _columns(points)
    n = U.shape[1]
    if n <= max(int(keep_all), 2):
        return np.arange(n, dtype=np.intp)
    finite = _finite(U)
    if not finite.any():
        return np.array([0, n - 1], dtype=np.intp)
    lo, hi = _extent(U, finite)
    return _thin(U, finite, lo, hi, _spans(lo, hi, scale), tolerance, limit, extremes=True)


class PathRows:
    """:func:`decimate` for a path that grows between calls (a run that plays: a plot thins
    its path every frame). The rows thinned before are kept as they were; only the new rows
    are thinned, with the same criterion at the same scale or a coarser one, so a frame costs
    O(new rows), not O(n). The whole path is thinned again when it no longer extends the
    path of the last call (another run, an earlier epoch), when the scale became finer (a
    zoom in), or when the pieces added up to more than ``limit`` points.
    """

    def __init__(self, *, tolerance: float = TOLERANCE, limit: int = MAX_POINTS,
                 keep_all: int = KEEP_ALL) -> None:
        self.tolerance = float(tolerance)
        self.limit = int(limit)
        self.keep_all = int(keep_all)
        self.clear()

    def clear(self) -> None:
        self._n = 0
        self._rows = np.empty(0, dtype=np.intp)
        self._values = np.empty((0, 0))  # the coordinates of those rows, to recognise them
        self._lo = self._hi = self._spans = np.empty(0)

    def rows(self, points: np.ndarray | Sequence[np.ndarray],
             scale: Sequence[float] | None = None) -> np.ndarray:
        """The rows of ``points`` to draw (as :func:`decimate` says), reusing the last call's
        when ``points`` extends the path it was given."""
        columns = (list(_rows_of(points).T) if isinstance(points, np.ndarray)
                   else [np.asarray(c).reshape(-1) for c in points])
        n = int(columns[0].shape[0]) if columns else 0
        if n <= max(self.keep_all, 2):
            self.clear()
            return np.arange(n, dtype=np.intp)
        if self._extends(columns, n):
            rows = self._grow(columns, n, scale)
            if rows is not None:
                return rows
        U = _columns(columns)
        finite = _finite(U)
        if not finite.any():
            self.clear()
            return np.array([0, n - 1], dtype=np.intp)
        lo, hi = _extent(U, finite)
        spans = _spans(lo, hi, scale)
        rows = _thin(U, finite, lo, hi, spans, self.tolerance, self.limit, extremes=True)
        self._keep(columns, n, rows, lo, hi, spans)
        return rows

    def _extends(self, columns: Sequence[np.ndarray], n: int) -> bool:
        """Is this the last call's path, perhaps longer? (Its kept rows are where they were.)"""
        if not self._n or n < self._n or len(columns) != self._values.shape[0]:
            return False
        values = np.array([c[self._rows] for c in columns], dtype=np.float64)
        return bool(np.array_equal(values, self._values, equal_nan=True))

    def _grow(self, columns: Sequence[np.ndarray], n: int,
              scale: Sequence[float] | None) -> np.ndarray | None:
        """The rows for the longer path, the new ones thinned alone; None when the whole path
        must be thinned again."""
        start = self._n - 1  # the last row drawn: the new piece's first
        U = _columns([c[start:n] for c in columns])
        finite = _finite(U)
        lo, hi = self._lo.copy(), self._hi.copy()
        if finite.any():
            new_lo, new_hi = _extent(U, finite)
            lo, hi = np.fmin(lo, new_lo), np.fmax(hi, new_hi)
        spans = _spans(lo, hi, scale)
        if not np.all(spans >= self._spans):  # finer now: what was kept may be too coarse
            return None
        if n == self._n:
            self._lo, self._hi = lo, hi
            return self._rows
        piece = _thin(U, finite, lo, hi, spans, self.tolerance, self.limit, extremes=False)
        rows = np.concatenate([self._rows, start + piece[1:]])
        if rows.size > self.limit:
            return None
        # the kept scale stays the finest used, so that a later, finer one is noticed
        self._keep(columns, n, rows, lo, hi, np.fmin(spans, self._spans))
        return rows

    def _keep(self, columns: Sequence[np.ndarray], n: int, rows: np.ndarray, lo: np.ndarray,
              hi: np.ndarray, spans: np.ndarray) -> None:
        self._n, self._rows = n, rows
        self._values = np.array([c[rows] for c in columns], dtype=np.float64)
        self._lo, self._hi, self._spans = lo, hi, spans


def _columns(points: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
    """A (d, n) float64 copy of the path (each axis contiguous: fast reductions)."""
    if isinstance(points, np.ndarray):
        return np.array(_rows_of(points).T, dtype=np.float64, order="C")
    columns = [np.asarray(c, dtype=np.float64).reshape(-1) for c in points]
    if not columns:
        return np.empty((1, 0))
    return np.array(columns, dtype=np.float64, order="C")


def _rows_of(points: np.ndarray) -> np.ndarray:
    """``points`` as rows (n, d): (n,) is one axis, (n, d1, d2, …) flattened per row."""
    if points.ndim == 0:
        return points.reshape(1, 1)
    return points.reshape(points.shape[0], int(np.prod(points.shape[1:], dtype=np.intp)))


def _finite(U: np.ndarray) -> np.ndarray:
    finite = np.isfinite(U[0])
    for axis in U[1:]:
        finite &= np.isfinite(axis)
    return finite


def _extent(U: np.ndarray, finite: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each axis's smallest and largest finite value (rows with any non-finite one left out)."""
    every = bool(finite.all())
    lo = np.empty(U.shape[0])
    hi = np.empty(U.shape[0])
    for i, axis in enumerate(U):
        values = axis if every else axis[finite]
        lo[i], hi[i] = values.min(), values.max()
    return lo, hi


def _spans(lo: np.ndarray, hi: np.ndarray, scale: Sequence[float] | None) -> np.ndarray:
    """What a tolerance is a fraction of, per axis: the smaller of the extent and the view's
    span (either when the other is empty or not finite; 1 when both are)."""
    d = lo.size
    view = None if scale is None else np.asarray(scale, dtype=np.float64).reshape(-1)
    spans = np.ones(d)
    for i in range(d):
        with np.errstate(over="ignore", invalid="ignore"):
            extent = float(hi[i] - lo[i])
        choices = [extent] if math.isfinite(extent) and extent > 0 else []
        if view is not None and view.size == d and math.isfinite(view[i]) and view[i] > 0:
            choices.append(float(view[i]))
        if choices:
            spans[i] = min(choices)
    return spans


def _thin(U: np.ndarray, finite: np.ndarray, lo: np.ndarray, hi: np.ndarray,
          spans: np.ndarray, tolerance: float, limit: int, *, extremes: bool) -> np.ndarray:
    """The two stages on the path U (d, n; changed in place), measured in units of ``spans``
    from ``lo``; ``extremes``: keep each axis's smallest and largest value."""
    _normalise(U, finite, lo, hi, spans)
    forced = _forced(U, finite, max(4, int(limit) // 4), extremes)
    half = 0.5 * float(tolerance)
    # Stage 1: within buckets, half the tolerance, up to STAGE_BUDGET points.
    kept, a, b, *measured = _buckets(U, forced, half)
    kept = _rdp(U, kept, a, b, half, max(STAGE_BUDGET, kept.size), tuple(measured))
    # Stage 2: across the buckets, on the points stage 1 kept, the other half.
    sub = np.ascontiguousarray(U[:, kept])
    where = np.searchsorted(kept, forced)
    a, b = _open(sub, where)
    chosen = _rdp(sub, where, a, b, half, max(int(limit), where.size))
    return kept[chosen]


def _normalise(U: np.ndarray, finite: np.ndarray, lo: np.ndarray, hi: np.ndarray,
               spans: np.ndarray) -> None:
    """In place: (U − lo) / spans per axis; non-finite rows NaN; clipped to ±_FAR."""
    every = bool(finite.all())
    for i, axis in enumerate(U):
        with np.errstate(over="ignore", invalid="ignore"):
            axis -= lo[i]
            axis /= spans[i]
            far = not (hi[i] - lo[i]) / spans[i] <= _FAR
        if far:
            np.clip(axis, -_FAR, _FAR, out=axis)
        if not every:
            axis[~finite] = np.nan


def _forced(U: np.ndarray, finite: np.ndarray, most_edges: int, extremes: bool) -> np.ndarray:
    """Rows always drawn: the first and last, each axis's extremes (``extremes``), and the
    rows where the path stops or starts being finite (at most ``most_edges`` of those, evenly
    chosen)."""
    n = U.shape[1]
    rows = [np.array([0, n - 1], dtype=np.intp)]
    if extremes and finite.any():
        every = bool(finite.all())
        for axis in U:
            low, high = (axis.argmin(), axis.argmax()) if every else (np.nanargmin(axis),
                                                                       np.nanargmax(axis))
            rows.append(np.array([low, high], dtype=np.intp))
    change = np.flatnonzero(finite[1:] != finite[:-1])
    if change.size:
        edges = np.concatenate([change, change + 1])
        edges.sort()
        if edges.size > most_edges:
            edges = edges[np.linspace(0, edges.size - 1, most_edges).astype(np.intp)]
        rows.append(edges.astype(np.intp))
    return np.unique(np.concatenate(rows))


def _open(U: np.ndarray, kept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The stretches between consecutive kept rows that have rows inside and finite ends."""
    finite = np.isfinite(U[0])
    a, b = kept[:-1], kept[1:]
    ok = (b - a > 1) & finite[a] & finite[b]
    return a[ok], b[ok]


def _buckets(U: np.ndarray, forced: np.ndarray, tolerance: float) -> tuple[np.ndarray, ...]:
    """Stage 1's first round, on whole buckets (a reshape, no index arrays). Returns the rows
    kept (every bucket's ends and the forced rows); the stretches still open whose inside is
    still to be measured (the pieces of a bucket with a forced row inside, the partial last
    bucket); and the failing whole buckets with what the round found: their ends, the squared
    distance of their farthest inside row from the chord, and that row."""
    d, n = U.shape
    nb = (n - 1) // BUCKET
    grid = np.arange(0, nb * BUCKET + 1, BUCKET, dtype=np.intp)
    kept = np.union1d(grid, forced)
    a, b = _open(U, kept)
    none = np.empty(0, dtype=np.intp)
    if nb == 0:
        return kept, a, b, none, none, np.empty(0), none
    tol2 = tolerance * tolerance
    # A bucket (its BUCKET + 1 rows, both ends included) inside a box of diagonal ≤ tolerance
    # passes at once: the slow part of a run, almost all of a long one. (NaN fails.)
    box = np.zeros(nb)
    for i in range(d):
        rows = U[i, : nb * BUCKET].reshape(nb, BUCKET)
        ends = U[i, BUCKET : nb * BUCKET + 1 : BUCKET]
        extent = np.maximum(rows.max(axis=1), ends) - np.minimum(rows.min(axis=1), ends)
        box += extent * extent
    # buckets with a forced row strictly inside: their pieces are measured in _rdp
    inner = forced[(forced % BUCKET != 0) & (forced < nb * BUCKET)]
    split = np.zeros(nb, dtype=bool)
    split[inner // BUCKET] = True
    which = np.flatnonzero(~(box <= tol2) & ~split)
    worst, far = np.empty(0), none
    if which.size:  # every inside row against the chord
        body = U[:, : nb * BUCKET].reshape(d, nb, BUCKET)
        ends = U[:, BUCKET : nb * BUCKET + 1 : BUCKET]
        few = which.size < nb // 2  # measure those only (a copy); else all (views)
        if few:
            body, ends = body[:, which], ends[:, which]
        A = body[:, :, 0]  # (d, m)
        V = ends - A
        vv = np.zeros(A.shape[1])
        t = np.zeros((A.shape[1], BUCKET - 1))
        for i in range(d):
            vv += V[i] * V[i]
            t += (body[i, :, 1:] - A[i][:, None]) * V[i][:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            t /= vv[:, None]
        np.clip(t, 0.0, 1.0, out=t)
        t[~np.isfinite(t)] = 0.0
        d2 = np.zeros_like(t)
        for i in range(d):
            r = body[i, :, 1:] - A[i][:, None]
            r -= t * V[i][:, None]
            d2 += r * r
        d2[np.isnan(d2)] = np.inf  # a non-finite row inside: split there
        rank = d2.argmax(axis=1)
        worst = d2[np.arange(d2.shape[0]), rank]
        if not few:
            worst, rank = worst[which], rank[which]
        far = BUCKET * which + 1 + rank
    bucket = a // BUCKET
    pieces = (bucket >= nb) | split[np.clip(bucket, 0, nb - 1)]
    return kept, a[pieces], b[pieces], BUCKET * which, BUCKET * (which + 1), worst, far


def _rdp(U: np.ndarray, kept: np.ndarray, a: np.ndarray, b: np.ndarray, tolerance: float,
         limit: int, known: tuple[np.ndarray, ...] | None = None) -> np.ndarray:
    """Ramer–Douglas–Peucker on all open stretches at once: the sorted indices kept, given
    the sorted ``kept`` ones and the open stretches a[k] < b[k] between consecutive ones
    (``known``: more open stretches, already measured: ends, worst squared distance,
    farthest row).

    Each round measures every inside row of every open stretch against its chord and splits
    each failing stretch at its farthest row and at its middle (so the rounds end after
    log₂ of the longest stretch). Once a round would pass ``limit`` indices, only the worst
    stretches are split, and that round is the last.
    """
    tol2 = tolerance * tolerance
    finite = np.isfinite(U[0])
    while a.size or known is not None:
        worst, far = _farthest(U, a, b) if a.size else (np.empty(0), a)
        if known is not None:
            a, b = np.concatenate([a, known[0]]), np.concatenate([b, known[1]])
            worst, far = np.concatenate([worst, known[2]]), np.concatenate([far, known[3]])
            order = np.argsort(a, kind="stable")
            a, b, worst, far = a[order], b[order], worst[order], far[order]
            known = None
        bad = worst > tol2
        a, b, worst, far = a[bad], b[bad], worst[bad], far[bad]
        if not a.size:
            break
        mid = (a + b) // 2
        last_round = False
        room = limit - kept.size
        adds = 1 + (mid != far)
        if int(adds.sum()) > room:
            order = np.argsort(-worst, kind="stable")
            take = np.sort(order[np.cumsum(adds[order]) <= room])
            if not take.size:
                break
            a, b, far, mid = a[take], b[take], far[take], mid[take]
            last_round = True
        new = np.unique(np.concatenate([far, mid]))
        kept = np.union1d(kept, new)
        if last_round:
            break
        # the pieces of the split stretches: between their ends and the new rows
        ends = np.unique(np.concatenate([a, b, new]))
        lo, hi = ends[:-1], ends[1:]
        inside = np.searchsorted(a, lo, side="right") - 1  # the split stretch each lies in
        keep = (inside >= 0) & (hi - lo > 1) & finite[lo] & finite[hi]
        keep &= hi <= b[np.clip(inside, 0, None)]
        a, b = lo[keep], hi[keep]
    return kept


def _farthest(U: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each stretch a[k] < b[k] (with rows inside): the squared distance of its farthest
    inside row from the segment U[:, a[k]]–U[:, b[k]], and that row's index."""
    lengths = b - a - 1
    starts = np.zeros(lengths.size, dtype=np.intp)
    np.cumsum(lengths[:-1], out=starts[1:])
    total = int(starts[-1] + lengths[-1])
    seg = np.repeat(np.arange(lengths.size, dtype=np.intp), lengths)
    # each inside row: a[seg] + 1 + its rank inside the stretch
    idx = np.arange(total, dtype=np.intp) + np.repeat(a + 1 - starts, lengths)
    d = U.shape[0]
    V = U[:, b] - U[:, a]  # (d, stretches)
    vv = np.zeros(lengths.size)
    t = np.zeros(total)
    W = np.empty((d, total))
    for i in range(d):
        vv += V[i] * V[i]
        W[i] = U[i, idx] - np.repeat(U[i, a], lengths)
        t += W[i] * np.repeat(V[i], lengths)
    with np.errstate(invalid="ignore", divide="ignore"):
        t /= np.repeat(vv, lengths)
    np.clip(t, 0.0, 1.0, out=t)
    t[~np.isfinite(t)] = 0.0
    d2 = np.zeros(total)
    for i in range(d):
        r = W[i] - t * np.repeat(V[i], lengths)
        d2 += r * r
    d2[np.isnan(d2)] = np.inf  # a non-finite row inside (edges thinned out): split there
    worst = np.maximum.reduceat(d2, starts)
    hit = np.flatnonzero(d2 == np.repeat(worst, lengths))
    first = np.ones(hit.size, dtype=bool)
    first[1:] = seg[hit[1:]] != seg[hit[:-1]]
    return worst, idx[hit[first]]
