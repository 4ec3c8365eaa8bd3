"""Sessions in the window: save → open round trips, refused files, atomic writes, the title,
unsaved-changes questions, Open Recent, the setup remembered between launches."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from files_support import (
    history_arrays,
    new_window,
    open_session,
    parse_csv,
    run_to_end,
    set_lr_mid_run,
    settle,
    step,
)

from gdstudio.cli import main
from gdstudio.core import FunctionProblem, RegressionProblem, RunConfig
from gdstudio.core.io.session import load_session, save_session
from gdstudio.ui.files import dialogs
from gdstudio.ui.panels.control_panel import REGRESSION_TAB


@pytest.fixture
def win(qtbot, monkeypatch):
    return new_window(qtbot, monkeypatch)


def save_as(monkeypatch, win, path) -> bool:
    monkeypatch.setattr(dialogs, "ask_save_path", lambda *a: str(path))
    return win.files.sessions.save_as()


def test_run_session_reproduces_a_window_run_with_lr_changes(win, qtbot, monkeypatch,
                                                            tmp_path, capsys):
    # The rate changed twice mid-run in the window; the saved session run headless makes the
    # same changes at the same epochs: the window's rows, bit for bit, then on to the end.
    step(qtbot, win, 3)
    set_lr_mid_run(qtbot, win, 0.3)
    step(qtbot, win, 2)
    set_lr_mid_run(qtbot, win, 0.05)
    step(qtbot, win, 4)
    params, loss, grad = history_arrays(win)
    assert [(c.epoch, c.lr) for c in win.run_data.lr_changes] == [(3, 0.3), (5, 0.05)]
    path = tmp_path / "changed.gdstudio"
    assert save_as(monkeypatch, win, path)
    capsys.readouterr()
    assert main(["run", "--session", str(path), "--format", "csv"]) == 0
    header, rows = parse_csv(capsys.readouterr().out)
    assert header == ["epoch", "x", "loss", "grad"] and rows.shape[0] == 51  # the 50 epochs
    n = params.shape[0]
    assert rows[:n, 1].tobytes() == params[:, 0].tobytes()
    assert rows[:n, 2].tobytes() == loss.tobytes()
    assert rows[:n, 3].tobytes() == grad[:, 0].tobytes()
    # and the rest is the window's own run carried on with the rate in force (0.05)
    run_to_end(qtbot, win)
    p2, l2, _ = history_arrays(win)
    assert rows[:, 1].tobytes() == p2[:, 0].tobytes() and rows[:, 2].tobytes() == l2.tobytes()


def test_title_shows_the_file_and_unsaved_changes(win, qtbot, monkeypatch, tmp_path):
    assert win.windowTitle() == "Untitled[*] — Gradient Descent Studio"
    assert not win.isWindowModified()
    step(qtbot, win)
    assert win.isWindowModified()  # the run went on: something to keep
    assert save_as(monkeypatch, win, tmp_path / "lesson")
    assert win.windowTitle() == "lesson.gdstudio[*] — Gradient Descent Studio"
    assert (tmp_path / "lesson.gdstudio").is_file()  # the suffix is added
    assert not win.isWindowModified()
    win.action("logScale").setChecked(True)  # view state travels in the file too
    assert win.isWindowModified()
    win.files.sessions.save()
    assert not win.isWindowModified()
    win.controls.epochsSpin.setValue(60)
    assert win.isWindowModified()


def test_round_trip_restores_settings_history_and_view(win, qtbot, monkeypatch, tmp_path):
    c = win.controls
    c.choose_preset("quartic")
    c.epochsSpin.setValue(40)
    c.optimizerCombo.setCurrentIndex(c.optimizerCombo.findData("momentum"))
    c.set_speed(200)
    win.action("logScale").setChecked(True)
    settle(qtbot, win)
    step(qtbot, win, 6)
    set_lr_mid_run(qtbot, win, 0.002)
    step(qtbot, win, 4)
    saved_config = win.run_data.config
    params, loss, grad = history_arrays(win)
    changes = list(win.run_data.lr_changes)
    path = tmp_path / "quartic.gdstudio"
    assert save_as(monkeypatch, win, path)

    on_disk = load_session(path)
    assert on_disk.ui["view"]["log_scale"] is True and on_disk.ui["view"]["speed"] == 200
    np.testing.assert_array_equal(on_disk.history.params, params)

    # Change everything, then open the file again.
    win.files.sessions.new()
    settle(qtbot, win)
    assert c.expressionEdit.text() == "x**2 - 4*x + 5" and win.run_data.n == 1
    win.action("logScale").setChecked(False)
    c.set_speed(5)
    assert open_session(qtbot, win, path)

    config = win.run_data.config
    assert config.problem.text == saved_config.problem.text
    for field in ("x0", "lr", "epochs", "engine", "dtype", "optimizer", "momentum", "tol"):
        assert getattr(config, field) == getattr(saved_config, field), field
    p2, l2, g2 = history_arrays(win)
    np.testing.assert_array_equal(p2, params)
    np.testing.assert_array_equal(l2, loss)
    np.testing.assert_array_equal(g2, grad)
    assert win.run_data.lr_changes == changes
    assert c.lrSpin.value() == 0.002  # the rate in force when it was saved
    assert c.epochsSpin.value() == 40 and c.optimizerCombo.currentData() == "momentum"
    assert win.action("logScale").isChecked() and c.speed() == 200
    assert win.controller.state == "paused"  # and the run goes on from where it was
    step(qtbot, win)
    assert win.run_data.n == 12
    assert win.windowTitle().startswith("quartic.gdstudio[*]")


def test_zoomed_plot_view_is_restored(win, qtbot, monkeypatch, tmp_path):
    run_to_end(qtbot, win)
    vb = win.curve_plot.getPlotItem().getViewBox()
    vb.setRange(xRange=(1.0, 3.0), yRange=(0.5, 2.0), padding=0)
    vb.sigRangeChangedManually.emit(vb.mouseEnabled())
    assert not win.curve_plot.following
    path = tmp_path / "zoom.gdstudio"
    assert save_as(monkeypatch, win, path)
    win.files.sessions.new()
    settle(qtbot, win)
    assert win.curve_plot.following
    assert open_session(qtbot, win, path)
    assert not win.curve_plot.following
    (x0, x1), _ = vb.viewRange()
    assert (x0, x1) == pytest.approx((1.0, 3.0))


def test_regression_round_trip_embeds_the_data(win, qtbot, monkeypatch, tmp_path):
    win.controls.problemTabs.setCurrentIndex(REGRESSION_TAB)
    win.controls.seedSpin.setValue(7)
    settle(qtbot, win)
    step(qtbot, win, 5)
    problem = win.run_data.config.problem
    path = tmp_path / "fit.gdstudio"
    assert save_as(monkeypatch, win, path)
    win.files.sessions.new()
    settle(qtbot, win)
    assert open_session(qtbot, win, path)
    shown = win.run_data.config.problem
    assert isinstance(shown, RegressionProblem)
    np.testing.assert_array_equal(shown.x, problem.x)
    np.testing.assert_array_equal(shown.y, problem.y)
    assert win.controls.seedSpin.value() == 7 and win.controls.syntheticRadio.isChecked()
    assert win.run_data.n == 6


def _corrupt(path, good: bytes, kind: str) -> None:
    if kind == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif kind == "garbage":
        path.write_bytes(b"\xff\xfe\x00\x01 not a session")
    elif kind == "future":
        doc = json.loads(good)
        doc["version"] = 99
        path.write_text(json.dumps(doc))
    elif kind == "wrong-type":
        doc = json.loads(good)
        doc["config"]["epochs"] = "many"
        path.write_text(json.dumps(doc))
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "missing":
        path.unlink()


@pytest.mark.parametrize("kind, why", [
    ("truncated", "truncated"), ("garbage", "not UTF-8"), ("future", "newer gdstudio"),
    ("wrong-type", "epochs"), ("empty", "empty"), ("missing", "file not found"),
])
def test_a_bad_file_is_refused_and_changes_nothing(win, qtbot, monkeypatch, tmp_path,
                                                  shown_dialogs, kind, why):
    # A good session of another problem, then damaged.
    other = tmp_path / "other.gdstudio"
    from gdstudio.core import run
    from gdstudio.core.io.session import session_from_history

    save_session(other, session_from_history(run(RunConfig(
        problem=FunctionProblem("x**4 - 3*x"), x0=2.0, lr=0.01, epochs=30))))
    _corrupt(other, other.read_bytes(), kind)

    mine = tmp_path / "mine.gdstudio"
    step(qtbot, win, 3)
    assert save_as(monkeypatch, win, mine)
    step(qtbot, win, 2)  # unsaved work on top
    title, config = win.windowTitle(), win.run_data.config
    params, loss, grad = history_arrays(win)

    monkeypatch.setattr(dialogs, "ask_open_path", lambda *a: str(other))
    assert not win.files.sessions.open()
    assert shown_dialogs and why in shown_dialogs[-1][1] and str(other) in shown_dialogs[-1][1]
    assert "Nothing was changed" in shown_dialogs[-1][1]
    settle(qtbot, win)
    assert win.windowTitle() == title and win.isWindowModified()
    assert win.run_data.config is config and win.controls.expressionEdit.text() == \
        "x**2 - 4*x + 5"
    np.testing.assert_array_equal(win.run_data.params, params)
    np.testing.assert_array_equal(win.run_data.loss, loss)
    np.testing.assert_array_equal(win.run_data.grad, grad)
    assert win.controller.state == "paused"


def test_a_session_the_window_cannot_show_is_refused(win, qtbot, tmp_path, shown_dialogs):
    from gdstudio.core import run
    from gdstudio.core.io.session import session_from_history

    path = tmp_path / "bold.gdstudio"
    save_session(path, session_from_history(run(RunConfig(
        problem=FunctionProblem("x**2"), x0=1.0, lr=50.0, epochs=3))))
    config = win.run_data.config
    assert not win.files.sessions.open_file(path)
    assert "outside the window's range" in shown_dialogs[-1][1]
    assert "Nothing was changed" in shown_dialogs[-1][1]
    assert win.run_data.config is config and win.files.sessions.path is None


def test_a_surface_session_round_trips(win, qtbot, monkeypatch, tmp_path):
    from gdstudio.core import run
    from gdstudio.core.io.session import session_from_history
    from gdstudio.ui.panels.control_panel import SURFACE_TAB

    saved = run(RunConfig(problem=FunctionProblem("x**2 + 3*y**2", variables=("x", "y")),
                          x0=(1.0, -2.0), lr=0.05, epochs=25))
    path = tmp_path / "bowl.gdstudio"
    save_session(path, session_from_history(saved))
    assert open_session(qtbot, win, path)
    c = win.controls
    assert c.problemTabs.currentIndex() == SURFACE_TAB
    assert c.surfaceTab.surfaceEdit.text() == "x**2 + 3*y**2"
    assert c.surfaceTab.start() == (1.0, -2.0)
    np.testing.assert_array_equal(win.run_data.params, saved.params)
    assert win.plot_stack.currentWidget() is win.surface_plot


def test_a_race_setup_travels_in_the_session(win, qtbot, monkeypatch, tmp_path):
    race = win.controls.raceSetup
    race.set_rates([0.1, 0.3, 0.7])
    race.set_mode("lr")
    settle(qtbot, win)
    assert win.explorer.racing
    run_to_end(qtbot, win)
    path = tmp_path / "race.gdstudio"
    assert save_as(monkeypatch, win, path)
    win.files.sessions.new()
    settle(qtbot, win)
    assert race.mode() == "single" and not win.explorer.racing
    assert win.files.sessions.open_file(path)
    settle(qtbot, win)
    assert race.mode() == "lr" and race.rates() == [0.1, 0.3, 0.7]
    assert win.explorer.racing and win.run_data.n == 1  # the race starts again


def test_a_failed_write_keeps_the_old_file_and_says_so(win, qtbot, monkeypatch, tmp_path,
                                                       shown_dialogs):
    import gdstudio.core.io.session as core_session

    path = tmp_path / "keep.gdstudio"
    step(qtbot, win, 2)
    assert save_as(monkeypatch, win, path)
    before = path.read_bytes()
    step(qtbot, win, 5)
    assert win.isWindowModified()

    def half_then_fail(fh, pieces, check):  # the disk fills up half way through the new file
        text = "".join(pieces)
        fh.write(text[: len(text) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(core_session, "_write_text", half_then_fail)
    assert not win.files.sessions.save()
    assert path.read_bytes() == before  # the old file, whole
    assert load_session(path).history.epochs_run == 2
    assert [p.name for p in tmp_path.iterdir() if p.name != "settings"] == ["keep.gdstudio"]
    assert "No space left on device" in shown_dialogs[-1][1]
    assert "file on disk" in shown_dialogs[-1][1]
    assert win.isWindowModified()  # still unsaved: nothing pretends otherwise


@pytest.mark.parametrize("answer", [dialogs.CANCEL, dialogs.DISCARD, dialogs.SAVE])
def test_closing_with_unsaved_changes_asks(win, qtbot, monkeypatch, tmp_path, answer):
    path = tmp_path / "work.gdstudio"
    asked = []
    monkeypatch.setattr(dialogs, "ask_save_changes",
                        lambda parent, name: asked.append(name) or answer)
    monkeypatch.setattr(dialogs, "ask_save_path", lambda *a: str(path))
    step(qtbot, win, 3)
    closed = win.close()
    assert asked == ["Untitled"]
    if answer == dialogs.CANCEL:
        assert not closed and win.isVisible() and win.controller.running
        assert win.isWindowModified() and not path.exists()
        win.setWindowModified(False)  # so the test's own teardown may close it
    else:
        assert closed and not win.isVisible() and not win.controller.running
        assert path.exists() == (answer == dialogs.SAVE)
        if answer == dialogs.SAVE:
            assert load_session(path).history.epochs_run == 3


def test_new_and_open_ask_before_dropping_changes(win, qtbot, monkeypatch, tmp_path):
    other = tmp_path / "other.gdstudio"
    assert save_as(monkeypatch, win, other)
    step(qtbot, win, 2)
    monkeypatch.setattr(dialogs, "ask_save_changes", lambda parent, name: dialogs.CANCEL)
    assert not win.files.sessions.new()
    assert not win.files.sessions.open(str(other))
    assert not win.close() and win.isVisible()
    assert win.run_data.n == 3 and win.isWindowModified()
    monkeypatch.setattr(dialogs, "ask_save_changes", lambda parent, name: dialogs.DISCARD)
    assert win.files.sessions.new()
    settle(qtbot, win)
    assert win.run_data.n == 1 and not win.isWindowModified()
    assert win.windowTitle().startswith("Untitled")


def test_open_recent_lists_files_and_prunes_missing_ones(win, qtbot, monkeypatch, tmp_path):
    paths = [tmp_path / f"s{i}.gdstudio" for i in range(3)]
    for p in paths:
        assert save_as(monkeypatch, win, p)
    assert win.files.sessions.recent() == [str(p) for p in reversed(paths)]
    paths[1].unlink()
    menu = win.files.recentMenu
    menu.aboutToShow.emit()
    titles = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert titles[:2] == ["&1  s2.gdstudio", "&2  s0.gdstudio"]
    assert "s1.gdstudio" in win.message_bar.text and "no longer there" in win.message_bar.text
    assert str(paths[1]) not in win.files.sessions.recent()
    # Opening from the menu
    step(qtbot, win)
    win.files.sessions.set_clean()
    menu.actions()[1].trigger()
    settle(qtbot, win)
    assert win.files.sessions.path == paths[0]


def test_the_setup_is_remembered_for_the_next_launch(qtbot, monkeypatch):
    first = new_window(qtbot, monkeypatch)
    c = first.controls
    c.choose_preset("quartic")
    c.x0Spin.setValue(1.5)
    c.epochsSpin.setValue(77)
    c.lrSpin.setValue(0.003)
    c.optimizerCombo.setCurrentIndex(c.optimizerCombo.findData("adam"))
    settle(qtbot, first)
    first.files.sessions.set_clean()
    first.close()

    second = new_window(qtbot, monkeypatch)
    c2 = second.controls
    assert c2.expressionEdit.text() == c.expressionEdit.text()
    assert (c2.x0Spin.value(), c2.epochsSpin.value(), c2.lrSpin.value()) == (1.5, 77, 0.003)
    assert c2.optimizerCombo.currentData() == "adam"
    assert second.run_data.config.optimizer == "adam" and second.run_data.params[0, 0] == 1.5
    assert not second.isWindowModified()
    assert second.run_data.n == 1  # the setup, not the run


# The offscreen platform cannot raise a floating dock (nor propagate size hints: conftest).
@pytest.mark.qt_log_ignore("This plugin does not support raise",
                           "This plugin does not support propagateSizeHints")
def test_reset_layout_brings_every_dock_back(win, qtbot):
    win.analysisDock.setFloating(True)
    win.historyDock.close()
    win.controlsDock.hide()
    win.resize(700, 500)
    win.reset_layout()
    for dock in (win.controlsDock, win.analysisDock, win.historyDock):
        assert dock.isVisible() and not dock.isFloating(), dock.objectName()
    assert win.size().width() >= 1000
    from PySide6.QtCore import Qt

    assert win.dockWidgetArea(win.controlsDock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert win.dockWidgetArea(win.historyDock) == Qt.DockWidgetArea.RightDockWidgetArea


def test_ui_state_registry_round_trips_unknown_and_broken_parts(win, qtbot, monkeypatch,
                                                                tmp_path):
    registry = win.files.ui_state
    got: list[dict] = []
    registry.register("probe", lambda: {"answer": 42}, got.append)
    registry.register("broken", lambda: 1 / 0, lambda d: 1 / 0)
    with pytest.raises(ValueError):
        registry.register("probe", dict, got.append)
    path = tmp_path / "ui.gdstudio"
    assert save_as(monkeypatch, win, path)
    doc = json.loads(path.read_text())
    assert doc["ui"]["probe"] == {"answer": 42} and "broken" not in doc["ui"]
    doc["ui"]["from_the_future"] = {"keep": [1, 2]}
    doc["ui"]["view"] = {"log_scale": "yes", "speed": None}  # wrong types: defaults
    path.write_text(json.dumps(doc))
    assert open_session(qtbot, win, path)
    assert got == [{"answer": 42}]
    assert "broken" in win.message_bar.text
    assert not win.action("logScale").isChecked()
    assert save_as(monkeypatch, win, tmp_path / "again.gdstudio")
    again = json.loads((tmp_path / "again.gdstudio").read_text())
    assert again["ui"]["from_the_future"] == {"keep": [1, 2]}  # kept for a newer version


def test_every_setting_is_shown_or_kept_and_said(win, qtbot, tmp_path):
    from gdstudio.core import run
    from gdstudio.core.io.session import session_from_history

    path = tmp_path / "tol.gdstudio"
    save_session(path, session_from_history(run(RunConfig(
        problem=FunctionProblem("x**2 - 4*x + 5"), x0=7.0, lr=0.1, epochs=500, tol=1e-6,
        optimizer="momentum", momentum=0.5, stop_on_cycle=True))))
    assert open_session(qtbot, win, path)
    c = win.controls
    assert c.tolSpin.value() == 1e-6 and c.optimizerFields.momentumSpin.value() == 0.5
    config = win.run_data.config
    assert (config.tol, config.momentum, config.stop_on_cycle) == (1e-6, 0.5, True)
    assert win.run_data.status == "converged"
    # stop_on_cycle has no control in the window: kept, and said
    assert "stop_on_cycle = True" in win.message_bar.text
    win.reset()
    settle(qtbot, win)
    assert win.run_data.config.stop_on_cycle and win.run_data.config.tol == 1e-6  # Reset too
    assert os.path.basename(str(path)) in win.windowTitle()
