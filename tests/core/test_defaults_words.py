"""The optimizer defaults and the words about them agree (issue 13, family 8).

β₁, β₂, α and ε are torch.optim's defaults (read from torch's own signatures here); the
momentum μ is 0.9, not torch.optim.SGD's 0, and every place that states the defaults says so.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from gdstudio.cli import main
from gdstudio.core import RunConfig
from gdstudio.core.descent.optimizers import DEFAULT_MOMENTUM, OptimizerSettings

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[2]


def _default(cls, name):
    return inspect.signature(cls).parameters[name].default


def test_the_defaults_called_torchs_are_torchs():
    o = OptimizerSettings()
    assert (o.beta1, o.beta2) == _default(torch.optim.Adam, "betas")
    assert o.alpha == _default(torch.optim.RMSprop, "alpha")
    for name, cls in (("adam", torch.optim.Adam), ("rmsprop", torch.optim.RMSprop),
                      ("adagrad", torch.optim.Adagrad)):
        assert OptimizerSettings(name).eps_value == _default(cls, "eps")
    cfg = RunConfig()
    assert (cfg.beta1, cfg.beta2, cfg.alpha) == (o.beta1, o.beta2, o.alpha)


def test_momentum_is_not_torchs_default_and_the_words_say_so(capsys):
    assert _default(torch.optim.SGD, "momentum") == 0
    assert OptimizerSettings().momentum == RunConfig().momentum == DEFAULT_MOMENTUM == 0.9
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `--momentum"))
    assert "0.9" in row and "torch.optim.SGD`'s 0" in row
    assert "(torch's defaults)" not in readme
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "μ (0.9; torch's is 0)" in help_text
    doc = OptimizerSettings.__doc__ or ""
    assert "torch.optim.SGD``'s default is 0" in " ".join(doc.split())
