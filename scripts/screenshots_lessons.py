#!/usr/bin/env python3
"""Make the lesson pictures of docs/ from the app itself: a lesson step (its question), the
prediction's result, and presenter mode, at one screen size.

    xvfb-run -s "-screen 0 1280x720x24" python scripts/screenshots_lessons.py \\
        --size 1280x720 --platform xcb
    xvfb-run -s "-screen 0 1920x1080x24" python scripts/screenshots_lessons.py \\
        --size 1920x1080 --platform xcb

writes docs/lesson-step-WxH.png, docs/lesson-result-WxH.png and docs/presenter-WxH.png (the
whole screen: presenter mode is full screen).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out-dir", type=Path, default=ROOT / "docs")
    p.add_argument("--size", default="1280x720", help="screen and window size, WIDTHxHEIGHT")
    p.add_argument("--platform", default=None, help="Qt platform (default offscreen)")
    p.add_argument("--lesson", default="learning-rates")
    p.add_argument("--step", type=int, default=4, help="the step shown (1-based)")
    p.add_argument("--theme", default="light")
    p.add_argument("--text-size", default="normal", choices=("normal", "large", "huge"))
    args = p.parse_args(argv)
    os.environ["QT_QPA_PLATFORM"] = args.platform or "offscreen"
    settings_dir = tempfile.mkdtemp(prefix="gdstudio-shot-")
    os.environ["XDG_CONFIG_HOME"] = settings_dir

    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from gdstudio.core.lessons import outcome_of, prediction_config
    from gdstudio.ui.window.app import make_app
    from gdstudio.ui.window.main_window import MainWindow

    app = make_app(sys.argv[:1])
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir)
    MainWindow.device_probe_delay_ms = None

    def wait_until(predicate, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("the window did not reach the expected state")
            loop = QEventLoop()
            QTimer.singleShot(20, loop.quit)
            loop.exec()

    def settle() -> None:
        wait_until(lambda: window.controller.state in ("ready", "paused", "finished"))
        wait_until(lambda: not window.frames.pending)
        wait_until(lambda: "Working out" not in window.analysis.text())
        for _ in range(10):
            app.processEvents()
            time.sleep(0.02)
        window.draw_now()
        app.processEvents()

    width, height = (int(v) for v in args.size.lower().split("x"))
    window = MainWindow()
    window.appearance.choose_theme(args.theme)
    window.appearance.choose_text_size(args.text_size)
    window.resize(width, height - 40)
    window.move(0, 0)
    window.show()
    wait_until(lambda: window.controller.state == "ready")
    if not window.lessons.open(args.lesson):
        return 1
    window.lessons.go(args.step - 1)
    settle()
    suffix = f"{width}x{height}"
    args.out_dir.mkdir(parents=True, exist_ok=True)

    def save(name: str, full_screen: bool = False) -> None:
        path = args.out_dir / f"{name}-{suffix}.png"
        if full_screen:
            screen = window.screen()
            pixmap = screen.grabWindow(0)
        else:
            pixmap = window.grab()
        pixmap.save(str(path), "PNG")
        print(f"wrote {path} ({pixmap.width()}×{pixmap.height()})")

    save("lesson-step")
    state = window.lessons.state
    assert state is not None
    prediction = state.step.prediction
    if prediction is not None:
        truth = outcome_of(prediction_config(state.plan)).value(prediction.quantity.name)
        wrong = next((o for o in prediction.options if o != truth), str(truth)) \
            if prediction.kind == "choice" else "0"
        window.lesson_panel.set_answer(wrong)
        window.lesson_panel.checkButton.click()
        wait_until(lambda: not window.lessons.busy())
        wait_until(lambda: window.controller.state == "finished", timeout=120)
    settle()
    save("lesson-result")

    window.action("presenter").setChecked(True)
    wait_until(window.isFullScreen)
    window.reset()
    settle()
    for _ in range(3):
        n = window.run_data.n
        window.step()
        wait_until(lambda n=n: window.run_data.n == n + 1)
    settle()
    time.sleep(0.3)
    settle()
    save("presenter", full_screen=True)
    window.action("presenter").setChecked(False)
    settle()
    window.setWindowModified(False)
    window.close()
    QApplication.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
