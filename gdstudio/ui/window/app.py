"""The application shell: QApplication, excepthook, signals, the window, the event loop."""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

import gdstudio

if TYPE_CHECKING:
    from gdstudio.core.lessons.model import Lesson

__all__ = ["run_app", "make_app", "install_excepthook"]


def make_app(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication (created once), named so QSettings finds the right file."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else [sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setOrganizationName("gdstudio")
    app.setApplicationName("gdstudio")
    app.setApplicationDisplayName("Gradient Descent Studio")
    app.setApplicationVersion(gdstudio.__version__)
    app.setDesktopFileName("gdstudio")
    from gdstudio.ui.resources import icon

    app.setWindowIcon(icon("gdstudio"))
    return app


def install_excepthook(window: object | None = None) -> None:
    """Keep an exception raised in a slot from killing the app: report it and carry on.

    The traceback goes to stderr; the window shows a message (its message bar if it has one,
    otherwise a message box). Errors while reporting are ignored, never recursive.
    """
    reporting = False

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        nonlocal reporting
        if issubclass(kind, KeyboardInterrupt):
            app = QApplication.instance()
            if app is not None:
                app.quit()
            return
        traceback.print_exception(kind, value, tb, file=sys.stderr)
        if reporting:
            return
        reporting = True
        try:
            text = (f"Something went wrong: {kind.__name__}: {value}. The window keeps working; "
                    "the details are on the terminal.")
            bar = getattr(window, "message_bar", None)
            if bar is not None:
                bar.show_message(text, "error")
            else:
                QMessageBox.critical(None, "Gradient Descent Studio", text)
        except Exception:  # noqa: BLE001 - never fail while reporting a failure
            pass
        finally:
            reporting = False

    sys.excepthook = hook


def _quit_on_signals(app: QApplication, window: object) -> QTimer:
    """Ctrl+C in the terminal and SIGTERM close the window cleanly (exit code 0)."""

    def close(*_args: object) -> None:
        close_method = getattr(window, "close", None)
        if callable(close_method):
            close_method()
        app.quit()

    signal.signal(signal.SIGINT, close)
    signal.signal(signal.SIGTERM, close)
    # Python runs signal handlers only between bytecodes: wake it up now and then.
    timer = QTimer()
    timer.setInterval(250)
    timer.timeout.connect(lambda: None)
    timer.start()
    return timer


def run_app(session: str | os.PathLike[str] | None = None, lesson: Lesson | None = None) -> int:
    """Open the studio window and run the event loop; returns the exit code.

    ``lesson`` (already validated) is left on the window as ``window.pending_lesson`` for the
    lesson panel to open.
    """
    app = make_app(sys.argv[:1])
    from gdstudio.ui.threads.registry import stop_all_threads
    from gdstudio.ui.window.main_window import MainWindow

    window = MainWindow()
    window.pending_lesson = lesson
    install_excepthook(window)
    app.aboutToQuit.connect(stop_all_threads)
    keep_alive = _quit_on_signals(app, window)
    window.show()
    if session is not None:
        # A file that cannot be opened leaves the default window, with the reason shown in it
        # (and on the terminal); the exit code is the app's, not the file's.
        def report(message: str) -> None:
            print(f"gdstudio: error: {message}", file=sys.stderr)
            window.message_bar.show_message(message, "error")

        window.files.sessions.open_file(os.fspath(session), report=report)
    try:
        code = app.exec()
    finally:
        keep_alive.stop()
        stop_all_threads()
    return int(code)
