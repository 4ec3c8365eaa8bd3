"""Fixtures for the window's tests: a shown MainWindow whose first run is ready."""

from __future__ import annotations

import pytest

# The offscreen platform reports that it cannot propagate size hints whenever a window with
# docks is shown; that is the test platform talking, not the app.
OFFSCREEN_NOISE = "This plugin does not support propagateSizeHints"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/ui" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture
def window(qtbot, monkeypatch):
    """The studio window, shown, with the source's example ready at epoch 0.

    The background torch-device probe is off (it imports torch: seconds); one test turns it on.
    """
    from gdstudio.ui.main_window import MainWindow

    monkeypatch.setattr(MainWindow, "device_probe_delay_ms", None)
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.controller.state == "ready" and win.run_data.n == 1)
    return win
