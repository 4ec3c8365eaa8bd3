"""The update's arithmetic (issue 15, item 3): the numbers shown are the history rows', and the
value each explained update ends on is the next row's.

For every engine (manual, torch on the CPU), optimizer, problem kind and dtype: each number of
the update line is compared, as text, with the row's value as the history's CSV prints it
(float64) or with float32's shortest digits (float32); the optimizers' state shown (velocity,
moments, sums of squares) is compared with ``torch.optim``'s own state, stepped here on the
same rows; the plain update is recomputed from the numbers shown.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest

from gdstudio.core import Descent, FunctionProblem, RegressionProblem, RunConfig, run
from gdstudio.core.arithmetic import UpdateArithmetic, explain_update, number_text, subscript
from gdstudio.core.descent.optimizers import OPTIMIZERS
from gdstudio.core.io.export import to_csv

torch = pytest.importorskip("torch")

PROBLEMS = {
    "function": (FunctionProblem(), 0.1, 0.3),
    "surface": (FunctionProblem.preset("bowl"), 0.04, 0.3),
    "regression": (RegressionProblem.synthetic(), 1e-4, 0.5),
}
EPOCHS = 8


def _config(kind: str, engine: str, optimizer: str, dtype: str, **extra) -> RunConfig:
    problem, plain, adaptive = PROBLEMS[kind]
    lr = adaptive if optimizer in ("adam", "rmsprop", "adagrad") else plain
    return RunConfig(problem=problem, lr=lr, epochs=EPOCHS, engine=engine, dtype=dtype,
                     optimizer=optimizer, **extra)


def _row_texts(history, dtype: str) -> list[list[str]]:
    """Each row's cells as the CSV prints them (float64), or with float32's digits."""
    rows = list(csv.reader(io.StringIO(to_csv(history))))[1:]
    if dtype == "float32":
        return [[r[0]] + [str(np.float32(float(v))) for v in r[1:]] for r in rows]
    return rows


def _parts(line: str) -> tuple[str, list[str], str]:
    """(left-hand side, the middle parts, the final value) of ``a = b = … = v (note)``."""
    parts = line.split(" = ")
    return parts[0], parts[1:-1], parts[-1].split(" (")[0]


def _plain(text: str) -> str:
    return text[1:-1] if text.startswith("(") and text.endswith(")") else text


def _torch_reference(config: RunConfig, history) -> list[dict[str, np.ndarray]]:
    """torch.optim's state after each update, stepped on the rows' parameters and gradients."""
    o = config.optimizer_settings
    tdtype = torch.float64 if config.dtype == "float64" else torch.float32
    p = torch.zeros(history.params.shape[1], dtype=tdtype, requires_grad=True)
    lr = float(config.lr)
    make = {
        "momentum": lambda: torch.optim.SGD([p], lr=lr, momentum=o.momentum),
        "nesterov": lambda: torch.optim.SGD([p], lr=lr, momentum=o.momentum, nesterov=True),
        "adam": lambda: torch.optim.Adam([p], lr=lr, betas=(o.beta1, o.beta2),
                                         eps=o.eps_value),
        "rmsprop": lambda: torch.optim.RMSprop([p], lr=lr, alpha=o.alpha, eps=o.eps_value),
        "adagrad": lambda: torch.optim.Adagrad([p], lr=lr, eps=o.eps_value),
    }
    if o.name not in make:
        return []
    opt = make[o.name]()
    out = []
    for t in range(history.params.shape[0] - 1):
        with torch.no_grad():
            p.copy_(torch.from_numpy(history.params[t]).to(tdtype))
        p.grad = torch.from_numpy(history.grad[t]).to(tdtype)
        opt.step()
        out.append({k: v.detach().to(torch.float64).numpy().copy()
                    for k, v in opt.state[p].items() if k != "step"})
    return out


_STATE_LETTERS = {"momentum": {"b": "momentum_buffer"}, "nesterov": {"b": "momentum_buffer"},
                  "adam": {"m": "exp_avg", "v": "exp_avg_sq"},
                  "rmsprop": {"v": "square_avg"}, "adagrad": {"s": "sum"}}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", list(PROBLEMS))
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("engine", ["manual", "torch"])
def test_numbers_shown_are_the_rows(engine, optimizer, kind, dtype):
    config = _config(kind, engine, optimizer, dtype)
    history = run(config)
    assert history.epochs_run == EPOCHS
    texts = _row_texts(history, dtype)
    names = history.param_names
    k = len(names)
    reference = _torch_reference(config, history)
    letters = dict(_STATE_LETTERS.get(optimizer, {}))
    if optimizer == "adam" and kind == "regression":
        letters = {"M": "exp_avg", "V": "exp_avg_sq"}
    arithmetic = UpdateArithmetic(config)
    dt = np.float32 if dtype == "float32" else np.float64
    for t in range(1, EPOCHS + 1):
        lines = arithmetic.lines(history.params, history.grad, t)
        text = "\n".join(lines)
        assert "replay" not in text, text
        assert lines == explain_update(config, history.params, history.grad, t)
        by_lhs = {_parts(line)[0]: line for line in lines if " = " in line}
        for j, name in enumerate(names):
            line = by_lhs[f"{name}{subscript(t)}"]
            lhs, middle, final = _parts(line)
            # the row before, the gradient it holds, the next row: digit for digit
            operands = middle[-1]
            assert operands.split(" − ")[0] == texts[t - 1][1 + j], line
            assert final == texts[t][1 + j], line
            grad_text = texts[t - 1][2 + k + j]
            if optimizer in ("gd", "sgd", "rmsprop", "adagrad"):
                assert _plain(operands.split(" × ")[1].split(" / ")[0]) == grad_text, line
            if optimizer == "gd":  # recomputed from the numbers shown: p − r·g, two roundings
                p_, rest = operands.split(" − ", 1)
                r_, g_ = (float(_plain(v)) for v in rest.split(" × "))
                assert dt(dt(p_) - dt(dt(r_) * dt(g_))) == dt(final)
            # the state, compared with torch.optim's stepped on the rows
            for letter, key in letters.items():
                state_name = f"{letter}{subscript(t)}" + ("" if k == 1 else f"[{name}]")
                shown = _parts(by_lhs[state_name])[2]
                assert shown == number_text(reference[t - 1][key][j], dtype), (state_name, text)
        if kind == "regression":
            _check_regression_gradient(config, history, texts, by_lhs, t)
        elif engine == "torch":
            for j in range(k):
                line = next(ln for ln in lines if "(autograd, p.grad)" in ln and ln.startswith(
                    "f′" if k == 1 else f"∂f/∂{names[j]}"))
                autograd = line.split(" = ")[1].split(" (")[0]
                hand = line.rsplit(": ", 1)[1]
                assert autograd == texts[t - 1][2 + k + j]
                assert math.isclose(float(hand), float(autograd), rel_tol=1e-5 if dtype ==
                                    "float32" else 1e-12, abs_tol=1e-6)


def _check_regression_gradient(config, history, texts, by_lhs, t):
    problem = config.problem
    m, c = history.params[t - 1]
    _mse, d_m, d_c = problem.loss_and_grad_direct(float(m), float(c))  # the raw data, O(n)
    r = problem.y - (m * problem.x + c)
    for j, (name, direct, total) in enumerate(
        (("d_m", d_m, np.sum(problem.x * r)), ("d_c", d_c, np.sum(r)))
    ):
        line = by_lhs[name]
        tol = 1e-4 if config.dtype == "float32" else 1e-9
        *_, factor_and_sum, hand = line.split(" = ")
        factor, shown_sum = (float(_plain(v)) for v in factor_and_sum.split(" × "))
        assert factor == pytest.approx(-2 / problem.n)
        assert shown_sum == pytest.approx(float(total), rel=tol)
        assert float(hand) == pytest.approx(direct, rel=tol)
        if config.engine == "manual":
            assert hand == texts[t - 1][4 + j]
        else:
            assert line.split(" = ")[1].split(" (")[0] == texts[t - 1][4 + j]


def test_the_source_example_after_three_steps():
    config = RunConfig(problem=FunctionProblem(), x0=7.0, lr=0.1, epochs=5)
    h = run(config)
    lines = explain_update(config, h.params, h.grad, 3)
    assert lines == ["x₃ = x₂ − r·f′(x₂) = 5.2 − 0.1 × 6.4 = 4.5600000000000005"]
    assert explain_update(config, h.params, h.grad, 4) == [
        "x₄ = x₃ − r·f′(x₃) = 4.5600000000000005 − 0.1 × 5.120000000000001 = 4.048"]
    f32 = config.with_(dtype="float32")
    h32 = run(f32)
    assert explain_update(f32, h32.params, h32.grad, 3) == [
        "x₃ = x₂ − r·f′(x₂) = 5.2 − 0.1 × 6.3999996 = 4.56"]  # 2·5.2 − 4 in float32
    start = explain_update(config, h.params, h.grad, 0)
    assert start[0] == "x₀ = 7.0: the start (epoch 0, before any update)"
    assert "f′(x₀) = 10.0" in start[1]


def test_a_learning_rate_changed_mid_run_is_the_one_shown():
    config = RunConfig(problem=FunctionProblem(), x0=7.0, lr=0.1, epochs=10, optimizer="momentum")
    d = Descent(config)
    d.advance(3)
    d.lr = 0.05
    d.run_to_end()
    h = d.history()
    assert h.lr_changes == ((3, 0.05),)
    a = UpdateArithmetic(config)
    assert "0.1 × " in a.lines(h.params, h.grad, 3, h.lr_changes)[-1]
    for t in (4, 10):
        line = a.lines(h.params, h.grad, t, h.lr_changes)[-1]
        assert " − 0.05 × " in line and line.endswith(f"= {float(h.params[t, 0])!r}"), line


def test_going_back_and_forth_replays_the_same_state():
    config = RunConfig(problem=FunctionProblem.preset("rosenbrock"), lr=1e-3, epochs=700,
                       optimizer="adam")
    h = run(config)
    a = UpdateArithmetic(config)
    for t in (600, 5, 299, 700, 256, 257, 1):
        assert a.lines(h.params, h.grad, t) == explain_update(config, h.params, h.grad, t)


@pytest.mark.parametrize("engine", ["manual", "torch"])
def test_a_long_replay_goes_on_in_chunks(monkeypatch, engine):
    import gdstudio.core.arithmetic as arithmetic

    monkeypatch.setattr(arithmetic, "REPLAY_CHUNK", 40)
    config = RunConfig(problem=FunctionProblem(), x0=7.0, lr=0.01, epochs=100,
                       optimizer="nesterov", engine=engine)
    h = run(config)
    a = UpdateArithmetic(config)
    seen = []
    while True:
        lines = a.lines(h.params, h.grad, 100)
        if not a.pending:
            break
        seen.append(lines[0])
    assert seen == ["replaying the nesterov state from the rows' gradients: 40 of 99 updates…",
                    "replaying the nesterov state from the rows' gradients: 80 of 99 updates…"]
    assert lines == explain_update(config, h.params, h.grad, 100)  # (all at once)
    assert lines == h.explain(100)  # the Python API
    assert lines[-1].endswith(f"= {float(h.params[100, 0])!r}")


def _exact_text(v: float, dtype: str) -> str:
    """A row's value as the panel prints it: float32's digits where it is a float32."""
    v = float(v)
    return str(np.float32(v)) if dtype == "float32" and float(np.float32(v)) == v else repr(v)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("engine", ["manual", "torch"])
def test_scaled_x_the_update_on_standardised_x_ends_on_the_row(engine, optimizer, dtype):
    config = _config("regression", engine, optimizer, dtype, scale_x=True).with_(lr=0.05)
    h = run(config)
    assert h.epochs_run == EPOCHS
    problem = config.problem
    mean, std = problem.x_mean, math.sqrt(problem.sxx / problem.n)
    a = UpdateArithmetic(config)
    for t in (1, 2, EPOCHS, 3):
        lines = a.lines(h.params, h.grad, t)
        text = "\n".join(lines)
        assert "this gives" not in text and "replay of" not in text, text
        assert lines[0].startswith(f"x standardised: x′ = (x − x̄)/s, x̄ = {mean!r}, s = {std!r}")
        sub = subscript(t)
        m_line = next(ln for ln in lines if ln.startswith(f"m{sub} = m′{sub} / s"))
        c_line = next(ln for ln in lines if ln.startswith(f"c{sub} = c′{sub} − "))
        assert _parts(m_line)[2] == _exact_text(h.params[t, 0], dtype)
        assert _parts(c_line)[2] == _exact_text(h.params[t, 1], dtype)
        # the conversion recomputed from the numbers shown (float64, as the run converts)
        m_text, s_text = _parts(m_line)[1][-1].split(" / ")
        m_s = float(np.float32(m_text)) if dtype == "float32" else float(m_text)  # a float32
        assert m_s / float(s_text) == h.params[t, 0] and float(s_text) == std
        # and m′ on its line is the same number as the update on standardised x ends on
        update = next(ln for ln in lines if ln.startswith(f"m′{subscript(t)} = m′"))
        assert _parts(update)[2] == _parts(m_line)[1][-1].split(" / ")[0]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("engine", ["manual", "torch"])
def test_mini_batches_each_batch_update_and_the_row(engine, optimizer, dtype):
    lr = 0.05 if optimizer in ("adam", "rmsprop", "adagrad") else 1e-4
    config = _config("regression", engine, optimizer, dtype, batch_size=16,
                     batch_seed=3).with_(lr=lr)
    h = run(config)
    assert h.epochs_run == EPOCHS
    texts = _row_texts(h, dtype)
    problem = config.problem
    a = UpdateArithmetic(config)
    for t in (3, 1, EPOCHS):
        lines = a.lines(h.params, h.grad, t)
        text = "\n".join(lines)
        assert "this gives" not in text, text
        assert lines[0].startswith(f"epoch {t}: 7 updates, one per batch of 16 of the 100 points")
        batches = [ln for ln in lines if ln.startswith("batch ")]
        assert [ln.split(" (")[0] for ln in batches] == [
            "batch 1 of 7", "batch 2 of 7", "batch 3 of 7", "batch 6 of 7", "batch 7 of 7"]
        assert "… 2 more batches …" in lines
        assert f"m{subscript(t)} = {texts[t][1]}, c{subscript(t)} = {texts[t][2]}: the row" in text
        # (the full data's gradient, in float64 even for a float32 run: printed in full)
        d_m, d_c = (_exact_text(v, dtype) for v in h.grad[t])
        assert f"d_m{subscript(t)} = {d_m}, d_c{subscript(t)} = {d_c}" in text
        # the first batch starts from the row before; its points are the seeded shuffle's
        first = lines[lines.index(batches[0]) + 1]
        if optimizer in ("gd", "sgd"):
            assert first.startswith(f"    m = {texts[t - 1][1]} − ")
        else:
            assert first.startswith(f"    m: {texts[t - 1][1]} → ")
        rng = np.random.default_rng(3)
        order = [rng.permutation(problem.n) for _ in range(t)][-1]
        idx = order[:16]
        dt = np.float32 if dtype == "float32" else np.float64
        m, c = (float(dt(v)) for v in h.params[t - 1])
        r = problem.y[idx] - (m * problem.x[idx] + c)
        if engine == "manual":  # the batch's sums, recomputed here from the shuffle
            assert f"Σ x·r = {float(np.sum(problem.x[idx] * r))!r}" in batches[0]
            assert f"Σ r = {float(np.sum(r))!r}" in batches[0]
        else:
            d_m = float(batches[0].split("autograd d_m = ")[1].split(",")[0])
            assert d_m == pytest.approx(-2 / 16 * float(np.sum(problem.x[idx] * r)),
                                        rel=1e-4 if dtype == "float32" else 1e-12)


def test_scaled_mini_batches_are_told_in_words_with_the_rows():
    config = _config("regression", "manual", "gd", "float64", batch_size=16, batch_seed=3,
                     scale_x=True)
    h = run(config)
    texts = _row_texts(h, "float64")
    text = "\n".join(explain_update(config, h.params, h.grad, 2))
    assert "7 updates" in text and "standardised" in text
    assert f"m₂ = {texts[2][1]} (from m₁ = {texts[1][1]}" in text
    assert f"d_m₂ = {texts[2][4]}, d_c₂ = {texts[2][5]}" in text


def test_number_text():
    assert number_text(0.1, "float64") == "0.1"
    assert number_text(float(np.float32(5.2)), "float32") == "5.2"
    assert number_text(float(np.float32(5.2)), "float64") == "5.199999809265137"
    assert number_text(1e-30, "float64") == "1e-30"
    assert number_text(float("nan"), "float32") == "nan"


@pytest.mark.parametrize("engine", ["manual", "torch"])
def test_every_lane_of_a_race(engine):
    """A race's lanes (computed together, handed out as read-only rows) explained as runs."""
    from gdstudio.core.race.race import run_race

    base = RunConfig(problem=FunctionProblem.preset("bowl"), epochs=EPOCHS, engine=engine)
    result = run_race(base, [0.01, 0.04], list(OPTIMIZERS))
    assert len(result.histories) == 2 * len(OPTIMIZERS)
    for h in result.histories:
        a = UpdateArithmetic(h.config)
        for t in range(1, h.params.shape[0]):
            lines = a.lines(h.params, h.grad, t)
            assert not any("replay" in ln for ln in lines), lines
            update = next(ln for ln in lines if ln.startswith(f"y{subscript(t)} = "))
            assert _parts(update)[2] == repr(float(h.params[t, 1]))


def test_the_hand_derivative_waits_for_sympy_rather_than_importing_it(monkeypatch):
    """The torch engine's hand gradient of a typed f needs SymPy: a window imports it off its
    GUI thread, so the arithmetic says it is coming rather than importing it there."""
    import gdstudio.core.expr.expression as expression

    config = RunConfig(problem=FunctionProblem("x**4 - 3*x"), x0=1.5, lr=0.01, epochs=3,
                       engine="torch")
    h = run(config)
    monkeypatch.setattr(expression, "_symbolic_module", None)  # as before SymPy is loaded
    monkeypatch.setattr(expression, "load_symbolic", lambda: pytest.fail("SymPy imported"))
    line = explain_update(config, h.params, h.grad, 2)[0]
    assert line == (f"f′(x₁) = {float(h.grad[1, 0])!r} (autograd, p.grad); by hand, the "
                    "derivative: (the derivative is still being worked out)")
    monkeypatch.undo()
    expression.load_symbolic()  # (the window's background import, done)
    line = explain_update(config, h.params, h.grad, 2)[0]
    assert float(line.rsplit(": ", 1)[1]) == pytest.approx(4 * h.params[1, 0] ** 3 - 3, rel=1e-12)


def test_the_command_line_prints_the_same_lines(capsys):
    from gdstudio.cli import main

    assert main(["run", "--x0", "7", "--lr", "0.1", "--epochs", "5", "--explain", "3"]) == 0
    out, err = capsys.readouterr()
    assert out == "x₃ = x₂ − r·f′(x₂) = 5.2 − 0.1 × 6.4 = 4.5600000000000005\n" and err == ""
    args = ["--problem", "regression", "--optimizer", "adam", "--lr", "0.5", "--epochs", "4",
            "--dtype", "float32", "--engine", "torch"]
    assert main(["run", *args, "--explain", "last"]) == 0
    out, _ = capsys.readouterr()
    config = RunConfig(problem=RegressionProblem.synthetic(), optimizer="adam", lr=0.5, epochs=4,
                       dtype="float32", engine="torch")
    h = run(config)
    assert out.splitlines() == explain_update(config, h.params, h.grad, 4)


@pytest.mark.parametrize("args, message", [
    (["--explain", "x"], "--explain must be an epoch (a whole number ≥ 0) or last, got 'x'"),
    (["--explain", "-1"], "--explain must be an epoch (a whole number ≥ 0) or last, got '-1'"),
    (["--explain", "1e30"], "--explain must be an epoch (a whole number ≥ 0) or last, got '1e30'"),
    (["--explain", ""], "--explain must be an epoch (a whole number ≥ 0) or last, got ''"),
    (["--explain", "9"], "--explain 9: the run has epochs 0 … 5 (stopped at the epoch limit (5) "
                         "without meeting the stop rule)"),
    (["--explain", "2", "--format", "csv"], "--explain prints text: leave out --format"),
    (["--explain", "2", "--lr", "0.1,0.2"], "--explain applies to one run, not a race"),
])
def test_the_command_line_refuses_a_bad_epoch_in_one_line(capsys, args, message):
    from gdstudio.cli import main

    assert main(["run", "--epochs", "5", *args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"gdstudio: error: {message}\n"
