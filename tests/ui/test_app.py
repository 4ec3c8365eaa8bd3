"""The app shell and the screenshot script, in subprocesses (they own their QApplication)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

RUN_APP = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QTimer
    from gdstudio.ui.window.app import make_app
    from gdstudio.ui.window.app import run_app
    app = make_app()
    # leave once the window is up and its first run is ready
    def leave():
        from PySide6.QtWidgets import QApplication
        windows = [w for w in QApplication.topLevelWidgets() if w.objectName() == "mainWindow"]
        if windows and windows[0].controller.state in ("ready", "paused", "finished"):
            w = windows[0]
            print("message:", w.message_bar.text)
            print("title:", w.windowTitle(), "modified:", w.isWindowModified())
            print("run:", w.run_data.n, w.controls.expressionEdit.text())
            w.close()
        else:
            QTimer.singleShot(50, leave)
    QTimer.singleShot(50, leave)
    sys.exit(run_app(session=sys.argv[1] if len(sys.argv) > 1 else None))
    """
)


def _env(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))


def test_run_app_opens_a_session_file(tmp_path):
    from gdstudio.core import FunctionProblem, RunConfig, run
    from gdstudio.core.io.session import save_session, session_from_history

    history = run(RunConfig(problem=FunctionProblem("x**4 - 3*x"), x0=2.0, lr=0.01, epochs=30))
    path = tmp_path / "quartic.gdstudio"
    save_session(path, session_from_history(history))
    out = subprocess.run([sys.executable, "-c", RUN_APP, str(path)],
                         capture_output=True, text=True, env=_env(tmp_path), timeout=120)
    assert out.returncode == 0, out.stderr
    assert "message: \n" in out.stdout
    assert "title: quartic.gdstudio[*] — Gradient Descent Studio modified: False" in out.stdout
    assert "run: 31 x**4 - 3*x" in out.stdout
    assert "QThread" not in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("content", [None, "{not json", '{"format": "gdstudio-session", '
                                     '"version": 99}'])
def test_run_app_with_a_bad_session_file_shows_why_and_the_default_window(tmp_path, content):
    path = tmp_path / "bad.gdstudio"
    if content is not None:
        path.write_text(content)
    out = subprocess.run([sys.executable, "-c", RUN_APP, str(path)],
                         capture_output=True, text=True, env=_env(tmp_path), timeout=120)
    assert out.returncode == 0, out.stderr
    why = {None: "file not found", "{not json": "truncated", '{"format"': "newer gdstudio"}
    reason = why[content[:9] if content else None]
    assert f"gdstudio: error: {path}" in out.stderr and reason in out.stderr
    assert "message: " + str(path) in out.stdout and reason in out.stdout
    assert "title: Untitled[*] — Gradient Descent Studio modified: False" in out.stdout
    assert "run: 1 x**2 - 4*x + 5" in out.stdout  # the source's example, untouched
    assert "QThread" not in out.stderr and "Traceback" not in out.stderr


def test_run_app_exits_0_and_saves_view_settings(tmp_path):
    out = subprocess.run([sys.executable, "-c", RUN_APP], capture_output=True, text=True,
                         env=_env(tmp_path), timeout=120)
    assert out.returncode == 0, out.stderr
    assert "message: \n" in out.stdout  # nothing to report
    settings = list(tmp_path.rglob("gdstudio.conf"))
    assert settings and "geometry" in settings[0].read_text()


def test_screenshot_script_makes_a_picture(tmp_path):
    png = tmp_path / "shot.png"
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "screenshot.py"), "--out", str(png),
         "--steps", "3", "--size", "1200x800"],
        capture_output=True, text=True, env=_env(tmp_path), timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "Epoch 3 of 50" in out.stdout
    from PySide6.QtGui import QImage

    image = QImage(str(png))
    assert (image.width(), image.height()) == (1200, 800)
