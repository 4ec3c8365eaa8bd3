"""CI enforces the rules with tools: after the README's install and before its tests, `.ci/run`
runs ruff, mypy and import-linter from the virtual environment that install made."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CI = ROOT / ".ci" / "run"

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def _commands() -> list[str]:
    return [line.strip() for line in CI.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_ci_runs_the_linters_after_the_install_and_before_the_tests():
    lines = _commands()
    steps = ['bash -c "$install_command"', ".venv/bin/ruff check gdstudio tests",
             ".venv/bin/mypy gdstudio", ".venv/bin/lint-imports",
             'bash -c ". .venv/bin/activate && $pytest_command"']
    where = [[i for i, line in enumerate(lines) if line.startswith(step)] for step in steps]
    assert all(len(w) == 1 for w in where), dict(zip(steps, where, strict=True))
    assert [w[0] for w in where] == sorted(w[0] for w in where)
    # the README's command is no longer run whole (it would test before the linters)
    assert not any(line.startswith('bash -c "$test_command"') for line in lines)


def test_ci_splits_the_readme_test_command_into_install_and_pytest():
    # The lines of .ci/run that split the command, run on README's own command and on one
    # with pytest options: the two parts joined again are the command.
    lines = _commands()
    split = [line for line in lines if re.match(r"(install|pytest)_command=", line)]
    assert len(split) == 2
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.search(r"<!-- test-command -->\s*```[a-z]*\n(.*?)```", readme, re.S)
    assert command is not None
    for test_command in (command.group(1).strip(),
                         'python3 -m venv .venv && pip install ".[test]" && pytest -q -x'):
        script = "\n".join([f"test_command={_quote(test_command)}", *split,
                            'printf "%s\\n%s\\n" "$install_command" "$pytest_command"'])
        out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True,
                             timeout=30).stdout.splitlines()
        install, tests = out
        assert f"{install} && {tests}" == test_command
        assert tests.split()[0] == "pytest" and 'pip install ".[test]"' in install


def test_the_test_extra_installs_the_linters():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extra = project["project"]["optional-dependencies"]["test"]
    names = {re.split(r"[<>=!~; \[]", spec, maxsplit=1)[0].lower() for spec in extra}
    assert {"ruff", "mypy", "import-linter", "pytest"} <= names
    assert project["tool"]["importlinter"]["contracts"]  # what lint-imports checks
    assert project["tool"]["mypy"]["files"] == ["gdstudio"]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"
