"""The studio window: the shell that lays the panels out and wires them to one model.

Data flows one way::

    ControlPanel ─ RunConfig ─▶ RunController (worker thread: the core's Descent or Race)
        ─ StepBatch / RaceBatch ─▶ RunModel ─ events ─▶ plots, tables, status, analysis

The window holds no state of the run itself: :class:`~gdstudio.ui.model.run_model.RunModel`
does, and the views observe it. Redraws go through the :class:`~.frames.FrameScheduler` (at most
one per frame); commands are declared once in :mod:`.actions`; controllers (files, explorer)
get the narrow interfaces of :mod:`gdstudio.ui.host`, which this class implements.

``MainWindow()`` needs only a QApplication. Its only side effects are reading QSettings (view
settings: geometry, dock layout, speed, log scale; theme and text size, applied to the
application; the setup in use at the last close, see :mod:`gdstudio.ui.files`) and starting
the worker thread, which it stops again in ``closeEvent``. torch is not imported: the device
list is filled by a background probe shortly after the window is first shown.
"""

from __future__ import annotations

import math
import platform
from collections.abc import Iterator, Sequence

import pyqtgraph as pg
from PySide6.QtCore import QByteArray, QEvent, QObject, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

import gdstudio
from gdstudio.core import FunctionProblem, RegressionProblem, RunConfig, StepBatch
from gdstudio.core.lessons.model import Lesson
from gdstudio.core.race import RaceBatch
from gdstudio.core.race.lanes import RaceSpec
from gdstudio.core.theory import Theory, theory_key
from gdstudio.ui.files.controller import DEFAULT_SIZE, FilesController
from gdstudio.ui.model import decimate
from gdstudio.ui.model.run_data import LrChange, RunData
from gdstudio.ui.model.run_model import RunModel
from gdstudio.ui.model.status import status_line
from gdstudio.ui.panels.analysis import AnalysisPanel
from gdstudio.ui.panels.arithmetic import ArithmeticPanel
from gdstudio.ui.panels.control_panel import ControlPanel
from gdstudio.ui.panels.history import HistoryModel, HistoryView
from gdstudio.ui.panels.lesson import LessonPanel
from gdstudio.ui.panels.race_summary import RaceSummaryModel, RaceSummaryView
from gdstudio.ui.panels.scrubber import HistoryScrubber
from gdstudio.ui.panels.widgets import (
    ElidingLabel,
    EpochProgressBar,
    MessageBar,
    VerticalScrollArea,
    let_combos_shrink,
    set_progress,
)
from gdstudio.ui.plots.curve import CurvePlot
from gdstudio.ui.plots.fit import FitPlot
from gdstudio.ui.plots.landscape import LandscapePlot
from gdstudio.ui.plots.loss import LossPlot
from gdstudio.ui.resources import icon
from gdstudio.ui.settings import settings
from gdstudio.ui.theme import set_text_colour
from gdstudio.ui.threads import collector, symbolic
from gdstudio.ui.threads.analysis import AnalysisService
from gdstudio.ui.threads.devices import DeviceLister
from gdstudio.ui.threads.worker import RunController
from gdstudio.ui.window import actions as declared
from gdstudio.ui.window.appearance import AppearanceController
from gdstudio.ui.window.explore import Explorer
from gdstudio.ui.window.frames import FrameScheduler
from gdstudio.ui.window.lessons import LessonController
from gdstudio.ui.window.manners import DesktopManners
from gdstudio.ui.window.narrow import NarrowLayout
from gdstudio.ui.window.presenter import Presenter
from gdstudio.ui.window.undo import SetupHistory

__all__ = ["MainWindow", "APP_NAME"]

APP_NAME = "Gradient Descent Studio"
#: Delay before the background probe for torch devices (it imports torch: seconds of CPU).
DEVICE_PROBE_DELAY_MS = 3000
#: Delay after the first show before SymPy is imported and the analysis worked out, both in
#: the background: the first run's row is on screen by then (a few frames). No delay when
#: SymPy is imported already (a second window of the process): nothing competes with the paint.
SYMPY_DELAY_MS = 250


class MainWindow(QMainWindow):
    """The whole application window; build it with no arguments once a QApplication exists."""

    #: Milliseconds after the first show before torch devices are probed (None: never).
    device_probe_delay_ms: int | None = DEVICE_PROBE_DELAY_MS
    #: The lesson asked for on the command line (``gdstudio lesson NAME|FILE``), validated,
    #: waiting for the lesson panel to open it; None when there is none (set by run_app).
    pending_lesson: Lesson | None = None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        collector.install()  # cycles are collected on this thread, never in the worker's
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(icon("gdstudio"))
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks
                            | QMainWindow.DockOption.AllowNestedDocks)
        self._closing = False
        self._shown_once = False
        self._to_end = False  # Run to end is under way
        self.model = RunModel()

        # Start-up: the first run waits until the window is on screen (its first row needs no
        # SymPy: the presets' derivatives are known); SymPy (half a second to import, which
        # competes with the GUI thread for the interpreter) and the analysis wait a little
        # longer, until the window is interactive; see _after_first_show.
        symbolic.hold()
        self._holding_symbolic = True
        self._build_widgets()
        self.frames = FrameScheduler(
            self, (self._stage_main_plot, self._stage_loss_plot, self._stage_table,
                   self._stage_explorer),
            plots=self._plots_repainted, costs=self._paint_costs, fast=self._full_speed,
            minimized=self.isMinimized, on_pending=lambda: self.controller.frame_pending(),
            on_drawn=lambda: self.controller.frame_drawn())
        self.controller = RunController(self)
        self.controller.hold()
        # The theory of each problem, worked out off the GUI thread (after the first show).
        self.analyses = AnalysisService(self, self.model.set_analysis)
        self.analyses.hold()
        self._theory_shown: Theory | None = None  # the theory the plots were set up with
        self.appearance = AppearanceController(self, settings, self.action)
        # Edit › Undo / Redo of every change of the setup.
        self.setup_history = SetupHistory(self, self.controls, self.start_run)
        # Races, landscapes, the history slider, clicks and hover readouts.
        self.explorer = Explorer(self)
        # Files, sessions, exports, code (and the setup remembered at the last close).
        self.files = FilesController(self, APP_NAME)
        # Guided lessons (File › Open lesson…, the Lessons menu), kept with the session.
        self.lessons = LessonController(self, self.lessonDock, self.lesson_panel,
                                        self.files.ui_state)
        self.presenter = Presenter(self)
        # Too narrow for three columns (1024 pixels, large text): the right-hand panels as
        # tabs beside Setup, back on their side when the window is wide again.
        self.narrow = NarrowLayout(self, self.controlsDock,
                                   (self.analysisDock, self.historyDock, self.arithmeticDock),
                                   paused=lambda: self.presenter.active)
        self.command_actions = declared.build_actions(self)
        self._build_menus_and_toolbar()
        self._build_status_bar()
        self.devices = DeviceLister(self, self.controls.set_devices,
                                    busy=lambda: self.controller.state == "playing")
        self._wire()
        self.files.attach()
        # Fields keep their keys while edited, give the keyboard back on Enter and Esc, and
        # take the wheel only when focused.
        self.manners = DesktopManners(self, self.plots_splitter)

        self._default_state = self.saveState()  # before the saved layout: View › Reset layout
        self.appearance.restore()
        self.appearance.add_indicator_host(self.controls)
        self._restore_settings()
        self.controller.set_speed(self.controls.speed())
        config = self.controls.config()
        if config is not None:
            self.start_run(config)
        self._update_actions()
        self.files.finish_startup()
        self.setup_history.begin()

    # ------------------------------------------------------------------------------------------
    # construction
    # ------------------------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.controls = ControlPanel()
        let_combos_shrink(self.controls)
        scroll = VerticalScrollArea(self.controls)
        scroll.setObjectName("controlsScroll")
        self.controlsDock = self._dock("controlsDock", "Setup", scroll,
                                       Qt.DockWidgetArea.LeftDockWidgetArea)

        self.analysis = AnalysisPanel()
        self.analysisDock = self._dock("analysisDock", "Analysis", self.analysis,
                                       Qt.DockWidgetArea.RightDockWidgetArea)
        self.history_model = HistoryModel(self.model.run, self)
        self.history_view = HistoryView(self.history_model)
        self.historyDock = self._dock("historyDock", "History", self.history_view,
                                      Qt.DockWidgetArea.RightDockWidgetArea)
        self.splitDockWidget(self.analysisDock, self.historyDock, Qt.Orientation.Vertical)
        self.lesson_panel = LessonPanel()
        self.lessonDock = self._dock("lessonDock", "Lesson", self.lesson_panel,
                                     Qt.DockWidgetArea.LeftDockWidgetArea)
        self.lessonDock.hide()
        self._panels_before_lesson: dict[str, bool] | None = None
        self._build_arithmetic_dock()

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
        for plot in (self.curve_plot, self.fit_plot, self.loss_plot):
            plot.after_paint = lambda plot=plot: self.frames.plot_painted(plot)
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
        self.top_splitter.installEventFilter(self)  # side by side, or one above the other
        self.race_model = RaceSummaryModel(self.model.race_data, self)
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

    def _build_arithmetic_dock(self) -> None:
        """The update's arithmetic (issue 15): a dock below the history, following the model."""
        self.arithmetic = ArithmeticPanel(self.model)
        self.arithmeticDock = self._dock("arithmeticDock", "Arithmetic", self.arithmetic,
                                         Qt.DockWidgetArea.RightDockWidgetArea)
        self.splitDockWidget(self.historyDock, self.arithmeticDock, Qt.Orientation.Vertical)

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

    #: The regression's line and landscape sit side by side while each can be at least this
    #: many digits wide and their area is at least this many times as wide as it is tall;
    #: one above the other below the smaller figures (between the two, as they are: no
    #: flipping back and forth on a resize).
    SIDE_BY_SIDE_DIGITS = (45, 50)
    SIDE_BY_SIDE_RATIO = (1.25, 1.6)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.top_splitter and event.type() == QEvent.Type.Resize:
            self._orient_top_plots()
        return super().eventFilter(watched, event)

    def _orient_top_plots(self) -> None:
        """A narrow plot area (a 1024-pixel screen, large text) gave the fitted line 90 pixels
        beside the landscape's colour bar and legend: there they are stacked instead."""
        splitter = self.top_splitter
        ratio = splitter.width() / max(splitter.height(), 1)
        each = splitter.width() / 2 / max(1, splitter.fontMetrics().horizontalAdvance("0"))
        (narrow, wide), (few, many) = self.SIDE_BY_SIDE_RATIO, self.SIDE_BY_SIDE_DIGITS
        horizontal = splitter.orientation() == Qt.Orientation.Horizontal
        if horizontal and (ratio < narrow or each < few):
            wanted = Qt.Orientation.Vertical
        elif not horizontal and ratio > wide and each > many:
            wanted = Qt.Orientation.Horizontal
        else:
            return
        splitter.setOrientation(wanted)
        total = max(splitter.width() if wanted == Qt.Orientation.Horizontal
                    else splitter.height(), 2)
        if splitter.count() > 1:
            splitter.setSizes([total - total // 2, total // 2])

    def built_landscape_plots(self) -> list[LandscapePlot]:
        """The landscape plots built so far (none of them before a 2-D or regression run)."""
        return [p for p in (self._surface_plot, self._landscape_plot) if p is not None]

    def landscape_shown(self) -> LandscapePlot | None:
        """The regression's landscape if it is built and visible."""
        plot = self._landscape_plot
        return plot if plot is not None and plot.isVisible() else None

    def _new_landscape_plot(self, name: str) -> LandscapePlot:
        plot = LandscapePlot(name, self)
        plot.after_paint = lambda: self.frames.plot_painted(plot)
        self.appearance.style_new_plot(plot)  # the current theme and text size
        plot.startClicked.connect(self.explorer.move_start)
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

    def action(self, key: str) -> QAction:
        """The declared action ``key`` (see :mod:`gdstudio.ui.window.actions`)."""
        return self.command_actions[key]

    def _build_menus_and_toolbar(self) -> None:
        self.export_menu = QMenu("&Export", self)
        self.export_menu.setObjectName("exportMenu")
        self.export_menu.aboutToShow.connect(self._fill_export_menu)
        parts = {
            "recent": lambda menu: menu.addMenu(self.files.recentMenu),
            "export": lambda menu: menu.addMenu(self.export_menu),
            "lessons": self.lessons.add_menu,
            "docks": self._add_dock_toggles,
            "presenterScreen": self.presenter.add_screen_menu,
            "theme": lambda menu: self._add_choices(menu, "&Theme", "themeMenu", "theme"),
            "textSize": lambda menu: self._add_choices(menu, "Te&xt size", "textSizeMenu",
                                                       "text"),
        }
        bar = self.menuBar()
        for title, entries in declared.MENUS:
            declared.fill_menu(bar.addMenu(title), entries, self.command_actions, parts)
        toolbar = QToolBar("Run")
        toolbar.setObjectName("runToolBar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.setMovable(False)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        declared.fill_toolbar(toolbar, declared.TOOLBAR, self.command_actions)
        # Play ↔ Pause changes width; keep the toolbar still.
        play = toolbar.widgetForAction(self.action("play"))
        assert isinstance(play, QToolButton)
        play.setMinimumWidth(
            play.fontMetrics().horizontalAdvance("Pause") + play.iconSize().width() + 24)
        self.run_toolbar = toolbar

    @Slot()
    def _fill_export_menu(self) -> None:
        menu = self.export_menu
        menu.clear()
        self.action("exportGif").setEnabled(self.model.run.n > 0 and not self.files.exporting_gif)
        declared.fill_menu(menu, declared.EXPORT_MENU, self.command_actions,
                           {"plots": self.files.add_plot_exports,
                            "pngScale": lambda m: self._add_choices(m, "PNG &size",
                                                                    "pngSizeMenu", "pngScale")})

    def _add_dock_toggles(self, menu: QMenu) -> None:
        for dock in (self.controlsDock, self.analysisDock, self.historyDock,
                     self.arithmeticDock):
            toggle = dock.toggleViewAction()
            toggle.setToolTip(f"Show or hide the {dock.windowTitle()} panel")
            menu.addAction(toggle)

    def _add_choices(self, menu: QMenu, title: str, name: str, prefix: str) -> None:
        sub = menu.addMenu(title)
        sub.setObjectName(name)
        for spec in declared.ACTIONS:
            if spec.key.startswith(prefix) and spec.group:
                sub.addAction(self.action(spec.key))

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.statusLabel = ElidingLabel()  # ("…" where the window cuts it, never mid-word)
        self.statusLabel.setObjectName("statusLabel")
        self.statusLabel.setTextFormat(Qt.TextFormat.PlainText)
        self.statusLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.statusLabel.setToolTip("The run: epoch, parameters, loss and how it ended")
        self.progress_bar = EpochProgressBar()
        self.progress_bar.setObjectName("progressBar")
        self.progress_bar.setToolTip("Epochs run of those planned")
        status.addWidget(self.statusLabel, 1)
        status.addPermanentWidget(self.progress_bar)

    def _wire(self) -> None:
        """Who tells whom: the worker → the model → the views; the setup → a new run."""
        c = self.controller
        c.runReset.connect(self.model.take_reset)
        c.stepsAdvanced.connect(self._on_steps)
        c.stateChanged.connect(self.model.set_state)
        c.lrApplied.connect(self.model.apply_lr)
        c.failed.connect(self._on_failed)

        events = self.model.events
        events.began.connect(self._on_began)
        events.reset.connect(lambda: self.history_model.reset(self.model.run))
        events.lane.connect(lambda _j: self.history_model.reset(self.model.run))
        events.rows.connect(self._on_rows)
        events.state.connect(self._on_state)
        events.lr.connect(self._on_lr_applied)
        events.analysis.connect(self._on_analysis)
        for event in (events.reset, events.lane, events.epoch):
            event.connect(lambda *_: self.schedule_frame())

        controls = self.controls
        controls.configChanged.connect(self.start_run)
        controls.lrChanged.connect(self._on_lr_changed)
        controls.validityChanged.connect(self._show_validity)
        controls.speedChanged.connect(c.set_speed)

        stack = self.setup_history.stack
        undo, redo = self.action("undo"), self.action("redo")
        undo.setEnabled(False)
        redo.setEnabled(False)
        stack.canUndoChanged.connect(undo.setEnabled)
        stack.canRedoChanged.connect(redo.setEnabled)
        stack.undoTextChanged.connect(lambda text: undo.setText(f"&Undo {text}".strip()))
        stack.redoTextChanged.connect(lambda text: redo.setText(f"&Redo {text}".strip()))
        # a session opened, or File › New: a new history of changes
        self.files.sessions.pathChanged.connect(lambda _path: self.setup_history.begin())

    # ------------------------------------------------------------------------------------------
    # settings (view settings only: the first launch always shows the source's example)
    # ------------------------------------------------------------------------------------------

    def _restore_settings(self) -> None:
        s = settings()
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
                self.controls.set_speed(float(str(speed)))
        except (TypeError, ValueError):
            pass
        log = s.value("plots/logLoss", False)
        self.action("logScale").setChecked(log in (True, "true", "1", 1))

    def default_dock_sizes(self) -> None:
        """The docks' sizes on a first launch (and after View › Reset layout)."""
        self.resizeDocks([self.controlsDock, self.analysisDock], [330, 450],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.analysisDock, self.historyDock, self.arithmeticDock],
                         [330, 400, 160], Qt.Orientation.Vertical)

    def reset_layout(self) -> None:
        """View › Reset layout: every dock back in place and shown, the default size."""
        for dock in self.findChildren(QDockWidget):
            dock.setFloating(False)
        self.narrow.forget()
        self.restoreState(self._default_state)
        for dock in self.findChildren(QDockWidget):
            dock.show()
        self.resize(DEFAULT_SIZE)
        self.default_dock_sizes()

    def _save_settings(self) -> None:
        s = settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.narrow.saved_state())
        s.setValue("playback/speed", self.controls.speed())
        s.setValue("plots/logLoss", self.action("logScale").isChecked())
        s.sync()

    # ------------------------------------------------------------------------------------------
    # what controllers may ask (gdstudio.ui.host)
    # ------------------------------------------------------------------------------------------

    @property
    def run_data(self) -> RunData:
        """The run shown (a race: its selected lane): the model's rows."""
        return self.model.run

    def main_window(self) -> QMainWindow:
        return self

    def start_run(self, config: RunConfig) -> None:
        """A new run of ``config`` (a race, if the setup asks for one): show its problem now,
        and ask the worker for row 0."""
        self.message_bar.clear()
        self.model.begin(config, self.controls.race())
        race = self.model.race
        self.controller.configure(race if race is not None else config)
        self._update_actions()
        self.schedule_frame()

    def resume_run(self, config: RunConfig, epochs: int,
                   lr_changes: Sequence[tuple[int, float]]) -> None:
        self.controller.resume(config, epochs, lr_changes)

    def pause_run(self) -> None:
        if self.controller.state == "playing":
            self.controller.pause()

    def schedule_frame(self) -> None:
        self.frames.schedule()

    def draw_now(self) -> None:
        self.frames.draw_now()

    def show_message(self, text: str, level: str = "info") -> None:
        self.message_bar.show_message(text, level)

    def show_status(self, text: str, ms: int = 5000) -> None:
        self.statusBar().showMessage(text, ms)

    def mark_modified(self) -> None:
        self.files.sessions.mark_modified()

    def _panel_widgets(self) -> dict[str, QWidget]:
        """The panels a lesson step can show or hide, by the lesson format's names."""
        panels: dict[str, QWidget] = {"setup": self.controlsDock, "analysis": self.analysisDock,
                                      "history": self.historyDock, "loss": self.loss_plot}
        arithmetic = self.findChild(QDockWidget, "arithmeticDock")
        if arithmetic is not None:
            panels["arithmetic"] = arithmetic
        return panels

    def show_panels(self, names: Sequence[str] | None) -> None:
        """Show only the panels ``names`` of a lesson's step (the problem's own plot, a race's
        table and the lesson always show); None: every panel as it was before the lesson."""
        panels = self._panel_widgets()
        if names is None:
            before, self._panels_before_lesson = self._panels_before_lesson, None
            for key, widget in panels.items():
                widget.setVisible(before.get(key, True) if before is not None else True)
            return
        if self._panels_before_lesson is None:
            self._panels_before_lesson = {k: w.isVisibleTo(self) for k, w in panels.items()}
        for key, widget in panels.items():
            widget.setVisible(key in names)

    def presenter_docks(self) -> list[QDockWidget]:
        docks: list[QDockWidget] = []
        arithmetic = self.findChild(QDockWidget, "arithmeticDock")
        if arithmetic is not None:
            docks.append(arithmetic)
        if self.lessons.state is not None:
            docks.append(self.lessonDock)
        return docks

    def plots(self) -> list[pg.PlotWidget]:
        return [p for p in self.findChildren(pg.PlotWidget) if p.isVisible()]

    def plot_area(self) -> QWidget:
        return self.plots_splitter

    # ------------------------------------------------------------------------------------------
    # commands
    # ------------------------------------------------------------------------------------------

    @Slot()
    def step(self) -> None:
        if self.presenter.forward():  # presenter mode: → moves a held history slider on
            return
        if self.action("step").isEnabled():
            self.controller.step()

    @Slot()
    def toggle_play(self) -> None:
        if not self.action("play").isEnabled():
            return
        if self.model.state == "playing":
            self.controller.pause()
        else:
            self.controller.play()

    @Slot()
    def run_to_end(self) -> None:
        if self.action("runToEnd").isEnabled():
            self._to_end = True
            self.controller.run_to_end()

    @Slot()
    def reset(self) -> None:
        config = self.controls.config()
        if config is not None:
            self.start_run(config)

    @Slot()
    def fit_views(self) -> None:
        for plot in (self.curve_plot, self.fit_plot, self.loss_plot,
                     *self.built_landscape_plots()):
            plot.fit_view()
        self.schedule_frame()

    @Slot()
    def show_about(self) -> None:
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
            f"{pyside_version} · pyqtgraph {pg.__version__}</p>"
            "<p>MIT licence.</p>",
        )

    @Slot()
    def show_shortcuts(self) -> None:
        """Help › Keyboard shortcuts: every key of the window, from the declared commands."""
        from gdstudio.ui.window.shortcuts import ShortcutsDialog

        dialog = ShortcutsDialog(self.command_actions, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    @Slot()
    def show_about_qt(self) -> None:
        QApplication.aboutQt()

    # ------------------------------------------------------------------------------------------
    # the model's events and the worker's results
    # ------------------------------------------------------------------------------------------

    def _on_began(self, config: RunConfig, race: RaceSpec | None) -> None:
        """A new run is set up: the problem's plots, the loss plot, the table, its theory (known
        already, or asked for: it arrives later, see _on_analysis)."""
        theory = self.analyses.known(config)
        problem = config.problem
        if isinstance(problem, RegressionProblem):
            self.plot_stack.setCurrentWidget(self.fit_plot)
        else:
            self.plot_stack.setCurrentWidget(self.curve_plot)
        self._set_up_plots(config, theory)
        self.explorer.begin(config, race, theory)
        self.loss_plot.reset()
        self.loss_plot.set_optimum(self._optimum_loss(config, theory))
        self.history_model.reset(self.model.run)
        self.analysis.set_config(config, theory)
        if theory is not None:
            self.model.set_analysis(theory)
        else:
            self.analyses.request(config)

    def _set_up_plots(self, config: RunConfig, theory: Theory | None) -> None:
        """The curve or the fit plot for ``config``'s problem, with what ``theory`` marks."""
        self._theory_shown = theory
        problem = config.problem
        if isinstance(problem, RegressionProblem):
            self.fit_plot.set_problem(problem,
                                      theory.least_squares() if theory is not None else None)
        elif isinstance(problem, FunctionProblem) and problem.dim == 1:
            x0 = float(config.start_params()[0])
            self.curve_plot.set_problem(problem, x0,
                                        theory.minimum_for(x0, config.lr)
                                        if theory is not None else None)

    @staticmethod
    def _optimum_loss(config: RunConfig, theory: Theory | None) -> float:
        if theory is None:
            return math.nan
        return theory.optimum_loss(tuple(float(v) for v in config.start_params()),
                                   config.lr)

    def _on_analysis(self, theory: Theory) -> None:
        """The theory of the problem set up has arrived: the panel, the minimum, the optimum
        loss, the landscapes."""
        config = self.model.config
        if config is None or theory.key != theory_key(config):
            return
        self.analysis.set_theory(theory)
        if theory is self._theory_shown:
            return  # the plots were set up with it
        page = self.plot_stack.currentWidget()
        if isinstance(page, (CurvePlot, FitPlot)) and not page.following:
            # the person has panned or zoomed meanwhile (or a session set the view): keep it
            vb = page.getPlotItem().getViewBox()
            (x0, x1), (y0, y1) = vb.viewRange()
            self._set_up_plots(config, theory)
            vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
            vb.sigRangeChangedManually.emit(vb.mouseEnabled())
        else:
            self._set_up_plots(config, theory)
        self.explorer.show_landscapes(config, theory)
        self.explorer.relabel_legends()
        self.loss_plot.set_optimum(self._optimum_loss(config, theory))
        self.schedule_frame()

    @Slot(object)
    def _on_steps(self, batch: StepBatch | RaceBatch) -> None:
        self.controller.frame_pending()  # the worker waits while the rows are taken in
        if not self.model.take_rows(batch):  # pragma: no cover - the worker keeps the order
            self.controller.frame_drawn()
            return
        self.schedule_frame()
        if not self.frames.waiting_for_paint:  # (else it waits for the frame being painted)
            self.controller.frame_drawn()

    def _on_rows(self, _first: int, _stop: int) -> None:
        if self.model.state != "playing":  # (while playing, the table follows frame by frame)
            self.history_model.rows_appended()

    def _on_state(self, state: str) -> None:
        if state != "playing":
            self._to_end = False
        self._update_actions()
        self.schedule_frame()

    def _on_lr_applied(self, change: LrChange) -> None:
        self.loss_plot.mark_lr_change(change)

    @Slot(str, bool)
    def _on_failed(self, message: str, internal: bool) -> None:
        self.message_bar.show_message(message, "error" if internal else "warning")
        self.schedule_frame()

    @Slot(float)
    def _on_lr_changed(self, lr: float) -> None:
        self.analysis.set_lr(lr)
        if self.model.racing:  # each lane keeps its rate: a new rate is a new race
            config = self.controls.config()
            if config is not None:
                self.start_run(config)
            return
        if self.model.state in ("paused", "playing"):
            self.controller.set_lr(lr)  # applies from the next update of this run
        else:
            config = self.controls.config()
            if config is not None:  # nothing run yet, or the run is over: a fresh run
                self.start_run(config)

    # ------------------------------------------------------------------------------------------
    # a frame's stages (see FrameScheduler)
    # ------------------------------------------------------------------------------------------

    def _plots_repainted(self) -> list[QWidget]:
        """The plots a frame repaints: the problem's page, the loss, a shown landscape."""
        return [p for p in (self.plot_stack.currentWidget(), self.loss_plot,
                            self.landscape_shown()) if p is not None and p.isVisible()]

    def _paint_costs(self) -> float:
        return sum(plot.paint_ms for plot in self._plots_repainted()
                   if isinstance(plot, (CurvePlot, FitPlot, LossPlot, LandscapePlot)))

    def _full_speed(self) -> bool:
        """Run to end, or the fastest speed: the worker waits while a frame is drawn."""
        return self.model.state == "playing" and (self._to_end or self.controls.speed() <= 0)

    def _stage_main_plot(self) -> None:
        data = self.model.shown_run()
        page = self.plot_stack.currentWidget()
        if page is self.fit_plot:
            self.fit_plot.refresh(data)
        elif page is self.curve_plot:
            self.curve_plot.refresh(data)
        set_progress(self.progress_bar, self.model.run.epoch, self.model.run.planned_epochs)
        text, colour = status_line(self.model, message_shown=self.message_bar.isVisible())
        self._set_status(text, colour)

    def _stage_loss_plot(self) -> None:
        # a GIF's frame shows the run as it was at its epoch: the loss curve up to it
        self.loss_plot.refresh(self.model.run, self.model.epoch,
                               upto=self.files.exporting_gif)

    def _stage_table(self) -> None:
        self.history_model.rows_appended()

    def _stage_explorer(self) -> Iterator[None]:
        return self.explorer.draw_parts()  # (in parts: see FrameScheduler)

    def _set_status(self, text: str, colour: str) -> None:
        """The status line (unchanged text or colour is not set again: a style sheet costs)."""
        if self.statusLabel.text() != text:
            self.statusLabel.setText(text)
        set_text_colour(self.statusLabel, colour)  # (readable on the theme; set if changed)

    #: Over every plot while the set-up cannot make a run (a half-typed expression, an empty
    #: field): what is drawn is the last valid set-up's, dimmed.
    STALE_NOTE = ("Not what is typed: the plot shows the last set-up that could run. Fix the "
                  "highlighted field to see yours.")

    @Slot(bool)
    def _show_validity(self, valid: bool) -> None:
        self._update_actions()
        for plot in (self.curve_plot, self.fit_plot, self.loss_plot,
                     *self.built_landscape_plots()):
            plot.set_stale("" if valid else self.STALE_NOTE)

    def _update_actions(self) -> None:
        valid = self.controls.is_valid()
        state = self.model.state
        self.action("step").setEnabled(valid and state in ("ready", "paused"))
        self.action("play").setEnabled(valid and state in ("ready", "paused", "playing"))
        self.action("runToEnd").setEnabled(valid and state in ("ready", "paused", "playing"))
        self.action("reset").setEnabled(valid)
        playing = state == "playing"
        play = self.action("play")
        play.setText("Pause" if playing else "Play")
        play.setIcon(icon("pause" if playing else "play"))
        tip = "Pause the run" if playing else "Play the run at the chosen speed"
        play.setToolTip(f"{tip} (Space)")
        has_run = self.model.run.n > 0
        for key in ("exportHistory", "exportCsv", "exportJson"):
            self.action(key).setEnabled(has_run)
        race = self.model.race_data
        self.action("exportRaceCsv").setEnabled(race.spec is not None and race.n > 0)

    # ------------------------------------------------------------------------------------------
    # showing and closing
    # ------------------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            QTimer.singleShot(0, self._after_first_show)
        if not self._closing and self.device_probe_delay_ms is not None:
            self.devices.start_later(self.device_probe_delay_ms)

    @Slot()
    def _after_first_show(self) -> None:
        """The window is on screen: start the run shown; SymPy and the analysis follow once
        its first row is on screen (see :data:`SYMPY_DELAY_MS`)."""
        if self._closing:
            return
        self.controller.release()
        if self.pending_lesson is not None:  # gdstudio lesson NAME|FILE
            self.lessons.open_lesson(self.pending_lesson)
        # (with SymPy imported already, its analysis is milliseconds: no reason to wait)
        delay = 0 if symbolic.is_ready() else SYMPY_DELAY_MS
        QTimer.singleShot(delay, self._start_background_work)

    @Slot()
    def _start_background_work(self) -> None:
        if self._closing:
            return
        self.analyses.release()
        self._release_symbolic()
        decimate.warm_up()  # (once the first row is on screen: milliseconds, then not again)
        symbolic.call_when_ready(self, collector.settle)

    def _release_symbolic(self) -> None:
        if self._holding_symbolic:
            self._holding_symbolic = False
            symbolic.release()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing and not self.files.may_close():
            event.ignore()  # unsaved changes, and the person chose Cancel
            return
        if not self._closing:
            self._closing = True
            self._release_symbolic()  # a window closed before it was shown
            self.devices.stop()
            self.analyses.stop()
            self.lessons.stop()
            self.frames.stop()
            self._save_settings()
            self.controller.shutdown()
        super().closeEvent(event)
