"""What the "Function f(x)" and "Surface f(x, y)" pages share: a preset, a typed expression
checked as you type (by the core's safe parser: its message is shown under the field), the
derivative SymPy finds (once it is ready, see :mod:`gdstudio.ui.threads.symbolic`), the preset's
lesson, and the start fields each page adds (:meth:`ExpressionTab._build_start`).

A page does no mathematics: ``FunctionProblem`` parses and differentiates.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QWidget

from gdstudio.core import FunctionProblem, InputError
from gdstudio.core.problems import FunctionPreset
from gdstudio.ui.model.formatting import pretty_math
from gdstudio.ui.panels.field_labels import error_label, note_label, show_error
from gdstudio.ui.panels.widgets import ScientificSpinBox
from gdstudio.ui.theme import set_text_colour
from gdstudio.ui.threads import symbolic

__all__ = ["ExpressionTab", "PageNames"]

_SYNTAX = ("in Python syntax: + - * / ** (or ^), numbers, pi, e and sin cos tan exp log sqrt "
           "abs tanh sinh cosh. Checked as you type.")


@dataclass(frozen=True)
class PageNames:
    """The object names and words of one page (tests and the window find widgets by name)."""

    page: str
    combo: str
    edit: str
    error: str
    derivative: str
    lesson: str
    custom: str  # the combo's last entry
    placeholder: str
    field: str  # the expression's label, "f(x) ="
    what: str  # "f(x)", in tooltips
    derivative_prefix: str  # "f′(x) ="
    derivative_tip: str
    combo_tip: str


class ExpressionTab(QWidget):
    """A preset or typed function of ``variables``, its derivative and the start."""

    #: The function or the start changed (valid or not: ask :meth:`problem`).
    edited = Signal()
    #: A preset was chosen: the panel takes its learning rate (and epochs, if it has them).
    presetChosen = Signal(object)
    #: A start field's text became (un)acceptable ("" when fine).
    fieldProblemChanged = Signal(str)

    def __init__(self, names: PageNames, presets: Mapping[str, FunctionPreset],
                 variables: Sequence[str] | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(names.page)
        self._names = names
        self._presets = presets
        self._variables = tuple(variables) if variables is not None else None
        self._problem: FunctionProblem | None = None
        self._quiet = False
        self._derivatives = symbolic.Latest(self, "gdstudioDerivative")
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.combo = QComboBox()
        self.combo.setObjectName(names.combo)
        for key, preset in presets.items():
            self.combo.addItem(preset.title, key)
        self.combo.addItem(names.custom, None)
        self.combo.setToolTip(names.combo_tip)
        self.combo.activated.connect(self._on_preset_chosen)
        form.addRow("Example", self.combo)

        self.edit = QLineEdit()
        self.edit.setObjectName(names.edit)
        self.edit.setPlaceholderText(names.placeholder)
        self.edit.setClearButtonEnabled(True)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(max(self.font().pointSizeF(), 1.0))
        self.edit.setFont(mono)
        self.edit.setToolTip(f"{names.what} {_SYNTAX}")
        self.edit.textChanged.connect(self._on_expression_edited)
        form.addRow(names.field, self.edit)
        self.error = error_label(names.error)
        form.addRow(self.error)
        self.derivative = note_label(names.derivative)
        self.derivative.setToolTip(names.derivative_tip)
        form.addRow(self.derivative)
        self._build_start(form)
        self.lesson = note_label(names.lesson)
        set_text_colour(self.lesson, "#5f6368", "font-style: italic;")
        form.addRow(self.lesson)

    # --- what a page adds --------------------------------------------------------------------

    def _build_start(self, form: QFormLayout) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def spins(self) -> list[ScientificSpinBox]:  # pragma: no cover - overridden
        raise NotImplementedError

    def _show_start(self, start: tuple[float, ...]) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _tidy(self, derivative: str) -> str:
        """The derivative's text as this page shows it."""
        return derivative

    # --- API ---------------------------------------------------------------------------------

    def problem(self) -> FunctionProblem | None:
        """The parsed function, or None while the text is not acceptable."""
        return self._problem

    def set_start(self, *values: float) -> None:
        """Move the start (one edit, one ``edited`` signal)."""
        with self.quiet():
            self._show_start(tuple(float(v) for v in values))
        self._emit_edited()

    def show_problem(self, problem: FunctionProblem, start: Sequence[float]) -> None:
        """Show this very problem (its preset key and range kept) and start, silently."""
        with self.quiet():
            self.edit.setText(problem.text)
            self._show_start(tuple(float(v) for v in start))
        self._problem = problem

    def choose_preset(self, key: str, *, emit: bool = True) -> None:
        """Select a preset (as if chosen in the combo); ``KeyError`` for an unknown one."""
        index = self.combo.findData(key)
        if index < 0:
            raise KeyError(key)
        self.combo.setCurrentIndex(index)
        self._apply_preset(self._presets[key], emit=emit)

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """Changes inside ``with page.quiet():`` emit nothing."""
        was, self._quiet = self._quiet, True
        try:
            yield
        finally:
            self._quiet = was

    # --- edits -------------------------------------------------------------------------------

    def _emit_edited(self) -> None:
        if not self._quiet:
            self.edited.emit()

    def _on_preset_chosen(self, index: int) -> None:
        key = self.combo.itemData(index)
        if key is None:  # "Custom": keep what is typed, let the person edit it
            self.edit.setFocus()
            self.edit.selectAll()
            return
        self._apply_preset(self._presets[key], emit=True)

    def _apply_preset(self, preset: FunctionPreset, *, emit: bool) -> None:
        with self.quiet():
            self.edit.setText(preset.expr)
            x0 = preset.x0
            self._show_start(tuple(x0) if isinstance(x0, tuple) else (float(x0),))
        if emit:
            self.presetChosen.emit(preset)
            self.edited.emit()

    def _on_expression_edited(self, text: str) -> None:
        try:
            problem = FunctionProblem(text, variables=self._variables)
        except InputError as err:
            self._problem = None
            self._derivatives.cancel()
            show_error(self.error, str(err))
            self.derivative.hide()
            self.lesson.hide()
        else:
            self._problem = problem
            show_error(self.error, "")
            self.derivative.setText(f"{self._names.derivative_prefix} {symbolic.PLACEHOLDER}")
            self._derivatives.request(lambda: problem.expression.derivative_text,
                                      lambda text: self._show_derivative(problem, text))
            self.derivative.show()
            self.lesson.setText(problem.lesson)
            self.lesson.setVisible(bool(problem.lesson))
            index = self.combo.findData(problem.preset_key)
            self.combo.setCurrentIndex(index if index >= 0 else self.combo.count() - 1)
        self._emit_edited()

    def _show_derivative(self, problem: FunctionProblem, derivative: object) -> None:
        """The derivative under the expression, worked out off the GUI thread (SymPy, after
        start-up; bounded in size by the core): ``derivative`` is its text or the error."""
        shown = self._problem
        if shown is None or (shown.text, shown.variables) != (problem.text, problem.variables):
            return  # the expression has changed (or is invalid) since
        if isinstance(derivative, str):
            text = self._tidy(pretty_math(derivative))
        elif isinstance(derivative, InputError):  # too complex (SymPy past its time bound)
            text = f"({derivative})"
        else:  # a help text: never break the panel
            text = f"(not available: {type(derivative).__name__})"
        self.derivative.setText(f"{self._names.derivative_prefix} {text}")
