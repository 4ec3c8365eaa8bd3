"""A min/max envelope of a growing series, kept up to date in O(new points).

A run of millions of epochs cannot be handed to the plot in full 60 times a second. The loss
plot shows instead, for bins of ``size`` consecutive epochs, the smallest and the largest
value in each (what pyqtgraph's "peak" downsampling draws), with at most ``max_bins`` bins:
when the run outgrows them, neighbouring bins merge and ``size`` doubles. Appending a batch
costs O(batch); drawing costs O(max_bins), however long the run.
"""

from __future__ import annotations

import numpy as np

__all__ = ["PeakEnvelope"]


class PeakEnvelope:
    """Per-bin min and max of the series appended so far (NaN values are ignored)."""

    def __init__(self, max_bins: int = 2048) -> None:
        if max_bins < 2 or max_bins % 2:
            raise ValueError("max_bins must be an even number ≥ 2")
        self.max_bins = max_bins
        self.clear()

    def clear(self) -> None:
        self.size = 1  # points per bin (a power of two)
        self.n = 0  # points consumed
        self._lo = np.empty(0)
        self._hi = np.empty(0)

    @property
    def bins(self) -> int:
        return int(self._lo.shape[0])

    def extend(self, values: np.ndarray) -> None:
        y = np.asarray(values, dtype=np.float64).reshape(-1)
        if y.size == 0:
            return
        # Bins as wide as the whole series will need, before the new points are binned: a
        # long batch is reduced in wide bins at once, not in narrow ones merged afterwards
        # (a reduction over an axis of 1 or 2 values costs per bin, not per value).
        while -(-(self.n + y.size) // self.size) > self.max_bins:
            self._merge()
        size = self.size
        used = self.n % size
        start = 0
        if used:  # top up the last, partial bin
            start = min(size - used, y.size)
            part = y[:start]
            self._lo[-1] = np.fmin(self._lo[-1], np.fmin.reduce(part))
            self._hi[-1] = np.fmax(self._hi[-1], np.fmax.reduce(part))
        rest = y[start:]
        if rest.size:
            whole = rest.size - rest.size % size
            lo = [np.fmin.reduce(rest[:whole].reshape(-1, size), axis=1)] if whole else []
            hi = [np.fmax.reduce(rest[:whole].reshape(-1, size), axis=1)] if whole else []
            if whole < rest.size:
                tail = rest[whole:]
                lo.append(np.array([np.fmin.reduce(tail)]))
                hi.append(np.array([np.fmax.reduce(tail)]))
            self._lo = np.concatenate([self._lo, *lo])
            self._hi = np.concatenate([self._hi, *hi])
        self.n += y.size
        while self.bins > self.max_bins:
            self._merge()

    def _merge(self) -> None:
        lo, hi = self._lo, self._hi
        if lo.shape[0] % 2:
            lo = np.append(lo, np.nan)
            hi = np.append(hi, np.nan)
        self._lo = np.fmin(lo[0::2], lo[1::2])
        self._hi = np.fmax(hi[0::2], hi[1::2])
        self.size *= 2

    def xy(self) -> tuple[np.ndarray, np.ndarray]:
        """Points to draw: the series itself while bins hold one point, else min/max pairs."""
        if self.size == 1:
            return np.arange(self.n, dtype=np.float64), self._lo.copy()
        starts = np.arange(self.bins, dtype=np.float64) * self.size
        last = min(self.size, self.n - (self.bins - 1) * self.size)  # the last bin may be partial
        centres = starts + (self.size - 1) / 2.0
        centres[-1] = starts[-1] + (last - 1) / 2.0
        x = np.repeat(centres, 2)
        y = np.column_stack([self._lo, self._hi]).reshape(-1)
        return x, y

    def value_range(self) -> tuple[float, float] | None:
        """(min, max) of the finite values appended, or None."""
        if self.bins == 0:
            return None
        lo = float(np.fmin.reduce(self._lo))
        hi = float(np.fmax.reduce(self._hi))
        if np.isnan(lo) or np.isnan(hi):
            return None
        return lo, hi
