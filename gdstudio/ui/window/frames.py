"""The window's frames: at most one redraw per frame, in stages, whatever the rate of changes.

Anything that changes what is shown asks for a frame (:meth:`FrameScheduler.schedule`); the
scheduler draws it once, after a frame interval that grows with the frame's own cost, so that
clicks, keys and the worker's batches are always served in between (the role superqt's
``qthrottled`` plays elsewhere). A frame is drawn in stages, one per turn of the event loop:
a QGraphicsScene repaints the window's whole dirty part as soon as it has processed its changed
items, so plots changed together would repaint together, one long stall. A stage whose work
grows with what is shown (a race's lanes) may be a generator: it yields between parts of its
work, and each part is drawn in a turn of its own.

:meth:`FrameScheduler.draw_now` draws a whole frame at once (exports, tests).

While a frame is drawn and until the plots have repainted (or a deadline), the worker is asked
to wait (``on_pending`` / ``on_drawn``): at full speed every call from Qt into Python must take
the interpreter lock back from a busy worker, which multiplies a frame's cost.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QWidget

__all__ = ["FrameScheduler", "FRAME_MS"]

#: The shortest interval between two frames (60 Hz).
FRAME_MS = 16

_DONE = object()


class FrameScheduler(QObject):
    """Draws frames of ``stages`` (callables, in order) at most once per frame interval.

    Parameters
    ----------
    stages
        What a frame draws, one callable per stage.
    plots
        The plots a frame repaints (those visible now); their repaint ends the frame for the
        worker (each calls :meth:`plot_painted` after painting).
    costs
        The plots' last paint times (milliseconds), added to the frame's own cost.
    fast
        Whether the run goes at full speed now (frames are spaced further: the run gets ~80 %
        of the time).
    on_pending, on_drawn
        Tell the worker to wait, and that it may go on.
    """

    def __init__(self, parent: QObject, stages: Sequence[Callable[[], Iterator[None] | None]], *,
                 plots: Callable[[], Iterable[QWidget]],
                 costs: Callable[[], float],
                 fast: Callable[[], bool],
                 minimized: Callable[[], bool],
                 on_pending: Callable[[], None],
                 on_drawn: Callable[[], None]) -> None:
        super().__init__(parent)
        self._stages = tuple(stages)
        self._plots = plots
        self._costs = costs
        self._fast = fast
        self._minimized = minimized
        self._on_pending = on_pending
        self._on_drawn = on_drawn
        self._last_ms = 0.0
        self._ms = 0.0
        self._stage = 0
        self._parts: Iterator[None] | None = None  # the rest of a stage drawn in parts
        self._again = False  # a frame was asked for while one was drawn in parts
        self._drawing = False
        self._unpainted: set[QWidget] = set()
        self._timer = self._single_shot(FRAME_MS, self._begin_staged)
        self._stage_timer = self._single_shot(0, self._next_stage)
        self._paint_deadline = self._single_shot(3 * FRAME_MS, self._painted_or_not)

    def _single_shot(self, ms: int, slot: Callable[[], None]) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(ms)
        timer.timeout.connect(slot)
        return timer

    @property
    def pending(self) -> bool:
        """A frame is planned or being drawn."""
        return self._timer.isActive() or self._stage_timer.isActive() or self._drawing

    @property
    def waiting_for_paint(self) -> bool:
        """A frame's plots have not all repainted yet."""
        return bool(self._unpainted)

    def schedule(self) -> None:
        """Draw a frame soon (once, however often asked before it is drawn)."""
        if not self._timer.isActive():
            cost = self._last_ms + self._costs()
            self._timer.start(max(FRAME_MS, int((5 if self._fast() else 3) * cost)))

    @Slot()
    def draw_now(self) -> None:
        """Draw a whole frame at once (exports, tests); a staged frame under way is replaced."""
        self._stage_timer.stop()
        self._parts = None
        began = time.perf_counter()
        self._begin()
        for stage in self._stages:
            parts = stage()
            if parts is not None:
                for _part in parts:
                    pass
        self._ms = 1000 * (time.perf_counter() - began)
        self._end()

    def stop(self) -> None:
        """No more frames (the window closes)."""
        for timer in (self._timer, self._stage_timer, self._paint_deadline):
            timer.stop()
        self._parts = None
        self._again = False
        self._drawing = False

    def plot_painted(self, plot: QWidget) -> None:
        """``plot`` has repainted; when all of the frame's have, the worker may go on."""
        if plot in self._unpainted:
            self._unpainted.discard(plot)
            if not self._unpainted:
                self._paint_deadline.stop()
                self._on_drawn()

    # --- a staged frame ----------------------------------------------------------------------

    @Slot()
    def _begin_staged(self) -> None:
        if self._drawing and self._parts is not None:
            # A stage drawn in parts is under way: the next frame follows it (else a frame
            # of many parts, begun again before its end, would never draw its last ones).
            self._again = True
            return
        self._stage_timer.stop()
        began = time.perf_counter()
        self._begin()
        self._stage = 0
        self._parts = None
        self._ms = 1000 * (time.perf_counter() - began)
        self._next_stage()

    @Slot()
    def _next_stage(self) -> None:
        if not self._drawing:  # pragma: no cover - a stage left from a frame drawn at once
            return
        began = time.perf_counter()
        if self._parts is None:
            self._parts = self._stages[self._stage]()
        more = self._parts is not None and next(self._parts, _DONE) is not _DONE
        self._ms += 1000 * (time.perf_counter() - began)
        if not more:
            self._parts = None
            self._stage += 1
        if self._stage < len(self._stages):
            self._stage_timer.start()
        else:
            self._end()

    def _begin(self) -> None:
        self._on_pending()
        self._drawing = True
        # The worker waits until the plots have repainted, or at most a few frames (a plot
        # that did not need to, a window the system does not paint).
        self._unpainted = set() if self._minimized() else set(self._plots())

    def _end(self) -> None:
        self._drawing = False
        self._last_ms = self._ms
        if self._unpainted:
            self._paint_deadline.start()
        else:
            self._on_drawn()
        if self._again:
            self._again = False
            self.schedule()

    @Slot()
    def _painted_or_not(self) -> None:
        self._unpainted.clear()
        self._on_drawn()
