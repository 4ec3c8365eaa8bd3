"""The divergence rules never fire on a run that the mathematics says converges (issue 13,
family 7): far minima, momentum's acceleration, while diverging runs still end "diverged".

The references are closed forms: on (x − a)² from x0, plain descent's error is
(x0 − a)·(1 − 2·lr)^t; heavy-ball momentum is checked against torch.optim.SGD itself.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from gdstudio.core import FunctionProblem, RunConfig, run
from gdstudio.core.codegen import numpy_script, torch_script
from gdstudio.core.race.race import run_race

FAR = "(x - 1e15)**2"


def test_descent_to_a_far_minimum_converges_as_the_closed_form_says():
    # the issue's example: from 0 at lr 0.1 the error shrinks × 0.8 an epoch (old: "diverged
    # at epoch 1: the parameters grew beyond 1e12 × their start")
    cfg = RunConfig(problem=FunctionProblem(FAR), x0=0.0, lr=0.1, epochs=200)
    for engine in ("manual", "torch"):
        h = run(cfg.with_(engine=engine))
        assert h.status != "diverged", h.message
        assert h.epochs_run == 200
        t = np.arange(40)
        expect = 1e15 * (1.0 - 0.8**t)
        np.testing.assert_allclose(h.params[:40, 0], expect, rtol=1e-12)
        assert abs(h.params[-1, 0] - 1e15) <= 1.0  # at the minimum, to rounding
    lane = run_race(cfg, lrs=(0.1, 0.3)).histories
    assert all(h.status != "diverged" for h in lane)
    np.testing.assert_array_equal(lane[0].params, run(cfg).params)


def test_momentum_accelerating_towards_a_far_minimum_is_not_steady_growth():
    # heavy-ball momentum from rest grows |x| like t² for its first epochs: 20 epochs of ≥ 10%
    # growth past 10⁶ (old: "diverged at epoch 21"), while the loss and gradient only fall
    torch = pytest.importorskip("torch")
    cfg = RunConfig(problem=FunctionProblem(FAR), x0=0.0, lr=1e-6, epochs=60,
                    optimizer="momentum", momentum=0.99)
    h = run(cfg)
    assert h.status != "diverged", h.message
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=1e-6, momentum=0.99)
    xs = [0.0]
    for _ in range(60):
        opt.zero_grad()
        ((p - 1e15) ** 2).sum().backward()
        opt.step()
        xs.append(float(p.detach()[0]))
    np.testing.assert_allclose(h.params[:, 0], xs, rtol=1e-12)
    assert np.all(np.diff(h.loss) < 0)


@pytest.mark.parametrize(
    "expr,x0,lr,why",
    [
        (FAR, 0.0, 1.1, "the loss"),  # overshoots: error × −1.2 an epoch
        ("x**2 - 4*x + 5", 7.0, 1.1, "the loss"),
        ("-x**2", 1.0, 0.1, "the parameters"),  # unbounded below: slides ever steeper
        ("x**3", -1.0, 0.1, ""),
    ],
)
def test_diverging_runs_still_end_diverged(expr, x0, lr, why):
    h = run(RunConfig(problem=FunctionProblem(expr), x0=x0, lr=lr, epochs=2000))
    assert h.status == "diverged", h.message
    assert why in h.message
    if expr == FAR:  # only once the error has grown a thousandfold (the loss a millionfold)
        assert abs(h.params[-1, 0] - 1e15) >= 1e3 * 1e15


def test_saddle_preset_still_slides_off():
    problem = FunctionProblem.preset("saddle")
    h = run(RunConfig(problem=problem, x0=(2.0, 0.01), lr=0.1, epochs=150))
    assert h.status == "diverged" and "parameters" in h.message


@pytest.mark.parametrize("script", [numpy_script, torch_script])
def test_exported_script_keeps_the_rule(tmp_path, script):
    cfg = RunConfig(problem=FunctionProblem(FAR), x0=0.0, lr=0.1, epochs=60)
    path = tmp_path / "far.py"
    path.write_text(script(cfg), encoding="utf-8")
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "status: max_epochs after 60 epochs" in done.stderr
    rows = [line for line in done.stdout.splitlines() if line[:1].isdigit()]
    assert len(rows) == 61


def test_a_start_beyond_float64_is_not_called_undefined(capsys):
    # (x − 1e200)² is defined at 0 (and descent would converge), but 1e400 overflows float64:
    # the refusal says so instead of "choose a start where f is defined"
    from gdstudio.cli import main

    assert main(["run", "--expr", "(x - 1e200)**2", "--x0", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("gdstudio: error:") and "\n" not in err
    assert "beyond float64's range" in err and "where f is defined" not in err
    assert main(["run", "--expr", "log(x)", "--x0", "-1"]) == 2
    assert "choose a start where f is defined" in capsys.readouterr().err
