#!/usr/bin/env python3
"""Pictures of the whole window at one screen size, text size and theme, to look at (the
layout checks of a projector's 1024×768 and a 1920×1080 screen): a run of the source's
example, a regression with its landscape, and a learning-rate race.

    xvfb-run -s "-screen 0 1024x768x24" python scripts/screenshots_layout.py \\
        --size 1024x768 --text-size huge --theme dark --platform xcb --out-dir /tmp/shots

writes SCENE-WxH-TEXT-THEME.png for each scene into --out-dir (default: a temporary folder,
printed). The window fills the screen, as a maximised window would.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

SCENES = ("function", "regression", "race", "surface")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out-dir", type=Path, default=None)
    p.add_argument("--size", default="1024x768", help="window size, WIDTHxHEIGHT")
    p.add_argument("--platform", default=None, help="Qt platform (default offscreen)")
    p.add_argument("--theme", default="light", choices=("light", "dark"))
    p.add_argument("--text-size", default="normal", choices=("normal", "large", "huge"))
    p.add_argument("--scenes", default=",".join(SCENES))
    args = p.parse_args(argv)
    os.environ["QT_QPA_PLATFORM"] = args.platform or "offscreen"
    settings_dir = tempfile.mkdtemp(prefix="gdstudio-shot-")
    os.environ["XDG_CONFIG_HOME"] = settings_dir
    out_dir = args.out_dir or Path(tempfile.mkdtemp(prefix="gdstudio-layout-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    width, height = (int(v) for v in args.size.lower().split("x"))

    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QAbstractButton

    from gdstudio.ui.window.app import make_app
    from gdstudio.ui.window.main_window import MainWindow

    app = make_app(sys.argv[:1])
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir)
    MainWindow.device_probe_delay_ms = None

    def pump(ms: int = 20) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def wait_until(predicate, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("the window did not reach the expected state")
            pump()

    window = MainWindow()
    window.appearance.choose_theme(args.theme)
    window.appearance.choose_text_size(args.text_size)
    window.setGeometry(0, 0, width, height)
    window.show()
    wait_until(lambda: window.controller.state == "ready" and window.model.run.n > 0)
    window.setGeometry(0, 0, width, height)

    def run_to_end() -> None:
        wait_until(lambda: window.controller.state == "ready")
        window.findChild(QAbstractButton, "runToEndButton").click()
        wait_until(lambda: window.controller.state == "finished")
        window.draw_now()
        for _ in range(15):
            pump(30)

    def save(scene: str) -> None:
        name = f"{scene}-{width}x{height}-{args.text_size}-{args.theme}.png"
        path = out_dir / name
        wait_until(lambda: "Working out" not in window.analysis.text())  # SymPy's, then its
        wait_until(lambda: "…" not in window.controls.derivativeLabel.text())  # f′(x) text
        window.draw_now()  # (what arrived with the analysis, drawn now: no frame raced)
        for _ in range(5):
            pump(30)
        window.grab().save(str(path))
        print(path)

    c = window.controls
    for scene in args.scenes.split(","):
        if scene == "function":
            c.epochsSpin.setValue(40)
            run_to_end()
        elif scene == "regression":
            c.problemTabs.setCurrentIndex(1)
            c.lrSpin.setValue(1e-4)
            c.epochsSpin.setValue(200)
            run_to_end()
        elif scene == "race":
            c.problemTabs.setCurrentIndex(0)
            c.epochsSpin.setValue(40)
            c.raceSetup.set_mode("lr")
            wait_until(lambda: window.explorer.racing and window.model.race_data.n == 1)
            run_to_end()
            save(scene)
            c.raceSetup.set_mode("single")
            continue
        elif scene == "surface":
            c.problemTabs.setCurrentIndex(2)
            c.epochsSpin.setValue(200)
            run_to_end()
        else:
            raise SystemExit(f"unknown scene {scene!r}; choose from {', '.join(SCENES)}")
        save(scene)
    window.setWindowModified(False)  # pictures only: nothing to save (no "Save changes?" box)
    window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
