"""The control panel's "Engine" box: the engine (the hand-derived gradient or PyTorch's
autograd), the torch device, the precision, the optimizer and its hyper-parameters."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QWidget

from gdstudio.core import RunConfig
from gdstudio.core.descent.config import DTYPES
from gdstudio.core.descent.optimizers import OPTIMIZERS
from gdstudio.ui.panels.optimizer_fields import OptimizerFields

__all__ = ["EngineFields"]

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


class EngineFields(QGroupBox):
    """Engine, device, precision, optimizer and the optimizer's hyper-parameters."""

    #: A choice or a hyper-parameter changed.
    changed = Signal()
    #: Another optimizer was chosen (the race setup shows whose hyper-parameters are in play).
    optimizerChosen = Signal()
    #: A hyper-parameter's text became (un)acceptable.
    fieldProblemChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Engine", parent)
        self.setObjectName("engineFields")
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.engineCombo = self._combo("engineCombo", _ENGINE_LABELS)
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
        self.deviceCombo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        form.addRow("Device", self.deviceCombo)

        self.dtypeCombo = self._combo("dtypeCombo", {k: _DTYPE_LABELS.get(k, k) for k in DTYPES})
        self.dtypeCombo.setToolTip("Floating-point precision of the computation")
        self.dtypeCombo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        form.addRow("Precision", self.dtypeCombo)

        self.optimizerCombo = self._combo(
            "optimizerCombo", {k: _OPTIMIZER_LABELS.get(k, k) for k in OPTIMIZERS})
        self.optimizerCombo.setToolTip("Plain gradient descent is the source's update "
                                       "x ← x − r·f′(x); the others follow torch.optim")
        self.optimizerCombo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        form.addRow("Optimizer", self.optimizerCombo)
        self.optimizerFields = OptimizerFields(form, self)
        self.optimizerFields.changed.connect(self.changed.emit)
        self.optimizerFields.problemChanged.connect(self.fieldProblemChanged.emit)
        self.optimizerCombo.currentIndexChanged.connect(lambda _i: self.optimizerChosen.emit())

    @staticmethod
    def _combo(name: str, labels: dict[str, str]) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        for key, label in labels.items():
            combo.addItem(label, key)
        return combo

    # --- API ---------------------------------------------------------------------------------

    def optimizer(self) -> str:
        return str(self.optimizerCombo.currentData())

    def values(self) -> dict[str, Any]:
        """Keyword arguments for ``RunConfig``."""
        engine = self.engineCombo.currentData()
        return dict(
            engine=engine,
            device=self.deviceCombo.currentData() if engine == "torch" else "cpu",
            dtype=self.dtypeCombo.currentData(),
            optimizer=self.optimizerCombo.currentData(),
            **self.optimizerFields.values(),
        )

    def show_config(self, config: RunConfig) -> None:
        """Show ``config``'s engine, device, precision and optimizer (its hyper-parameters are
        shown by :meth:`show_hyper_parameters`)."""
        self.engineCombo.setCurrentIndex(max(0, self.engineCombo.findData(config.engine)))
        if self.deviceCombo.findData(config.device) < 0:
            self.deviceCombo.addItem(config.device, config.device)
        self.deviceCombo.setCurrentIndex(self.deviceCombo.findData(config.device))
        self.dtypeCombo.setCurrentIndex(max(0, self.dtypeCombo.findData(config.dtype)))
        self.optimizerCombo.setCurrentIndex(
            max(0, self.optimizerCombo.findData(config.optimizer)))

    def show_hyper_parameters(self, config: RunConfig) -> None:
        self.optimizerFields.set_values(config)

    def set_devices(self, devices: list[str]) -> None:
        """Offer these torch devices (``cpu`` first, always); keeps the current choice."""
        current = self.deviceCombo.currentData()
        names = ["cpu", *[d for d in devices if d != "cpu"]]
        blocked = self.deviceCombo.blockSignals(True)
        try:
            self.deviceCombo.clear()
            for name in names:
                self.deviceCombo.addItem(name, name)
            index = self.deviceCombo.findData(current)
            self.deviceCombo.setCurrentIndex(max(index, 0))
        finally:
            self.deviceCombo.blockSignals(blocked)
        self.deviceCombo.setToolTip(f"Where PyTorch computes: {', '.join(names)} on this machine")

    def is_acceptable(self) -> bool:
        return self.optimizerFields.is_acceptable()

    def _on_engine_changed(self, _index: int) -> None:
        self.deviceCombo.setEnabled(self.engineCombo.currentData() == "torch")
        self.changed.emit()
