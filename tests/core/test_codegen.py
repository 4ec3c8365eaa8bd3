"""Code export: the torch and NumPy scripts run on their own and print the app's trajectory.

Scripts run in fresh interpreters: one of each kind as ``python script.py``, the rest batched in
one interpreter per kind with :func:`runpy.run_path` (torch costs seconds to import).
"""

from __future__ import annotations

import ast
import csv
import dataclasses
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy

from gdstudio.cli import main
from gdstudio.core import FunctionProblem, RegressionProblem, RunConfig, codegen, run
from gdstudio.core.codegen import CodegenError, numpy_script, python_expression, torch_script
from gdstudio.core.descent.loop import Descent
from gdstudio.core.expr.expression import Expression
from gdstudio.core.io.export import to_csv, to_json

QUAD = FunctionProblem("x**2 - 4*x + 5")
WAVY = FunctionProblem("sin(3*x) + 0.1*x**2")
EXPF = FunctionProblem("exp(x) - 2*x")
SYN = RegressionProblem.synthetic()

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


def _run_scripts(folder: Path, scripts: dict[str, str]) -> dict[str, tuple[str, str, int]]:
    """Run the first script as `python script.py` and the others in one more interpreter, at
    once."""
    paths = {}
    for name, text in scripts.items():
        p = folder / f"{name}.py"
        p.write_text(text, encoding="utf-8")
        paths[name] = p
    first, *rest = list(scripts)
    alone = subprocess.Popen(
        [sys.executable, str(paths[first])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=folder,
    )
    batch = subprocess.Popen(
        [sys.executable, "-c", _DRIVER, *(str(paths[n]) for n in rest)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=folder,
    )
    so, se = alone.communicate(timeout=300)
    out: dict[str, tuple[str, str, int]] = {first: (so, se, alone.returncode)}
    so, se = batch.communicate(timeout=300)
    assert batch.returncode == 0, se
    for n, (o, e, code) in zip(rest, json.loads(so), strict=True):
        out[n] = (o, e, code)
    return out


def _table(text: str) -> tuple[list[str], np.ndarray]:
    rows = list(csv.reader(io.StringIO(text)))
    data = np.array([[float(v) for v in r] for r in rows[1:]])
    assert [int(v) for v in data[:, 0]] == list(range(len(data)))  # one row per epoch from 0
    return rows[0], data[:, 1:]


def _app_rows(history) -> np.ndarray:
    return np.column_stack([history.params, history.loss, history.grad])


def _assert_matches(
    stdout: str, stderr: str, history, *, rtol: float = 1e-12, scale_atol: float = 0.0
):
    """The script printed ``history``: same columns, same rows, same numbers, same status."""
    header, got = _table(stdout)
    want = _app_rows(history)
    assert header == [
        "epoch",
        *history.param_names,
        "loss",
        *(
            ["grad"]
            if len(history.param_names) == 1
            else [f"grad_{n}" for n in history.param_names]
        ),
    ]
    assert got.shape == want.shape, (got.shape, want.shape, stderr)
    atol = scale_atol * np.max(np.abs(want), axis=0)  # per column
    bad = np.abs(got - want) > rtol * np.abs(want) + atol
    assert not bad.any(), (np.argwhere(bad)[:5].tolist(), got[bad][:5], want[bad][:5])
    # the scripts run the app's cycle search too: the same status, with the app's message
    assert f"status: {history.status} after {history.epochs_run} epochs ({history.message})" in (
        stderr
    )


def _with_lr_change(config: RunConfig):
    d = Descent(config)
    d.advance(5)
    d.lr = config.lr * 3
    d.run_to_end()
    return d.history()


@pytest.fixture(scope="module")
def csv_problem(tmp_path_factory) -> RegressionProblem:
    folder = tmp_path_factory.mktemp("data")
    path = folder / "study hours.csv"
    rng = np.random.default_rng(11)
    x = rng.uniform(0, 20, 300)
    y = 3.0 * x - 4.0 + rng.normal(0, 2, 300)
    # semicolons, a decimal comma, a comment and a header: the way people's files look
    lines = ["# exported by a spreadsheet", "id;hours;score"]
    lines += [
        f"{i};{xv!r};{yv!r}".replace(".", ",")
        for i, (xv, yv) in enumerate(zip(x.tolist(), y.tolist(), strict=True))
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return RegressionProblem.from_csv(path, "hours", "score")


# ----------------------------------------------------------------------------------------------
# The torch scripts
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def torch_results(tmp_path_factory, csv_problem):
    pytest.importorskip("torch")
    cases = _torch_cases(csv_problem)
    scripts = {name: torch_script(cfg, **kw) for name, (cfg, kw, _) in cases.items()}
    results = _run_scripts(tmp_path_factory.mktemp("torch"), scripts)
    return cases, results


def _torch_cases(csv_problem):
    change = RunConfig(problem=QUAD, lr=0.05, epochs=30)
    h_change = _with_lr_change(change.with_(engine="torch"))
    odd = FunctionProblem("x**2/4 + sqrt(2) + sin(1)*x + 2**0.5 + e**(x/8)")
    return {
        "quadratic_gd": (RunConfig(problem=QUAD, epochs=50), {}, None),
        "quadratic_adam": (RunConfig(problem=QUAD, lr=0.3, epochs=60, optimizer="adam"), {}, None),
        "wavy_gd": (RunConfig(problem=WAVY, x0=3.5, lr=0.02, epochs=80), {}, None),
        "exp_adam": (
            RunConfig(problem=EXPF, x0=3.0, lr=0.05, epochs=60, optimizer="adam"),
            {},
            None,
        ),
        "regression_inline_gd": (RunConfig(problem=SYN, lr=1e-4, epochs=50), {}, None),
        "regression_csv_adam": (
            RunConfig(problem=csv_problem, m0=1.0, c0=-2.0, lr=0.5, epochs=40, optimizer="adam"),
            {"data": "file"},
            None,
        ),
        "regression_float32": (
            RunConfig(problem=SYN, lr=1e-4, epochs=30, dtype="float32"),
            {},
            None,
        ),
        "surface_momentum": (
            RunConfig(
                problem=FunctionProblem.preset("himmelblau"),
                lr=0.005,
                epochs=100,
                optimizer="momentum",
            ),
            {},
            None,
        ),
        "lr_changed": (change, {"lr_changes": h_change.lr_changes}, h_change),
        # constant sub-expressions and a power of e: plain floats and torch.pow in the script
        "constants": (RunConfig(problem=odd, x0=1.5, lr=0.2, epochs=40), {}, "manual"),
    }


@pytest.mark.parametrize(
    "name",
    [
        "quadratic_gd",
        "quadratic_adam",
        "wavy_gd",
        "exp_adam",
        "regression_inline_gd",
        "regression_csv_adam",
        "surface_momentum",
        "lr_changed",
    ],
)
def test_torch_script_prints_the_apps_trajectory(torch_results, name):
    cases, results = torch_results
    config, _, reference = cases[name]
    stdout, stderr, code = results[name]
    assert code == 0, stderr
    history = reference if reference is not None else run(config.with_(engine="torch"))
    _assert_matches(stdout, stderr, history)
    if config.engine == "manual" and name != "lr_changed":
        # and the manual engine's run too (autograd = the analytic gradient, to rounding)
        _assert_matches(stdout, stderr, run(config), rtol=1e-12, scale_atol=1e-13)


def test_torch_script_float32_and_constants(torch_results):
    cases, results = torch_results
    stdout, stderr, code = results["regression_float32"]
    assert code == 0, stderr
    _assert_matches(
        stdout, stderr, run(cases["regression_float32"][0].with_(engine="torch")), rtol=1e-6
    )
    stdout, stderr, code = results["constants"]
    assert code == 0, stderr
    _assert_matches(stdout, stderr, run(cases["constants"][0]), rtol=1e-10)


def _code_lines(text: str) -> list[str]:
    return [ln.split("  # ")[0] for ln in text.splitlines()]


def test_torch_script_reads_like_the_tutorial(csv_problem):
    text = torch_script(RunConfig(problem=QUAD, epochs=5))
    for line in (
        "x = torch.tensor(x0, dtype=dtype, device=device, requires_grad=True)",
        "    return x ** 2 - 4 * x + 5",
        "    loss.backward()",
        "        x -= lr * x.grad",
        "    x.grad = None",
    ):
        assert line in _code_lines(text), line
    text = torch_script(RunConfig(problem=SYN, epochs=5))
    for line in (
        "params = torch.zeros(2, dtype=dtype, device=device).requires_grad_()",
        "    preds = m * X + c",
        "        params -= lr * params.grad",
    ):
        assert line in _code_lines(text), line
    text = torch_script(
        RunConfig(problem=csv_problem, optimizer="rmsprop", alpha=0.9, epochs=5, lr=0.01)
    )
    assert "optimizer = torch.optim.RMSprop([params], lr=lr, alpha=0.9, eps=1e-08)" in text
    assert "    optimizer.step()" in text and "    optimizer.zero_grad()" in text
    assert "x_values = [" in text  # 300 points: inline by default
    assert "DATA_FILE" in torch_script(RunConfig(problem=csv_problem), data="file")


# ----------------------------------------------------------------------------------------------
# The NumPy scripts
# ----------------------------------------------------------------------------------------------


def _numpy_cases(csv_problem):
    big = RegressionProblem.synthetic(5000, seed=2)
    change = RunConfig(problem=WAVY, x0=3.5, lr=0.01, epochs=60, optimizer="momentum")
    h_change = _with_lr_change(change)
    cases = {
        f"quadratic_{o}": (RunConfig(problem=QUAD, lr=0.3, epochs=60, optimizer=o), {}, None)
        for o in ("gd", "sgd", "momentum", "nesterov", "adam", "rmsprop", "adagrad")
    }
    cases.update(
        {
            "wavy_gd": (RunConfig(problem=WAVY, x0=3.5, lr=0.02, epochs=80), {}, None),
            "exp_adam": (
                RunConfig(problem=EXPF, x0=3.0, lr=0.05, epochs=60, optimizer="adam"),
                {},
                None,
            ),
            "rosenbrock_gd": (
                RunConfig(problem=FunctionProblem.preset("rosenbrock"), epochs=400),
                {},
                None,
            ),
            "beale_adam": (
                RunConfig(
                    problem=FunctionProblem.preset("beale"), lr=0.02, epochs=200, optimizer="adam"
                ),
                {},
                None,
            ),
            "diverged": (RunConfig(problem=QUAD, lr=1.5, epochs=100), {}, None),
            "undefined": (
                RunConfig(problem=FunctionProblem("log(x) + x**2"), x0=3.0, lr=0.6, epochs=30),
                {},
                None,
            ),
            "converged": (RunConfig(problem=QUAD, lr=0.1, epochs=500, tol=1e-6), {}, None),
            "cycling": (RunConfig(problem=QUAD, lr=1.0, epochs=20), {}, None),
            "lr_changed": (change, {"lr_changes": h_change.lr_changes}, h_change),
            "regression_inline_gd": (RunConfig(problem=SYN, lr=1e-4, epochs=60), {}, None),
            "regression_inline_adam": (
                RunConfig(problem=SYN, lr=0.5, epochs=60, optimizer="adam"),
                {},
                None,
            ),
            "regression_diverged": (RunConfig(problem=SYN, lr=1e-2, epochs=60), {}, None),
            "regression_csv_file": (
                RunConfig(problem=csv_problem, m0=1.0, lr=1e-3, epochs=60),
                {"data": "file"},
                None,
            ),
            "regression_big_synthetic": (
                RunConfig(problem=big, lr=1e-4, epochs=40, optimizer="nesterov", momentum=0.5),
                {},
                None,
            ),
            "float32": (
                RunConfig(problem=WAVY, x0=3.5, lr=0.02, epochs=50, dtype="float32"),
                {},
                None,
            ),
        }
    )
    return cases


@pytest.fixture(scope="module")
def numpy_results(tmp_path_factory, csv_problem):
    cases = _numpy_cases(csv_problem)
    scripts = {name: numpy_script(cfg, **kw) for name, (cfg, kw, _) in cases.items()}
    return cases, scripts, _run_scripts(tmp_path_factory.mktemp("numpy"), scripts)


NUMPY_NAMES = [
    *(
        f"quadratic_{o}"
        for o in ("gd", "sgd", "momentum", "nesterov", "adam", "rmsprop", "adagrad")
    ),
    "wavy_gd",
    "exp_adam",
    "rosenbrock_gd",
    "beale_adam",
    "diverged",
    "undefined",
    "converged",
    "cycling",
    "lr_changed",
]


@pytest.mark.parametrize("name", NUMPY_NAMES)
def test_numpy_script_prints_the_apps_trajectory(numpy_results, name):
    cases, _, results = numpy_results
    config, _, reference = cases[name]
    stdout, stderr, code = results[name]
    assert code == 0, stderr
    _assert_matches(stdout, stderr, reference if reference is not None else run(config))


@pytest.mark.parametrize(
    "name",
    [
        "regression_inline_gd",
        "regression_inline_adam",
        "regression_diverged",
        "regression_csv_file",
        "regression_big_synthetic",
    ],
)
def test_numpy_regression_script_prints_the_apps_trajectory(numpy_results, name):
    # The script sums over the data with the source's formulas, the app uses centred sums: the
    # two agree to rounding relative to each column's size (a gradient crossing zero has no
    # relative precision in either).
    cases, scripts, results = numpy_results
    config, _, _ = cases[name]
    stdout, stderr, code = results[name]
    assert code == 0, stderr
    _assert_matches(stdout, stderr, run(config), rtol=1e-12, scale_atol=1e-12)
    if name == "regression_big_synthetic":
        assert (
            "rng = np.random.default_rng(2)" in scripts[name]
            and "x_values = [" not in scripts[name]
        )
    if name == "regression_csv_file":
        assert "DATA_FILE" in scripts[name] and "replace(',', '.')" in scripts[name]


def test_numpy_float32_script_agrees_to_float32(numpy_results):
    cases, _, results = numpy_results
    stdout, stderr, code = results["float32"]
    assert code == 0, stderr
    _assert_matches(stdout, stderr, run(cases["float32"][0]), rtol=1e-6)


def test_numpy_script_writes_the_derivative():
    text = numpy_script(RunConfig(problem=WAVY, x0=3.5, lr=0.02))
    assert "    return np.sin(3 * x) + 0.1 * x ** 2" in text
    assert "    return 3.0 * np.cos(3.0 * x) + 0.2 * x" in text
    text = numpy_script(RunConfig(problem=SYN))
    # the regression's loss and gradient: the app's own formulas from the data's sums, copied
    assert "d_m = (-2/n)*sum(X*(Y - (m*X + c)))" in text
    assert "    def loss_and_grad(self, params: np.ndarray)" in text


# ----------------------------------------------------------------------------------------------
# The person's text never reaches the code
# ----------------------------------------------------------------------------------------------

ALLOWED_NAMES = {"x", "y", "np", "torch", "math", "abs"}


def _names_in_f(script: str) -> set[str]:
    tree = ast.parse(script)
    f = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "f")
    names = set()
    for node in ast.walk(f):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            assert isinstance(node.value, ast.Name) and node.value.id in ("np", "torch", "math")
        elif isinstance(
            node, (ast.Subscript, ast.Lambda, ast.Import, ast.ImportFrom, ast.JoinedStr)
        ):
            raise AssertionError(f"unexpected {type(node).__name__} in f")
    return names


@pytest.mark.parametrize(
    "expr",
    [
        "x**2 - 4*x + 5",
        "sin(x)*cos(x) + tan(x/4)",
        "exp(-x**2) + log(1 + x**2) + ln(2 + x**2)",
        "sqrt(x**2 + 1) + abs(x) + tanh(x) + sinh(x/3) + cosh(x/5)",
        "e**x + pi*x + 2**(x/3) + x**0.5 * x",
        "-x^3 + 2×x − 1",
        "x**2 + y**2 - x*y",
    ],
)
def test_generated_functions_use_only_whitelisted_names(expr):
    problem = FunctionProblem(expr, variables="auto")
    cfg = RunConfig(problem=problem, x0=1.0 if problem.dim == 1 else (1.0, 1.0))
    for script in (torch_script(cfg), numpy_script(cfg)):
        compile(script, "<script>", "exec")
        assert _names_in_f(script) <= ALLOWED_NAMES
    for backend in ("numpy", "torch"):
        code = python_expression(problem, backend)
        assert "\n" not in code and "_v0" not in code


def _forged(text: str, source: str = "_v0**2") -> FunctionProblem:
    x = sympy.Symbol("x", real=True)
    forged = Expression(text, ("x",), source)
    forged.__dict__["sym"] = x**2  # its SymPy form, as if parsed
    return FunctionProblem(forged)


@pytest.mark.parametrize(
    "text",
    [
        "x**2\nimport os; os.system('echo pwned')",
        "x**2\r__import__('os').system('echo pwned')",
        "x**2\u2028import os",
        'x**2 """ + __import__("os").getcwd() + """',
        "x**2 # -*- coding: latin-1 -*-\x0cimport os",
    ],
)
def test_typed_text_stays_inside_one_comment(tmp_path, text):
    problem = _forged(text)
    for script in (
        numpy_script(RunConfig(problem=problem, x0=3.0, epochs=3)),
        torch_script(RunConfig(problem=problem, x0=3.0, epochs=3)),
    ):
        tree = ast.parse(script)
        imports = {
            a.name
            for n in ast.walk(tree)
            if isinstance(n, (ast.Import, ast.ImportFrom))
            for a in n.names
        }
        # (annotations and dataclass: for the app's stop rules, copied into the script)
        assert imports <= {"math", "sys", "numpy", "torch", "annotations", "dataclass"}
        assert "os" not in {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        assert not any(
            "pwned" in ln or "import os" in ln
            for ln in script.splitlines()
            if not ln.startswith("#")
        )
        assert all(ln.isprintable() for ln in script.splitlines())
    path = tmp_path / "forged.py"
    path.write_text(numpy_script(RunConfig(problem=problem, x0=3.0, epochs=3)), encoding="utf-8")
    r = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "pwned" not in r.stdout + r.stderr
    assert r.stdout.splitlines()[:3] == [
        "epoch,x,loss,grad",
        "0,3.0,9.0,6.0",
        f"1,{3.0 - 0.1 * 6.0!r},{2.4**2!r},{4.8!r}",
    ]


@pytest.mark.parametrize(
    "source",
    [
        "__import__('os').system('echo pwned')",
        "_v0.__class__",
        "open('/etc/passwd')",
        "(lambda: 1)()",
        "os",
        "_v0[0]",
        "sin(_v0, 1)",
    ],
)
def test_a_forged_expression_source_is_refused(source):
    problem = _forged("x**2", source)
    for make in (numpy_script, torch_script):
        with pytest.raises(CodegenError):
            make(RunConfig(problem=problem, x0=1.0))


def test_strings_are_embedded_as_literals(tmp_path):
    weird = tmp_path / 'it\'s "data"\n.csv'
    weird.write_text("x,y\n1,2\n2,3.5\n4,4\n")
    problem = RegressionProblem.from_csv(weird)
    script = numpy_script(RunConfig(problem=problem, epochs=2, lr=0.01), data="file")
    tree = ast.parse(script)
    consts = [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]
    assert str(weird) in consts
    assert all(ln.isprintable() for ln in script.splitlines())


# ----------------------------------------------------------------------------------------------
# What cannot be exported says so
# ----------------------------------------------------------------------------------------------


def test_data_modes_and_limits(monkeypatch):
    with pytest.raises(CodegenError, match="did not come from a CSV file"):
        numpy_script(RunConfig(problem=SYN), data="file")
    with pytest.raises(CodegenError, match="unknown data mode"):
        torch_script(RunConfig(problem=SYN), data="cloud")
    monkeypatch.setattr(codegen, "MAX_INLINE", 50)
    arrays = RegressionProblem(np.arange(100.0), np.arange(100.0) * 2 + 1)
    with pytest.raises(CodegenError, match="too many to write into a script"):
        numpy_script(RunConfig(problem=arrays))
    with pytest.raises(CodegenError, match="lr_changes"):
        numpy_script(RunConfig(), lr_changes=[(1,)])


def test_settings_a_script_cannot_reproduce_are_refused(monkeypatch):
    # every RunConfig field is reproduced now (scaling and mini-batches too:
    # tests/core/test_codegen_exact.py); a field the scripts did not know would be refused by name
    assert all(f.scripts for f in codegen.CONFIG_FIELDS)
    assert {f.name for f in dataclasses.fields(RunConfig)} == \
        {"problem"} | {f.name for f in codegen.CONFIG_FIELDS}
    monkeypatch.setattr(codegen, "CONFIG_FIELDS", tuple(
        dataclasses.replace(f, scripts=False) if f.name == "batch_seed" else f
        for f in codegen.CONFIG_FIELDS))
    cfg = RunConfig(problem=SYN, batch_size=4, batch_seed=5)
    for make in (numpy_script, torch_script):
        with pytest.raises(CodegenError, match="batch_seed = 5"):
            make(cfg)


# ----------------------------------------------------------------------------------------------
# CSV and JSON exports are the CLI's output
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, config",
    [
        (
            ["--x0", "7", "--lr", "0.1", "--epochs", "20"],
            RunConfig(problem=QUAD, x0=7.0, lr=0.1, epochs=20),
        ),
        (["--lr", "1", "--epochs", "9"], RunConfig(problem=QUAD, lr=1.0, epochs=9)),
        (
            ["--synthetic", "100", "--seed", "0", "--lr", "0.01", "--epochs", "40"],
            RunConfig(problem=RegressionProblem.synthetic(100, 0), lr=0.01, epochs=40),
        ),
        (
            [
                "--expr",
                "sin(3*x) + 0.1*x**2",
                "--x0",
                "3.5",
                "--lr",
                "0.02",
                "--optimizer",
                "adam",
                "--epochs",
                "30",
            ],
            RunConfig(problem=WAVY, x0=3.5, lr=0.02, optimizer="adam", epochs=30),
        ),
    ],
)
def test_exports_equal_the_cli_output(capsys, args, config):
    history = run(config)
    assert main(["run", *args, "--format", "csv"]) == 0
    assert capsys.readouterr().out == to_csv(history)
    assert main(["run", *args, "--format", "json"]) == 0
    assert capsys.readouterr().out == to_json(history) + "\n"
