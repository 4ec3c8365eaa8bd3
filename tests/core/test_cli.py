"""The command line: formats, exit codes, one-line errors."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from gdstudio.cli import main


def cli(capsys, *args):
    code = main(["run", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_done_when_table(capsys):
    code, out, err = cli(capsys, "--x0", "7", "--lr", "0.1", "--epochs", "5")
    assert code == 0 and err == ""
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines)
                  if line.split() == ["epoch", "x", "loss", "grad"])
    rows = [line.split() for line in lines[header + 2 : header + 8]]
    assert [r[1] for r in rows] == ["7", "6", "5.2", "4.56", "4.048", "3.6384"]
    assert [float(r[2]) for r in rows] == pytest.approx(
        [(x - 2) ** 2 + 1 for x in (7, 6, 5.2, 4.56, 4.048, 3.6384)])
    assert "status: max_epochs after 5 epochs" in out
    # aligned: every row as wide as the header
    assert len({len(lines[i]) for i in range(header, header + 8)}) == 1


def test_done_when_cycling_csv(capsys):
    code, out, err = cli(capsys, "--lr", "1", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["epoch", "x", "loss", "grad"]
    assert len(rows) == 51
    assert [float(r["x"]) for r in rows[:4]] == [7.0, -3.0, 7.0, -3.0]
    assert all(float(r["x"]) in (7.0, -3.0) for r in rows)
    assert "cycling" in err


def test_done_when_diverged(capsys):
    code, out, _ = cli(capsys, "--lr", "1.5", "--format", "json")
    assert code == 0 and json.loads(out)["status"] == "diverged"
    code, out, _ = cli(capsys, "--problem", "regression", "--synthetic", "100", "--seed", "0",
                       "--lr", "0.01", "--format", "json")
    d = json.loads(out)
    assert code == 0 and d["status"] == "diverged"
    assert list(d)[:4] == ["config", "status", "epochs_run", "steps"]
    assert list(d["steps"][0]) == ["epoch", "m", "c", "loss", "grad_m", "grad_c"]
    assert len(d["steps"]) == d["epochs_run"] + 1
    assert d["config"]["problem"] == "regression" and d["config"]["lr"] == 0.01


def test_json_is_exact(capsys):
    code, out, _ = cli(capsys, "--lr", "0.1", "--epochs", "3", "--format", "json")
    steps = json.loads(out)["steps"]
    assert [s["x"] for s in steps] == [7.0, 6.0, 5.2, 4.5600000000000005]
    assert steps[1] == {"epoch": 1, "x": 6.0, "loss": 17.0, "grad": 8.0}


def test_regression_from_csv_and_torch_engine(capsys, tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("a,b,c\n" + "".join(f"{i},{2 * i + 1},{i * i}\n" for i in range(10)))
    code, out, _ = cli(capsys, "--data", str(p), "--x-column", "a", "--y-column", "b",
                       "--lr", "0.01", "--epochs", "3", "--engine", "torch", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 4 and float(rows[0]["grad_c"]) == pytest.approx(-2 * 10.0)


@pytest.mark.parametrize("args, fragment", [
    (["--expr", "__import__('os').system('echo hacked')"], "not allowed"),
    (["--expr", "x +"], "invalid syntax"),
    (["--lr", "-0.1"], "learning rate must be > 0"),
    (["--lr", "abc"], "--lr must be a number"),
    (["--epochs", "1.5"], "--epochs must be a whole number"),
    (["--data", "/definitely/missing.csv"], "file not found"),
    (["--engine", "torch", "--device", "cuda:7"], "not available"),
    (["--engine", "quantum"], "invalid choice"),
    (["--bogus"], "unrecognized arguments"),
    (["--expr", "x", "--data", "f.csv"], "applies to --problem"),
    (["--synthetic", "1"], "at least 2"),
    (["--expr", "log(x)", "--x0", "-1"], "start"),
    (["--x0", "1,2"], "needs 1 value"),
])
def test_bad_input_exits_2_with_one_line(capsys, args, fragment):
    code, out, err = cli(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("gdstudio: error: ")
    assert fragment in err
    assert "Traceback" not in err


def test_subprocess_entry_points(tmp_path):
    env = dict(os.environ, PYTHONWARNINGS="error::DeprecationWarning")
    r = subprocess.run([sys.executable, "-m", "gdstudio", "run", "--epochs", "2",
                        "--format", "csv"], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    # f is evaluated in the person's own order of operations, exactly as Python would
    f52 = 5.2**2 - 4 * 5.2 + 5
    assert r.stdout.splitlines() == ["epoch,x,loss,grad", "0,7.0,26.0,10.0", "1,6.0,17.0,8.0",
                                     f"2,5.2,{f52!r},6.4"]
    r = subprocess.run([sys.executable, "-m", "gdstudio", "run", "--lr", "nope"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.splitlines()) == 1
    r = subprocess.run([sys.executable, "-m", "gdstudio", "run", "--help"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "--optimizer" in r.stdout


def test_core_imports_no_qt_and_no_torch():
    code = (
        "import sys, gdstudio.core, gdstudio.core.analysis, gdstudio.core.io.export, gdstudio.cli\n"
        "from gdstudio.core import run, RunConfig\n"
        "run(RunConfig())\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in"
        " ('PySide6', 'PyQt5', 'PyQt6', 'PySide2', 'shiboken6', 'pyqtgraph')]\n"
        "assert not bad, bad\n"
        "assert 'torch' not in sys.modules, 'torch imported eagerly'\n"
        "print('clean')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "clean"


def test_core_source_has_no_qt_import():
    import pathlib

    import gdstudio.core

    root = pathlib.Path(gdstudio.core.__file__).parent
    for path in root.glob("*.py"):
        text = path.read_text()
        for banned in ("PySide6", "PyQt", "pyqtgraph", "QtCore"):
            assert banned not in text, f"{path.name} mentions {banned}"


def test_values_starting_with_a_minus(capsys):
    assert main(["run", "--expr", "-x**2 + x**4", "--x0", "-1.5", "--epochs", "1",
                 "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[1].startswith("0,-1.5,")


def test_resources_are_found_installed_or_in_place(tmp_path):
    # From the installed package, and from a checkout run in place (cwd = the repository)
    code = ("from gdstudio.resource_files import resource_dir, resource_path\n"
            "import sys\n"
            "assert resource_path('icons', 'gdstudio.svg').is_file(), resource_dir()\n"
            "print(resource_dir())\n")
    import pathlib

    repo = pathlib.Path(__file__).resolve().parents[2]
    for cwd in (tmp_path, repo):
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd,
                           timeout=60)
        assert r.returncode == 0, r.stderr


def _plain_gd(x0: float, lr: float, epochs: int) -> list[tuple[float, float, float]]:
    """The source's loop on f = x² − 4x + 5, written out: (x, loss, grad) per epoch."""
    rows, x = [], x0
    for _ in range(epochs + 1):
        rows.append((x, x * x - 4 * x + 5, 2 * x - 4))
        x = x - lr * (2 * x - 4)
    return rows


def test_per_epoch_race_csv_has_every_lane_and_epoch_exactly(capsys):
    code, out, err = cli(capsys, "--lr", "0.1,0.3,1", "--epochs", "4", "--format", "csv",
                         "--per-epoch")
    assert code == 0 and err == ""
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["lane", "lr", "optimizer", "epoch", "x", "loss", "grad"]
    for lr in (0.1, 0.3, 1.0):
        mine = [r for r in rows if float(r["lr"]) == lr]
        expected = _plain_gd(7.0, lr, 4)
        assert [int(r["epoch"]) for r in mine] == list(range(len(expected)))
        assert [(float(r["x"]), float(r["loss"]), float(r["grad"])) for r in mine] == expected
        assert {r["lane"] for r in mine} == {f"lr {lr:g}"} and {r["optimizer"] for r in mine} \
            == {"gd"}


@pytest.mark.parametrize(("args", "why"), [
    (("--lr", "0.1", "--format", "csv", "--per-epoch"), "applies to a race"),
    (("--lr", "0.1,1", "--per-epoch"), "add --format csv"),
    (("--lr", "0.1,1", "--per-epoch", "--format", "json"), "add --format csv"),
])
def test_per_epoch_is_refused_where_it_means_nothing(capsys, args, why):
    code, out, err = cli(capsys, *args)
    assert code == 2 and out == "" and why in err and len(err.splitlines()) == 1
