"""Which points of a path are drawn (gdstudio.ui.model.decimate, no Qt): the drawn polyline
stays on the real one, checked by plain loops over the real points, whatever the path's length
and shape."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from paths_support import worst_chord_distance, worst_distance_to_drawn

from gdstudio.ui.model.decimate import KEEP_ALL, MAX_POINTS, TOLERANCE, PathRows, decimate

# --- paths -----------------------------------------------------------------------------------


def random_walk(n: int, seed: int = 1) -> np.ndarray:
    return np.cumsum(np.random.default_rng(seed).normal(size=(n, 2)), axis=0)


def spiral(n: int, turns: float = 12.0) -> np.ndarray:
    theta = np.linspace(0.0, 2 * math.pi * turns, n)
    r = np.linspace(1.0, 0.02, n)
    return np.column_stack([r * np.cos(theta), r * np.sin(theta)])


def zig_zag(n: int, lr: float) -> np.ndarray:
    """Plain descent on f(x) = x² − 4x + 5 from 7 drawn as (x, f(x)): near the critical rate 1
    each step jumps across the valley, to the other side, a little lower."""
    x = np.empty(n)
    x[0] = 7.0
    for t in range(1, n):  # the update itself, step by step
        x[t] = x[t - 1] - lr * (2 * x[t - 1] - 4)
    return np.column_stack([x, x * x - 4 * x + 5])


def assert_well_formed(idx: np.ndarray, n: int, most: int) -> None:
    assert idx.dtype.kind == "i"
    if n == 0:
        assert idx.size == 0
        return
    assert idx[0] == 0 and idx[-1] == n - 1
    assert np.all(np.diff(idx) > 0)  # sorted, unique
    assert idx.size <= most


# --- tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2, 3, KEEP_ALL, KEEP_ALL + 1, 5_000, 100_000, 1_000_000])
@pytest.mark.parametrize("shape", ["walk", "spiral", "zigzag"])
def test_any_length_keeps_the_ends_sorted_and_bounded(n, shape):
    if shape == "walk":
        points = random_walk(n)
    elif shape == "spiral":
        points = spiral(n)
    else:
        x = 2 + 5 * (-0.999) ** np.arange(n)
        points = np.column_stack([x, (x - 2) ** 2 + 1])
    idx = decimate(points)
    # the ends, each axis's extremes, nothing else beyond the limit
    assert_well_formed(idx, n, max(KEEP_ALL, MAX_POINTS + 2 + 4))
    if n <= KEEP_ALL:
        np.testing.assert_array_equal(idx, np.arange(n))  # a short path whole
    if n > 2:  # the drawn extent is the real one: each axis's smallest and largest are kept
        for axis in range(2):
            assert points[idx, axis].min() == points[:, axis].min()
            assert points[idx, axis].max() == points[:, axis].max()


@pytest.mark.parametrize("points", [
    pytest.param(spiral(20_000, turns=3), id="spiral"),
    pytest.param(np.column_stack([np.linspace(0, 1, 200_000),
                                  np.sin(np.linspace(0, 25, 200_000))]), id="sine"),
    pytest.param(random_walk(1_500), id="walk"),
    pytest.param(zig_zag(3_000, lr=0.995), id="zigzag"),
])
def test_every_dropped_point_lies_near_its_chord(points):
    idx = decimate(points)
    assert idx.size < MAX_POINTS  # within the limit: the tolerance holds everywhere
    assert worst_chord_distance(points, idx) <= TOLERANCE * (1 + 1e-9)
    assert worst_distance_to_drawn(points, idx) <= TOLERANCE * (1 + 1e-9)


def test_a_zig_zag_keeps_both_sides_of_the_valley():
    # lr 0.995: |1 − 2·lr| = 0.99, so x jumps across 2 and back for hundreds of steps. A
    # line through the middle would leave the arms of the parabola undrawn.
    points = zig_zag(20_000, lr=0.995)
    idx = decimate(points)
    assert idx.size < MAX_POINTS
    assert worst_chord_distance(points, idx) <= TOLERANCE * (1 + 1e-9)
    assert worst_distance_to_drawn(points, idx, sample=20_000) <= TOLERANCE * (1 + 1e-9)
    # block by block while the jumps are large, the drawn path reaches as far left and right
    span = np.ptp(points[:, 0])
    for start in range(0, 400, 50):
        real = points[start : start + 50, 0]
        drawn = points[idx[(idx >= start) & (idx < start + 50)], 0]
        assert drawn.min() <= real.min() + TOLERANCE * span
        assert drawn.max() >= real.max() - TOLERANCE * span


def test_cycling_between_two_points_is_drawn_between_them():
    # lr = 1: 7, −3, 7, −3, … for ever (the source's example that never converges)
    x = np.where(np.arange(1_000_000) % 2 == 0, 7.0, -3.0)
    points = np.column_stack([x, x * x - 4 * x + 5])
    idx = decimate(points)
    assert set(points[idx, 0].tolist()) == {7.0, -3.0}  # the drawn line: that one segment
    assert idx.size <= 64


def test_too_intricate_for_the_limit_refines_the_worst_first():
    # a million large random steps: no few thousand points can follow them; the picture is
    # bounded, keeps the extent, and the drawn line never strays far from real points
    points = random_walk(1_000_000, seed=7)
    idx = decimate(points)
    assert_well_formed(idx, len(points), MAX_POINTS + 6)
    assert worst_distance_to_drawn(points, idx, sample=2000) < 0.1


def test_non_finite_rows_are_never_joined_across():
    points = spiral(50_000)
    points[20_000:20_010] = np.nan  # a hole
    points[30_000, 1] = np.inf
    points[45_000:] = np.inf  # the run diverged: its tail
    idx = decimate(points)
    assert_well_formed(idx, len(points), MAX_POINTS + 20)
    finite = np.isfinite(points).all(axis=1)
    for a, b in zip(idx[:-1].tolist(), idx[1:].tolist(), strict=True):
        if finite[a] and finite[b]:  # a drawn chord: every row under it is finite
            assert finite[a:b + 1].all(), (a, b)
    # the rows where the path stops and starts again are drawn (the line breaks there)
    for row in (19_999, 20_000, 20_009, 20_010, 29_999, 30_000, 30_001, 44_999, 45_000):
        assert row in idx
    # and the finite pieces are drawn within the tolerance
    u_idx = idx[finite[idx]]
    assert worst_chord_distance(points[:20_000], u_idx[u_idx < 20_000]) <= TOLERANCE
    np.testing.assert_array_equal(decimate(np.full((1000, 2), np.nan)), [0, 999])


def test_huge_values_and_a_flat_axis_do_not_break_it():
    x = np.linspace(0.0, 1.0, 10_000)
    flat = np.column_stack([x, np.full_like(x, 3.0)])  # a zero extent along y
    np.testing.assert_array_equal(decimate(flat), [0, 9_999])
    huge = np.column_stack([x, np.geomspace(1.0, 1e300, x.size)])
    idx = decimate(huge)
    assert_well_formed(idx, x.size, MAX_POINTS + 6)


def test_the_view_scale_refines_what_is_drawn():
    points = spiral(100_000, turns=2)
    coarse = decimate(points)
    zoomed = decimate(points, scale=(0.1, 0.1))  # a view a tenth of the path's size
    assert zoomed.size > coarse.size
    # every dropped point within a tolerance of a tenth of the path's size
    assert worst_chord_distance(points, zoomed) <= 0.1 * TOLERANCE * (1 + 1e-9)


def test_one_axis_and_columns():
    y = np.sin(np.linspace(0, 20, 10_000))
    np.testing.assert_array_equal(decimate(y), decimate(y[:, None]))
    points = spiral(10_000)
    np.testing.assert_array_equal(decimate(points), decimate((points[:, 0], points[:, 1])))


def test_a_million_points_in_a_frame_budget():
    smooth = np.column_stack([np.linspace(0, 1, 1_000_000),
                              np.sin(np.linspace(0, 10, 1_000_000))])
    walk = random_walk(1_000_000)
    for points in (smooth, walk):
        decimate(points[:10_000])
        best = min(_timed(points) for _ in range(3))
        # typically 15 ms (smooth) and 60 ms (a random walk) on a loaded 2-core machine; the
        # bound leaves room for slower machines, not for an O(n log n) slide
        assert best < 0.5, best


def _timed(points: np.ndarray) -> float:
    began = time.perf_counter()
    decimate(points)
    return time.perf_counter() - began


# --- a path that grows (PathRows) ------------------------------------------------------------


def test_a_growing_path_thins_only_its_new_rows(monkeypatch):
    from gdstudio.ui.model import decimate as module

    thinned: list[int] = []
    real_thin = module._thin

    def counting(U, *args, **kwargs):
        thinned.append(U.shape[1])
        return real_thin(U, *args, **kwargs)

    monkeypatch.setattr(module, "_thin", counting)
    points = spiral(60_000, turns=4)
    path = PathRows()
    for n in range(3_000, 60_001, 3_000):  # frame by frame, as a run plays
        rows = path.rows((points[:n, 0], points[:n, 1]))
        assert_well_formed(rows, n, MAX_POINTS)
        if n % 15_000 == 0:
            assert worst_chord_distance(points[:n], rows) <= TOLERANCE * (1 + 1e-9)
    # the first call thins the whole path; each later one the new rows (and the last old one)
    assert thinned[0] == 3_000
    assert all(size == 3_001 for size in thinned[1:]), thinned
    # asked again, nothing is thinned
    again = path.rows((points[:, 0], points[:, 1]))
    np.testing.assert_array_equal(again, rows)
    assert len(thinned) == 20


def test_a_growing_path_starts_again_when_it_is_not_the_same_path():
    points = spiral(50_000, turns=4)
    path = PathRows()
    path.rows(points)
    # another run of the same length: thinned from scratch, as decimate does
    other = points * np.array([1.0, -1.0]) + 0.25
    np.testing.assert_array_equal(path.rows(other), decimate(other))
    # an earlier epoch (the history slider): the shorter path from scratch
    np.testing.assert_array_equal(path.rows(other[:20_000]), decimate(other[:20_000]))
    # a finer view (a zoom in): from scratch at that scale
    np.testing.assert_array_equal(path.rows(other[:20_000], (0.1, 0.1)),
                                  decimate(other[:20_000], (0.1, 0.1)))
    # a short path: whole
    np.testing.assert_array_equal(path.rows(other[:10]), np.arange(10))


def test_a_growing_path_stays_bounded_over_many_frames():
    # a slow run, a few rows a frame for thousands of frames: the pieces' ends add up, and
    # the whole path is thinned again before they pass the limit
    x = np.linspace(0.0, 1.0, 40_000)
    points = np.column_stack([x, np.sin(6 * x)])
    path = PathRows()
    for n in range(500, 40_001, 7):
        rows = path.rows(points[:n])
        assert rows.size <= MAX_POINTS
    assert rows[-1] == n - 1  # (5,643 frames: more than MAX_POINTS pieces, so thinned again)
    final = path.rows(points)
    assert_well_formed(final, len(points), MAX_POINTS)
    assert worst_chord_distance(points, final) <= TOLERANCE * (1 + 1e-9)


def test_a_growing_path_with_a_diverging_tail():
    points = spiral(20_000, turns=2)
    points[15_000:] = np.inf
    path = PathRows()
    for n in (10_000, 15_000, 15_001, 20_000):
        rows = path.rows(points[:n])
        assert_well_formed(rows, n, MAX_POINTS + 10)
    assert 14_999 in rows and 15_000 in rows
    finite = np.isfinite(points).all(axis=1)
    for a, b in zip(rows[:-1].tolist(), rows[1:].tolist(), strict=True):
        if finite[a] and finite[b]:
            assert finite[a:b + 1].all()
