"""Races in the window: the lanes equal the same runs made one by one, the source's lesson in
the summary table, optimizer hyper-parameters, and closing mid-race."""

from __future__ import annotations

import numpy as np
import pytest
from files_support import analysis_text
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton

from gdstudio.core import RunConfig, run
from gdstudio.core.race.lanes import SOURCE_LEARNING_RATES
from gdstudio.ui.panels.race_setup import log_spaced, parse_learning_rates


def start_race(qtbot, window, mode: str, lanes: int) -> None:
    window.controls.raceSetup.set_mode(mode)
    qtbot.waitUntil(lambda: window.explorer.racing and window.model.race_data.K == lanes
                    and window.model.race_data.n == 1 and window.controller.state == "ready"
                    and window.model.race_data.spec is window.controls.race())


def run_to_end(qtbot, window) -> None:
    button = window.findChild(QAbstractButton, "runToEndButton")
    assert button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.controller.state == "finished", timeout=20_000)
    qtbot.waitUntil(lambda: window.model.race_data.finished)
    window.draw_now()


def lane_rows(window, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    race = window.model.race_data
    n = int(race.lengths[j])
    return race.params[:n, j], race.loss[:n, j], race.grad[:n, j]


def summary(window) -> list[dict]:
    model = window.race_model
    keys = ("run", "lr", "optimizer", "status", "to tol", "loss")
    return [{key: model.index(j, c).data(Qt.ItemDataRole.UserRole) for c, key in enumerate(keys)}
            for j in range(model.rowCount())]


def test_learning_rate_race_equals_the_runs_made_one_by_one(window, qtbot):
    window.controls.epochsSpin.setValue(60)
    start_race(qtbot, window, "lr", 5)
    spec = window.model.race_data.spec
    assert [lane.lr for lane in spec.lanes] == list(SOURCE_LEARNING_RATES)
    assert window.race_table.isVisible()
    assert window.race_model.rowCount() == 5
    run_to_end(qtbot, window)
    for j, lane in enumerate(spec.lanes):
        alone = run(RunConfig(problem=spec.config.problem, x0=7.0, lr=lane.lr, epochs=60,
                              tol=window.controls.tolSpin.value()))
        params, loss, grad = lane_rows(window, j)
        assert params.shape == alone.params.shape, lane
        np.testing.assert_allclose(params, alone.params, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(loss, alone.loss, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(grad, alone.grad, rtol=1e-13, atol=1e-13)
        assert window.model.race_data.statuses[j] == alone.status
    # each lane has its own colour on the curve and the loss plot, and the table says which
    paths = window.explorer.curve_lanes
    colours = {paths.paths[j].opts["pen"].color().name() for j in range(5)}
    assert len(colours) == 5
    xs, _ys = paths.lane_data(1)
    np.testing.assert_allclose(xs, 2 + 5 * 0.8 ** np.arange(61), rtol=1e-12)
    assert len(window.explorer.loss_lanes.curves) == 5


def test_the_source_lesson_in_the_summary(window, qtbot):
    c = window.controls
    c.epochsSpin.setValue(200)
    c.tolSpin.setValue(1e-6)
    start_race(qtbot, window, "lr", 5)
    run_to_end(qtbot, window)
    rows = {row["lr"]: row for row in summary(window)}
    # 0.01 is slow: no sign of converging in 200 epochs
    assert rows[0.01]["status"] == "max_epochs" and rows[0.01]["to tol"] is None
    # 0.1 gets there; 0.3 faster
    assert rows[0.1]["status"] == "converged" and rows[0.3]["status"] == "converged"
    assert rows[0.3]["to tol"] < rows[0.1]["to tol"]
    # 0.7 overshoots (x jumps across 2 every step) but converges
    assert rows[0.7]["status"] == "converged"
    x = lane_rows(window, 3)[0][:, 0]
    assert np.all(np.sign(x[1:6] - 2) == -np.sign(x[:5] - 2))
    # 1 never gets there: it jumps between 7 and -3 for ever
    assert rows[1.0]["status"] == "cycling" and rows[1.0]["to tol"] is None
    assert set(lane_rows(window, 4)[0][:, 0]) == {7.0, -3.0}
    # the table shows it as a person reads it
    model = window.race_model
    assert model.index(4, 3).data() == "cycling"
    assert model.index(0, 3).data() == "epoch limit"
    assert "Race over" in window.statusLabel.text()
    assert "cycling" in window.statusLabel.text()
    assert "lr 1" in analysis_text(qtbot, window)  # each lane's regime in the analysis


def test_the_summary_updates_live(window, qtbot):
    start_race(qtbot, window, "lr", 5)
    model = window.race_model
    assert model.index(0, 3).data() == "running…"
    for t in range(1, 4):
        window.step()
        qtbot.waitUntil(lambda t=t: window.model.race_data.n == t + 1)
    qtbot.waitUntil(lambda: window.controller.state == "paused")
    window.draw_now()
    # lane lr 0.1 after three steps: 7 → 6 → 5.2 → 4.56, f = (x − 2)² + 1
    assert model.index(1, 5).data(Qt.ItemDataRole.UserRole) == pytest.approx(1 + 2.56**2)
    assert "Race of 5 runs" in window.statusLabel.text()
    assert "epoch 3 of 50" in window.statusLabel.text()
    # the History table follows the selected lane: choose lr 0.3
    window.race_table.selectRow(2)
    qtbot.waitUntil(lambda: window.run_data.config.lr == 0.3)
    history = window.history_model
    assert history.rowCount() == 4
    assert history.value(1, 1) == pytest.approx(7 - 0.3 * 10)


def test_optimizer_race_with_edited_hyper_parameters_equals_single_runs(window, qtbot):
    c = window.controls
    f = c.optimizerFields
    c.epochsSpin.setValue(40)
    c.lrSpin.setValue(0.05)
    f.momentumSpin.setValue(0.5)
    f.beta1Spin.setValue(0.8)
    f.beta2Spin.setValue(0.99)
    f.alphaSpin.setValue(0.9)
    f.epsEdit.setText("1e-6")
    names = ["gd", "momentum", "nesterov", "adam", "rmsprop", "adagrad"]
    c.raceSetup.set_optimizers(names)
    start_race(qtbot, window, "optimizer", 6)
    assert not c.optimizerCombo.isEnabled()  # the race's optimizers are the check boxes
    for key in ("momentum", "beta1", "beta2", "alpha", "eps"):  # all in play: all shown
        widget = {"momentum": f.momentumSpin, "beta1": f.beta1Spin, "beta2": f.beta2Spin,
                  "alpha": f.alphaSpin, "eps": f.epsEdit}[key]
        assert widget.isVisible(), key
    run_to_end(qtbot, window)
    spec = window.model.race_data.spec
    assert [lane.optimizer.name for lane in spec.lanes] == names
    for j, name in enumerate(names):
        alone = run(RunConfig(problem=spec.config.problem, x0=7.0, lr=0.05, epochs=40,
                              optimizer=name, momentum=0.5, beta1=0.8, beta2=0.99, alpha=0.9,
                              eps=1e-6))
        params, loss, _grad = lane_rows(window, j)
        np.testing.assert_allclose(params, alone.params, rtol=1e-12, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(loss, alone.loss, rtol=1e-12, atol=1e-12, err_msg=name)
    # a different momentum gives a different run: the field really is used
    other = run(RunConfig(problem=spec.config.problem, x0=7.0, lr=0.05, epochs=40,
                          optimizer="momentum", momentum=0.9))
    assert not np.allclose(lane_rows(window, 1)[0], other.params)


def test_hyper_parameter_fields_follow_the_optimizer(window, qtbot):
    c = window.controls
    f = c.optimizerFields
    assert not f.momentumSpin.isVisible() and not f.beta1Spin.isVisible()
    c.optimizerCombo.setCurrentIndex(c.optimizerCombo.findData("adam"))
    assert f.beta1Spin.isVisible() and f.beta2Spin.isVisible() and f.epsEdit.isVisible()
    assert not f.momentumSpin.isVisible() and not f.alphaSpin.isVisible()
    f.beta1Spin.setValue(0.5)
    qtbot.waitUntil(lambda: window.run_data.config is not None
                    and window.run_data.config.beta1 == 0.5)
    f.epsEdit.setText("abc")
    assert f.epsError.isVisible() and not c.is_valid()
    f.epsEdit.setText("")
    assert c.is_valid()
    c.optimizerCombo.setCurrentIndex(c.optimizerCombo.findData("momentum"))
    assert f.momentumSpin.isVisible() and not f.beta1Spin.isVisible()
    f.momentumSpin.lineEdit().setText("1.5")
    assert not f.momentumSpin.hasAcceptableInput() and not c.is_valid()


def test_tolerance_stops_a_single_run(window, qtbot):
    window.controls.tolSpin.setValue(1e-3)
    qtbot.waitUntil(lambda: window.run_data.config.tol == 1e-3
                    and window.controller.state == "ready")
    window.run_to_end()
    qtbot.waitUntil(lambda: window.controller.state == "finished")
    window.draw_now()
    assert window.run_data.status == "converged"
    assert "converged" in window.statusLabel.text().lower()


def test_rates_are_checked_as_typed(window, qtbot):
    setup = window.controls.raceSetup
    setup.set_mode("lr")
    setup.lrsEdit.setText("0.1, -2")
    assert setup.lrsError.isVisible() and "> 0" in setup.lrsError.text()
    assert not window.controls.is_valid()
    setup.lrsEdit.setText("0.1 0.2; 0.1")  # separators, duplicates
    assert not setup.lrsError.isVisible()
    assert setup.rates() == [0.1, 0.2]
    setup.spread_rates(5)
    assert setup.rates() == log_spaced(0.1, 0.2, 5)
    assert parse_learning_rates("0.01, 0.1, 0.3, 0.7, 1")[0] == list(SOURCE_LEARNING_RATES)
    assert log_spaced(0.01, 1, 5) == [0.01, 0.032, 0.1, 0.32, 1.0]
    assert parse_learning_rates("x")[1]
    qtbot.waitUntil(lambda: window.explorer.racing and window.model.race_data.K == 5)


def test_switching_back_to_one_run(window, qtbot):
    start_race(qtbot, window, "lr", 5)
    window.controls.raceSetup.set_mode("single")
    qtbot.waitUntil(lambda: not window.explorer.racing and window.controller.state == "ready"
                    and window.run_data.n == 1)
    assert not window.race_table.isVisible()
    assert window.curve_plot.path_item.isVisible()
    assert not window.explorer.curve_lanes.active
    window.step()
    qtbot.waitUntil(lambda: window.run_data.n == 2)
    assert window.run_data.params[1, 0] == 6.0


def test_closing_mid_race_stops_the_thread(qtbot, monkeypatch):
    from gdstudio.ui.threads import registry
    from gdstudio.ui.window.main_window import MainWindow

    monkeypatch.setattr(MainWindow, "device_probe_delay_ms", None)
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    win.controls.epochsSpin.setValue(2_000_000)
    win.controls.set_speed(0)
    start_race(qtbot, win, "lr", 5)
    win.toggle_play()
    qtbot.waitUntil(lambda: win.model.race_data.n > 2_000)
    assert win.controller.state == "playing"
    thread = win.controller.qthread
    win.setWindowModified(False)
    win.close()
    assert thread.isFinished()
    assert all(not t.isRunning() for t in registry.live_threads())


def test_analysis_predicts_only_the_plain_descent_lanes_of_an_optimizer_race(window, qtbot):
    # Plain gradient descent's theory (2/h, the regimes) says nothing exact about momentum or
    # Adam: their lanes are not given a regime badge, the plain lane is.
    window.controls.lrSpin.setValue(0.1)
    window.controls.raceSetup.set_optimizers(["gd", "momentum", "adam"])
    start_race(qtbot, window, "optimizer", 3)
    qtbot.waitUntil(lambda: "The race" in window.analysis.text())
    text = analysis_text(qtbot, window).split("The race", 1)[1]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # a table row reads as its label, then its value
    by_lane = {name: lines[lines.index(name) + 1]
               for name in ("Gradient descent", "Momentum", "Adam")}
    assert "converges smoothly" in by_lane["Gradient descent"]  # lr 0.1 < 1/h on x² − 4x + 5
    for name in ("Momentum", "Adam"):
        assert "not predicted" in by_lane[name] and "converges" not in by_lane[name]


def test_during_a_race_the_analysis_speaks_of_the_lanes_not_the_greyed_single_rate(window,
                                                                                    qtbot):
    window.controls.lrSpin.setValue(0.3)
    qtbot.waitUntil(lambda: "lr = 0.3" in window.analysis.text())
    start_race(qtbot, window, "lr", 5)
    qtbot.waitUntil(lambda: "The race" in window.analysis.text())
    before, lanes = analysis_text(qtbot, window).split("The race", 1)
    assert "lr = 0.3" not in before and "≈" not in before  # no regime for the single rate
    assert "Critical lr" in before  # the problem's own facts stay
    assert "lr 1" in lanes and "cycles for ever" in lanes
    window.controls.raceSetup.set_mode("single")
    qtbot.waitUntil(lambda: "lr = 0.3" in window.analysis.text())


def test_a_race_exports_every_lane_and_epoch_as_csv_equal_to_the_runs_made_alone(window, qtbot,
                                                                                 tmp_path):
    import csv

    assert not window.action("exportRaceCsv").isEnabled()  # one run: no race to export
    window.controls.epochsSpin.setValue(30)
    window.controls.tolSpin.setValue(0.0)
    start_race(qtbot, window, "lr", 5)
    assert window.action("exportRaceCsv").isEnabled()
    run_to_end(qtbot, window)
    path = window.files.export_race_csv(str(tmp_path / "race.csv"))
    assert path
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["lane", "lr", "optimizer", "epoch", "x", "loss", "grad"]
    spec = window.model.race_data.spec
    for j, lane in enumerate(spec.lanes):
        mine = [r for r in rows if r["lane"] == spec.label(j)]
        alone = run(RunConfig(problem=spec.config.problem, x0=7.0, lr=lane.lr, epochs=30))
        assert [int(r["epoch"]) for r in mine] == list(range(alone.epochs_run + 1))
        assert {r["lr"] for r in mine} == {repr(lane.lr)} and {r["optimizer"] for r in mine} \
            == {"gd"}
        # every number exactly (the shortest text that reads back as the run's float64)
        assert [r["x"] for r in mine] == [repr(v) for v in alone.params[:, 0].tolist()]
        assert [r["loss"] for r in mine] == [repr(v) for v in alone.loss.tolist()]
        assert [r["grad"] for r in mine] == [repr(v) for v in alone.grad[:, 0].tolist()]
    assert len(rows) == sum(int(n) for n in window.model.race_data.lengths)
    assert f"to {path}" in window.statusBar().currentMessage()


def test_one_default_tolerance_a_run_and_the_race_summary_agree_on_converged(window, qtbot):
    """lr 0.1 on the source's example: the run stops "converged" at the first epoch with
    |∇| ≤ 10⁻⁶ (the window's default tol), the epoch the race's summary counts for that lane."""
    from gdstudio.core.race.lanes import DEFAULT_REPORT_TOL

    c = window.controls
    assert c.tolSpin.value() == DEFAULT_REPORT_TOL
    c.epochsSpin.setValue(200)
    c.lrSpin.setValue(0.1)
    qtbot.waitUntil(lambda: window.controller.state == "ready")
    qtbot.mouseClick(window.findChild(QAbstractButton, "runToEndButton"),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.controller.state == "finished", timeout=20_000)
    window.draw_now()
    single = window.model.run
    # the closed form: x_t − 2 = 5·0.8^t, |f′| = 10·0.8^t ≤ 1e-6 first at t = 73
    first = next(t for t in range(200) if 10 * 0.8 ** t <= 1e-6)
    assert single.status == "converged" and single.n - 1 == first
    assert "Converged" in window.statusLabel.text()
    start_race(qtbot, window, "lr", 5)
    run_to_end(qtbot, window)
    rows = {r["lr"]: r for r in summary(window)}
    assert rows[0.1]["status"] == "converged" and rows[0.1]["to tol"] == first


@pytest.mark.parametrize("tab", [0, 1], ids=["function", "regression"])
def test_an_analysis_arriving_after_the_race_keeps_the_lanes_drawn(window, qtbot, tab):
    """A short race often ends before its problem's analysis arrives (the window's first run,
    say): the legends are then relabelled, and the lanes drawn so far must stay on the plots
    (they were made anew, empty, and nothing drew them again: a finished race showed its
    legend and table but no path, marker or loss curve)."""
    import dataclasses

    c = window.controls
    c.problemTabs.setCurrentIndex(tab)
    c.epochsSpin.setValue(40)
    start_race(qtbot, window, "lr", 5)
    run_to_end(qtbot, window)
    qtbot.waitUntil(lambda: window.model.analysis is not None)
    explorer = window.explorer
    paths = [explorer.curve_lanes] if tab == 0 else [window.landscape_plot.lanes]
    before = [[p.lane_data(j) for j in range(5)] for p in paths]
    loss_before = [curve.getData() for curve in explorer.loss_lanes.curves]
    assert all(len(xs) for lanes in before for xs, _ys in lanes)
    assert all(x is not None and len(x) for x, _y in loss_before)
    # the same theory, a new object: as if it had just been worked out
    window.model.set_analysis(dataclasses.replace(window.model.analysis))
    for layer, drawn in zip(paths, before, strict=True):
        assert len(layer.paths) == 5
        for j, (xs, ys) in enumerate(drawn):
            now = layer.lane_data(j)
            np.testing.assert_array_equal(now[0], xs)
            np.testing.assert_array_equal(now[1], ys)
            assert layer.marker(j) is not None
            assert layer.paths[j].curve.isVisible()
    for curve, (_x, y) in zip(explorer.loss_lanes.curves, loss_before, strict=True):
        np.testing.assert_array_equal(curve.getData()[1], y)
    names = [label.text for _sample, label in window.curve_plot.legend.items] if tab == 0 \
        else [label.text for _sample, label in window.landscape_plot.legend.items]
    assert sum(name.startswith("lr ") for name in names) == 5


def test_a_race_legend_lies_clear_of_the_lanes(window, qtbot):
    """The curve plot's legend, with a race's lanes in it, takes its columns and its room
    above the data (it stayed one tall column over the lr 1 lane's line at f = 26)."""
    window.resize(1024, 768)
    window.controls.epochsSpin.setValue(40)
    start_race(qtbot, window, "lr", 5)
    run_to_end(qtbot, window)
    qtbot.waitUntil(lambda: window.model.analysis is not None)
    import dataclasses

    # the analysis arriving after the race has begun (the legends relabelled over the lanes)
    window.model.set_analysis(dataclasses.replace(window.model.analysis))
    window.draw_now()
    plot = window.curve_plot
    assert plot.legend.isVisible() and plot.legend.columnCount > 1
    box = plot.vb.mapSceneToView(plot.legend.sceneBoundingRect()).boundingRect()
    lanes = window.explorer.curve_lanes
    for j in range(5):
        xs, ys = lanes.lane_data(j)
        inside = (xs > box.left()) & (xs < box.right()) & (ys > box.top()) & (ys < box.bottom())
        assert not inside.any(), (j, box, xs[inside], ys[inside])
