"""The side panel: what to minimise and how, translated into a :class:`RunConfig`.

The panel is the setup's frame: a page per problem (:mod:`.function_tab`,
:mod:`.regression_tab`, :mod:`.surface_tab`), the descent's fields (learning rate, epochs,
tolerance: here), the engine (:mod:`.engine_fields`), a race (:mod:`.race_setup`) and playback
(:mod:`.playback`). It keeps each page's learning rate and epochs, and turns the pages' fields
into one :class:`RunConfig`; its fields are reachable as attributes by their object names.

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
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QSizePolicy,
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
from gdstudio.core.descent.config import MAX_EPOCHS, check_learning_rate
from gdstudio.core.problems import FunctionPreset
from gdstudio.core.race.lanes import DEFAULT_REPORT_TOL, Lane, RaceSpec
from gdstudio.ui.panels.engine_fields import EngineFields
from gdstudio.ui.panels.field_labels import error_label, field_error, show_error
from gdstudio.ui.panels.function_tab import DEFAULT_FUNCTION, FunctionTab
from gdstudio.ui.panels.optimizer_fields import make_tol_spin
from gdstudio.ui.panels.playback import DEFAULT_SPEED, SPEEDS, PlaybackBox
from gdstudio.ui.panels.race_setup import LANES_MODE, RaceSetup
from gdstudio.ui.panels.regression_tab import MAX_WINDOW_POINTS, RegressionTab
from gdstudio.ui.panels.surface_tab import DEFAULT_SURFACE, SurfaceTab
from gdstudio.ui.panels.widgets import IntegerSpinBox, LogSlider, ScientificSpinBox, log_grid

__all__ = ["ControlPanel", "SPEEDS", "DEFAULT_SPEED", "FUNCTION_TAB", "REGRESSION_TAB",
           "SURFACE_TAB", "MAX_WINDOW_EPOCHS", "MAX_WINDOW_POINTS"]

FUNCTION_TAB, REGRESSION_TAB = 0, 1
SURFACE_TAB = 2  # f(x, y)

#: More epochs than this would hold gigabytes of history in the window.
MAX_WINDOW_EPOCHS = min(MAX_EPOCHS, 10_000_000)

LR_MIN, LR_MAX = 1e-7, 10.0

#: RunConfig fields the panel shows; the others are kept from a session (ControlPanel._extra).
_WIDGET_FIELDS = frozenset(("problem", "x0", "m0", "c0", "lr", "epochs", "engine", "device",
                            "dtype", "optimizer", "tol", "momentum", "beta1", "beta2", "alpha",
                            "eps", "scale_x", "batch_size", "batch_seed"))
_REGRESSION_ONLY = frozenset(("scale_x", "batch_size", "batch_seed"))
_START_LIMIT = 1e9
#: The pages' fields, reachable on the panel by their object names (the window and tests).
_PAGE_FIELDS = {
    "functionTab": ("functionCombo", "expressionEdit", "expressionError", "derivativeLabel",
                    "x0Spin", "x0Error", "lessonLabel"),
    "regressionTab": ("syntheticRadio", "csvRadio", "pointsSpin", "noiseSpin", "seedSpin",
                      "pointsError", "noiseError", "seedError", "loadCsvButton", "dataLabel",
                      "dataError", "m0Spin", "c0Spin", "m0Error", "c0Error",
                      "regressionOptions"),
    "engineFields": ("engineCombo", "deviceCombo", "dtypeCombo", "optimizerCombo",
                     "optimizerFields"),
    "playbackBox": ("speedSlider", "speedLabel"),
}


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
        self._lr_by_tab: dict[int, float] = {REGRESSION_TAB: 1e-4}
        # Each tab keeps its own learning rate and epochs (a surface preset brings its own).
        self._epochs_by_tab: dict[int, int] = {FUNCTION_TAB: 50, REGRESSION_TAB: 50}
        self._tab = FUNCTION_TAB
        self._race: RaceSpec | None = None
        self._config: RunConfig | None = None
        #: RunConfig fields the panel has no widget for (tol, momentum, …), as a session set them.
        self._extra: dict[str, Any] = {}

        self.functionTab = FunctionTab()
        self.regressionTab = RegressionTab()
        self.surfaceTab = SurfaceTab()
        self.engineFields = EngineFields()
        self.playbackBox = PlaybackBox()
        self.raceSetup = RaceSetup(lr_range=(LR_MIN, LR_MAX))  # the learning rate field's range
        for page in (self.functionTab, self.regressionTab, self.engineFields, self.playbackBox):
            for name in _PAGE_FIELDS[page.objectName()]:
                setattr(self, name, getattr(page, name))
        self._connect_pages()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(8)
        layout.addWidget(self._build_problem_tabs())
        layout.addWidget(self._build_run_group())
        layout.addWidget(self.engineFields)
        layout.addWidget(self.raceSetup)
        layout.addWidget(self.playbackBox)
        self.configError = error_label("configError")
        layout.addWidget(self.configError)
        layout.addStretch(1)

        self._built = True
        with self._batch():
            self.functionTab.choose_preset(DEFAULT_FUNCTION, emit=False)
            self._lr_by_tab[FUNCTION_TAB] = FUNCTION_PRESETS[DEFAULT_FUNCTION].lr
            self.lrSpin.setValue(self._lr_by_tab[FUNCTION_TAB])
        self._refresh(reset=False)

    # ------------------------------------------------------------------------------------------
    # construction
    # ------------------------------------------------------------------------------------------

    def _connect_pages(self) -> None:
        for page in (self.functionTab, self.regressionTab, self.surfaceTab):
            page.edited.connect(self._refresh)
            page.fieldProblemChanged.connect(self._on_field_problem)
        self.functionTab.presetChosen.connect(self._on_preset)
        self.surfaceTab.presetChosen.connect(self._on_preset)
        self.regressionTab.loadDataRequested.connect(self.loadDataRequested.emit)
        self.engineFields.changed.connect(self._refresh)
        self.engineFields.fieldProblemChanged.connect(self._on_field_problem)
        self.engineFields.optimizerChosen.connect(self._show_race_mode)
        self.raceSetup.changed.connect(self._refresh)
        self.raceSetup.modeChanged.connect(lambda _m: self._show_race_mode())
        self.raceSetup.problemChanged.connect(self._on_field_problem)
        self.playbackBox.speedChanged.connect(self.speedChanged.emit)
        surface = self.surfaceTab.problem()
        self._lr_by_tab[SURFACE_TAB] = surface.default_lr if surface is not None else 0.01
        self._epochs_by_tab[SURFACE_TAB] = surface.default_epochs if surface is not None else 50

    def _build_problem_tabs(self) -> QTabWidget:
        tabs = QTabWidget()
        tabs.setObjectName("problemTabs")
        tabs.setToolTip("What gradient descent minimises: a function f(x), or the mean squared "
                        "error of a straight line fitted to data")
        tabs.setDocumentMode(True)
        tabs.addTab(self.functionTab, "Function f(x)")
        tabs.addTab(self.regressionTab, "Regression")
        tabs.addTab(self.surfaceTab, "Surface f(x, y)")
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
        tabs = self.problemTabs
        for i in range(tabs.count()):
            policy = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            page = tabs.widget(i)
            if page is not None:
                page.setSizePolicy(policy, policy)
        tabs.updateGeometry()

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
        self.lrError = field_error(form, self.lrSpin, "lrError")

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
        self.epochsError = field_error(form, self.epochsSpin, "epochsError")

        self.tolSpin = make_tol_spin()
        self.tolSpin.valueChanged.connect(lambda _v: self._refresh())
        self.tolSpin.problemChanged.connect(self._on_field_problem)
        form.addRow("Stop at |∇| ≤", self.tolSpin)
        self.tolError = field_error(form, self.tolSpin, "tolError")
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
                self.functionTab.set_start(values[0])
            elif tab == SURFACE_TAB:
                self.surfaceTab.set_start(values[0], values[1])
            else:
                self.regressionTab.set_start(values[0], values[1])
        self._refresh()

    def show_explore_fields(self, config: RunConfig) -> None:
        """Show ``config``'s tolerance, hyper-parameters, scaling and mini-batch settings in
        their fields (inside a batch of edits: no refresh here)."""
        self.tolSpin.setValue(float(config.tol))
        self.engineFields.show_hyper_parameters(config)
        if isinstance(config.problem, RegressionProblem):
            self.regressionTab.regressionOptions.set_values(config)

    def reset_explore_fields(self) -> None:
        """The first launch's values: one run, tol 10⁻⁶ (see :func:`make_tol_spin`),
        torch.optim's hyper-parameters."""
        defaults = RunConfig()
        self.raceSetup.set_mode("single")
        self.tolSpin.setValue(DEFAULT_REPORT_TOL)
        self.engineFields.show_hyper_parameters(defaults)
        self.regressionTab.regressionOptions.set_values(defaults)

    def race(self) -> RaceSpec | None:
        """The race to run with :meth:`config` (None: a single run, or invalid input)."""
        return self._race if self._valid else None

    def set_race_lanes(self, lanes: tuple[Lane, ...] | None) -> None:
        """Race exactly ``lanes`` (a lesson's race: each lane its optimizer and rate), or make
        one run (None); it applies from the next refresh (:meth:`set_config`'s, say)."""
        with self._batch():
            if lanes:
                self.raceSetup.set_lanes(lanes)
            else:
                self.raceSetup.set_mode("single")
        self._show_race_mode()

    def problem_kind(self) -> str:
        return "regression" if self.problemTabs.currentIndex() == REGRESSION_TAB else "function"

    def lr(self) -> float:
        return float(self.lrSpin.value())

    def speed(self) -> float:
        """Steps per second; 0 means as fast as possible."""
        return self.playbackBox.speed()

    def set_speed(self, steps_per_second: float) -> None:
        """Move the speed slider to the offered speed nearest ``steps_per_second``."""
        self.playbackBox.set_speed(steps_per_second)

    def set_devices(self, devices: list[str]) -> None:
        """Offer these torch devices (``cpu`` first, always); keeps the current choice."""
        self.engineFields.set_devices(devices)

    def choose_preset(self, key: str) -> None:
        """Select a function preset (as if chosen in the combo)."""
        self.functionTab.choose_preset(key)

    def load_csv(self, path: str) -> bool:
        """Read ``path`` as regression data at once (a small file; the window's File › Load
        data reads in the background, with a preview). True on success; on failure the reason
        is shown under the data and nothing else changes."""
        try:
            problem = RegressionProblem.from_csv(path)
        except InputError as err:
            show_error(self.regressionTab.dataError, str(err))
            return False
        except OSError as err:
            show_error(self.regressionTab.dataError, f"{path}: {err.strerror or err}")
            return False
        self.use_csv_problem(problem)
        return True

    def use_csv_problem(self, problem: RegressionProblem, *, emit: bool = True) -> None:
        """Make ``problem`` (data read from a file) the regression's data, and select it."""
        with self._batch():
            self.problemTabs.setCurrentIndex(REGRESSION_TAB)
            self.regressionTab.use_csv(problem)
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

    def _on_preset(self, preset: FunctionPreset) -> None:
        """A preset brings its learning rate (a surface's, its epochs too; the refresh follows
        from the page's ``edited``)."""
        tab = SURFACE_TAB if len(preset.variables) == 2 else FUNCTION_TAB
        self._lr_by_tab[tab] = preset.lr
        if tab == SURFACE_TAB:
            self._epochs_by_tab[tab] = preset.epochs
        if self.problemTabs.currentIndex() == tab:
            with self._batch():
                self.lrSpin.setValue(preset.lr)
                if tab == SURFACE_TAB:
                    self.epochsSpin.setValue(preset.epochs)

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

    def _show_race_mode(self) -> None:
        """Enable the fields the race uses; show the hyper-parameters of the optimizers in play."""
        mode = self.raceSetup.mode()
        own_rate = mode not in ("lr", LANES_MODE)  # (the lanes' each have their own)
        self.lrSpin.setEnabled(own_rate)
        self.lrSlider.setEnabled(own_rate)
        self.engineFields.optimizerCombo.setEnabled(mode not in ("optimizer", LANES_MODE))
        self.engineFields.optimizerFields.set_optimizers(
            self.raceSetup.raced_optimizers(self.engineFields.optimizer()))

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

    # ------------------------------------------------------------------------------------------
    # the configuration
    # ------------------------------------------------------------------------------------------

    def _build_config(self) -> RunConfig:
        common: dict[str, Any] = dict(
            lr=self.lr(),
            epochs=self.epochsSpin.value(),
            tol=float(self.tolSpin.value()),
            **self.engineFields.values(),
        )
        tab = self.problemTabs.currentIndex()
        if tab in (SURFACE_TAB, FUNCTION_TAB):
            page = self.surfaceTab if tab == SURFACE_TAB else self.functionTab
            function = page.problem()
            if function is None:
                raise InputError("")  # the expression's own message is already shown
            common.update({k: v for k, v in self._extra.items() if k not in _REGRESSION_ONLY})
            return RunConfig(problem=function, x0=page.start(), **common)
        common = {**self.regressionTab.regressionOptions.values(), **common}
        common.update(self._extra)
        problem = self.regressionTab.problem()
        if problem is None:
            raise InputError("")
        m0, c0 = self.regressionTab.start()
        return RunConfig(problem=problem, m0=m0, c0=c0, **common)

    def _fields_acceptable(self) -> bool:
        spins: list[ScientificSpinBox | IntegerSpinBox] = [self.lrSpin, self.tolSpin,
                                                           self.epochsSpin]
        page = self.problemTabs.currentWidget()
        if isinstance(page, (FunctionTab, SurfaceTab, RegressionTab)):
            spins += page.spins()
        return (all(spin.hasAcceptableInput() for spin in spins)
                and self.engineFields.is_acceptable() and self.raceSetup.is_acceptable())

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
            show_error(self.configError, str(err))
        else:
            self._config = config
            self._race = race
            show_error(self.configError, "")
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
        # every value a field would show, against that field's own range and checks: a value
        # a field cannot hold is refused here, before anything is changed
        for spin, value in self._field_values(config):
            why = spin.refusal(value)
            if why:
                return f"{why} (the file has {value!r})"
        return ""

    def _field_values(self, config: RunConfig) -> list[tuple[Any, Any]]:
        """(field, value) for every number :meth:`set_config` shows in a spin box."""
        problem = config.problem
        opt = self.engineFields.optimizerFields
        pairs: list[tuple[Any, Any]] = [
            (self.lrSpin, config.lr), (self.epochsSpin, config.epochs),
            (self.tolSpin, config.tol), (opt.momentumSpin, config.momentum),
            (opt.beta1Spin, config.beta1), (opt.beta2Spin, config.beta2),
            (opt.alphaSpin, config.alpha),
        ]
        start = [float(v) for v in config.start_params()]
        if isinstance(problem, RegressionProblem):
            tab = self.regressionTab
            options = tab.regressionOptions
            pairs += [(tab.m0Spin, start[0]), (tab.c0Spin, start[1]),
                      (options.batchSpin, config.batch_size),
                      (options.seedSpin, config.batch_seed)]
            spec = problem.synthetic_spec
            if spec is not None:
                pairs += [(tab.pointsSpin, spec.n), (tab.seedSpin, spec.seed),
                          (tab.noiseSpin, spec.noise)]
        elif problem.dim == 2:
            pairs += [(self.surfaceTab.x0Spin, start[0]), (self.surfaceTab.y0Spin, start[1])]
        else:
            pairs.append((self.functionTab.x0Spin, start[0]))
        return pairs

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
            if isinstance(problem, FunctionProblem):
                tab = SURFACE_TAB if problem.dim == 2 else FUNCTION_TAB
                page = self.surfaceTab if tab == SURFACE_TAB else self.functionTab
                self.problemTabs.setCurrentIndex(tab)
                page.show_problem(problem, [float(v) for v in config.start_params()])
            else:
                self.problemTabs.setCurrentIndex(REGRESSION_TAB)
                self.regressionTab.show_config(config)
            self.lrSpin.setValue(float(config.lr))  # type: ignore[arg-type]
            self.epochsSpin.setValue(config.epochs)
            self.engineFields.show_config(config)
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
        with self._batch():
            self.reset_explore_fields()
            self.surfaceTab.choose_preset(DEFAULT_SURFACE, emit=False)
            surface = self.surfaceTab.problem()
            if surface is not None:
                self._lr_by_tab[SURFACE_TAB] = surface.default_lr
                self._epochs_by_tab[SURFACE_TAB] = surface.default_epochs
            self._epochs_by_tab[REGRESSION_TAB] = 50
            self.regressionTab.reset()
            self._lr_by_tab[REGRESSION_TAB] = 1e-4
        self.set_config(RunConfig(problem=FunctionProblem.preset(DEFAULT_FUNCTION)), emit=emit)

