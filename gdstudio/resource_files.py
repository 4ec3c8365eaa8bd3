"""Finding shipped files (icons, sample data) from any kind of install.

``resources/`` sits at the top of the repository and is installed as the package
``gdstudio.resources``; when running from a source checkout without installing, the folder is
found next to the package instead.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["resource_path", "resource_dir"]


def resource_dir() -> Path:
    try:
        from importlib.resources import files

        root = Path(str(files("gdstudio.resources")))
        if root.is_dir():
            return root
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    """The path of a shipped file, e.g. ``resource_path("icons", "play.svg")``."""
    return resource_dir().joinpath(*parts)
