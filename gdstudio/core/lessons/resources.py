"""Where the lessons' files are (``resources/``: the shipped lessons and data sets), apart from
the reading of lessons, so that building a step (:mod:`.build`) can find a bundled data set
without importing the lesson reader (:mod:`.parse`, which builds every step)."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["NAME", "resources_root", "bundled_data_names", "bundled_data_path"]

#: A shipped lesson's or a bundled data set's name.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def resources_root() -> Path:
    """``resources/``: the checkout's own from a source checkout, else the installed one."""
    repo = Path(__file__).resolve().parents[3]
    own = repo / "resources"
    if (repo / "pyproject.toml").is_file() and (own / "__init__.py").is_file():
        return own  # a source checkout: its own files, whatever else is installed
    from gdstudio.resource_files import resource_dir

    return resource_dir()


def bundled_data_names() -> list[str]:
    """The data sets shipped in ``resources/data`` (CSV), by name."""
    folder = resources_root() / "data"
    try:
        return sorted(p.stem for p in folder.glob("*.csv") if p.is_file())
    except OSError:
        return []


def bundled_data_path(name: str) -> Path | None:
    """The CSV file of the bundled data set ``name``, or None."""
    if not NAME.match(name):
        return None
    path = resources_root() / "data" / f"{name}.csv"
    return path if path.is_file() else None
