"""The studio window: wiring between the controls, the worker, the plots and the tables.

Data flows one way: :class:`ControlPanel` → ``RunConfig`` → :class:`RunController` (worker
thread runs the core's Descent) → ``StepBatch`` → :class:`RunData` → plots, table, status.
The window redraws at most once per frame whatever the rate of batches.

``MainWindow()`` needs only a QApplication. Its only side effects are reading QSettings (view
settings: geometry, dock layout, speed, log scale; theme and text size, applied to the
application; the setup in use at the last close, see :mod:`gdstudio.ui.files.controller`) and starting
the worker thread, which it stops again in ``closeEvent``. torch is not imported: the device
list is filled by a background probe shortly after the window is first shown.
"""

from __future__ import annotations

import platform
import time

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

import gdstudio
from gdstudio.core import FunctionProblem, RegressionProblem, RunConfig, StepBatch
from gdstudio.core.descent.rules import grad_norm
from gdstudio.core.race import RaceBatch
from gdstudio.core.race.lanes import RaceSpec
from gdstudio.ui.files.controller import DEFAULT_SIZE, FilesController
from gdstudio.ui.model.formatting import number
from gdstudio.ui.model.race_data import RaceData
from gdstudio.ui.model.run_data import LrChange, RunData
from gdstudio.ui.panels.analysis import AnalysisPanel
from gdstudio.ui.panels.control_panel import ControlPanel
from gdstudio.ui.panels.history import HistoryModel, HistoryView
from gdstudio.ui.panels.race_panel import RaceSummaryModel, RaceSummaryView
from gdstudio.ui.panels.scrubber import HistoryScrubber
from gdstudio.ui.panels.widgets import MessageBar, set_progress
from gdstudio.ui.plots.landscape import LandscapePlot
from gdstudio.ui.plots.problem_plots import CurvePlot, FitPlot, LossPlot
from gdstudio.ui.resources import icon
from gdstudio.ui.threads import collector, symbolic
from gdstudio.ui.threads.worker import DeviceProbe, RunController
from gdstudio.ui.window.explore import Explorer

__all__ = ["MainWindow", "APP_NAME"]

APP_NAME = "Gradient Descent Studio"
#: Delay before the background probe for torch devices (it imports torch: seconds of CPU).
DEVICE_PROBE_DELAY_MS = 3000
_FRAME_MS = 16


def _settings() -> QSettings:
    if QCoreApplication.organizationName() or QCoreApplication.applicationName():
        return QSettings()
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "gdstudio", "gdstudio")


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


class MainWindow(QMainWindow):
    """The whole application window; build it with no arguments once a QApplication exists."""

    #: Milliseconds after the first show before torch devices are probed (None: never).
    device_probe_delay_ms: int | None = DEVICE_PROBE_DELAY_MS

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        collector.install()  # cycles are collected on this thread, never in the worker's
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(icon("gdstudio"))
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks
                            | QMainWindow.DockOption.AllowNestedDocks)
        self._closing = False
        self._probe: DeviceProbe | None = None
        self._state = "empty"
        self._last_frame_ms = 0.0
        self._unpainted: set[QWidget] = set()  # plots of the frame drawn not yet repainted
        self._shown_once = False
        self._to_end = False  # Run to end is under way
        self.run_data = RunData()

        # Start-up: SymPy (about a second to import) waits until the window is on screen, and so
        # does the first run (its first row needs the derivative); see _after_first_show.
        symbolic.hold()
        self._holding_symbolic = True
        self._build_widgets()
        self._build_actions()
        self._build_menus_and_toolbar()
        self._build_status_bar()
        # Races, landscapes, the history slider, clicks and hover readouts (gdstudio.ui.window.explore).
        self.explorer = Explorer(self)

        self._frame_timer = QTimer(self)
        self._frame_timer.setSingleShot(True)
        self._frame_timer.setInterval(_FRAME_MS)
        self._frame_timer.timeout.connect(self._begin_staged_frame)
        # A frame's stages run one per turn of the event loop (see _begin_staged_frame).
        self._stage_timer = QTimer(self)
        self._stage_timer.setSingleShot(True)
        self._stage_timer.setInterval(0)
        self._stage_timer.timeout.connect(self._next_stage)
        self._frame: tuple[RunData, int | None] | None = None  # the frame being drawn
        self._stage = 0
        self._frame_ms = 0.0
        self._paint_deadline = QTimer(self)
        self._paint_deadline.setSingleShot(True)
        self._paint_deadline.setInterval(3 * _FRAME_MS)
        self._paint_deadline.timeout.connect(self._frame_painted)
        self._probe_timer = QTimer(self)
        self._probe_timer.setSingleShot(True)
        self._probe_timer.setInterval(self.device_probe_delay_ms or 0)
        self._probe_timer.timeout.connect(self._probe_devices)

        self.controller = RunController(self)
        self.controller.hold()
        self.controller.runReset.connect(self._on_run_reset)
        self.controller.stepsAdvanced.connect(self._on_steps)
        self.controller.stateChanged.connect(self._on_state)
        self.controller.lrApplied.connect(self._on_lr_applied)
        self.controller.failed.connect(self._on_failed)

        for plot in (self.curve_plot, self.fit_plot, self.loss_plot):
            plot.after_paint = lambda plot=plot: self._plot_painted(plot)
        self.controls.configChanged.connect(self._start_run)
        self.analysis.analysisChanged.connect(self._on_analysis_ready)
        self.controls.lrChanged.connect(self._on_lr_changed)
        self.controls.validityChanged.connect(lambda _ok: self._update_actions())
        self.controls.speedChanged.connect(self.controller.set_speed)

        # Files, sessions, exports, appearance (and the setup remembered at the last close).
        self.files = FilesController(self, APP_NAME)
        self._restore_settings()
        self.controller.set_speed(self.controls.speed())
        config = self.controls.config()
        if config is not None:
            self._start_run(config)
        self._update_actions()
        self.files.finish_startup()

    # ------------------------------------------------------------------------------------------
    # construction
    # ------------------------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.controls = ControlPanel()
        scroll = QScrollArea()
        scroll.setObjectName("controlsScroll")
        scroll.setWidget(self.controls)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(self.controls.minimumSizeHint().width() + 16)
        self.controlsDock = self._dock("controlsDock", "Setup", scroll,
                                       Qt.DockWidgetArea.LeftDockWidgetArea)

        self.analysis = AnalysisPanel()
        self.analysisDock = self._dock("analysisDock", "Analysis", self.analysis,
                                       Qt.DockWidgetArea.RightDockWidgetArea)
        self.history_model = HistoryModel(self.run_data, self)
        self.history_view = HistoryView(self.history_model)
        self.historyDock = self._dock("historyDock", "History", self.history_view,
                                      Qt.DockWidgetArea.RightDockWidgetArea)
        self.splitDockWidget(self.analysisDock, self.historyDock, Qt.Orientation.Vertical)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.setSpacing(4)
        self.message_bar = MessageBar()
        layout.addWidget(self.message_bar)
        self.curve_plot = CurvePlot(self)
        self.fit_plot = FitPlot(self)
        self.loss_plot = LossPlot(self)
        self.curve_plot.setToolTip("f(x), the iterates (colour: epoch), the current point and "
                                   "its tangent. Drag to pan, wheel to zoom; Fit view (F) "
                                   "follows the run again.")
        self.fit_plot.setToolTip("The data, the current line and the least-squares line. "
                                 "Drag to pan, wheel to zoom; Fit view (F) to reset.")
        self.loss_plot.setToolTip("The loss per epoch. Log scale (L) shows loss − loss*, "
                                  "the distance to the optimum; dotted lines mark lr changes.")
        self.plot_stack = QStackedWidget()
        self.plot_stack.setObjectName("problemPlots")
        self.plot_stack.addWidget(self.curve_plot)
        self.plot_stack.addWidget(self.fit_plot)
        # f(x, y) on its contour map (the third page) and the regression's MSE landscape beside
        # the fitted line are built when first needed (surface_plot, landscape_plot: the first
        # screen shows neither, and each costs start-up ~50 ms); a race's summary under the
        # loss plot; the history slider below.
        self._surface_plot: LandscapePlot | None = None
        self._landscape_plot: LandscapePlot | None = None
        self.top_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.top_splitter.setObjectName("topSplitter")
        self.top_splitter.addWidget(self.plot_stack)
        self.top_splitter.setChildrenCollapsible(False)
        self.race_data = RaceData()
        self.race_model = RaceSummaryModel(self.race_data, self)
        self.race_table = RaceSummaryView(self.race_model)
        self.race_table.hide()
        self.plots_splitter = QSplitter(Qt.Orientation.Vertical)
        self.plots_splitter.setObjectName("plotsSplitter")
        self.plots_splitter.addWidget(self.top_splitter)
        self.plots_splitter.addWidget(self.loss_plot)
        self.plots_splitter.addWidget(self.race_table)
        self.plots_splitter.setStretchFactor(0, 3)
        self.plots_splitter.setStretchFactor(1, 2)
        self.plots_splitter.setStretchFactor(2, 1)
        self.plots_splitter.setChildrenCollapsible(False)
        layout.addWidget(self.plots_splitter, 1)
        self.scrubber = HistoryScrubber()
        layout.addWidget(self.scrubber)
        self.setCentralWidget(central)

    @property
    def surface_plot(self) -> LandscapePlot:
        """f(x, y)'s contour map: the third page of the problem plots (built on first use)."""
        if self._surface_plot is None:
            self._surface_plot = self._new_landscape_plot("surfacePlot")
            self.plot_stack.addWidget(self._surface_plot)
        return self._surface_plot

    @property
    def landscape_plot(self) -> LandscapePlot:
        """A regression's MSE over (m, c), beside the fitted line (built on first use, hidden)."""
        if self._landscape_plot is None:
            plot = self._new_landscape_plot("landscapePlot")
            plot.hide()
            self.top_splitter.addWidget(plot)
            self._landscape_plot = plot
        return self._landscape_plot

    def built_landscape_plots(self) -> list[LandscapePlot]:
        """The landscape plots built so far (none of them before a 2-D or regression run)."""
        return [p for p in (self._surface_plot, self._landscape_plot) if p is not None]

    def landscape_shown(self) -> LandscapePlot | None:
        """The regression's landscape if it is built and visible."""
        plot = self._landscape_plot
        return plot if plot is not None and plot.isVisible() else None

    def _new_landscape_plot(self, name: str) -> LandscapePlot:
        plot = LandscapePlot(name, self)
        plot.after_paint = lambda: self._plot_painted(plot)
        files = getattr(self, "files", None)
        if files is not None:  # the current theme and text size
            files.appearance.style_new_plot(plot)
        explorer = getattr(self, "explorer", None)
        if explorer is not None:
            plot.startClicked.connect(explorer.move_start)
        return plot

    def _dock(self, name: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, text: str, icon_name: str | None, tip: str,
                shortcuts: list[QKeySequence | str] | None = None, slot: object = None,
                checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        keys = [QKeySequence(k) for k in (shortcuts or [])]
        if keys:
            action.setShortcuts(keys)
            native = QKeySequence.SequenceFormat.NativeText
            tip += f" ({', '.join(k.toString(native) for k in keys)})"
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.setCheckable(checkable)
        if slot is not None:
            action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        self.stepAction = self._action(
            "Step", "step", "Make one update: x ← x − r·f′(x)", ["Right", "N"], self.step)
        self.playAction = self._action(
            "Play", "play", "Play the run at the chosen speed, or pause it", ["Space"],
            self.toggle_play)
        self.runToEndAction = self._action(
            "Run to end", "run-to-end", "Run all remaining epochs as fast as possible", ["E"],
            self.run_to_end)
        self.resetAction = self._action(
            "Reset", "reset", "Start the run again from the start point", ["R"], self.reset)
        self.loadCsvAction = self._action(
            "Open data…", "open", "Load regression data (two numeric columns x, y) from a CSV "
            "file, and fit it", [QKeySequence("Ctrl+Shift+O")], lambda: self.files.open_data())
        self.exportAction = self._action(
            "Export history…", "export", "Save every epoch of the run as CSV (exact numbers)",
            [QKeySequence("Ctrl+E")], self.export_history)
        self.quitAction = self._action("Quit", "quit", "Close Gradient Descent Studio",
                                       ["Ctrl+Q"], self.close)
        self.quitAction.setMenuRole(QAction.MenuRole.QuitRole)
        self.logScaleAction = self._action(
            "Log-scale loss", "log-scale",
            "Show the loss on a log scale (as loss − loss*, when the optimum is known)", ["L"],
            None, checkable=True)
        self.logScaleAction.toggled.connect(self.loss_plot.set_log_scale)
        self.fitViewAction = self._action(
            "Fit view", "fit-view", "Frame the plots on the run and follow it again", ["F"],
            self.fit_views)
        self.aboutAction = self._action("About Gradient Descent Studio", "about",
                                        "Version and credits", None, self.show_about)
        self.aboutAction.setMenuRole(QAction.MenuRole.AboutRole)
        self.aboutQtAction = self._action("About Qt", None, "The Qt toolkit's version",
                                          None, QApplication_aboutQt)

    def _build_menus_and_toolbar(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.loadCsvAction)
        file_menu.addAction(self.exportAction)
        file_menu.addSeparator()
        file_menu.addAction(self.quitAction)
        run_menu = bar.addMenu("&Run")
        for action in (self.stepAction, self.playAction, self.runToEndAction, self.resetAction):
            run_menu.addAction(action)
        view_menu = bar.addMenu("&View")
        view_menu.addAction(self.logScaleAction)
        view_menu.addAction(self.fitViewAction)
        view_menu.addSeparator()
        for dock in (self.controlsDock, self.analysisDock, self.historyDock):
            toggle = dock.toggleViewAction()
            toggle.setStatusTip(f"Show or hide the {dock.windowTitle()} panel")
            view_menu.addAction(toggle)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.aboutAction)
        help_menu.addAction(self.aboutQtAction)

        toolbar = QToolBar("Run")
        toolbar.setObjectName("runToolBar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.setMovable(False)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        names = {
            self.stepAction: "stepButton",
            self.playAction: "playButton",
            self.runToEndAction: "runToEndButton",
            self.resetAction: "resetButton",
        }
        for action, name in names.items():
            toolbar.addAction(action)
            button = toolbar.widgetForAction(action)
            button.setObjectName(name)
        # Play ↔ Pause changes width; keep the toolbar still.
        play = toolbar.widgetForAction(self.playAction)
        assert isinstance(play, QToolButton)
        play.setMinimumWidth(
            play.fontMetrics().horizontalAdvance("Pause") + play.iconSize().width() + 24)
        toolbar.addSeparator()
        toolbar.addAction(self.logScaleAction)
        toolbar.addAction(self.fitViewAction)
        toolbar.addSeparator()
        toolbar.addAction(self.loadCsvAction)
        toolbar.addAction(self.exportAction)
        self.run_toolbar = toolbar

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.statusLabel = QLabel()
        self.statusLabel.setObjectName("statusLabel")
        self.statusLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.statusLabel.setToolTip("The run: epoch, parameters, loss and how it ended")
        self.progressBar = QProgressBar()
        self.progressBar.setObjectName("progressBar")
        self.progressBar.setMaximumWidth(220)
        self.progressBar.setMinimumWidth(160)
        self.progressBar.setFormat("%v / %m epochs")
        self.progressBar.setToolTip("Epochs run of those planned")
        status.addWidget(self.statusLabel, 1)
        status.addPermanentWidget(self.progressBar)

    # ------------------------------------------------------------------------------------------
    # settings (view settings only: the first launch always shows the source's example)
    # ------------------------------------------------------------------------------------------

    def _restore_settings(self) -> None:
        s = _settings()
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(DEFAULT_SIZE)
        state = s.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        else:
            self.default_dock_sizes()
        speed = s.value("playback/speed")
        try:
            if speed is not None:
                self.controls.set_speed(float(speed))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            pass
        log = s.value("plots/logLoss", False)
        self.logScaleAction.setChecked(log in (True, "true", "1", 1))

    def default_dock_sizes(self) -> None:
        """The docks' sizes on a first launch (and after View › Reset layout)."""
        self.resizeDocks([self.controlsDock, self.analysisDock], [330, 450],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.analysisDock, self.historyDock], [330, 560],
                         Qt.Orientation.Vertical)

    def _save_settings(self) -> None:
        s = _settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("playback/speed", self.controls.speed())
        s.setValue("plots/logLoss", self.logScaleAction.isChecked())
        s.sync()

    # ------------------------------------------------------------------------------------------
    # commands
    # ------------------------------------------------------------------------------------------

    @Slot()
    def step(self) -> None:
        if self.stepAction.isEnabled():
            self.controller.step()

    @Slot()
    def toggle_play(self) -> None:
        if not self.playAction.isEnabled():
            return
        if self._state == "playing":
            self.controller.pause()
        else:
            self.controller.play()

    @Slot()
    def run_to_end(self) -> None:
        if self.runToEndAction.isEnabled():
            self._to_end = True
            self.controller.run_to_end()

    @Slot()
    def reset(self) -> None:
        config = self.controls.config()
        if config is not None:
            self._start_run(config)

    @Slot()
    def fit_views(self) -> None:
        for plot in (self.curve_plot, self.fit_plot, self.loss_plot,
                     *self.built_landscape_plots()):
            plot.fit_view()
        self._schedule_frame()

    def _start_run(self, config: RunConfig) -> None:
        """A new run of ``config``: show its problem now, and ask the worker for row 0."""
        self.message_bar.clear()
        self.analysis.set_config(config)
        problem = config.problem
        if isinstance(problem, RegressionProblem):
            self.plot_stack.setCurrentWidget(self.fit_plot)
            ls = (self.analysis.analysis.m, self.analysis.analysis.c) \
                if self.analysis.analysis is not None else None  # type: ignore[union-attr]
            self.fit_plot.set_problem(problem, ls)
        else:
            self.plot_stack.setCurrentWidget(self.curve_plot)
            if isinstance(problem, FunctionProblem) and problem.dim == 1:
                self.curve_plot.set_problem(problem, float(config.start_params()[0]),
                                            self.analysis.minimum_point())
        race = self.controls.race()
        shown = self.explorer.begin(config, race)  # a race: the History shows one of its lanes
        self.loss_plot.reset()
        self.loss_plot.set_optimum(self.analysis.optimum_loss())
        self.run_data.reset(shown, tuple(problem.param_names))
        self.history_model.reset(self.run_data)
        self._state = "empty"
        self.controller.configure(race if race is not None else config)
        self._update_actions()
        self._schedule_frame()

    @Slot()
    def _on_analysis_ready(self) -> None:
        """A function's analysis arrived after the run began (SymPy was still loading): mark
        the minimum, the loss there, a surface's stationary point."""
        config = self.analysis.config
        if config is None or not isinstance(config.problem, FunctionProblem):
            return
        if config.problem.dim == 1:
            self.curve_plot.set_minimum(self.analysis.minimum_point())
        else:
            self.explorer.show_surface(config)
        self.loss_plot.set_optimum(self.analysis.optimum_loss())
        self._schedule_frame()

    # ------------------------------------------------------------------------------------------
    # results from the worker
    # ------------------------------------------------------------------------------------------

    @Slot(object, object)
    def _on_run_reset(self, batch: StepBatch, config: RunConfig) -> None:
        if isinstance(config, RaceSpec):
            self.explorer.race_reset(config, batch)  # type: ignore[arg-type]
            self._schedule_frame()
            return
        self.run_data.reset(config, tuple(config.problem.param_names))
        self.run_data.append(batch)
        self.history_model.reset(self.run_data)
        self._schedule_frame()

    @Slot(object)
    def _on_steps(self, batch: StepBatch) -> None:
        if isinstance(batch, RaceBatch):
            self.explorer.race_steps(batch)
            self._schedule_frame()
            return
        if batch.start != self.run_data.n:  # pragma: no cover - the worker's order is kept
            return
        self.controller.frame_pending()  # the worker waits while the rows are taken in
        self.run_data.append(batch)
        if self._state != "playing":  # (while playing, the table follows frame by frame)
            self.history_model.rows_appended()
        self._schedule_frame()
        if not self._unpainted:  # (else it waits for the frame being painted)
            self.controller.frame_drawn()

    @Slot(str)
    def _on_state(self, state: str) -> None:
        self._state = state
        if state != "playing":
            self._to_end = False
        self._update_actions()
        self._schedule_frame()

    @Slot(int, float)
    def _on_lr_applied(self, epoch: int, lr: float) -> None:
        change = LrChange(epoch, lr)
        self.run_data.lr_changes.append(change)
        self.loss_plot.mark_lr_change(change)

    @Slot(str, bool)
    def _on_failed(self, message: str, internal: bool) -> None:
        self.message_bar.show_message(message, "error" if internal else "warning")
        self._schedule_frame()

    @Slot(float)
    def _on_lr_changed(self, lr: float) -> None:
        self.analysis.set_lr(lr)
        if self.explorer.racing:  # each lane keeps its rate: a new rate is a new race
            config = self.controls.config()
            if config is not None:
                self._start_run(config)
            return
        if self._state in ("paused", "playing"):
            self.controller.set_lr(lr)  # applies from the next update of this run
        else:
            config = self.controls.config()
            if config is not None:  # nothing run yet, or the run is over: a fresh run
                self._start_run(config)

    # ------------------------------------------------------------------------------------------
    # drawing (at most once per frame)
    # ------------------------------------------------------------------------------------------

    def _schedule_frame(self) -> None:
        if not self._frame_timer.isActive():
            # A frame costs its updates plus the repaints they cause. Frames that cost more
            # than a third of their interval space themselves out, so that clicks, keys and
            # the worker's batches are always served in between.
            cost = self._last_frame_ms + sum(
                plot.paint_ms for plot in (self.plot_stack.currentWidget(), self.loss_plot,
                                           self.landscape_shown())
                if isinstance(plot, (CurvePlot, FitPlot, LossPlot, LandscapePlot))
                and plot.isVisible()
            )
            # At full speed (Run to end, or the fastest speed) the worker waits while a frame
            # is drawn, so frames are spaced further: the run gets ~80 % of the time.
            fast = self._state == "playing" and (self._to_end or self.controls.speed() <= 0)
            self._frame_timer.start(max(_FRAME_MS, int((5 if fast else 3) * cost)))

    #: A frame's stages, in order. Each one's changes repaint before the next begins: a
    #: QGraphicsScene repaints the whole window's dirty part at once when it has processed its
    #: changed items, so plots changed together would repaint together, one long stall.
    _FRAME_STAGES = ("_stage_main_plot", "_stage_loss_plot", "_stage_table", "_stage_explorer")

    @Slot()
    def _draw_frame(self) -> None:
        """Draw a whole frame now (the frame timer draws it in stages)."""
        self._stage_timer.stop()
        began = time.perf_counter()
        self._begin_frame()
        for name in self._FRAME_STAGES:
            getattr(self, name)()
        self._frame_ms = 1000 * (time.perf_counter() - began)
        self._end_frame()

    @Slot()
    def _begin_staged_frame(self) -> None:
        """The frame timer: a frame, one stage per turn of the event loop, so that clicks, keys,
        the worker's batches and each stage's repaint are served in between."""
        self._stage_timer.stop()
        began = time.perf_counter()
        self._begin_frame()
        self._stage = 0
        self._frame_ms = 1000 * (time.perf_counter() - began)
        self._next_stage()

    @Slot()
    def _next_stage(self) -> None:
        if self._frame is None:  # pragma: no cover - a stage left from a frame drawn at once
            return
        began = time.perf_counter()
        getattr(self, self._FRAME_STAGES[self._stage])()
        self._frame_ms += 1000 * (time.perf_counter() - began)
        self._stage += 1
        if self._stage < len(self._FRAME_STAGES):
            self._stage_timer.start()
        else:
            self._end_frame()

    def _begin_frame(self) -> None:
        self.controller.frame_pending()  # the worker pauses (briefly) while the frame is drawn
        at = self.explorer.epoch_shown()  # the history slider's epoch (None: the newest)
        self._frame = (self.explorer.shown_run(at), at)
        # The worker waits until the plots have repainted (_plot_painted), or at most a few
        # frames (a plot that did not need to, a window the system does not paint).
        self._unpainted = set() if self.isMinimized() else {
            p for p in (self.plot_stack.currentWidget(), self.loss_plot, self.landscape_shown())
            if p is not None and p.isVisible()}

    def _stage_main_plot(self) -> None:
        assert self._frame is not None
        data, at = self._frame
        if self.plot_stack.currentWidget() is self.fit_plot:
            self.fit_plot.refresh(data)
        elif self.plot_stack.currentWidget() is self.curve_plot:
            self.curve_plot.refresh(data)
        self._update_status()
        status = self.explorer.status(at)
        if status is not None:
            self._set_status(status[0], status[1])

    def _stage_loss_plot(self) -> None:
        assert self._frame is not None
        self.loss_plot.refresh(self.run_data, self._frame[1])

    def _stage_table(self) -> None:
        self.history_model.rows_appended()

    def _stage_explorer(self) -> None:
        assert self._frame is not None
        self.explorer.draw(*self._frame)

    def _end_frame(self) -> None:
        self._frame = None
        self._last_frame_ms = self._frame_ms
        if self._unpainted:
            self._paint_deadline.start()
        else:
            self.controller.frame_drawn()

    def _plot_painted(self, plot: QWidget) -> None:
        """A plot has repainted; when all of the frame's have, the worker may compute again."""
        if plot in self._unpainted:
            self._unpainted.discard(plot)
            if not self._unpainted:
                self._paint_deadline.stop()
                self.controller.frame_drawn()

    def _frame_painted(self) -> None:
        self._unpainted.clear()
        self.controller.frame_drawn()

    def _update_status(self) -> None:
        data = self.run_data
        planned = data.planned_epochs
        set_progress(self.progressBar, data.epoch, planned)
        state = self._state
        colour = ""
        if data.n == 0:
            text = "Preparing the run…" if state == "empty" and not self.message_bar.isVisible() \
                else "No run: fix the input shown above"
            if state == "error":
                text = "The run stopped on an internal error; press Reset"
        else:
            where = ", ".join(f"{name} = {number(float(v))}"
                              for name, v in zip(data.param_names, data.params[-1], strict=True))
            grad = data.grad[-1]
            gnorm = grad_norm(grad)
            text = (f"Epoch {data.epoch:,} of {planned:,}  ·  {where}  ·  "
                    f"loss {number(float(data.loss[-1]), 8)}  ·  |gradient| {number(gnorm, 4)}")
            if data.finished:
                text = f"{_capitalised(data.message or data.status)}  ·  {where}  ·  " \
                       f"loss {number(float(data.loss[-1]), 8)}"
                colour = {"diverged": "#c62828", "converged": "#2e7d32",
                          "cycling": "#6a1b9a"}.get(data.status, "")
            elif state == "playing":
                text = "Playing  ·  " + text
            elif state == "ready":
                text += "  ·  press Step or Play"
            elif state == "error":
                text = "Stopped by an internal error (press Reset)  ·  " + text
                colour = "#c62828"
        self._set_status(text, colour)

    def _set_status(self, text: str, colour: str) -> None:
        """The status line (unchanged text or colour is not set again: a style sheet costs)."""
        if self.statusLabel.text() != text:
            self.statusLabel.setText(text)
        style = f"color: {colour};" if colour else ""
        if self.statusLabel.styleSheet() != style:
            self.statusLabel.setStyleSheet(style)

    def _update_actions(self) -> None:
        valid = self.controls.is_valid()
        state = self._state
        can_advance = valid and state in ("ready", "paused")
        self.stepAction.setEnabled(can_advance)
        self.playAction.setEnabled(valid and state in ("ready", "paused", "playing"))
        self.runToEndAction.setEnabled(valid and state in ("ready", "paused", "playing"))
        self.resetAction.setEnabled(valid)
        playing = state == "playing"
        self.playAction.setText("Pause" if playing else "Play")
        self.playAction.setIcon(icon("pause" if playing else "play"))
        tip = "Pause the run" if playing else "Play the run at the chosen speed"
        self.playAction.setToolTip(f"{tip} (Space)")
        self.exportAction.setEnabled(self.run_data.n > 0)

    # ------------------------------------------------------------------------------------------
    # devices, export, about
    # ------------------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            QTimer.singleShot(0, self._after_first_show)
        if (self._probe is None and not self._closing and not self._probe_timer.isActive()
                and self.device_probe_delay_ms is not None):
            self._probe_timer.start()

    @Slot()
    def _after_first_show(self) -> None:
        """The window is on screen: start the run shown and load SymPy, both in the
        background (see :mod:`.symbolic`)."""
        if self._closing:
            return
        self.controller.release()
        self._release_symbolic()

    def _release_symbolic(self) -> None:
        if self._holding_symbolic:
            self._holding_symbolic = False
            symbolic.release()

    @Slot()
    def _probe_devices(self) -> None:
        if self.controller.state == "playing":
            # Importing torch holds the interpreter for a second or so: never while a run
            # plays (the window would stall); try again later.
            self._probe_timer.start()
            return
        if self._probe is None and not self._closing:
            self._probe = DeviceProbe.launch(self.controls.set_devices)

    @Slot()
    def export_history(self) -> None:
        """File › Export › History as CSV… (exactly ``gdstudio run --format csv``)."""
        if self.run_data.n:
            self.files.export_history("csv")

    @Slot()
    def show_about(self) -> None:
        import pyqtgraph
        from PySide6 import __version__ as pyside_version
        from PySide6.QtCore import qVersion

        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"<h3>{APP_NAME} {gdstudio.__version__}</h3>"
            "<p>Watch gradient descent work, step by step, and learn why the learning rate "
            "matters: x ← x − r·f′(x) on a function, and m, c ← m, c − r·∇MSE on a "
            "regression, with analytic gradients or PyTorch's autograd.</p>"
            f"<p>Python {platform.python_version()} · Qt {qVersion()} · PySide6 "
            f"{pyside_version} · pyqtgraph {pyqtgraph.__version__}</p>"
            "<p>MIT licence.</p>",
        )

    # ------------------------------------------------------------------------------------------
    # closing
    # ------------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing:
            self._closing = True
            self._release_symbolic()  # a window closed before it was shown
            self._probe_timer.stop()
            self._frame_timer.stop()
            self._stage_timer.stop()
            self._save_settings()
            self.controller.shutdown()
            if self._probe is not None:
                import shiboken6

                if shiboken6.isValid(self._probe):
                    self._probe.wait()
        super().closeEvent(event)


def QApplication_aboutQt() -> None:  # noqa: N802 - a slot for the About Qt action
    from PySide6.QtWidgets import QApplication

    QApplication.aboutQt()
