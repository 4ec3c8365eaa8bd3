"""Exported scripts print the app's run bit for bit: every row, every number, the status.

The scripts are RUN (fresh interpreters, all scripts of one kind in one interpreter with
``runpy``) over a grid of problems (1-D presets and typed functions, 2-D surfaces, regressions
on synthetic and CSV data), every optimizer, float32 and float64, converging, cycling and
diverging learning rates; their CSV is compared with the core's own run (``gdstudio.core.run``:
the manual engine for the NumPy script, the torch engine for the torch script): the same number
of rows, each value the same number of the run's dtype, printed with that dtype's shortest
digits, and the same status.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gdstudio.core import FunctionProblem, RegressionProblem, RunConfig, run
from gdstudio.core.codegen import numpy_script, torch_script
from gdstudio.core.descent import rules
from gdstudio.core.descent.loop import Descent
from gdstudio.core.io.export import to_csv

PYTHON = "/work/main/.venv/bin/python" if Path("/work/main/.venv/bin/python").exists() else (
    sys.executable
)

_DRIVER = (
    "import contextlib, io, json, runpy, sys\n"
    "outs = []\n"
    "for path in sys.argv[1:]:\n"
    "    out, err, code = io.StringIO(), io.StringIO(), 0\n"
    "    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):\n"
    "        try:\n"
    "            runpy.run_path(path, run_name='__main__')\n"
    "        except SystemExit as e:\n"
    "            code = 1 if e.code else 0\n"
    "            err.write(str(e.code))\n"
    "    outs.append([out.getvalue(), err.getvalue(), code])\n"
    "print(json.dumps(outs))\n"
)

OPTIMIZERS = ("gd", "sgd", "momentum", "nesterov", "adam", "rmsprop", "adagrad")


def _grid(csv_problem: RegressionProblem) -> dict[str, RunConfig]:
    quad = FunctionProblem("x**2 - 4*x + 5")  # h = 2: lr 0.1 converges, 1 cycles, 1.1 grows
    cases: dict[str, RunConfig] = {}
    for dtype in ("float64", "float32"):
        for lr, what in ((0.1, "converging"), (1.0, "cycling"), (1.1, "diverging")):
            cases[f"quadratic-{what}-{dtype}"] = RunConfig(
                problem=quad, x0=7.0, lr=lr, epochs=120, dtype=dtype
            )
        for opt in OPTIMIZERS:
            cases[f"wavy-{opt}-{dtype}"] = RunConfig(
                problem=FunctionProblem.preset("wavy"), lr=0.05, epochs=60, optimizer=opt,
                dtype=dtype, momentum=0.5,
            )
            cases[f"rosenbrock-{opt}-{dtype}"] = RunConfig(
                problem=FunctionProblem.preset("rosenbrock"), lr=0.001, epochs=150,
                optimizer=opt, dtype=dtype, momentum=0.5,
            )
            cases[f"regression-{opt}-{dtype}"] = RunConfig(
                problem=RegressionProblem.synthetic(), lr=1e-4 if opt == "gd" else 0.05,
                epochs=60, optimizer=opt, dtype=dtype, momentum=0.5,
            )
        for opt in ("gd", "momentum", "adam"):
            lr = 0.1 if opt == "gd" else 0.05
            cases[f"variant-scaled-{opt}-{dtype}"] = RunConfig(
                problem=RegressionProblem.synthetic(), lr=lr, epochs=50, optimizer=opt,
                dtype=dtype, scale_x=True, m0=1.0, c0=-3.0,
            )
            cases[f"variant-batches-{opt}-{dtype}"] = RunConfig(
                problem=RegressionProblem.synthetic(), lr=1e-4 if opt == "gd" else 3e-3,
                epochs=30, optimizer=opt, dtype=dtype, batch_size=16, batch_seed=4,
            )
            cases[f"variant-both-{opt}-{dtype}"] = RunConfig(
                problem=RegressionProblem.synthetic(), lr=lr, epochs=30, optimizer=opt,
                dtype=dtype, batch_size=10, scale_x=True,
            )
        cases[f"start-not-a-float32-{dtype}"] = RunConfig(
            problem=FunctionProblem("x**2 + 0.1*x"), x0=0.1, lr=0.3, epochs=30, dtype=dtype
        )
        cases[f"csv-adam-{dtype}"] = RunConfig(
            problem=csv_problem, m0=1.0, c0=-2.0, lr=0.5, epochs=40, optimizer="adam",
            dtype=dtype,
        )
    for key in ("quartic", "abs", "flat", "bowl", "himmelblau", "saddle", "beale"):
        p = FunctionProblem.preset(key)
        cases[f"preset-{key}"] = RunConfig(problem=p, epochs=min(p.default_epochs, 200))
    typed = {
        # a falling loss is not divergence; the parameters' explosion is
        "falling": RunConfig(problem=FunctionProblem("x**2 - 1e13*x"), x0=0.0, lr=0.1),
        # f' undefined on the way (log of a negative): the run ends there
        "undefined": RunConfig(problem=FunctionProblem("log(x) + x**2"), x0=0.5, lr=0.6),
        "exp": RunConfig(problem=FunctionProblem("exp(x) - 2*x"), x0=3.0, lr=0.3, epochs=80),
        "sqrt-sign": RunConfig(problem=FunctionProblem("sqrt(x**2 + 1) + abs(x - 1)"),
                               x0=2.0, lr=0.5, epochs=80),
        "constant-gradient": RunConfig(problem=FunctionProblem("3*x + 1"), x0=0.0, lr=0.5,
                                       epochs=30),
        "power": RunConfig(problem=FunctionProblem("abs(x)**1.5 + 2**(x/8)"), x0=1.5,
                           lr=0.2, epochs=60),
        "regression-exploding": RunConfig(problem=RegressionProblem.synthetic(), lr=0.01,
                                          epochs=200),
        "converged-tol": RunConfig(problem=quad, x0=7.0, lr=0.1, epochs=500, tol=1e-6),
        "converged-at-start": RunConfig(problem=quad, x0=2.0, lr=0.1),
        "no-epochs": RunConfig(problem=FunctionProblem.preset("bowl"), epochs=0),
        "constants": RunConfig(problem=FunctionProblem("sin(pi*x) + e**(x/4) + 2**0.5"),
                               x0=0.3, lr=0.1, epochs=60, optimizer="rmsprop"),
        "surface-constant-gradient": RunConfig(problem=FunctionProblem("x**2 + 3*y",
                                                                       variables=("x", "y")),
                                               x0=(1.0, 1.0), lr=0.1, epochs=40),
        "surface-float32-cycling": RunConfig(problem=FunctionProblem.preset("bowl"), lr=0.1,
                                             epochs=100, dtype="float32"),
    }
    cases.update(typed)
    return cases


@pytest.fixture(scope="module")
def csv_problem(tmp_path_factory) -> RegressionProblem:
    path = tmp_path_factory.mktemp("data") / "scores.csv"
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 20, 150)
    y = 3.0 * x - 4.0 + rng.normal(0, 2, 150)
    rows = "".join(f"{a!r},{b!r}\n" for a, b in zip(x.tolist(), y.tolist(), strict=True))
    path.write_text("hours,score\n" + rows, encoding="utf-8")
    return RegressionProblem.from_csv(path, "hours", "score")


def _run_all(folder: Path, scripts: dict[str, str]) -> dict[str, tuple[str, str, int]]:
    paths = []
    for name, text in scripts.items():
        path = folder / f"{name}.py"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    done = subprocess.run([PYTHON, "-c", _DRIVER, *paths], capture_output=True, text=True,
                          timeout=900, cwd=folder)
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(zip(scripts, (tuple(r) for r in json.loads(done.stdout)), strict=True))


def _check(name: str, config: RunConfig, result: tuple[str, str, int], engine: str) -> None:
    stdout, stderr, code = result
    assert code == 0, (name, stderr[-500:])
    history = run(config.with_(engine=engine))
    # the text: exactly what `gdstudio run --format csv` prints for this run
    assert stdout == to_csv(history), (name, stderr[-300:])
    # and the numbers, read back: the same numbers of the run's dtype, bit for bit
    rows = list(csv.reader(io.StringIO(stdout)))[1:]
    got = np.array([[float(v) for v in r[1:]] for r in rows])
    want = np.column_stack([history.params, history.loss, history.grad])
    dt = np.float32 if config.dtype == "float32" else np.float64
    assert got.shape == want.shape, name
    assert np.array_equal(got.astype(dt).view(np.uint32 if dt is np.float32 else np.uint64),
                          want.astype(dt).view(np.uint32 if dt is np.float32 else np.uint64),
                          ), name
    assert f"status: {history.status} after {history.epochs_run} epochs ({history.message})" in (
        stderr), (name, stderr[-300:], history.message)


@pytest.fixture(scope="module")
def numpy_results(tmp_path_factory, csv_problem):
    cases = _grid(csv_problem)
    scripts = {name: numpy_script(cfg) for name, cfg in cases.items()}
    return cases, _run_all(tmp_path_factory.mktemp("numpy"), scripts)


@pytest.fixture(scope="module")
def torch_results(tmp_path_factory, csv_problem):
    cases = {n: c for n, c in _grid(csv_problem).items()
             if not n.startswith(("rosenbrock-", "regression-")) or n.endswith("float64")}
    scripts = {name: torch_script(cfg) for name, cfg in cases.items()}
    return cases, _run_all(tmp_path_factory.mktemp("torch"), scripts)


def test_numpy_scripts_print_the_manual_engines_run_bit_for_bit(numpy_results):
    cases, results = numpy_results
    statuses = set()
    for name, config in cases.items():
        _check(name, config, results[name], "manual")
        statuses.add(run(config).status)
    # the grid reaches every ending the app knows
    assert statuses == {"converged", "diverged", "cycling", "max_epochs"}


def test_torch_scripts_print_the_torch_engines_run_bit_for_bit(torch_results):
    cases, results = torch_results
    for name, config in cases.items():
        _check(name, config, results[name], "torch")


def test_the_issue_examples(numpy_results):
    cases, results = numpy_results
    # lr 1.1 on the quadratic: the steady-growth rule ends the run (epoch 39), as in the app
    out, err, _ = results["quadratic-diverging-float64"]
    assert len(out.splitlines()) == 1 + 40 and "every epoch for 20 epochs" in err
    # a falling loss is not divergence: x² − 1e13·x heads for its minimum 5·10¹² (error × 0.8
    # an epoch) and the parameters' growth towards it is not an explosion (family 7)
    out, err, _ = results["falling"]
    assert "diverged" not in err and "grew beyond" not in err
    assert len(out.splitlines()) == 1 + 51
    # float32 digits: the float32 value's own shortest digits
    out = results["quadratic-converging-float32"][0].splitlines()
    assert out[1].startswith("0,7.0,26.0,10.0") and "00000" not in out[2]


def _changed_run(config: RunConfig):
    d = Descent(config)
    d.advance(7)
    d.lr = 0.012
    d.advance(9)
    d.lr = 0.002
    d.run_to_end()
    return d.history()


def test_lr_changes_are_replayed_bit_for_bit(tmp_path):
    scripts, histories = {}, {}
    for opt in ("gd", "nesterov", "adam"):
        config = RunConfig(problem=FunctionProblem.preset("himmelblau"), lr=0.005, epochs=80,
                           optimizer=opt)
        h = _changed_run(config)
        scripts[f"numpy-{opt}"] = numpy_script(config, lr_changes=h.lr_changes)
        histories[f"numpy-{opt}"] = h
        ht = _changed_run(config.with_(engine="torch"))
        scripts[f"torch-{opt}"] = torch_script(config, lr_changes=ht.lr_changes)
        histories[f"torch-{opt}"] = ht
    # plain descent on f(x) in float64: the manual engine's fast loop (Python floats)
    wavy = RunConfig(problem=FunctionProblem.preset("wavy"), lr=0.02, epochs=60)
    histories["numpy-fast"] = h = _changed_run(wavy)
    scripts["numpy-fast"] = numpy_script(wavy, lr_changes=h.lr_changes)
    results = _run_all(tmp_path, scripts)
    for name, (out, err, code) in results.items():
        assert code == 0 and out == to_csv(histories[name]), (name, err[-300:])


def test_the_scripts_copy_the_apps_rules():
    # one description: the script's stop rules and constants are the app's source text
    import inspect

    text = numpy_script(RunConfig(problem=FunctionProblem("x**2"), optimizer="adam"))
    assert inspect.getsource(rules.scan_block) in text
    assert inspect.getsource(rules._steady_growth) in text
    assert f"GROWTH_RATE = {rules.GROWTH_RATE}" in text


def test_a_large_regression_is_summed_as_the_app_sums_it(tmp_path):
    # beyond 2**18 points the torch engine sums the MSE chunk by chunk on the CPU: the script
    # does the same (one sum over all points differs in the last bits); the data is generated
    # again by the script (too many points to inline)
    config = RunConfig(problem=RegressionProblem.synthetic(300_000), lr=1e-4, epochs=4)
    text = torch_script(config)
    assert "rng = np.random.default_rng(" in text and "mse_in_chunks" in text
    (out, err, code), = _run_all(tmp_path, {"large": text}).values()
    assert code == 0, err
    assert out == to_csv(run(config.with_(engine="torch")))
