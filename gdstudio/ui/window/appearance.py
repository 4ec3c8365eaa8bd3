"""View › Theme and View › Text size: the choices, kept in the settings between launches.

:class:`~gdstudio.ui.theme.Appearance` applies a look to the application and its plots; this
controller connects it to the window's declared actions and to QSettings.
"""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from PySide6.QtCore import QObject, QSettings
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from gdstudio.ui.theme import TEXT_SIZES, THEMES, Appearance

__all__ = ["AppearanceController", "THEME_KEYS", "TEXT_SIZE_KEYS"]

#: The declared actions of each choice (see :mod:`.actions`).
THEME_KEYS = {theme: f"theme{theme.capitalize()}" for theme in THEMES}
TEXT_SIZE_KEYS = {size: f"text{size.capitalize()}" for size in TEXT_SIZES}


class AppearanceController(QObject):
    """The look of ``root`` (a window): its theme and text size, saved in ``settings``."""

    def __init__(self, root: QWidget, settings: Callable[[], QSettings],
                 action: Callable[[str], QAction]) -> None:
        super().__init__(root)
        self._settings = settings
        self._action = action
        self.look = Appearance(self)
        self.look.add_root(root)

    @property
    def theme(self) -> str:
        return self.look.theme

    @property
    def text_size(self) -> str:
        return self.look.text_size

    def add_indicator_host(self, widget: QWidget) -> None:
        self.look.add_indicator_host(widget)

    def style_new_plot(self, plot: pg.PlotWidget) -> None:
        """A plot built after start-up gets the current look."""
        self.look.style_new_plot(plot)

    def restore(self) -> None:
        """The look chosen at the last launch (unknown values: the defaults)."""
        s = self._settings()
        theme, size = s.value("view/theme", "system"), s.value("view/textSize", "normal")
        theme = theme if theme in THEMES else "system"
        size = size if size in TEXT_SIZES else "normal"
        self.look.configure(str(theme), str(size))
        self._check(theme, size)

    def choose_theme(self, theme: str) -> None:
        self.look.set_theme(theme)
        self._check(theme, self.look.text_size)
        self._remember("view/theme", theme)

    def choose_text_size(self, size: str) -> None:
        self.look.set_text_size(size)
        self._check(self.look.theme, size)
        self._remember("view/textSize", size)

    def show_text_size(self, size: str) -> None:
        """Show text at ``size`` for now (presenter mode) without remembering it as the
        person's choice; :meth:`choose_text_size` or another call puts it back."""
        self.look.set_text_size(size)
        self._check(self.look.theme, size)

    def _check(self, theme: str, size: str) -> None:
        self._action(THEME_KEYS[theme]).setChecked(True)
        self._action(TEXT_SIZE_KEYS[size]).setChecked(True)

    def _remember(self, key: str, value: str) -> None:
        s = self._settings()
        s.setValue(key, value)
        s.sync()
