"""The window's model without Qt: it follows the core's batches and tells its observers.

These tests make no QApplication (the model is plain Python): the batches come from the core's
own Descent and Race, and every number is checked against the core's single runs.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from gdstudio.core import Descent, RunConfig, run
from gdstudio.core.race import Race, make_lanes
from gdstudio.core.race.lanes import RaceSpec
from gdstudio.ui.model.run_model import RunModel
from gdstudio.ui.model.status import status_line


class Recorder:
    def __init__(self, model: RunModel) -> None:
        self.calls: list[tuple] = []
        for name in ("began", "reset", "rows", "lane", "epoch", "state", "lr", "analysis"):
            getattr(model.events, name).connect(
                lambda *args, name=name: self.calls.append((name, *args)))

    def names(self) -> list[str]:
        return [c[0] for c in self.calls]


def test_the_model_imports_no_qt():
    code = ("import sys\nimport gdstudio.ui.model.run_model, gdstudio.ui.model.status\n"
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'shiboken'))]\n"
            "print(bad)\nsys.exit(1 if bad else 0)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_single_run_flows_into_the_model_and_its_events():
    config = RunConfig(lr=0.1, epochs=5)
    model = RunModel()
    seen = Recorder(model)
    model.begin(config, None)
    d = Descent(config)
    model.take_reset(d.initial_batch(), config)
    model.set_state("ready")
    assert model.take_rows(d.advance(2))
    model.apply_lr(2, 0.3)
    d.lr = 0.3
    assert model.take_rows(d.advance(3))
    assert seen.names() == ["began", "reset", "state", "rows", "lr", "rows"]
    assert seen.calls[3] == ("rows", 1, 3) and seen.calls[5] == ("rows", 3, 6)
    np.testing.assert_array_equal(model.run.params, d.history().params)
    assert model.run.finished and model.run.lr_changes[0].lr == 0.3
    # rows out of order are refused and change nothing
    assert not model.take_rows(d.advance(0)) or model.run.n == 6


def test_rows_out_of_order_are_refused():
    config = RunConfig(epochs=5)
    model = RunModel()
    model.begin(config, None)
    d = Descent(config)
    model.take_reset(d.initial_batch(), config)
    d.advance(1)
    assert not model.take_rows(d.advance(1))  # starts at epoch 2, the model has 1 row
    assert model.run.n == 1


def test_a_race_shows_its_selected_lane_as_the_run():
    config = RunConfig(epochs=40)
    spec = RaceSpec(config, tuple(make_lanes(config, [0.1, 0.7, 1.0])))
    model = RunModel()
    seen = Recorder(model)
    model.begin(config, spec)
    race = Race(spec)
    model.take_reset(race.initial_batch(), spec)
    model.take_rows(race.advance(15))
    model.take_rows(race.advance(25))
    model.select_lane(1)
    assert "lane" in seen.names()
    single = run(spec.lane_config(1))
    np.testing.assert_array_equal(model.run.params, single.params)
    assert model.run.status == single.status
    text, _colour = status_line(model)
    assert text.startswith("Race over at epoch 40") and "lr 0.7" in text


def test_the_status_line_says_where_the_run_is_and_how_it_ended():
    config = RunConfig(lr=0.1, epochs=3)
    model = RunModel()
    model.begin(config, None)
    assert status_line(model) == ("Preparing the run…", "")
    assert status_line(model, message_shown=True)[0] == "No run: fix the input shown above"
    d = Descent(config)
    model.take_reset(d.initial_batch(), config)
    model.set_state("ready")
    assert status_line(model)[0] == ("Epoch 0 of 3  ·  x = 7  ·  loss 26  ·  |gradient| 10  ·  "
                                     "press Step or Play")
    model.take_rows(d.advance(3))
    model.set_state("finished")
    text, colour = status_line(model)
    assert "x = 4.56" in text and colour == ""  # max_epochs has no colour
    model.select_epoch(1)
    text, colour = status_line(model)
    assert text.startswith("Viewing epoch 1 of 3") and "x = 6" in text and colour


def test_selecting_an_epoch_is_told_once():
    model = RunModel()
    seen = Recorder(model)
    model.select_epoch(4)
    model.select_epoch(4)
    model.select_epoch(None)
    assert seen.calls == [("epoch", 4), ("epoch", None)]


def test_an_unknown_state_is_refused():
    with pytest.raises(ValueError):
        RunModel().set_state("dancing")
