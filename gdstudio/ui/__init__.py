"""The desktop window. Widgets translate between the screen and core objects.

Nothing here does mathematics: the numbers come from :mod:`gdstudio.core`. ``model`` is plain
Python (no Qt: the window's state, observed by the views); the Qt packages (``window``,
``panels``, ``plots``, ``files``, ``threads``) guard against a defect of the binding when
first imported (:mod:`gdstudio.ui.pyside_fixes`). Import the modules you need
(``gdstudio.ui.main_window``, ``gdstudio.ui.window.app``).
"""
