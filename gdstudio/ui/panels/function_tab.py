"""The "Function f(x)" page of the control panel: a preset or typed f(x), f′(x) as SymPy
finds it, and the start x₀. What it shares with the f(x, y) page is in :mod:`.expression_tab`.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QWidget

from gdstudio.core import FUNCTION_PRESETS
from gdstudio.ui.panels.expression_tab import ExpressionTab, PageNames
from gdstudio.ui.panels.field_labels import error_label, show_error
from gdstudio.ui.panels.widgets import ScientificSpinBox

__all__ = ["FunctionTab", "DEFAULT_FUNCTION"]

DEFAULT_FUNCTION = "quadratic"

_NAMES = PageNames(
    page="functionTab", combo="functionCombo", edit="expressionEdit", error="expressionError",
    derivative="derivativeLabel", lesson="lessonLabel", custom="Custom expression",
    placeholder="x**2 - 4*x + 5", field="f(x) =", what="f(x)", derivative_prefix="f′(x) =",
    derivative_tip="The derivative SymPy finds for your f(x): the manual engine's gradient",
    combo_tip="Ready-made functions, each with a start and a learning rate that teach "
              "something; or type your own f(x) below",
)


class FunctionTab(ExpressionTab):
    """f(x), a preset or typed, and the start x₀."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(_NAMES, FUNCTION_PRESETS, None, parent)
        self.functionCombo, self.expressionEdit = self.combo, self.edit
        self.expressionError, self.derivativeLabel = self.error, self.derivative
        self.lessonLabel = self.lesson

    def _build_start(self, form: QFormLayout) -> None:
        self.x0Spin = ScientificSpinBox(minimum=-1e9, maximum=1e9, what="start x₀")
        self.x0Spin.setObjectName("x0Spin")
        self.x0Spin.setSingleStep(0.5)
        self.x0Spin.setToolTip("Where descent starts: the initial guess x₀ (scientific notation "
                               "accepted)")
        self.x0Spin.valueChanged.connect(lambda _v: self._emit_edited())
        self.x0Spin.problemChanged.connect(self.fieldProblemChanged.emit)
        form.addRow("Start x₀", self.x0Spin)
        self.x0Error = error_label("x0Error")
        self.x0Spin.problemChanged.connect(lambda m: show_error(self.x0Error, m))
        form.addRow(self.x0Error)

    def start(self) -> float:
        return float(self.x0Spin.value())

    def spins(self) -> list[ScientificSpinBox]:
        return [self.x0Spin]

    def _show_start(self, start: tuple[float, ...]) -> None:
        self.x0Spin.setValue(start[0])
