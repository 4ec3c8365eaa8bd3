#!/usr/bin/env python3
"""Make docs/csv-dialog.png (the Open data preview) and docs/dark.png (the dark theme).

Builds the real window with fresh settings (nothing of the user's), writes a small CSV with
a text column, opens it in the preview dialog and grabs the dialog; then loads and fits it,
switches to View › Theme › Dark and grabs the window.

    python scripts/screenshots_files.py
    xvfb-run -s "-screen 0 1600x1000x24" python scripts/screenshots_files.py --platform xcb
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
    p.add_argument("--dialog-out", type=Path, default=ROOT / "docs" / "csv-dialog.png")
    p.add_argument("--dark-out", type=Path, default=ROOT / "docs" / "dark.png")
    p.add_argument("--size", default="1500x940", help="window size, WIDTHxHEIGHT")
    p.add_argument("--platform", default=None, help="Qt platform (default offscreen)")
    return p.parse_args(argv)


def _sample_csv(folder: Path) -> Path:
    """Study hours and exam scores of 60 students (seeded), semicolon-separated."""
    import numpy as np

    rng = np.random.default_rng(11)
    hours = np.round(rng.uniform(1, 40, 60), 1)
    score = np.round(np.clip(1.6 * hours + 28 + rng.normal(0, 6, hours.size), 0, 100), 1)
    lines = ["hours studied;exam score;student"]
    lines += [f"{h};{s};{i + 101}" for i, (h, s) in enumerate(zip(hours, score, strict=True))]
    path = folder / "exam-scores.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ["QT_QPA_PLATFORM"] = args.platform or os.environ.get("SCREENSHOT_PLATFORM",
                                                                    "offscreen")
    settings_dir = tempfile.mkdtemp(prefix="gdstudio-shot-")
    os.environ["XDG_CONFIG_HOME"] = settings_dir  # never the user's settings

    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

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

    def settle() -> None:
        for _ in range(5):
            app.processEvents()
        wait_until(lambda: not window.frames.pending)
        window.draw_now()
        app.processEvents()

    window = MainWindow()
    width, height = (int(v) for v in args.size.lower().split("x"))
    window.resize(width, height)
    window.show()
    wait_until(lambda: window.controller.state == "ready")

    csv = _sample_csv(Path(settings_dir))
    importer = window.files.importer
    dialog = importer.preview_file(str(csv))
    if dialog is None:
        print("the preview did not open", file=sys.stderr)
        return 1
    dialog.resize(640, 500)
    settle()
    args.dialog_out.parent.mkdir(parents=True, exist_ok=True)
    shot = dialog.grab()
    if not shot.save(str(args.dialog_out), "PNG"):
        print(f"could not write {args.dialog_out}", file=sys.stderr)
        return 1
    print(f"wrote {args.dialog_out} ({shot.width()}×{shot.height()}): "
          f"{dialog.summaryLabel.text()}")

    outcome: list[str] = []
    importer.finished.connect(lambda what, _msg: outcome.append(what))
    dialog.accept()
    wait_until(lambda: bool(outcome))
    if outcome != ["loaded"]:
        print(f"the data did not load: {outcome}", file=sys.stderr)
        return 1
    c = window.controls
    c.lrSpin.setValue(2e-3)  # just under the critical rate 2/λmax of this data
    c.epochsSpin.setValue(8000)
    wait_until(lambda: window.controller.state == "ready"
               and window.run_data.config is c.config())
    window.run_to_end()
    wait_until(lambda: window.controller.state == "finished", timeout=120)
    window.appearance.choose_theme("dark")
    settle()
    shot = window.grab()
    if not shot.save(str(args.dark_out), "PNG"):
        print(f"could not write {args.dark_out}", file=sys.stderr)
        return 1
    print(f"wrote {args.dark_out} ({shot.width()}×{shot.height()}): "
          f"{window.statusLabel.text()}")
    window.setWindowModified(False)  # pictures, not work to keep: close without asking
    window.close()
    QApplication.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
