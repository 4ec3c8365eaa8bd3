"""Long work stays off the GUI thread's way (issue 13, family 15): a frame's race drawing in
parts, one turn of the event loop each; background file work that rests so the window can
paint; a save that reads the run's rows without copying them on the GUI thread; a session
written a piece at a time. The stalls themselves are measured by bench row e."""

from __future__ import annotations

import numpy as np
import pytest
from files_support import new_window, run_to_end, settle
from PySide6.QtCore import QEvent, QObject, Qt, QTimer

from gdstudio.core import FunctionProblem, RunConfig, run
from gdstudio.core.io import session as core_session
from gdstudio.core.io.session import (
    SaveCancelled,
    dumps_session,
    load_session,
    save_session,
    session_from_history,
    session_text,
)
from gdstudio.ui.files.exports import history_of
from gdstudio.ui.threads import tasks
from gdstudio.ui.window import explore
from gdstudio.ui.window.frames import FrameScheduler

# --- frames in parts -----------------------------------------------------------------------

#: A race of 24 learning rates, from crawling to near divergence.
RATES = tuple(np.geomspace(1e-4, 0.9, 24))


def _scheduler(stages):
    owner = QObject()
    drawn = []
    frames = FrameScheduler(owner, stages, plots=lambda: [], costs=lambda: 0.0,
                            fast=lambda: False, minimized=lambda: False,
                            on_pending=lambda: None, on_drawn=lambda: drawn.append(True))
    return owner, frames, drawn


def test_a_stage_drawn_in_parts_takes_one_turn_per_part_and_is_never_restarted(qtbot):
    log: list[str] = []
    turns = []  # a timer on the same loop: it runs between the parts, not only after them

    def parts():
        for i in range(6):
            log.append(f"part {i}")
            yield
        log.append("end")

    owner, frames, drawn = _scheduler([lambda: log.append("first"), parts,
                                       lambda: log.append("last")])
    ticker = QTimer()
    ticker.timeout.connect(lambda: turns.append(len(log)))
    ticker.start(0)
    frames.schedule()
    # asked again while the parts are drawn: the frame under way ends first, then one more
    qtbot.waitUntil(lambda: "part 2" in log, timeout=5000)
    frames.schedule()
    qtbot.waitUntil(lambda: log.count("last") == 2 and not frames.pending, timeout=5000)
    ticker.stop()
    one = ["first", *(f"part {i}" for i in range(6)), "end", "last"]
    assert log == one + one
    assert len(drawn) == 2
    # other events were served between the parts: the timer saw the log at in-between sizes
    assert len({n for n in turns if 1 <= n < len(one)}) >= 4


def test_draw_now_draws_every_part_at_once(qtbot):
    log: list[int] = []

    def parts():
        for i in range(4):
            log.append(i)
            yield

    owner, frames, drawn = _scheduler([parts])
    frames.draw_now()
    assert log == [0, 1, 2, 3] and drawn == [True] and not frames.pending


def _race_of_24_lanes(qtbot, monkeypatch, epochs=400):
    monkeypatch.setattr(explore, "PART_SECONDS", 0.0)  # each lane in a turn of its own
    win = new_window(qtbot, monkeypatch)
    win.controls.epochsSpin.setValue(epochs)
    win.controls.raceSetup.set_mode("lr")
    win.controls.raceSetup.set_rates(list(RATES))
    race = win.model.race_data
    qtbot.waitUntil(lambda: win.explorer.racing and race.K == 24 and race.n == 1
                    and win.controller.state == "ready", timeout=20_000)
    win.run_to_end()
    qtbot.waitUntil(lambda: win.controller.state == "finished" and race.finished,
                    timeout=60_000)
    qtbot.waitUntil(lambda: not win.frames.pending, timeout=20_000)
    return win


def test_a_long_race_is_drawn_lane_by_lane_and_every_lane_ends_on_its_last_row(
        qtbot, monkeypatch):
    win = _race_of_24_lanes(qtbot, monkeypatch, epochs=3000)
    c = win.controls
    race = win.model.race_data
    # the frames as the window draws them (staged, in parts), not draw_now
    win.schedule_frame()
    qtbot.waitUntil(lambda: not win.frames.pending, timeout=20_000)
    lanes = win.explorer.curve_lanes
    for j in range(24):
        n = int(race.lengths[j])
        xs, _ys = lanes.lane_data(j)
        assert xs[-1] == race.params[n - 1, j, 0], j
        alone = run(RunConfig(problem=race.spec.config.problem, x0=7.0, lr=RATES[j],
                              epochs=3000, tol=c.tolSpin.value()))
        assert alone.epochs_run + 1 == n, j
    table = win.race_model
    assert [table.index(j, 5).data(256) for j in range(24)] == pytest.approx(
        [float(race.loss[int(race.lengths[j]) - 1, j]) for j in range(24)], rel=0, abs=0)
    # 24 loss curves share the loss plot's bins: a few hundred each, not 2048
    points = sum(len(curve.getData()[0]) for curve in win.explorer.loss_lanes.curves)
    assert points <= 2 * 8192 + 2 * 24


class _Paints(QObject):
    """Counts the paint events of some widgets."""

    def __init__(self, *widgets) -> None:
        super().__init__()
        self.count = {w: 0 for w in widgets}
        for w in widgets:
            w.installEventFilter(self)

    def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint and obj in self.count:
            self.count[obj] += 1
        return False


def test_a_race_drawn_in_parts_repaints_each_plot_once_a_frame(qtbot, monkeypatch):
    """24 lanes drawn a lane a turn: each part's change repainted the whole plot, every lane
    of it (up to 24 repaints of 10-20 ms in a frame); the plot now repaints after its last."""
    win = _race_of_24_lanes(qtbot, monkeypatch)
    plots = (win.loss_plot.viewport(), win.curve_plot.viewport())
    paints = _Paints(*plots)
    turns = []
    stage = explore.Explorer.draw_parts

    def counted(self):
        for part in stage(self):
            turns.append(part)
            yield part

    monkeypatch.setattr(explore.Explorer, "draw_parts", counted)
    win.model.select_epoch(200)  # every lane's view changes
    win.schedule_frame()
    qtbot.waitUntil(lambda: not win.frames.pending and not win.frames.waiting_for_paint,
                    timeout=20_000)
    qtbot.wait(50)
    assert len(turns) >= 2 * 24  # drawn in parts, a turn each ...
    # ... and each plot repainted once (its early stage may add one, before its lanes)
    assert all(1 <= n <= 2 for n in paints.count.values()), paints.count


def test_the_race_table_measures_its_cells_only_when_a_column_must_widen(qtbot, monkeypatch):
    """The header sized every column to its contents at every change of a cell: ~1,300 calls
    of the model's data() (10-15 ms) at each frame of a race of 24 lanes."""
    from gdstudio.ui.panels.race_summary import RaceSummaryModel

    calls = []
    data = RaceSummaryModel.data

    def counted(self, index, role=Qt.ItemDataRole.DisplayRole):
        calls.append((index.row(), index.column(), role))
        return data(self, index, role)

    monkeypatch.setattr(RaceSummaryModel, "data", counted)  # (before the view asks for any)
    win = _race_of_24_lanes(qtbot, monkeypatch)
    model, view = win.race_model, win.race_table
    widths = [view.columnWidth(c) for c in range(model.columnCount())]
    qtbot.wait(50)
    calls.clear()
    model.refresh()  # nothing wider to show
    qtbot.wait(50)
    assert [view.columnWidth(c) for c in range(model.columnCount())] == widths
    measured = {(r, c) for r, c, role in calls if role == Qt.ItemDataRole.SizeHintRole}
    # the visible cells that changed may be painted again; no column is measured over its
    # 24 rows (the rows shown are 8 at most)
    assert len(measured) <= 8 * 3, len(measured)
    # a status wider than any shown widens its column to fit it whole
    status = 3
    model.race_data.statuses = ("max_epochs",) * 24  # every lane ended so
    model.race_data.done = np.ones(24, dtype=bool)
    model.refresh()
    text = model.index(0, status).data()
    assert view.columnWidth(status) >= view.fontMetrics().horizontalAdvance(text)


# --- file work off the GUI thread ----------------------------------------------------------


def test_a_task_with_a_rest_rests_between_stretches_of_work(monkeypatch):
    rests = []
    monkeypatch.setattr(tasks.time, "sleep", rests.append)
    clock = [0.0]
    monkeypatch.setattr(tasks.time, "perf_counter", lambda: clock[0])

    class Thread:  # what a context needs of its thread
        class stop:  # noqa: N801
            @staticmethod
            def is_set() -> bool:
                return False

    context = tasks.TaskContext(Thread(), rest_s=0.004)  # type: ignore[arg-type]
    for _ in range(100):  # 100 pieces of 1 ms of work, asking between them
        clock[0] += 0.001
        assert not context.cancelled()
    assert len(rests) == pytest.approx(100 * 0.001 / tasks.PACE_WORK_S, abs=2)
    assert set(rests) == {0.004}
    assert not tasks.TaskContext(Thread(), rest_s=0.0).cancelled() and len(rests) < 20


def test_a_save_reads_the_runs_rows_without_copying_them(qtbot, monkeypatch):
    win = new_window(qtbot, monkeypatch)
    win.controls.epochsSpin.setValue(500)
    qtbot.waitUntil(lambda: win.controller.state == "ready"
                    and win.run_data.planned_epochs == 500, timeout=20_000)
    run_to_end(qtbot, win)
    settle(qtbot, win)
    history = history_of(win.model.run)
    data = win.model.run
    for saved, live in ((history.params, data.params), (history.loss, data.loss),
                        (history.grad, data.grad)):
        assert np.shares_memory(saved, live) and not saved.flags.writeable
    before = history.params.copy()
    win.reset()  # a new run: new arrays, the history handed to a save is unchanged
    qtbot.waitUntil(lambda: win.run_data.n == 1, timeout=20_000)
    win.step()
    qtbot.waitUntil(lambda: win.run_data.n == 2, timeout=20_000)
    np.testing.assert_array_equal(history.params, before)


# --- a session a piece at a time -----------------------------------------------------------


def _long_session(epochs: int = 300_000):
    h = run(RunConfig(problem=FunctionProblem("x**2 - 4*x + 5"), x0=7.0, lr=1e-6,
                      epochs=epochs))
    return session_from_history(h, {"note": "é"})


def test_a_long_session_is_text_in_small_pieces_equal_to_the_whole():
    session = _long_session()
    pieces = list(session_text(session))
    assert max(map(len, pieces)) < 200_000  # 300,000 epochs: ~17 MB of text in all
    assert len(pieces) > 3 * 300_000 / core_session._NUMBERS_PER_PIECE  # noqa: SLF001
    assert "".join(pieces) == dumps_session(session)


def test_a_save_asks_whether_it_is_cancelled_between_pieces(tmp_path):
    session = _long_session()
    path = tmp_path / "s.gdstudio"
    path.write_text("the old file")
    asked = []

    def cancelled() -> bool:
        asked.append(True)
        return len(asked) > 50  # Cancel pressed a moment into the save

    with pytest.raises(SaveCancelled):
        save_session(path, session, cancelled=cancelled)
    assert len(asked) == 51  # it stopped at the first question after Cancel
    assert path.read_text() == "the old file"
    asked.clear()
    save_session(path, session, cancelled=lambda: bool(asked.append(True)))
    assert len(asked) > 3 * 300_000 / core_session._NUMBERS_PER_PIECE  # noqa: SLF001
    assert load_session(path).history.epochs_run == 300_000


def test_text_that_is_not_unicode_anywhere_in_the_ui_part_is_written_escaped(tmp_path):
    # a list whose first value is a number and a later one an undecodable path: the whole
    # document is still checked, and written escaped (else the save would fail half-way)
    h = run(RunConfig(epochs=3))
    session = session_from_history(h, {"recent": [1.0, "/tmp/caf\udce9.csv"]})
    text = dumps_session(session)
    assert "\\udce9" in text and text.isascii()
    path = tmp_path / "s.gdstudio"
    save_session(path, session)
    assert load_session(path).ui == {"recent": [1.0, "/tmp/caf\udce9.csv"]}
