"""Rows that grow: named float64 arrays sharing a first axis, grown by amortised doubling.

A run's history (the core's :class:`~gdstudio.core.descent.loop.Descent`) and the window's copies
of a run and of a race (:mod:`gdstudio.ui.model`) all keep their rows this way: appending m rows
costs O(m) (a copy only when the capacity doubles), and readers get views of the first ``n``
rows, never copies.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["GrowingRows"]


class GrowingRows:
    """Arrays ``name → (capacity, *shape)`` of which the first :attr:`n` rows are in use."""

    def __init__(self, shapes: Mapping[str, tuple[int, ...]], capacity: int = 256) -> None:
        self._shapes = {name: tuple(shape) for name, shape in shapes.items()}
        self.n = 0
        self._arrays = {name: np.empty((max(1, int(capacity)), *shape))
                        for name, shape in self._shapes.items()}

    @property
    def capacity(self) -> int:
        return next(iter(self._arrays.values())).shape[0]

    def view(self, name: str) -> np.ndarray:
        """Rows 0 … n−1 of ``name`` (a view: later appends do not change it, a reserve that
        grows the arrays leaves it on the old ones)."""
        return self._arrays[name][: self.n]

    def store(self, name: str) -> np.ndarray:
        """The whole array behind ``name``, rows past :attr:`n` included (for views that read
        up to a row of their own, such as one lane of a race)."""
        return self._arrays[name]

    def reserve(self, need: int) -> None:
        """Room for ``need`` rows (doubling at least, so appends stay amortised O(1) a row)."""
        capacity = self.capacity
        if need <= capacity:
            return
        new = max(int(need), 2 * capacity)
        for name, old in self._arrays.items():
            grown = np.empty((new, *old.shape[1:]))
            grown[: self.n] = old[: self.n]
            self._arrays[name] = grown

    def append(self, **parts: np.ndarray) -> tuple[int, int]:
        """Add the same number of rows to every array; the range (first, stop) of the new rows.

        Every name must be given, each an array of shape (m, *shape) (or broadcastable to it).
        """
        if set(parts) != set(self._arrays):
            raise ValueError(f"append needs rows for {sorted(self._arrays)}, got {sorted(parts)}")
        m = int(np.shape(next(iter(parts.values())))[0])
        first, stop = self.n, self.n + m
        self.reserve(stop)
        if m:
            for name, rows in parts.items():
                self._arrays[name][first:stop] = np.reshape(rows, (m, *self._shapes[name]))
        self.n = stop
        return first, stop

    def trim(self) -> None:
        """Drop the spare capacity (copies of the rows in use)."""
        if self.capacity != self.n:
            self._arrays = {name: a[: self.n].copy() for name, a in self._arrays.items()}
