"""The command line's output and memory limits (issue 13, family 13).

A full disk or a closed standard output is reported as a write failure (exit 3, one line); a
reader that leaves early ends the command quietly (exit 141, as SIGPIPE); JSON and the table
are streamed with memory of a block; a run or a race whose history cannot fit is refused up
front, as a synthetic data size is.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tracemalloc

import pytest

from gdstudio import cli
from gdstudio.core import FunctionProblem, RunConfig, run
from gdstudio.core.io.export import columns, to_json, write_json, write_table

FULL = "/dev/full"
NO_SPACE = "gdstudio: error: cannot write the output: No space left on device\n"


def _gdstudio(*args: str, **kw):
    return subprocess.run([sys.executable, "-m", "gdstudio", *args], capture_output=True,
                          text=True, timeout=120, **kw)


@pytest.mark.skipif(not os.path.exists(FULL), reason="needs /dev/full")
@pytest.mark.parametrize("args", [
    ("run",), ("run", "--format", "csv"), ("run", "--format", "json"),
    ("run", "--epochs", "100000"), ("run", "--lr", "0.1,0.2"),
    ("run", "--lr", "0.1,0.2", "--format", "json"), ("lesson", "--list"),
    ("lesson", "--print", "first-example"), ("--version",), ("run", "--help"),
    ("lesson", "--help"),
])
def test_a_full_disk_is_a_write_failure_not_an_internal_error(args):
    with open(FULL, "w") as full:
        r = subprocess.run([sys.executable, "-m", "gdstudio", *args], stdout=full,
                           stderr=subprocess.PIPE, text=True, timeout=120)
    assert r.returncode == cli.EXIT_WRITE_FAILED == 3
    assert r.stderr == NO_SPACE or (args == ("run", "--format", "csv")
                                    and r.stderr.startswith(NO_SPACE[:-1]))


@pytest.mark.skipif(os.name != "posix", reason="closing a descriptor in the shell")
def test_a_closed_stdout_is_a_write_failure():
    r = subprocess.run(["bash", "-c", f"'{sys.executable}' -m gdstudio run >&-"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 3
    assert r.stderr == "gdstudio: error: cannot write the output: the standard output is closed\n"


@pytest.mark.skipif(os.name != "posix", reason="SIGPIPE is POSIX")
@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_a_reader_that_leaves_ends_the_command_quietly(fmt):
    with subprocess.Popen([sys.executable, "-m", "gdstudio", "run", "--epochs", "300000",
                           "--format", fmt], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.read(10)
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == cli.EXIT_PIPE_CLOSED == 141
    assert err == ""


def test_exit_statuses_are_documented():
    text = cli.build_run_parser().format_help()
    for words in ("Exit status", "2 bad input", "3 the output cannot", "141 the reader left"):
        assert words in text
    assert "3 when the" in (cli.__doc__ or "") and "141" in (cli.__doc__ or "")


@pytest.fixture(scope="module")
def long_history():
    # x**2 - 4x + 5 from 7 at lr 0.001 decays slowly: 200,001 rows of distinct numbers
    return run(RunConfig(problem=FunctionProblem("x**2 - 4*x + 5"), x0=7.0, lr=1e-3,
                         epochs=200_000))


def test_json_is_streamed_with_the_same_text(long_history):
    h = long_history
    names = columns(h)
    # the document built the plain way, independently of the streaming writer
    rows = [[t, float(h.params[t, 0]), float(h.loss[t]), float(h.grad[t, 0])]
            for t in range(h.params.shape[0])]
    doc = {"config": h.config.to_dict(), "status": h.status, "epochs_run": h.epochs_run,
           "steps": [dict(zip(names, r, strict=True)) for r in rows], "message": h.message}
    expected = json.dumps(doc, allow_nan=False)
    assert to_json(h) == expected
    sink = _Sink()
    write_json(h, sink)  # the streaming writer itself (to_json keeps its text)
    assert sink.size == len(expected) > 10_000_000


class _Sink(io.TextIOBase):
    """Counts what is written and keeps none of it."""

    size = 0

    def write(self, s: str) -> int:
        self.size += len(s)
        return len(s)


def _peak_of(write, history) -> tuple[int, int]:
    """The traced peak of memory while ``write`` writes ``history`` (and the text's length)."""
    write(history, _Sink())  # once untraced: what a first call sets up is not the write's
    sink = _Sink()
    tracemalloc.start()
    try:
        write(history, sink)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, sink.size


@pytest.mark.parametrize("write", [write_json, write_table], ids=["json", "table"])
def test_a_write_takes_the_same_memory_whatever_the_run_length(write):
    # Streamed a block at a time: twice the rows, twice the text, not more memory. (A writer
    # that built the text whole needs its size and more: megabytes more at twice the rows.)
    def history(epochs: int):
        return run(RunConfig(problem=FunctionProblem("x**2 - 4*x + 5"), x0=7.0, lr=1e-3,
                             epochs=epochs))

    short, short_size = _peak_of(write, history(20_000))
    long, long_size = _peak_of(write, history(40_000))
    assert long_size > 1.9 * short_size and short_size > 1_000_000
    assert long < short + 256 * 1024, (short, long)
    assert long < 8 * 1024**2, f"peak {long:,} bytes for a {long_size:,}-byte text"


def test_race_json_is_the_documented_document(capsys):
    assert cli.main(["run", "--lr", "0.1,0.3", "--optimizer", "gd,adam", "--epochs", "4",
                     "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc) == ["config", "report_tol", "lanes"]
    assert "lr" not in doc["config"] and "optimizer" not in doc["config"]
    assert len(doc["lanes"]) == 4
    lane = doc["lanes"][0]
    assert list(lane) == ["lr", "optimizer", "status", "epochs_run", "epochs_to_tol",
                          "final_loss", "message", "steps"]
    single = run(RunConfig(problem=FunctionProblem("x**2 - 4*x + 5"), x0=7.0, lr=lane["lr"],
                           epochs=4, optimizer=lane["optimizer"]))
    assert lane["steps"] == json.loads(to_json(single))["steps"]


def test_a_history_that_cannot_fit_is_refused_up_front(monkeypatch, capsys):
    import gdstudio.core.data as data

    monkeypatch.setattr(data, "available_memory", lambda: 1024**3)  # 1 GB
    assert cli.main(["run", "--epochs", "100000000", "--format", "json"]) == 2
    err = capsys.readouterr().err
    assert err == ("gdstudio: error: 100,000,000 epochs need up to 6.7 GB of memory for the "
                   "history; only 1.0 GB is available (ask for fewer epochs)\n")
    # a race: lanes x epochs rows
    assert cli.main(["run", "--lr", ",".join(["0.1"] * 10), "--epochs", "3000000"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gdstudio: error: 10 runs of 3,000,000 epochs need up to 2.0 GB")
    # what fits still runs
    assert cli.main(["run", "--epochs", "1000"]) == 0


def test_the_api_refuses_the_same_histories_up_front(monkeypatch):
    import gdstudio.core.data as data
    from gdstudio.core import ConfigError
    from gdstudio.core.race.race import run_race

    monkeypatch.setattr(data, "available_memory", lambda: 1024**3)
    config = RunConfig(problem=FunctionProblem("x**2"), x0=1.0, lr=0.1, epochs=100_000_000)
    with pytest.raises(ConfigError, match="100,000,000 epochs need up to 6.7 GB"):
        run(config)
    with pytest.raises(ConfigError, match="2 runs of 100,000,000 epochs"):
        run_race(config, [0.1, 0.2])
