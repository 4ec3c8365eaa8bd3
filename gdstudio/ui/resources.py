"""Icons shipped in the ``gdstudio.resources`` package, found from any kind of install."""

from __future__ import annotations

from functools import cache
from importlib.resources import as_file, files

from PySide6.QtGui import QIcon

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
    """The file-system path of ``icons/<name>.svg`` (extracted if the package is zipped)."""
    resource = files("gdstudio.resources").joinpath("icons", f"{name}.svg")
    # For a normal install this is the file itself; for a zipped one, as_file extracts it and
    # the extracted file stays for the life of the process (we never leave the context).
    with as_file(resource) as path:
        return str(path)


@cache
def icon(name: str) -> QIcon:
    """The icon ``name`` (an SVG, sharp at any device-pixel ratio); empty if missing."""
    if name not in ICON_NAMES:
        raise KeyError(f"no icon named {name!r}")
    return QIcon(icon_path(name))
