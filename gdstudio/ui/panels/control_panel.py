"""The side panel: what to minimise and how, translated into a :class:`RunConfig`.

The panel does no mathematics. It parses nothing itself (the core's ``FunctionProblem`` and
``RunConfig`` validate, and their messages are shown beside the field concerned) and it knows
nothing of threads or plots. It emits:

``configChanged(RunConfig)``
    a valid configuration that calls for a new run (problem, start, epochs, engine, …).
``lrChanged(float)``
    a valid learning rate; the running descent takes it from its next update.
``validityChanged(bool)``
    whether the inputs currently make a valid configuration (Step/Play follow it).
``speedChanged(float)``
    steps per second for Play; 0 means as fast as possible.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSlider,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gdstudio.core import (
    FUNCTION_PRESETS,
    FunctionProblem,
    InputError,
    RegressionProblem,
    RunConfig,
)
from gdstudio.core.data import DEFAULT_SYNTHETIC
from gdstudio.core.descent.config import DTYPES, MAX_EPOCHS, check_learning_rate
from gdstudio.core.descent.optimizers import OPTIMIZERS
from gdstudio.core.race.lanes import RaceSpec
from gdstudio.ui.model.formatting import number, pretty_math, steps_per_second_text
from gdstudio.ui.panels.optimizer_fields import OptimizerFields, RegressionOptions, make_tol_spin
from gdstudio.ui.panels.race_panel import RaceSetup
from gdstudio.ui.panels.surface_tab import DEFAULT_SURFACE, SurfaceTab
from gdstudio.ui.panels.widgets import IntegerSpinBox, LogSlider, ScientificSpinBox, log_grid
from gdstudio.ui.threads import symbolic

__all__ = ["ControlPanel", "SPEEDS", "DEFAULT_SPEED", "FUNCTION_TAB", "REGRESSION_TAB",
           "SURFACE_TAB"]

FUNCTION_TAB, REGRESSION_TAB = 0, 1
SURFACE_TAB = 2  # f(x, y)

#: Speeds offered for Play, in steps per second; 0 is "as fast as possible".
SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000, 20_000, 100_000, 0)
DEFAULT_SPEED = 10

#: More epochs than this would hold gigabytes of history in the window.
MAX_WINDOW_EPOCHS = min(MAX_EPOCHS, 10_000_000)
#: Synthetic points the window offers (the core refuses, up front, what memory cannot hold).
MAX_WINDOW_POINTS = 10_000_000

LR_MIN, LR_MAX = 1e-7, 10.0

_ENGINE_LABELS = {"manual": "Manual (analytic gradient)", "torch": "PyTorch (autograd)"}
_OPTIMIZER_LABELS = {
    "gd": "Plain gradient descent",
    "sgd": "SGD (torch.optim.SGD)",
    "momentum": "Momentum (μ = 0.9)",
    "nesterov": "Nesterov momentum (μ = 0.9)",
    "adam": "Adam (β = 0.9, 0.999)",
    "rmsprop": "RMSprop (α = 0.99)",
    "adagrad": "Adagrad",
}
_DTYPE_LABELS = {"float64": "float64 (double)", "float32": "float32 (single)"}
#: RunConfig fields the panel shows; the others are kept from a session (ControlPanel._extra).
_WIDGET_FIELDS = frozenset(("problem", "x0", "m0", "c0", "lr", "epochs", "engine", "device",
                            "dtype", "optimizer", "tol", "momentum", "beta1", "beta2", "alpha",
                            "eps", "scale_x", "batch_size", "batch_seed"))
_REGRESSION_ONLY = frozenset(("scale_x", "batch_size", "batch_seed"))
_START_LIMIT = 1e9


def _error_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet("color: #c62828;")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def _show_error(label: QLabel, message: str) -> None:
    label.setText(message)
    label.setVisible(bool(message))


def _field_error(form: QFormLayout, spin: ScientificSpinBox | IntegerSpinBox,
                 name: str) -> QLabel:
    """A message row under ``spin`` saying why its text cannot be used (hidden when it can)."""
    label = _error_label(name)
    spin.problemChanged.connect(lambda message: _show_error(label, message))
    form.addRow(label)
    return label


def _note_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class ControlPanel(QWidget):
    """Problem, start, learning rate, epochs, engine and playback speed."""

    configChanged = Signal(object)
    lrChanged = Signal(float)
    #: "Load CSV…" was pressed: the window's data import takes over (preview, background load)
    loadDataRequested = Signal()
    validityChanged = Signal(bool)
    speedChanged = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("controlPanel")
        self._quiet = 0  # > 0 while several fields change as one edit
        self._built = False  # signals fired while the panel is being built are ignored
        self._valid = True
        self._function: FunctionProblem | None = FunctionProblem.preset("quadratic")
        self._synthetic: RegressionProblem | None = None  # built when the tab is first shown
        self._csv: RegressionProblem | None = None
        self._lr_by_tab = {FUNCTION_TAB: self._function.default_lr, REGRESSION_TAB: 1e-4}
        # Each tab keeps its own learning rate and epochs (a surface preset brings its own).
        self._epochs_by_tab: dict[int, int] = {FUNCTION_TAB: 50, REGRESSION_TAB: 50}
        self._tab = FUNCTION_TAB
        self._race: RaceSpec | None = None
        self._config: RunConfig | None = None
        #: RunConfig fields the panel has no widget for (tol, momentum, …), as a session set them.
        self._extra: dict[str, Any] = {}

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(8)
        layout.addWidget(self._build_problem_tabs())
        layout.addWidget(self._build_run_group())
        layout.addWidget(self._build_engine_group())
        layout.addWidget(self._build_race_group())
        layout.addWidget(self._build_playback_group())
        self.configError = _error_label("configError")
        layout.addWidget(self.configError)
        layout.addStretch(1)

        self._built = True
        self._apply_preset("quadratic")
        self._refresh(reset=False)

    # ------------------------------------------------------------------------------------------
    # construction
    # ------------------------------------------------------------------------------------------

    def _build_problem_tabs(self) -> QTabWidget:
        tabs = QTabWidget()
        tabs.setObjectName("problemTabs")
        tabs.setToolTip("What gradient descent minimises: a function f(x), or the mean squared "
                        "error of a straight line fitted to data")
        tabs.setDocumentMode(True)
        tabs.addTab(self._build_function_tab(), "Function f(x)")
        tabs.addTab(self._build_regression_tab(), "Regression")
        tabs.addTab(self._build_surface_tab(), "Surface f(x, y)")
        tabs.setTabToolTip(SURFACE_TAB, "Minimise a function of two variables, on its contour map")
        tabs.setTabToolTip(FUNCTION_TAB, "Minimise a function of one variable")
        tabs.setTabToolTip(REGRESSION_TAB, "Fit y = m·x + c by minimising the mean squared error")
        tabs.currentChanged.connect(self._fit_tab_height)
        tabs.currentChanged.connect(self._on_tab_changed)
        self.problemTabs = tabs
        self._fit_tab_height(tabs.currentIndex())
        return tabs

    def _fit_tab_height(self, index: int) -> None:
        """The tab widget as tall as the current page (not the tallest one)."""
        tabs = self.problemTabs if hasattr(self, "problemTabs") else None
        if tabs is None:
            return
        for i in range(tabs.count()):
            policy = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            tabs.widget(i).setSizePolicy(policy, policy)
        tabs.updateGeometry()

    def _build_function_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        combo = QComboBox()
        combo.setObjectName("functionCombo")
        for key, preset in FUNCTION_PRESETS.items():
            combo.addItem(preset.title, key)
        combo.addItem("Custom expression", None)
        combo.setToolTip("Ready-made functions, each with a start and a learning rate that teach "
                         "something; or type your own f(x) below")
        combo.activated.connect(self._on_preset_chosen)
        self.functionCombo = combo
        form.addRow("Example", combo)

        edit = QLineEdit()
        edit.setObjectName("expressionEdit")
        edit.setPlaceholderText("x**2 - 4*x + 5")
        edit.setClearButtonEnabled(True)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(max(self.font().pointSizeF(), 1.0))
        edit.setFont(mono)
        edit.setToolTip(
            "f(x) in Python syntax: + - * / ** (or ^), numbers, pi, e and sin cos tan exp log "
            "sqrt abs tanh sinh cosh. Checked as you type."
        )
        edit.textChanged.connect(self._on_expression_edited)
        self.expressionEdit = edit
        form.addRow("f(x) =", edit)

        self.expressionError = _error_label("expressionError")
        form.addRow(self.expressionError)
        self.derivativeLabel = _note_label("derivativeLabel")
        self.derivativeLabel.setToolTip("The derivative SymPy finds for your f(x): the manual "
                                        "engine's gradient")
        form.addRow(self.derivativeLabel)

        self.x0Spin = ScientificSpinBox(minimum=-1e9, maximum=1e9, what="start x₀")
        self.x0Spin.setObjectName("x0Spin")
        self.x0Spin.setSingleStep(0.5)
        self.x0Spin.setToolTip("Where descent starts: the initial guess x₀ (scientific notation "
                               "accepted)")
        self.x0Spin.valueChanged.connect(lambda _v: self._refresh())
        self.x0Spin.problemChanged.connect(self._on_field_problem)
        form.addRow("Start x₀", self.x0Spin)
        self.x0Error = _error_label("x0Error")
        self.x0Spin.problemChanged.connect(lambda m: _show_error(self.x0Error, m))
        form.addRow(self.x0Error)

        self.lessonLabel = _note_label("lessonLabel")
        self.lessonLabel.setStyleSheet("color: #5f6368; font-style: italic;")
        form.addRow(self.lessonLabel)
        return page

    def _build_regression_tab(self) -> QWidget:
        page = QWidget()
        outer = QVBoxLayout(page)
        outer.setContentsMargins(0, 4, 0, 0)

        self.syntheticRadio = QRadioButton("Synthetic data")
        self.syntheticRadio.setObjectName("syntheticRadio")
        self.syntheticRadio.setToolTip("Seeded points around y = 2.5·x + 10 with Gaussian noise")
        self.syntheticRadio.setChecked(True)
        self.csvRadio = QRadioButton("CSV file")
        self.csvRadio.setObjectName("csvRadio")
        self.csvRadio.setToolTip("The data loaded from a CSV file (Load CSV… first)")
        self.csvRadio.setEnabled(False)
        group = QButtonGroup(self)
        group.addButton(self.syntheticRadio)
        group.addButton(self.csvRadio)
        group.buttonToggled.connect(lambda _b, on: on and self._refresh())
        self._sourceGroup = group

        outer.addWidget(self.syntheticRadio)
        synth = QFormLayout()
        synth.setContentsMargins(18, 0, 0, 0)
        self.pointsSpin = IntegerSpinBox(minimum=2, maximum=MAX_WINDOW_POINTS,
                                         what="number of points")
        self.pointsSpin.setObjectName("pointsSpin")
        self.pointsSpin.setValue(DEFAULT_SYNTHETIC.n)
        self.pointsSpin.setToolTip(f"How many synthetic points (at most {MAX_WINDOW_POINTS:,} "
                                   "in the window)")
        self.noiseSpin = ScientificSpinBox(minimum=0.0, maximum=1e6, what="noise")
        self.noiseSpin.setObjectName("noiseSpin")
        self.noiseSpin.setValue(DEFAULT_SYNTHETIC.noise)
        self.noiseSpin.setToolTip("Standard deviation of the noise added to y")
        self.seedSpin = IntegerSpinBox(minimum=0, maximum=2_147_483_647, what="seed",
                                       grouped=False)
        self.seedSpin.setObjectName("seedSpin")
        self.seedSpin.setValue(DEFAULT_SYNTHETIC.seed)
        self.seedSpin.setToolTip("Seed of the random generator: the same seed gives the same data")
        for spin in (self.pointsSpin, self.noiseSpin, self.seedSpin):
            spin.valueChanged.connect(self._on_synthetic_edited)
            spin.problemChanged.connect(self._on_field_problem)
        synth.addRow("Points N", self.pointsSpin)
        self.pointsError = _field_error(synth, self.pointsSpin, "pointsError")
        synth.addRow("Noise σ", self.noiseSpin)
        self.noiseError = _field_error(synth, self.noiseSpin, "noiseError")
        synth.addRow("Seed", self.seedSpin)
        self.seedError = _field_error(synth, self.seedSpin, "seedError")
        outer.addLayout(synth)

        row = QHBoxLayout()
        row.addWidget(self.csvRadio)
        self.loadCsvButton = QPushButton("Load CSV…")
        self.loadCsvButton.setObjectName("loadCsvButton")
        self.loadCsvButton.setToolTip("Read two numeric columns x, y from a CSV file "
                                      "(header optional; comma, semicolon or tab separated)")
        self.loadCsvButton.clicked.connect(self.loadDataRequested.emit)
        row.addStretch(1)
        row.addWidget(self.loadCsvButton)
        outer.addLayout(row)
        self.dataLabel = _note_label("dataLabel")
        outer.addWidget(self.dataLabel)
        self.dataError = _error_label("dataError")
        outer.addWidget(self.dataError)

        start = QFormLayout()
        self.m0Spin = ScientificSpinBox(minimum=-1e9, maximum=1e9, what="start m₀")
        self.m0Spin.setObjectName("m0Spin")
        self.m0Spin.setToolTip("Starting slope m₀ (the source starts at 0)")
        self.c0Spin = ScientificSpinBox(minimum=-1e9, maximum=1e9, what="start c₀")
        self.c0Spin.setObjectName("c0Spin")
        self.c0Spin.setToolTip("Starting intercept c₀ (the source starts at 0)")
        for spin in (self.m0Spin, self.c0Spin):
            spin.setSingleStep(0.5)
            spin.valueChanged.connect(lambda _v: self._refresh())
            spin.problemChanged.connect(self._on_field_problem)
        start.addRow("Start m₀", self.m0Spin)
        self.m0Error = _field_error(start, self.m0Spin, "m0Error")
        start.addRow("Start c₀", self.c0Spin)
        self.c0Error = _field_error(start, self.c0Spin, "c0Error")
        self.regressionOptions = RegressionOptions(start, self)
        self.regressionOptions.changed.connect(self._refresh)
        self.regressionOptions.problemChanged.connect(self._on_field_problem)
        outer.addLayout(start)
        outer.addStretch(1)
        return page

    def _build_run_group(self) -> QGroupBox:
        box = QGroupBox("Descent")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.lrSpin = ScientificSpinBox(
            minimum=LR_MIN, maximum=LR_MAX, what="learning rate",
            check=check_learning_rate, logarithmic=True,
        )
        self.lrSpin.setObjectName("lrSpin")
        self.lrSpin.setToolTip("The learning rate r in x ← x − r·f′(x). Type any number "
                               "(1e-4 works); arrows step 1, 1.5, 2, 3, 5, 7 × 10ⁿ. A change "
                               "applies from the next step, even mid-run.")
        self.lrSpin.setMinimumWidth(90)
        self.lrSlider = LogSlider(log_grid(LR_MIN, LR_MAX))
        self.lrSlider.setObjectName("lrSlider")
        self.lrSlider.setToolTip("Learning rate on a logarithmic scale (one tick per decade)")
        self.lrSlider.valueChosen.connect(self.lrSpin.setValue)
        self.lrSpin.valueChanged.connect(self._on_lr_changed)
        self.lrSpin.problemChanged.connect(self._on_field_problem)
        row = QHBoxLayout()
        row.addWidget(self.lrSpin)
        row.addWidget(self.lrSlider, 1)
        form.addRow("Learning rate", row)
        self.lrError = _error_label("lrError")
        self.lrSpin.problemChanged.connect(lambda m: _show_error(self.lrError, m))
        form.addRow(self.lrError)

        self.epochsSpin = IntegerSpinBox(minimum=0, maximum=MAX_WINDOW_EPOCHS,
                                         what="number of epochs")
        self.epochsSpin.setObjectName("epochsSpin")
        self.epochsSpin.setValue(50)
        self.epochsSpin.setAccelerated(True)
        self.epochsSpin.setToolTip(f"How many updates the run makes (at most "
                                   f"{MAX_WINDOW_EPOCHS:,} in the window)")
        self.epochsSpin.valueChanged.connect(lambda _v: self._refresh())
        self.epochsSpin.problemChanged.connect(self._on_field_problem)
        form.addRow("Epochs", self.epochsSpin)
        self.epochsError = _field_error(form, self.epochsSpin, "epochsError")

        self.tolSpin = make_tol_spin()
        self.tolSpin.valueChanged.connect(lambda _v: self._refresh())
        self.tolSpin.problemChanged.connect(self._on_field_problem)
        form.addRow("Stop at |∇| ≤", self.tolSpin)
        self.tolError = _field_error(form, self.tolSpin, "tolError")
        return box

    def _build_surface_tab(self) -> QWidget:
        self.surfaceTab = SurfaceTab()
        self.surfaceTab.edited.connect(self._refresh)
        self.surfaceTab.presetChosen.connect(self._on_surface_preset)
        self.surfaceTab.fieldProblemChanged.connect(self._on_field_problem)
        preset = self.surfaceTab.problem()
        self._lr_by_tab[SURFACE_TAB] = preset.default_lr if preset is not None else 0.01
        self._epochs_by_tab[SURFACE_TAB] = preset.default_epochs if preset is not None else 50
        return self.surfaceTab

    def _build_race_group(self) -> RaceSetup:
        self.raceSetup = RaceSetup(lr_range=(LR_MIN, LR_MAX))  # the learning rate field's range
        self.raceSetup.changed.connect(self._refresh)
        self.raceSetup.modeChanged.connect(lambda _m: self._show_race_mode())
        self.raceSetup.problemChanged.connect(self._on_field_problem)
        return self.raceSetup

    def _build_engine_group(self) -> QGroupBox:
        box = QGroupBox("Engine")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.engineCombo = QComboBox()
        self.engineCombo.setObjectName("engineCombo")
        for key, label in _ENGINE_LABELS.items():
            self.engineCombo.addItem(label, key)
        self.engineCombo.setToolTip("Manual: the derivative worked out by hand (SymPy) or the "
                                    "source's d_m, d_c formulas. PyTorch: loss.backward().")
        self.engineCombo.currentIndexChanged.connect(self._on_engine_changed)
        form.addRow("Engine", self.engineCombo)

        self.deviceCombo = QComboBox()
        self.deviceCombo.setObjectName("deviceCombo")
        self.deviceCombo.addItem("cpu", "cpu")
        self.deviceCombo.setToolTip("Where PyTorch computes (the devices this machine has; "
                                    "the list fills in shortly after start-up)")
        self.deviceCombo.setEnabled(False)
        self.deviceCombo.currentIndexChanged.connect(lambda _i: self._refresh())
        form.addRow("Device", self.deviceCombo)

        self.dtypeCombo = QComboBox()
        self.dtypeCombo.setObjectName("dtypeCombo")
        for key in DTYPES:
            self.dtypeCombo.addItem(_DTYPE_LABELS.get(key, key), key)
        self.dtypeCombo.setToolTip("Floating-point precision of the computation")
        self.dtypeCombo.currentIndexChanged.connect(lambda _i: self._refresh())
        form.addRow("Precision", self.dtypeCombo)

        self.optimizerCombo = QComboBox()
        self.optimizerCombo.setObjectName("optimizerCombo")
        for key in OPTIMIZERS:
            self.optimizerCombo.addItem(_OPTIMIZER_LABELS.get(key, key), key)
        self.optimizerCombo.setToolTip("Plain gradient descent is the source's update "
                                       "x ← x − r·f′(x); the others follow torch.optim")
        self.optimizerCombo.currentIndexChanged.connect(lambda _i: self._refresh())
        form.addRow("Optimizer", self.optimizerCombo)
        self.optimizerFields = OptimizerFields(form, self)
        self.optimizerFields.changed.connect(self._refresh)
        self.optimizerFields.problemChanged.connect(self._on_field_problem)
        self.optimizerCombo.currentIndexChanged.connect(lambda _i: self._show_race_mode())
        return box

    def _build_playback_group(self) -> QGroupBox:
        box = QGroupBox("Playback")
        row = QHBoxLayout(box)
        self.speedSlider = QSlider(Qt.Orientation.Horizontal)
        self.speedSlider.setObjectName("speedSlider")
        self.speedSlider.setRange(0, len(SPEEDS) - 1)
        self.speedSlider.setPageStep(1)
        self.speedSlider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.speedSlider.setTickInterval(1)
        self.speedSlider.setValue(SPEEDS.index(DEFAULT_SPEED))
        self.speedSlider.setToolTip("Steps per second while playing, up to as fast as possible "
                                    "(the window still redraws at most 60 times a second)")
        self.speedLabel = QLabel()
        self.speedLabel.setObjectName("speedLabel")
        self.speedLabel.setMinimumWidth(self.speedLabel.fontMetrics().horizontalAdvance(
            "as fast as possible"))
        self.speedLabel.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.speedSlider.valueChanged.connect(self._on_speed_changed)
        row.addWidget(QLabel("Speed"))
        row.addWidget(self.speedSlider, 1)
        row.addWidget(self.speedLabel)
        self._on_speed_changed(self.speedSlider.value(), emit=False)
        return box

    # ------------------------------------------------------------------------------------------
    # public API
    # ------------------------------------------------------------------------------------------

    def config(self) -> RunConfig | None:
        """The current configuration, or None while an input is invalid."""
        return self._config if self._valid else None

    def is_valid(self) -> bool:
        return self._valid

    def set_start(self, *values: float) -> None:
        """Move the current problem's start (a click on a plot): x₀, (x₀, y₀) or (m₀, c₀);
        one edit, one new run."""
        tab = self.problemTabs.currentIndex()
        with self._batch():
            if tab == FUNCTION_TAB:
                self.x0Spin.setValue(values[0])
            elif tab == SURFACE_TAB:
                self.surfaceTab.set_start(values[0], values[1])
            else:
                self.m0Spin.setValue(values[0])
                self.c0Spin.setValue(values[1])
        self._refresh()

    def show_explore_fields(self, config: RunConfig) -> None:
        """Show ``config``'s tolerance, hyper-parameters, scaling and mini-batch settings in
        their fields (inside a batch of edits: no refresh here)."""
        self.tolSpin.setValue(float(config.tol))
        self.optimizerFields.set_values(config)
        if isinstance(config.problem, RegressionProblem):
            self.regressionOptions.set_values(config)

    def reset_explore_fields(self) -> None:
        """The first launch's values: one run, tol 0, torch.optim's hyper-parameters."""
        defaults = RunConfig()
        self.raceSetup.set_mode("single")
        self.tolSpin.setValue(defaults.tol)
        self.optimizerFields.set_values(defaults)
        self.regressionOptions.set_values(defaults)

    def race(self) -> RaceSpec | None:
        """The race to run with :meth:`config` (None: a single run, or invalid input)."""
        return self._race if self._valid else None

    def problem_kind(self) -> str:
        return "regression" if self.problemTabs.currentIndex() == REGRESSION_TAB else "function"

    def lr(self) -> float:
        return float(self.lrSpin.value())

    def speed(self) -> float:
        """Steps per second; 0 means as fast as possible."""
        return float(SPEEDS[self.speedSlider.value()])

    def set_speed(self, steps_per_second: float) -> None:
        """Move the speed slider to the offered speed nearest ``steps_per_second``."""
        if steps_per_second <= 0:
            index = SPEEDS.index(0)
        else:
            index = min(
                (i for i, s in enumerate(SPEEDS) if s > 0),
                key=lambda i: abs(SPEEDS[i] - steps_per_second),
            )
        self.speedSlider.setValue(index)

    def set_devices(self, devices: list[str]) -> None:
        """Offer these torch devices (``cpu`` first, always); keeps the current choice."""
        current = self.deviceCombo.currentData()
        names = ["cpu", *[d for d in devices if d != "cpu"]]
        with self._batch():
            self.deviceCombo.clear()
            for name in names:
                self.deviceCombo.addItem(name, name)
            index = self.deviceCombo.findData(current)
            self.deviceCombo.setCurrentIndex(max(index, 0))
        self.deviceCombo.setToolTip(f"Where PyTorch computes: {', '.join(names)} on this machine")

    def choose_preset(self, key: str) -> None:
        """Select a function preset (as if chosen in the combo)."""
        index = self.functionCombo.findData(key)
        if index < 0:
            raise KeyError(key)
        self.functionCombo.setCurrentIndex(index)
        self._on_preset_chosen(index)

    def choose_csv(self) -> None:
        """Ask for a CSV file and load it (errors in a message box; the problem is kept)."""
        path, _ = QFileDialog.getOpenFileName(
            self, "Load regression data", os.path.expanduser("~"),
            "Data files (*.csv *.tsv *.txt);;All files (*)",
        )
        if path:
            self.load_csv(path)

    def load_csv(self, path: str) -> bool:
        """Load ``path`` as regression data; True on success. On failure nothing changes."""
        try:
            problem = RegressionProblem.from_csv(path)
        except InputError as err:
            QMessageBox.warning(self, "Could not load the data", str(err))
            return False
        except OSError as err:
            QMessageBox.warning(self, "Could not load the data", f"{path}: {err.strerror or err}")
            return False
        self.use_csv_problem(problem)
        return True

    def use_csv_problem(self, problem: RegressionProblem, *, emit: bool = True) -> None:
        """Make ``problem`` (data read from a file) the regression's data, and select it."""
        path = problem.source
        self._csv = problem
        with self._batch():
            self.problemTabs.setCurrentIndex(REGRESSION_TAB)
            self.csvRadio.setEnabled(True)
            self.csvRadio.setText(f"CSV file: {os.path.basename(path)}")
            self.csvRadio.setToolTip(path)
            self.csvRadio.setChecked(True)
        self._refresh(reset=emit)

    # ------------------------------------------------------------------------------------------
    # edits
    # ------------------------------------------------------------------------------------------

    @contextmanager
    def _batch(self) -> Iterator[None]:
        """Several field changes that make one edit: one refresh at the end, by the caller."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    def _on_preset_chosen(self, index: int) -> None:
        key = self.functionCombo.itemData(index)
        if key is None:  # "Custom": keep what is typed, let the person edit it
            self.expressionEdit.setFocus()
            self.expressionEdit.selectAll()
            return
        self._apply_preset(key)
        self._refresh()

    def _apply_preset(self, key: str) -> None:
        preset = FUNCTION_PRESETS[key]
        with self._batch():
            self.expressionEdit.setText(preset.expr)
            self.x0Spin.setValue(preset.x0)
            if self.problemTabs.currentIndex() == FUNCTION_TAB:
                self.lrSpin.setValue(preset.lr)
            self._lr_by_tab[FUNCTION_TAB] = preset.lr

    def _on_expression_edited(self, text: str) -> None:
        try:
            problem = FunctionProblem(text)
        except InputError as err:
            self._function = None
            _show_error(self.expressionError, str(err))
            self.derivativeLabel.hide()
            self.lessonLabel.hide()
        else:
            self._function = problem
            _show_error(self.expressionError, "")
            self.derivativeLabel.setText(f"f′(x) = {symbolic.PLACEHOLDER}")
            symbolic.call_when_ready(self, self._show_derivative)
            self.derivativeLabel.show()
            self.lessonLabel.setText(problem.lesson)
            self.lessonLabel.setVisible(bool(problem.lesson))
            index = self.functionCombo.findData(problem.preset_key)
            with self._batch():
                self.functionCombo.setCurrentIndex(
                    index if index >= 0 else self.functionCombo.count() - 1
                )
        self._refresh()

    def _show_derivative(self) -> None:
        """f′(x) under the expression (SymPy; after start-up, see :mod:`.symbolic`)."""
        problem = self._function
        if problem is None:
            return  # the expression is invalid now
        try:
            derivative = pretty_math(problem.expression.derivative_text)
        except Exception as err:  # noqa: BLE001 - a help text; never break the panel
            derivative = f"(not available: {type(err).__name__})"
        self.derivativeLabel.setText(f"f′(x) = {derivative}")

    def _on_synthetic_edited(self, _value: object = None) -> None:
        self._synthetic = None  # rebuilt from the fields by _refresh
        with self._batch():
            self.syntheticRadio.setChecked(True)
        self._refresh()

    def _on_tab_changed(self, index: int) -> None:
        if not self._built:
            return
        self._lr_by_tab[self._tab] = self.lr()
        self._epochs_by_tab[self._tab] = self.epochsSpin.value()
        self._tab = index
        with self._batch():
            self.lrSpin.setValue(self._lr_by_tab.get(index, self.lr()))
            self.epochsSpin.setValue(self._epochs_by_tab.get(index, self.epochsSpin.value()))
        self._refresh()

    def _on_surface_preset(self, preset: object) -> None:
        """A surface preset brings its learning rate and epochs (the refresh follows)."""
        lr, epochs = preset.lr, preset.epochs  # type: ignore[attr-defined]
        self._lr_by_tab[SURFACE_TAB] = lr
        self._epochs_by_tab[SURFACE_TAB] = epochs
        if self.problemTabs.currentIndex() == SURFACE_TAB:
            with self._batch():
                self.lrSpin.setValue(lr)
                self.epochsSpin.setValue(epochs)

    def _show_race_mode(self) -> None:
        """Enable the fields the race uses; show the hyper-parameters of the optimizers in play."""
        mode = self.raceSetup.mode()
        self.lrSpin.setEnabled(mode != "lr")
        self.lrSlider.setEnabled(mode != "lr")
        self.optimizerCombo.setEnabled(mode != "optimizer")
        self.optimizerFields.set_optimizers(
            self.raceSetup.raced_optimizers(str(self.optimizerCombo.currentData())))

    def _on_engine_changed(self, _index: int) -> None:
        torch = self.engineCombo.currentData() == "torch"
        self.deviceCombo.setEnabled(torch)
        self._refresh()

    def _on_lr_changed(self, value: float) -> None:
        self.lrSlider.set_float(value)
        self._lr_by_tab[self.problemTabs.currentIndex()] = float(value)
        if self._quiet:
            return
        self._refresh(reset=False)
        if self._valid:
            self.lrChanged.emit(float(value))

    def _on_field_problem(self, _message: str) -> None:
        # A spin box's text became (in)valid: Step/Play must follow at once, before Enter.
        self._update_validity()

    def _on_speed_changed(self, index: int, *, emit: bool = True) -> None:
        speed = SPEEDS[index]
        self.speedLabel.setText(steps_per_second_text(speed))
        if emit:
            self.speedChanged.emit(float(speed))

    # ------------------------------------------------------------------------------------------
    # the configuration
    # ------------------------------------------------------------------------------------------

    def _regression_problem(self) -> RegressionProblem | None:
        if self.csvRadio.isChecked() and self._csv is not None:
            _show_error(self.dataError, "")
            self._describe_data(self._csv)
            return self._csv
        if self._synthetic is None:
            try:
                self._synthetic = RegressionProblem.synthetic(
                    self.pointsSpin.value(), self.seedSpin.value(), float(self.noiseSpin.value())
                )
            except InputError as err:
                _show_error(self.dataError, str(err))
                return None
        _show_error(self.dataError, "")
        self._describe_data(self._synthetic)
        return self._synthetic

    def _describe_data(self, problem: RegressionProblem) -> None:
        x, y = problem.x, problem.y
        self.dataLabel.setText(
            f"{problem.n:,} points · x from {number(float(x.min()), 4)} to "
            f"{number(float(x.max()), 4)} · y from {number(float(y.min()), 4)} to "
            f"{number(float(y.max()), 4)}"
        )

    def _build_config(self) -> RunConfig:
        engine = self.engineCombo.currentData()
        common = dict(
            lr=self.lr(),
            epochs=self.epochsSpin.value(),
            engine=engine,
            device=self.deviceCombo.currentData() if engine == "torch" else "cpu",
            dtype=self.dtypeCombo.currentData(),
            optimizer=self.optimizerCombo.currentData(),
            tol=float(self.tolSpin.value()),
            **self.optimizerFields.values(),
        )
        if self.problemTabs.currentIndex() == SURFACE_TAB:
            surface = self.surfaceTab.problem()
            if surface is None:
                raise InputError("")  # the expression's own message is already shown
            common.update({k: v for k, v in self._extra.items() if k not in _REGRESSION_ONLY})
            return RunConfig(problem=surface, x0=self.surfaceTab.start(), **common)
        if self.problemTabs.currentIndex() == FUNCTION_TAB:
            if self._function is None:
                raise InputError("")  # the expression's own message is already shown
            common.update({k: v for k, v in self._extra.items() if k not in _REGRESSION_ONLY})
            return RunConfig(problem=self._function, x0=self.x0Spin.value(), **common)
        common = {**self.regressionOptions.values(), **common}
        common.update(self._extra)
        problem = self._regression_problem()
        if problem is None:
            raise InputError("")
        return RunConfig(problem=problem, m0=self.m0Spin.value(), c0=self.c0Spin.value(), **common)

    def _fields_acceptable(self) -> bool:
        spins: list[ScientificSpinBox | IntegerSpinBox] = [self.lrSpin, self.tolSpin,
                                                           self.epochsSpin]
        if self.problemTabs.currentIndex() == FUNCTION_TAB:
            spins.append(self.x0Spin)
        elif self.problemTabs.currentIndex() == SURFACE_TAB:
            spins += self.surfaceTab.spins()
        else:
            spins += [self.m0Spin, self.c0Spin, *self.regressionOptions.spins()]
            if not self.csvRadio.isChecked():
                spins += [self.pointsSpin, self.noiseSpin, self.seedSpin]
        return (all(spin.hasAcceptableInput() for spin in spins)
                and self.optimizerFields.is_acceptable() and self.raceSetup.is_acceptable())

    def _update_validity(self) -> None:
        if not self._built:
            return
        valid = self._config is not None and self._fields_acceptable()
        if valid != self._valid:
            self._valid = valid
            self.validityChanged.emit(valid)

    def _refresh(self, reset: bool = True) -> None:
        """Rebuild the RunConfig from the fields; emit configChanged if ``reset`` and valid."""
        if self._quiet or not self._built:
            return
        try:
            config = self._build_config()
            race = self.raceSetup.spec(config)
        except InputError as err:
            self._config = None
            self._race = None
            _show_error(self.configError, str(err))
        else:
            self._config = config
            self._race = race
            _show_error(self.configError, "")
        was_valid = self._valid
        self._update_validity()
        if reset and self._valid and self._config is not None:
            self.configChanged.emit(self._config)
        elif not reset and self._valid and not was_valid and self._config is not None:
            self.configChanged.emit(self._config)

    # ------------------------------------------------------------------------------------------
    # a whole configuration at once (sessions, the remembered problem, File › New)
    # ------------------------------------------------------------------------------------------

    def can_show(self, config: RunConfig) -> str:
        """Why the panel cannot hold ``config`` ('' when it can)."""
        problem = config.problem
        if isinstance(problem, FunctionProblem) and problem.dim == 2 \
                and tuple(problem.variables) != ("x", "y"):
            return (f"its problem is a function of ({', '.join(problem.variables)}); the window's "
                    "Surface tab holds f(x, y)")
        if isinstance(problem, FunctionProblem) and problem.dim > 2:
            return (f"its problem f({', '.join(problem.variables)}) has {problem.dim} variables; "
                    "the window holds functions of one or two")
        if config.epochs > MAX_WINDOW_EPOCHS:
            return (f"it runs {config.epochs:,} epochs; the window runs at most "
                    f"{MAX_WINDOW_EPOCHS:,}")
        if not LR_MIN <= float(config.lr) <= LR_MAX:  # type: ignore[arg-type]
            return (f"its learning rate {config.lr!r} is outside the window's range "
                    f"({LR_MIN:g} to {LR_MAX:g})")
        if any(abs(float(v)) > _START_LIMIT for v in config.start_params()):
            return f"its start is beyond ±{_START_LIMIT:g}, the window's range"
        return ""

    def extra_settings(self) -> dict[str, Any]:
        """Settings in force that the panel has no field for (kept from a session)."""
        return dict(self._extra)

    def set_config(self, config: RunConfig, *, emit: bool = True,
                   lr: float | None = None) -> None:
        """Show ``config`` in every field (and keep the fields it has no widget for).

        ``emit``: announce it as a new run (``configChanged``); ``lr``: the learning rate in force
        now, if a run changed it after its start (Reset then starts with it, as after a change
        made by hand). Check :meth:`can_show` first.
        """
        problem = config.problem
        with self._batch():
            if isinstance(problem, FunctionProblem) and problem.dim == 2:
                self.problemTabs.setCurrentIndex(SURFACE_TAB)
                self.surfaceTab.surfaceEdit.setText(problem.text)
                x0, y0 = (float(v) for v in config.start_params())
                self.surfaceTab.set_start(x0, y0)
            elif isinstance(problem, FunctionProblem):
                self.problemTabs.setCurrentIndex(FUNCTION_TAB)
                self.expressionEdit.setText(problem.text)
                self._function = problem  # the very problem (preset key, range and all)
                self.x0Spin.setValue(float(config.start_params()[0]))
            else:
                self.problemTabs.setCurrentIndex(REGRESSION_TAB)
                spec = problem.synthetic_spec
                if spec is not None:
                    self.pointsSpin.setValue(spec.n)
                    self.seedSpin.setValue(spec.seed)
                    self.noiseSpin.setValue(spec.noise)
                    self._synthetic = problem
                    self.syntheticRadio.setChecked(True)
                else:
                    self.use_csv_problem(problem, emit=False)
                m0, c0 = (float(v) for v in config.start_params())
                self.m0Spin.setValue(m0)
                self.c0Spin.setValue(c0)
            self.lrSpin.setValue(float(config.lr))  # type: ignore[arg-type]
            self.epochsSpin.setValue(config.epochs)
            self.engineCombo.setCurrentIndex(max(0, self.engineCombo.findData(config.engine)))
            if self.deviceCombo.findData(config.device) < 0:
                self.deviceCombo.addItem(config.device, config.device)
            self.deviceCombo.setCurrentIndex(self.deviceCombo.findData(config.device))
            self.dtypeCombo.setCurrentIndex(max(0, self.dtypeCombo.findData(config.dtype)))
            self.optimizerCombo.setCurrentIndex(
                max(0, self.optimizerCombo.findData(config.optimizer)))
            self.show_explore_fields(config)
            self._extra = {
                f.name: getattr(config, f.name)
                for f in dataclasses.fields(RunConfig)
                if f.name not in _WIDGET_FIELDS and getattr(config, f.name) != f.default
            }
        self._refresh(reset=emit)
        if lr is not None and lr != config.lr:
            with self._batch():
                self.lrSpin.setValue(float(lr))
            self._refresh(reset=False)

    def reset_to_defaults(self, *, emit: bool = True) -> None:
        """The first launch's setup: the source's example; default synthetic data; no CSV; one
        run; the default surface."""
        self._extra = {}
        self._csv = None
        with self._batch():
            self.reset_explore_fields()
            self.surfaceTab.choose_preset(DEFAULT_SURFACE, emit=False)
            surface = self.surfaceTab.problem()
            if surface is not None:
                self._lr_by_tab[SURFACE_TAB] = surface.default_lr
                self._epochs_by_tab[SURFACE_TAB] = surface.default_epochs
            self._epochs_by_tab[REGRESSION_TAB] = 50
            self.pointsSpin.setValue(DEFAULT_SYNTHETIC.n)
            self.seedSpin.setValue(DEFAULT_SYNTHETIC.seed)
            self.noiseSpin.setValue(DEFAULT_SYNTHETIC.noise)
            self.syntheticRadio.setChecked(True)
            self.csvRadio.setEnabled(False)
            self.csvRadio.setText("CSV file")
            self.csvRadio.setToolTip("The data loaded from a CSV file (Load CSV… first)")
            self.m0Spin.setValue(0.0)
            self.c0Spin.setValue(0.0)
            self._lr_by_tab[REGRESSION_TAB] = 1e-4
        self._synthetic = None
        self.set_config(RunConfig(problem=FunctionProblem.preset("quadratic")), emit=emit)
