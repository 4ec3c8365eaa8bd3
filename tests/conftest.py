"""Shared test setup: headless Qt, fresh settings per test, and no thread left running."""

from __future__ import annotations

import os

# Before any QApplication exists (pytest-qt creates it lazily).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pytest


@pytest.fixture(autouse=True)
def _fresh_settings(tmp_path, monkeypatch, request):
    """Each test that touches Qt gets its own QSettings store (never the user's)."""
    if "qtbot" not in request.fixturenames and "qapp" not in request.fixturenames:
        yield
        return
    from PySide6.QtCore import QCoreApplication, QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      str(tmp_path / "settings"))
    QCoreApplication.setOrganizationName("gdstudio-tests")
    QCoreApplication.setApplicationName("gdstudio-tests")
    yield


@pytest.fixture(autouse=True)
def _no_dangling_threads(request):
    """Fail any test that leaves a QThread running (as napari's suite does)."""
    yield
    if "qtbot" not in request.fixturenames and "qapp" not in request.fixturenames:
        return
    from PySide6.QtCore import QThread
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    running = [t for t in app.findChildren(QThread) if t.isRunning()]
    try:
        from gdstudio.ui.threads import registry as _registry  # the threads the app started
        running += [t for t in _registry.live_threads() if t.isRunning() and t not in running]
    except ImportError:
        pass
    assert not running, f"test left {len(running)} QThread(s) running: {running}"
