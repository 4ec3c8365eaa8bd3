"""Fixtures for the window's tests: a shown MainWindow whose first run is ready."""

from __future__ import annotations

import gc

import pytest

# The offscreen platform reports that it cannot propagate size hints whenever a window with
# docks is shown; that is the test platform talking, not the app.
OFFSCREEN_NOISE = "This plugin does not support propagateSizeHints"


@pytest.fixture(scope="session", autouse=True)
def torch_loaded_once():
    """Import torch before the window tests, as a long session of the app has.

    The app imports torch only when the torch engine is chosen (in the run's thread). Under
    pytest-qt's ``waitUntil`` the GUI thread polls in short nested event loops, and a
    background import of torch competing with it for the interpreter lock can take minutes
    instead of the two seconds it takes under the app's own event loop; importing it once here
    keeps each test's time its own. (Start-up without torch is tested in a subprocess:
    test_startup.py.)
    """
    import torch  # noqa: F401


@pytest.fixture(scope="session", autouse=True)
def sympy_loaded_once():
    """SymPy, too, as a session of the app has it after its first second (the window imports it
    in a background task after it is shown; a test ending meanwhile would leave that task's
    thread running). Its import in the background is tested in a subprocess: test_startup.py."""
    from gdstudio.core.expr.expression import load_symbolic

    load_symbolic()
    import gdstudio.ui.window.main_window  # noqa: F401 - the window's modules and pyqtgraph

    # What the imports made lives as long as the session: out of the collector's sight, so
    # that the full collection before each window test (below) walks only the tests' objects.
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def earlier_windows_freed(request):
    """Before each Qt test, the windows and dialogs of the tests before it are gone.

    pytest-qt closes a test's widgets and calls deleteLater(); the deletion waits for an event
    loop, and the parentless widgets a window's Python objects hold in reference cycles (the
    plots' menus, …) wait for a full collection, which the app's GUI-thread collector makes
    rarely (see gdstudio.ui.threads.collector). Without this, earlier windows' parentless
    widgets piled up through a long run (165 a window) until a rare full collection destroyed
    them all at once, in the middle of a later test. What survives the collection is frozen,
    so the next one walks only what the test made (5 ms instead of 90).
    """
    if "qtbot" in request.fixturenames or "qapp" in request.fixturenames:
        from PySide6.QtCore import QCoreApplication, QEvent

        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        gc.collect()
        gc.freeze()  # what is alive now outlives the test: the next collection skips it
    yield


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/ui" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture
def window(qtbot, monkeypatch):
    """The studio window, shown, with the source's example ready at epoch 0.

    The background torch-device probe is off (it imports torch: seconds); one test turns it on.
    """
    from gdstudio.ui.window.main_window import MainWindow

    monkeypatch.setattr(MainWindow, "device_probe_delay_ms", None)
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    from files_support import started

    qtbot.waitUntil(lambda: started(win))
    return win



@pytest.fixture(autouse=True)
def shown_dialogs():
    """No modal question ever blocks a test: unsaved changes are discarded, errors recorded.

    Yields the list of ``(title, text)`` of the error and warning dialogs shown (a bad row's
    offer to skip such rows among them, answered "no"); a test that
    wants another answer patches ``gdstudio.ui.files.dialogs`` with monkeypatch. Patched by hand,
    not with monkeypatch: a test's ``monkeypatch.undo()`` must not remove this safety net, and
    pytest-qt closes the test's windows (which may ask) before fixtures end.
    """
    from gdstudio.ui.files import dialogs

    shown: list[tuple[str, str]] = []
    answers = {
        "ask_save_changes": lambda parent, name: dialogs.DISCARD,
        "show_error": lambda parent, title, text: shown.append((title, text)),
        "show_warning": lambda parent, title, text: shown.append((title, text)),
        # a refused row: recorded like an error, and not skipped (as Cancel answers)
        "ask_skip_bad_rows": lambda parent, title, text: bool(shown.append((title, text))),
    }
    originals = {name: getattr(dialogs, name) for name in answers}
    for name, answer in answers.items():
        setattr(dialogs, name, answer)
    yield shown
    for name, original in originals.items():
        setattr(dialogs, name, original)
