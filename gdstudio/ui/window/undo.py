"""Edit › Undo and Redo for the setup: every change of what to run can be taken back.

A change of the setup (a field, a preset, a click on a plot that moved the start, a new
learning rate mid-run, the race's lanes) starts a new run and loses the old one; Ctrl+Z brings
the setup before it back (and runs it again from its start). The history is kept as snapshots of
the setup panel (:class:`Setup`), one undo step per change; consecutive changes of the learning
rate alone (typing ``0.``, ``0.3``) merge into one step. Opening a session or File › New starts
a new history, as a document's does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand, QUndoStack

from gdstudio.core import RunConfig
from gdstudio.ui.panels.control_panel import ControlPanel

__all__ = ["Setup", "SetupHistory"]

#: Learning-rate changes closer together than this merge into one undo step.
MERGE_SECONDS = 1.5


@dataclass(frozen=True, eq=False)
class Setup:
    """What the setup panel holds: the configuration and the race's lanes."""

    config: RunConfig
    race_mode: str
    rates: tuple[float, ...]
    optimizers: tuple[str, ...]

    @classmethod
    def of(cls, controls: ControlPanel) -> Setup | None:
        config = controls.config()
        if config is None:
            return None
        race = controls.raceSetup
        return cls(config, race.mode(), tuple(race.rates()), tuple(race.optimizers()))

    def same_as(self, other: Setup) -> bool:
        return (self.config.to_dict() == other.config.to_dict()
                and self.config.problem is other.config.problem
                and (self.race_mode, self.rates, self.optimizers)
                == (other.race_mode, other.rates, other.optimizers))

    def only_lr_differs(self, other: Setup) -> bool:
        return (self.config.with_lr(1.0).to_dict() == other.config.with_lr(1.0).to_dict()
                and self.config.problem is other.config.problem
                and (self.race_mode, self.rates, self.optimizers)
                == (other.race_mode, other.rates, other.optimizers))


def _describe(before: Setup, after: Setup) -> str:
    if before.config.problem is not after.config.problem:
        return "change of problem"
    if before.only_lr_differs(after):
        return f"learning rate {after.config.lr:g}"
    a, b = before.config.to_dict(), after.config.to_dict()
    changed = [key for key in b if a.get(key) != b.get(key)]
    if changed:
        return "change of " + ", ".join(changed[:3])
    return "change of the race"


class _Change(QUndoCommand):
    _LR = 1  # merge id of learning-rate-only changes

    def __init__(self, history: SetupHistory, before: Setup, after: Setup) -> None:
        super().__init__(_describe(before, after))
        self.history = history
        self.before, self.after = before, after
        self.lr_only = before.only_lr_differs(after)
        self.at = time.monotonic()
        self._first = True

    def id(self) -> int:
        return self._LR if self.lr_only else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        if not (isinstance(other, _Change) and other.lr_only
                and other.at - self.at < MERGE_SECONDS):
            return False
        self.after = other.after
        self.at = other.at
        self.setText(_describe(self.before, self.after))
        return True

    def redo(self) -> None:
        if self._first:  # pushed after the change was made: nothing to do
            self._first = False
            return
        self.history.apply(self.after)

    def undo(self) -> None:
        self.history.apply(self.before)


class SetupHistory(QObject):
    """The undo stack of the setup panel ``controls``; ``apply`` shows a setup (and runs it)."""

    def __init__(self, parent: QObject, controls: ControlPanel,
                 start_run: Callable[[RunConfig], None]) -> None:
        super().__init__(parent)
        self.controls = controls
        self.stack = QUndoStack(self)
        self.stack.setUndoLimit(200)
        self._start_run = start_run
        self._last: Setup | None = None
        self._applying = False
        controls.configChanged.connect(lambda _config: self.record())
        controls.lrChanged.connect(lambda _lr: self.record())

    def begin(self) -> None:
        """A new history from the setup shown now (start-up, a session opened, File › New)."""
        self.stack.clear()
        self._last = Setup.of(self.controls)

    def record(self) -> None:
        """The setup changed: one undo step (none while an undo or redo is being applied)."""
        if self._applying:
            return
        now = Setup.of(self.controls)
        if now is None:
            return
        before, self._last = self._last, now
        if before is not None and not before.same_as(now):
            self.stack.push(_Change(self, before, now))

    def apply(self, setup: Setup) -> None:
        """Show ``setup`` in the panel and run it from its start."""
        self._applying = True
        try:
            race = self.controls.raceSetup
            race.set_rates(list(setup.rates))
            race.set_optimizers(list(setup.optimizers))
            race.set_mode(setup.race_mode)
            self.controls.set_config(setup.config, emit=False)
            self._last = Setup.of(self.controls)
            config = self.controls.config()
            if config is not None:
                self._start_run(config)
        finally:
            self._applying = False
