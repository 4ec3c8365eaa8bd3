"""Session files the window cannot hold (issue 13, family 11).

Values the core accepts but a field cannot show are refused when the file is opened, before
anything changes (all or nothing); a saved plot range the plots cannot draw is not applied;
a ``ui`` part nested too deeply to be saved again is refused at opening. Whatever opens can be
saved, and the saved file opens again.
"""

from __future__ import annotations

import json

import pyqtgraph as pg
import pytest
from files_support import new_window, open_session, settle, step

from gdstudio.core import FunctionProblem, RegressionProblem, RunConfig, run
from gdstudio.core.io.session import (
    MAX_UI_DEPTH,
    Session,
    SessionError,
    load_session,
    loads_session,
    save_session,
    session_from_history,
)
from gdstudio.ui.files import dialogs


@pytest.fixture
def win(qtbot, monkeypatch):
    return new_window(qtbot, monkeypatch)


def _save_as(monkeypatch, win, path) -> bool:
    monkeypatch.setattr(dialogs, "ask_save_path", lambda *a: str(path))
    return win.files.sessions.save_as()


def _regression(**kw) -> RunConfig:
    synthetic = kw.pop("synthetic", {})
    problem = RegressionProblem.synthetic(**synthetic)
    return RunConfig(problem=problem, lr=1e-4, epochs=3, **kw)


#: name -> (a config the core accepts, words of the refusal): each beyond one field's range
BEYOND = {
    "batch seed beyond 32 bits": (
        lambda: _regression(batch_size=10, batch_seed=2**40),
        "the batch seed must be at most 2,147,483,647 (the file has 1099511627776)"),
    "data seed beyond 32 bits": (
        lambda: _regression(synthetic={"seed": 2**33}),
        "the seed must be at most 2,147,483,647 (the file has 8589934592)"),
    "noise beyond the field": (
        lambda: _regression(synthetic={"noise": 5e6}), "the noise must be at most"),
    "tolerance beyond the field": (
        lambda: RunConfig(problem=FunctionProblem("x**2"), x0=1.0, lr=0.1, epochs=3, tol=1e13),
        "the tolerance must be at most"),
}


@pytest.mark.parametrize("name", list(BEYOND))
def test_a_value_no_field_can_hold_is_refused_before_anything_changes(
        win, qtbot, tmp_path, shown_dialogs, name):
    make, words = BEYOND[name]
    path = tmp_path / "beyond.gdstudio"
    save_session(path, Session(config=make()))  # the core accepts it
    step(qtbot, win, 2)
    before = win.run_data.config
    fields = (win.controls.lrSpin.value(), win.controls.epochsSpin.value(),
              win.controls.problemTabs.currentIndex(), win.controls.tolSpin.value())
    title = win.windowTitle()
    assert not win.files.sessions.open_file(path)
    message = shown_dialogs[-1][1]
    assert "this window cannot show it" in message and words in message, message
    assert "Nothing was changed" in message
    # all or nothing: the run, every field and the title as they were
    assert win.run_data.config is before and win.run_data.n == 3
    assert (win.controls.lrSpin.value(), win.controls.epochsSpin.value(),
            win.controls.problemTabs.currentIndex(), win.controls.tolSpin.value()) == fields
    assert win.windowTitle() == title and win.files.sessions.path is None


def test_values_at_the_fields_limits_open_save_and_reopen(win, qtbot, monkeypatch, tmp_path):
    path = tmp_path / "edge.gdstudio"
    config = _regression(batch_size=10, batch_seed=2**31 - 1, synthetic={"seed": 2**31 - 1})
    save_session(path, session_from_history(run(config)))
    assert open_session(qtbot, win, path)
    opts = win.controls.regressionTab.regressionOptions
    assert opts.seedSpin.value() == 2**31 - 1
    assert win.run_data.config.batch_seed == 2**31 - 1
    again = tmp_path / "again.gdstudio"
    assert _save_as(monkeypatch, win, again)
    assert load_session(again).config.batch_seed == 2**31 - 1
    assert open_session(qtbot, win, again)


def _with_ui(path, make_ui) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["ui"] = make_ui(doc["ui"])
    path.write_text(json.dumps(doc), encoding="utf-8")


@pytest.mark.parametrize("span", [1e308, 1e200, 1e60])
def test_a_plot_range_the_plots_cannot_draw_is_not_applied_and_saving_works(
        win, qtbot, monkeypatch, tmp_path, span):
    path = tmp_path / "view.gdstudio"
    assert _save_as(monkeypatch, win, path)
    names = [p.objectName() for p in win.findChildren(pg.PlotWidget) if p.objectName()]
    assert names

    def huge(ui):
        ui["view"]["plots"] = {n: {"follow": False, "x": [-span, span], "y": [-span, span]}
                               for n in names}
        return ui

    _with_ui(path, huge)
    assert open_session(qtbot, win, path)
    qtbot.wait(50)  # the plot views are restored at the event loop's next turn
    step(qtbot, win)
    settle(qtbot, win)
    for plot in win.findChildren(pg.PlotWidget):
        (x0, x1), (y0, y1) = plot.getPlotItem().getViewBox().viewRange()
        assert all(abs(v) < 1e300 for v in (x0, x1, y0, y1)) and x1 - x0 < 1e300
    again = tmp_path / "again.gdstudio"
    assert _save_as(monkeypatch, win, again)
    assert open_session(qtbot, win, again)


def test_a_reasonable_zoom_is_still_restored(win, qtbot, monkeypatch, tmp_path):
    path = tmp_path / "zoom.gdstudio"
    assert _save_as(monkeypatch, win, path)
    plot = win.findChildren(pg.PlotWidget)[0]
    name = plot.objectName()

    def zoom(ui):
        ui["view"]["plots"] = {name: {"follow": False, "x": [-3.0, 5.0], "y": [1.0, 9.0]}}
        return ui

    _with_ui(path, zoom)
    assert open_session(qtbot, win, path)
    qtbot.waitUntil(lambda: plot.getPlotItem().getViewBox().viewRange()[0] == [-3.0, 5.0],
                    timeout=5000)


def _nested(depth: int):
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


def test_a_ui_part_too_deep_to_save_again_is_refused_at_opening(win, tmp_path, shown_dialogs):
    path = tmp_path / "deep.gdstudio"
    save_session(path, Session(config=RunConfig(problem=FunctionProblem("x**2"), x0=1.0)))
    _with_ui(path, lambda ui: {**ui, "other": _nested(MAX_UI_DEPTH + 5)})
    with pytest.raises(SessionError, match="nested too deeply"):
        load_session(path)
    before = win.run_data.config
    assert not win.files.sessions.open_file(path)
    assert "nested too deeply" in shown_dialogs[-1][1]
    assert win.run_data.config is before


def test_what_opens_can_be_saved_and_opens_again(win, qtbot, monkeypatch, tmp_path):
    """A ui part just within the limit, an unknown key kept: open, save, reopen."""
    path = tmp_path / "kept.gdstudio"
    save_session(path, Session(config=RunConfig(problem=FunctionProblem("x**2"), x0=1.0)))
    _with_ui(path, lambda ui: {**ui, "other": _nested(MAX_UI_DEPTH - 1)})
    assert loads_session(path.read_bytes()).ui["other"] == _nested(MAX_UI_DEPTH - 1)
    assert open_session(qtbot, win, path)
    again = tmp_path / "again.gdstudio"
    assert _save_as(monkeypatch, win, again)
    assert load_session(again).ui["other"] == _nested(MAX_UI_DEPTH - 1)
    assert open_session(qtbot, win, again)


@pytest.mark.parametrize("rates, words", [
    ([1e300], "each learning rate must be at most 10"),
    ([0.001 * k for k in range(1, 30)], "at most 24 learning rates in one race"),
])
def test_race_rates_the_race_field_refuses_are_refused_whole(win, tmp_path, shown_dialogs,
                                                             rates, words):
    path = tmp_path / "race.gdstudio"
    save_session(path, Session(config=RunConfig(problem=FunctionProblem("x**2"), x0=1.0),
                               ui={"race": {"mode": "lr", "rates": rates}}))
    before = win.run_data.config
    text = win.controls.raceSetup.lrsEdit.text()
    assert not win.files.sessions.open_file(path)
    assert "its race state: " + words in shown_dialogs[-1][1]
    assert win.run_data.config is before and win.controls.raceSetup.lrsEdit.text() == text
    assert win.controls.raceSetup.mode() == "single"


def test_a_view_pyqtgraph_could_not_compute_never_blocks_saving(win, monkeypatch):
    from gdstudio.core.io.session import dumps_session

    plot = win.findChildren(pg.PlotWidget)[0]
    vb = plot.getPlotItem().getViewBox()
    monkeypatch.setattr(type(plot), "following", property(lambda self: False))
    monkeypatch.setattr(vb, "viewRange", lambda: [[float("nan"), 1.0], [0.0, float("inf")]])
    ui = win.files.ui_state.collect()  # what Save collects (no event loop turn meanwhile)
    monkeypatch.undo()
    assert plot.objectName() not in ui["view"]["plots"]
    dumps_session(Session(config=win.run_data.config, ui=ui))  # saving does not refuse it
