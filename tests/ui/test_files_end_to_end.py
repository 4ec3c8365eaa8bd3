"""The whole story: a person loads their CSV, fits it, exports a GIF and a script, saves the
session, quits; a new window reopens it and everything is as they left it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from files_support import (
    history_arrays,
    import_csv,
    new_window,
    open_session,
    parse_csv,
    run_to_end,
    set_lr_mid_run,
    settle,
    step,
)

from gdstudio.core import RegressionProblem
from gdstudio.core.io.session import load_session
from gdstudio.ui.files import dialogs


# pyqtgraph's AxisItem.updateAutoSIPrefix computes 10**range of the old (linear) range when the
# loss plot switches to log mode; with losses above ~300 NumPy warns of the overflow (harmless:
# the prefix is recomputed from the new range). Reported; not this feature's to fix.
@pytest.mark.filterwarnings("ignore:overflow encountered in power:RuntimeWarning")
def test_load_fit_export_save_quit_reopen(qtbot, monkeypatch, tmp_path):
    # --- their data: a semicolon file with a header, decimal commas, and some noise
    rng = np.random.default_rng(3)
    x = np.round(rng.uniform(0, 40, 250), 3)
    y = np.round(1.8 * x + 32 + rng.normal(0, 3, x.size), 3)
    csv = tmp_path / "temperatures.csv"
    csv.write_text("celsius;fahrenheit\n" + "".join(
        f"{a};{b}\n".replace(".", ",") for a, b in zip(x, y, strict=True)))

    win = new_window(qtbot, monkeypatch)
    assert import_csv(qtbot, win, csv) == ("loaded", "")
    settle(qtbot, win)
    problem = win.run_data.config.problem
    assert isinstance(problem, RegressionProblem) and problem.n == 250
    np.testing.assert_array_equal(problem.x, x)

    # --- fit it: a careful rate, a few steps, a bolder rate, then to the end
    c = win.controls
    c.lrSpin.setValue(1e-3)
    c.epochsSpin.setValue(400)
    c.optimizerCombo.setCurrentIndex(c.optimizerCombo.findData("momentum"))
    settle(qtbot, win)
    step(qtbot, win, 10)
    set_lr_mid_run(qtbot, win, 2e-3)
    run_to_end(qtbot, win)
    win.action("logScale").setChecked(True)
    c.set_speed(50)
    settle(qtbot, win)
    assert win.isWindowModified()

    # --- export a GIF and a script
    gif = win.files.export_gif(str(tmp_path / "fit.gif"), frames=25, width=400)
    with qtbot.waitSignal(gif.finished, timeout=60_000) as done:
        pass
    assert done.args[0] == "saved"
    from PIL import Image

    with Image.open(tmp_path / "fit.gif") as im:
        assert im.n_frames == 25 and im.size[0] == 400

    script = tmp_path / "fit_numpy.py"
    monkeypatch.setattr(dialogs, "ask_save_path", lambda *a: str(script))
    win.action("saveNumPy").trigger()
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    header, rows = parse_csv(out.stdout)
    assert header == ["epoch", "m", "c", "loss", "grad_m", "grad_c"]
    np.testing.assert_allclose(rows[:, 1:3], win.run_data.params, rtol=1e-9)
    np.testing.assert_allclose(rows[:, 3], win.run_data.loss, rtol=1e-9)

    # --- save the session, and quit
    session_path = tmp_path / "temperatures.gdstudio"
    monkeypatch.setattr(dialogs, "ask_save_path", lambda *a: str(session_path))
    win.action("save").trigger()  # Save on an untitled window: Save As
    assert not win.isWindowModified()
    assert win.windowTitle() == "temperatures.gdstudio[*] — Gradient Descent Studio"
    left = {
        "config": win.run_data.config.to_dict(),
        "history": history_arrays(win),
        "status": (win.run_data.status, win.run_data.message),
        "lr_changes": list(win.run_data.lr_changes),
        "lr": c.lrSpin.value(),
        "log": win.action("logScale").isChecked(),
        "speed": c.speed(),
        "ui": load_session(session_path).ui,
    }
    asked = []
    monkeypatch.setattr(dialogs, "ask_save_changes", lambda *a: asked.append(a) or "cancel")
    assert win.close()  # nothing unsaved: no question
    assert not asked and not win.controller.running

    # --- a new window: the setup is the one left (remembered), then the session reopens
    again = new_window(qtbot, monkeypatch)
    assert again.controls.csvRadio.isChecked()
    assert again.run_data.config.problem.n == 250 and again.run_data.n == 1
    assert again.windowTitle().startswith("Untitled")
    monkeypatch.setattr(dialogs, "ask_open_path", lambda *a: str(session_path))
    recent = again.files.sessions.recent()
    assert recent and recent[0] == str(session_path)
    assert open_session(qtbot, again, session_path)

    config = again.run_data.config
    assert config.to_dict() == left["config"]
    np.testing.assert_array_equal(config.problem.x, x)
    np.testing.assert_array_equal(config.problem.y, y)
    for now, then in zip(history_arrays(again), left["history"], strict=True):
        np.testing.assert_array_equal(now, then)
    assert (again.run_data.status, again.run_data.message) == left["status"]
    assert again.run_data.lr_changes == left["lr_changes"]
    assert again.controls.lrSpin.value() == left["lr"]
    assert again.action("logScale").isChecked() == left["log"]
    assert again.controls.speed() == left["speed"]
    assert again.files.ui_state.collect() == left["ui"]
    assert again.controller.state == "finished"
    assert again.windowTitle() == "temperatures.gdstudio[*] — Gradient Descent Studio"
    assert not again.isWindowModified() and again.message_bar.text == ""
