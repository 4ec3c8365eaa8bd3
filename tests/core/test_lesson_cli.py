"""``gdstudio lesson``: --list, --check NAME|FILE (exit 0, or 2 with one line naming the line),
NAME|FILE (validated, then the window); bad files refused in one line, never a hang."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gdstudio import cli
from gdstudio.cli import main

REPO = Path(__file__).resolve().parents[2]

GOOD = textwrap.dedent("""\
    +++
    title = "My lesson"
    +++

    +++
    title = "One update"
    expr = "x**2 - 4*x + 5"
    x0 = 7
    lr = 0.1
    epochs = 1

    [[check]]
    quantity = "x"
    epoch = 1
    shown = "6"
    +++
    x₁ = 7 − 0.1·(2·7 − 4) = 6.
    """)


def lesson(capsys, *args):
    code = main(["lesson", *args])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("gdstudio: error: ") and "Traceback" not in err
    return lines[0]


def test_list_prints_the_shipped_lessons(capsys):
    code, out, err = lesson(capsys, "--list")
    assert code == 0 and err == ""
    assert out.splitlines() == ["first-example", "learning-rates", "regression", "autograd",
                                "momentum"]


def test_check_a_shipped_lesson_by_name(capsys):
    code, out, err = lesson(capsys, "--check", "first-example")
    assert (code, err) == (0, "")
    assert out == "ok: first-example (4 steps, 15 checks)\n"


def test_check_a_file(capsys, tmp_path):
    path = tmp_path / "my.md"
    path.write_text(GOOD, encoding="utf-8")
    code, out, err = lesson(capsys, "--check", str(path))
    assert (code, out, err) == (0, "ok: my (1 step, 1 check)\n", "")


def test_unknown_field_names_its_line(capsys, tmp_path):
    path = tmp_path / "lesson.md"
    path.write_text(GOOD.replace("lr = 0.1", "lrate = 0.1"), encoding="utf-8")
    code, out, err = lesson(capsys, "--check", str(path))
    assert code == 2 and out == ""
    line = one_error_line(err)
    assert line.startswith(f"gdstudio: error: {path}:9: unknown field 'lrate' (did you mean "
                           "'lr'? allowed: title, problem, expr, x0,")


def test_a_wrong_number_in_the_text_names_the_checks_line(capsys, tmp_path):
    path = tmp_path / "lesson.md"
    path.write_text(GOOD.replace('shown = "6"', 'shown = "6.5"').replace("= 6.", "= 6.5."),
                    encoding="utf-8")
    code, _, err = lesson(capsys, "--check", str(path))
    assert code == 2
    assert one_error_line(err) == (f"gdstudio: error: {path}:12: check of x after 1 epoch: the "
                                   "text says 6.5, the core gives 6.0")


def test_an_expression_that_does_not_parse(capsys, tmp_path):
    path = tmp_path / "lesson.md"
    path.write_text(GOOD.replace('"x**2 - 4*x + 5"', '"os.system(1)"'), encoding="utf-8")
    code, _, err = lesson(capsys, "--check", str(path))
    assert code == 2 and f"{path}:7: expr does not parse" in one_error_line(err)


@pytest.mark.parametrize("make, words", [
    (lambda p: p, "no such file"),
    (lambda p: (p.mkdir(), p)[1], "is a directory"),
    (lambda p: (p.write_bytes(GOOD.encode() + b"\n\xff\xfe bad\n"), p)[1], "not UTF-8 text"),
    (lambda p: (p.write_bytes(b""), p)[1], "starts with its header"),
])
def test_bad_files_are_refused_in_one_line(capsys, tmp_path, make, words):
    path = make(tmp_path / "lesson.md")
    code, out, err = lesson(capsys, "--check", str(path))
    assert code == 2 and out == ""
    assert words in one_error_line(err)


def test_bad_utf8_names_its_line(capsys, tmp_path):
    path = tmp_path / "lesson.md"
    path.write_bytes(GOOD.encode() + b"caf\xe9\n")
    _, _, err = lesson(capsys, "--check", str(path))
    n = GOOD.count("\n") + 1
    assert one_error_line(err) == (f"gdstudio: error: {path}:{n}: not UTF-8 text (byte 0xe9); "
                                   "save the lesson as UTF-8")


def test_a_huge_file_is_refused_before_it_is_read(capsys, tmp_path):
    path = tmp_path / "huge.md"
    with open(path, "wb") as fh:  # sparse: 2 GB on paper, nothing on disk
        fh.truncate(2 * 1024**3)
    code, _, err = lesson(capsys, "--check", str(path))
    assert code == 2 and "too large for a lesson (2,147,483,648 bytes; at most 1,048,576)" in err
    just_over = tmp_path / "over.md"
    just_over.write_bytes(GOOD.encode() + b"x" * (1 << 20))
    code, _, err = lesson(capsys, "--check", str(just_over))
    assert code == 2 and "too large" in one_error_line(err)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "lesson.md"
    os.mkfifo(fifo)
    r = subprocess.run([sys.executable, "-m", "gdstudio", "lesson", "--check", str(fifo)],
                       capture_output=True, text=True, timeout=60, cwd=REPO, env=_env())
    assert r.returncode == 2 and r.stdout == ""
    assert "is a named pipe (FIFO), not a lesson file" in one_error_line(r.stderr)


def test_an_unknown_name(capsys):
    code, _, err = lesson(capsys, "--check", "no-such-lesson")
    assert code == 2
    assert one_error_line(err) == ("gdstudio: error: no-such-lesson: no shipped lesson of that "
                                   "name and no such file (shipped: first-example, "
                                   "learning-rates, regression, autograd, momentum)")


@pytest.mark.parametrize("args, words", [
    ((), "give a lesson"),
    (("--list", "first-example"), "--list takes no lesson"),
    (("--check",), "expected one argument"),
    (("--list", "--check", "x"), "not allowed with"),
    (("--bogus",), "unrecognized arguments"),
])
def test_usage_errors(capsys, args, words):
    code, _, err = lesson(capsys, *args)
    assert code == 2 and words in one_error_line(err)


def test_opening_a_lesson_validates_it_then_opens_the_window(capsys, monkeypatch, tmp_path):
    opened = []
    monkeypatch.setattr(cli, "_open_window", lambda session=None, lesson=None:
                        opened.append((session, lesson)) or 0)
    assert main(["lesson", "learning-rates"]) == 0
    ((session, got),) = opened
    assert session is None and got.name == "learning-rates" and len(got.steps) == 6
    bad = tmp_path / "bad.md"
    bad.write_text(GOOD.replace("epochs = 1", "epochs = -1"), encoding="utf-8")
    assert main(["lesson", str(bad)]) == 2
    assert len(opened) == 1  # an invalid lesson never opens the window
    assert f"{bad}:10: epochs must be from 0 to 100,000, got -1" in capsys.readouterr().err


def test_the_window_command_still_opens_sessions(monkeypatch):
    opened = []
    monkeypatch.setattr(cli, "_open_window", lambda session=None, lesson=None:
                        opened.append((session, lesson)) or 0)
    assert main(["saved.gdstudio"]) == 0 and opened == [("saved.gdstudio", None)]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_list_and_check_import_no_qt():
    code = ("import sys\n"
            "from gdstudio.cli import main\n"
            "assert main(['lesson', '--list']) == 0\n"
            "assert main(['lesson', '--check', 'first-example']) == 0\n"
            "qt = ('PySide6', 'pyqtgraph', 'gdstudio.ui')\n"
            "bad = [m for m in sys.modules if m.startswith(qt)]\n"
            "assert not bad, bad\n"
            "assert 'torch' not in sys.modules\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       cwd=REPO, env=_env())
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "ok: first-example (4 steps, 15 checks)"


def test_the_run_command_is_unchanged(capsys):
    assert main(["run", "--x0", "7", "--lr", "0.1", "--epochs", "3", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines()[1:4] == ["0,7.0,26.0,10.0", "1,6.0,17.0,8.0",
                                                         "2,5.2,11.240000000000002,6.4"]


def test_print_a_lesson_to_copy_it(capsys, tmp_path):
    code, out, err = lesson(capsys, "--print", "momentum")
    assert (code, err) == (0, "")
    assert out == (REPO / "resources" / "lessons" / "momentum.md").read_text(encoding="utf-8")
    copy = tmp_path / "my-momentum.md"
    copy.write_text(out.replace("lr = 0.041", "lr = 0.045"), encoding="utf-8")
    code, _, err = lesson(capsys, "--check", str(copy))
    assert code == 2 and "the text says −1.05, the core gives" in one_error_line(err)
    assert lesson(capsys, "--print", str(tmp_path))[0] == 2
