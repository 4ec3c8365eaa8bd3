#!/usr/bin/env python3
"""Make docs/screenshot.png from the app itself, so the picture stays current.

Builds the real window (fresh settings, nothing of the user's), runs the source's example for a
few epochs through the real worker thread, and saves ``QWidget.grab()`` of the window.

    python scripts/screenshot.py                         # docs/screenshot.png, 8 epochs
    python scripts/screenshot.py --problem regression --lr 1e-4 --epochs 3000 \\
        --run-to-end --out docs/screenshot-regression.png

Runs offscreen by default (QT_QPA_PLATFORM=offscreen); under ``xvfb-run`` pass
``--platform xcb`` to draw through a real X server.
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
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    p.add_argument("--steps", type=int, default=8, help="epochs to step before the picture")
    p.add_argument("--problem", choices=("function", "regression"), default="function")
    p.add_argument("--preset", help="a function preset (quadratic, quartic, wavy, abs, flat)")
    p.add_argument("--lr", type=float, help="learning rate (default: the problem's)")
    p.add_argument("--epochs", type=int, help="epochs of the run (default 50)")
    p.add_argument("--run-to-end", action="store_true", help="run to the end instead of stepping")
    p.add_argument("--log-loss", action="store_true", help="loss plot on a log scale")
    p.add_argument("--size", default="1600x1000", help="window size, WIDTHxHEIGHT")
    p.add_argument("--platform", default=None, help="Qt platform (default offscreen)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ["QT_QPA_PLATFORM"] = args.platform or os.environ.get("SCREENSHOT_PLATFORM",
                                                                    "offscreen")
    settings_dir = tempfile.mkdtemp(prefix="gdstudio-shot-")
    os.environ["XDG_CONFIG_HOME"] = settings_dir  # never the user's settings

    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from gdstudio.ui.panels.control_panel import REGRESSION_TAB
    from gdstudio.ui.window.app import make_app
    from gdstudio.ui.window.main_window import MainWindow

    app = make_app(sys.argv[:1])
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir)
    MainWindow.device_probe_delay_ms = None  # no torch import for a picture

    def wait_until(predicate, timeout: float = 60.0) -> None:
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

    window = MainWindow()
    width, height = (int(v) for v in args.size.lower().split("x"))
    window.resize(width, height)
    window.show()
    wait_until(lambda: window.controller.state == "ready")
    c = window.controls
    if args.problem == "regression":
        c.problemTabs.setCurrentIndex(REGRESSION_TAB)
    elif args.preset:
        c.choose_preset(args.preset)
    if args.epochs is not None:
        c.epochsSpin.setValue(args.epochs)
    if args.lr is not None:
        c.lrSpin.setValue(args.lr)
    window.action("logScale").setChecked(args.log_loss)
    wait_until(lambda: window.controller.state == "ready" and window.run_data.n == 1
               and window.run_data.config is c.config())
    if args.run_to_end:
        window.run_to_end()
        wait_until(lambda: window.controller.state == "finished", timeout=300)
    else:
        for i in range(args.steps):
            window.step()
            wait_until(lambda i=i: window.run_data.n == i + 2)
    # Let the last batch reach the plots, then one more frame for the table and status.
    # the analysis is worked out off the GUI thread (SymPy): the picture shows it, not "Working
    # out the derivative…"
    wait_until(lambda: "Working out" not in window.analysis.text(), timeout=120)
    wait_until(lambda: not window.frames.pending)
    window.draw_now()
    app.processEvents()

    args.out.parent.mkdir(parents=True, exist_ok=True)
    pixmap = window.grab()
    if not pixmap.save(str(args.out), "PNG"):
        print(f"could not write {args.out}", file=sys.stderr)
        return 1
    print(f"wrote {args.out} ({pixmap.width()}×{pixmap.height()}): "
          f"{window.statusLabel.text()}")
    window.setWindowModified(False)  # a picture, not work to keep: close without asking
    window.close()
    QApplication.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
