"""View › Presenter (F11): the window as a projector shows it (:class:`Presenter`).

Full screen on the chosen screen (View › Presenter screen: the window's own, or a named one
such as the projector; remembered), huge text, the plots and the update's arithmetic large,
the setup and the history tucked away, no menu bar: the run toolbar is the only bar.
Keyboard driven: → steps (or, while the history slider holds an earlier epoch, moves it on),
← moves the history back, Space plays and pauses, Esc (or F11 again) leaves. Leaving puts back
the window exactly as it was (geometry, docks, text size); nothing of it is saved as the
person's choice (the screen chosen is).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QObject, Qt, Slot
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence, QScreen, QShortcut
from PySide6.QtWidgets import QDockWidget, QMenu

from gdstudio.ui.settings import settings

if TYPE_CHECKING:  # pragma: no cover
    from gdstudio.ui.host import PresenterHost

__all__ = ["Presenter", "PRESENTER_TEXT_SIZE", "SCREEN_KEY"]

#: The text size of presenter mode (read from the back of a room).
PRESENTER_TEXT_SIZE = "huge"
#: Where the chosen screen's name is kept ("" or absent: the window's own screen).
SCREEN_KEY = "presenter/screen"


def _describe(screen: QScreen) -> str:
    size = screen.geometry()
    model = " ".join(part for part in (screen.manufacturer(), screen.model()) if part)
    name = f"{screen.name()} ({model})" if model else screen.name()
    return f"{name}, {size.width()} × {size.height()}"


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
        #: The screen's name presenter mode takes ("": the window's own screen).
        self.screen_name = str(settings().value(SCREEN_KEY, "", type=str) or "")
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

    # --- which screen ------------------------------------------------------------------------

    def screen(self) -> QScreen | None:
        """The screen presenter mode takes: the chosen one while it is connected, else the
        window's own."""
        if self.screen_name:
            for screen in QGuiApplication.screens():
                if screen.name() == self.screen_name:
                    return screen
        return self.host.main_window().screen()

    def choose_screen(self, name: str) -> None:
        """Take the screen named ``name`` from now on ("": the window's own); kept for the next
        launch. While presenting, the window moves there at once."""
        self.screen_name = name
        settings().setValue(SCREEN_KEY, name)
        if self._active:
            self._take_screen()

    def add_screen_menu(self, menu: QMenu) -> None:
        """View › Presenter screen: the window's own, then each connected screen (filled each
        time the menu opens: a projector plugged in meanwhile is listed)."""
        sub = menu.addMenu("Presenter &screen")
        sub.setObjectName("presenterScreenMenu")
        sub.setToolTipsVisible(True)
        sub.aboutToShow.connect(lambda: self._fill_screen_menu(sub))
        self._fill_screen_menu(sub)

    def _fill_screen_menu(self, menu: QMenu) -> None:
        menu.clear()
        group = QActionGroup(menu)
        group.setExclusive(True)
        screens = QGuiApplication.screens()
        known = any(s.name() == self.screen_name for s in screens)
        entries = [("", "The window's screen")] + [(s.name(), _describe(s)) for s in screens]
        if self.screen_name and not known:  # chosen before, not connected now
            entries.append((self.screen_name, f"{self.screen_name} (not connected: the "
                                              "window's screen is used)"))
        for i, (name, text) in enumerate(entries):
            action = QAction(text, menu)
            action.setObjectName(f"presenterScreen{i}")
            action.setCheckable(True)
            action.setChecked(name == self.screen_name)
            action.setToolTip("Presenter mode takes this screen" if name else
                              "Presenter mode takes the screen the window is on")
            action.triggered.connect(lambda _c=False, n=name: self.choose_screen(n))
            group.addAction(action)
            menu.addAction(action)

    def _take_screen(self) -> QScreen | None:
        window = self.host.main_window()
        handle = window.windowHandle()
        screen = self.screen()
        if handle is not None and screen is not None:
            handle.setScreen(screen)
        if screen is not None:
            # (without a window manager, full screen is only a request: take the screen)
            window.setGeometry(screen.geometry())
        return screen

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
        screen = self._take_screen()
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
