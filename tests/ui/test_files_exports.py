"""Exports: history files equal to the CLI's, plots as PNG and SVG, the window as PNG, the run
as an animated GIF (frames, size, cancel), and code that reproduces the run when executed."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from files_support import (
    new_window,
    parse_csv,
    run_to_end,
    set_lr_mid_run,
    settle,
    step,
)
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication, QImage

from gdstudio import cli
from gdstudio.ui.files import code_export, dialogs, exports
from gdstudio.ui.panels.control_panel import REGRESSION_TAB


@pytest.fixture
def win(qtbot, monkeypatch):
    return new_window(qtbot, monkeypatch)


@pytest.mark.parametrize("problem", ["function", "regression"])
def test_history_csv_and_json_equal_the_cli(win, qtbot, tmp_path, capsys, problem):
    if problem == "function":
        argv = ["run", "--expr", "x**2 - 4*x + 5", "--x0", "7", "--lr", "0.1", "--epochs", "50"]
    else:
        win.controls.problemTabs.setCurrentIndex(REGRESSION_TAB)
        win.controls.epochsSpin.setValue(200)
        settle(qtbot, win)
        argv = ["run", "--problem", "regression", "--synthetic", "100", "--seed", "0",
                "--lr", "1e-4", "--epochs", "200"]
    # the window's default stop rule (|∇| ≤ 10⁻⁶) is not the CLI's (0): said, as a user would
    argv += ["--tol", repr(win.controls.tolSpin.value())]
    run_to_end(qtbot, win)
    for fmt in ("csv", "json"):
        path = tmp_path / f"history.{fmt}"
        assert win.files.export_history(fmt, str(path)) == str(path)
        capsys.readouterr()
        assert cli.main([*argv, "--format", fmt]) == 0
        assert path.read_text() == capsys.readouterr().out, fmt


def test_history_export_through_the_menu_and_the_dialog(win, qtbot, monkeypatch, tmp_path):
    step(qtbot, win, 3)
    target = tmp_path / "picked"
    monkeypatch.setattr(dialogs, "ask_save_path", lambda *a: str(target))
    win.action("exportHistory").trigger()  # File › Export › History as CSV…
    assert (tmp_path / "picked.csv").read_text().splitlines()[0] == "epoch,x,loss,grad"
    win.export_menu.aboutToShow.emit()
    texts = [a.text() for a in win.export_menu.actions()]
    for expected in ("History as CSV…", "History as JSON…", "f(x) and the iterates as PNG…",
                     "Loss per epoch as SVG…", "Window as PNG…", "Run as animated GIF…"):
        assert expected in texts, texts


def test_plots_as_png_and_svg(win, qtbot, tmp_path):
    step(qtbot, win, 5)
    for plot in (win.curve_plot, win.loss_plot):
        png = tmp_path / f"{plot.objectName()}.png"
        svg = tmp_path / f"{plot.objectName()}.svg"
        assert win.files.export_plot(plot, "png", str(png)) == str(png)
        assert win.files.export_plot(plot, "svg", str(svg)) == str(svg)
        image = QImage(str(png))
        assert not image.isNull()
        assert abs(image.width() - plot.getPlotItem().sceneBoundingRect().width()) <= 2
        root = ET.parse(svg).getroot()
        assert root.tag.endswith("svg")
        text = svg.read_text()
        assert "<path" in text or "<polyline" in text
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_window_as_png(win, qtbot, tmp_path):
    path = tmp_path / "window.png"
    assert win.files.export_window(str(path)) == str(path)
    image = QImage(str(path))
    ratio = win.devicePixelRatioF()
    assert (image.width(), image.height()) == (round(win.width() * ratio),
                                               round(win.height() * ratio))


def test_an_export_that_fails_leaves_the_old_file(win, qtbot, tmp_path, shown_dialogs):
    path = tmp_path / "history.csv"
    path.write_text("precious\n")
    folder = tmp_path / "locked"
    folder.mkdir()
    assert win.files.export_history("csv", str(folder / "x" / "h.csv")) == ""
    assert "No such file or directory" in shown_dialogs[-1][1]
    assert path.read_text() == "precious\n"


def _gif(path):
    from PIL import Image

    with Image.open(path) as im:
        frames = []
        for i in range(im.n_frames):
            im.seek(i)
            frames.append((np.asarray(im.convert("RGB")), im.info.get("duration")))
        return im.size, frames


def test_the_run_as_an_animated_gif(win, qtbot, tmp_path):
    run_to_end(qtbot, win)
    path = tmp_path / "run.gif"
    ticks = []
    probe = QTimer()
    probe.setInterval(1)
    probe.timeout.connect(lambda: ticks.append(1))
    rendered = []
    gif = win.files.export_gif(str(path), frames=20, frame_ms=60, width=480)
    gif.frameRendered.connect(lambda n: rendered.append(len(ticks)))
    area = win.plot_area()
    expected_size = (480, round(area.height() * 480 / area.width()))
    probe.start()
    with qtbot.waitSignal(gif.finished, timeout=60_000) as blocker:
        pass
    probe.stop()
    assert blocker.args == ["saved", str(path)]
    size, frames = _gif(path)
    assert size == expected_size
    assert len(frames) == 20 == gif.frame_count
    assert all(duration == 60 for _, duration in frames)
    assert not np.array_equal(frames[0][0], frames[-1][0])  # the run moves
    assert rendered[-1] > rendered[0]  # the event loop ran between frames
    assert list(gif.epochs[[0, -1]]) == [0, 50]
    # The plots show the whole run again, and the history slider follows it as before.
    assert win.curve_plot.iterates()[0].size == 51
    assert win.scrubber.epoch() is None
    assert not win.files.exporting_gif


def test_a_gif_export_can_be_cancelled(win, qtbot, tmp_path):
    run_to_end(qtbot, win)
    path = tmp_path / "run.gif"
    path.write_bytes(b"old")

    def cancel_at_three(n: int) -> None:
        if n == 3:
            progress = gif.progress
            assert progress is not None
            progress.canceled.emit()  # the Cancel button

    gif = win.files.export_gif(str(path), frames=40, width=300)
    gif.frameRendered.connect(cancel_at_three)
    with qtbot.waitSignal(gif.finished, timeout=60_000) as blocker:
        pass
    assert blocker.args == ["cancelled", ""]
    qtbot.waitUntil(lambda: not gif.encoder.running if _valid(gif.encoder) else True)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["run.gif"]
    assert win.curve_plot.iterates()[0].size == 51


def _valid(obj) -> bool:
    import shiboken6

    return shiboken6.isValid(obj)


def test_gif_frame_epochs():
    assert list(exports.gif_frame_epochs(50, 6)) == [0, 10, 20, 30, 40, 50]
    assert list(exports.gif_frame_epochs(3, 100)) == [0, 1, 2, 3]
    assert list(exports.gif_frame_epochs(0, 10)) == [0]


def test_gif_frames_can_be_log_spaced_or_the_first_ones():
    """A 5000-epoch run moves in its first epochs: even frames put all of it between frames
    0 and 1 (0, 263, ...); log-spaced ones show every early epoch, then further apart."""
    log = exports.gif_frame_epochs(5000, 20, "log")
    assert len(log) == 20 and log[0] == 0 and log[-1] == 5000
    assert (np.diff(log) > 0).all() and list(log[:3]) == [0, 1, 3]
    ratios = (log[8:] + 1) / (log[7:-1] + 1)  # past the dense start: a constant ratio
    assert np.allclose(ratios, ratios.mean(), rtol=0.05)
    assert exports.gif_frame_epochs(5000, 20, "even")[1] == 263
    assert list(exports.gif_frame_epochs(5000, 4, "first")) == [0, 1, 2, 3]
    assert list(exports.gif_frame_epochs(10, 50, "log")) == list(range(11))
    with pytest.raises(ValueError, match="unknown spacing"):
        exports.gif_frame_epochs(10, 5, "random")


def test_a_gif_frame_draws_the_loss_only_up_to_its_epoch(win, qtbot, tmp_path):
    win.controls.epochsSpin.setValue(300)
    settle(qtbot, win)
    run_to_end(qtbot, win)
    last = win.run_data.n - 1
    drawn = []

    def record(_n):
        x, _y = win.loss_plot.loss_item.getData()
        drawn.append(float(np.nanmax(x)) if x is not None and len(x) else -1.0)

    gif = win.files.export_gif(str(tmp_path / "log.gif"), frames=12, width=300, spacing="log")
    gif.frameRendered.connect(record)
    with qtbot.waitSignal(gif.finished, timeout=60_000):
        pass
    epochs = exports.gif_frame_epochs(last, 12, "log")
    assert list(gif.epochs) == list(epochs)
    assert drawn == [float(e) for e in epochs]  # the curve ends at the frame's epoch
    x, _y = win.loss_plot.loss_item.getData()
    assert float(np.nanmax(x)) == float(last)  # and the whole run is drawn again after


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_the_exported_script_prints_the_apps_trajectory(win, qtbot, tmp_path, backend):
    c = win.controls
    c.choose_preset("quartic")
    c.epochsSpin.setValue(30)
    settle(qtbot, win)
    step(qtbot, win, 7)
    set_lr_mid_run(qtbot, win, 0.004)
    run_to_end(qtbot, win)
    path = tmp_path / f"run_{backend}.py"
    assert code_export.save_script(win, backend, str(path)) == str(path)
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                         timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    header, rows = parse_csv(out.stdout)
    assert header == ["epoch", "x", "loss", "grad"]
    data = win.run_data
    assert rows.shape[0] == data.n
    np.testing.assert_array_equal(rows[:, 0], np.arange(data.n))
    # The NumPy script is the manual engine's run (the window's here), bit for bit, learning-rate
    # change included (issue 13 family 5); the torch script the torch engine's, equal to rounding
    assert data.config.engine == "manual"
    tol = {"rtol": 0, "atol": 0} if backend == "numpy" else {"rtol": 1e-12, "atol": 1e-12}
    np.testing.assert_allclose(rows[:, 1], data.params[:, 0], **tol)
    np.testing.assert_allclose(rows[:, 2], data.loss, **tol)
    np.testing.assert_allclose(rows[:, 3], data.grad[:, 0], **tol)


def test_copy_code_puts_the_script_on_the_clipboard(win, qtbot):
    QGuiApplication.clipboard().setText("")
    win.action("copyNumPy").trigger()
    text = QGuiApplication.clipboard().text()
    assert text.startswith("#!/usr/bin/env python3") and "import numpy as np" in text
    win.action("copyPyTorch").trigger()
    assert "import torch" in QGuiApplication.clipboard().text()


def test_code_export_of_an_unsupported_run_says_why(win, qtbot, tmp_path, shown_dialogs,
                                                    monkeypatch):
    import dataclasses

    from files_support import open_session

    from gdstudio.core import RegressionProblem, RunConfig, codegen, run
    from gdstudio.core.io.session import save_session, session_from_history

    # Every setting is exportable now (scaling too); a setting the scripts did not know would be
    # refused with its name: pretend feature scaling is one.
    monkeypatch.setattr(codegen, "CONFIG_FIELDS", tuple(
        dataclasses.replace(f, scripts=False) if f.name == "scale_x" else f
        for f in codegen.CONFIG_FIELDS))

    path = tmp_path / "scaled.gdstudio"
    save_session(path, session_from_history(run(RunConfig(
        problem=RegressionProblem.synthetic(), lr=0.1, epochs=20, scale_x=True))))
    assert open_session(qtbot, win, path)
    assert win.run_data.config.scale_x
    assert not code_export.copy_script(win, "numpy")
    title, text = shown_dialogs[-1]
    assert title == "Cannot export NumPy code" and "scal" in text
    assert code_export.save_script(win, "torch", str(tmp_path / "t.py")) == ""
    assert not os.path.exists(tmp_path / "t.py")


def test_the_gif_options_offer_the_spacings_log_for_a_long_run(qtbot):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QComboBox, QDialog

    from gdstudio.ui.files import dialogs

    seen = {}

    def answer():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QDialog):
            QTimer.singleShot(10, answer)
            return
        combo = dialog.findChild(QComboBox, "gifSpacingCombo")
        seen["default"] = combo.currentData()
        seen["offered"] = [combo.itemData(i) for i in range(combo.count())]
        combo.setCurrentIndex(combo.findData("first"))
        dialog.accept()

    QTimer.singleShot(0, answer)
    options = dialogs.ask_gif_options(None, 5000, 800, exports.GIF_SPACINGS)
    assert seen == {"default": "log", "offered": list(exports.GIF_SPACINGS)}
    assert options is not None and options[3] == "first"


def test_png_size_makes_plots_and_the_window_larger_and_is_kept(win, qtbot, tmp_path,
                                                                 monkeypatch):
    """File › Export › PNG size: 2× draws every plot and the window again at twice the size
    in each direction (sharp text, not enlarged pixels), and the choice is remembered."""
    step(qtbot, win, 5)
    win.export_menu.aboutToShow.emit()  # (filled when it opens)
    sizes = win.findChild(type(win.export_menu), "pngSizeMenu")
    assert sizes is not None
    assert [a.text() for a in sizes.actions()] == ["Screen size", "2× (slides)", "3× (print)",
                                                   "4× (poster)"]
    assert win.action("pngScale1").isChecked()
    plot = win.curve_plot
    one = tmp_path / "one.png"
    win.files.export_plot(plot, "png", str(one))
    win.action("pngScale2").trigger()
    assert win.action("pngScale2").isChecked() and not win.action("pngScale1").isChecked()
    two = tmp_path / "two.png"
    win.files.export_plot(plot, "png", str(two))
    small, large = QImage(str(one)), QImage(str(two))
    assert abs(large.width() - 2 * small.width()) <= 2
    assert abs(large.height() - 2 * small.height()) <= 2
    window = tmp_path / "window.png"
    win.files.export_window(str(window))
    image = QImage(str(window))
    ratio = win.devicePixelRatioF()
    assert (image.width(), image.height()) == (round(win.width() * ratio * 2),
                                               round(win.height() * ratio * 2))
    assert win.files.png_scale == 2
    again = new_window(qtbot, monkeypatch)
    assert again.action("pngScale2").isChecked()  # kept between launches


def test_code_is_written_off_the_gui_thread_and_the_window_stays_live(win, qtbot,
                                                                     monkeypatch):
    """A long script (SymPy printing a large typed f: seconds) never freezes the window: it
    is written by a file task, the GUI thread's timers tick meanwhile."""
    import threading
    import time

    from gdstudio.core import codegen

    real = codegen.numpy_script
    threads: list[threading.Thread] = []

    def slow(config, **kw):  # noqa: ANN001, ANN202
        threads.append(threading.current_thread())
        time.sleep(0.6)
        return real(config, **kw)

    monkeypatch.setattr(codegen, "numpy_script", slow)
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    try:
        assert win.files.copy_script("numpy")
    finally:
        timer.stop()
    assert threads and threads[0] is not threading.main_thread()
    assert len(ticks) >= 10  # the GUI thread ran its event loop while the script was written
    text = QGuiApplication.clipboard().text()
    assert text == real(win.model.run.config, lr_changes=[])
    from PySide6.QtWidgets import QApplication

    assert win.isEnabled() and QApplication.activeModalWidget() is None
