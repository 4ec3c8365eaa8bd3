"""The loss plot's axes never mislead (issue 14 item 7): no SI multiplier such as "(x1e+15)"
over a log axis, and a log plot with nothing to draw says why."""

from __future__ import annotations

from files_support import run_to_end, settle


def _ready(qtbot, win, epochs: int | None = None) -> None:
    qtbot.waitUntil(lambda: win.controller.state == "ready" and win.run_data.config is not None
                    and win.run_data.config is win.controls.config(), timeout=30_000)


def test_a_diverging_loss_on_a_log_axis_has_no_si_multiplier(qtbot, window):
    window.controls.lrSpin.setValue(1.5)  # x² − 4x + 5 diverges: the loss grows past 10¹²
    window.controls.epochsSpin.setValue(60)
    _ready(qtbot, window)
    window.action("logScale").setChecked(True)
    run_to_end(qtbot, window)
    assert window.run_data.loss[window.run_data.n - 1] > 1e12
    axis = window.loss_plot.getAxis("left")
    assert "x1e" not in axis.labelString() and "×1e" not in axis.labelString()
    window.action("logScale").setChecked(False)  # linear: the multiplier is pyqtgraph's usual
    settle(qtbot, window)
    assert axis.autoSIPrefix


def test_a_log_plot_of_a_negative_loss_says_why_it_is_empty(qtbot, window):
    window.controls.expressionEdit.setText("log(x)")
    window.controls.x0Spin.setValue(0.5)  # log(0.5) < 0, and descent makes it more negative
    window.controls.epochsSpin.setValue(3)
    _ready(qtbot, window)
    note = window.loss_plot.emptyNote
    window.action("logScale").setChecked(True)
    run_to_end(qtbot, window)
    assert (window.run_data.loss[: window.run_data.n] < 0).all()
    assert note.isVisible() and "logarithm needs a positive number" in note.text()
    window.action("logScale").setChecked(False)
    settle(qtbot, window)
    assert not note.isVisible()


def test_log_tick_labels_are_the_loss_itself(qtbot, window):
    """Log scale turned on over the source's example (loss 1 to 26), then a race: the ticks
    read 10⁰ … 10¹, the loss itself (pyqtgraph kept a ×10⁻²⁷ multiplier worked out while
    switching it off, and labelled them 10⁻²⁷ … 2·10⁻²⁶)."""
    window.controls.epochsSpin.setValue(40)
    _ready(qtbot, window)
    window.action("logScale").setChecked(True)
    window.controls.raceSetup.set_mode("lr")
    qtbot.waitUntil(lambda: window.explorer.racing and window.model.race_data.n == 1
                    and window.controller.state == "ready", timeout=20_000)
    run_to_end(qtbot, window)
    window.draw_now()
    axis = window.loss_plot.getAxis("left")
    assert axis.autoSIPrefixScale * axis.scale == 1.0
    lo, hi = axis.range
    ticks = [v for _spacing, values in axis.tickValues(lo, hi, axis.height())
             for v in values]
    labels = axis.tickStrings(ticks, axis.autoSIPrefixScale * axis.scale, 1.0)
    shown = dict(zip(ticks, labels, strict=True))
    assert shown.get(0.0) in ("1", "10⁰") and shown.get(1.0) in ("10", "10¹"), shown
