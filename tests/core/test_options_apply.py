"""Issue 13, family 16: no option is silently ignored, and --stop-on-cycle stops where the
cycle is first certain.

One rule for every ``gdstudio run`` option: an option typed for a run it does not change is
refused (exit 2, one line naming the option and what it applies to), as ``--data`` with
``--problem function`` always was.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from gdstudio.cli import build_run_parser, main
from gdstudio.core import FunctionProblem, RunConfig, run
from gdstudio.core.descent.loop import steps
from gdstudio.core.io.session import Session, save_session
from gdstudio.core.race.race import run_race


def cli(capsys, *args):
    code = main(["run", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def csv(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x,y\n1,2\n2,4.1\n3,5.9\n4,8.2\n")
    return str(path)


#: (arguments, the option refused, what it applies to)
REFUSED = [
    (["--x-column", "0"], "--x-column", "--problem regression"),
    (["--y-column", "y"], "--y-column", "--problem regression"),
    (["--skip-bad-rows"], "--skip-bad-rows", "--problem regression"),
    (["--synthetic", "10", "--skip-bad-rows"], "--skip-bad-rows", "--data FILE.csv"),
    (["--seed", "3"], "--seed", "--problem regression"),
    (["--noise", "1"], "--noise", "--problem regression"),
    (["--batch-seed", "2"], "--batch-seed", "--problem regression"),
    (["--momentum", "0.5", "--optimizer", "adam"], "--momentum", "momentum or nesterov"),
    (["--momentum", "0.5"], "--momentum", "momentum or nesterov"),
    (["--beta1", "0.5", "--optimizer", "momentum"], "--beta1", "adam"),
    (["--beta2", "0.5", "--optimizer", "rmsprop"], "--beta2", "adam"),
    (["--alpha", "0.5", "--optimizer", "adam"], "--alpha", "rmsprop"),
    (["--eps", "1e-6", "--optimizer", "nesterov"], "--eps", "adam, rmsprop or adagrad"),
    (["--eps", "1e-6"], "--eps", "adam, rmsprop or adagrad"),
    (["--momentum", "0.5", "--optimizer", "gd,adam"], "--momentum", "momentum or nesterov"),
    (["--alpha", "0.5", "--lr", "0.1,0.2"], "--alpha", "rmsprop"),
    (["--synthetic", "10", "--x-column", "0"], "--x-column", "--data FILE.csv"),
    (["--problem", "regression", "--y-column", "1"], "--y-column", "--data FILE.csv"),
    (["--synthetic", "10", "--batch-seed", "3"], "--batch-seed", "--batch-size N > 0"),
    (["--DATA", "--seed", "3"], "--seed", "--synthetic N"),
    (["--DATA", "--noise", "2"], "--noise", "--synthetic N"),
    (["--device", "cpu"], "--device", "--engine torch"),
]


@pytest.mark.parametrize("args, option, applies", REFUSED)
def test_an_option_that_would_be_ignored_is_refused(capsys, csv, args, option, applies):
    args = [a for b in args for a in (["--data", csv] if b == "--DATA" else [b])]
    code, out, err = cli(capsys, *args, "--epochs", "1")
    assert code == 2 and out == ""
    assert err.startswith(f"gdstudio: error: {option} applies to ") and applies in err
    assert "ignored" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("args, field, value", [
    (["--momentum", "0.5", "--optimizer", "momentum"], "momentum", 0.5),
    (["--momentum", "0.5", "--optimizer", "nesterov"], "momentum", 0.5),
    (["--beta1", "0.5", "--beta2", "0.75", "--optimizer", "adam"], "betas", [0.5, 0.75]),
    (["--alpha", "0.5", "--optimizer", "rmsprop"], "alpha", 0.5),
    (["--eps", "1e-6", "--optimizer", "adagrad"], "eps", 1e-6),
    (["--synthetic", "10", "--seed", "3", "--noise", "2"], "seed", 3),
    (["--problem", "regression", "--noise", "2"], "synthetic", 100),
    (["--synthetic", "10", "--batch-size", "2", "--batch-seed", "3"], "batch_seed", 3),
    (["--engine", "torch", "--device", "cpu"], "device", "cpu"),
])
def test_options_that_apply_are_taken(capsys, args, field, value):
    code, out, err = cli(capsys, *args, "--epochs", "1", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["config"][field] == value


def test_in_a_race_an_option_applies_when_one_lane_uses_it(capsys):
    code, out, err = cli(capsys, "--optimizer", "gd,momentum", "--momentum", "0.5",
                         "--epochs", "2", "--format", "json")
    assert code == 0, err


def test_a_sessions_optimizer_decides_too(capsys, tmp_path):
    path = tmp_path / "s.gdstudio"
    save_session(path, Session(RunConfig(problem=FunctionProblem(), optimizer="adam")))
    code, _out, err = cli(capsys, "--session", str(path), "--momentum", "0.5")
    assert code == 2 and err.startswith("gdstudio: error: --momentum applies to --optimizer "
                                        "momentum or nesterov, not adam")
    code, _out, err = cli(capsys, "--session", str(path), "--beta1", "0.5", "--epochs", "1")
    assert code == 0, err


#: Options that apply to every run (the others are conditional: tested above).
ALWAYS = {"--session", "--problem", "--expr", "--preset", "--x0", "--m0", "--c0", "--data",
          "--synthetic", "--lr", "--epochs", "--engine", "--dtype", "--optimizer",
          "--tol", "--scale-x", "--batch-size", "--stop-on-cycle", "--format", "--help",
          "--explain", "--per-epoch"}  # (their own checks: --explain prints text, no --format;
# --per-epoch needs a race and --format csv: tests/core/test_cli.py)


def test_every_option_is_either_general_or_checked():
    options = {s for a in build_run_parser()._actions for s in a.option_strings
               if s.startswith("--")}
    conditional = {option for _args, option, _applies in REFUSED}
    assert options == ALWAYS | conditional


# --- --stop-on-cycle: the first epoch at which the cycle is certain -------------------------


def _first_certain(rows: np.ndarray, eps: float = float(np.finfo(np.float64).eps)) -> int:
    """The rule, as a plain loop: the first epoch e at which, for some period 2 ≤ p ≤ 32, the
    last 3p + 1 rows repeat every p rows to 4 ulps and the cycle is wider than 64 ulps."""
    for e in range(len(rows)):
        for p in range(2, 33):
            if e + 1 < 3 * p + 1:
                break
            same = all(abs(rows[i] - rows[i - p]) <= 4 * eps * max(abs(rows[i]), abs(rows[i - p]))
                       for i in range(e - 3 * p + p, e + 1))
            cyc = rows[e - p + 1 : e + 1]
            if same and max(cyc) - min(cyc) > 64 * eps * max(abs(cyc)):
                return e
    return -1


def test_the_source_example_stops_at_epoch_6(capsys):
    code, out, err = cli(capsys, "--lr", "1", "--stop-on-cycle", "--epochs", "100")
    assert code == 0
    assert "status: cycling after 6 epochs" in out and "through epoch 6" in out
    # the iterates: 7, −3, 7, … (x ← x − (2x − 4) = 4 − x); 3 periods + 1 row = epochs 0…6
    xs = [7.0]
    for _ in range(6):
        xs.append(4 - xs[-1])
    assert _first_certain(np.array(xs)) == 6


@pytest.mark.parametrize("lr, period", [(0.55, 2), (0.6, 4), (0.65, 16), (0.85, 6)])
@pytest.mark.parametrize("block", [1, 7, 64, 1000])
def test_a_late_cycle_stops_at_its_first_certain_epoch_whatever_the_block(lr, period, block):
    p = FunctionProblem("x**4 - x**2")
    full = run(RunConfig(problem=p, x0=0.3, lr=lr, epochs=3000))  # no stop: every row
    expected = _first_certain(full.params[:, 0])
    assert expected > 30
    config = RunConfig(problem=p, x0=0.3, lr=lr, epochs=3000, stop_on_cycle=True)
    batches = list(steps(config, block=block))
    rows = np.concatenate([b.params for b in batches])
    assert len(rows) - 1 == expected and batches[-1].status == "cycling"
    assert f"period {period} " in batches[-1].message
    assert batches[-1].message.endswith(f"through epoch {expected}")
    np.testing.assert_array_equal(rows, full.params[: expected + 1])
    assert run(config).epochs_run == expected


def test_a_race_lane_stops_at_its_first_certain_epoch():
    p = FunctionProblem("x**4 - x**2")
    lrs = [0.55, 0.6, 0.65, 0.1]
    config = RunConfig(problem=p, x0=0.3, lr=0.6, epochs=3000)
    full = run_race(config, lrs, ["gd"])  # no stop: every lane's every row
    stopped = run_race(config.with_(stop_on_cycle=True), lrs, ["gd"])
    for lr, f, h in zip(lrs, full.histories, stopped.histories, strict=True):
        expected = _first_certain(f.params[:, 0])
        if expected < 0:  # lr 0.1 converges: it runs to its own end as before
            assert h.status == f.status and h.epochs_run == f.epochs_run, lr
            continue
        assert h.status == "cycling" and h.epochs_run == expected, lr
        assert h.message.endswith(f"through epoch {expected}")
        np.testing.assert_array_equal(h.params, f.params[: expected + 1])


def test_a_cycle_certain_early_in_a_block_is_found_even_if_it_breaks_later():
    from gdstudio.core.descent.rules import first_cycle

    rng = np.random.default_rng(5)
    rows = list(rng.normal(size=10))
    rows += [1.0, 2.5, -0.5] * 4  # a 3-cycle: certain after 3 periods + 1 row
    rows += list(rng.normal(size=5))  # … then broken
    rows += [4.0, -4.0] * 6  # a 2-cycle at the block's end
    params = np.array(rows)[:, None]
    expected = _first_certain(params[:, 0])
    assert expected == 10 + 9  # the 3-cycle's rows 10 … 19: 3 periods + 1 row
    e, (period, _pts) = first_cycle(params, 0)
    assert (e, period) == (expected, 3)
    # from a later block start: the first certain row at or after it, the 2-cycle's
    e, (period, _pts) = first_cycle(params, 30)
    assert (e, period) == (27 + 6, 2)
