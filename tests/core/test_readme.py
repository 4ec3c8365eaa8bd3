"""The README stays true: its CLI example and its five-learning-rate table are re-run here."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from gdstudio.cli import main
from gdstudio.core import RunConfig, run
from gdstudio.core.analysis import analyze_function
from gdstudio.core.problems import FunctionProblem

README = Path(__file__).resolve().parents[2] / "README.md"


def block_after(marker: str) -> str:
    text = README.read_text(encoding="utf-8")
    m = re.search(re.escape(marker) + r"\s*```[a-z]*\n(.*?)```", text, re.S)
    assert m, f"README has no code block after {marker}"
    return m.group(1)


def test_readme_opens_with_the_two_commands():
    launch = block_after("<!-- launch-command -->").strip()
    test = block_after("<!-- test-command -->").strip()
    assert "pip install ." in launch and launch.endswith("gdstudio")
    assert 'pip install ".[test]"' in test and test.endswith("pytest")
    text = README.read_text(encoding="utf-8")
    assert text.index("<!-- launch-command -->") < text.index("<!-- test-command -->") < 1200


def test_readme_cli_example_is_the_real_output(capsys):
    block = block_after("<!-- cli-example -->")
    first, *expected = block.splitlines()
    assert first.startswith("$ gdstudio run ")
    args = shlex.split(first[len("$ gdstudio "):])
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == expected


def test_readme_five_learning_rate_table():
    text = README.read_text(encoding="utf-8")
    rows = re.findall(r"^\| (0\.01|0\.1|0\.3|0\.7|1) \| ([^|]+) \| ([^|]+) \| ([^|]+) \| ([^|]+)"
                      r" \| ([^|]+) \|$", text, re.M)
    assert [r[0] for r in rows] == ["0.01", "0.1", "0.3", "0.7", "1"]
    analysis = analyze_function(FunctionProblem())
    for lr_text, xs_text, q_text, regime_text, first_text, status_text in rows:
        lr = float(lr_text)
        h = run(RunConfig(lr=lr, epochs=2000))
        xs = [float(v.replace("−", "-")) for v in xs_text.split(",")]
        np.testing.assert_allclose(h.params[:5, 0], xs, rtol=1e-5)
        assert float(q_text.replace("−", "-")) == pytest.approx(1 - 2 * lr)
        assert regime_text.split()[0].rstrip(",") == analysis.regime(lr, 7.0)[1].kind
        err = np.abs(h.params[:, 0] - 2)
        hits = np.nonzero(err <= 1e-6)[0]
        assert first_text.strip() == (str(hits[0]) if hits.size else "never")
        assert status_text.strip() == f"{h.status} at epoch {h.epochs_run}"
