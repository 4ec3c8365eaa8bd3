"""The studio window end to end (pytest-qt, offscreen): buttons, worker, plots, table, status."""

from __future__ import annotations

import math

import numpy as np
import pytest
from files_support import analysis_text
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QWidget

from gdstudio.core import Descent
from gdstudio.ui.panels.control_panel import REGRESSION_TAB


def button(window: QWidget, name: str) -> QAbstractButton:
    found = window.findChild(QAbstractButton, name)
    assert found is not None, f"no button named {name!r}"
    return found


def click(qtbot, window: QWidget, name: str) -> None:
    b = button(window, name)
    assert b.isEnabled(), f"{name} is disabled"
    qtbot.mouseClick(b, Qt.MouseButton.LeftButton)


def step(qtbot, window, times: int = 1) -> None:
    for _ in range(times):
        n = window.run_data.n
        click(qtbot, window, "stepButton")
        qtbot.waitUntil(lambda n=n: window.run_data.n == n + 1)
    qtbot.waitUntil(lambda: window.controller.state in ("paused", "finished"))


def closed_form(t: np.ndarray | int) -> np.ndarray:
    """x_t for f = x² − 4x + 5, x0 = 7, lr = 0.1: x_t − 2 = 0.8·(x_{t−1} − 2)."""
    return 2.0 + 5.0 * 0.8 ** np.asarray(t, dtype=float)


def test_widgets_have_their_contract_names(window):
    from PySide6.QtWidgets import QComboBox, QSlider, QTableView

    names = ["problemTabs", "functionCombo", "expressionEdit", "x0Spin", "lrSpin", "epochsSpin",
             "engineCombo", "deviceCombo", "dtypeCombo", "optimizerCombo", "stepButton",
             "playButton", "resetButton", "runToEndButton", "speedSlider", "curvePlot",
             "fitPlot", "lossPlot", "historyTable", "statusLabel"]
    missing = [n for n in names if window.findChild(QWidget, n) is None]
    assert not missing
    assert isinstance(window.findChild(QWidget, "historyTable"), QTableView)
    assert isinstance(window.findChild(QWidget, "speedSlider"), QSlider)
    assert isinstance(window.findChild(QWidget, "engineCombo"), QComboBox)
    for name in names:  # every control explains itself
        widget = window.findChild(QWidget, name)
        assert widget.toolTip(), f"{name} has no tooltip"


def test_first_launch_shows_the_source_example(window, qtbot):
    c = window.controls
    assert c.expressionEdit.text() == "x**2 - 4*x + 5"
    assert c.x0Spin.value() == 7.0
    assert c.lrSpin.value() == 0.1
    assert c.epochsSpin.value() == 50
    assert c.engineCombo.currentData() == "manual"
    assert window.run_data.params[0, 0] == 7.0
    assert window.run_data.loss[0] == 26.0
    assert "Epoch 0 of 50" in window.statusLabel.text()
    text = analysis_text(qtbot, window)
    assert "2·x − 4" in text and "minimum at x = 2, f = 1" in text
    assert "2/h = 1" in text  # critical learning rate
    assert button(window, "stepButton").isEnabled()
    assert button(window, "playButton").text() == "Play"


def test_three_steps_match_the_closed_form(window, qtbot):
    step(qtbot, window, 3)
    model = window.findChild(QWidget, "historyTable").model()
    assert model.rowCount() == 4
    expected = closed_form(np.arange(4))  # 7, 6, 5.2, 4.56
    np.testing.assert_allclose(expected, [7, 6, 5.2, 4.56], rtol=1e-15)
    table_x = [model.index(r, 1).data(Qt.ItemDataRole.UserRole) for r in range(4)]
    np.testing.assert_allclose(table_x, expected, rtol=1e-13)
    table_loss = [model.index(r, 2).data(Qt.ItemDataRole.UserRole) for r in range(4)]
    np.testing.assert_allclose(table_loss, (expected - 2) ** 2 + 1, rtol=1e-13)
    table_grad = [model.index(r, 3).data(Qt.ItemDataRole.UserRole) for r in range(4)]
    np.testing.assert_allclose(table_grad, 2 * expected - 4, rtol=1e-13)
    assert model.index(3, 1).data() == "4.56"

    curve = window.curve_plot
    qtbot.waitUntil(lambda: len(curve.iterates()[0]) == 4)
    xs, ys = curve.iterates()
    np.testing.assert_allclose(xs, expected, rtol=1e-13)
    np.testing.assert_allclose(ys, (expected - 2) ** 2 + 1, rtol=1e-13)
    cx, cy = curve.current_item.getData()
    assert cx[0] == pytest.approx(4.56) and cy[0] == pytest.approx(7.5536)
    # the tangent through the current point has slope f'(x3) = 2*4.56 - 4
    tx, ty = curve.tangent_item.getData()
    assert (ty[1] - ty[0]) / (tx[1] - tx[0]) == pytest.approx(5.12)
    assert "Epoch 3 of 50" in window.statusLabel.text()
    assert window.progress_bar.value() == 3


def test_play_pause_play(window, qtbot):
    # 20 steps/s: the 50 epochs take 2.5 s, so the run is still playing when the test pauses it
    # (at 200/s it was over in 0.25 s, less than a stall of a loaded machine)
    window.controls.set_speed(20)
    seen: list[tuple[str, str, bool]] = []  # each state the window entered, as it showed it
    play = button(window, "playButton")
    window.controller.stateChanged.connect(
        lambda state: seen.append((state, play.text(), button(window, "stepButton").isEnabled())))
    click(qtbot, window, "playButton")
    qtbot.waitUntil(lambda: window.run_data.n > 3)
    assert ("playing", "Pause", False) in seen

    click(qtbot, window, "playButton")  # pause
    qtbot.waitUntil(lambda: window.controller.state == "paused")
    assert play.text() == "Play"
    assert button(window, "stepButton").isEnabled()
    # Paused really means stopped: one Step adds exactly one row.
    step(qtbot, window, 1)
    paused_at = window.run_data.n

    window.controls.set_speed(200)
    seen.clear()
    click(qtbot, window, "playButton")
    qtbot.waitUntil(lambda: window.controller.state == "finished", timeout=10_000)
    assert [state for state, *_ in seen] == ["playing", "finished"]
    assert window.run_data.n == 51 > paused_at
    np.testing.assert_allclose(window.run_data.params[:, 0], closed_form(np.arange(51)),
                               rtol=1e-12)
    assert play.text() == "Play" and not play.isEnabled()
    qtbot.waitUntil(lambda: "epoch limit" in window.statusLabel.text())


def test_regression_run_to_end_at_lr_1e_2_diverges(window, qtbot):
    c = window.controls
    c.problemTabs.setCurrentIndex(REGRESSION_TAB)
    qtbot.waitUntil(lambda: window.run_data.k == 2 and window.controller.state == "ready")
    assert c.lrSpin.value() == 1e-4  # the regression's own default
    assert window.plot_stack.currentWidget() is window.fit_plot
    c.lrSpin.setValue(1e-2)
    qtbot.waitUntil(lambda: window.run_data.config.lr == 1e-2
                    and window.controller.state == "ready")
    assert "diverges" in analysis_text(qtbot, window)
    click(qtbot, window, "runToEndButton")
    qtbot.waitUntil(lambda: "diverged" in window.statusLabel.text().lower())
    status = window.statusLabel.text()
    assert "Diverged at epoch" in status and "beyond" in status
    # (the worker's "finished" follows its last batch, which the status may show first)
    qtbot.waitUntil(lambda: window.controller.state == "finished")
    # The plots keep finite, readable ranges.
    for plot in (window.fit_plot, window.loss_plot):
        (x0, x1), (y0, y1) = plot.vb.viewRange()
        assert all(math.isfinite(v) for v in (x0, x1, y0, y1))
    (x0, x1), (y0, y1) = window.fit_plot.vb.viewRange()
    assert y1 - y0 < 1000  # the data's range, not the runaway line's
    # The table's last row is the last finite one the core kept.
    assert np.isfinite(window.run_data.loss).all()


def test_invalid_expression_disables_step_and_says_why(window, qtbot):
    c = window.controls
    c.expressionEdit.setText("x**2 + import")
    assert c.expressionError.isVisible()
    assert c.expressionError.text()
    assert not c.derivativeLabel.isVisible()
    for name in ("stepButton", "playButton", "runToEndButton", "resetButton"):
        assert not button(window, name).isEnabled(), name
    window.step()  # the shortcut's slot does nothing either
    c.expressionEdit.setText("x**2 - 4*x + 5 +")
    assert c.expressionError.isVisible()
    c.expressionEdit.setText("(x - 1)**2")
    assert not c.expressionError.isVisible()
    qtbot.waitUntil(lambda: c.derivativeLabel.text() == "f′(x) = 2·x − 2")
    assert c.functionCombo.currentData() is None  # "Custom expression"
    qtbot.waitUntil(lambda: button(window, "stepButton").isEnabled())
    step(qtbot, window, 1)
    assert window.run_data.params[1, 0] == pytest.approx(7 - 0.1 * 12)


def test_invalid_learning_rate_text_disables_step(window, qtbot):
    lr = window.controls.lrSpin
    lr.lineEdit().setText("-0.1")
    assert window.controls.lrError.isVisible()
    assert "learning rate" in window.controls.lrError.text()
    assert not button(window, "stepButton").isEnabled()
    lr.lineEdit().setText("1e-4")
    assert not window.controls.lrError.isVisible()
    assert button(window, "stepButton").isEnabled()
    lr.interpretText()
    assert lr.value() == 1e-4


def test_start_outside_the_domain_is_reported(window, qtbot):
    c = window.controls
    c.expressionEdit.setText("log(x)")
    c.x0Spin.setValue(-1.0)
    qtbot.waitUntil(lambda: window.message_bar.isVisible())
    assert "x = -1" in window.message_bar.text
    assert not button(window, "stepButton").isEnabled()
    c.x0Spin.setValue(2.0)
    qtbot.waitUntil(lambda: window.controller.state == "ready")
    assert not window.message_bar.isVisible()


def test_learning_rate_change_mid_run_applies_to_the_next_step(window, qtbot):
    step(qtbot, window, 3)
    window.controls.lrSpin.setValue(0.3)
    step(qtbot, window, 1)
    x3, x4 = window.run_data.params[3, 0], window.run_data.params[4, 0]
    assert x3 == pytest.approx(4.56)
    assert x4 == pytest.approx(x3 - 0.3 * (2 * x3 - 4), rel=1e-14)  # 3.024
    assert window.run_data.lr_changes[-1].epoch == 3
    assert window.run_data.lr_changes[-1].lr == 0.3
    assert "lr = 0.3" in analysis_text(qtbot, window)
    # and the next one too
    step(qtbot, window, 1)
    assert window.run_data.params[5, 0] == pytest.approx(x4 - 0.3 * (2 * x4 - 4), rel=1e-14)


def test_learning_rate_change_while_playing(window, qtbot):
    c = window.controls
    c.epochsSpin.setValue(400)
    c.set_speed(100)
    qtbot.waitUntil(lambda: window.controller.state == "ready")
    click(qtbot, window, "playButton")
    qtbot.waitUntil(lambda: window.run_data.n > 5)
    c.lrSpin.setValue(0.7)
    qtbot.waitUntil(lambda: len(window.run_data.lr_changes) > 0)
    change = window.run_data.lr_changes[0]
    # at least one step at the new rate before pausing (the pause may otherwise cross it)
    qtbot.waitUntil(lambda: window.run_data.n > change.epoch + 2)
    click(qtbot, window, "playButton")
    qtbot.waitUntil(lambda: window.controller.state == "paused")
    p = window.run_data.params[:, 0]
    t = change.epoch
    assert window.run_data.n > t + 1
    np.testing.assert_allclose(p[1 : t + 1], p[:t] - 0.1 * (2 * p[:t] - 4), rtol=1e-14)
    np.testing.assert_allclose(p[t + 1 :], p[t:-1] - 0.7 * (2 * p[t:-1] - 4), rtol=1e-14)


def test_reset_starts_over(window, qtbot):
    step(qtbot, window, 2)
    click(qtbot, window, "resetButton")
    qtbot.waitUntil(lambda: window.run_data.n == 1 and window.controller.state == "ready")
    assert window.findChild(QWidget, "historyTable").model().rowCount() == 1
    assert window.run_data.params[0, 0] == 7.0


def test_close_while_playing_stops_the_thread(qtbot, monkeypatch):
    from gdstudio.ui.threads import registry
    from gdstudio.ui.window.main_window import MainWindow

    monkeypatch.setattr(MainWindow, "device_probe_delay_ms", None)
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    win.controls.tolSpin.setValue(0.0)  # still going when the window closes (no early stop)
    win.controls.epochsSpin.setValue(5_000_000)
    win.controls.set_speed(0)  # as fast as possible
    qtbot.waitUntil(lambda: win.controller.state == "ready"
                    and win.run_data.planned_epochs == 5_000_000)
    click(qtbot, win, "playButton")
    qtbot.waitUntil(lambda: win.run_data.n > 10_000)
    thread = win.controller.qthread
    assert thread in registry.live_threads()
    assert win.controller.state == "playing"
    win.close()
    assert thread.isFinished()
    assert not win.controller.running
    assert all(not t.isRunning() for t in registry.live_threads())


def test_exception_in_the_worker_is_shown_and_the_app_keeps_working(window, qtbot, monkeypatch):
    def broken(self, n=1):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(Descent, "advance", broken)
    click(qtbot, window, "stepButton")
    qtbot.waitUntil(lambda: window.message_bar.isVisible())
    assert "injected failure" in window.message_bar.text
    assert "RuntimeError" in window.message_bar.text
    assert window.controller.state == "error"
    assert not button(window, "stepButton").isEnabled()
    assert button(window, "resetButton").isEnabled()
    qtbot.waitUntil(lambda: "Reset" in window.statusLabel.text())

    monkeypatch.undo()
    click(qtbot, window, "resetButton")
    qtbot.waitUntil(lambda: window.controller.state == "ready")
    assert not window.message_bar.isVisible()
    step(qtbot, window, 2)
    np.testing.assert_allclose(window.run_data.params[:, 0], [7, 6, 5.2], rtol=1e-14)


def test_excepthook_reports_in_the_window(window, monkeypatch):
    import sys

    from gdstudio.ui.window.app import install_excepthook

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    install_excepthook(window)
    try:
        raise ValueError("a slot went wrong")
    except ValueError as err:
        sys.excepthook(type(err), err, err.__traceback__)
    assert window.message_bar.isVisible()
    assert "a slot went wrong" in window.message_bar.text


def test_shortcuts(window, qtbot):
    keys = {a.text(): [k.toString() for k in a.shortcuts()]
            for a in (window.action("step"), window.action("play"), window.action("reset"),
                      window.action("quit"))}
    assert keys["Step"] == ["Right", "N"]
    assert keys["Play"] == ["Space"]
    assert keys["Reset"] == ["R"]
    assert keys["Quit"] == ["Ctrl+Q"]
    window.history_view.setFocus()
    qtbot.keyClick(window.history_view, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: window.run_data.n == 2)
    qtbot.keyClick(window.history_view, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.run_data.n == 3)
    qtbot.keyClick(window.history_view, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: window.run_data.n == 1 and window.controller.state == "ready")


def test_log_scale_shows_the_distance_to_the_optimum(window, qtbot):
    step(qtbot, window, 4)
    window.action("logScale").setChecked(True)
    qtbot.waitUntil(lambda: window.loss_plot.log_scale)
    window.draw_now()
    x, y = window.loss_plot.loss_item.getData()  # log10 of loss − loss*, loss* = f(2) = 1
    expected = np.log10((closed_form(np.arange(5)) - 2) ** 2)
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    window.action("logScale").setChecked(False)
    window.draw_now()
    x, y = window.loss_plot.loss_item.getData()
    np.testing.assert_allclose(y, (closed_form(np.arange(5)) - 2) ** 2 + 1, rtol=1e-12)


def test_preset_sets_expression_start_and_learning_rate(window, qtbot):
    c = window.controls
    c.choose_preset("quartic")
    assert c.expressionEdit.text() == "x**4 - 4*x**2 + x"
    assert c.x0Spin.value() == 2.0
    assert c.lrSpin.value() == 0.02
    qtbot.waitUntil(lambda: window.run_data.n == 1 and window.run_data.params[0, 0] == 2.0)
    assert "local" in c.lessonLabel.text()


def test_device_combo_is_filled_after_start_up_without_blocking(qtbot):
    from gdstudio.ui.window.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.device_probe_delay_ms = 0  # probe at once
    win.show()
    combo = win.controls.deviceCombo
    assert combo.itemData(0) == "cpu"
    assert not combo.isEnabled()  # the manual engine runs on the CPU
    qtbot.waitUntil(lambda: combo.toolTip().endswith("on this machine"), timeout=30_000)
    assert combo.itemData(0) == "cpu"
    win.controls.engineCombo.setCurrentIndex(win.controls.engineCombo.findData("torch"))
    assert combo.isEnabled()
    qtbot.waitUntil(lambda: win.controller.state == "ready"
                    and win.run_data.config.engine == "torch", timeout=30_000)
    step(qtbot, win, 2)
    np.testing.assert_allclose(win.run_data.params[:, 0], [7, 6, 5.2], rtol=1e-14)


def test_the_device_probe_waits_while_a_run_plays(qtbot):
    # The probe imports torch, which holds the interpreter for a second: never mid-play.
    from gdstudio.ui.window.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.device_probe_delay_ms = None  # not before the run plays
    win.controls.epochsSpin.setValue(5_000_000)
    win.controls.set_speed(1)  # one step a second: it plays for the whole test
    win.show()
    qtbot.waitUntil(lambda: win.controller.state == "ready"
                    and win.run_data.planned_epochs == 5_000_000, timeout=30_000)
    win.toggle_play()
    qtbot.waitUntil(lambda: win.controller.state == "playing")
    assert not win.devices.started
    win.devices.start_later(20)
    qtbot.wait(300)  # many probe intervals
    assert not win.devices.started and win.devices.pending  # postponed, not dropped
    win.toggle_play()
    qtbot.waitUntil(lambda: win.controller.state == "paused")
    qtbot.waitUntil(lambda: win.controls.deviceCombo.toolTip().endswith("on this machine"),
                    timeout=30_000)


def test_log_scale_toggled_with_no_rows_yet(window, qtbot):
    """Toggling the log scale while a new run has no rows must not fail (it once did)."""
    window.controls.x0Spin.setValue(6.0)  # a new run: its rows arrive shortly
    window.action("logScale").setChecked(True)
    window.action("logScale").setChecked(False)
    window.action("logScale").setChecked(True)
    qtbot.waitUntil(lambda: window.run_data.n == 1)
    step(qtbot, window, 2)
    window.draw_now()
    (_, _), (y0, y1) = window.loss_plot.vb.viewRange()
    assert math.isfinite(y0) and math.isfinite(y1) and y1 - y0 >= 1.0  # at least a decade


def test_a_long_run_is_drawn_from_a_bounded_envelope(window, qtbot):
    c = window.controls
    c.epochsSpin.setValue(300_000)
    c.lrSpin.setValue(1e-5)
    qtbot.waitUntil(lambda: window.controller.state == "ready"
                    and window.run_data.planned_epochs == 300_000)
    click(qtbot, window, "runToEndButton")
    qtbot.waitUntil(lambda: window.controller.state == "finished", timeout=60_000)
    qtbot.waitUntil(lambda: window.loss_plot._envelope.n == 300_001)
    x, y = window.loss_plot.loss_item.getData()
    assert len(x) <= 2 * 2048  # what is handed to pyqtgraph, however long the run
    assert np.nanmax(y) == window.run_data.loss.max() and np.nanmin(y) == window.run_data.loss.min()
    xs, _ = window.curve_plot.iterates()
    assert len(xs) <= 2000
    table = window.findChild(QWidget, "historyTable").model()
    qtbot.waitUntil(lambda: table.rowCount() == 300_001)  # (the table's stage of the frame)


def test_the_theory_is_worked_out_off_the_gui_thread(window, qtbot, monkeypatch):
    # SymPy's solve and simplify never run on the GUI thread: the analysis of a new problem
    # is made by a background task, and the window keeps answering meanwhile.
    import threading

    from gdstudio.core import theory as core_theory
    from gdstudio.ui.threads import analysis as analysis_threads

    threads = []
    original = core_theory.theory_of

    def recording(config):
        threads.append(threading.current_thread() is threading.main_thread())
        return original(config)

    monkeypatch.setattr(analysis_threads, "theory_of", recording)
    window.controls.expressionEdit.setText("x**4 - 3*x**2 + 1")
    qtbot.waitUntil(lambda: "x**4" in window.run_data.config.problem.text
                    and window.model.analysis is not None, timeout=30_000)
    assert threads and not any(threads)
    assert "minimum" in analysis_text(qtbot, window)
