"""``gdstudio lesson NAME`` opens the window as the plain ``gdstudio`` does, with the validated
lesson (``window.pending_lesson``) open in the lesson panel at its first step.
In a subprocess: it owns its QApplication, as in test_app."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

OPEN_LESSON = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QTimer
    from gdstudio.cli import main
    from gdstudio.ui.window.app import make_app
    app = make_app()
    def leave():
        from PySide6.QtWidgets import QApplication
        windows = [w for w in QApplication.topLevelWidgets() if w.objectName() == "mainWindow"]
        if windows and windows[0].controller.state in ("ready", "paused", "finished") \\
                and windows[0].lessons.state is not None:
            lesson = windows[0].pending_lesson
            print("lesson:", lesson.name, len(lesson.steps), lesson.steps[0].title)
            state = windows[0].lessons.state
            print("open:", state.lesson.name, state.index, windows[0].lessonDock.isVisible())
            windows[0].setWindowModified(False)  # (the lesson set the window up: a change)
            windows[0].close()
        else:
            QTimer.singleShot(50, leave)
    QTimer.singleShot(50, leave)
    sys.exit(main(["lesson", "first-example"]))
    """
)


def test_the_window_has_no_pending_lesson_by_default():
    from gdstudio.ui.window.main_window import MainWindow

    assert MainWindow.pending_lesson is None


def test_gdstudio_lesson_leaves_the_lesson_on_the_window(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path),
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", OPEN_LESSON], capture_output=True, text=True,
                         env=env, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "lesson: first-example 4 Calculus first" in out.stdout
    assert "open: first-example 0 True" in out.stdout
    assert "Traceback" not in out.stderr and "QThread" not in out.stderr
