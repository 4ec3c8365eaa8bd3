"""The setup and information panels: widgets that translate between the screen and core objects."""

from __future__ import annotations

from gdstudio.ui.pyside_fixes import guard_singleton_refcounts

guard_singleton_refcounts()  # before any Qt call of this package (PySide6 6.12.0's defect)
