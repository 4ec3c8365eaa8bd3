"""Helpers for the files tests: build windows, drive runs, import CSVs, open sessions."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QDialogButtonBox

from gdstudio.ui.window.main_window import MainWindow

TIMEOUT_MS = 30_000


def analysis_text(qtbot, win) -> str:
    """The analysis panel's text once the theory has arrived (it is worked out off the GUI
    thread, after the run is set up)."""
    qtbot.waitUntil(lambda: "Working out" not in win.analysis.text(), timeout=30_000)
    return win.analysis.text()


def started(win) -> bool:
    """The window has its first run at epoch 0 on screen (frame drawn) and SymPy loaded (the
    derivative and the analysis shown: they follow the first paint, see
    gdstudio.ui.threads.symbolic)."""
    from gdstudio.ui.threads import symbolic

    return (win.controller.state == "ready" and win.run_data.n == 1 and symbolic.is_ready()
            and "Working out" not in win.analysis.text()
            and "Preparing" not in win.statusLabel.text())


def new_window(qtbot, monkeypatch) -> MainWindow:
    """A shown window whose first run is ready (no torch probe)."""
    monkeypatch.setattr(MainWindow, "device_probe_delay_ms", None)
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1300, 860)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: started(win),
                    timeout=TIMEOUT_MS)
    return win


def settle(qtbot, win: MainWindow) -> None:
    """The worker has answered the last command and the last frame is drawn."""
    qtbot.waitUntil(lambda: win.controller.state in ("ready", "paused", "finished")
                    and win.run_data.config is not None, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not win.frames.pending, timeout=TIMEOUT_MS)
    win.draw_now()


def step(qtbot, win: MainWindow, times: int = 1) -> None:
    for _ in range(times):
        n = win.run_data.n
        win.step()
        qtbot.waitUntil(lambda n=n: win.run_data.n == n + 1, timeout=TIMEOUT_MS)
    settle(qtbot, win)


def run_to_end(qtbot, win: MainWindow) -> None:
    win.run_to_end()
    qtbot.waitUntil(lambda: win.controller.state == "finished", timeout=TIMEOUT_MS)
    settle(qtbot, win)


def set_lr_mid_run(qtbot, win: MainWindow, lr: float) -> None:
    changes = len(win.run_data.lr_changes)
    win.controls.lrSpin.setValue(lr)
    qtbot.waitUntil(lambda: len(win.run_data.lr_changes) == changes + 1, timeout=TIMEOUT_MS)


def import_csv(qtbot, win: MainWindow, path, columns: tuple[int, int] | None = None):
    """Open data through the preview dialog; returns (outcome, message) of the import."""
    importer = win.files.importer
    dialog = importer.preview_file(str(path))
    if dialog is None:
        return ("failed", "")
    if columns is not None:
        dialog.xCombo.setCurrentIndex(dialog.xCombo.findData(columns[0]))
        dialog.yCombo.setCurrentIndex(dialog.yCombo.findData(columns[1]))
    with qtbot.waitSignal(importer.finished, timeout=TIMEOUT_MS) as blocker:
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: importer.task is None, timeout=TIMEOUT_MS)
    return tuple(blocker.args)


def open_session(qtbot, win: MainWindow, path) -> bool:
    """Open a session file and wait until its run is shown again."""
    sessions = win.files.sessions
    ok = sessions.open_file(path)
    if ok and sessions.resuming:
        with qtbot.waitSignal(sessions.resumed, timeout=TIMEOUT_MS):
            pass
    if ok:
        settle(qtbot, win)
    return ok


def history_arrays(win: MainWindow) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = win.run_data
    return d.params.copy(), d.loss.copy(), d.grad.copy()


def parse_csv(text: str) -> tuple[list[str], np.ndarray]:
    lines = [ln for ln in text.strip().splitlines() if ln]
    header = lines[0].split(",")
    rows = np.array([[float(v) for v in ln.split(",")] for ln in lines[1:]])
    return header, rows
