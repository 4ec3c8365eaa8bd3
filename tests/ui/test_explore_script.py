"""The explore screenshot script, in a subprocess (it owns its QApplication)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_race_screenshot_is_made_from_the_app(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "screenshots_explore.py"), "--only", "race",
         "--out-dir", str(tmp_path), "--size", "1200x800"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    # the source's lesson, as the status bar tells it
    assert "Race over at epoch 100" in out.stdout
    assert "1 at the epoch limit, 3 converged, 1 cycling" in out.stdout
    from PySide6.QtGui import QImage

    image = QImage(str(tmp_path / "race.png"))
    assert (image.width(), image.height()) == (1200, 800)
