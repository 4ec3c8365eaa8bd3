"""The "Regression" page of the control panel: the data (seeded synthetic points, or a CSV
file read by the window's data import) and the start (m₀, c₀), with the regression's options
(standardised x, mini-batches). The page does no mathematics: ``RegressionProblem`` builds and
checks the data, and its messages are shown under the fields."""

from __future__ import annotations

import html
import os
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from gdstudio.core import InputError, RegressionProblem, RunConfig
from gdstudio.core.data import DEFAULT_SYNTHETIC
from gdstudio.ui.model.formatting import column_label, number
from gdstudio.ui.panels.field_labels import error_label, field_error, note_label, show_error
from gdstudio.ui.panels.optimizer_fields import RegressionOptions
from gdstudio.ui.panels.widgets import IntegerSpinBox, ScientificSpinBox

__all__ = ["RegressionTab", "MAX_WINDOW_POINTS"]

#: Synthetic points the window offers (the core refuses, up front, what memory cannot hold).
MAX_WINDOW_POINTS = 10_000_000
_CSV_TIP = "The data loaded from a CSV file (Load CSV… first)"


class RegressionTab(QWidget):
    """The data and the start of y = m·x + c fitted by mean squared error."""

    #: The data, the start or an option changed (valid or not: ask :meth:`problem`).
    edited = Signal()
    #: A field's text became (un)acceptable.
    fieldProblemChanged = Signal(str)
    #: "Load CSV…" was pressed: the window's data import takes over (preview, background load).
    loadDataRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("regressionTab")
        self._quiet = False
        self._synthetic: RegressionProblem | None = None  # built when first asked for
        self._csv: RegressionProblem | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 4, 0, 0)

        self.syntheticRadio = QRadioButton("Synthetic data")
        self.syntheticRadio.setObjectName("syntheticRadio")
        self.syntheticRadio.setToolTip("Seeded points around y = 2.5·x + 10 with Gaussian noise")
        self.syntheticRadio.setChecked(True)
        self.csvRadio = QRadioButton("CSV file")
        self.csvRadio.setObjectName("csvRadio")
        self.csvRadio.setToolTip(_CSV_TIP)
        self.csvRadio.setEnabled(False)
        self._sources = QButtonGroup(self)
        self._sources.addButton(self.syntheticRadio)
        self._sources.addButton(self.csvRadio)
        self._sources.buttonToggled.connect(self._on_source_toggled)

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
            spin.problemChanged.connect(self.fieldProblemChanged.emit)
        synth.addRow("Points N", self.pointsSpin)
        self.pointsError = field_error(synth, self.pointsSpin, "pointsError")
        synth.addRow("Noise σ", self.noiseSpin)
        self.noiseError = field_error(synth, self.noiseSpin, "noiseError")
        synth.addRow("Seed", self.seedSpin)
        self.seedError = field_error(synth, self.seedSpin, "seedError")
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
        self.dataLabel = note_label("dataLabel")
        outer.addWidget(self.dataLabel)
        self.dataError = error_label("dataError")
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
            spin.valueChanged.connect(lambda _v: self._emit_edited())
            spin.problemChanged.connect(self.fieldProblemChanged.emit)
        start.addRow("Start m₀", self.m0Spin)
        self.m0Error = field_error(start, self.m0Spin, "m0Error")
        start.addRow("Start c₀", self.c0Spin)
        self.c0Error = field_error(start, self.c0Spin, "c0Error")
        self.regressionOptions = RegressionOptions(start, self)
        self.regressionOptions.changed.connect(self._emit_edited)
        self.regressionOptions.problemChanged.connect(self.fieldProblemChanged.emit)
        outer.addLayout(start)
        outer.addStretch(1)

    # --- API ---------------------------------------------------------------------------------

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """Changes inside ``with page.quiet():`` emit nothing."""
        was, self._quiet = self._quiet, True
        try:
            yield
        finally:
            self._quiet = was

    def problem(self) -> RegressionProblem | None:
        """The data in use (None, with the reason shown, when the fields make none)."""
        if self.csvRadio.isChecked() and self._csv is not None:
            show_error(self.dataError, "")
            self._describe(self._csv)
            return self._csv
        if self._synthetic is None:
            try:
                self._synthetic = RegressionProblem.synthetic(
                    self.pointsSpin.value(), self.seedSpin.value(), float(self.noiseSpin.value())
                )
            except InputError as err:
                show_error(self.dataError, str(err))
                return None
        show_error(self.dataError, "")
        self._describe(self._synthetic)
        return self._synthetic

    def start(self) -> tuple[float, float]:
        return float(self.m0Spin.value()), float(self.c0Spin.value())

    def set_start(self, m0: float, c0: float) -> None:
        """Move the start (one edit, one ``edited`` signal)."""
        with self.quiet():
            self.m0Spin.setValue(m0)
            self.c0Spin.setValue(c0)
        self._emit_edited()

    def spins(self) -> list[ScientificSpinBox | IntegerSpinBox]:
        """The fields whose text must be acceptable for the page to make a problem."""
        spins: list[ScientificSpinBox | IntegerSpinBox] = [
            self.m0Spin, self.c0Spin, *self.regressionOptions.spins()]
        if not self.csvRadio.isChecked():
            spins += [self.pointsSpin, self.noiseSpin, self.seedSpin]
        return spins

    def use_csv(self, problem: RegressionProblem) -> None:
        """Make ``problem`` (data read from a file) the data, and select it (silently)."""
        path = problem.source
        self._csv = problem
        with self.quiet():
            self.csvRadio.setEnabled(True)
            self.csvRadio.setText(f"CSV file: {os.path.basename(path)}")
            self.csvRadio.setToolTip(f"<p>{html.escape(path)}</p>")  # a path is not markup
            self.csvRadio.setChecked(True)

    def show_config(self, config: RunConfig) -> None:
        """Show ``config``'s data and start (silently; the options are the panel's to set)."""
        problem = config.problem
        assert isinstance(problem, RegressionProblem)
        spec = problem.synthetic_spec
        with self.quiet():
            if spec is not None:
                self.pointsSpin.setValue(spec.n)
                self.seedSpin.setValue(spec.seed)
                self.noiseSpin.setValue(spec.noise)
                self._synthetic = problem
                self.syntheticRadio.setChecked(True)
            else:
                self.use_csv(problem)
            m0, c0 = (float(v) for v in config.start_params())
            self.m0Spin.setValue(m0)
            self.c0Spin.setValue(c0)

    def reset(self) -> None:
        """The first launch's data and start: default synthetic points, no CSV, (0, 0)."""
        self._csv = None
        with self.quiet():
            self.pointsSpin.setValue(DEFAULT_SYNTHETIC.n)
            self.seedSpin.setValue(DEFAULT_SYNTHETIC.seed)
            self.noiseSpin.setValue(DEFAULT_SYNTHETIC.noise)
            self.syntheticRadio.setChecked(True)
            self.csvRadio.setEnabled(False)
            self.csvRadio.setText("CSV file")
            self.csvRadio.setToolTip(_CSV_TIP)
            self.m0Spin.setValue(0.0)
            self.c0Spin.setValue(0.0)
        self._synthetic = None

    # --- edits -------------------------------------------------------------------------------

    def _emit_edited(self) -> None:
        if not self._quiet:
            self.edited.emit()

    def _on_source_toggled(self, _button: object, on: bool) -> None:
        if on:  # (the other radio's toggle off is the same edit)
            self._emit_edited()

    def _on_synthetic_edited(self, _value: object = None) -> None:
        self._synthetic = None  # rebuilt from the fields by problem()
        with self.quiet():
            self.syntheticRadio.setChecked(True)
        self._emit_edited()

    def _describe(self, problem: RegressionProblem) -> None:
        """The data in a line (its columns named, when the file names them), then how the file
        was read: which columns, when it has more than two; the rows skipped."""
        x, y = problem.x, problem.y
        lines = [
            f"{problem.n:,} points · {column_label(problem.x_name, 'x')} from "
            f"{number(float(x.min()), 4)} to {number(float(x.max()), 4)} · "
            f"{column_label(problem.y_name, 'y')} from {number(float(y.min()), 4)} to "
            f"{number(float(y.max()), 4)}"
        ]
        reading = problem.reading
        if reading is not None and reading.n_columns > 2:
            lines.append(reading.columns_text())
        if reading is not None and reading.skipped:
            lines.append(reading.skipped_text()[:1].upper() + reading.skipped_text()[1:])
        self.dataLabel.setText("\n".join(lines))  # (plain text: it quotes the file)
