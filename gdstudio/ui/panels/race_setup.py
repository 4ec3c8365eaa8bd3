"""The control panel's "Compare" box (:class:`RaceSetup`): what a race compares. One run,
several learning rates (an editable list, checked as you type, with presets: the source's five,
or K log-spaced values) or several optimizers (check boxes). It turns the panel's
``RunConfig`` into a :class:`~gdstudio.core.race.lanes.RaceSpec` with the core's
``make_lanes``: lane labels, each lane's config and the report tolerance come from the core."""

from __future__ import annotations

import math
import re

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QToolButton,
    QWidget,
)

from gdstudio.core import ConfigError, InputError, RunConfig
from gdstudio.core.descent.config import check_learning_rate
from gdstudio.core.race.lanes import (
    OPTIMIZER_NAMES,
    SOURCE_LEARNING_RATES,
    Lane,
    RaceSpec,
    make_lanes,
)
from gdstudio.ui.model.formatting import lr_text
from gdstudio.ui.model.race_data import MAX_WINDOW_LANES
from gdstudio.ui.theme import ERROR_RED, set_text_colour

__all__ = ["RaceSetup", "RACE_MODES", "LANES_MODE", "RACE_OPTIMIZERS", "parse_learning_rates",
           "log_spaced", "MAX_RACE_ROWS"]

#: What can be compared: key → label in the mode combo.
RACE_MODES = {
    "single": "One run",
    "lr": "Learning rates",
    "optimizer": "Optimizers",
}
#: The mode of a race of given lanes (a lesson's: each lane its own optimizer and rate); the
#: combo offers it only while such lanes are set (:meth:`RaceSetup.set_lanes`).
LANES_MODE = "lanes"
#: Optimizers offered for an optimizer race (sgd is gd under another name).
RACE_OPTIMIZERS = ("gd", "momentum", "nesterov", "adam", "rmsprop", "adagrad")
#: A race keeps lanes × epochs rows in the window (and as many in the worker).
MAX_RACE_ROWS = 20_000_000

_SPLIT = re.compile(r"[,;\s]+")


def parse_learning_rates(text: str, lowest: float | None = None,
                         highest: float | None = None) -> tuple[list[float], str]:
    """The learning rates in ``text`` ("0.01, 0.1, 0.3" or "1e-3 1e-2"), or ([], why).

    ``lowest`` and ``highest``: the range offered (the window's learning-rate field's own).
    """
    parts = [p for p in _SPLIT.split(text.strip().replace("−", "-")) if p]
    if not parts:
        return [], "enter one or more learning rates, separated by commas"
    rates: list[float] = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            return [], f"{part!r} is not a number (write 0.01, 0.1, 1e-3)"
        try:
            value = check_learning_rate(value)
        except ValueError as err:
            return [], str(err)
        if lowest is not None and value < lowest:
            return [], f"each learning rate must be at least {lr_text(lowest)}, got {part}"
        if highest is not None and value > highest:
            return [], f"each learning rate must be at most {lr_text(highest)}, got {part}"
        if value not in rates:
            rates.append(value)
    if len(rates) > MAX_WINDOW_LANES:
        return [], f"at most {MAX_WINDOW_LANES} learning rates in one race, got {len(rates)}"
    return rates, ""


def _nice(value: float, digits: int = 2) -> float:
    """``value`` rounded to ``digits`` significant digits (as the float nearest that decimal)."""
    return float(f"{value:.{digits}g}")


def log_spaced(lo: float, hi: float, count: int) -> list[float]:
    """``count`` learning rates evenly spaced on a log scale from ``lo`` to ``hi`` (rounded)."""
    if count < 2 or not (0 < lo < hi):
        return [_nice(lo)]
    exps = np.linspace(math.log10(lo), math.log10(hi), count)
    out: list[float] = []
    for e in exps:
        v = _nice(10.0**e)
        if v not in out:
            out.append(v)
    return out


def _rates_text(rates: list[float]) -> str:
    return ", ".join(lr_text(v) for v in rates)


class RaceSetup(QGroupBox):
    """What to compare: one run, several learning rates, or several optimizers."""

    #: The race changed (mode, rates, optimizers): the run must start again.
    changed = Signal()
    #: The mode changed (the panel enables the fields the mode uses).
    modeChanged = Signal(str)
    #: The text of the rates became (un)acceptable ("" when fine).
    problemChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None, *,
                 lr_range: tuple[float, float] | None = None) -> None:
        super().__init__("Compare", parent)
        self.setObjectName("raceSetup")
        self._lr_range = lr_range or (None, None)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._form = form

        self.modeCombo = QComboBox()
        self.modeCombo.setObjectName("raceModeCombo")
        for key, label in RACE_MODES.items():
            self.modeCombo.addItem(label, key)
        self.modeCombo.setToolTip("Run the same descent several ways side by side: at several "
                                  "learning rates, or with several optimizers")
        self.modeCombo.currentIndexChanged.connect(self._on_mode_changed)
        form.addRow("Race", self.modeCombo)

        self.lrsEdit = QLineEdit(_rates_text(list(SOURCE_LEARNING_RATES)))
        self.lrsEdit.setObjectName("raceLrsEdit")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(max(self.font().pointSizeF(), 1.0))
        self.lrsEdit.setFont(mono)
        self.lrsEdit.setToolTip("The learning rates to race, separated by commas (the source's "
                                "five by default). Checked as you type.")
        self.lrsEdit.textChanged.connect(self._on_rates_edited)
        self.presetButton = QToolButton()
        self.presetButton.setObjectName("raceLrPresets")
        self.presetButton.setText("Presets")
        self.presetButton.setToolTip("Ready-made lists: the source's five, or K values evenly "
                                     "spaced on a log scale over the current range")
        self.presetButton.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.presetButton.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.presetButton.setMinimumWidth(
            self.presetButton.fontMetrics().horizontalAdvance("Presets") + 30)
        menu = QMenu(self.presetButton)
        source = QAction("The source's five: " + _rates_text(list(SOURCE_LEARNING_RATES)), menu)
        source.triggered.connect(lambda: self.set_rates(list(SOURCE_LEARNING_RATES)))
        menu.addAction(source)
        menu.addSeparator()
        for count in (3, 5, 8, 12):
            action = QAction(f"Log-spaced ×{count} over the current range", menu)
            action.triggered.connect(lambda _c=False, k=count: self.spread_rates(k))
            menu.addAction(action)
        self.presetButton.setMenu(menu)
        row = QHBoxLayout()
        row.addWidget(self.lrsEdit, 1)
        row.addWidget(self.presetButton)
        form.addRow("Rates", row)
        self._rates_layout = row
        self.lrsError = QLabel()
        self.lrsError.setObjectName("raceLrsError")
        self.lrsError.setWordWrap(True)
        set_text_colour(self.lrsError, ERROR_RED)
        self.lrsError.hide()
        form.addRow(self.lrsError)

        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        self.optimizerChecks: dict[str, QCheckBox] = {}
        for i, name in enumerate(RACE_OPTIMIZERS):
            box = QCheckBox(OPTIMIZER_NAMES[name] if name != "gd" else "Plain GD")
            box.setObjectName(f"raceOpt_{name}")
            box.setToolTip(f"Race {OPTIMIZER_NAMES[name]} (its hyper-parameters are in the "
                           "Engine group)")
            box.setChecked(name in ("gd", "momentum", "adam"))
            box.toggled.connect(self._on_optimizers_toggled)
            self.optimizerChecks[name] = box
            grid.addWidget(box, i // 2, i % 2)
        self._optimizer_grid = QWidget()
        self._optimizer_grid.setLayout(grid)
        form.addRow("Optimizers", self._optimizer_grid)
        self.optimizersError = QLabel("choose at least one optimizer")
        self.optimizersError.setObjectName("raceOptimizersError")
        set_text_colour(self.optimizersError, ERROR_RED)
        self.optimizersError.hide()
        form.addRow(self.optimizersError)
        self.lanesLabel = QLabel()
        self.lanesLabel.setObjectName("raceLanesLabel")
        self.lanesLabel.setTextFormat(Qt.TextFormat.PlainText)
        self.lanesLabel.setWordWrap(True)
        self.lanesLabel.setToolTip("The lanes the lesson races, each with its own optimizer and "
                                   "learning rate (choose another mode to race your own)")
        form.addRow("Lanes", self.lanesLabel)
        self._lanes: tuple[Lane, ...] = ()
        self._rates, self._problem = parse_learning_rates(self.lrsEdit.text(), *self._lr_range)
        self._show_rows()

    # --- API ---------------------------------------------------------------------------------

    def mode(self) -> str:
        return str(self.modeCombo.currentData())

    def set_mode(self, mode: str) -> None:
        if mode != LANES_MODE:
            self.clear_lanes()
        index = self.modeCombo.findData(mode)
        if index < 0:
            raise KeyError(mode)
        self.modeCombo.setCurrentIndex(index)

    def set_lanes(self, lanes: tuple[Lane, ...]) -> None:
        """Race exactly ``lanes`` (a lesson's: each lane its optimizer and learning rate): the
        mode combo gains a "Lanes" entry, chosen; another mode drops it again."""
        if not lanes:
            raise ValueError("a race needs at least one lane")
        if len(lanes) > MAX_WINDOW_LANES:
            raise ConfigError(f"at most {MAX_WINDOW_LANES} runs in one race")
        self._lanes = tuple(lanes)
        names = ", ".join(f"{OPTIMIZER_NAMES.get(lane.optimizer.name, lane.optimizer.name)} "
                          f"at {lr_text(lane.lr)}" for lane in self._lanes)
        self.lanesLabel.setText(names)
        index = self.modeCombo.findData(LANES_MODE)
        if index < 0:
            self.modeCombo.addItem(f"Lanes ({len(self._lanes)})", LANES_MODE)
            index = self.modeCombo.count() - 1
        else:
            self.modeCombo.setItemText(index, f"Lanes ({len(self._lanes)})")
        if self.modeCombo.currentIndex() == index:
            self._on_mode_changed(index)
        else:
            self.modeCombo.setCurrentIndex(index)

    def lanes(self) -> tuple[Lane, ...]:
        """The lanes set with :meth:`set_lanes` (empty when none)."""
        return self._lanes

    def clear_lanes(self) -> None:
        """Drop the lanes set with :meth:`set_lanes` (and their entry in the mode combo)."""
        index = self.modeCombo.findData(LANES_MODE)
        self._lanes = ()
        if index >= 0:
            if self.modeCombo.currentIndex() == index:
                self.modeCombo.setCurrentIndex(0)
            self.modeCombo.removeItem(index)

    def rates(self) -> list[float]:
        """The learning rates typed (empty while the text is not acceptable)."""
        return list(self._rates)

    def set_rates(self, rates: list[float]) -> None:
        self.lrsEdit.setText(_rates_text(rates))

    def rates_refusal(self, rates: list[float]) -> str:
        """Why :meth:`set_rates` would leave the field refusing ``rates`` ("" when it would
        accept them): the same parse and range as text typed into it."""
        return parse_learning_rates(_rates_text(rates), *self._lr_range)[1]

    def spread_rates(self, count: int) -> None:
        """``count`` log-spaced rates over the current list's range (or a decade below 1)."""
        rates = self._rates or [0.01, 1.0]
        lo, hi = min(rates), max(rates)
        if lo == hi:
            lo, hi = lo / 100, lo
        self.set_rates(log_spaced(lo, hi, count))

    def optimizers(self) -> list[str]:
        return [name for name, box in self.optimizerChecks.items() if box.isChecked()]

    def set_optimizers(self, names: list[str]) -> None:
        for name, box in self.optimizerChecks.items():
            box.blockSignals(True)
            box.setChecked(name in names)
            box.blockSignals(False)
        self._on_optimizers_toggled()

    def is_acceptable(self) -> bool:
        mode = self.mode()
        if mode == "lr":
            return not self._problem
        if mode == "optimizer":
            return bool(self.optimizers())
        return True

    def spec(self, config: RunConfig) -> RaceSpec | None:
        """The race for ``config`` (None for one run); raises InputError if it cannot run."""
        mode = self.mode()
        if mode == "single":
            return None
        if not self.is_acceptable():
            raise InputError("")  # the field's own message is already shown
        kind = mode
        if mode == LANES_MODE:
            lanes = list(self._lanes)
            several = len({lane.optimizer.name for lane in lanes}) > 1
            kind = "optimizer" if several else "lr"
        elif mode == "lr":
            lanes = make_lanes(config, self._rates, [config.optimizer_settings])
        else:
            lanes = make_lanes(config, [config.lr], self.optimizers())  # type: ignore[list-item]
        if len(lanes) > MAX_WINDOW_LANES:
            raise ConfigError(f"at most {MAX_WINDOW_LANES} runs in one race")
        rows = len(lanes) * (config.epochs + 1)
        if rows > MAX_RACE_ROWS:
            raise ConfigError(
                f"{len(lanes)} runs × {config.epochs:,} epochs is more history than the window "
                f"keeps (at most {MAX_RACE_ROWS:,} rows): fewer epochs or fewer runs")
        if config.scale_x or config.batch_size:
            raise ConfigError("a race runs full-batch descent on unscaled data: turn off "
                              "scaling and mini-batches to race")
        return RaceSpec(config, tuple(lanes), kind)

    def raced_optimizers(self, single: str) -> list[str]:
        """The optimizers in play: those checked in an optimizer race, those of the lanes set,
        else ``single``."""
        mode = self.mode()
        if mode == LANES_MODE:
            return list(dict.fromkeys(lane.optimizer.name for lane in self._lanes))
        return self.optimizers() if mode == "optimizer" else [single]

    # --- edits -------------------------------------------------------------------------------

    def _show_rows(self) -> None:
        mode = self.mode()
        self._form.setRowVisible(self._rates_layout, mode == "lr")
        self._form.setRowVisible(self._optimizer_grid, mode == "optimizer")
        self._form.setRowVisible(self.lanesLabel, mode == LANES_MODE)
        self.lrsError.setVisible(mode == "lr" and bool(self._problem))
        self.optimizersError.setVisible(mode == "optimizer" and not self.optimizers())

    def _on_mode_changed(self, _index: int) -> None:
        self._show_rows()
        self.modeChanged.emit(self.mode())
        self.changed.emit()

    def _on_rates_edited(self, text: str) -> None:
        self._rates, self._problem = parse_learning_rates(text, *self._lr_range)
        self.lrsError.setText(self._problem)
        self._show_rows()
        self.problemChanged.emit(self._problem)
        if self.mode() == "lr":
            self.changed.emit()

    def _on_optimizers_toggled(self, _on: bool = False) -> None:
        self._show_rows()
        if self.mode() == "optimizer":
            self.changed.emit()


# --------------------------------------------------------------------------------------------
# The summary table
# --------------------------------------------------------------------------------------------
