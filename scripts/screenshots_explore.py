#!/usr/bin/env python3
"""Make the "explore and compare" screenshots from the app itself.

    docs/race.png         the source's five learning rates racing on x² − 4x + 5
    docs/rosenbrock.png   plain gradient descent, momentum and Adam racing on Rosenbrock

Builds the real window (fresh settings, nothing of the user's), sets the race up through the
control panel, runs it to the end through the real worker thread and saves ``QWidget.grab()``.

    python scripts/screenshots_explore.py                 # both
    python scripts/screenshots_explore.py --only race --out-dir /tmp
    xvfb-run -s "-screen 0 1600x1000x24" python scripts/screenshots_explore.py --platform xcb
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out-dir", type=Path, default=ROOT / "docs")
    p.add_argument("--only", choices=("race", "rosenbrock"), help="make one picture only")
    p.add_argument("--size", default="1600x1000", help="window size, WIDTHxHEIGHT")
    p.add_argument("--platform", default=None, help="Qt platform (default offscreen)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ["QT_QPA_PLATFORM"] = args.platform or os.environ.get("SCREENSHOT_PLATFORM",
                                                                    "offscreen")
    settings_dir = tempfile.mkdtemp(prefix="gdstudio-shot-")
    os.environ["XDG_CONFIG_HOME"] = settings_dir  # never the user's settings

    from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from gdstudio.ui.panels.control_panel import SURFACE_TAB
    from gdstudio.ui.window.app import make_app
    from gdstudio.ui.window.main_window import MainWindow

    app = make_app(sys.argv[:1])
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir)
    MainWindow.device_probe_delay_ms = None  # no torch import for a picture
    width, height = (int(v) for v in args.size.lower().split("x"))

    def wait_until(predicate, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        loop = QEventLoop()
        timer = QTimer()
        timer.timeout.connect(lambda: predicate() and loop.quit())
        timer.start(10)
        QTimer.singleShot(int(timeout * 1000), loop.quit)
        if not predicate():
            loop.exec()
        timer.stop()
        if not predicate() and time.monotonic() >= deadline:
            raise TimeoutError("the window did not reach the expected state")

    def new_window() -> MainWindow:
        QSettings().clear()  # each picture from a first launch (nothing remembered)
        window = MainWindow()
        window.resize(width, height)
        window.show()
        wait_until(lambda: window.controller.state == "ready")
        return window

    def race_ready(window: MainWindow, lanes: int) -> bool:
        return (window.controller.state == "ready" and window.explorer.racing
                and window.model.race_data.K == lanes and window.model.race_data.n == 1
                and window.model.race_data.spec is window.controls.race())

    def finish_and_save(window: MainWindow, name: str) -> int:
        window.run_to_end()
        wait_until(lambda: window.controller.state == "finished", timeout=300)
        wait_until(lambda: not window.frames.pending)
        wait_until(lambda: "Working out" not in window.analysis.text())  # (the analysis too)
        window.draw_now()
        app.processEvents()
        window.draw_now()
        out = args.out_dir / name
        out.parent.mkdir(parents=True, exist_ok=True)
        pixmap = window.grab()
        if not pixmap.save(str(out), "PNG"):
            print(f"could not write {out}", file=sys.stderr)
            return 1
        print(f"wrote {out} ({pixmap.width()}×{pixmap.height()}): {window.statusLabel.text()}")
        window.setWindowModified(False)  # a picture, not a session: nothing to save on close
        window.close()
        QApplication.processEvents()
        return 0

    status = 0
    if args.only in (None, "race"):
        window = new_window()
        c = window.controls
        c.epochsSpin.setValue(100)
        c.tolSpin.setValue(1e-6)
        c.raceSetup.set_rates([0.01, 0.1, 0.3, 0.7, 1.0])
        c.raceSetup.set_mode("lr")
        window.action("logScale").setChecked(True)
        wait_until(lambda: race_ready(window, 5))
        status |= finish_and_save(window, "race.png")

    if args.only in (None, "rosenbrock"):
        window = new_window()
        c = window.controls
        c.problemTabs.setCurrentIndex(SURFACE_TAB)
        c.surfaceTab.choose_preset("rosenbrock")  # lr 0.001, 5000 epochs, from (−1.2, 1)
        c.tolSpin.setValue(0.0)
        # a wider right-hand column: the History table's two-parameter rows in full
        window.resizeDocks([window.analysisDock], [520], Qt.Orientation.Horizontal)
        c.raceSetup.set_optimizers(["gd", "momentum", "adam"])
        c.raceSetup.set_mode("optimizer")
        window.action("logScale").setChecked(True)
        wait_until(lambda: race_ready(window, 3))
        status |= finish_and_save(window, "rosenbrock.png")
    return status


if __name__ == "__main__":
    sys.exit(main())
