"""Explore and compare: races on the plots, the landscapes, the history slider, pointing.

:class:`Explorer` drives the views of what the model holds beyond a single run; it reads the
:class:`~gdstudio.ui.model.run_model.RunModel` and gets the views it draws on through an
:class:`~gdstudio.ui.host.ExploreHost`:

* a race: the lanes' colours on the curve, contour, fit and loss plots, the summary table and
  its selected lane (the one the history and the status line show), the analysis' per-lane
  regimes;
* the landscapes: f(x, y) on the surface page, and the regression's MSE over (m, c) beside the
  fitted line;
* the history slider: it and the model's epoch follow each other, and the History table's
  selection marks a past epoch;
* clicks that move the start (on the curve, the surface and the MSE landscape) and the hover
  readouts (epoch and loss; x and f(x); the landscapes have their own).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QObject
from PySide6.QtWidgets import QWidget

from gdstudio.core import FunctionProblem, RegressionProblem, RunConfig
from gdstudio.core.analysis import RegressionAnalysis
from gdstudio.core.race.lanes import RaceSpec
from gdstudio.core.theory import Theory
from gdstudio.ui.host import ExploreHost
from gdstudio.ui.model.formatting import number
from gdstudio.ui.panels.widgets import set_progress
from gdstudio.ui.plots.landscape import LandscapePlot, regression_landscape, surface_landscape
from gdstudio.ui.plots.race_layers import FitLanes, LanePaths, LossLanes
from gdstudio.ui.plots.readouts import PlotPointer
from gdstudio.ui.theme import run_colors

__all__ = ["Explorer"]


#: A frame's part of the race's drawing takes about this long before the next turn of the
#: event loop (clicks, keys and the worker's batches are served in between).
PART_SECONDS = 0.008


@contextmanager
def _repainted_once(plot: QWidget) -> Iterator[None]:
    """A plot drawn in several parts (turns of the event loop) repaints once, after the last:
    else each part's change repaints the whole plot, every lane of it (a race of 24 lanes:
    up to 24 repaints of 10-20 ms each in one frame)."""
    held = plot.updatesEnabled()
    if held:
        plot.setUpdatesEnabled(False)
    try:
        yield
    finally:
        if held:
            try:
                plot.setUpdatesEnabled(True)  # (and asks for the one repaint)
            except RuntimeError:  # pragma: no cover - the window closed between two parts
                pass


def _in_parts(steps: Iterable[Any], clock: _PartClock, go_on: Callable[[], bool],
              each: Callable[[Any], None] | None = None) -> Generator[None, None, bool]:
    """Go through ``steps`` (an iterator that does a piece of work at each step, or the items
    ``each`` is called with), yielding whenever a part has taken its time, and once after the
    last piece (the part that ends it is a turn of its own); False as soon as ``go_on`` says
    the race was replaced between two parts."""
    for step in steps:
        if each is not None:
            each(step)
        if clock.part_done():
            yield
            if not go_on():
                return False
    yield
    return go_on()


class _PartClock:
    """Says when a part has taken :data:`PART_SECONDS`, then starts the next part's clock."""

    def __init__(self) -> None:
        self._began = time.perf_counter()

    def part_done(self) -> bool:
        now = time.perf_counter()
        if now - self._began < PART_SECONDS:
            return False
        self._began = now
        return True

    def restart(self) -> None:
        """A new part begins now (after a yield made for another reason)."""
        self._began = time.perf_counter()


class Explorer(QObject):
    """Races, landscapes, the history slider and pointing, for one window (its ``host``)."""

    def __init__(self, host: ExploreHost) -> None:
        super().__init__(host.main_window())
        self.host = host
        self.model = host.model
        self._scrubbed = False  # the History table's selection marks a scrubbed epoch
        self.curve_lanes = LanePaths(host.curve_plot, z=35)
        self.loss_lanes = LossLanes(host.loss_plot)
        self.fit_lanes = FitLanes(host.fit_plot)

        self.curve_pointer = PlotPointer(host.curve_plot, self._curve_readout)
        self.curve_pointer.clicked.connect(lambda x, _y: self.move_start(x))
        self.loss_pointer = PlotPointer(host.loss_plot, self._loss_readout)
        host.race_table.laneSelected.connect(self.model.select_lane)
        scrubber = host.scrubber
        scrubber.epochChanged.connect(self.model.select_epoch)
        self.model.events.epoch.connect(scrubber.show_epoch)
        self.model.events.reset.connect(self._on_reset)
        host.curve_plot.setToolTip(host.curve_plot.toolTip() + " Click to start from there.")

    # --- state -------------------------------------------------------------------------------

    @property
    def racing(self) -> bool:
        return self.model.racing

    @property
    def spec(self) -> RaceSpec | None:
        return self.model.race

    # --- a new run ---------------------------------------------------------------------------

    def show_landscapes(self, config: RunConfig, theory: Theory | None) -> None:
        """f(x, y)'s contour map with the stationary point the theory found, or the
        regression's MSE landscape with its optimum (``theory`` None: not known yet)."""
        host = self.host
        problem = config.problem
        if isinstance(problem, FunctionProblem) and problem.dim != 2:
            return  # f(x) has no landscape
        x, y = (float(v) for v in config.start_params())
        start = (x, y)
        if isinstance(problem, FunctionProblem):
            found = theory.surface_point() if theory is not None else None
            point, kind, f_min = found if found is not None else (None, "none", None)
            host.surface_plot.set_landscape(
                surface_landscape(problem, start, point, kind, f_min,
                                  pretty=theory.pretty if theory is not None else None), start)
        elif isinstance(problem, RegressionProblem):
            a = theory.analysis if theory is not None else None
            optimum = (a.m, a.c) if isinstance(a, RegressionAnalysis) else None
            loss_star = a.loss if isinstance(a, RegressionAnalysis) else None
            condition = (theory.condition_number(scaled=config.scale_x)
                         if theory is not None else None)
            host.landscape_plot.set_landscape(
                regression_landscape(problem, start, optimum, loss_star,
                                     scaled=config.scale_x, condition=condition), start)

    def begin(self, config: RunConfig, race: RaceSpec | None, theory: Theory | None) -> None:
        """Set the views up for a run of ``config`` (or a race)."""
        host = self.host
        problem = config.problem
        surface = isinstance(problem, FunctionProblem) and problem.dim == 2
        if surface:
            host.plot_stack.setCurrentWidget(host.surface_plot)
        regression = isinstance(problem, RegressionProblem)
        if regression and host.landscape_plot.isHidden():  # share the width with the line
            host.landscape_plot.show()
            total = max(sum(host.top_splitter.sizes()), 2)
            host.top_splitter.setSizes([total - total // 2, total // 2])
        if not regression and host.landscape_shown() is not None:
            host.landscape_plot.hide()
        self.show_landscapes(config, theory)
        self._set_lanes(race, surface, regression)
        host.scrubber.reset()
        host.race_model.reset()
        host.race_table.setVisible(race is not None)
        host.analysis.set_race([(race.label(j), lane.lr, lane.optimizer.name)
                                for j, lane in enumerate(race.lanes)]
                               if race is not None else None)

    def relabel_legends(self) -> None:
        """The legends of a race's plots again (after a plot was set up anew: its legend then
        names its own items only). The lanes and what they have drawn stay as they are: the
        analysis often arrives after a short race has ended, and no frame may be left to
        draw them again."""
        race, config = self.model.race, self.model.config
        if race is None or config is None:
            return
        problem = config.problem
        self._label_lanes(isinstance(problem, FunctionProblem) and problem.dim == 2,
                          isinstance(problem, RegressionProblem))

    def _set_lanes(self, race: RaceSpec | None, surface: bool, regression: bool) -> None:
        host = self.host
        layers: list[LanePaths | LossLanes | FitLanes] = [self.curve_lanes, self.loss_lanes,
                                                          self.fit_lanes]
        layers += [p.lanes for p in host.built_landscape_plots()]
        for layer in layers:
            layer.clear()
        racing = race is not None
        curve = host.curve_plot
        for item in (curve.path_item, curve.points_item, curve.current_item):
            item.setVisible(not racing)
        host.fit_plot.fit_item.setVisible(not racing)
        host.loss_plot.loss_item.setVisible(not racing)
        host.loss_plot.current_item.setVisible(not racing)
        if not racing:
            if surface:
                host.surface_plot.relabel_legend()
            if regression:
                host.landscape_plot.relabel_legend()
            return
        assert race is not None
        colours = run_colors(len(race.lanes))
        labels = race.labels()
        self.loss_lanes.set_lanes(colours, labels)
        # The loss plot has no legend of its own: the summary table below names the colours.
        if surface:
            host.surface_plot.lanes.set_lanes(colours, labels)
        elif regression:
            self.fit_lanes.set_lanes(colours, labels)
            host.landscape_plot.lanes.set_lanes(colours, labels)
        else:
            self.curve_lanes.set_lanes(colours, labels)
        self._label_lanes(surface, regression)

    def _label_lanes(self, surface: bool, regression: bool) -> None:
        """The plots' legends with the race's lanes (set with :meth:`_set_lanes`)."""
        host = self.host
        curve = host.curve_plot
        if surface:
            host.surface_plot.relabel_legend()
        elif regression:
            fit = host.fit_plot
            host.landscape_plot.relabel_legend()
            fit.legend.clear()
            fit.legend.addItem(fit.data_item, fit.data_item.opts["name"])
            fit.legend.addItem(fit.least_squares_item, fit.least_squares_item.opts["name"])
            for item, label in self.fit_lanes.legend_entries():
                fit.legend.addItem(item, label)
            fit.fit_legend()  # (its columns and size for the entries it has now)
        else:
            curve.legend.clear()
            curve.legend.addItem(curve.curve_item, curve.curve_item.opts["name"])
            for item, label in self.curve_lanes.legend_entries():
                curve.legend.addItem(item, label)
            if len(curve.minimum_item.data):
                curve.legend.addItem(curve.minimum_item, curve.minimum_item.opts["name"])
            curve.fit_legend()

    def _on_reset(self) -> None:
        """A race's first rows: the summary starts over on the lane shown."""
        if self.model.racing:
            self.host.race_model.reset()
            self.host.race_table.selectRow(self.model.lane)

    # --- drawing -----------------------------------------------------------------------------

    def draw(self) -> None:
        """Everything this class draws, at the model's epoch, at once."""
        for _part in self.draw_parts():
            pass

    def draw_parts(self) -> Iterator[None]:
        """Everything this class draws, at the model's epoch (once per frame), in parts: it
        yields after each part of about :data:`PART_SECONDS` (a race's lanes are thinned and
        drawn a few at a time, each part in a turn of the event loop of its own: 24 lanes of
        a long race took 200-290 ms in one piece)."""
        host, model = self.host, self.model
        at = model.epoch
        host.scrubber.set_rows(model.rows_in_view())
        shown = model.shown_run()
        page = host.plot_stack.currentWidget()
        if isinstance(page, LandscapePlot):  # (the surface plot)
            page.refresh(shown)
        landscape = host.landscape_shown()
        if landscape is not None:
            landscape.refresh(shown)
        self._show_epoch_in_table(at)
        if model.racing and model.race_data.n:
            yield from self._draw_lanes(at)

    def _draw_lanes(self, at: int | None) -> Iterator[None]:
        host, race = self.host, self.model.race_data
        spec = race.spec
        clock = _PartClock()

        def go_on() -> bool:  # (between parts the race may have been replaced)
            return race.spec is spec and spec is not None

        # Each plot's lanes are changed over several parts and repainted once, after the part
        # that ends them: that part is short (a turn of its own), as its repaint follows it
        # before anything else can be served.
        lp = host.loss_plot
        with _repainted_once(lp):
            work = self.loss_lanes.refresh_parts(race, at, lp.shown_loss, lp.mode_key())
            if not (yield from _in_parts(work, clock, go_on)):
                return
            lp.update_view()
        yield  # (the loss plot repaints)
        clock.restart()
        host.race_model.show_epoch(at)
        if spec is not None:  # the race's progress, whichever lane History shows
            set_progress(host.progress_bar, race.epoch if at is None else at, spec.epochs)
        if not go_on():
            return
        if self.curve_lanes.active:
            with _repainted_once(host.curve_plot):
                def path(j: int) -> None:
                    self.curve_lanes.set_lane(j, race.lane_params(j, at)[:, 0],
                                              race.lane_loss(j, at))

                if not (yield from _in_parts(range(race.K), clock, go_on, path)):
                    return
            yield  # (the path plot repaints)
            clock.restart()
        for plot in host.built_landscape_plots():
            if plot.lanes.active and plot.isVisible():
                with _repainted_once(plot):
                    plot.set_lane_box(race.param_min, race.param_max)
                    def mapped(j: int, plot: LandscapePlot = plot) -> None:
                        # every row, mapped: the lane thins its path in the map's coordinates
                        pts = plot.view_points(race.lane_params(j, at))
                        plot.lanes.set_lane(j, pts[:, 0], pts[:, 1])

                    if not (yield from _in_parts(range(race.K), clock, go_on, mapped)):
                        return
                    plot.update_view()
        if self.fit_lanes.active:
            self.fit_lanes.refresh(race, at)

    def _show_epoch_in_table(self, at: int | None) -> None:
        view, model = self.host.history_view, self.host.history_model
        if at is None:
            if self._scrubbed:
                view.clearSelection()
                view.scrollToBottom()
            self._scrubbed = False
            return
        row = min(at, model.rowCount() - 1)
        if row < 0:
            return
        self._scrubbed = True
        index = model.index(row, 0)
        view.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
        view.scrollTo(index, view.ScrollHint.PositionAtCenter)

    # --- pointing ----------------------------------------------------------------------------

    def move_start(self, *values: float) -> None:
        """A click on a plot chose a new start (x; or x, y; or m, c)."""
        self.host.controls.set_start(*values)

    def _curve_readout(self, x: float, _y: float) -> str | None:
        config = self.model.config
        if config is None or not isinstance(config.problem, FunctionProblem) \
                or config.problem.dim != 1:
            return None
        with np.errstate(all="ignore"):
            f = float(np.asarray(config.problem.loss(np.array([[x]]))).reshape(-1)[0])
        return f"x = {number(x, 6)}  ·  f(x) = {number(f, 6)}  ·  click: start here"

    def _loss_readout(self, x: float, y: float) -> str | None:
        t = int(round(x))
        lp = self.host.loss_plot
        if self.model.racing:
            race = self.model.race_data
            if not 0 <= t < race.n:
                return None
            best, best_d = None, math.inf
            for j in range(race.K):
                if t >= int(race.lengths[j]):
                    continue
                v = float(lp.shown_loss(race.loss[t : t + 1, j])[0])
                vy = math.log10(v) if lp.log_scale and v > 0 else v
                if math.isfinite(vy) and abs(vy - y) < best_d:
                    best, best_d = j, abs(vy - y)
            if best is None:
                return None
            spec = self.model.race
            assert spec is not None
            return (f"epoch {t:,}  ·  {spec.label(best)}: loss "
                    f"{number(float(race.loss[t, best]), 8, str(spec.config.dtype))}")
        data = self.model.run
        if not 0 <= t < data.n:
            return None
        dtype = str(data.config.dtype) if data.config is not None else "float64"
        return f"epoch {t:,}  ·  loss {number(float(data.loss[t]), 8, dtype)}"
