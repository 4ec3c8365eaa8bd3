"""Races: K lanes batched in one set of array operations, each equal to its own single run."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from gdstudio.cli import main
from gdstudio.core import ConfigError, FunctionProblem, RegressionProblem, RunConfig, run
from gdstudio.core.race import SOURCE_LEARNING_RATES, Race, make_lanes, run_race


@pytest.mark.parametrize("engine", ["manual", "torch"])
def test_race_lanes_equal_single_runs(engine):
    cfg = RunConfig(epochs=60, engine=engine)
    r = run_race(cfg, SOURCE_LEARNING_RATES)
    for lr, h in zip(SOURCE_LEARNING_RATES, r.histories):
        single = run(cfg.with_(lr=lr))
        assert h.status == single.status and h.epochs_run == single.epochs_run
        np.testing.assert_allclose(h.params, single.params, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(h.loss, single.loss, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(h.grad, single.grad, rtol=1e-13, atol=1e-15)


def test_the_source_five_rates_summary_matches_the_source():
    r = run_race(RunConfig(epochs=2000), SOURCE_LEARNING_RATES)
    by_lr = {s.lr: s for s in r.summaries}
    # 0.01 needs far more iterations than 0.1, and 0.3 gets there faster still
    def reach(lr):
        h = r.histories[SOURCE_LEARNING_RATES.index(lr)]
        return int(np.argmax(np.abs(h.params[:, 0] - 2) <= 1e-6))
    assert reach(0.01) > reach(0.1) > reach(0.3)
    assert by_lr[0.7].status == "converged"  # overshoots, still converges
    assert np.any(r.histories[3].params[:, 0] < 2)  # it did overshoot
    assert by_lr[1.0].status == "cycling" and by_lr[1.0].epochs_to_tol is None
    assert by_lr[1.0].final_loss == 26.0  # never reaches the minimum
    assert by_lr[0.3].epochs_to_tol is not None and by_lr[0.3].final_loss == 1.0


@pytest.mark.parametrize("engine", ["manual", "torch"])
def test_optimizer_race_equals_single_runs(engine):
    cfg = RunConfig(problem=FunctionProblem.preset("rosenbrock"), lr=0.001, epochs=300, engine=engine)
    names = ["gd", "momentum", "nesterov", "adam", "rmsprop", "adagrad"]
    r = run_race(cfg, None, names)
    assert [s.optimizer for s in r.summaries] == names
    for name, h in zip(names, r.histories):
        single = run(cfg.with_(optimizer=name))
        np.testing.assert_allclose(h.params, single.params, rtol=1e-9, atol=1e-12)


def test_regression_race_with_chunked_torch_loss():
    problem = RegressionProblem.synthetic(n=3000, seed=2)
    cfg = RunConfig(problem=problem, epochs=20, engine="torch")
    from gdstudio.core import race as race_mod

    old = race_mod._BatchedTorch.CHUNK
    race_mod._BatchedTorch.CHUNK = 1000  # force the chunked path
    try:
        r = run_race(cfg, [1e-5, 1e-4, 1e-2])
    finally:
        race_mod._BatchedTorch.CHUNK = old
    for lr, h in zip([1e-5, 1e-4, 1e-2], r.histories):
        single = run(cfg.with_(lr=lr, engine="manual"))
        assert h.status == single.status
        np.testing.assert_allclose(h.params, single.params, rtol=1e-10)


def test_stopped_lanes_stay_frozen_and_race_advances_in_blocks():
    race = Race(RunConfig(epochs=100), make_lanes(RunConfig(), [0.5, 0.1, 1.5]))
    first = race.initial_batch()
    assert first.params.shape == (1, 3, 1)
    while not race.finished:
        b = race.advance(7)
        assert b.params.shape[1:] == (3, 1)
    assert race.statuses == ["converged", "max_epochs", "diverged"]
    assert race.history(0).epochs_run == 1  # lr 0.5 lands on 2 in one step
    assert race.history(2).epochs_run < 100


def test_race_validation():
    with pytest.raises(ConfigError):
        make_lanes(RunConfig(), [0.1, -1.0])
    with pytest.raises(ConfigError):
        make_lanes(RunConfig(), [0.1], ["gd", "lbfgs"])
    with pytest.raises(ConfigError, match="at most"):
        make_lanes(RunConfig(), list(np.linspace(0.01, 1, 2000)))


def test_cli_race_prints_one_row_per_rate(capsys):
    assert main(["run", "--lr", "0.01,0.1,0.3,0.7,1", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [float(r["lr"]) for r in rows] == list(SOURCE_LEARNING_RATES)
    assert [r["status"] for r in rows][-1] == "cycling"
    assert main(["run", "--optimizer", "gd,adam", "--format", "json", "--epochs", "5"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert [lane["optimizer"] for lane in d["lanes"]] == ["gd", "adam"]
    assert len(d["lanes"][0]["steps"]) == 6
    assert main(["run", "--lr", "0.1,0.3"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:3] == ["lr", "optimizer", "status"]


def test_rows_after_a_lane_stops_repeat_its_last_row():
    race = Race(RunConfig(epochs=40), make_lanes(RunConfig(), [0.5, 0.1, 1.5]))
    batch = race.advance(40)  # one block: lane 0 lands on 2 at epoch 1, lane 2 diverges
    assert batch.done == (True, False, True) or race.finished
    for j in (0, 2):
        n = race.lengths[j]
        rows = batch.params[n - 1 - batch.start :, j] if n - 1 >= batch.start else batch.params[:, j]
        assert np.all(rows == race.history(j).params[-1])


def test_race_batches_say_which_lanes_run():
    race = Race(RunConfig(epochs=100), make_lanes(RunConfig(), [0.5, 0.01]))
    b = race.advance(5)
    assert b.statuses == ("converged", "running") and b.done == (True, False)
    assert b.messages[0].startswith("converged") and b.messages[1] == ""


def test_race_stop_on_cycle():
    cfg = RunConfig(epochs=10_000, stop_on_cycle=True)
    race = Race(cfg, make_lanes(cfg, [1.0, 0.7])).run_to_end()
    assert race.statuses[0] == "cycling" and race.lengths[0] < 10_000
