"""Every number option of ``gdstudio run`` against bad values: a clear one-line answer, always."""

from __future__ import annotations

import csv
import io
import math

import pytest

from gdstudio.cli import main

BAD_VALUES = ["", "abc", "nan", "inf", "-inf", "-1", "0", "1e308", "1e-320", "1e999", "0x10", "1,5",
              " 3 "]

FUNCTION_OPTIONS = ["--x0", "--lr", "--epochs", "--tol", "--momentum", "--beta1", "--beta2",
                    "--alpha", "--eps"]
REGRESSION_OPTIONS = ["--m0", "--c0", "--synthetic", "--seed", "--noise", "--batch-size",
                      "--batch-seed"]


def check(capsys, args):
    code = main(["run", *args])
    out, err = capsys.readouterr()
    assert code in (0, 2), (args, code, err)
    assert "Traceback" not in err and "Warning" not in err
    if code == 2:
        assert out == ""
        assert err.count("\n") == 1 and err.startswith("gdstudio: error: "), err
        assert len(err) < 300, err  # readable, not a dump
    else:
        rows = list(csv.reader(io.StringIO(out)))
        assert rows[0][0] in ("epoch", "lr")
        for row in rows[1:]:
            for cell in row:
                try:
                    assert math.isfinite(float(cell))
                except ValueError:
                    pass  # status or optimizer names in race rows
    return code


@pytest.mark.parametrize("value", BAD_VALUES)
@pytest.mark.parametrize("option", FUNCTION_OPTIONS)
def test_function_options(capsys, option, value):
    extra = ["--optimizer", "adam"] if option in ("--beta1", "--beta2", "--eps") else []
    extra += ["--optimizer", "rmsprop"] if option == "--alpha" else []
    extra += ["--optimizer", "momentum"] if option == "--momentum" else []
    epochs = [] if option == "--epochs" else ["--epochs", "20"]
    check(capsys, [f"{option}={value}", *epochs, *extra, "--format", "csv"])


@pytest.mark.parametrize("value", BAD_VALUES)
@pytest.mark.parametrize("option", REGRESSION_OPTIONS)
def test_regression_options(capsys, option, value):
    check(capsys, ["--problem", "regression", f"{option}={value}", "--epochs", "5",
                   "--format", "csv"])


@pytest.mark.parametrize("value", ["x", "1,2,3", ",", "0.1,", "0.1,-1", "0.1,nan", "1e308,1e-320"])
def test_learning_rate_lists(capsys, value):
    check(capsys, [f"--lr={value}", "--epochs", "10", "--format", "csv"])


def test_expected_refusals_say_what_is_wrong(capsys):
    assert check(capsys, ["--lr", "0"]) == 2
    assert check(capsys, ["--epochs", "1e308"]) == 2
    assert check(capsys, ["--x0", "1e308"]) == 2  # f overflows at the start
    assert check(capsys, ["--problem", "regression", "--noise", "1e308"]) == 2
    assert check(capsys, ["--problem", "regression", "--synthetic", "10000000000000"]) == 2
