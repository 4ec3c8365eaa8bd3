"""The loss plot's min/max envelope: exact per bin, bounded, built in pieces."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdstudio.ui.model.envelope import PeakEnvelope


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(1, 5000),
    max_bins=st.sampled_from([2, 4, 8, 64]),
    chunks=st.lists(st.integers(1, 700), min_size=1, max_size=40),
    seed=st.integers(0, 2**32 - 1),
)
def test_envelope_matches_a_direct_computation(n, max_bins, chunks, seed):
    rng = np.random.default_rng(seed)
    y = rng.standard_normal(n)
    y[rng.random(n) < 0.1] = np.nan
    env = PeakEnvelope(max_bins)
    i = k = 0
    while i < n:
        step = chunks[k % len(chunks)]
        env.extend(y[i : i + step])
        i += step
        k += 1
    size = env.size
    assert env.bins <= max_bins and env.bins == -(-n // size) and env.n == n
    for j in range(env.bins):
        seg = y[j * size : (j + 1) * size]
        np.testing.assert_equal(env._lo[j], np.fmin.reduce(seg))
        np.testing.assert_equal(env._hi[j], np.fmax.reduce(seg))
    x, yy = env.xy()
    assert x.shape == yy.shape and (size == 1 or x.size == 2 * env.bins)
    assert np.all(np.diff(x) >= 0) and x[0] >= 0 and x[-1] <= n - 1
    r = env.value_range()
    if np.isfinite(y).any():
        assert r == (np.nanmin(y), np.nanmax(y))
    else:
        assert r is None


def test_small_series_are_drawn_exactly():
    env = PeakEnvelope(16)
    env.extend([3.0, 1.0, 2.0])
    x, y = env.xy()
    np.testing.assert_array_equal(x, [0, 1, 2])
    np.testing.assert_array_equal(y, [3, 1, 2])


def test_bins_must_be_even():
    with pytest.raises(ValueError):
        PeakEnvelope(3)
