"""Files and persistence: sessions, data, exports, code, drag and drop, closing.

:class:`FilesController` is made by the window (``window.files``) and sees it only through a
:class:`~gdstudio.ui.host.FilesHost`. Its commands are declared with the window's others
(:mod:`gdstudio.ui.window.actions`): File › New, Open…, Open Recent, Save, Save As…, Open data…,
Export (history CSV/JSON, each plot as PNG/SVG, the window as PNG, the run as an animated GIF)
and Run › Copy as / Save as PyTorch and NumPy code. It owns the window's
:class:`~gdstudio.ui.model.state.UiState` (``window.files.ui_state``): panels register their
own state there and it travels in session files.

Settings (QSettings) it keeps: recent files and the setup in use at the last close (problem and
parameters). The window itself keeps geometry, docks, speed, log scale and the look.
"""

from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING, Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QSize, QTimer, Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QMenu

from gdstudio.core import InputError, RegressionProblem
from gdstudio.core.descent.config import check_learning_rate
from gdstudio.core.descent.optimizers import OptimizerSettings
from gdstudio.core.io.session import SUFFIX
from gdstudio.core.race.lanes import Lane
from gdstudio.ui.files import code_export, dialogs, exports
from gdstudio.ui.files.background import run_with_progress
from gdstudio.ui.files.data_import import CsvImporter, is_data_file
from gdstudio.ui.files.sessions import BACKGROUND_ROWS, SessionManager
from gdstudio.ui.model.race_data import MAX_WINDOW_LANES
from gdstudio.ui.model.state import UiState, get_bool, get_float, get_str
from gdstudio.ui.panels.race_setup import LANES_MODE, RACE_MODES
from gdstudio.ui.settings import settings

if TYPE_CHECKING:  # pragma: no cover
    from gdstudio.ui.host import FilesHost

__all__ = ["FilesController", "DEFAULT_SIZE"]

#: The window's size on a first launch and after View › Reset layout.
DEFAULT_SIZE = QSize(1440, 900)
#: The settings key of File › Export › PNG size.
_PNG_SCALE_KEY = "export/pngScale"


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

    def __init__(self, host: FilesHost, app_name: str) -> None:
        super().__init__(host.main_window())
        self.setObjectName("filesController")
        self.host = host
        self._gif: exports.GifExport | None = None
        self._closing_done = False
        self._data_file: dict[str, Any] | None = None

        self.ui_state = UiState()
        self.ui_state.register("view", self._view_state, self._restore_view_state)
        self.ui_state.register("race", self._race_state, self._restore_race_state,
                               self._race_refusal)
        self.sessions = SessionManager(host, self.ui_state, app_name)
        self.importer = CsvImporter(host.main_window(), self._use_data)
        self.importer.finished.connect(self._on_import_finished)
        self.recentMenu = QMenu("Open &Recent", host.main_window())
        self.recentMenu.setObjectName("recentMenu")
        self.recentMenu.aboutToShow.connect(self._fill_recent_menu)

    def attach(self) -> None:
        """The window's actions and panels exist: listen to them; drops; the last setup."""
        host = self.host
        self.sessions.attach()
        # The setup panel's own "Load CSV…" goes through the preview and the background load.
        host.controls.loadDataRequested.connect(self.importer.choose_file)
        window = host.main_window()
        window.setAcceptDrops(True)
        window.installEventFilter(self)
        self._data_file = self.sessions.restore_setup()
        self._show_png_scale()

    def finish_startup(self) -> None:
        """The window is built: what it did so far is not a change; reread large data."""
        self.sessions.set_clean()
        data_file = self._data_file
        self._data_file = None
        if data_file:
            path = data_file.get("path")
            x, y = data_file.get("x_column"), data_file.get("y_column")
            skip = data_file.get("skip_bad_rows") is True  # (read as it was read last time)
            if isinstance(path, str) and isinstance(x, str) and isinstance(y, str):
                if os.path.isfile(path):
                    QTimer.singleShot(0, lambda: self._reload(path, x, y, skip))
                else:
                    self.host.show_message(
                        f"The data used last time ({path}) is no longer there; showing the "
                        "synthetic data instead.", "warning")

    def _reload(self, path: str, x: str, y: str, skip_bad_rows: bool = False) -> None:
        self._quiet_data = True
        self.importer.load(path, x, y, skip_bad_rows=skip_bad_rows)

    # ------------------------------------------------------------------------------------------
    # menus filled when they open
    # ------------------------------------------------------------------------------------------

    @Slot()
    def _fill_recent_menu(self) -> None:
        menu = self.recentMenu
        menu.clear()
        missing = self.sessions.prune_recent()
        if missing:
            names = ", ".join(os.path.basename(p) for p in missing)
            self.host.show_message(
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

    @staticmethod
    def plot_title(plot: pg.PlotWidget) -> str:
        title = plot.getPlotItem().titleLabel.text
        return title or plot.objectName() or "plot"

    @property
    def exporting_gif(self) -> bool:
        """A GIF export is under way (one at a time)."""
        return self._gif is not None

    def add_plot_exports(self, menu: QMenu) -> None:
        """File › Export: each plot on screen as PNG and as SVG."""
        for plot in self.host.plots():
            title = self.plot_title(plot)
            for fmt in ("png", "svg"):
                action = menu.addAction(f"{title} as {fmt.upper()}…")
                action.triggered.connect(lambda _c=False, p=plot, f=fmt: self.export_plot(p, f))

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
                self.host.controls.use_csv_problem(problem)
        else:
            self.host.controls.use_csv_problem(problem)
        self.host.show_status(loaded_text(problem), 15_000)

    @Slot(str, str)
    def _on_import_finished(self, _outcome: str, _message: str) -> None:
        self._quiet_data = False  # (a reread of the last launch's data that failed, too)

    # ------------------------------------------------------------------------------------------
    # exports
    # ------------------------------------------------------------------------------------------

    def _save_path(self, title: str, name: str, filters: str, suffix: str) -> str:
        path = dialogs.ask_save_path(self.host.main_window(), title, name, filters)
        if path and not os.path.splitext(path)[1]:
            path += suffix
        return path

    def _stem(self) -> str:
        path = self.sessions.path
        return path.stem if path is not None else "gdstudio"

    def export_history(self, fmt: str, path: str | None = None) -> str:
        """The history as CSV or JSON, exactly as ``gdstudio run --format`` prints it."""
        history = exports.history_of(self.host.model.run)
        if history is None:
            dialogs.show_error(self.host.main_window(), "Nothing to export",
                               "There is no run to export yet.")
            return ""
        if path is None:
            filters = "CSV files (*.csv);;All files (*)" if fmt == "csv" \
                else "JSON files (*.json);;All files (*)"
            path = self._save_path("Export the history", f"{self._stem()}-history.{fmt}",
                                   filters, f".{fmt}")
            if not path:
                return ""
        target = path
        outcome, err = run_with_progress(
            self.host.main_window(), "Export the history", f"Writing {os.path.basename(path)}…",
            lambda context: exports.save_history(history, target, fmt, context.cancelled),
            small=history.epochs_run < BACKGROUND_ROWS)
        if outcome == "cancelled":
            self.host.show_status("Not exported: cancelled")
            return ""
        if outcome == "failed":
            reason = err.strerror or err if isinstance(err, OSError) else err
            dialogs.show_error(self.host.main_window(), "Could not export", f"{path}: {reason}")
            return ""
        self.host.show_status(f"Saved {history.epochs_run + 1:,} rows to {path}")
        return path

    @property
    def png_scale(self) -> int:
        """How many times the screen's size PNG exports are (File › Export › PNG size; kept
        in the settings between launches)."""
        value = settings().value(_PNG_SCALE_KEY, 1)
        try:
            scale = int(value)  # type: ignore[call-overload]  # QSettings: str or int
        except (TypeError, ValueError):
            return 1
        return scale if scale in exports.PNG_SCALES else 1

    def set_png_scale(self, scale: int) -> None:
        if scale not in exports.PNG_SCALES:
            raise ValueError(f"PNG size {scale}× is not offered; choose one of "
                             f"{', '.join(map(str, exports.PNG_SCALES))}")
        settings().setValue(_PNG_SCALE_KEY, int(scale))
        self._show_png_scale()

    def _show_png_scale(self) -> None:
        action = self.host.action(f"pngScale{self.png_scale}")
        if not action.isChecked():
            action.setChecked(True)

    def export_race_csv(self, path: str | None = None) -> str:
        """Every lane of the race shown, every epoch, one CSV row each (as ``gdstudio run
        --per-epoch --format csv`` prints it)."""
        race = exports.race_histories(self.host.model.race_data)
        if race is None:
            dialogs.show_error(self.host.main_window(), "Nothing to export",
                               "There is no race to export: choose Learning rates or "
                               "Optimizers under Compare, then run it.")
            return ""
        histories, labels = race
        if path is None:
            path = self._save_path("Export the race", f"{self._stem()}-race.csv",
                                   "CSV files (*.csv);;All files (*)", ".csv")
            if not path:
                return ""
        target = path
        rows = sum(h.epochs_run + 1 for h in histories)
        outcome, err = run_with_progress(
            self.host.main_window(), "Export the race", f"Writing {os.path.basename(path)}…",
            lambda context: exports.save_race_csv(histories, labels, target, context.cancelled),
            small=rows < BACKGROUND_ROWS)
        if outcome == "cancelled":
            self.host.show_status("Not exported: cancelled")
            return ""
        if outcome == "failed":
            reason = err.strerror or err if isinstance(err, OSError) else err
            dialogs.show_error(self.host.main_window(), "Could not export", f"{path}: {reason}")
            return ""
        self.host.show_status(f"Saved {rows:,} rows of {len(histories)} lanes to {path}")
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
            if fmt == "png":
                exports.plot_png(plot, path, self.png_scale * max(1.0, plot.devicePixelRatioF()))
            else:
                exports.plot_svg(plot, path)
        except OSError as err:
            dialogs.show_error(self.host.main_window(), "Could not export",
                               f"{path}: {err.strerror or err}")
            return ""
        self.host.show_status(f"Saved {path}")
        return path

    def export_window(self, path: str | None = None) -> str:
        if path is None:
            path = self._save_path("Export the window", f"{self._stem()}-window.png",
                                   "PNG images (*.png);;All files (*)", ".png")
            if not path:
                return ""
        try:
            exports.window_png(self.host.main_window(), path, self.png_scale)
        except OSError as err:
            dialogs.show_error(self.host.main_window(), "Could not export",
                               f"{path}: {err.strerror or err}")
            return ""
        self.host.show_status(f"Saved {path}")
        return path

    def export_gif(self, path: str | None = None, *, frames: int | None = None,
                   frame_ms: int = 80, width: int | None = None,
                   show_progress: bool = True, spacing: str = "even"
                   ) -> exports.GifExport | None:
        """The run as an animated GIF, drawn without blocking; returns the export under way
        (``spacing``: how the frames are spread, see :data:`~.exports.GIF_SPACINGS`)."""
        data = self.host.model.run
        if data.n == 0:
            dialogs.show_error(self.host.main_window(), "Nothing to export",
                               "There is no run to export yet.")
            return None
        if self._gif is not None:
            return None
        if path is None:
            options = dialogs.ask_gif_options(self.host.main_window(), data.n - 1,
                                              self.host.plot_area().width(),
                                              exports.GIF_SPACINGS)
            if options is None:
                return None
            frames, frame_ms, width, spacing = options
            path = self._save_path("Export the run as a GIF", f"{self._stem()}.gif",
                                   "GIF animations (*.gif);;All files (*)", ".gif")
            if not path:
                return None
        try:
            gif = exports.GifExport(self.host, path,
                                    frames=frames or exports.DEFAULT_GIF_FRAMES,
                                    frame_ms=frame_ms, width=width, show_progress=show_progress,
                                    spacing=spacing)
        except ImportError as err:
            dialogs.show_error(self.host.main_window(), "Could not export the GIF", str(err))
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
            self.host.show_status(f"Saved {text} ({count} frames)")
        elif outcome == "failed":
            dialogs.show_error(self.host.main_window(), "Could not export the GIF", text)
        if gif is not None:
            gif.deleteLater()

    # ------------------------------------------------------------------------------------------
    # code
    # ------------------------------------------------------------------------------------------

    def copy_script(self, backend: str) -> bool:
        """Run › Copy as … code: the script on the clipboard."""
        return code_export.copy_script(self.host, backend)

    def save_script(self, backend: str, path: str | None = None) -> str:
        """Run › Save as … script."""
        return code_export.save_script(self.host, backend, path)

    # ------------------------------------------------------------------------------------------
    # the window's view state (in session files)
    # ------------------------------------------------------------------------------------------

    def _view_state(self) -> dict[str, Any]:
        host = self.host
        plots: dict[str, Any] = {}
        for plot in host.main_window().findChildren(pg.PlotWidget):
            name = plot.objectName()
            if name and not getattr(plot, "following", True):
                (x0, x1), (y0, y1) = plot.getPlotItem().getViewBox().viewRange()
                x, y = [float(x0), float(x1)], [float(y0), float(y1)]
                if _pair(x) and _pair(y):  # a view that can be restored (never nan: saving
                    plots[name] = {"follow": False, "x": x, "y": y}  # must not fail on it)
        return {"log_scale": host.action("logScale").isChecked(),
                "speed": host.controls.speed(), "plots": plots}

    def _restore_view_state(self, state: dict[str, Any]) -> None:
        host = self.host
        host.action("logScale").setChecked(get_bool(state, "log_scale", False))
        host.controls.set_speed(get_float(state, "speed", float(host.controls.speed())))
        plots = state.get("plots")
        if isinstance(plots, dict) and plots:
            # After the run that is being set up has framed its plots (a new problem makes them
            # follow the run again): at the event loop's next turn.
            QTimer.singleShot(0, lambda: self._restore_plot_views(plots))

    def _restore_plot_views(self, plots: dict[str, Any]) -> None:
        for plot in self.host.main_window().findChildren(pg.PlotWidget):
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
        race = self.host.controls.raceSetup
        state: dict[str, Any] = {"mode": race.mode(), "rates": race.rates(),
                                 "optimizers": race.optimizers()}
        if race.lanes():  # a lesson's race: each lane its optimizer and rate
            state["lanes"] = [{"lr": lane.lr, **dataclasses.asdict(lane.optimizer)}
                              for lane in race.lanes()]
        return state

    def _race_refusal(self, state: dict[str, Any]) -> str:
        """Learning rates the race field would refuse (out of its range, too many)."""
        rates = state.get("rates")
        if isinstance(rates, list) and rates and all(
                isinstance(r, (int, float)) and not isinstance(r, bool) for r in rates):
            return self.host.controls.raceSetup.rates_refusal([float(r) for r in rates])
        return ""

    def _restore_race_state(self, state: dict[str, Any]) -> None:
        race = self.host.controls.raceSetup
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
        lanes = _lanes(state.get("lanes"))
        if lanes and state.get("mode") == LANES_MODE:
            race.set_lanes(lanes)
            return
        mode = get_str(state, "mode", "single", tuple(RACE_MODES))
        race.set_mode(mode)

    # ------------------------------------------------------------------------------------------
    # the window's events: drops, closing
    # ------------------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self.host.main_window():
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
        return False

    def may_close(self) -> bool:
        """The window is asked to close: unsaved changes first (False: it stays open, as it
        was); then exports and loads under way stop and the setup is remembered."""
        if self._closing_done:
            return True
        if not self.sessions.maybe_save():
            return False
        self._closing_done = True
        self._on_closing()
        return True

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


#: The largest coordinate a saved plot view may have: pyqtgraph's view arithmetic (widths,
#: scale factors, pixel sizes) overflows to inf/nan well before the float range ends.
VIEW_LIMIT = 1e100


def loaded_text(problem: RegressionProblem) -> str:
    """The status bar's word on data just loaded: how many points, from which file, which
    columns (when the file has more than two), the rows skipped."""
    reading = problem.reading
    parts = [f"Loaded {problem.n:,} points from {os.path.basename(problem.source)}"]
    if reading is not None and reading.n_columns > 2:
        parts.append(reading.columns_text())
    if reading is not None and reading.skipped:
        parts.append(reading.skipped_text())
    return "; ".join(parts)


def _pair(value: object) -> bool:
    """A saved view's range the plots can draw: two finite numbers within ±VIEW_LIMIT, in
    order, apart by more than rounding."""
    import math

    if not (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                    for v in value)):
        return False
    lo, hi = float(value[0]), float(value[1])
    size = max(abs(lo), abs(hi))
    return size <= VIEW_LIMIT and hi - lo > 1e-12 * size and hi > lo


def _lanes(saved: object) -> tuple[Lane, ...]:
    """A saved lesson race's lanes (empty if the part is missing or malformed)."""
    if not isinstance(saved, list) or not 0 < len(saved) <= MAX_WINDOW_LANES:
        return ()
    lanes = []
    for item in saved:
        if not isinstance(item, dict):
            return ()
        try:
            lr = check_learning_rate(item.get("lr"))
            settings = OptimizerSettings(**{k: v for k, v in item.items() if k != "lr"})
        except (TypeError, ValueError, InputError):
            return ()
        lanes.append(Lane(lr, settings))
    return tuple(lanes)
