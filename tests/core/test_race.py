"""Races: K lanes batched in one set of array operations, each equal to its own single run."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from gdstudio.cli import main
from gdstudio.core import ConfigError, FunctionProblem, RegressionProblem, RunConfig, run
from gdstudio.core.race.lanes import SOURCE_LEARNING_RATES, make_lanes
from gdstudio.core.race.race import Race, run_race


@pytest.mark.parametrize("engine", ["manual", "torch"])
def test_race_lanes_equal_single_runs(engine):
    cfg = RunConfig(epochs=60, engine=engine)
    r = run_race(cfg, SOURCE_LEARNING_RATES)
    for lr, h in zip(SOURCE_LEARNING_RATES, r.histories, strict=True):
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
    cfg = RunConfig(problem=FunctionProblem.preset("rosenbrock"), lr=0.001, epochs=300,
                    engine=engine)
    names = ["gd", "momentum", "nesterov", "adam", "rmsprop", "adagrad"]
    r = run_race(cfg, None, names)
    assert [s.optimizer for s in r.summaries] == names
    for name, h in zip(names, r.histories, strict=True):
        single = run(cfg.with_(optimizer=name))
        np.testing.assert_allclose(h.params, single.params, rtol=1e-9, atol=1e-12)


def test_regression_race_with_chunked_torch_loss(monkeypatch):
    problem = RegressionProblem.synthetic(n=3000, seed=2)
    cfg = RunConfig(problem=problem, epochs=20, engine="torch")
    from gdstudio.core.race.batched import BatchedTorch

    monkeypatch.setattr(BatchedTorch, "CHUNK", 1000)  # force the chunked path
    r = run_race(cfg, [1e-5, 1e-4, 1e-2])
    for lr, h in zip([1e-5, 1e-4, 1e-2], r.histories, strict=True):
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
        rows = (batch.params[n - 1 - batch.start :, j] if n - 1 >= batch.start
                else batch.params[:, j])
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


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "problem, x0, lrs",
    [
        # 64 lanes from crawling to diverging: converged, max_epochs, cycling (lr 1) and diverged
        (FunctionProblem("x**2 - 4*x + 5"), 7.0, list(np.geomspace(1e-3, 1.2, 63)) + [1.0]),
        (FunctionProblem("x**4 - 3*x**2 + x"), 1.5, list(np.geomspace(1e-3, 0.6, 16))),
        (FunctionProblem("3*x"), 1.0, [0.1, 1.0]),  # a constant derivative still broadcasts
        (FunctionProblem.preset("rosenbrock"), (-1.2, 1.0), list(np.geomspace(1e-5, 3e-3, 12))),
        (RegressionProblem.synthetic(n=50, seed=3), None, list(np.geomspace(1e-5, 5e-2, 12))),
    ],
)
def test_many_lanes_equal_their_single_runs_status_and_message(problem, x0, lrs, dtype):
    # The batched loop, the lanes' batched stop screen and cycle search against the single run
    # of each lane (its own engine and its own stop rules), in blocks as the window makes them.
    cfg = RunConfig(problem=problem, x0=x0, epochs=700, dtype=dtype, tol=1e-9)
    race = Race(cfg, make_lanes(cfg, lrs))
    while not race.finished:
        race.advance(97)
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == "float64" else dict(rtol=2e-5, atol=1e-6)
    seen = set()
    # the race's own report tol (its stop rule's, each lane's first row kept as it ran) and
    # another one (looked for afterwards)
    assert race.report_tol == 1e-9
    summaries = {t: race.summaries(report_tol=t) for t in (1e-9, 1e-3)}
    for j, lr in enumerate(lrs):
        single = run(cfg.with_(lr=lr))
        h = race.history(j)
        seen.add(h.status)
        for t, table in summaries.items():
            reached = np.nonzero(np.linalg.norm(single.grad, axis=1) <= t)[0]
            s = table[j]
            assert (s.lr, s.status, s.epochs_run) == (lr, single.status, single.epochs_run)
            assert s.epochs_to_tol == (int(reached[0]) if reached.size else None), (t, j)
            assert s.final_loss == h.loss[-1] and s.final_params == tuple(h.params[-1])
        assert ((h.status, h.epochs_run, h.message)
                == (single.status, single.epochs_run, single.message))
        assert h.config.lr == lr and h.config == single.config
        np.testing.assert_allclose(h.params, single.params, **tol)
        np.testing.assert_allclose(h.loss, single.loss, **tol)
        np.testing.assert_allclose(h.grad, single.grad, **tol)
    if len(lrs) == 64:
        assert seen == {"converged", "max_epochs", "cycling", "diverged"}


def _find_cycle_reference(params, *, max_period=32, repeats=3, dtype="float64"):
    """The cycle rule for one run, period by period, written out plainly (the definition that
    the batched find_cycles, and find_cycle through it, must agree with)."""
    n = params.shape[0]
    eps = float(np.finfo(np.float32 if dtype == "float32" else np.float64).eps)
    for p in range(2, max_period + 1):
        need = repeats * p + 1
        if n < need:
            break
        tail = params[n - need :]
        a, b = tail[p:], tail[:-p]
        with np.errstate(all="ignore"):
            if not np.all(np.abs(a - b) <= 4 * eps * np.maximum(np.abs(a), np.abs(b))):
                continue
            cycle = tail[-p:]
            spread = float(np.max(cycle.max(axis=0) - cycle.min(axis=0)))
            size = float(np.max(np.abs(cycle)))
        if spread > 64 * eps * max(size, np.finfo(np.float64).tiny):
            return p, cycle.copy()
    return None


def test_find_cycles_says_what_find_cycle_says_of_each_run():
    from gdstudio.core.descent.rules import find_cycle, find_cycles

    rng = np.random.default_rng(7)
    n = 200
    runs = [
        np.tile([[1.0], [3.0]], (n // 2, 1)),  # period 2
        np.tile([[1.0], [2.0], [5.0]], (n // 3 + 1, 1))[:n],  # period 3
        np.tile([[0.5, 1.0], [0.7, -1.0], [0.5, 1.0], [0.9, 0.0]], (n // 4, 1))[:, :1],  # period 4
        np.full((n, 1), 2.0),  # a fixed point: not a cycle
        2.0 + 1e-17 * rng.standard_normal((n, 1)),  # below rounding at a minimum: not a cycle
        2.0 + rng.integers(-2, 3, (n, 1)) * np.spacing(2.0),  # rounding noise: not a cycle
        rng.standard_normal((n, 1)),  # noise
        np.r_[rng.standard_normal((n - 6, 1)), np.tile([[1.0], [-1.0]], (3, 1))],  # too short
        np.tile([[np.nan], [1.0]], (n // 2, 1)),  # nan never repeats
        np.tile([[1e300], [-1e300]], (n // 2, 1)),  # huge, still a cycle
    ]
    P = np.stack(runs, axis=1)  # (n, K, 1)
    for dtype in ("float64", "float32"):
        got = find_cycles(P, dtype=dtype)
        for j in range(P.shape[1]):
            want = _find_cycle_reference(P[:, j], dtype=dtype)
            for found in (got[j], find_cycle(P[:, j], dtype=dtype)):
                if want is None:
                    assert found is None, j
                else:
                    assert found is not None and found[0] == want[0], j
                    np.testing.assert_array_equal(found[1], want[1])
    assert [c[0] if c else None for c in find_cycles(P)] == [2, 3, 4] + [None] * 6 + [2]


def _rows_on_the_quadratic(x):
    """Rows (P (n, K, 1), L, G) of K runs through the points ``x`` (n, K) of x² − 4x + 5."""
    P = x[:, :, None]
    with np.errstate(all="ignore"):
        return P, x**2 - 4 * x + 5, 2 * P - 4


def test_lanes_the_stop_screen_passes_over_would_not_have_stopped():
    # may_stop may flag more lanes than stop (a superset), never fewer: every lane it passes
    # over, scan_block (the single run's own rules) lets go on through the whole block.
    from gdstudio.core.descent.rules import scan_block
    from gdstudio.core.race.screen import may_stop

    rng = np.random.default_rng(11)
    problem = FunctionProblem()
    n, K = 60, 400
    t = np.arange(n)[:, None]
    kinds = rng.integers(0, 6, K)
    scale = 10.0 ** rng.uniform(-3, 14, K)
    P = np.empty((n, K))
    P[:, kinds == 0] = (rng.standard_normal((n, K)) * scale)[:, kinds == 0]  # noise of any size
    P[:, kinds == 1] = (7.0 * 1.12 ** (t + rng.integers(0, 300, K)))[:, kinds == 1]  # growth
    # converging
    P[:, kinds == 2] = (2.0 + 5.0 * 0.5 ** (t + rng.integers(0, 60, K)))[:, kinds == 2]
    P[:, kinds == 3] = (7.0 * (-1.0) ** t * 1.05 ** t)  # oscillating growth
    P[:, kinds == 4] = (2.0 + (-1.0) ** t * 5.0)  # a 2-cycle
    P[:, kinds == 5] = np.where(rng.random((n, K)) < 0.01, np.inf, 3.0)[:, kinds == 5]
    P, L, G = _rows_on_the_quadratic(P)
    loss0, p0max = 26.0, 7.0
    for tol in (0.0, 1e-6, 1e-2):
        flagged = may_stop(P, L, G, loss0, p0max, tol)
        assert flagged.any() and not flagged.all()
        for j in np.nonzero(~flagged)[0]:
            stop = scan_block(P[:, j], L[:, j], G[:, j], 100, loss0, p0max, tol, problem, ("x",),
                              prev_loss=L[:5, j], prev_pmax=np.abs(P[:5, j, 0]))
            assert stop.keep == n and stop.status == "", (j, kinds[j], stop)


# Functions whose derivatives use every part of the printer: sums, products, integer and
# fractional powers, 1/sqrt, and each function of the whitelist.
OUT_FORM_FUNCTIONS = [
    "x**2 - 4*x + 5",
    "x**4 - 3*x**2 + x",
    "3*x",
    "x**2/2",
    "1/x + x**-3",
    "sin(3*x)*exp(-x**2/4)",
    "sqrt(x**2 + 1) + abs(x)**1.5",
    "log(x**2 + 1) - tanh(x) + cosh(x/3) - sinh(x/5)",
    "tan(x/4) + cos(x)**3",
    "x**2.5 + exp(x)/(1 + exp(x))",
    "abs(x) + 2**x",
    "pi*x**2 + e*x",
]


@pytest.mark.parametrize("text", OUT_FORM_FUNCTIONS)
def test_out_form_computes_the_compiled_derivative_bit_for_bit(text):
    # The race's loop computes f' as one ufunc call per operation into buffers: against the
    # compiled NumPy f' itself, at ordinary points and at every edge a float has.
    from gdstudio.core.expr.expression import parse_expression
    from gdstudio.core.expr.outform import OUT_FORM_UFUNCS, numpy_out_form

    e = parse_expression(text)
    form = numpy_out_form(e.numpy_gradient_bodies[0], {"_v0": "x"}, "out")
    assert form is not None
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.standard_normal(500) * 10.0 ** rng.integers(-3, 4, 500),
                        [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 1e308,
                         -1e308, 710.0, -745.5]])
    scope = {"x": x, "out": np.empty_like(x), **form.constants, **OUT_FORM_UFUNCS}
    scope.update((name, np.empty_like(x)) for name in form.temps)
    with np.errstate(all="ignore"):
        for line in form.lines:  # each line is "ufunc(args..., out)": called from its parts
            name, args = line[:-1].split("(", 1)
            scope[name](*(scope[a.strip()] for a in args.split(",")))
        want = e.numpy_gradient_raw(x)
    got = scope["out"]
    assert got.dtype == want.dtype == np.float64
    np.testing.assert_array_equal(got, want)
    assert np.array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.parametrize("text", OUT_FORM_FUNCTIONS)
def test_race_loop_writes_what_the_array_loop_computes(text):
    # The 1-D plain-descent loop (ufunc calls into the rows) against the same race made with
    # the compiled f' on whole arrays: every row of every lane, bit for bit, stops included.
    lrs = list(np.geomspace(1e-3, 2.0, 24))
    cfg = RunConfig(problem=FunctionProblem(text), x0=0.7, epochs=300)
    fast = Race(cfg, make_lanes(cfg, lrs))
    plain = Race(cfg, make_lanes(cfg, lrs), fast=False)
    assert fast.engine.kernel is not None and plain.engine.kernel is None
    handed_out = {}
    for race in (fast, plain):
        batches = [race.initial_batch()]
        while not race.finished:
            batches.append(race.advance(61))
        handed_out[race] = [np.concatenate([getattr(b, name) for b in batches])
                            for name in ("params", "loss", "grad")]
    for a, b in zip(handed_out[fast], handed_out[plain], strict=True):
        np.testing.assert_array_equal(a, b)  # every row handed out, stopped lanes' included
    assert fast.rows == plain.rows and fast.statuses == plain.statuses
    assert fast.messages == plain.messages
    np.testing.assert_array_equal(fast.lengths, plain.lengths)
    for a, b in zip(fast.histories(), plain.histories(), strict=True):
        np.testing.assert_array_equal(a.params, b.params)
        np.testing.assert_array_equal(a.loss, b.loss)
        np.testing.assert_array_equal(a.grad, b.grad)


def test_race_histories_share_the_race_rows_read_only():
    cfg = RunConfig(epochs=50)
    result = run_race(cfg, [0.1, 0.01])
    h = result.histories[1]
    assert h.params.shape == (51, 1) and not h.params.flags.writeable
    with pytest.raises(ValueError):
        h.loss[0] = 0.0
    np.testing.assert_array_equal(h.params, run(cfg.with_(lr=0.01)).params)


@pytest.mark.parametrize("problem, x0, lrs", [
    (FunctionProblem("x**2 - 4*x + 5"), 7.0, list(np.geomspace(1e-3, 1.2, 40)) + [1.0]),
    (FunctionProblem("(x - 1)**2 + 3*y**2 + x*y", variables=("x", "y")), (-1.2, 1.0),
     list(np.geomspace(1e-3, 0.3, 12))),
])
def test_race_keeps_each_lanes_first_epoch_within_its_report_tol(problem, x0, lrs):
    # tol 0 stops no lane before the epoch limit (or a cycle, or divergence), while 10⁻⁶ is
    # reported: the rows within it come long before the lane ends, in any block of the race
    cfg = RunConfig(problem=problem, x0=x0, epochs=900, tol=0.0)
    race = Race(cfg, make_lanes(cfg, lrs))
    assert race.report_tol == 1e-6
    while not race.finished:
        race.advance(83)
    reached_any = False
    for j, s in enumerate(race.summaries()):
        g = np.linalg.norm(run(cfg.with_(lr=lrs[j])).grad, axis=1)
        hits = np.nonzero(g <= 1e-6)[0]
        assert s.epochs_to_tol == (int(hits[0]) if hits.size else None), j
        reached_any |= bool(hits.size) and hits[0] < s.epochs_run
    assert reached_any


def test_screened_convergence_stops_where_scan_block_stops():
    # Where the first row the screen flags is a finite row with |gradient| ≤ tol, the race
    # stops the lane there without scan_block: scan_block (the single run's rules) must agree,
    # for lanes of every kind (noise, growth, convergence, oscillation, cycles, infinities).
    from gdstudio.core.descent.rules import converged_stop, scan_block
    from gdstudio.core.race.screen import screened_convergence

    rng = np.random.default_rng(12)
    problem = FunctionProblem()
    n, K = 80, 600
    t = np.arange(n)[:, None]
    kinds = rng.integers(0, 7, K)
    scale = 10.0 ** rng.uniform(-9, 14, K)
    P = np.empty((n, K))
    P[:, kinds == 0] = (2.0 + rng.standard_normal((n, K)) * scale)[:, kinds == 0]
    P[:, kinds == 1] = (7.0 * 1.12 ** (t + rng.integers(0, 300, K)))[:, kinds == 1]
    P[:, kinds == 2] = (2.0 + 5.0 * 0.5 ** (t + rng.integers(0, 60, K)))[:, kinds == 2]
    P[:, kinds == 3] = 2.0 + (-1.0) ** t * 5.0 * 0.8 ** t  # converging, oscillating
    P[:, kinds == 4] = (2.0 + (-1.0) ** t * 5.0)  # a 2-cycle
    P[:, kinds == 5] = np.where(rng.random((n, K)) < 0.02, np.nan, 2.0 + 0.9 ** t)[:, kinds == 5]
    P[:, kinds == 6] = 2.0 + 5.0 * 0.6 ** t - 1e7 * (t > 40)  # a jump past the floor
    P, L, G = _rows_on_the_quadratic(P)
    loss0, p0max = 26.0, 7.0
    fast = 0
    for tol in (0.0, 1e-12, 1e-6, 1e-2):
        first, converges, gnorm = screened_convergence(P, L, G, loss0, p0max, tol)
        for j in range(K):
            stop = scan_block(P[:, j], L[:, j], G[:, j], 30, loss0, p0max, tol, problem, ("x",),
                              prev_loss=L[:5, j], prev_pmax=np.abs(P[:5, j, 0]))
            if converges[j]:
                fast += 1
                assert stop == converged_stop(int(first[j]), 30 + int(first[j]),
                                              float(gnorm[j]), tol)
            elif stop.status:  # every stop is at a flagged row, never before the first
                assert first[j] < n and first[j] <= stop.keep
    assert fast > K  # the shortcut serves a large share of the lanes


def test_a_lane_converged_at_the_start_says_what_its_single_run_says():
    cfg = RunConfig(x0=2.0, epochs=10, tol=1e-9)  # f'(2) = 0
    race = Race(cfg, make_lanes(cfg, [0.1, 0.5]))
    assert race.finished and race.statuses == ["converged", "converged"]
    assert race.messages == [run(cfg.with_(lr=lr)).message for lr in (0.1, 0.5)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("problem, x0", [
    (FunctionProblem("x**2 - 4*x + 5"), 7.0),
    (FunctionProblem.preset("rosenbrock"), None),
    (RegressionProblem.synthetic(), None),
])
@pytest.mark.parametrize("optimizer", ["gd", "sgd", "momentum", "nesterov", "adam", "rmsprop",
                                       "adagrad"])
def test_torch_race_lanes_are_their_single_torch_runs_bit_for_bit(optimizer, problem, x0, dtype):
    # (issue 13) each lane of a torch race is the single `--engine torch` run with its rate
    # (torch.optim's own optimizer), exactly, as the manual race's lanes are
    pytest.importorskip("torch")
    regression = isinstance(problem, RegressionProblem)
    adaptive = optimizer in ("adam", "rmsprop", "adagrad")
    if regression:
        lrs = [0.05, 0.2, 0.5] if adaptive else [1e-5, 5e-5, 1e-4]
    elif problem.dim == 2:
        lrs = [1e-3, 3e-3, 1e-2] if adaptive else [1e-4, 3e-4, 1e-3]
    else:
        lrs = [0.01, 0.1, 0.3, 0.7]
    cfg = RunConfig(problem=problem, engine="torch", dtype=dtype, epochs=50, optimizer=optimizer,
                    **({"x0": x0} if x0 is not None else {}))
    r = run_race(cfg, lrs)
    for lr, h in zip(lrs, r.histories, strict=True):
        single = run(cfg.with_(lr=lr))
        assert (h.status, h.epochs_run) == (single.status, single.epochs_run), lr
        for got, want in ((h.params, single.params), (h.loss, single.loss),
                          (h.grad, single.grad)):
            assert np.array_equal(got, want), (lr, np.argwhere(got != want)[:3].tolist())


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_torch_optimizer_race_lanes_are_their_single_runs_bit_for_bit(dtype):
    # several optimizers in one race (each its own group of lanes)
    pytest.importorskip("torch")
    cfg = RunConfig(problem=FunctionProblem.preset("rosenbrock"), lr=0.001, epochs=60,
                    engine="torch", dtype=dtype)
    names = ["gd", "sgd", "momentum", "nesterov", "adam", "rmsprop", "adagrad"]
    r = run_race(cfg, [0.001, 0.002], names)
    for lane, h in zip(r.lanes, r.histories, strict=True):
        single = run(cfg.with_(optimizer=lane.optimizer.name, lr=lane.lr))
        assert np.array_equal(h.params, single.params), (lane, h.params[-1], single.params[-1])


@pytest.mark.parametrize("n, chunk", [(40_000, None), (3000, 1000)])
def test_large_torch_regression_race_lanes_are_their_single_runs(monkeypatch, n, chunk):
    # more points than torch sums in one thread (its reductions then split the sum across
    # threads), or more K·N than one batched tensor holds: each lane is evaluated as its
    # single run is, and equals it bit for bit
    pytest.importorskip("torch")
    from gdstudio.core.race.batched import BatchedTorch

    if chunk is not None:
        monkeypatch.setattr(BatchedTorch, "CHUNK", chunk)
    cfg = RunConfig(problem=RegressionProblem.synthetic(n, seed=3), engine="torch", epochs=4,
                    optimizer="adam", lr=0.1)
    lrs = [0.05, 0.1]
    r = run_race(cfg, lrs)
    for lr, h in zip(lrs, r.histories, strict=True):
        single = run(cfg.with_(lr=lr))
        assert np.array_equal(h.params, single.params)
        assert np.array_equal(h.loss, single.loss) and np.array_equal(h.grad, single.grad)
