"""Rows that grow: named float64 arrays sharing a first axis, grown by amortised doubling.

A run's history (the core's :class:`~gdstudio.core.descent.loop.Descent`) and the window's copies
of a run and of a race (:mod:`gdstudio.ui.model`) all keep their rows this way: appending m rows
costs O(m) (a copy only when the capacity doubles), and readers get views of the first ``n``
rows, never copies.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from gdstudio.core.errors import ConfigError
from gdstudio.core.pages import prefaulter

__all__ = ["GrowingRows", "history_bytes", "check_history_memory"]


#: With ``prefault``, the rows mapped ahead of those written: this many bytes at least (for all
#: the arrays together), and at least four appends' worth.
PREFAULT_BYTES = 2 << 20


class GrowingRows:
    """Arrays ``name → (capacity, *shape)`` of which the first :attr:`n` rows are in use.

    With ``prefault``, the rows just past those written are mapped into memory ahead of time
    on a thread of its own (:mod:`gdstudio.core.pages`): the thread that appends (the window's
    GUI thread) then writes to memory that is already there instead of paying its page faults.
    """

    def __init__(self, shapes: Mapping[str, tuple[int, ...]], capacity: int = 256, *,
                 prefault: bool = False) -> None:
        self._shapes = {name: tuple(shape) for name, shape in shapes.items()}
        self.n = 0
        self._arrays = {name: np.empty((max(1, int(capacity)), *shape))
                        for name, shape in self._shapes.items()}
        self._prefault = bool(prefault)
        self._row_bytes = 8 * sum(int(np.prod(shape)) for shape in self._shapes.values()) or 8
        self._mapped = 0  # rows asked to be mapped ahead (with prefault)
        self._map_ahead(0)

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
        self._mapped = self.n

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
        self._map_ahead(m)
        return first, stop

    def _map_ahead(self, m: int) -> None:
        """Ask for the rows past :attr:`n` to be mapped: four appends of ``m`` rows, or
        :data:`PREFAULT_BYTES`, whichever is more (the capacity at most)."""
        if not self._prefault:
            return
        want = min(self.capacity, self.n + max(4 * m, PREFAULT_BYTES // self._row_bytes))
        first = max(self.n, self._mapped)
        if want - first >= max(1, (want - self.n) // 4):  # (not for every few rows)
            prefaulter.ahead(tuple(self._arrays.values()), first, want)
            self._mapped = want

    def trim(self) -> None:
        """Drop the spare capacity (copies of the rows in use)."""
        if self.capacity != self.n:
            self._arrays = {name: a[: self.n].copy() for name, a in self._arrays.items()}


def history_bytes(epochs: int, k: int, lanes: int = 1) -> int:
    """Bytes the rows of ``lanes`` runs of ``epochs`` epochs with ``k`` parameters can take at
    their peak: parameters, loss and gradients of every row (float64), times 3 for the moment
    an array grows (the old rows and the new, doubled room)."""
    return 3 * 8 * (int(epochs) + 1) * (2 * int(k) + 1) * max(1, int(lanes))


def check_history_memory(epochs: int, k: int, lanes: int = 1, *,
                         available: int | None = None) -> None:
    """Refuse, before a run starts, a history that cannot fit in memory (as a synthetic data
    size is refused): :class:`ConfigError` with what it needs and what there is."""
    from gdstudio.core.data import available_memory, format_bytes

    need = history_bytes(epochs, k, lanes)
    have = available_memory() if available is None else int(available)
    if need > 0.6 * have:
        runs = f"{lanes:,} runs of " if lanes > 1 else ""
        raise ConfigError(
            f"{runs}{int(epochs):,} epochs need up to {format_bytes(need)} of memory for the "
            f"history; only {format_bytes(have)} is available (ask for fewer epochs"
            f"{' or fewer runs' if lanes > 1 else ''})"
        )
