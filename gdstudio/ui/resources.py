"""Icons shipped in the ``gdstudio.resources`` package, found from any kind of install."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

from gdstudio.resource_files import resource_path

__all__ = ["icon", "icon_path", "ICON_NAMES"]

ICON_NAMES = (
    "gdstudio",
    "step",
    "play",
    "pause",
    "run-to-end",
    "reset",
    "open",
    "export",
    "quit",
    "about",
    "log-scale",
    "fit-view",
)


def icon_path(name: str) -> str:
    """The file-system path of ``icons/<name>.svg``.

    From an install, ``gdstudio.resources``; from a source checkout run in place (``python -m
    gdstudio`` in the repository, where the installed mapping of ``resources/`` does not
    apply), the top-level ``resources/`` folder.
    """
    return str(resource_path("icons", f"{name}.svg"))


@cache
def icon(name: str) -> QIcon:
    """The icon ``name`` (an SVG, sharp at any device-pixel ratio); empty if missing."""
    if name not in ICON_NAMES:
        raise KeyError(f"no icon named {name!r}")
    return QIcon(icon_path(name))
