"""Saving a large session and exporting a long history happen off the GUI thread: the window
keeps answering (its timers tick), a progress dialog offers Cancel, and a cancelled save leaves
the file on disk as it was."""

from __future__ import annotations

import json
import threading

from files_support import new_window, settle
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QProgressDialog, QPushButton

from gdstudio.core.io.session import load_session
from gdstudio.ui.files import exports as exports_module
from gdstudio.ui.files import sessions as sessions_module

EPOCHS = 30_000


def _long_run(qtbot, win) -> None:
    win.controls.epochsSpin.setValue(EPOCHS)
    win.controls.lrSpin.setValue(1e-6)  # crawls: every epoch is run
    qtbot.waitUntil(lambda: win.controller.state == "ready"
                    and win.run_data.planned_epochs == EPOCHS, timeout=30_000)
    win.run_to_end()
    qtbot.waitUntil(lambda: win.controller.state == "finished", timeout=120_000)
    settle(qtbot, win)


class TickGate:
    """Holds the file work on its worker until the GUI thread's timer has ticked ``ticks``
    times: the work can only end if the GUI thread keeps answering while it runs (a save on
    the GUI thread would wait out ``timeout`` and be reported). No clock is read: the check
    holds on a slow machine and a fast one alike."""

    def __init__(self, ticks: int = 20, timeout: float = 20.0) -> None:
        self.ticks = 0
        self.needed = ticks
        self.timeout = timeout
        self.enough = threading.Event()
        self.threads: list[threading.Thread] = []
        self.timer = QTimer()
        self.timer.setInterval(1)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        self.ticks += 1
        if self.ticks >= self.needed:
            self.enough.set()

    def hold(self, work):
        def held(*args, **kwargs):
            self.threads.append(threading.current_thread())
            assert self.enough.wait(self.timeout), "the GUI thread stopped answering"
            return work(*args, **kwargs)
        return held

    def __enter__(self) -> TickGate:
        self.timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.timer.stop()

    def ran_off_the_gui_thread(self) -> bool:
        return bool(self.threads) and all(
            t is not threading.main_thread() for t in self.threads)


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
    with TickGate() as gate:
        monkeypatch.setattr(sessions_module, "save_session",
                            gate.hold(sessions_module.save_session))
        assert win.files.sessions.write(path)
    probe.stop()
    assert any(dialogs_seen)  # the progress dialog was up while the file was written
    assert gate.ran_off_the_gui_thread()
    assert gate.ticks >= gate.needed  # the GUI thread's timer kept ticking during the save
    saved = load_session(path)
    assert saved.history is not None and saved.history.epochs_run == EPOCHS
    assert not win.isWindowModified()


def test_cancelling_a_large_save_keeps_the_old_file(qtbot, monkeypatch, tmp_path):
    win = new_window(qtbot, monkeypatch)
    _long_run(qtbot, win)
    path = tmp_path / "keep.gdstudio"
    path.write_text("the old file")
    pressed = threading.Event()
    save = sessions_module.save_session

    def save_after_cancel(*args, **kwargs):  # the save starts once Cancel was pressed
        assert pressed.wait(20.0), "Cancel was never pressed"
        return save(*args, **kwargs)

    monkeypatch.setattr(sessions_module, "save_session", save_after_cancel)

    def press_cancel() -> None:
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QProgressDialog) and w.isVisible():
                w.findChild(QPushButton).click()  # as the person does
                pressed.set()
                return
        QTimer.singleShot(1, press_cancel)

    QTimer.singleShot(1, press_cancel)
    assert not win.files.sessions.write(path)
    assert pressed.is_set()
    assert path.read_text() == "the old file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.gdstudio"]  # no temporary left


def test_a_long_history_is_exported_off_the_gui_thread(qtbot, monkeypatch, tmp_path):
    win = new_window(qtbot, monkeypatch)
    _long_run(qtbot, win)
    path = tmp_path / "history.json"
    with TickGate() as gate:
        monkeypatch.setattr(exports_module, "save_history",
                            gate.hold(exports_module.save_history))
        assert win.files.export_history("json", str(path))
    assert gate.ran_off_the_gui_thread()
    assert gate.ticks >= gate.needed
    data = json.loads(path.read_text())
    assert data["epochs_run"] == EPOCHS and len(data["steps"]) == EPOCHS + 1
    assert sessions_module.BACKGROUND_ROWS < EPOCHS
