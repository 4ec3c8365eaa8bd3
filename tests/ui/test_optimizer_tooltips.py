"""The window's optimizer tooltips state the defaults truly (issue 13, family 8)."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QWidget

from gdstudio.ui.panels.optimizer_fields import OptimizerFields


def test_tooltips_say_which_defaults_are_torchs(qtbot):
    host = QWidget()
    qtbot.addWidget(host)
    fields = OptimizerFields(QFormLayout(host), host)
    assert fields.momentumSpin.value() == 0.9
    tip = fields.momentumSpin.toolTip()
    assert "0.9" in tip and "torch.optim.SGD's 0" in tip
    assert "default 0.999" in fields.beta2Spin.toolTip()
    assert "default 0.99" in fields.alphaSpin.toolTip()
