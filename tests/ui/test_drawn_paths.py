"""Long runs drawn as they went (issue 14, "a picture that lies"): the path a plot draws stays
on the real path, whatever the run's length. Before, a run of more than a few hundred iterates
was drawn as its first and last ones: on Rosenbrock the chord from iterate 199 to 4800 climbed
to f = 66 where the run never went above f = 3.5.

Each test runs the core, hands the rows to a plot as the window does, reads back what the plot
item holds, and checks it against the real rows with plain loops (tests/ui/paths_support.py)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from paths_support import drawn_rows, worst_chord_distance, worst_distance_to_drawn

from gdstudio.core import Descent, FunctionProblem, RunConfig
from gdstudio.ui.model.run_data import RunData
from gdstudio.ui.plots.base import EPOCH_LUT
from gdstudio.ui.plots.curve import CurvePlot
from gdstudio.ui.plots.landscape import LandscapePlot, surface_landscape
from gdstudio.ui.plots.race_layers import LanePaths

#: A thousandth of the path's extent along each axis: about a pixel.
TOLERANCE = 1e-3
ROSENBROCK = FunctionProblem.preset("rosenbrock")


def run_data(config: RunConfig, names: tuple[str, ...]) -> RunData:
    """The rows of ``config``'s whole run, as the window holds them."""
    descent = Descent(config)
    data = RunData()
    data.reset(config, names)
    data.append(descent.initial_batch())
    while not data.finished:
        data.append(descent.advance(10_000))
    return data


def rosenbrock_f(points: np.ndarray) -> np.ndarray:
    x, y = points[..., 0], points[..., 1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def assert_no_chord_climbs(params: np.ndarray, grad: np.ndarray, rows: np.ndarray) -> None:
    """Along each drawn chord (rows i < j), f stays below the highest f of the real path
    between rows i and j (its segments sampled), up to what a distance of TOLERANCE × extent
    from the real path can add (twice the steepest gradient met on the way)."""
    extent = float(np.hypot(*np.ptp(params, axis=0)))
    steep = np.hypot(grad[:, 0], grad[:, 1])
    s = np.linspace(0.0, 1.0, 65)[:, None]
    for i, j in zip(rows[:-1].tolist(), rows[1:].tolist(), strict=True):
        chord = params[i] + s * (params[j] - params[i])
        real = params[i:j + 1]
        along = (real[:-1, None, :] + s[None, :, :] * (real[1:] - real[:-1])[:, None, :]
                 if j > i else real[:, None, :])
        highest = float(rosenbrock_f(along).max())
        slack = 2.0 * TOLERANCE * extent * float(steep[i:j + 1].max())
        climbed = float(rosenbrock_f(chord).max())
        assert climbed <= highest + slack, (
            f"the chord from iterate {i} to {j} reaches f = {climbed:.4g}; the run between "
            f"them never exceeds {highest:.4g}")


@pytest.fixture
def rosenbrock():
    config = RunConfig(problem=ROSENBROCK, epochs=5000)  # plain descent, lr 0.001
    data = run_data(config, ("x", "y"))
    assert data.n == 5001
    return data


def test_rosenbrock_path_on_the_map_stays_on_the_run(qtbot, rosenbrock):
    data = rosenbrock
    plot = LandscapePlot("surfacePlot")
    qtbot.addWidget(plot)
    plot.resize(700, 600)
    start = tuple(float(v) for v in data.params[0])
    plot.set_landscape(surface_landscape(ROSENBROCK, start, (1.0, 1.0)), start)
    plot.refresh(data)
    xs, ys = plot.trajectory()
    params = data.params
    rows = drawn_rows(params, xs, ys)
    assert rows[0] == 0 and rows[-1] == data.n - 1  # the start and the newest iterate
    assert len(rows) < data.n  # thinned: a long run is not handed over whole
    # every real iterate near the drawn line, and every dropped one near its own chord
    assert worst_distance_to_drawn(params, rows) <= TOLERANCE
    assert worst_chord_distance(params, rows) <= TOLERANCE
    assert_no_chord_climbs(params, data.grad, rows)
    # the markers sit on the drawn points, each in the colour of its own epoch
    marks = plot.points_item.data
    np.testing.assert_array_equal(marks["x"], xs)
    np.testing.assert_array_equal(marks["y"], ys)
    lut = np.minimum(rows * 255 // (data.n - 1), 255)
    colours = [brush.color().getRgb()[:3] for brush in marks["brush"]]
    assert colours == [tuple(int(c) for c in EPOCH_LUT[k]) for k in lut]
    assert plot.current_point() == (float(params[-1, 0]), float(params[-1, 1]))


def test_a_zig_zag_on_f_of_x_keeps_both_arms(qtbot):
    # lr 0.995 on x² − 4x + 5: x jumps across the minimum and back, 1 % closer each time
    problem = FunctionProblem("x**2 - 4*x + 5")
    data = run_data(RunConfig(problem=problem, x0=7.0, lr=0.995, epochs=2500), ("x",))
    plot = CurvePlot()
    qtbot.addWidget(plot)
    plot.resize(700, 500)
    plot.set_problem(problem, 7.0, (2.0, 1.0))
    plot.refresh(data)
    xs, ys = plot.iterates()
    real = np.column_stack([data.params[:, 0], data.loss])
    rows = drawn_rows(real, xs, ys)
    assert rows[0] == 0 and rows[-1] == data.n - 1
    assert len(rows) < data.n
    assert worst_distance_to_drawn(real, rows) <= TOLERANCE
    assert worst_chord_distance(real, rows) <= TOLERANCE
    marks = plot.points_item.data
    np.testing.assert_array_equal(marks["x"], xs)
    lut = np.minimum(rows * 255 // (data.n - 1), 255)
    colours = [brush.color().getRgb()[:3] for brush in marks["brush"]]
    assert colours == [tuple(int(c) for c in EPOCH_LUT[k]) for k in lut]


def test_a_short_run_is_drawn_whole(qtbot):
    problem = FunctionProblem("x**2 - 4*x + 5")
    data = run_data(RunConfig(problem=problem, x0=7.0, lr=0.1, epochs=50), ("x",))
    plot = CurvePlot()
    qtbot.addWidget(plot)
    plot.set_problem(problem, 7.0, (2.0, 1.0))
    plot.refresh(data)
    xs, ys = plot.iterates()
    np.testing.assert_array_equal(xs, data.params[:, 0])
    np.testing.assert_array_equal(ys, data.loss)


def test_race_lanes_on_rosenbrock_stay_on_their_runs(qtbot):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(700, 600)
    widget.getViewBox().setRange(xRange=(-2.0, 2.0), yRange=(-1.0, 3.0), padding=0)
    lanes = LanePaths(widget)
    rates = (1e-3, 5e-4, 2e-4)
    lanes.set_lanes(["#1e88e5", "#d81b60", "#43a047"], [f"lr {r}" for r in rates])
    runs = [run_data(RunConfig(problem=ROSENBROCK, lr=lr, epochs=6000), ("x", "y"))
            for lr in rates]
    for j, data in enumerate(runs):
        lanes.set_lane(j, data.params[:, 0], data.params[:, 1])
    for j, data in enumerate(runs):
        xs, ys = lanes.lane_data(j)
        params = data.params
        rows = drawn_rows(params, xs, ys)
        assert rows[0] == 0 and rows[-1] == data.n - 1
        assert worst_distance_to_drawn(params, rows) <= TOLERANCE
        assert worst_chord_distance(params, rows) <= TOLERANCE
        assert_no_chord_climbs(params, data.grad, rows)
        assert lanes.marker(j) == (float(params[-1, 0]), float(params[-1, 1]))


def test_a_zoom_by_hand_draws_the_path_again_finer(qtbot, rosenbrock):
    data = rosenbrock
    plot = LandscapePlot("surfacePlot")
    qtbot.addWidget(plot)
    plot.resize(700, 600)
    start = tuple(float(v) for v in data.params[0])
    plot.set_landscape(surface_landscape(ROSENBROCK, start, (1.0, 1.0)), start)
    plot.refresh(data)
    before = len(plot.trajectory()[0])
    # a tenth of the map around the valley's end, as a wheel or a drag leaves it
    plot.vb.setRange(xRange=(0.7, 0.9), yRange=(0.5, 0.7), padding=0)
    plot.vb.sigRangeChangedManually.emit(plot.vb.mouseEnabled())
    qtbot.waitUntil(lambda: len(plot.trajectory()[0]) > before, timeout=2000)
