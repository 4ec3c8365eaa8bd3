"""The desktop window (Qt only). Widgets translate between the screen and core objects.

Nothing here does mathematics: the numbers come from :mod:`gdstudio.core`. Importing this
package imports only PySide6.QtCore (to guard against a defect of the binding, see
:mod:`gdstudio.ui.pyside_fixes`); import the modules you need (``gdstudio.ui.window.main_window``,
``gdstudio.ui.window.app``).
"""

from __future__ import annotations

from gdstudio.ui.pyside_fixes import guard_singleton_refcounts

guard_singleton_refcounts()
