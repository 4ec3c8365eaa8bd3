"""The history table's model: backed by the run's arrays, one insert per batch."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from gdstudio.core import Descent, FunctionProblem, RegressionProblem, RunConfig
from gdstudio.ui.model.run_data import RunData
from gdstudio.ui.panels.history import HistoryModel, HistoryView


def test_one_insert_per_batch_and_values_from_the_arrays(qtbot):
    config = RunConfig(problem=FunctionProblem(), x0=7.0, lr=0.1, epochs=100_000)
    d = Descent(config)
    data = RunData()
    data.reset(config, ("x",))
    data.append(d.initial_batch())
    model = HistoryModel(data)
    view = HistoryView(model)
    qtbot.addWidget(view)
    inserts = []
    model.rowsInserted.connect(lambda parent, first, last: inserts.append((first, last)))
    for size in (1, 10, 50_000):
        data.append(d.advance(size))
        model.rows_appended()
    assert inserts == [(1, 1), (2, 11), (12, 50_011)]
    assert model.rowCount() == 50_012
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(4)] == [
        "epoch", "x", "loss", "f′(x)"]
    h = d.history()
    row = 50_011
    assert model.index(row, 0).data() == "50,011"
    assert model.index(row, 1).data(Qt.ItemDataRole.UserRole) == h.params[row, 0]
    assert model.index(row, 2).data(Qt.ItemDataRole.UserRole) == h.loss[row]
    assert model.index(row, 3).data(Qt.ItemDataRole.UserRole) == h.grad[row, 0]
    assert model.index(row, 1).data(Qt.ItemDataRole.ToolTipRole) == repr(float(h.params[row, 0]))
    model.rows_appended()  # nothing new: nothing announced
    assert len(inserts) == 3


def test_regression_columns_and_reset(qtbot):
    config = RunConfig(problem=RegressionProblem.synthetic(), lr=1e-4, epochs=5)
    d = Descent(config)
    data = RunData()
    data.reset(config, ("m", "c"))
    data.append(d.initial_batch())
    model = HistoryModel()
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    model.reset(data)
    assert resets == [1]
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)] == [
        "epoch", "m", "c", "loss", "∂L/∂m", "∂L/∂c"]
    assert model.columnCount() == 6 and model.rowCount() == 1
    assert model.index(0, 4).data(Qt.ItemDataRole.UserRole) == d.history().grad[0, 0]


def test_a_float32_run_shows_float32_digits(qtbot):
    # issue 13 family 18: 6.9 in float32 is 6.9, not its float64 image 6.900000095367432
    config = RunConfig(problem=FunctionProblem(), x0=6.9, lr=0.1, epochs=5, dtype="float32")
    d = Descent(config)
    data = RunData()
    data.reset(config, ("x",))
    data.append(d.initial_batch())
    data.append(d.advance(5))
    model = HistoryModel(data)
    assert model.index(0, 1).data() == "6.9"
    assert model.index(0, 1).data(Qt.ItemDataRole.ToolTipRole) == "6.9"
    assert model.index(0, 2).data(Qt.ItemDataRole.ToolTipRole) == "25.01"
    for row in range(6):
        for column in (1, 2, 3):
            tip = model.index(row, column).data(Qt.ItemDataRole.ToolTipRole)
            value = model.index(row, column).data(Qt.ItemDataRole.UserRole)
            assert np.float32(float(tip)) == np.float32(value) and len(tip) <= 12


def test_the_analysis_panel_tells_lr_from_the_critical_lr(qtbot):
    # lr = 1.0000001 on x² − 4x + 5 (2/h = 1) diverges: the panel must not read "lr = 1"
    from gdstudio.core.theory import theory_of
    from gdstudio.ui.panels.analysis import AnalysisPanel

    panel = AnalysisPanel()
    qtbot.addWidget(panel)
    config = RunConfig(problem=FunctionProblem("x**2 - 4*x + 5"), x0=7.0, lr=1.0000001)
    panel.set_config(config, theory_of(config))
    text = panel.text()
    assert "lr = 1.0000001" in text and "2/h = 1" in text
    assert "× -1 per" not in text and "× −1 per" not in text


def test_the_epoch_column_is_as_wide_as_the_runs_last_epoch_needs(qtbot):
    """It was ten million's width whatever the run: at 1024 × 768 a 2-D run's gradient
    columns sat behind the scroll bar while "200" took 80 pixels."""
    widths = {}
    for epochs in (200, 5_000_000):
        config = RunConfig(problem=FunctionProblem.preset("rosenbrock"), x0=(-1.2, 1.0),
                           lr=0.001, epochs=epochs)
        data = RunData()
        data.reset(config, ("x", "y"))
        data.append(Descent(config).initial_batch())
        view = HistoryView(HistoryModel(data))
        qtbot.addWidget(view)
        widths[epochs] = view.columnWidth(0)
        fm = view.fontMetrics()
        assert widths[epochs] >= fm.horizontalAdvance(f"{epochs:,}")
        assert widths[epochs] >= view.horizontalHeader().fontMetrics().horizontalAdvance("epoch")
    assert widths[200] < view.fontMetrics().horizontalAdvance("10,000,000")
    assert widths[200] < widths[5_000_000]
    # rows past the plan (a resumed run's) widen it as their epochs need
    small = config.with_(epochs=200)
    data.reset(small, ("x", "y"))
    d = Descent(config)
    data.append(d.initial_batch())
    model = view.model()
    model.reset(data)
    before = view.columnWidth(0)
    data.append(d.advance(20_000))
    model.rows_appended()
    assert view.columnWidth(0) > before
    assert view.columnWidth(0) >= view.fontMetrics().horizontalAdvance("20,000")
