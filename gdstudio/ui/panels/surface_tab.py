"""The "Surface f(x, y)" page of the control panel: a function of two variables and a start.

Presets (Rosenbrock, Himmelblau, a saddle, an elongated bowl, Beale) come from the core's
``SURFACE_PRESETS``; a typed f(x, y) goes through the same safe parser as f(x) (checked as you
type, ∇f shown). The page does no mathematics: ``FunctionProblem`` parses and differentiates,
and its messages are shown beside the field.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QWidget

from gdstudio.core import FunctionProblem, InputError
from gdstudio.core.problems import SURFACE_PRESETS, FunctionPreset
from gdstudio.ui.model.formatting import pretty_math
from gdstudio.ui.panels.widgets import ScientificSpinBox
from gdstudio.ui.threads import symbolic

__all__ = ["SurfaceTab", "DEFAULT_SURFACE"]

DEFAULT_SURFACE = "rosenbrock"


def _error_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet("color: #c62828;")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


class SurfaceTab(QWidget):
    """f(x, y), a preset or typed, and the start (x₀, y₀)."""

    #: The function or the start changed (valid or not: ask :meth:`problem`).
    edited = Signal()
    #: A preset was chosen: the panel takes its learning rate and epochs.
    presetChosen = Signal(object)
    #: A start field's text became (un)acceptable ("" when fine).
    fieldProblemChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("surfaceTab")
        self._problem: FunctionProblem | None = None
        self._quiet = False
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        combo = QComboBox()
        combo.setObjectName("surfaceCombo")
        for key, preset in SURFACE_PRESETS.items():
            combo.addItem(preset.title, key)
        combo.addItem("Custom f(x, y)", None)
        combo.setToolTip("Landscapes where the learning rate meets a Hessian: each preset comes "
                         "with a start, a learning rate and a number of epochs")
        combo.activated.connect(self._on_preset_chosen)
        self.surfaceCombo = combo
        form.addRow("Example", combo)

        edit = QLineEdit()
        edit.setObjectName("surfaceEdit")
        edit.setPlaceholderText("x**2 + 10*y**2")
        edit.setClearButtonEnabled(True)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(max(self.font().pointSizeF(), 1.0))
        edit.setFont(mono)
        edit.setToolTip("f(x, y) in Python syntax: + - * / ** (or ^), numbers, pi, e and sin cos "
                        "tan exp log sqrt abs tanh sinh cosh. Checked as you type.")
        edit.textChanged.connect(self._on_expression_edited)
        self.surfaceEdit = edit
        form.addRow("f(x, y) =", edit)
        self.surfaceError = _error_label("surfaceError")
        form.addRow(self.surfaceError)
        self.gradientLabel = QLabel()
        self.gradientLabel.setObjectName("gradientLabel")
        self.gradientLabel.setWordWrap(True)
        self.gradientLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.gradientLabel.setToolTip("The gradient SymPy finds for your f(x, y): the manual "
                                      "engine's update direction")
        form.addRow(self.gradientLabel)

        self.x0Spin = self._start_spin("surfaceX0Spin", "start x₀")
        self.y0Spin = self._start_spin("surfaceY0Spin", "start y₀")
        row = QHBoxLayout()
        row.addWidget(QLabel("x₀"))
        row.addWidget(self.x0Spin, 1)
        row.addWidget(QLabel("y₀"))
        row.addWidget(self.y0Spin, 1)
        form.addRow("Start", row)
        self.startError = _error_label("surfaceStartError")
        form.addRow(self.startError)
        self.lessonLabel = QLabel()
        self.lessonLabel.setObjectName("surfaceLessonLabel")
        self.lessonLabel.setWordWrap(True)
        self.lessonLabel.setStyleSheet("color: #5f6368; font-style: italic;")
        form.addRow(self.lessonLabel)
        self.choose_preset(DEFAULT_SURFACE, emit=False)

    def _start_spin(self, name: str, what: str) -> ScientificSpinBox:
        spin = ScientificSpinBox(minimum=-1e9, maximum=1e9, what=what)
        spin.setObjectName(name)
        spin.setSingleStep(0.1)
        spin.setToolTip(f"Where descent starts ({what}); or click the contour plot")
        spin.valueChanged.connect(lambda _v: self._emit_edited())
        spin.problemChanged.connect(self._on_field_problem)
        return spin

    # --- API ---------------------------------------------------------------------------------

    def problem(self) -> FunctionProblem | None:
        """The parsed f(x, y), or None while the text is not acceptable."""
        return self._problem

    def start(self) -> tuple[float, float]:
        return float(self.x0Spin.value()), float(self.y0Spin.value())

    def set_start(self, x: float, y: float) -> None:
        """Move the start (one edit, one ``edited`` signal)."""
        self._quiet = True
        try:
            self.x0Spin.setValue(x)
            self.y0Spin.setValue(y)
        finally:
            self._quiet = False
        self._emit_edited()

    def spins(self) -> list[ScientificSpinBox]:
        return [self.x0Spin, self.y0Spin]

    def choose_preset(self, key: str, *, emit: bool = True) -> None:
        index = self.surfaceCombo.findData(key)
        if index < 0:
            raise KeyError(key)
        self.surfaceCombo.setCurrentIndex(index)
        self._apply_preset(SURFACE_PRESETS[key], emit=emit)

    # --- edits -------------------------------------------------------------------------------

    def _emit_edited(self) -> None:
        if not self._quiet:
            self.edited.emit()

    def _on_preset_chosen(self, index: int) -> None:
        key = self.surfaceCombo.itemData(index)
        if key is None:
            self.surfaceEdit.setFocus()
            self.surfaceEdit.selectAll()
            return
        self._apply_preset(SURFACE_PRESETS[key], emit=True)

    def _apply_preset(self, preset: FunctionPreset, *, emit: bool) -> None:
        self._quiet = True
        try:
            self.surfaceEdit.setText(preset.expr)
            x0, y0 = preset.x0  # type: ignore[misc]
            self.x0Spin.setValue(x0)
            self.y0Spin.setValue(y0)
        finally:
            self._quiet = False
        if emit:
            self.presetChosen.emit(preset)
            self.edited.emit()

    def _on_expression_edited(self, text: str) -> None:
        try:
            problem = FunctionProblem(text, variables=("x", "y"))
        except InputError as err:
            self._problem = None
            self.surfaceError.setText(str(err))
            self.surfaceError.show()
            self.gradientLabel.hide()
            self.lessonLabel.hide()
        else:
            self._problem = problem
            self.surfaceError.hide()
            self.gradientLabel.setText(f"∇f = {symbolic.PLACEHOLDER}")
            symbolic.call_when_ready(self, self._show_gradient)
            self.gradientLabel.show()
            self.lessonLabel.setText(problem.lesson)
            self.lessonLabel.setVisible(bool(problem.lesson))
            index = self.surfaceCombo.findData(problem.preset_key)
            custom = self.surfaceCombo.count() - 1
            self.surfaceCombo.setCurrentIndex(index if index >= 0 else custom)
        self._emit_edited()

    def _show_gradient(self) -> None:
        """∇f under the expression (SymPy; after start-up, see :mod:`.symbolic`)."""
        problem = self._problem
        if problem is None:
            return  # the expression is invalid now
        try:
            gradient = pretty_math(problem.expression.derivative_text)
        except Exception as err:  # noqa: BLE001 - a help text; never break the panel
            gradient = f"(not available: {type(err).__name__})"
        gradient = gradient.replace("(-", "(−").replace(", -", ", −")
        self.gradientLabel.setText(f"∇f = {gradient}")

    def _on_field_problem(self, _message: str) -> None:
        why = next((s.problem for s in self.spins() if s.problem), "")
        self.startError.setText(why)
        self.startError.setVisible(bool(why))
        self.fieldProblemChanged.emit(why)
