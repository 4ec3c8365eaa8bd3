"""The window behaves like a desktop application: keys typed into a field stay in it, Enter and
Esc give the keyboard back to the window's shortcuts, the wheel changes only a focused field,
every change of the setup can be undone, and the status line keeps its account of the run."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from gdstudio.ui.panels.control_panel import REGRESSION_TAB


def _wheel(widget, steps: int = 1) -> None:
    """A real wheel event over ``widget`` (as the mouse sends it)."""
    centre = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(centre, widget.mapToGlobal(centre), QPoint(0, 0),
                        QPoint(0, 120 * steps), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_the_wheel_changes_a_field_only_when_it_has_the_focus(window, qtbot):
    c = window.controls
    c.optimizerCombo.setCurrentIndex(c.optimizerCombo.findData("adam"))
    spin = c.optimizerFields.spins()[0] if hasattr(c.optimizerFields, "spins") else c.lrSpin
    for field in (c.lrSpin, c.epochsSpin, spin, c.optimizerCombo, c.speedSlider):
        window.history_view.setFocus()
        qtbot.waitUntil(lambda: window.history_view.hasFocus())
        before = field.value() if hasattr(field, "value") else field.currentIndex()
        _wheel(field, 2)
        after = field.value() if hasattr(field, "value") else field.currentIndex()
        assert after == before, field.objectName()
    # with the focus, the wheel is the field's
    c.epochsSpin.setFocus()
    qtbot.waitUntil(c.epochsSpin.hasFocus)
    _wheel(c.epochsSpin, 1)
    assert c.epochsSpin.value() != 50


def test_keys_typed_into_a_field_stay_in_it_and_enter_gives_them_back(window, qtbot):
    c = window.controls
    spin = c.lrSpin
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), "0.3")
    assert window.run_data.n == 1  # typing "3" or "." ran nothing
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Return)
    assert spin.value() == 0.3
    qtbot.waitUntil(lambda: not spin.hasFocus())  # the keyboard is the window's again
    qtbot.waitUntil(lambda: window.run_data.config.lr == 0.3 and window.controller.state
                    == "ready")
    focused = QApplication.focusWidget()
    qtbot.keyClick(focused, Qt.Key.Key_E)  # Run to end, not an "e" in the field
    qtbot.waitUntil(lambda: window.controller.state == "finished", timeout=30_000)
    assert spin.text() == "0.3" and c.is_valid()


def test_escape_in_a_field_gives_the_keyboard_back(window, qtbot):
    edit = window.controls.expressionEdit
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    qtbot.keyClick(edit, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not edit.hasFocus())
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_N)  # Step
    qtbot.waitUntil(lambda: window.run_data.n == 2)


def test_a_click_that_moved_the_start_is_undone(window, qtbot):
    curve = window.curve_plot
    vb = curve.getPlotItem().getViewBox()
    pos = curve.mapFromScene(vb.mapViewToScene(QPointF(-1.5, 10.0)))
    qtbot.mouseClick(curve.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    moved = window.controls.x0Spin.value()
    assert moved != 7.0
    undo = window.action("undo")
    assert undo.isEnabled() and "x0" in undo.text()
    assert [k.matches(Qt.Modifier.CTRL | Qt.Key.Key_Z) for k in undo.shortcuts()]
    undo.trigger()
    assert window.controls.x0Spin.value() == 7.0
    qtbot.waitUntil(lambda: window.run_data.n == 1 and window.run_data.params[0, 0] == 7.0
                    and window.controller.state == "ready")
    window.action("redo").trigger()
    assert window.controls.x0Spin.value() == moved


def test_every_setup_change_can_be_undone_in_order(window, qtbot):
    c = window.controls
    c.choose_preset("quartic")
    c.epochsSpin.setValue(80)
    c.problemTabs.setCurrentIndex(REGRESSION_TAB)
    qtbot.waitUntil(lambda: window.run_data.k == 2 and window.controller.state == "ready")
    undo = window.action("undo")
    undo.trigger()  # back to the function tab
    assert c.problemTabs.currentIndex() != REGRESSION_TAB and c.epochsSpin.value() == 80
    undo.trigger()
    assert c.epochsSpin.value() != 80 and c.expressionEdit.text() == "x**4 - 4*x**2 + x"
    undo.trigger()
    assert c.expressionEdit.text() == "x**2 - 4*x + 5" and c.x0Spin.value() == 7.0
    assert not undo.isEnabled()
    qtbot.waitUntil(lambda: window.run_data.config.problem.text == "x**2 - 4*x + 5"
                    and window.controller.state == "ready")


def test_learning_rate_typing_is_one_undo_step(window, qtbot):
    c = window.controls
    for value in (0.2, 0.25, 0.3):
        c.lrSpin.setValue(value)
    window.action("undo").trigger()
    assert c.lrSpin.value() == 0.1
    assert not window.action("undo").isEnabled()


def test_the_keyboard_shortcuts_are_listed(window, qtbot):
    window.show_shortcuts()
    from PySide6.QtWidgets import QTableWidget

    dialog = window.findChild(QTableWidget, "shortcutsTable")
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible())
    rows = {dialog.item(r, 1).text(): dialog.item(r, 0).text() for r in range(dialog.rowCount())}
    assert rows["Step"] == "Right  N" and rows["Run to end"] == "E"
    assert "Ctrl+Z" in rows["Undo"]
    dialog.window().close()


def test_passing_over_a_toolbar_button_keeps_the_status_line(window, qtbot):
    for key in ("step", "play", "runToEnd", "reset", "logScale", "exportHistory"):
        assert window.action(key).statusTip() == ""
    text = window.statusLabel.text()
    window.action("step").hover()
    assert window.statusLabel.isVisible() and window.statusLabel.text() == text
