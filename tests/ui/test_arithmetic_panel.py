"""The arithmetic panel (issue 15, item 3): the update that led to the row looked at, with the
history table's numbers, following the slider; in the window as ``updateArithmetic``."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import QDockWidget, QMenu, QPlainTextEdit

from gdstudio.core import Descent, FunctionProblem, RegressionProblem, RunConfig
from gdstudio.core.arithmetic import subscript
from gdstudio.core.descent.optimizers import OPTIMIZERS
from gdstudio.ui.model.run_model import RunModel
from gdstudio.ui.panels.arithmetic import ArithmeticPanel
from gdstudio.ui.panels.history import HistoryModel

PROBLEMS = {
    "function": (FunctionProblem(), 0.1, 0.3),
    "surface": (FunctionProblem.preset("bowl"), 0.04, 0.3),
    "regression": (RegressionProblem.synthetic(), 1e-4, 0.5),
    "scaled x": (RegressionProblem.synthetic(), 0.05, 0.05),
    "mini-batch": (RegressionProblem.synthetic(), 1e-4, 0.05),
}


def _cell(table: HistoryModel, row: int, column: int) -> str:
    """A cell of the history table as it prints its exact value (its tooltip)."""
    return table.index(row, column).data(Qt.ItemDataRole.ToolTipRole)


def _feed(model: RunModel, config: RunConfig, epochs: int) -> None:
    d = Descent(config)
    model.begin(config, None)
    model.take_reset(d.initial_batch(), config)
    while not d.finished and model.run.n <= epochs:
        model.take_rows(d.advance(2))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", list(PROBLEMS))
@pytest.mark.parametrize("engine", ["manual", "torch"])
def test_the_panel_shows_the_history_tables_numbers(qtbot, engine, kind, dtype):
    problem, plain, adaptive = PROBLEMS[kind]
    model = RunModel()
    panel = ArithmeticPanel(model)
    qtbot.addWidget(panel)
    table = HistoryModel(model.run)
    for optimizer in OPTIMIZERS:
        lr = adaptive if optimizer in ("adam", "rmsprop", "adagrad") else plain
        config = RunConfig(problem=problem, lr=lr, epochs=6, engine=engine, dtype=dtype,
                           optimizer=optimizer, scale_x=kind == "scaled x",
                           batch_size=16 if kind == "mini-batch" else 0)
        _feed(model, config, 6)
        table.reset(model.run)
        names = model.run.param_names
        k = len(names)
        assert model.run.n == 7
        for t in (6, 1, 4, 0, 5):  # the slider, forwards and back
            model.select_epoch(t)
            text = panel.toPlainText()
            assert "replay" not in text and "this gives" not in text, text
            if t == 0:
                assert text.startswith(f"{names[0]}₀ = {_cell(table, 0, 1)}")
                continue
            if kind == "mini-batch":  # the epoch's batch updates, then the row
                sub = subscript(t)
                assert (f"m{sub} = {_cell(table, t, 1)}, c{sub} = {_cell(table, t, 2)}: the row"
                        in text), text
                assert f"    m = {_cell(table, t - 1, 1)} − " in text or (
                    f"    m: {_cell(table, t - 1, 1)} → " in text), text
                continue
            for j, name in enumerate(names):
                line = next(ln for ln in text.splitlines()
                            if ln.startswith(f"{name}{subscript(t)} = "))
                operands, final = line.split(" = ")[-2:]
                assert final == _cell(table, t, 1 + j), line
                if kind == "scaled x":  # (the update runs on m′, c′: the rows do not hold them)
                    continue
                assert operands.split(" − ")[0] == _cell(table, t - 1, 1 + j), line
                if optimizer in ("gd", "sgd", "rmsprop", "adagrad"):
                    g = operands.split(" × ")[1].split(" / ")[0].strip("()")
                    assert g == _cell(table, t - 1, 2 + k + j), line
        model.select_epoch(None)  # the newest row again
        if kind != "mini-batch":
            last = -1 if optimizer != "sgd" or kind == "scaled x" else -2
            assert panel.toPlainText().splitlines()[last].endswith(_cell(table, 6, k))


def test_a_float32_run_is_printed_with_float32_digits_in_the_table_too(qtbot):
    """The history shows what a float32 run holds, as the arithmetic prints it: 5.2, not the
    float64 digits of the float32 nearest 5.2 (5.199999809265137, 5.199999809 to 10 digits)."""
    model = RunModel()
    table = HistoryModel(model.run)
    config = RunConfig(problem=FunctionProblem(), x0=7.0, lr=0.1, epochs=5, dtype="float32")
    _feed(model, config, 5)
    table.reset(model.run)
    value = table.index(2, 1).data(Qt.ItemDataRole.UserRole)
    assert value == float(np.float32(5.2)) and repr(value) == "5.199999809265137"
    assert table.index(2, 1).data() == "5.2"
    assert table.index(2, 1).data(Qt.ItemDataRole.ToolTipRole) == "5.2"
    assert np.float32(table.index(3, 3).data(Qt.ItemDataRole.ToolTipRole)) == np.float32(
        table.index(3, 3).data(Qt.ItemDataRole.UserRole))  # reads back as the same float32
    f64 = config.with_(dtype="float64")
    _feed(model, f64, 5)
    table.reset(model.run)
    assert table.index(3, 1).data(Qt.ItemDataRole.ToolTipRole) == "4.5600000000000005"
    assert table.index(3, 1).data() == "4.56"


def test_in_the_window_it_follows_the_run_and_the_slider(window, qtbot):
    panel = window.findChild(QPlainTextEdit, "updateArithmetic")
    assert panel is not None and panel.isReadOnly() and panel.isVisible()
    dock = window.findChild(QDockWidget, "arithmeticDock")
    assert dock.isVisible()
    menus = window.menuBar().findChildren(QMenu)
    assert dock.toggleViewAction() in [a for m in menus for a in m.actions()]  # View › Arithmetic
    qtbot.waitUntil(lambda: panel.toPlainText().startswith("x₀ = 7.0: the start"))
    for _ in range(3):
        n = window.run_data.n
        window.step()
        qtbot.waitUntil(lambda n=n: window.run_data.n == n + 1)
    qtbot.waitUntil(lambda: "x₃ = x₂" in panel.toPlainText())
    assert "x₃ = x₂ − r·f′(x₂) = 5.2 − 0.1 × 6.4 = 4.56" in panel.toPlainText()
    assert panel.toPlainText() == "x₃ = x₂ − r·f′(x₂) = 5.2 − 0.1 × 6.4 = 4.5600000000000005"
    qtbot.waitUntil(lambda: window.scrubber.slider.maximum() == 3)  # (drawn at the next frame)
    window.scrubber.slider.setValue(1)  # as if dragged
    assert panel.toPlainText() == "x₁ = x₀ − r·f′(x₀) = 7.0 − 0.1 × 10.0 = 6.0"
    window.scrubber.slider.setValue(0)
    assert panel.toPlainText().startswith("x₀ = 7.0: the start")
    # plain text only: markup in it would be shown as characters (it is a plain-text field)
    assert panel.document().toPlainText() == panel.toPlainText()


def test_readable_and_not_clipped_at_1024_by_768(window, qtbot):
    window.resize(1024, 768)
    window.reset_layout()
    window.resize(1024, 768)
    panel = window.findChild(QPlainTextEdit, "updateArithmetic")
    for _ in range(3):
        n = window.run_data.n
        window.step()
        qtbot.waitUntil(lambda n=n: window.run_data.n == n + 1)
    qtbot.waitUntil(lambda: "x₃ = x₂" in panel.toPlainText())
    qtbot.wait(50)
    assert QFontInfo(panel.font()).fixedPitch() or "mono" in panel.font().family().lower()
    assert QFontInfo(panel.font()).pointSizeF() >= QFontInfo(window.font()).pointSizeF()
    viewport = panel.viewport()
    assert viewport.height() >= 2 * panel.fontMetrics().lineSpacing()
    # the whole update fits: lines wrap at the width, no horizontal scrolling, nothing hidden
    assert panel.horizontalScrollBar().maximum() == 0
    doc_height = panel.document().size().height()  # in lines, for a plain-text document
    assert doc_height * panel.fontMetrics().lineSpacing() <= viewport.height()
    assert panel.width() >= 200


def test_a_run_made_again_to_explain_it_waits_for_a_pause(qtbot):
    """Mini-batches (and feature scaling) are explained by making the run again: not on the
    GUI thread while the run plays, but as soon as it pauses."""
    model = RunModel()
    panel = ArithmeticPanel(model)
    qtbot.addWidget(panel)
    config = RunConfig(problem=RegressionProblem.synthetic(), lr=1e-4, epochs=6, batch_size=16)
    _feed(model, config, 6)
    model.set_state("playing")
    model.select_epoch(3)
    assert panel.toPlainText() == ("epoch 3: the update's arithmetic is shown when the run is "
                                   "paused (with feature scaling or mini-batches it makes the "
                                   "run again)")
    model.set_state("paused")
    assert panel.toPlainText().startswith("epoch 3: 7 updates, one per batch of 16")
    plain = RunConfig(problem=RegressionProblem.synthetic(), lr=1e-4, epochs=6)
    _feed(model, plain, 6)
    model.set_state("playing")
    model.select_epoch(3)
    assert panel.toPlainText().splitlines()[-1].startswith("c₃ = c₂ − r·d_c = ")
