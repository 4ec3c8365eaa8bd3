"""The control panel on its own: what is typed becomes a RunConfig, or a message."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QValidator

from gdstudio.core import RegressionProblem
from gdstudio.ui.panels.control_panel import FUNCTION_TAB, REGRESSION_TAB, SPEEDS, ControlPanel
from gdstudio.ui.panels.widgets import IntegerSpinBox, ScientificSpinBox, log_grid


@pytest.fixture
def panel(qtbot):
    p = ControlPanel()
    qtbot.addWidget(p)
    return p


@pytest.mark.parametrize(
    "text, value",
    [("1e-4", 1e-4), ("2.5E-3", 2.5e-3), ("0.1", 0.1), (" 3 ", 3.0), ("−0.5", -0.5),
     ("1e-07", 1e-7), ("0.30000000000000004", 0.30000000000000004)],
)
def test_scientific_spin_box_reads_what_is_typed(qtbot, text, value):
    spin = ScientificSpinBox(minimum=-10, maximum=10)
    qtbot.addWidget(spin)
    spin.lineEdit().setText(text)
    assert spin.hasAcceptableInput()
    spin.interpretText()
    assert spin.value() == value  # every digit kept, not rounded to a few decimals


def test_scientific_spin_box_explains_what_it_refuses(qtbot):
    from gdstudio.core.descent.config import check_learning_rate

    spin = ScientificSpinBox(minimum=1e-7, maximum=10, what="learning rate",
                             check=check_learning_rate, logarithmic=True)
    qtbot.addWidget(spin)
    # Letters can be typed (a refused keystroke would vanish without a word): they are
    # explained like any other bad text.
    for text, why in [("1e-", "not a number"), ("-0.1", "must be > 0"),
                      ("100", "at most 10"), ("", "enter the learning rate"),
                      ("abc", "not a number"), ("nan", "finite")]:
        # (the Qt form: the state, with the text and the cursor position as they were)
        assert spin.validate(text, 0) == (QValidator.State.Intermediate, text, 0)
        with qtbot.waitSignal(spin.problemChanged) as blocker:
            spin.lineEdit().setText(text)
        assert why in blocker.args[0], (text, blocker.args[0])
        assert not spin.hasAcceptableInput()
    spin.lineEdit().setText("0.01")
    assert spin.problem == ""
    assert spin.validate("0.01", 2) == (QValidator.State.Acceptable, "0.01", 2)
    assert spin.hasAcceptableInput()


def test_integer_spin_box_validates_in_qt_form(qtbot):
    # validate answers as Qt's own spin boxes do (state, text, position), and Qt reads it so
    spin = IntegerSpinBox(minimum=1, maximum=1000, what="number of epochs")
    qtbot.addWidget(spin)
    assert spin.validate("12", 1) == (QValidator.State.Acceptable, "12", 1)
    assert spin.validate("abc", 0) == (QValidator.State.Intermediate, "abc", 0)
    spin.lineEdit().setText("5000")
    assert not spin.hasAcceptableInput() and "at most 1,000" in spin.problem
    spin.lineEdit().setText("50")
    assert spin.hasAcceptableInput() and spin.problem == ""


def test_learning_rate_arrows_step_on_a_log_grid(qtbot):
    spin = ScientificSpinBox(minimum=1e-7, maximum=10, logarithmic=True)
    qtbot.addWidget(spin)
    spin.setValue(0.1)
    spin.stepBy(1)
    assert spin.value() == 0.15
    spin.stepBy(-2)
    assert spin.value() == 0.07
    spin.setValue(0.12)  # off the grid: the next value up or down
    spin.stepBy(1)
    assert spin.value() == 0.15
    spin.setValue(0.12)
    spin.stepBy(-1)
    assert spin.value() == 0.1
    grid = log_grid(1e-7, 10)
    assert {0.0001, 0.01, 0.1, 0.3, 0.7, 1.0} <= set(grid)  # the source's rates, exactly
    assert grid[0] == 1e-7 and grid[-1] == 10.0


def test_slider_and_spin_box_agree(panel, qtbot):
    slider = panel.lrSlider
    with qtbot.waitSignal(panel.lrChanged) as blocker:
        slider.setValue(slider.values.index(0.7))
    assert blocker.args == [0.7]
    assert panel.lrSpin.value() == 0.7
    panel.lrSpin.setValue(0.0042)
    assert slider.float_value() == 0.005  # nearest on the log scale
    assert panel.lrSpin.value() == 0.0042  # the typed value is kept


def test_lr_change_is_not_a_new_run_but_x0_is(panel, qtbot):
    configs = []
    panel.configChanged.connect(configs.append)
    with qtbot.waitSignal(panel.lrChanged):
        panel.lrSpin.setValue(0.3)
    assert configs == []
    assert panel.config().lr == 0.3
    panel.x0Spin.setValue(-3.0)
    assert len(configs) == 1 and configs[0].x0 == -3.0 and configs[0].lr == 0.3


def test_config_carries_engine_dtype_optimizer_epochs(panel):
    panel.engineCombo.setCurrentIndex(panel.engineCombo.findData("torch"))
    assert panel.deviceCombo.isEnabled()
    panel.dtypeCombo.setCurrentIndex(panel.dtypeCombo.findData("float32"))
    panel.optimizerCombo.setCurrentIndex(panel.optimizerCombo.findData("adam"))
    panel.epochsSpin.setValue(1234)
    c = panel.config()
    assert (c.engine, c.device, c.dtype, c.optimizer, c.epochs) == (
        "torch", "cpu", "float32", "adam", 1234)
    panel.engineCombo.setCurrentIndex(panel.engineCombo.findData("manual"))
    assert not panel.deviceCombo.isEnabled() and panel.config().device == "cpu"


def test_devices_are_offered_with_cpu_first(panel):
    panel.set_devices(["cuda", "cuda:0", "cpu"])
    items = [panel.deviceCombo.itemData(i) for i in range(panel.deviceCombo.count())]
    assert items == ["cpu", "cuda", "cuda:0"]


def test_each_tab_keeps_its_learning_rate(panel, qtbot):
    panel.lrSpin.setValue(0.3)
    panel.problemTabs.setCurrentIndex(REGRESSION_TAB)
    assert panel.lrSpin.value() == 1e-4
    c = panel.config()
    assert isinstance(c.problem, RegressionProblem) and c.problem.n == 100
    assert (c.m0, c.c0, c.lr) == (0.0, 0.0, 1e-4)
    panel.problemTabs.setCurrentIndex(FUNCTION_TAB)
    assert panel.lrSpin.value() == 0.3


def test_synthetic_data_fields(panel):
    panel.problemTabs.setCurrentIndex(REGRESSION_TAB)
    panel.pointsSpin.setValue(250)
    panel.seedSpin.setValue(7)
    panel.noiseSpin.setValue(0.5)
    p = panel.config().problem
    assert p.n == 250 and p.synthetic_spec.seed == 7 and p.synthetic_spec.noise == 0.5
    assert "250 points" in panel.dataLabel.text()


def test_csv_errors_are_shown_and_change_nothing(panel, tmp_path):
    panel.problemTabs.setCurrentIndex(REGRESSION_TAB)
    before = panel.config().problem
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n3,oops\n")
    assert not panel.load_csv(str(bad))
    shown = panel.dataError.text()
    assert not panel.dataError.isHidden() and "line 3" in shown and "oops" in shown
    assert panel.dataError.textFormat() == Qt.TextFormat.PlainText
    assert panel.config().problem is before
    assert not panel.csvRadio.isEnabled()
    assert not panel.load_csv(str(tmp_path / "missing.csv"))
    assert panel.config().problem is before

    good = tmp_path / "good.csv"
    good.write_text("x,y\n" + "".join(f"{i},{2 * i + 1}\n" for i in range(10)))
    assert panel.load_csv(str(good))
    assert panel.csvRadio.isChecked() and "good.csv" in panel.csvRadio.text()
    assert panel.config().problem.n == 10
    panel.syntheticRadio.setChecked(True)
    assert panel.config().problem.n == 100


def test_speed_slider(panel, qtbot):
    with qtbot.waitSignal(panel.speedChanged) as blocker:
        panel.set_speed(0)
    assert blocker.args == [0.0]
    assert panel.speedLabel.text() == "as fast as possible"
    panel.set_speed(480)
    assert panel.speed() == 500 and panel.speedLabel.text() == "500 steps/s"
    assert SPEEDS[0] == 1 and SPEEDS[-1] == 0


def test_invalid_expression_makes_the_panel_invalid(panel, qtbot):
    with qtbot.waitSignal(panel.validityChanged) as blocker:
        panel.expressionEdit.setText("x +* 2")
    assert blocker.args == [False]
    assert panel.config() is None
    assert panel.expressionError.text()
    with qtbot.waitSignal(panel.configChanged):
        panel.expressionEdit.setText("x**2")
    assert panel.is_valid()


def test_text_from_files_is_never_rendered_as_markup(panel, tmp_path):
    """A file name or a cell like ``<img src="/dev/zero">`` is shown as the characters it is
    (Qt would otherwise read the file the markup names)."""
    from PySide6.QtGui import QTextDocument

    from gdstudio.ui.panels.widgets import MessageBar

    evil = '<img src="/dev/zero">'
    bad = tmp_path / "bad.csv"
    bad.write_text(f"x,y\n1,2\n3,{evil}\n")
    assert not panel.load_csv(str(bad))
    assert evil in panel.dataError.text()
    assert panel.dataError.textFormat() == Qt.TextFormat.PlainText
    named = tmp_path / f"{evil.replace('/', '_')}.csv"
    named.write_text("x,y\n" + "".join(f"{i},{i}\n" for i in range(5)))
    assert panel.load_csv(str(named))
    tip = QTextDocument()
    tip.setHtml(panel.csvRadio.toolTip())
    assert tip.toPlainText() == str(named)  # the tooltip shows the path, not an image
    bar = MessageBar()
    bar.show_message(evil)
    label = bar.findChild(type(panel.dataError), "messageText")
    assert label.text() == evil and label.textFormat() == Qt.TextFormat.PlainText
