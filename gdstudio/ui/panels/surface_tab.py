"""The "Surface f(x, y)" page of the control panel: a function of two variables and a start.

Presets (Rosenbrock, Himmelblau, a saddle, an elongated bowl, Beale) come from the core's
``SURFACE_PRESETS``; a typed f(x, y) goes through the same safe parser as f(x) (checked as you
type, ∇f shown). What it shares with the f(x) page is in :mod:`.expression_tab`.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QWidget

from gdstudio.core.problems import SURFACE_PRESETS
from gdstudio.ui.panels.expression_tab import ExpressionTab, PageNames
from gdstudio.ui.panels.field_labels import error_label, show_error
from gdstudio.ui.panels.widgets import ScientificSpinBox

__all__ = ["SurfaceTab", "DEFAULT_SURFACE"]

DEFAULT_SURFACE = "rosenbrock"

_NAMES = PageNames(
    page="surfaceTab", combo="surfaceCombo", edit="surfaceEdit", error="surfaceError",
    derivative="gradientLabel", lesson="surfaceLessonLabel", custom="Custom f(x, y)",
    placeholder="x**2 + 10*y**2", field="f(x, y) =", what="f(x, y)", derivative_prefix="∇f =",
    derivative_tip="The gradient SymPy finds for your f(x, y): the manual engine's update "
                   "direction",
    combo_tip="Landscapes where the learning rate meets a Hessian: each preset comes with a "
              "start, a learning rate and a number of epochs",
)


class SurfaceTab(ExpressionTab):
    """f(x, y), a preset or typed, and the start (x₀, y₀)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(_NAMES, SURFACE_PRESETS, ("x", "y"), parent)
        self.surfaceCombo, self.surfaceEdit = self.combo, self.edit
        self.surfaceError, self.gradientLabel = self.error, self.derivative
        self.lessonLabel = self.lesson
        self.choose_preset(DEFAULT_SURFACE, emit=False)

    def _build_start(self, form: QFormLayout) -> None:
        self.x0Spin = self._start_spin("surfaceX0Spin", "start x₀")
        self.y0Spin = self._start_spin("surfaceY0Spin", "start y₀")
        # one row each, as the function's "Start x₀": side by side they made the Setup panel
        # 515 px wide at Huge text, and the window wider than a 1024-pixel projector
        form.addRow("Start x₀", self.x0Spin)
        form.addRow("Start y₀", self.y0Spin)
        self.startError = error_label("surfaceStartError")
        form.addRow(self.startError)

    def _start_spin(self, name: str, what: str) -> ScientificSpinBox:
        spin = ScientificSpinBox(minimum=-1e9, maximum=1e9, what=what)
        spin.setObjectName(name)
        spin.setSingleStep(0.1)
        spin.setToolTip(f"Where descent starts ({what}); or click the contour plot")
        spin.valueChanged.connect(lambda _v: self._emit_edited())
        spin.problemChanged.connect(self._on_field_problem)
        return spin

    def start(self) -> tuple[float, float]:
        return float(self.x0Spin.value()), float(self.y0Spin.value())

    def spins(self) -> list[ScientificSpinBox]:
        return [self.x0Spin, self.y0Spin]

    def _show_start(self, start: tuple[float, ...]) -> None:
        self.x0Spin.setValue(start[0])
        self.y0Spin.setValue(start[1])

    def _tidy(self, derivative: str) -> str:
        return derivative.replace("(-", "(−").replace(", -", ", −")

    def _on_field_problem(self, _message: str) -> None:
        why = next((s.problem for s in self.spins() if s.problem), "")
        show_error(self.startError, why)
        self.fieldProblemChanged.emit(why)
