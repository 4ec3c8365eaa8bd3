"""Geometry for the tests of drawn paths: plain loops over real points and drawn chords,
independent of the code that chooses what is drawn."""

from __future__ import annotations

import math

import numpy as np


def unit_coordinates(points: np.ndarray, span: np.ndarray | None = None) -> np.ndarray:
    """Each axis divided by ``span`` (default: the finite points' extent along it)."""
    finite = np.isfinite(points).all(axis=1)
    lo, hi = points[finite].min(axis=0), points[finite].max(axis=0)
    if span is None:
        span = np.where(hi > lo, hi - lo, 1.0)
    return (points - lo) / span


def distance_to_segment(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    v, w = b - a, p - a
    vv = float(v @ v)
    t = 0.0 if vv == 0.0 else min(1.0, max(0.0, float(w @ v) / vv))
    r = w - t * v
    return math.sqrt(float(r @ r))


def worst_chord_distance(points: np.ndarray, idx: np.ndarray) -> float:
    """The largest distance of a dropped point from the chord drawn across it (unit
    coordinates), by a loop over every dropped point."""
    u = unit_coordinates(points)
    worst = 0.0
    for a, b in zip(idx[:-1].tolist(), idx[1:].tolist(), strict=True):
        for i in range(a + 1, b):
            worst = max(worst, distance_to_segment(u[i], u[a], u[b]))
    return worst


def worst_distance_to_drawn(points: np.ndarray, idx: np.ndarray, sample: int = 4000) -> float:
    """The largest distance (unit coordinates) of a real point, any of them (``sample`` of
    them, evenly spread, when more), from the drawn polyline as a whole."""
    u = unit_coordinates(points)
    drawn = u[idx]
    rows = range(len(u)) if len(u) <= sample else np.linspace(0, len(u) - 1, sample).astype(int)
    a, v = drawn[:-1], drawn[1:] - drawn[:-1]
    lengths = (v * v).sum(axis=1)
    vv = np.where(lengths > 0, lengths, 1.0)
    worst = 0.0
    for i in rows:  # one real point at a time against every drawn segment
        w = u[i] - a
        t = np.clip((w * v).sum(axis=1) / vv, 0.0, 1.0)
        r = w - t[:, None] * v
        worst = max(worst, float(np.sqrt((r * r).sum(axis=1)).min()))
    return worst


def drawn_rows(points: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """The rows of ``points`` that the drawn (xs, ys) are, in order (each drawn point must be
    a real point, later than the one before)."""
    rows = []
    i = 0
    for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
        while i < len(points) and not (points[i, 0] == x and points[i, 1] == y):
            i += 1
        assert i < len(points), f"drawn point ({x}, {y}) is not a real one (in order)"
        rows.append(i)
        i += 1
    return np.array(rows, dtype=int)
