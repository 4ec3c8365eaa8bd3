"""Saving a large session and exporting a long history happen off the GUI thread: the window
keeps answering (its timers tick), a progress dialog offers Cancel, and a cancelled save leaves
the file on disk as it was."""

from __future__ import annotations

import json

from files_support import new_window, settle
from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtWidgets import QApplication, QProgressDialog, QPushButton

from gdstudio.core.io.session import load_session
from gdstudio.ui.files import sessions as sessions_module

EPOCHS = 200_000


def _long_run(qtbot, win) -> None:
    win.controls.epochsSpin.setValue(EPOCHS)
    win.controls.lrSpin.setValue(1e-6)  # crawls: every epoch is run
    qtbot.waitUntil(lambda: win.controller.state == "ready"
                    and win.run_data.planned_epochs == EPOCHS, timeout=30_000)
    win.run_to_end()
    qtbot.waitUntil(lambda: win.controller.state == "finished", timeout=120_000)
    settle(qtbot, win)


class GapClock:
    """The longest gap between the ticks of a 2 ms timer on the GUI thread."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(2)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        self.gaps.append(self.clock.nsecsElapsed() / 1e9)
        self.clock.restart()

    def __enter__(self) -> GapClock:
        self.clock.start()
        self.timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.timer.stop()


def test_a_large_session_is_saved_off_the_gui_thread(qtbot, monkeypatch, tmp_path):
    win = new_window(qtbot, monkeypatch)
    _long_run(qtbot, win)
    path = tmp_path / "long.gdstudio"
    dialogs_seen = []
    probe = QTimer()
    probe.setInterval(5)
    probe.timeout.connect(lambda: dialogs_seen.append(
        any(isinstance(w, QProgressDialog) and w.isVisible()
            for w in QApplication.topLevelWidgets())))
    probe.start()
    with GapClock() as gaps:
        assert win.files.sessions.write(path)
    probe.stop()
    assert any(dialogs_seen)  # the progress dialog was up while the file was written
    assert len(gaps.gaps) > 10  # the GUI thread's timer kept ticking during the save
    saved = load_session(path)
    assert saved.history is not None and saved.history.epochs_run == EPOCHS
    assert not win.isWindowModified()


def test_cancelling_a_large_save_keeps_the_old_file(qtbot, monkeypatch, tmp_path):
    win = new_window(qtbot, monkeypatch)
    _long_run(qtbot, win)
    path = tmp_path / "keep.gdstudio"
    path.write_text("the old file")

    def press_cancel() -> None:
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QProgressDialog) and w.isVisible():
                w.findChild(QPushButton).click()  # as the person does
                return
        QTimer.singleShot(1, press_cancel)

    QTimer.singleShot(1, press_cancel)
    assert not win.files.sessions.write(path)
    assert path.read_text() == "the old file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.gdstudio"]  # no temporary left


def test_a_long_history_is_exported_off_the_gui_thread(qtbot, monkeypatch, tmp_path):
    win = new_window(qtbot, monkeypatch)
    _long_run(qtbot, win)
    path = tmp_path / "history.json"
    with GapClock() as gaps:
        assert win.files.export_history("json", str(path))
    assert len(gaps.gaps) > 10
    data = json.loads(path.read_text())
    assert data["epochs_run"] == EPOCHS and len(data["steps"]) == EPOCHS + 1
    assert sessions_module.BACKGROUND_ROWS < EPOCHS
