"""Explore and compare: the window's races, landscapes, history slider and pointing.

:class:`Explorer` keeps these apart from the window's single-run wiring. The window calls it at
a few points (a new run, a race's results, each frame) and it does the rest:

* a race: the lanes' data (:class:`~gdstudio.ui.model.race_data.RaceData`), their colours on the curve,
  contour, fit and loss plots, the summary table, the analysis' per-lane regimes, and the lane
  shown in History (and in the status bar, with the tangent): the one selected in the table;
* the landscapes: f(x, y) on the surface page, and the regression's MSE over (m, c) beside the
  fitted line;
* the history slider: every panel at the epoch it points to;
* clicks that move the start (on the curve, the surface and the MSE landscape) and the hover
  readouts (epoch and loss; x and f(x); the landscapes have their own).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QObject

from gdstudio.core import FunctionProblem, RegressionProblem, RunConfig
from gdstudio.core.analysis import RegressionAnalysis
from gdstudio.core.descent.rules import grad_norm
from gdstudio.core.race import RaceBatch
from gdstudio.core.race.lanes import RaceSpec
from gdstudio.ui.model.formatting import number
from gdstudio.ui.model.race_data import lane_colours
from gdstudio.ui.model.run_data import RunData
from gdstudio.ui.panels.widgets import set_progress
from gdstudio.ui.plots.landscape import LandscapePlot, regression_landscape, surface_landscape
from gdstudio.ui.plots.race_layers import FitLanes, LanePaths, LossLanes, shown_rows
from gdstudio.ui.plots.readouts import PlotPointer

if TYPE_CHECKING:  # pragma: no cover
    from gdstudio.ui.window.main_window import MainWindow

__all__ = ["Explorer"]


class Explorer(QObject):
    """Races, landscapes, the history slider and pointing, for one :class:`MainWindow`."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.lane = 0  # the lane shown in History
        self._spec: RaceSpec | None = None
        self._config: RunConfig | None = None
        self._scrubbed = False  # the History table's selection marks a scrubbed epoch
        self.curve_lanes = LanePaths(window.curve_plot, z=35)
        self.loss_lanes = LossLanes(window.loss_plot)
        self.fit_lanes = FitLanes(window.fit_plot)

        self.curve_pointer = PlotPointer(window.curve_plot, self._curve_readout)
        self.curve_pointer.clicked.connect(lambda x, _y: self.move_start(x))
        self.loss_pointer = PlotPointer(window.loss_plot, self._loss_readout)
        for plot in window.built_landscape_plots():  # (the others connect when built)
            plot.startClicked.connect(self.move_start)
        window.race_table.laneSelected.connect(self.select_lane)
        window.scrubber.epochChanged.connect(self._on_epoch_changed)
        window.curve_plot.setToolTip(window.curve_plot.toolTip()
                                     + " Click to start from there.")

    # --- state -------------------------------------------------------------------------------

    @property
    def racing(self) -> bool:
        return self._spec is not None

    @property
    def spec(self) -> RaceSpec | None:
        return self._spec

    def epoch_shown(self) -> int | None:
        """The epoch the history slider points to (None: the newest)."""
        return self.w.scrubber.epoch()

    def shown_run(self, at: int | None) -> RunData:
        """The single run (or the lane shown) as it was at epoch ``at``."""
        data = self.w.run_data
        return data if at is None else data.upto(at)

    # --- a new run ---------------------------------------------------------------------------

    def show_surface(self, config: RunConfig) -> None:
        """f(x, y)'s contour map, with the stationary point the analysis found (if any)."""
        found = self.w.analysis.surface_point()
        point, kind, f_min = found if found is not None else (None, "none", None)
        start = tuple(float(v) for v in config.start_params())
        self.w.surface_plot.set_landscape(
            surface_landscape(config.problem, start, point, kind, f_min), start)  # type: ignore[arg-type]

    def begin(self, config: RunConfig, race: RaceSpec | None) -> RunConfig:
        """Set the panels up for a run of ``config`` (or a race); returns the config whose rows
        the History table shows (a race: its selected lane's)."""
        w = self.w
        self._config = config
        self._spec = race
        problem = config.problem
        surface = isinstance(problem, FunctionProblem) and problem.dim == 2
        if surface:
            w.plot_stack.setCurrentWidget(w.surface_plot)
            self.show_surface(config)
        regression = isinstance(problem, RegressionProblem)
        if regression and w.landscape_plot.isHidden():  # share the width with the fitted line
            w.landscape_plot.show()
            total = max(sum(w.top_splitter.sizes()), 2)
            w.top_splitter.setSizes([total - total // 2, total // 2])
        if not regression and w.landscape_shown() is not None:
            w.landscape_plot.hide()
        if regression:
            a = w.analysis.analysis
            optimum = (a.m, a.c) if isinstance(a, RegressionAnalysis) else None
            loss_star = a.loss if isinstance(a, RegressionAnalysis) else None
            condition = w.analysis.condition_number(scaled=config.scale_x)
            start = tuple(float(v) for v in config.start_params())
            w.landscape_plot.set_landscape(
                regression_landscape(problem, start, optimum, loss_star,  # type: ignore[arg-type]
                                     scaled=config.scale_x, condition=condition), start)
        self._set_lanes(race, surface, regression)
        w.scrubber.reset()
        w.race_data.reset(race)
        w.race_model.reset()
        w.race_table.setVisible(race is not None)
        w.analysis.set_race([(race.label(j), lane.lr, lane.optimizer.name)
                             for j, lane in enumerate(race.lanes)] if race is not None else None)
        if race is None:
            return config
        self.lane = min(self.lane, len(race.lanes) - 1)
        return race.lane_config(self.lane)

    def _set_lanes(self, race: RaceSpec | None, surface: bool, regression: bool) -> None:
        w = self.w
        for layer in (self.curve_lanes, self.loss_lanes, self.fit_lanes,
                      *(p.lanes for p in w.built_landscape_plots())):
            layer.clear()
        racing = race is not None
        curve = w.curve_plot
        for item in (curve.path_item, curve.points_item, curve.current_item):
            item.setVisible(not racing)
        w.fit_plot.fit_item.setVisible(not racing)
        w.loss_plot.loss_item.setVisible(not racing)
        w.loss_plot.current_item.setVisible(not racing)
        if not racing:
            if surface:
                w.surface_plot.relabel_legend()
            if regression:
                w.landscape_plot.relabel_legend()
            return
        assert race is not None
        colours = lane_colours(len(race.lanes))
        labels = race.labels()
        self.loss_lanes.set_lanes(colours, labels)
        # The loss plot has no legend of its own: the summary table below names the colours.
        if surface:
            w.surface_plot.lanes.set_lanes(colours, labels)
            w.surface_plot.relabel_legend()
        elif regression:
            self.fit_lanes.set_lanes(colours, labels)
            w.landscape_plot.lanes.set_lanes(colours, labels)
            w.landscape_plot.relabel_legend()
            fit_legend = w.fit_plot.legend
            fit_legend.clear()
            fit_legend.addItem(w.fit_plot.data_item, w.fit_plot.data_item.opts["name"])
            fit_legend.addItem(w.fit_plot.least_squares_item,
                               w.fit_plot.least_squares_item.opts["name"])
            for item, label in self.fit_lanes.legend_entries():
                fit_legend.addItem(item, label)
        else:
            self.curve_lanes.set_lanes(colours, labels)
            curve_legend = curve.legend
            curve_legend.clear()
            curve_legend.addItem(curve.curve_item, curve.curve_item.opts["name"])
            for item, label in self.curve_lanes.legend_entries():
                curve_legend.addItem(item, label)
            if len(curve.minimum_item.data):
                curve_legend.addItem(curve.minimum_item, curve.minimum_item.opts["name"])

    # --- a race's results --------------------------------------------------------------------

    def race_reset(self, spec: RaceSpec, step: RaceBatch) -> None:
        w = self.w
        self._spec = spec
        w.race_data.reset(spec)
        w.race_data.append(step)
        w.race_model.reset()
        self.lane = min(self.lane, len(spec.lanes) - 1)
        self._load_lane()
        w.race_table.selectRow(self.lane)

    def race_steps(self, step: RaceBatch) -> None:
        w = self.w
        if w.race_data.spec is None or step.start != w.race_data.n:
            return  # pragma: no cover - the worker keeps the order
        w.race_data.append(step)
        batch = w.race_data.lane_batch(self.lane, w.run_data.n)
        if len(batch) or batch.finished != w.run_data.finished:
            w.run_data.append(batch)
            w.history_model.rows_appended()
        w.race_model.refresh()

    def select_lane(self, j: int) -> None:
        """Show lane ``j`` in History, the status bar and the tangent."""
        if self._spec is None or not 0 <= j < len(self._spec.lanes) or j == self.lane:
            self.lane = max(0, j)
            return
        self.lane = j
        self._load_lane()
        self.w._schedule_frame()

    def _load_lane(self) -> None:
        """Copy the selected lane's rows into the window's RunData (History shows them)."""
        w = self.w
        spec = self._spec
        if spec is None:
            return
        w.run_data.reset(spec.lane_config(self.lane), tuple(spec.config.problem.param_names))
        if w.race_data.n:
            w.run_data.append(w.race_data.lane_batch(self.lane, 0))
        w.history_model.reset(w.run_data)

    # --- drawing -----------------------------------------------------------------------------

    def draw(self, shown: RunData, at: int | None) -> None:
        """Everything this class draws, at epoch ``at`` (once per frame)."""
        w = self.w
        race = w.race_data
        w.scrubber.set_rows(race.n if self.racing else w.run_data.n)
        page = w.plot_stack.currentWidget()
        if isinstance(page, LandscapePlot):  # (the surface plot)
            page.refresh(shown)
        landscape = w.landscape_shown()
        if landscape is not None:
            landscape.refresh(shown)
        if self.racing and race.n:
            self._draw_lanes(at)
        self._show_epoch_in_table(at)

    def _draw_lanes(self, at: int | None) -> None:
        w = self.w
        race = w.race_data
        lp = w.loss_plot
        self.loss_lanes.refresh(race, at, lp._shown, lp._mode_key())
        lp.update_view()
        if self.curve_lanes.active:
            for j in range(race.K):
                self.curve_lanes.set_lane(j, race.lane_params(j, at)[:, 0], race.lane_loss(j, at))
        for plot in w.built_landscape_plots():
            if plot.lanes.active and plot.isVisible():
                plot.set_lane_box(race.param_min, race.param_max)
                for j in range(race.K):
                    params = race.lane_params(j, at)
                    # what is drawn (≤ MAX_LANE_POINTS, the last included), then mapped
                    pts = plot.view_points(params[shown_rows(len(params))])
                    plot.lanes.set_lane(j, pts[:, 0], pts[:, 1])
                plot.update_view()
        if self.fit_lanes.active:
            self.fit_lanes.refresh(race, at)
        w.race_model.show_epoch(at)
        spec = self._spec
        if spec is not None:  # the race's progress, whichever lane History shows
            set_progress(w.progressBar, race.epoch if at is None else at, spec.epochs)

    def _show_epoch_in_table(self, at: int | None) -> None:
        view = self.w.history_view
        model = self.w.history_model
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

    def _on_epoch_changed(self, _epoch: object) -> None:
        self.w._schedule_frame()

    # --- the status bar ----------------------------------------------------------------------

    def status(self, at: int | None) -> tuple[str, str] | None:
        """The status text (and colour) while racing or scrubbing; None: the window's own."""
        w = self.w
        data = w.run_data
        if not self.racing and at is None:
            return None
        if data.n == 0:
            return None
        view = data.upto(at) if at is not None else data
        where = ", ".join(f"{name} = {number(float(v))}"
                          for name, v in zip(view.param_names, view.params[-1], strict=True))
        grad = view.grad[-1]
        gnorm = grad_norm(grad)
        point = (f"{where}  ·  loss {number(float(view.loss[-1]), 8)}  ·  "
                 f"|gradient| {number(gnorm, 4)}")
        colour = ""
        if self.racing:
            spec = self._spec
            assert spec is not None
            race = w.race_data
            running = sum(race.running(j, at) for j in range(race.K))
            epoch = race.epoch if at is None else min(at, race.epoch)
            head = (f"Race of {race.K} runs  ·  epoch {epoch:,} of {spec.epochs:,}  ·  "
                    f"{running} running" if running else
                    f"Race over at epoch {epoch:,}  ·  " + self._tally(at))
            if w.controller.state == "error":  # its lanes are not running any more
                head = (f"Stopped by an internal error (press Reset)  ·  race of {race.K} runs "
                        f"at epoch {epoch:,}")
                colour = "#c62828"
            if at is not None:
                head = "Viewing  ·  " + head
            lane = spec.label(self.lane)
            if race.running(self.lane, at):
                text = f"{head}  ·  {lane}: {point}"
            else:
                message = race.messages[self.lane] or race.statuses[self.lane]
                text = f"{head}  ·  {lane}: {message}"
            return text, colour
        planned = data.planned_epochs
        going = "" if data.finished else f"  ·  the run is at epoch {data.epoch:,}"
        if data.finished:
            going = f"  ·  the run ended at epoch {data.epoch:,} ({data.status})"
        text = f"Viewing epoch {view.epoch:,} of {planned:,}{going}  ·  {point}"
        return text, "#37474f"

    def _tally(self, at: int | None) -> str:
        race = self.w.race_data
        counts: dict[str, int] = {}
        for j in range(race.K):
            status = "running" if race.running(j, at) else race.statuses[j]
            counts[status] = counts.get(status, 0) + 1
        names = {"max_epochs": "at the epoch limit"}
        return ", ".join(f"{n} {names.get(s, s)}" for s, n in counts.items())

    # --- pointing ----------------------------------------------------------------------------

    def move_start(self, *values: float) -> None:
        """A click on a plot chose a new start (x; or x, y; or m, c)."""
        self.w.controls.set_start(*values)

    def _curve_readout(self, x: float, _y: float) -> str | None:
        config = self._config
        if config is None or not isinstance(config.problem, FunctionProblem) \
                or config.problem.dim != 1:
            return None
        with np.errstate(all="ignore"):
            f = float(np.asarray(config.problem.loss(np.array([[x]]))).reshape(-1)[0])
        return f"x = {number(x, 6)}  ·  f(x) = {number(f, 6)}  ·  click: start here"

    def _loss_readout(self, x: float, y: float) -> str | None:
        w = self.w
        t = int(round(x))
        lp = w.loss_plot
        if self.racing:
            race = w.race_data
            if not 0 <= t < race.n:
                return None
            best, best_d = None, math.inf
            for j in range(race.K):
                if t >= int(race.lengths[j]):
                    continue
                v = float(lp._shown(race.loss[t : t + 1, j])[0])
                vy = math.log10(v) if lp.log_scale and v > 0 else v
                if math.isfinite(vy) and abs(vy - y) < best_d:
                    best, best_d = j, abs(vy - y)
            if best is None:
                return None
            spec = self._spec
            assert spec is not None
            return (f"epoch {t:,}  ·  {spec.label(best)}: loss "
                    f"{number(float(race.loss[t, best]), 8)}")
        data = w.run_data
        if not 0 <= t < data.n:
            return None
        return f"epoch {t:,}  ·  loss {number(float(data.loss[t]), 8)}"
