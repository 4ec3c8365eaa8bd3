"""Every command of the window, declared once: text, tip, shortcut, icon, what it calls, where
it shows (menus, toolbar). The window builds its QActions, menus and toolbar from these tables
(pymmcore-gui's action registry); nothing finds a menu by its title.

A command's ``slot`` is a path of public attributes from the window, resolved when the actions
are built (``"step"`` is ``window.step``, ``"files.sessions.new"`` is
``window.files.sessions.new``), called with ``args``. A menu entry is an action's key, ``"-"``
(a separator) or ``"@name"``: a part the window fills itself (the recent files, the export
submenu, the docks' toggles, the theme and text-size choices).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar, QWidget

from gdstudio.ui.resources import icon

__all__ = ["ActionSpec", "ACTIONS", "MENUS", "EXPORT_MENU", "TOOLBAR", "build_actions",
           "fill_menu", "fill_toolbar"]

Key = str | QKeySequence.StandardKey


@dataclass(frozen=True)
class ActionSpec:
    """One command."""

    key: str
    text: str
    tip: str
    slot: str
    args: tuple[Any, ...] = ()
    icon: str | None = None
    shortcuts: tuple[Key, ...] = ()
    checkable: bool = False
    #: checkable actions of one group exclude each other
    group: str = ""
    #: the platform's menu role ("quit", "about")
    role: str = ""
    #: a checkable action calls its slot with its new state when toggled (not when triggered)
    on_toggle: bool = False


_STD = QKeySequence.StandardKey

ACTIONS: tuple[ActionSpec, ...] = (
    # --- the run
    ActionSpec("step", "Step", "Make one update: x ← x − r·f′(x)", "step", icon="step",
               shortcuts=("Right", "N")),
    ActionSpec("play", "Play", "Play the run at the chosen speed, or pause it", "toggle_play",
               icon="play", shortcuts=("Space",)),
    ActionSpec("runToEnd", "Run to end", "Run all remaining epochs as fast as possible",
               "run_to_end", icon="run-to-end", shortcuts=("E",)),
    ActionSpec("reset", "Reset", "Start the run again from the start point", "reset",
               icon="reset", shortcuts=("R",)),
    # --- files
    ActionSpec("new", "&New", "Start again from the source's example", "files.sessions.new",
               shortcuts=(_STD.New,)),
    ActionSpec("open", "&Open…", "Open a session (.gdstudio file)", "files.sessions.open",
               icon="open", shortcuts=(_STD.Open,)),
    ActionSpec("save", "&Save", "Save the problem, the settings and the run",
               "files.sessions.save", shortcuts=(_STD.Save,)),
    ActionSpec("saveAs", "Save &As…", "Save the session under a new name",
               "files.sessions.save_as", shortcuts=("Ctrl+Shift+S",)),
    ActionSpec("openLesson", "Open &lesson…", "Open a guided lesson (a lesson file, .md)",
               "lessons.open_file"),
    ActionSpec("openData", "Open data…", "Load regression data (two numeric columns x, y) from "
               "a CSV file, and fit it", "files.open_data", icon="open",
               shortcuts=("Ctrl+Shift+O",)),
    ActionSpec("exportHistory", "Export history…", "Save every epoch of the run as CSV (exact "
               "numbers)", "files.export_history", args=("csv",), icon="export",
               shortcuts=("Ctrl+E",)),
    ActionSpec("exportCsv", "History as CSV…", "Save every epoch of the run as CSV (gdstudio "
               "run --format csv)", "files.export_history", args=("csv",)),
    ActionSpec("exportJson", "History as JSON…", "Save every epoch of the run as JSON "
               "(gdstudio run --format json)", "files.export_history", args=("json",)),
    ActionSpec("exportRaceCsv", "Race, every lane and epoch, as CSV…", "Save every epoch of "
               "every lane of the race, one row each (gdstudio run --per-epoch --format csv)",
               "files.export_race_csv"),
    ActionSpec("pngScale1", "Screen size", "PNG pictures as large as on screen",
               "files.set_png_scale", args=(1,), checkable=True, group="png"),
    ActionSpec("pngScale2", "2× (slides)", "PNG pictures twice the screen's size in each "
               "direction: sharp on a slide or a 4K projector", "files.set_png_scale", args=(2,),
               checkable=True, group="png"),
    ActionSpec("pngScale3", "3× (print)", "PNG pictures three times the screen's size",
               "files.set_png_scale", args=(3,), checkable=True, group="png"),
    ActionSpec("pngScale4", "4× (poster)", "PNG pictures four times the screen's size",
               "files.set_png_scale", args=(4,), checkable=True, group="png"),
    ActionSpec("exportWindow", "Window as PNG…", "A picture of the whole window",
               "files.export_window"),
    ActionSpec("exportGif", "Run as animated GIF…", "The run replayed epoch by epoch through "
               "the plots", "files.export_gif"),
    ActionSpec("quit", "Quit", "Close Gradient Descent Studio", "close", icon="quit",
               shortcuts=("Ctrl+Q",), role="quit"),
    # --- code
    ActionSpec("copyPyTorch", "Copy as PyTorch code", "A PyTorch script that reproduces this "
               "run, on the clipboard", "files.copy_script", args=("torch",)),
    ActionSpec("savePyTorch", "Save as PyTorch script…", "Save a PyTorch script that "
               "reproduces this run", "files.save_script", args=("torch",)),
    ActionSpec("copyNumPy", "Copy as NumPy code", "A NumPy script that reproduces this run, on "
               "the clipboard", "files.copy_script", args=("numpy",)),
    ActionSpec("saveNumPy", "Save as NumPy script…", "Save a NumPy script that reproduces this "
               "run", "files.save_script", args=("numpy",)),
    # --- view
    ActionSpec("logScale", "Log-scale loss", "Show the loss on a log scale (as loss − loss*, "
               "when the optimum is known)", "loss_plot.set_log_scale", icon="log-scale",
               shortcuts=("L",), checkable=True, on_toggle=True),
    ActionSpec("fitView", "Fit view", "Frame the plots on the run and follow it again",
               "fit_views", icon="fit-view", shortcuts=("F",)),
    ActionSpec("presenter", "&Presenter", "Full screen for a projector: huge text, the plots "
               "and the arithmetic large, the setup tucked away (→ step, Space play, ← → "
               "history, Esc leaves)", "presenter.set_active",
               shortcuts=("F11",), checkable=True, on_toggle=True),
    ActionSpec("resetLayout", "Reset layout", "Put every panel back where it was at the first "
               "launch", "reset_layout"),
    ActionSpec("themeSystem", "Follow the system", "Light or dark, as the system is",
               "appearance.choose_theme", args=("system",), checkable=True, group="theme"),
    ActionSpec("themeLight", "Light", "Dark text on a light background",
               "appearance.choose_theme", args=("light",), checkable=True, group="theme"),
    ActionSpec("themeDark", "Dark", "Light text on a dark background",
               "appearance.choose_theme", args=("dark",), checkable=True, group="theme"),
    ActionSpec("textNormal", "Normal", "The system's text size",
               "appearance.choose_text_size", args=("normal",), checkable=True, group="size"),
    ActionSpec("textLarge", "Large (projector)", "Larger text, for a projector",
               "appearance.choose_text_size", args=("large",), checkable=True, group="size"),
    ActionSpec("textHuge", "Huge (big room)", "Huge text, read from the back of a room",
               "appearance.choose_text_size", args=("huge",), checkable=True, group="size"),
    # --- edit
    ActionSpec("undo", "&Undo", "Undo the last change of the setup (the run starts again)",
               "setup_history.stack.undo", shortcuts=(_STD.Undo,)),
    ActionSpec("redo", "&Redo", "Redo the change undone", "setup_history.stack.redo",
               shortcuts=(_STD.Redo,)),
    # --- help
    ActionSpec("shortcuts", "&Keyboard shortcuts", "Every key of the window", "show_shortcuts",
               shortcuts=(_STD.HelpContents,)),
    ActionSpec("about", "About Gradient Descent Studio", "Version and credits", "show_about",
               icon="about", role="about"),
    ActionSpec("aboutQt", "About Qt", "The Qt toolkit's version", "show_about_qt"),
)

#: The menu bar: (title, entries).
MENUS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("&File", ("new", "open", "@recent", "openLesson", "-", "save", "saveAs", "-", "openData",
               "@export", "-", "quit")),
    ("&Edit", ("undo", "redo")),
    ("&Run", ("step", "play", "runToEnd", "reset", "-", "copyPyTorch", "savePyTorch",
              "copyNumPy", "saveNumPy")),
    ("&View", ("logScale", "fitView", "presenter", "@presenterScreen", "-", "@docks", "-",
               "@theme", "@textSize", "resetLayout")),
    ("&Lessons", ("@lessons",)),
    ("&Help", ("shortcuts", "-", "about", "aboutQt")),
)
#: File › Export (``@plots``: each plot on screen as PNG and SVG, filled when it opens;
#: ``@pngScale``: the PNG size submenu).
EXPORT_MENU = ("exportCsv", "exportJson", "exportRaceCsv", "-", "@plots", "exportWindow",
               "@pngScale", "-", "exportGif")
#: The Run toolbar.
TOOLBAR = ("step", "play", "runToEnd", "reset", "-", "logScale", "fitView", "-", "openData",
           "exportHistory")
#: The toolbar buttons' objectNames (for tests and automation: a contract of DESIGN.md).
BUTTON_NAMES = {"step": "stepButton", "play": "playButton", "runToEnd": "runToEndButton",
                "reset": "resetButton"}

_ROLES = {"quit": QAction.MenuRole.QuitRole, "about": QAction.MenuRole.AboutRole}


def _resolve(root: object, path: str) -> Callable[..., Any]:
    target: Any = root
    for part in path.split("."):
        if part.startswith("_"):
            raise ValueError(f"an action's slot must be public: {path!r}")
        target = getattr(target, part)
    if not callable(target):
        raise TypeError(f"an action's slot is not callable: {path!r}")
    resolved: Callable[..., Any] = target
    return resolved


def tip_with_keys(tip: str, keys: list[QKeySequence]) -> str:
    if not keys:
        return tip
    native = QKeySequence.SequenceFormat.NativeText
    return f"{tip} ({', '.join(k.toString(native) for k in keys)})"


def build_actions(window: QWidget, specs: tuple[ActionSpec, ...] = ACTIONS
                  ) -> dict[str, QAction]:
    """A QAction per spec, parented to ``window`` and added to it (so its shortcut works
    wherever the window has focus), its slot resolved from ``window``."""
    actions: dict[str, QAction] = {}
    groups: dict[str, QActionGroup] = {}
    for spec in specs:
        action = QAction(spec.text, window)
        action.setObjectName(f"{spec.key}Action")
        if spec.icon:
            action.setIcon(icon(spec.icon))
        keys = [QKeySequence(k) for k in spec.shortcuts]
        if keys:
            action.setShortcuts(keys)
        tip = tip_with_keys(spec.tip, keys)
        # (no status tip: passing over a toolbar button would replace the status line's account
        # of the run with it)
        action.setToolTip(tip)
        action.setCheckable(spec.checkable)
        if spec.role:
            action.setMenuRole(_ROLES[spec.role])
        if spec.group:
            groups.setdefault(spec.group, QActionGroup(window)).addAction(action)
        slot = _resolve(window, spec.slot)
        if spec.on_toggle:
            action.toggled.connect(slot)
        else:
            action.triggered.connect(lambda _checked=False, f=slot, a=spec.args: f(*a))
        window.addAction(action)
        actions[spec.key] = action
    return actions


def fill_menu(menu: QMenu, entries: tuple[str, ...], actions: Mapping[str, QAction],
              parts: Mapping[str, Callable[[QMenu], None]]) -> None:
    """Add ``entries`` to ``menu``: actions by key, separators, and ``@parts`` (each a function
    that adds its own entries to the menu)."""
    for entry in entries:
        if entry == "-":
            menu.addSeparator()
        elif entry.startswith("@"):
            parts[entry[1:]](menu)
        else:
            menu.addAction(actions[entry])


def fill_toolbar(toolbar: QToolBar, entries: tuple[str, ...],
                 actions: Mapping[str, QAction]) -> None:
    for entry in entries:
        if entry == "-":
            toolbar.addSeparator()
            continue
        toolbar.addAction(actions[entry])
        name = BUTTON_NAMES.get(entry)
        if name:
            toolbar.widgetForAction(actions[entry]).setObjectName(name)
