"""f(x, y) on its contour map, and the regression's MSE landscape: trajectories against the
closed form, the start set by a click, the Hessian in the analysis, scaling and mini-batches."""

from __future__ import annotations

import math

import numpy as np
import pytest
from files_support import analysis_text
from PySide6.QtCore import QPointF, Qt

from gdstudio.core import RunConfig, run
from gdstudio.ui.panels.control_panel import REGRESSION_TAB, SURFACE_TAB


def ready(window) -> bool:
    return (window.controller.state == "ready" and window.run_data.n == 1
            and window.run_data.config is not None
            and window.run_data.config.problem is window.controls.config().problem
            and tuple(window.run_data.params[0]) == tuple(window.controls.config().start_params()))


def to_surface(qtbot, window, preset: str = "bowl") -> None:
    c = window.controls
    c.problemTabs.setCurrentIndex(SURFACE_TAB)
    c.surfaceTab.choose_preset(preset)
    qtbot.waitUntil(lambda: ready(window) and window.run_data.k == 2)


def steps(qtbot, window, count: int) -> None:
    for _ in range(count):
        n = window.run_data.n
        window.step()
        qtbot.waitUntil(lambda n=n: window.run_data.n == n + 1)
    qtbot.waitUntil(lambda: window.controller.state in ("paused", "finished"))
    window.draw_now()


def click_at(qtbot, plot, x: float, y: float) -> None:
    """A left click on ``plot`` where the data point (x, y) is drawn."""
    scene = plot.getPlotItem().getViewBox().mapViewToScene(QPointF(x, y))
    pos = plot.mapFromScene(scene)
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def pixel(plot) -> tuple[float, float]:
    """The data width and height of one pixel (a click's precision)."""
    (x0, x1), (y0, y1) = plot.getPlotItem().getViewBox().viewRange()
    rect = plot.getPlotItem().getViewBox().sceneBoundingRect()
    return (x1 - x0) / rect.width(), (y1 - y0) / rect.height()


def test_bowl_trajectory_matches_the_closed_form(window, qtbot):
    to_surface(qtbot, window, "bowl")  # x² + 10y², from (−4, 1.5) at lr 0.08
    assert window.plot_stack.currentWidget() is window.surface_plot
    c = window.controls
    qtbot.waitUntil(lambda: c.surfaceTab.gradientLabel.text() == "∇f = (2·x, 20·y)")
    assert (c.lrSpin.value(), c.epochsSpin.value()) == (0.08, 150)
    steps(qtbot, window, 12)
    t = np.arange(13)
    a, b, lr = 1.0, 10.0, 0.08
    x_t = -4.0 * (1 - 2 * a * lr) ** t
    y_t = 1.5 * (1 - 2 * b * lr) ** t
    xs, ys = window.surface_plot.trajectory()
    np.testing.assert_allclose(xs, x_t, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ys, y_t, rtol=1e-12, atol=1e-15)
    assert window.surface_plot.current_point() == pytest.approx((x_t[-1], y_t[-1]), rel=1e-12)
    # the map shows log10(f − min): its colour bar and contours exist and are finite
    image = window.surface_plot.image_item.image
    assert image is not None and np.isfinite(image).all()
    sx, _sy = window.surface_plot.contour_item.getData()
    assert sx is not None and len(sx) > 100
    # analysis: the Hessian at the minimum, its eigenvalues, the critical rate 2/λmax
    text = analysis_text(qtbot, window)
    assert "λmin = 2, λmax = 20" in text
    assert "2/λmax = 0.1" in text
    assert "converges, oscillating" in text  # lr 0.08 > 1/20


def test_a_race_on_the_contour(window, qtbot):
    to_surface(qtbot, window, "bowl")
    c = window.controls
    c.epochsSpin.setValue(20)
    c.raceSetup.set_rates([0.02, 0.08])
    c.raceSetup.set_mode("lr")
    qtbot.waitUntil(lambda: window.explorer.racing and window.model.race_data.n == 1
                    and window.model.race_data.K == 2 and window.controller.state == "ready")
    window.run_to_end()
    qtbot.waitUntil(lambda: window.controller.state == "finished")
    window.draw_now()
    lanes = window.surface_plot.lanes
    for j, lr in enumerate((0.02, 0.08)):
        xs, ys = lanes.lane_data(j)
        t = np.arange(21)
        np.testing.assert_allclose(xs, -4.0 * (1 - 2 * lr) ** t, rtol=1e-12)
        np.testing.assert_allclose(ys, 1.5 * (1 - 20 * lr) ** t, rtol=1e-12, atol=1e-15)
    assert not window.surface_plot.path_item.isVisible()


def test_clicking_the_contour_sets_the_start(window, qtbot):
    to_surface(qtbot, window, "himmelblau")
    plot = window.surface_plot
    px, py = pixel(plot)
    click_at(qtbot, plot, 1.0, -2.5)
    x0, y0 = window.controls.surfaceTab.start()
    assert abs(x0 - 1.0) <= 1.5 * px and abs(y0 + 2.5) <= 1.5 * py
    qtbot.waitUntil(lambda: ready(window))
    assert tuple(window.run_data.params[0]) == (x0, y0)  # the next run starts there
    sx, sy = plot.start_item.getData()
    assert (sx[0], sy[0]) == (x0, y0)
    # a drag is a pan, not a click: the start stays
    qtbot.mousePress(plot.viewport(), Qt.MouseButton.LeftButton,
                     pos=plot.mapFromScene(plot.getPlotItem().getViewBox().mapViewToScene(
                         QPointF(0.0, 0.0))))
    assert window.controls.surfaceTab.start() == (x0, y0)


def test_hover_shows_the_point_and_the_value(window, qtbot):
    to_surface(qtbot, window, "rosenbrock")
    plot = window.surface_plot
    plot.pointer.hover(1.0, 1.0)
    assert plot.pointer.text == "x = 1, y = 1  ·  f = 0"
    plot.pointer.hover(0.0, 0.0)
    assert plot.pointer.text.endswith("f = 1")


def test_a_typed_surface_is_checked_as_you_type(window, qtbot):
    c = window.controls
    c.problemTabs.setCurrentIndex(SURFACE_TAB)
    tab = c.surfaceTab
    tab.surfaceEdit.setText("x**2 + import")
    assert tab.surfaceError.isVisible() and not c.is_valid()
    tab.surfaceEdit.setText("(x - 1)**2 + 3*(y + 2)**2")
    assert not tab.surfaceError.isVisible()
    qtbot.waitUntil(lambda: tab.gradientLabel.text() == "∇f = (2·x − 2, 6·y + 12)")
    assert tab.surfaceCombo.currentData() is None  # custom
    qtbot.waitUntil(lambda: ready(window) and window.run_data.config.problem.text
                    == "(x - 1)**2 + 3*(y + 2)**2")
    qtbot.waitUntil(lambda: window.model.analysis is not None)  # worked out off the GUI thread
    point = window.model.analysis.surface_point()
    assert point is not None and point[1] == "minimum"
    assert point[0] == pytest.approx((1.0, -2.0), abs=1e-9)
    assert window.surface_plot.landscape.minimum == pytest.approx((1.0, -2.0), abs=1e-9)


def test_regression_landscape_shows_the_narrow_valley(window, qtbot):
    c = window.controls
    c.problemTabs.setCurrentIndex(REGRESSION_TAB)
    qtbot.waitUntil(lambda: ready(window) and window.run_data.k == 2)
    land = window.landscape_plot
    assert land.isVisible()
    qtbot.waitUntil(lambda: window.model.analysis is not None)  # worked out off the GUI thread
    a = window.model.analysis.analysis
    assert land.landscape.minimum == pytest.approx((a.m, a.c))
    assert "κ" in land.getPlotItem().titleLabel.text
    steps(qtbot, window, 5)
    xs, ys = land.trajectory()
    np.testing.assert_allclose(np.column_stack([xs, ys]), window.run_data.params, rtol=1e-13)
    # lr 1e-4: m moves, c crawls (the long, narrow valley)
    assert xs[-1] > 1.0 and abs(ys[-1]) < 0.1  # c* ≈ 9.9: c has barely started
    # clicking the landscape sets m0, c0
    px, py = pixel(land)
    click_at(qtbot, land, 1.0, 5.0)
    assert abs(c.m0Spin.value() - 1.0) <= 1.5 * px and abs(c.c0Spin.value() - 5.0) <= 1.5 * py
    qtbot.waitUntil(lambda: ready(window))


def test_scaling_and_mini_batches(window, qtbot):
    c = window.controls
    c.problemTabs.setCurrentIndex(REGRESSION_TAB)
    qtbot.waitUntil(lambda: ready(window) and window.run_data.k == 2)
    options = c.regressionOptions
    options.scaleCheck.setChecked(True)
    c.lrSpin.setValue(0.1)
    qtbot.waitUntil(lambda: ready(window) and window.run_data.config.scale_x
                    and window.run_data.config.lr == 0.1)
    land = window.landscape_plot
    assert "standardised" in land.getPlotItem().titleLabel.text
    assert land.landscape.names == ("m′", "c′")
    assert "x standardised" in analysis_text(qtbot, window)
    steps(qtbot, window, 3)
    reference = run(window.run_data.config.with_(epochs=3))
    np.testing.assert_allclose(window.run_data.params, reference.params, rtol=1e-12)
    # reported in original units; drawn in the scaled ones
    problem = window.run_data.config.problem
    s = math.sqrt(problem.sxx / problem.n)
    xs, ys = land.trajectory()
    m, cc = window.run_data.params[:, 0], window.run_data.params[:, 1]
    np.testing.assert_allclose(xs, m * s, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ys, cc + m * problem.x_mean, rtol=1e-12, atol=1e-12)

    options.scaleCheck.setChecked(False)
    options.batchSpin.setValue(10)
    options.seedSpin.setValue(3)
    c.lrSpin.setValue(1e-4)
    qtbot.waitUntil(lambda: ready(window) and window.run_data.config.batch_size == 10
                    and window.run_data.config.batch_seed == 3
                    and window.run_data.config.lr == 1e-4)
    steps(qtbot, window, 2)
    reference = run(window.run_data.config.with_(epochs=2))
    np.testing.assert_allclose(window.run_data.params, reference.params, rtol=1e-12)
    # a race runs full-batch on unscaled data: the panel says so
    c.raceSetup.set_mode("lr")
    assert not c.is_valid()
    assert "mini-batches" in c.configError.text()


def test_surface_config_round_trips_through_run(window, qtbot):
    to_surface(qtbot, window, "saddle")
    config = window.controls.config()
    assert isinstance(config, RunConfig) and config.x0 == (2.0, 0.01)
    # descent from (2, 0.01) slides off the saddle at (0, 0): no minimum, no critical rate
    text = analysis_text(qtbot, window)
    assert "saddle at (0, 0)" in text and "no minimum downhill" in text
    assert "Critical lr" not in text


@pytest.mark.parametrize("size", [(1024, 768), (1600, 1000)])
def test_the_epoch_label_lies_clear_of_the_path(window, qtbot, size):
    """The regression's path runs along c ≈ 0, the bottom of its map: the epoch label, always
    in the bottom-right corner, hid it. It takes a corner clear of what is drawn (never the
    legend's), and follows the view when it is zoomed."""
    c = window.controls
    window.resize(*size)
    c.problemTabs.setCurrentIndex(REGRESSION_TAB)
    qtbot.waitUntil(lambda: ready(window) and window.run_data.k == 2)
    window.run_to_end()
    qtbot.waitUntil(lambda: window.controller.state == "finished", timeout=20_000)
    window.draw_now()
    land = window.landscape_plot
    label = land.label_item
    assert label.toPlainText().startswith(f"epoch {window.run_data.n - 1}:")

    def covered() -> int:
        box = label.mapRectToScene(label.boundingRect())
        xs, ys = land.trajectory()
        vb = land.getPlotItem().getViewBox()
        points = [vb.mapViewToScene(QPointF(x, y)) for x, y in zip(xs, ys, strict=True)]
        return sum(box.contains(p) for p in points)

    assert covered() == 0
    box = label.mapRectToScene(label.boundingRect())
    if size[0] >= 1600:  # (at 1024 px the map is too small for a corner clear of both)
        assert not box.intersects(land.legend.sceneBoundingRect())
    assert land.getPlotItem().getViewBox().sceneBoundingRect().contains(box)
    # zoomed out: the label is in a corner of the new view, still clear of the path
    vb = land.getPlotItem().getViewBox()
    (x0, x1), (y0, y1) = vb.viewRange()
    vb.setRange(xRange=(x0 - 1, x1 + 1), yRange=(y0 - 1, y1 + 1), padding=0)
    window.draw_now()
    box = label.mapRectToScene(label.boundingRect())
    assert vb.sceneBoundingRect().contains(box) and covered() == 0
