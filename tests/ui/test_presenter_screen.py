"""View › Presenter screen: presenter mode takes the chosen screen (a projector), remembered.

Run in a child process on Qt's offscreen platform configured with two screens (a 1280 × 800
laptop and a 1024 × 768 projector to its right): this session's application has one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = r"""
import json, sys
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication
app = QApplication([])
QSettings.setDefaultFormat(QSettings.Format.IniFormat)
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, sys.argv[1])
QCoreApplication.setOrganizationName("gdstudio-tests")
QCoreApplication.setApplicationName("gdstudio-tests")
from gdstudio.ui.window.main_window import MainWindow
MainWindow.device_probe_delay_ms = None

def pump(ms=300):
    import time
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        app.processEvents()

out = {}
win = MainWindow()
win.resize(1000, 700)
win.move(40, 40)
win.show()
pump()
menu = win.findChild(type(win.menuBar().actions()[0].menu()), "presenterScreenMenu")
menu.aboutToShow.emit()
out["entries"] = [a.text() for a in menu.actions()]
out["checked"] = [a.text() for a in menu.actions() if a.isChecked()]
projector = [a for a in menu.actions() if a.text().startswith("Projector")][0]
projector.trigger()
before = win.geometry().getRect()
win.action("presenter").setChecked(True)
pump()
out["presenting_on"] = win.screen().name()
out["presenting_rect"] = win.geometry().getRect()
win.action("presenter").setChecked(False)
pump()
out["after_rect"] = win.geometry().getRect()
out["before_rect"] = before
win.setWindowModified(False)
win.close()
pump(100)
again = MainWindow()  # the choice is remembered
out["remembered"] = again.presenter.screen_name
again.setWindowModified(False)
again.close()
print(json.dumps(out))
"""


def test_presenter_mode_takes_the_chosen_screen_and_remembers_it(tmp_path):
    config = tmp_path / "screens.json"
    screens = [{"name": "Laptop", "x": 0, "y": 0, "width": 1280, "height": 800},
               {"name": "Projector", "x": 1280, "y": 0, "width": 1024, "height": 768}]
    for s in screens:
        s.update({"logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1})
    config.write_text(json.dumps({"screens": screens}))
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}")
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "settings")],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["entries"] == ["The window's screen", "Laptop, 1280 × 800",
                              "Projector, 1024 × 768"]
    assert out["checked"] == ["The window's screen"]  # the default: where the window is
    assert out["presenting_on"] == "Projector"
    assert out["presenting_rect"] == [1280, 0, 1024, 768]  # the whole projector
    assert out["after_rect"] == out["before_rect"]  # back where it was, on the laptop
    assert out["remembered"] == "Projector"
