"""Fields the control panel adds for the finer settings of a run.

* :class:`OptimizerFields`: the optimizers' hyper-parameters (momentum μ, Adam's β₁ and β₂,
  RMSprop's α, ε), each row shown only while an optimizer that uses it is chosen (or racing).
* :func:`make_tol_spin`: the stop rule's tolerance, |gradient| ≤ tol.
* :class:`RegressionOptions`: feature scaling (standardised x) and mini-batch SGD (batch size,
  seed) for a regression.

Like the rest of the panel they only translate: the core's ``RunConfig`` and
``OptimizerSettings`` validate the values, and their messages are shown beside the field.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QLineEdit, QWidget

from gdstudio.core.descent.config import HYPER_PARAMETERS
from gdstudio.core.descent.optimizers import DEFAULT_EPS
from gdstudio.core.race.lanes import DEFAULT_REPORT_TOL
from gdstudio.ui.panels.field_labels import error_label
from gdstudio.ui.panels.widgets import IntegerSpinBox, ScientificSpinBox

__all__ = ["OptimizerFields", "RegressionOptions", "make_tol_spin", "USES", "FIELD_NAMES"]

#: Which optimizers use each hyper-parameter (the core's table of RunConfig's fields).
USES = HYPER_PARAMETERS
#: The eps placeholder's words: torch's defaults (1e-8, not 1e-08).
_DEFAULT_EPS = {name: f"{eps:g}".replace("e-0", "e-") for name, eps in DEFAULT_EPS.items()}
#: The RunConfig fields these widgets hold.
FIELD_NAMES = frozenset(("tol", "momentum", "beta1", "beta2", "alpha", "eps", "scale_x",
                         "batch_size", "batch_seed"))


def _in_unit_interval(what: str):  # noqa: ANN202 - a validator for ScientificSpinBox
    def check(value: float) -> None:
        if not 0.0 <= value < 1.0:
            raise ValueError(f"{what} must be in [0, 1), got {value:g}")

    return check


def make_tol_spin() -> ScientificSpinBox:
    """The stop rule's tolerance: stop when |gradient| ≤ tol (0: run every epoch).

    The window's default is 10⁻⁶, the tolerance a race's summary counts epochs to
    (:data:`~gdstudio.core.race.lanes.DEFAULT_REPORT_TOL`): one default, so that a run that
    gets there says "converged" in the status and in the race table alike. With 0, a converging
    run stalls one rounding step from its minimum (r·f′(x) below the spacing of floats) and
    ends at the epoch limit: the source's loop, and ``gdstudio run``'s default."""
    spin = ScientificSpinBox(minimum=0.0, maximum=1e12, what="tolerance")
    spin.setObjectName("tolSpin")
    spin.setValue(DEFAULT_REPORT_TOL)
    spin.setSingleStep(1e-6)
    spin.setToolTip("Stop when |gradient| ≤ tol: the run is then 'converged'. 10⁻⁶ by default, "
                    "the tolerance a race's summary counts epochs to; 0 runs every epoch (as "
                    "the source's loop and gdstudio run do), and a converging run then stalls "
                    "one rounding step from its minimum until the epoch limit.")
    return spin


class OptimizerFields(QObject):
    """The hyper-parameter rows, installed into the engine group's form layout."""

    #: A value changed (and is acceptable): the run must start again.
    changed = Signal()
    #: A field's text became (un)acceptable; carries the message ("" when fine).
    problemChanged = Signal(str)

    def __init__(self, form: QFormLayout, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._form = form
        self.momentumSpin = self._spin("momentumSpin", "momentum μ", 0.9,
                                       "Momentum μ: how much of the previous step is kept "
                                       "(v ← μ·v + g; torch.optim.SGD's momentum). Default "
                                       "0.9, not torch.optim.SGD's 0, which is plain descent")
        self.beta1Spin = self._spin("beta1Spin", "β₁", 0.9,
                                    "Adam's β₁: decay of the running mean of the gradient "
                                    "(torch.optim.Adam's default 0.9)")
        self.beta2Spin = self._spin("beta2Spin", "β₂", 0.999,
                                    "Adam's β₂: decay of the running mean of the squared gradient "
                                    "(torch.optim.Adam's default 0.999)")
        self.alphaSpin = self._spin("alphaSpin", "α", 0.99,
                                    "RMSprop's α: decay of the running mean of the squared "
                                    "gradient (torch.optim.RMSprop's default 0.99)")
        self.epsEdit = QLineEdit()
        self.epsEdit.setObjectName("epsEdit")
        self.epsEdit.setClearButtonEnabled(True)
        self.epsEdit.setToolTip("ε added to the denominator (Adam, RMSprop, Adagrad); empty: "
                                "torch.optim's default")
        self.epsEdit.textChanged.connect(self._on_eps_edited)
        self.epsError = error_label("epsError")
        self._eps_problem = ""
        self._rows: dict[str, QWidget] = {
            "momentum": self.momentumSpin,
            "beta1": self.beta1Spin,
            "beta2": self.beta2Spin,
            "alpha": self.alphaSpin,
            "eps": self.epsEdit,
        }
        labels = {"momentum": "Momentum μ", "beta1": "β₁", "beta2": "β₂", "alpha": "α",
                  "eps": "ε"}
        #: A message row under each hyper-parameter's field (shown while its text is bad).
        self.errors: dict[str, QLabel] = {"eps": self.epsError}
        for key, widget in self._rows.items():
            form.addRow(labels[key], widget)
            if isinstance(widget, ScientificSpinBox):
                label = error_label(f"{key}Error")
                widget.problemChanged.connect(lambda m, k=key: self._show_problem(k, m))
                self.errors[key] = label
                form.addRow(label)
        form.addRow(self.epsError)
        self.set_optimizers(["gd"])

    def _spin(self, name: str, what: str, value: float, tip: str) -> ScientificSpinBox:
        spin = ScientificSpinBox(minimum=0.0, maximum=1.0, what=what,
                                 check=_in_unit_interval(what))
        spin.setObjectName(name)
        spin.setValue(value)
        spin.setSingleStep(0.01)
        spin.setToolTip(tip)
        spin.valueChanged.connect(lambda _v: self.changed.emit())
        spin.problemChanged.connect(self.problemChanged)
        return spin

    # --- values ------------------------------------------------------------------------------

    def eps(self) -> float | None:
        """ε as typed, or None for the optimizer's default (also while the text is bad)."""
        text = self.epsEdit.text().strip().replace("−", "-")
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            return None
        return value if math.isfinite(value) and value > 0 else None

    def values(self) -> dict[str, float | None]:
        """Keyword arguments for ``RunConfig``."""
        return {
            "momentum": float(self.momentumSpin.value()),
            "beta1": float(self.beta1Spin.value()),
            "beta2": float(self.beta2Spin.value()),
            "alpha": float(self.alphaSpin.value()),
            "eps": self.eps(),
        }

    def set_values(self, config: object) -> None:
        """Show a configuration's hyper-parameters (a session, a remembered setup)."""
        self.momentumSpin.setValue(float(config.momentum))  # type: ignore[attr-defined]
        self.beta1Spin.setValue(float(config.beta1))  # type: ignore[attr-defined]
        self.beta2Spin.setValue(float(config.beta2))  # type: ignore[attr-defined]
        self.alphaSpin.setValue(float(config.alpha))  # type: ignore[attr-defined]
        eps = config.eps  # type: ignore[attr-defined]
        self.epsEdit.setText("" if eps is None else repr(float(eps)))

    def is_acceptable(self) -> bool:
        spins = (self.momentumSpin, self.beta1Spin, self.beta2Spin, self.alphaSpin)
        return all(s.hasAcceptableInput() for s in spins) and not self._eps_problem

    def _show_problem(self, key: str, message: str) -> None:
        label = self.errors[key]
        label.setText(message)
        label.setVisible(bool(message) and self._form.isRowVisible(self._rows[key]))

    def set_optimizers(self, names: Iterable[str]) -> None:
        """Show the rows the optimizers ``names`` use (several while racing them)."""
        chosen = set(names)
        for key, widget in self._rows.items():
            self._form.setRowVisible(widget, bool(chosen & set(USES[key])))
            if isinstance(widget, ScientificSpinBox):
                self._show_problem(key, widget.problem)
        defaults = sorted({_DEFAULT_EPS[n] for n in chosen if n in _DEFAULT_EPS})
        self.epsEdit.setPlaceholderText(f"default ({', '.join(defaults)})" if defaults
                                        else "default")
        if not chosen & set(USES["eps"]):
            self.epsError.hide()
        elif self._eps_problem:
            self.epsError.show()

    def _on_eps_edited(self, text: str) -> None:
        stripped = text.strip().replace("−", "-")
        problem = ""
        if stripped:
            try:
                value = float(stripped)
            except ValueError:
                problem = f"ε: {stripped!r} is not a number (write 1e-8)"
            else:
                if not (math.isfinite(value) and value > 0):
                    problem = "ε must be a finite number > 0"
        self._eps_problem = problem
        self.epsError.setText(problem)
        self.epsError.setVisible(bool(problem))
        self.problemChanged.emit(problem)
        if not problem:
            self.changed.emit()


class RegressionOptions(QObject):
    """Feature scaling and mini-batches, installed into the regression tab's form layout."""

    changed = Signal()
    #: A field's text became (un)acceptable; carries the message ("" when fine).
    problemChanged = Signal(str)

    def __init__(self, form: QFormLayout, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.scaleCheck = QCheckBox("Standardise x")
        self.scaleCheck.setObjectName("scaleXCheck")
        self.scaleCheck.setToolTip(
            "Feature scaling: descend on x′ = (x − x̄)/s, where the loss is a round bowl, and "
            "report m and c in the original units. Compare how fast c moves with and without.")
        self.scaleCheck.toggled.connect(lambda _on: self.changed.emit())
        self.batchSpin = IntegerSpinBox(minimum=0, maximum=10_000_000, what="batch size",
                                        special_text="full batch")
        self.batchSpin.setObjectName("batchSizeSpin")
        self.batchSpin.setToolTip("Mini-batch SGD: points per update (one epoch is one shuffled "
                                  "pass over the data); 'full batch' is the source's descent")
        self.batchSpin.valueChanged.connect(self._on_batch_changed)
        self.seedSpin = IntegerSpinBox(minimum=0, maximum=2_147_483_647, what="batch seed",
                                       grouped=False)
        self.seedSpin.setObjectName("batchSeedSpin")
        self.seedSpin.setToolTip("Seed of the shuffling: the same seed gives the same batches")
        self.seedSpin.setEnabled(False)
        self.seedSpin.valueChanged.connect(lambda _v: self.changed.emit())
        self.batchError = error_label("batchSizeError")
        self.batchSeedError = error_label("batchSeedError")
        form.addRow("Scaling", self.scaleCheck)
        form.addRow("Mini-batch", self.batchSpin)
        form.addRow(self.batchError)
        form.addRow("Batch seed", self.seedSpin)
        form.addRow(self.batchSeedError)
        for spin, label in ((self.batchSpin, self.batchError),
                            (self.seedSpin, self.batchSeedError)):
            spin.problemChanged.connect(lambda m, lb=label: self._show_problem(lb, m))
            spin.problemChanged.connect(self.problemChanged)

    @staticmethod
    def _show_problem(label: QLabel, message: str) -> None:
        label.setText(message)
        label.setVisible(bool(message))

    def spins(self) -> list[IntegerSpinBox]:
        """The fields whose text must be acceptable before a run."""
        return [self.batchSpin, self.seedSpin]

    def _on_batch_changed(self, value: int) -> None:
        self.seedSpin.setEnabled(value > 0)
        self.changed.emit()

    def set_values(self, config: object) -> None:
        """Show a configuration's scaling and mini-batch settings."""
        self.scaleCheck.setChecked(bool(config.scale_x))  # type: ignore[attr-defined]
        self.batchSpin.setValue(int(config.batch_size))  # type: ignore[attr-defined]
        self.seedSpin.setValue(int(config.batch_seed))  # type: ignore[attr-defined]

    def values(self) -> dict[str, object]:
        """Keyword arguments for ``RunConfig``."""
        batch = int(self.batchSpin.value())
        return {
            "scale_x": self.scaleCheck.isChecked(),
            "batch_size": batch,
            "batch_seed": int(self.seedSpin.value()) if batch else 0,
        }
