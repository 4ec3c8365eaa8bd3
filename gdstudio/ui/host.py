"""What a controller may ask of the window: narrow interfaces, given at construction.

The window (:class:`~gdstudio.ui.window.main_window.MainWindow`) implements these; controllers
(files and sessions, exports, code export, the explorer of races and landscapes) receive one
and never import the window. Each Protocol lists all that its controller uses, so a reader
sees at once what a controller can touch, and a test can pass a small fake.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # pragma: no cover - types only: this module imports nothing at run time
    import pyqtgraph as pg
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import (
        QDockWidget,
        QMainWindow,
        QProgressBar,
        QSplitter,
        QStackedWidget,
        QWidget,
    )

    from gdstudio.core import RunConfig
    from gdstudio.ui.model.run_model import RunModel
    from gdstudio.ui.panels.analysis import AnalysisPanel
    from gdstudio.ui.panels.control_panel import ControlPanel
    from gdstudio.ui.panels.history import HistoryModel, HistoryView
    from gdstudio.ui.panels.race_summary import RaceSummaryModel, RaceSummaryView
    from gdstudio.ui.panels.scrubber import HistoryScrubber
    from gdstudio.ui.plots.curve import CurvePlot
    from gdstudio.ui.plots.fit import FitPlot
    from gdstudio.ui.plots.landscape import LandscapePlot
    from gdstudio.ui.plots.loss import LossPlot

__all__ = ["RunHost", "FilesHost", "ExploreHost", "LessonHost",
           "PresenterHost"]


class RunHost(Protocol):
    """Starting runs, drawing, telling the person: what every controller may ask."""

    @property
    def model(self) -> RunModel: ...

    def main_window(self) -> QMainWindow:
        """The window as a parent for dialogs, its title and its modified mark."""

    def start_run(self, config: RunConfig) -> None:
        """Set up a new run of ``config`` (a race, if the setup panel asks for one)."""

    def resume_run(self, config: RunConfig, epochs: int,
                   lr_changes: Sequence[tuple[int, float]]) -> None:
        """A saved run made again to ``epochs``, its learning-rate changes included."""

    def pause_run(self) -> None: ...

    def schedule_frame(self) -> None:
        """Redraw soon (at most once per frame)."""

    def draw_now(self) -> None:
        """Redraw everything at once (exports)."""

    def show_message(self, text: str, level: str = "info") -> None:
        """A message above the plots (plain text), until the next run."""

    def show_status(self, text: str, ms: int = 5000) -> None:
        """A passing note in the status bar."""


class FilesHost(RunHost, Protocol):
    """What files, sessions and exports use: the document window, the setup, the plots."""

    @property
    def controls(self) -> ControlPanel: ...

    def action(self, key: str) -> QAction:
        """A declared action (:mod:`gdstudio.ui.window.actions`), by its key."""

    def plots(self) -> list[pg.PlotWidget]:
        """The plots on screen (for exports)."""

    def plot_area(self) -> QWidget:
        """The panels an animation shows: the plots in the middle of the window."""

    def reset_layout(self) -> None: ...


class ExploreHost(RunHost, Protocol):
    """The views the explorer drives: plots, lanes, landscapes, the race table, the slider."""

    @property
    def controls(self) -> ControlPanel: ...

    @property
    def curve_plot(self) -> CurvePlot: ...

    @property
    def fit_plot(self) -> FitPlot: ...

    @property
    def loss_plot(self) -> LossPlot: ...

    @property
    def surface_plot(self) -> LandscapePlot: ...

    @property
    def landscape_plot(self) -> LandscapePlot: ...

    def built_landscape_plots(self) -> list[LandscapePlot]: ...

    def landscape_shown(self) -> LandscapePlot | None: ...

    @property
    def plot_stack(self) -> QStackedWidget: ...

    @property
    def top_splitter(self) -> QSplitter: ...

    @property
    def race_model(self) -> RaceSummaryModel: ...

    @property
    def race_table(self) -> RaceSummaryView: ...

    @property
    def history_model(self) -> HistoryModel: ...

    @property
    def history_view(self) -> HistoryView: ...

    @property
    def progress_bar(self) -> QProgressBar: ...

    @property
    def scrubber(self) -> HistoryScrubber: ...

    @property
    def analysis(self) -> AnalysisPanel: ...


class LessonHost(RunHost, Protocol):
    """What the lesson controller may ask: set the panel up, run to the end, show panels."""

    @property
    def controls(self) -> ControlPanel: ...

    def run_to_end(self) -> None:
        """Run the run set up to its end (as Run to end does)."""

    def show_panels(self, names: Sequence[str] | None) -> None:
        """Show only the panels ``names`` (those of :data:`gdstudio.core.lessons.PANELS`);
        None: every panel as the person left them."""

    def mark_modified(self) -> None:
        """The session changed (an answer was given)."""


class TextSizes(Protocol):
    """The window's text size (View › Text size), and a passing one (presenter mode's)."""

    @property
    def text_size(self) -> str: ...

    def show_text_size(self, size: str) -> None: ...


class PresenterHost(RunHost, Protocol):
    """What presenter mode may ask: the docks it keeps, the history slider, the look."""

    @property
    def scrubber(self) -> HistoryScrubber: ...

    @property
    def appearance(self) -> TextSizes: ...

    def action(self, key: str) -> QAction:
        """The declared action ``key``."""

    def presenter_docks(self) -> list[QDockWidget]:
        """The docks presenter mode shows (the arithmetic, an open lesson); it hides the rest."""
