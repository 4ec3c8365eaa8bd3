"""The application's settings store (QSettings): one for the window and its controllers."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QSettings

__all__ = ["settings"]


def settings() -> QSettings:
    """The application's settings: the named application's store, or gdstudio's own INI file
    when no application name is set (a bare QApplication, in tests)."""
    if QCoreApplication.organizationName() or QCoreApplication.applicationName():
        return QSettings()
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "gdstudio", "gdstudio")
