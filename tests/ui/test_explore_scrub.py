"""The history slider, the click that sets x0 on the curve, and the hover readouts."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from gdstudio.ui.panels.scrubber import HistoryScrubber


def steps(qtbot, window, count: int) -> None:
    for _ in range(count):
        n = window.run_data.n
        window.step()
        qtbot.waitUntil(lambda n=n: window.run_data.n == n + 1)
    qtbot.waitUntil(lambda: window.controller.state in ("paused", "finished"))
    window.draw_now()


def x_t(t: int) -> float:
    return 2.0 + 5.0 * 0.8**t  # x² − 4x + 5 from 7 at lr 0.1


def selected_rows(window) -> list[int]:
    return sorted({i.row() for i in window.history_view.selectionModel().selectedRows()})


def test_scrubbing_shows_that_epochs_state(window, qtbot):
    steps(qtbot, window, 6)
    scrubber = window.scrubber
    assert scrubber.live and scrubber.slider.maximum() == 6
    scrubber.slider.setValue(3)  # as if dragged
    assert scrubber.epoch() == 3 and not scrubber.live
    window.draw_now()
    curve = window.curve_plot
    cx, cy = curve.current_item.getData()
    assert cx[0] == pytest.approx(x_t(3)) and cy[0] == pytest.approx((x_t(3) - 2) ** 2 + 1)
    assert len(curve.iterates()[0]) == 4  # the iterates up to that epoch
    tx, ty = curve.tangent_item.getData()
    assert (ty[1] - ty[0]) / (tx[1] - tx[0]) == pytest.approx(2 * x_t(3) - 4)
    lx, ly = window.loss_plot.current_item.getData()
    assert lx[0] == 3.0 and ly[0] == pytest.approx((x_t(3) - 2) ** 2 + 1)
    assert selected_rows(window) == [3]
    status = window.statusLabel.text()
    assert "Viewing epoch 3 of 50" in status and "x = 4.56" in status
    assert "the run is at epoch 6" in status
    assert scrubber.label.text() == "epoch 3 of 6"

    # the run goes on undisturbed; the view stays at epoch 3
    steps(qtbot, window, 2)
    assert window.run_data.n == 9
    np.testing.assert_allclose(window.run_data.params[:, 0], [x_t(t) for t in range(9)])
    cx, _ = curve.current_item.getData()
    assert cx[0] == pytest.approx(x_t(3)) and scrubber.epoch() == 3
    assert "the run is at epoch 8" in window.statusLabel.text()

    # one epoch back and forward with the buttons and the keys
    qtbot.mouseClick(scrubber.backButton, Qt.MouseButton.LeftButton)
    assert scrubber.epoch() == 2
    scrubber.step(1)
    assert scrubber.epoch() == 3
    window.draw_now()
    assert selected_rows(window) == [3]

    # Live follows the newest again
    qtbot.mouseClick(scrubber.liveButton, Qt.MouseButton.LeftButton)
    assert scrubber.live and scrubber.epoch() is None
    window.draw_now()
    cx, _ = curve.current_item.getData()
    assert cx[0] == pytest.approx(x_t(8))
    assert selected_rows(window) == []
    assert "Epoch 8 of 50" in window.statusLabel.text()


def test_scrubbing_a_race_shows_every_lane_at_that_epoch(window, qtbot):
    window.controls.raceSetup.set_mode("lr")
    qtbot.waitUntil(lambda: window.explorer.racing and window.model.race_data.n == 1
                    and window.controller.state == "ready")
    steps(qtbot, window, 5)
    window.scrubber.set_epoch(2)
    window.draw_now()
    lanes = window.explorer.curve_lanes
    for j, lr in enumerate((0.01, 0.1, 0.3, 0.7, 1.0)):
        x = 7.0
        for _ in range(2):
            x -= lr * (2 * x - 4)
        assert lanes.marker(j)[0] == pytest.approx(x)
        assert len(lanes.lane_data(j)[0]) == 3
    model = window.race_model
    assert model.index(1, 5).data(Qt.ItemDataRole.UserRole) == pytest.approx((x_t(2) - 2) ** 2 + 1)
    assert selected_rows(window) == [2]
    assert "Viewing" in window.statusLabel.text() and "epoch 2 of 50" in window.statusLabel.text()


def test_a_new_run_follows_live(window, qtbot):
    steps(qtbot, window, 3)
    window.scrubber.set_epoch(1)
    window.controls.x0Spin.setValue(5.0)
    qtbot.waitUntil(lambda: window.run_data.n == 1 and window.run_data.params[0, 0] == 5.0)
    assert window.scrubber.live


def test_scrubber_on_its_own(qtbot):
    scrubber = HistoryScrubber()
    qtbot.addWidget(scrubber)
    seen: list[object] = []
    scrubber.epochChanged.connect(seen.append)
    scrubber.set_rows(10)
    assert scrubber.slider.value() == 9 and scrubber.live and seen == []
    scrubber.set_epoch(4)
    assert seen == [4] and scrubber.label.text() == "epoch 4 of 9"
    scrubber.set_rows(20)  # the run grows: the view holds
    assert scrubber.slider.value() == 4 and scrubber.epoch() == 4
    scrubber.slider.setValue(19)  # dragged to the end: live again
    assert scrubber.live and seen[-1] is None
    scrubber.liveButton.setChecked(False)  # hold the newest while the run goes on
    assert scrubber.epoch() == 19
    scrubber.set_rows(30)
    assert scrubber.epoch() == 19
    scrubber.reset()
    assert scrubber.live and scrubber.slider.maximum() == 0


def test_clicking_the_curve_sets_x0(window, qtbot):
    curve = window.curve_plot
    vb = curve.getPlotItem().getViewBox()
    pos = curve.mapFromScene(vb.mapViewToScene(QPointF(-1.5, 10.0)))
    (x0, x1), _ = vb.viewRange()
    pixel = (x1 - x0) / vb.sceneBoundingRect().width()
    qtbot.mouseClick(curve.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    value = window.controls.x0Spin.value()
    assert abs(value - (-1.5)) <= 1.5 * pixel
    assert value == round(value, 3)  # a tidy number, not every digit of the pixel
    qtbot.waitUntil(lambda: window.run_data.n == 1 and window.run_data.params[0, 0] == value
                    and window.controller.state == "ready")
    # a click with a modifier (or a drag) is not a new start
    qtbot.mouseClick(curve.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.ShiftModifier, pos)
    assert window.controls.x0Spin.value() == value


def test_hover_readouts(window, qtbot):
    steps(qtbot, window, 3)
    loss = window.explorer.loss_pointer
    loss.hover(2.2, 0.0)
    assert loss.text == "epoch 2  ·  loss 11.24"  # x₂ = 5.2, f = 3.2² + 1
    loss.hover(40.0, 0.0)
    assert loss.text == ""  # no such epoch yet
    curve = window.explorer.curve_pointer
    curve.hover(3.0, 0.0)
    assert curve.text.startswith("x = 3  ·  f(x) = 2")
    window.action("logScale").setChecked(True)
    window.draw_now()
    loss.hover(1.0, 0.0)
    assert loss.text == "epoch 1  ·  loss 17"
