"""The window's public address: ``gdstudio.ui.main_window.MainWindow()`` builds the whole window
(a contract of DESIGN.md, kept for tools and tests). The shell itself lives in
:mod:`gdstudio.ui.window.main_window`."""

from __future__ import annotations

from gdstudio.ui.window.main_window import APP_NAME, MainWindow

__all__ = ["MainWindow", "APP_NAME"]
