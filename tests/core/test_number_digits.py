"""Digits that are there: each dtype printed with its own shortest round-trip digits, and
enough digits beside a verdict to support it (issue 13, family 18)."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from gdstudio.cli import main
from gdstudio.core import FunctionProblem, RunConfig, run
from gdstudio.core.analysis import classify
from gdstudio.core.io.export import to_csv, to_json, to_table
from gdstudio.core.numbers import digits_apart, exact_text, json_number, readable_text


def cli(capsys, *args):
    code = main(["run", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _shortest32(v: float) -> str:
    """An independent shortest round-trip search for a float32: the fewest significant digits
    (in %g form) that read back, rounded to float32, as the same float32."""
    f = np.float32(v)
    for d in range(1, 10):
        text = f"{float(f):.{d}g}"
        if np.float32(float(text)) == f:
            return text
    raise AssertionError(v)


@pytest.mark.parametrize("value", [6.9, 0.1, 1 / 3, 25.01, 1e-7, 3.4e38, -2.5e-12, 123456.79])
def test_float32_values_get_float32_digits(value):
    f = float(np.float32(value))
    text = exact_text(f, "float32")
    assert np.float32(float(text)) == np.float32(f)  # it reads back
    assert float(text) == float(_shortest32(f))  # and is the shortest that does
    assert float(json.dumps(json_number(f, "float32"))) == float(text)
    assert readable_text(f, "float32") == text
    assert exact_text(f, "float64") == repr(f)  # float64 keeps repr


def test_float32_run_prints_no_float64_digits(capsys):
    args = ("--x0", "6.9", "--lr", "0.1", "--epochs", "3", "--dtype", "float32")
    code, out, _ = cli(capsys, *args, "--format", "csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[1] == ["0", "6.9", "25.01", "9.8"]  # not 6.900000095367432
    h = run(RunConfig(problem=FunctionProblem(), x0=6.9, lr=0.1, epochs=3, dtype="float32"))
    want = np.column_stack([h.params, h.loss, h.grad])
    for r, w in zip(rows[1:], want, strict=True):
        assert all(len(c.replace("-", "").replace(".", "").lstrip("0")) <= 9 for c in r[1:])
        assert [c for c in r[1:]] == [_shortest32(v) if "e" not in _shortest32(v) else c
                                      for v, c in zip(w, r[1:], strict=True)]
        assert np.array_equal(np.array([float(c) for c in r[1:]], dtype=np.float32),
                              w.astype(np.float32))
    code, out, _ = cli(capsys, *args, "--format", "json")
    steps = json.loads(out)["steps"]
    assert steps[0]["x"] == 6.9 and steps[1]["x"] == float(_shortest32(want[1, 0]))
    code, out, _ = cli(capsys, *args)
    assert "6.90000009537" not in out and "25.0100002289" not in out
    # the exports of the window use the same writers
    assert "6.900000095" not in to_csv(h) + to_json(h) + to_table(h)


def test_float32_race_prints_float32_digits(capsys):
    code = main(["run", "--x0", "6.9", "--lr", "0.1,0.3", "--epochs", "5", "--dtype", "float32",
                 "--format", "csv"])
    out, _ = capsys.readouterr()
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    for r in rows[1:]:
        for cell in r[5:]:
            assert np.float32(float(cell)) == np.float32(float(cell)) and float(cell) == float(
                _shortest32(float(cell)))


def test_digits_apart_tells_different_numbers_apart():
    assert digits_apart(1.0000000001, 1.0) == 11
    assert digits_apart(0.1, 2.0) == 6
    assert digits_apart(1.0, 1.0) == 6


@pytest.mark.parametrize("lr", [1.0000001, 1.00000000001, 0.99999999])
def test_a_verdict_never_stands_beside_numbers_that_read_alike(capsys, lr):
    code, out, _ = cli(capsys, "--x0", "7", "--lr", repr(lr), "--epochs", "2")
    assert code == 0
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("lr = "))
    lr_text = line.split("lr = ")[1].split(" is ")[0]
    assert float(lr_text) != 1.0  # the critical lr of x² − 4x + 5 is 2/2 = 1
    assert "× -1 per epoch" not in line  # |factor| = 1 is neither diverging nor converging
    regime = classify(lr, 2.0)
    if regime.kind == "diverging":
        crit_text = regime.description.split("2/h = ")[1].split(":")[0]
        assert float(lr_text) > float(crit_text) or float(crit_text) == 1.0


def test_race_lanes_are_labelled_with_the_digits_that_tell_them_apart():
    from gdstudio.core.race.lanes import RaceSpec, make_lanes

    config = RunConfig(problem=FunctionProblem(), x0=7.0)
    spec = RaceSpec(config, tuple(make_lanes(config, lrs=[0.1, 0.1000001, 0.3])))
    assert spec.labels() == ["lr 0.1", "lr 0.1000001", "lr 0.3"]


def test_a_cycle_is_printed_with_points_that_differ():
    # a 2-cycle around a large minimum: at 6 digits both points read 1e+06
    h = run(RunConfig(problem=FunctionProblem("(x - 1000000)**2"), x0=1000000.0001, lr=1.0,
                      epochs=200))
    assert h.status == "cycling"
    shown = h.message.split("(x: ")[1].split(")")[0].split(", ")
    assert len(set(shown)) == 2
    assert sorted(float(v) for v in shown) == pytest.approx(
        sorted({float(v) for v in h.params[-2:, 0]}), rel=1e-9)


def test_the_status_line_of_a_float32_run_shows_float32_digits():
    # the window's status line (pure model, no Qt): loss 6.9, not 6.9000001 (8 digits of
    # float32(6.9)'s float64 image 6.90000009537)
    from gdstudio.core import Descent
    from gdstudio.ui.model.run_model import RunModel
    from gdstudio.ui.model.status import status_line

    config = RunConfig(problem=FunctionProblem("x**2 + 6.9"), x0=1.0, lr=0.1, epochs=3,
                       dtype="float32")
    model = RunModel()
    model.begin(config, None)
    d = Descent(config)
    model.take_reset(d.initial_batch(), config)
    model.set_state("ready")
    text = status_line(model)[0]
    assert "x = 1  ·  loss 7.9  ·" in text, text  # float32(7.9): 7.9000001 at 8 digits
    model.take_rows(d.advance(3))
    model.set_state("finished")
    text = status_line(model)[0]
    loss = text.split("loss ")[-1]
    assert np.float32(float(loss)) == np.float32(float(run(config).loss[-1]))
    assert len(loss.replace(".", "")) <= 9
