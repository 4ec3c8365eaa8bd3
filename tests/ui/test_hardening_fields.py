"""Bad values typed into every number field of the window (issue 6, item 1).

Each field of the setup panel is tried with the matrix of values a person (or a cat) may type:
empty, text, NaN, ±inf, negative, zero, huge (1e308) and tiny (1e-320), typed key by key over
the field's text. Each value is either refused, with a message beside the field and Step, Play
and Run to end disabled until it is fixed, or accepted because it means something (a start at
0 or −1, a tolerance of 1e-320, zero epochs …) and then runs. Never a traceback (pytest-qt fails
a test on an exception in a slot), never a Qt warning (``qt_log_level_fail``), never a value
that was refused reaching a run. One test per field, every value in it, every failure listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from hardening_support import (
    assert_plots_finite,
    line_edit,
    press_enter,
    run_buttons,
    type_text,
)
from PySide6.QtWidgets import QAbstractSpinBox, QLabel, QWidget

from gdstudio.core import RunConfig
from gdstudio.ui.panels.control_panel import FUNCTION_TAB, REGRESSION_TAB, SURFACE_TAB
from gdstudio.ui.window.main_window import MainWindow

#: A wait inside the matrix (a few milliseconds when all is well).
STEP_MS = 5_000

#: The matrix's values, as typed.
VALUES = ["", "abc", "nan", "inf", "-inf", "-1", "0", "1e308", "1e-320"]


def _attr(root: object, path: str) -> object:
    for name in path.split("."):
        root = root[name] if isinstance(root, dict) else getattr(root, name)
    return root


def _optimizer(name: str) -> Callable[[MainWindow], None]:
    def setup(win: MainWindow) -> None:
        combo = win.controls.optimizerCombo
        combo.setCurrentIndex(combo.findData(name))
    return setup


def _mini_batches(win: MainWindow) -> None:
    win.controls.regressionOptions.batchSpin.setValue(10)


def _race_rates(win: MainWindow) -> None:
    win.controls.raceSetup.set_mode("lr")


def _run(read: Callable[[RunConfig], object]) -> Callable[[MainWindow], object]:
    """What the window's run uses, read from its configuration."""
    return lambda win: None if win.run_data.config is None else read(win.run_data.config)


def _race_rates_used(win: MainWindow) -> object:
    spec = win.explorer.spec
    return None if spec is None else tuple(lane.lr for lane in spec.lanes)


_first = _run(lambda c: float(c.start_params()[0]))
_second = _run(lambda c: float(c.start_params()[1]))


@dataclass(frozen=True)
class Field:
    widget: str  # attribute path from the control panel
    error: str  # the message label beside it
    tab: int
    used: Callable[[MainWindow], object]  # what the window's run uses
    accepts: dict[str, object] = field(default_factory=dict)  # typed text -> value used
    setup: Callable[[MainWindow], None] | None = None


_START = {"-1": -1.0, "0": 0.0, "1e-320": 1e-320}
_UNIT = {"0": 0.0, "1e-320": 1e-320}  # [0, 1): momentum, β₁, β₂, α

FIELDS = {
    "x0": Field("x0Spin", "x0Error", FUNCTION_TAB, _first, _START),
    # The window's learning rates go from 1e-7 to 10 (its logarithmic slider's range).
    "lr": Field("lrSpin", "lrError", FUNCTION_TAB, _run(lambda c: c.lr)),
    "epochs": Field("epochsSpin", "epochsError", FUNCTION_TAB, _run(lambda c: c.epochs), {"0": 0}),
    "tolerance": Field("tolSpin", "tolError", FUNCTION_TAB, _run(lambda c: c.tol), _UNIT),
    "momentum": Field("optimizerFields.momentumSpin", "optimizerFields.errors.momentum",
                      FUNCTION_TAB, _run(lambda c: c.momentum), _UNIT, _optimizer("momentum")),
    "beta1": Field("optimizerFields.beta1Spin", "optimizerFields.errors.beta1", FUNCTION_TAB,
                   _run(lambda c: c.beta1), _UNIT, _optimizer("adam")),
    "beta2": Field("optimizerFields.beta2Spin", "optimizerFields.errors.beta2", FUNCTION_TAB,
                   _run(lambda c: c.beta2), _UNIT, _optimizer("adam")),
    "alpha": Field("optimizerFields.alphaSpin", "optimizerFields.errors.alpha", FUNCTION_TAB,
                   _run(lambda c: c.alpha), _UNIT, _optimizer("rmsprop")),
    # Empty: torch.optim's default; any finite ε > 0 is a legal (if odd) setting.
    "eps": Field("optimizerFields.epsEdit", "optimizerFields.epsError", FUNCTION_TAB,
                 _run(lambda c: c.eps), {"": None, "1e308": 1e308, "1e-320": 1e-320},
                 _optimizer("adam")),
    "points N": Field("pointsSpin", "pointsError", REGRESSION_TAB, _run(lambda c: c.problem.n)),
    "noise": Field("noiseSpin", "noiseError", REGRESSION_TAB,
                   _run(lambda c: c.problem.synthetic_spec.noise), {"0": 0.0, "1e-320": 1e-320}),
    "seed": Field("seedSpin", "seedError", REGRESSION_TAB,
                  _run(lambda c: c.problem.synthetic_spec.seed), {"0": 0}),
    "m0": Field("m0Spin", "m0Error", REGRESSION_TAB, _run(lambda c: c.m0), _START),
    "c0": Field("c0Spin", "c0Error", REGRESSION_TAB, _run(lambda c: c.c0), _START),
    "batch size": Field("regressionOptions.batchSpin", "regressionOptions.batchError",
                        REGRESSION_TAB, _run(lambda c: c.batch_size), {"0": 0}),
    "batch seed": Field("regressionOptions.seedSpin", "regressionOptions.batchSeedError",
                        REGRESSION_TAB, _run(lambda c: c.batch_seed), {"0": 0}, _mini_batches),
    "surface x0": Field("surfaceTab.x0Spin", "surfaceTab.startError", SURFACE_TAB, _first,
                        _START),
    "surface y0": Field("surfaceTab.y0Spin", "surfaceTab.startError", SURFACE_TAB, _second,
                        _START),
    # The same range as the single learning rate's field.
    "race learning rates": Field("raceSetup.lrsEdit", "raceSetup.lrsError", FUNCTION_TAB,
                                 _race_rates_used, {}, _race_rates),
}


def _check_value(qtbot, win: MainWindow, spec: Field, text: str, good: str) -> list[str]:
    """Type ``text`` into the field; return what went wrong (empty: all as promised)."""
    c = win.controls
    widget: QWidget = _attr(c, spec.widget)  # type: ignore[assignment]
    error: QLabel = _attr(c, spec.error)  # type: ignore[assignment]
    spin = isinstance(widget, QAbstractSpinBox)
    before = spec.used(win)
    problems: list[str] = []

    def fail(why: str) -> None:
        problems.append(f"{text!r}: {why}")

    type_text(qtbot, widget, text)
    if line_edit(widget).text() != text:  # a keystroke dropped without a word
        fail(f"the field shows {line_edit(widget).text()!r}, not what was typed")
    if text in spec.accepts:
        if error.isVisible():
            fail(f"refused ({error.text()!r}) though it means something")
        if spin:
            press_enter(qtbot, widget)
        expected = spec.accepts[text]
        qtbot.waitUntil(lambda: win.controller.state in ("ready", "finished")  # 0 epochs: over
                        and spec.used(win) == expected, timeout=STEP_MS)
        over = win.controller.state == "finished"  # zero epochs: nothing left to run
        if set(run_buttons(win).values()) != {not over} or not win.action("reset").isEnabled():
            fail(f"accepted, but the buttons are {run_buttons(win)} ({win.controller.state})")
        if win.run_data.config.epochs:
            n = win.run_data.n
            win.step()
            qtbot.waitUntil(lambda: win.run_data.n == n + 1 or win.run_data.finished,
                            timeout=STEP_MS)
    else:
        message = error.text()
        if not error.isVisible() or not message:
            fail("refused with no message beside the field")
        elif len(message) > 200 or "Traceback" in message:
            fail(f"an unreadable message: {message!r}")
        if any(run_buttons(win).values()):
            fail(f"refused, but the buttons are {run_buttons(win)}")
        if c.config() is not None:
            fail("refused, but the panel still offers a configuration")
        win.step()  # the shortcuts' slots do nothing either
        win.run_to_end()
        if spin:
            # Enter puts the last good value back: the refused one never reaches a run.
            press_enter(qtbot, widget)
            if line_edit(widget).text() != good or error.isVisible():
                fail(f"after Enter the field shows {line_edit(widget).text()!r}")
        else:
            if not error.isVisible() or any(run_buttons(win).values()):
                fail("the message went away before the text was fixed")
            type_text(qtbot, widget, good)
        qtbot.waitUntil(lambda: all(run_buttons(win).values()), timeout=STEP_MS)
        if error.isVisible():
            fail("fixed, but the message stays")
    qtbot.waitUntil(lambda: win.controller.state in ("ready", "paused", "finished"),
                    timeout=STEP_MS)
    if text not in spec.accepts and spec.used(win) != before:
        fail(f"refused, yet the run uses {spec.used(win)!r}")
    assert_plots_finite(win)
    # Back to the field's good value for the next one.
    if line_edit(widget).text() != good:
        type_text(qtbot, widget, good)
        if spin:
            press_enter(qtbot, widget)
        qtbot.waitUntil(lambda: spec.used(win) == before and win.controller.state == "ready",
                        timeout=STEP_MS)
    return problems


@pytest.mark.parametrize("name", list(FIELDS))
def test_every_value_in_the_matrix(window, qtbot, shown_dialogs, name):
    spec = FIELDS[name]
    win = window
    win.controls.problemTabs.setCurrentIndex(spec.tab)
    if spec.setup is not None:
        spec.setup(win)
    qtbot.waitUntil(lambda: win.controller.state == "ready" and win.run_data.n == 1
                    and win.controls.config() is not None and win.run_data.config is not None
                    and (win.explorer.spec is None) == (win.controls.race() is None),
                    timeout=STEP_MS)
    widget = _attr(win.controls, spec.widget)
    assert widget.isVisible(), f"{name}: the field is not on screen"
    good = line_edit(widget).text()
    problems: list[str] = []
    for text in VALUES:
        problems += _check_value(qtbot, win, spec, text, good)
    assert not problems, f"{name}:\n" + "\n".join(problems)
    assert shown_dialogs == []  # answered beside the field, never by a dialog
