"""Files and persistence, wired into the window: menus, drag and drop, closing, appearance.

:class:`FilesController` is made by the window (``window.files``) once its panels and menus
exist. It adds

* File: New, Open…, Open Recent, Save, Save As…, Open data…, Export (history CSV/JSON, each
  plot as PNG/SVG, the window as PNG, the run as an animated GIF);
* Run: Copy as / Save as PyTorch and NumPy code;
* View: Theme (System / Light / Dark), Text size (Normal / Large / Huge), Reset layout;

and it owns the window's :class:`~gdstudio.ui.model.state.UiState` (``window.files.ui_state``):
panels register their own state there and it travels in session files.

Settings (QSettings) it keeps: recent files, theme, text size, the setup in use at the last
close (problem and parameters). The window itself keeps geometry, docks, speed and log scale.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QSize, QTimer, Slot
from PySide6.QtGui import QAction, QActionGroup, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMenu

from gdstudio.core import RegressionProblem
from gdstudio.core.io.session import SUFFIX
from gdstudio.ui.files import code_export, dialogs, exports
from gdstudio.ui.files.data_import import CsvImporter, is_data_file
from gdstudio.ui.files.sessions import SessionManager, settings
from gdstudio.ui.model.state import UiState, get_bool, get_float, get_str
from gdstudio.ui.panels.race_panel import RACE_MODES
from gdstudio.ui.theme import TEXT_SIZES, THEMES, Appearance

if TYPE_CHECKING:  # pragma: no cover
    from gdstudio.ui.window.main_window import MainWindow

__all__ = ["FilesController", "DEFAULT_SIZE"]

#: The window's size on a first launch and after View › Reset layout.
DEFAULT_SIZE = QSize(1440, 900)

_THEME_LABELS = {"system": "Follow the system", "light": "Light", "dark": "Dark"}
_SIZE_LABELS = {"normal": "Normal", "large": "Large (projector)", "huge": "Huge (big room)"}


def _dropped_path(event: QDropEvent | QDragEnterEvent) -> str:
    """The one local file being dragged ('' if none, or several)."""
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return ""
    files = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
    return files[0] if len(files) == 1 else ""


def _is_session(path: str) -> bool:
    return path.lower().endswith(SUFFIX)


class FilesController(QObject):
    """Everything of the File menu, plus appearance; see the module's docstring."""

    def __init__(self, window: MainWindow, app_name: str) -> None:
        super().__init__(window)
        self.setObjectName("filesController")
        self.window = window
        self._gif: exports.GifExport | None = None
        self._closing_done = False
        self._data_file: dict[str, Any] | None = None
        # Before the window restores its saved layout: this is the default one.
        self._default_state = window.saveState()

        self.ui_state = UiState()
        self.ui_state.register("view", self._view_state, self._restore_view_state)
        self.ui_state.register("race", self._race_state, self._restore_race_state)
        self.sessions = SessionManager(window, self.ui_state, app_name)
        self.importer = CsvImporter(window, self._use_data)
        self.appearance = Appearance(self)
        self.appearance.add_root(window)
        self.appearance.add_indicator_host(window.controls)

        self._build_actions()
        self._build_menus()
        # The setup panel's own "Load CSV…" goes through the preview and the background load.
        controls = window.controls
        controls.loadCsvButton.clicked.disconnect(controls.choose_csv)
        controls.loadCsvButton.clicked.connect(self.importer.choose_file)

        window.setAcceptDrops(True)
        window.installEventFilter(self)
        self._restore_appearance()
        self._data_file = self.sessions.restore_setup()

    def finish_startup(self) -> None:
        """The window is built: what it did so far is not a change; reread large data."""
        self.sessions.set_clean()
        data_file = self._data_file
        self._data_file = None
        if data_file:
            path = data_file.get("path")
            x, y = data_file.get("x_column"), data_file.get("y_column")
            if isinstance(path, str) and isinstance(x, str) and isinstance(y, str):
                if os.path.isfile(path):
                    QTimer.singleShot(0, lambda: self._reload(path, x, y))
                else:
                    self.window.message_bar.show_message(
                        f"The data used last time ({path}) is no longer there; showing the "
                        "synthetic data instead.", "warning")

    def _reload(self, path: str, x: str, y: str) -> None:
        self._quiet_data = True
        self.importer.load(path, x, y)  # type: ignore[arg-type]

    # ------------------------------------------------------------------------------------------
    # actions and menus
    # ------------------------------------------------------------------------------------------

    def _action(self, text: str, tip: str, slot: Any, shortcut: Any = None,
                icon_name: str | None = None, name: str = "") -> QAction:
        from gdstudio.ui.resources import icon

        action = QAction(text, self.window)
        if name:
            action.setObjectName(name)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            native = QKeySequence.SequenceFormat.NativeText
            tip += f" ({QKeySequence(shortcut).toString(native)})"
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_actions(self) -> None:
        w = self.window
        s = self.sessions
        self.newAction = self._action("&New", "Start again from the source's example",
                                      s.new, QKeySequence.StandardKey.New, name="newAction")
        self.openAction = self._action("&Open…", f"Open a session ({SUFFIX} file)", s.open,
                                       QKeySequence.StandardKey.Open, "open", "openAction")
        self.saveAction = self._action("&Save", "Save the problem, the settings and the run",
                                       s.save, QKeySequence.StandardKey.Save, name="saveAction")
        self.saveAsAction = self._action("Save &As…", "Save the session under a new name",
                                         s.save_as, QKeySequence("Ctrl+Shift+S"),
                                         name="saveAsAction")
        self.exportJsonAction = self._action(
            "History as JSON…", "Save every epoch of the run as JSON (gdstudio run --format "
            "json)", lambda: self.export_history("json"), name="exportJsonAction")
        self.exportWindowAction = self._action(
            "Window as PNG…", "A picture of the whole window", self.export_window,
            name="exportWindowAction")
        self.exportGifAction = self._action(
            "Run as animated GIF…", "The run replayed epoch by epoch through the plots",
            self.export_gif, name="exportGifAction")
        self.codeActions: dict[str, QAction] = {}
        for backend, label in code_export.BACKENDS.items():
            self.codeActions[f"copy_{backend}"] = self._action(
                f"Copy as {label} code", f"A {label} script that reproduces this run, on the "
                "clipboard", lambda b=backend: code_export.copy_script(w, b),
                name=f"copy{label}Action")
            self.codeActions[f"save_{backend}"] = self._action(
                f"Save as {label} script…", f"Save a {label} script that reproduces this run",
                lambda b=backend: code_export.save_script(w, b), name=f"save{label}Action")
        self.resetLayoutAction = self._action(
            "Reset layout", "Put every panel back where it was at the first launch",
            self.reset_layout, name="resetLayoutAction")

        self.themeGroup = QActionGroup(self)
        self.themeActions: dict[str, QAction] = {}
        for theme in THEMES:
            action = QAction(_THEME_LABELS[theme], self.window, checkable=True)
            action.setObjectName(f"theme{theme.capitalize()}Action")
            action.triggered.connect(lambda _c=False, t=theme: self.set_theme(t))
            self.themeGroup.addAction(action)
            self.themeActions[theme] = action
        self.textSizeGroup = QActionGroup(self)
        self.textSizeActions: dict[str, QAction] = {}
        for size in TEXT_SIZES:
            action = QAction(_SIZE_LABELS[size], self.window, checkable=True)
            action.setObjectName(f"text{size.capitalize()}Action")
            action.triggered.connect(lambda _c=False, z=size: self.set_text_size(z))
            self.textSizeGroup.addAction(action)
            self.textSizeActions[size] = action

    def _menu(self, title: str) -> QMenu:
        for action in self.window.menuBar().actions():
            menu = action.menu()
            if menu is not None and action.text().replace("&", "") == title:
                return menu
        return self.window.menuBar().addMenu(title)

    def _build_menus(self) -> None:
        w = self.window
        file_menu = self._menu("File")
        first = file_menu.actions()[0] if file_menu.actions() else None
        self.recentMenu = QMenu("Open &Recent", file_menu)
        self.recentMenu.setObjectName("recentMenu")
        self.recentMenu.aboutToShow.connect(self._fill_recent_menu)
        for item in (self.newAction, self.openAction, self.recentMenu, None, self.saveAction,
                     self.saveAsAction, None):
            if item is None:
                file_menu.insertSeparator(first) if first else file_menu.addSeparator()
            elif isinstance(item, QMenu):
                file_menu.insertMenu(first, item) if first else file_menu.addMenu(item)
            else:
                file_menu.insertAction(first, item) if first else file_menu.addAction(item)
        # Export: after the window's own export entry (history as CSV), before Quit.
        self.exportMenu = QMenu("&Export", file_menu)
        self.exportMenu.setObjectName("exportMenu")
        self.exportMenu.aboutToShow.connect(self._fill_export_menu)
        quit_action = getattr(w, "quitAction", None)
        anchor = quit_action if quit_action in file_menu.actions() else None
        if anchor is not None:
            actions = file_menu.actions()
            index = actions.index(anchor)
            if index > 0 and actions[index - 1].isSeparator():
                anchor = actions[index - 1]
            file_menu.insertMenu(anchor, self.exportMenu)
        else:
            file_menu.addMenu(self.exportMenu)

        run_menu = self._menu("Run")
        run_menu.addSeparator()
        for key in ("copy_torch", "save_torch", "copy_numpy", "save_numpy"):
            run_menu.addAction(self.codeActions[key])

        view_menu = self._menu("View")
        view_menu.addSeparator()
        theme_menu = view_menu.addMenu("&Theme")
        theme_menu.setObjectName("themeMenu")
        for action in self.themeActions.values():
            theme_menu.addAction(action)
        size_menu = view_menu.addMenu("Te&xt size")
        size_menu.setObjectName("textSizeMenu")
        for action in self.textSizeActions.values():
            size_menu.addAction(action)
        view_menu.addAction(self.resetLayoutAction)

    @Slot()
    def _fill_recent_menu(self) -> None:
        menu = self.recentMenu
        menu.clear()
        missing = self.sessions.prune_recent()
        if missing:
            names = ", ".join(os.path.basename(p) for p in missing)
            self.window.message_bar.show_message(
                f"Removed from Open Recent (the file{'s are' if len(missing) > 1 else ' is'} no "
                f"longer there): {names}", "info")
        items = self.sessions.recent()
        for i, path in enumerate(items):
            action = menu.addAction(f"&{i + 1}  {os.path.basename(path)}" if i < 9
                                    else os.path.basename(path))
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _c=False, p=path: self.sessions.open(p))
        if not items:
            empty = menu.addAction("No recent sessions")
            empty.setEnabled(False)
        menu.addSeparator()
        clear = menu.addAction("Clear the list")
        clear.setEnabled(bool(items))
        clear.triggered.connect(self.sessions.clear_recent)

    def plots(self) -> list[pg.PlotWidget]:
        """The plots on screen, for exports."""
        return [p for p in self.window.findChildren(pg.PlotWidget) if p.isVisible()]

    @staticmethod
    def plot_title(plot: pg.PlotWidget) -> str:
        title = plot.getPlotItem().titleLabel.text
        return title or plot.objectName() or "plot"

    @Slot()
    def _fill_export_menu(self) -> None:
        menu = self.exportMenu
        menu.clear()
        has_run = self.window.run_data.n > 0
        export_csv = getattr(self.window, "exportAction", None)
        if isinstance(export_csv, QAction):
            export_csv.setText("History as CSV…")
            menu.addAction(export_csv)
        menu.addAction(self.exportJsonAction)
        self.exportJsonAction.setEnabled(has_run)
        menu.addSeparator()
        for plot in self.plots():
            title = self.plot_title(plot)
            for fmt in ("png", "svg"):
                action = menu.addAction(f"{title} as {fmt.upper()}…")
                action.triggered.connect(lambda _c=False, p=plot, f=fmt: self.export_plot(p, f))
        menu.addAction(self.exportWindowAction)
        menu.addSeparator()
        menu.addAction(self.exportGifAction)
        self.exportGifAction.setEnabled(has_run and self._gif is None)

    # ------------------------------------------------------------------------------------------
    # data
    # ------------------------------------------------------------------------------------------

    _quiet_data = False

    def open_data(self) -> None:
        """File › Open data…: choose a CSV, preview it, load it, fit it."""
        self.importer.choose_file()

    def _use_data(self, problem: RegressionProblem) -> None:
        quiet, self._quiet_data = self._quiet_data, False
        if quiet:  # the data of the last launch, read again: not a change
            with self.sessions.restoring():
                self.window.controls.use_csv_problem(problem)
        else:
            self.window.controls.use_csv_problem(problem)

    # ------------------------------------------------------------------------------------------
    # exports
    # ------------------------------------------------------------------------------------------

    def _save_path(self, title: str, name: str, filters: str, suffix: str) -> str:
        path = dialogs.ask_save_path(self.window, title, name, filters)
        if path and not os.path.splitext(path)[1]:
            path += suffix
        return path

    def _stem(self) -> str:
        path = self.sessions.path
        return path.stem if path is not None else "gdstudio"

    def export_history(self, fmt: str, path: str | None = None) -> str:
        """The history as CSV or JSON, exactly as ``gdstudio run --format`` prints it."""
        history = exports.history_of(self.window.run_data)
        if history is None:
            dialogs.show_error(self.window, "Nothing to export", "There is no run to export yet.")
            return ""
        if path is None:
            filters = "CSV files (*.csv);;All files (*)" if fmt == "csv" \
                else "JSON files (*.json);;All files (*)"
            path = self._save_path("Export the history", f"{self._stem()}-history.{fmt}",
                                   filters, f".{fmt}")
            if not path:
                return ""
        try:
            exports.save_history(history, path, fmt)
        except OSError as err:
            dialogs.show_error(self.window, "Could not export", f"{path}: {err.strerror or err}")
            return ""
        self.window.statusBar().showMessage(f"Saved {history.epochs_run + 1:,} rows to {path}",
                                            5000)
        return path

    def export_plot(self, plot: pg.PlotWidget, fmt: str, path: str | None = None) -> str:
        """One plot as PNG or SVG."""
        if path is None:
            stem = plot.objectName().removesuffix("Plot") or "plot"
            filters = "PNG images (*.png)" if fmt == "png" else "SVG drawings (*.svg)"
            path = self._save_path(f"Export {self.plot_title(plot)}", f"{self._stem()}-{stem}."
                                   f"{fmt}", filters + ";;All files (*)", f".{fmt}")
            if not path:
                return ""
        try:
            (exports.plot_png if fmt == "png" else exports.plot_svg)(plot, path)
        except OSError as err:
            dialogs.show_error(self.window, "Could not export", f"{path}: {err.strerror or err}")
            return ""
        self.window.statusBar().showMessage(f"Saved {path}", 5000)
        return path

    def export_window(self, path: str | None = None) -> str:
        if path is None:
            path = self._save_path("Export the window", f"{self._stem()}-window.png",
                                   "PNG images (*.png);;All files (*)", ".png")
            if not path:
                return ""
        try:
            exports.window_png(self.window, path)
        except OSError as err:
            dialogs.show_error(self.window, "Could not export", f"{path}: {err.strerror or err}")
            return ""
        self.window.statusBar().showMessage(f"Saved {path}", 5000)
        return path

    def export_gif(self, path: str | None = None, *, frames: int | None = None,
                   frame_ms: int = 80, width: int | None = None,
                   show_progress: bool = True) -> exports.GifExport | None:
        """The run as an animated GIF, drawn without blocking; returns the export under way."""
        data = self.window.run_data
        if data.n == 0:
            dialogs.show_error(self.window, "Nothing to export", "There is no run to export yet.")
            return None
        if self._gif is not None:
            return None
        if path is None:
            options = dialogs.ask_gif_options(self.window, data.n - 1,
                                              exports._panel_area(self.window).width())
            if options is None:
                return None
            frames, frame_ms, width = options
            path = self._save_path("Export the run as a GIF", f"{self._stem()}.gif",
                                   "GIF animations (*.gif);;All files (*)", ".gif")
            if not path:
                return None
        try:
            gif = exports.GifExport(self.window, path,
                                    frames=frames or exports.DEFAULT_GIF_FRAMES,
                                    frame_ms=frame_ms, width=width, show_progress=show_progress)
        except ImportError as err:
            dialogs.show_error(self.window, "Could not export the GIF", str(err))
            return None
        gif.finished.connect(self._on_gif_finished)
        self._gif = gif
        gif.start()
        return gif

    @Slot(str, str)
    def _on_gif_finished(self, outcome: str, text: str) -> None:
        gif, self._gif = self._gif, None
        if outcome == "saved":
            count = gif.frame_count if gif is not None else 0
            self.window.statusBar().showMessage(f"Saved {text} ({count} frames)", 5000)
        elif outcome == "failed":
            dialogs.show_error(self.window, "Could not export the GIF", text)
        if gif is not None:
            gif.deleteLater()

    # ------------------------------------------------------------------------------------------
    # appearance and layout
    # ------------------------------------------------------------------------------------------

    def _restore_appearance(self) -> None:
        s = settings()
        theme = s.value("view/theme", "system")
        size = s.value("view/textSize", "normal")
        theme = theme if theme in THEMES else "system"
        size = size if size in TEXT_SIZES else "normal"
        self.appearance._theme = theme  # noqa: SLF001 - both set, then one apply()
        self.appearance._text_size = size  # noqa: SLF001
        self.appearance.apply()
        self.themeActions[theme].setChecked(True)
        self.textSizeActions[size].setChecked(True)

    def set_theme(self, theme: str) -> None:
        self.appearance.set_theme(theme)
        self.themeActions[theme].setChecked(True)
        s = settings()
        s.setValue("view/theme", theme)
        s.sync()

    def set_text_size(self, size: str) -> None:
        self.appearance.set_text_size(size)
        self.textSizeActions[size].setChecked(True)
        s = settings()
        s.setValue("view/textSize", size)
        s.sync()

    def reset_layout(self) -> None:
        """View › Reset layout: every dock back in place and shown, the default size."""
        w = self.window
        for dock in w.findChildren(QDockWidget):
            dock.setFloating(False)
        w.restoreState(self._default_state)
        for dock in w.findChildren(QDockWidget):
            dock.show()
        w.resize(DEFAULT_SIZE)
        default_sizes = getattr(w, "default_dock_sizes", None)
        if callable(default_sizes):
            default_sizes()

    # ------------------------------------------------------------------------------------------
    # the window's view state (in session files)
    # ------------------------------------------------------------------------------------------

    def _view_state(self) -> dict[str, Any]:
        w = self.window
        plots: dict[str, Any] = {}
        for plot in w.findChildren(pg.PlotWidget):
            name = plot.objectName()
            if name and not getattr(plot, "following", True):
                (x0, x1), (y0, y1) = plot.getPlotItem().getViewBox().viewRange()
                plots[name] = {"follow": False, "x": [float(x0), float(x1)],
                               "y": [float(y0), float(y1)]}
        return {"log_scale": w.logScaleAction.isChecked(), "speed": w.controls.speed(),
                "plots": plots}

    def _restore_view_state(self, state: dict[str, Any]) -> None:
        w = self.window
        w.logScaleAction.setChecked(get_bool(state, "log_scale", False))
        w.controls.set_speed(get_float(state, "speed", float(w.controls.speed())))
        plots = state.get("plots")
        if isinstance(plots, dict) and plots:
            # After the run that is being set up has framed its plots (a new problem makes them
            # follow the run again): at the event loop's next turn.
            QTimer.singleShot(0, lambda: self._restore_plot_views(plots))

    def _restore_plot_views(self, plots: dict[str, Any]) -> None:
        w = self.window
        for plot in w.findChildren(pg.PlotWidget):
            view = plots.get(plot.objectName())
            if not isinstance(view, dict) or view.get("follow", True):
                continue
            x, y = view.get("x"), view.get("y")
            if not (_pair(x) and _pair(y)):
                continue
            vb = plot.getPlotItem().getViewBox()
            vb.setRange(xRange=tuple(x), yRange=tuple(y), padding=0)  # type: ignore[arg-type]
            # As if the person had panned there: the plot stops following the run.
            vb.sigRangeChangedManually.emit(vb.mouseEnabled())

    def _race_state(self) -> dict[str, Any]:
        race = self.window.controls.raceSetup
        return {"mode": race.mode(), "rates": race.rates(), "optimizers": race.optimizers()}

    def _restore_race_state(self, state: dict[str, Any]) -> None:
        race = self.window.controls.raceSetup
        rates = state.get("rates")
        if isinstance(rates, list) and rates and all(
                isinstance(r, (int, float)) and not isinstance(r, bool) and r > 0 for r in rates):
            race.set_rates([float(r) for r in rates])
        names = state.get("optimizers")
        if isinstance(names, list) and names and all(isinstance(n, str) for n in names):
            try:
                race.set_optimizers(list(names))
            except (KeyError, ValueError):
                pass  # another version's optimizer: keep the current choice
        mode = get_str(state, "mode", "single", tuple(RACE_MODES))
        race.set_mode(mode)

    # ------------------------------------------------------------------------------------------
    # the window's events: drops, closing
    # ------------------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self.window:
            return False
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            path = _dropped_path(event)  # type: ignore[arg-type]
            if path and (_is_session(path) or is_data_file(path)):
                event.acceptProposedAction()  # type: ignore[attr-defined]
                return True
            return False
        if kind == QEvent.Type.Drop:
            path = _dropped_path(event)  # type: ignore[arg-type]
            if path:
                event.acceptProposedAction()  # type: ignore[attr-defined]
                # After the drop has finished: the drag source is not kept waiting on a dialog.
                QTimer.singleShot(0, lambda: self.open_dropped(path))
                return True
            return False
        if kind == QEvent.Type.Close and not self._closing_done:
            if not self.sessions.maybe_save():
                event.ignore()
                return True  # the window stays open, as it was
            self._closing_done = True
            self._on_closing()
        return False

    def open_dropped(self, path: str) -> None:
        """A file dropped on the window: a session opens, data goes to the preview."""
        if _is_session(path):
            self.sessions.open(path)
        elif is_data_file(path) or os.path.isfile(path):
            self.importer.preview_file(path)

    def _on_closing(self) -> None:
        gif = self._gif  # cancel() reports at once, and _on_gif_finished forgets it
        if gif is not None:
            gif.cancel()
            gif.wait()
        self.importer.shutdown()
        self.sessions.remember_setup()


def _pair(value: object) -> bool:
    import math

    return (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                    for v in value) and value[0] < value[1])
