"""View › Presenter (F11): the window as a projector shows it (:class:`Presenter`).

Full screen on the screen the window is on, huge text, the plots and the update's arithmetic
large, the setup and the history tucked away, no menu bar: the run toolbar is the only bar.
Keyboard driven: → steps (or, while the history slider holds an earlier epoch, moves it on),
← moves the history back, Space plays and pauses, Esc (or F11 again) leaves. Leaving puts back
the window exactly as it was (geometry, docks, text size); nothing of it is saved as the
person's choice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QObject, Qt, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDockWidget

if TYPE_CHECKING:  # pragma: no cover
    from gdstudio.ui.host import PresenterHost

__all__ = ["Presenter", "PRESENTER_TEXT_SIZE"]

#: The text size of presenter mode (read from the back of a room).
PRESENTER_TEXT_SIZE = "huge"


class Presenter(QObject):
    """Presenter mode of a window: :meth:`set_active` (the checkable ``presenterAction``)."""

    def __init__(self, host: PresenterHost) -> None:
        window = host.main_window()
        super().__init__(window)
        self.host = host
        self._active = False
        self._geometry = QByteArray()
        self._state = QByteArray()
        self._text_size = ""
        self._was_maximized = False
        self._shortcuts: list[QShortcut] = []
        for key, slot in (("Escape", self.leave), ("Left", self.back)):
            shortcut = QShortcut(QKeySequence(key), window)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)
            shortcut.setEnabled(False)
            self._shortcuts.append(shortcut)

    @property
    def active(self) -> bool:
        return self._active

    @Slot(bool)
    def set_active(self, on: bool) -> None:
        """Enter (True) or leave (False) presenter mode."""
        if on == self._active:
            return
        if on:
            self._enter()
        else:
            self._leave()

    @Slot()
    def leave(self) -> None:
        """Esc: back to the window as it was."""
        self.host.action("presenter").setChecked(False)

    @Slot()
    def back(self) -> None:
        """←: one epoch back in the history (paused or finished)."""
        if self.host.model.state != "playing":
            self.host.scrubber.step(-1)

    def forward(self) -> bool:
        """→ while the history holds an earlier epoch: one epoch on (True); else False, and →
        steps the run."""
        scrubber = self.host.scrubber
        if self._active and not scrubber.live and self.host.model.state != "playing":
            scrubber.step(1)
            return True
        return False

    def _enter(self) -> None:
        window = self.host.main_window()
        self._active = True
        self._geometry = window.saveGeometry()
        self._state = window.saveState()
        self._was_maximized = window.isMaximized()
        appearance = self.host.appearance
        self._text_size = appearance.text_size
        appearance.show_text_size(PRESENTER_TEXT_SIZE)
        kept = self.host.presenter_docks()
        for dock in window.findChildren(QDockWidget):
            dock.setVisible(dock in kept)
        window.menuBar().hide()
        for shortcut in self._shortcuts:
            shortcut.setEnabled(True)
        handle = window.windowHandle()
        screen = window.screen()
        if handle is not None and screen is not None:
            handle.setScreen(screen)
        if screen is not None:
            # (without a window manager, full screen is only a request: take the screen)
            window.setGeometry(screen.geometry())
        window.showFullScreen()
        if screen is not None:
            width = screen.geometry().width()
            if kept:  # the lesson and the arithmetic large enough to read, the plots larger
                window.resizeDocks(kept, [max(360, int(width * 0.3))] * len(kept),
                                   Qt.Orientation.Horizontal)

    def _leave(self) -> None:
        window = self.host.main_window()
        self._active = False
        for shortcut in self._shortcuts:
            shortcut.setEnabled(False)
        window.menuBar().show()
        if self._was_maximized:
            window.showMaximized()
        else:
            window.showNormal()
        self.host.appearance.show_text_size(self._text_size or "normal")
        window.restoreState(self._state)
        window.restoreGeometry(self._geometry)
