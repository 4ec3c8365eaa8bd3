"""Run › Copy as PyTorch / NumPy code, Save as … script: the current run as a Python script.

The scripts come from :mod:`gdstudio.core.codegen`: self-contained, in the source tutorial's
style, printing the run's CSV (the CLI's columns). They reproduce the configuration of the run
shown and the learning-rate changes made during it. What a script cannot reproduce (feature
scaling, mini-batches, …) is refused with the core's message.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from PySide6.QtGui import QGuiApplication

from gdstudio.core import InputError, RunConfig
from gdstudio.core.io.atomic import write_atomic
from gdstudio.ui.files import dialogs
from gdstudio.ui.files.background import Cancelled, run_with_progress

if TYPE_CHECKING:  # pragma: no cover
    from gdstudio.ui.host import FilesHost

__all__ = ["BACKENDS", "script_for", "copy_script", "save_script"]

#: backend → (label, default file name stem suffix)
BACKENDS = {"torch": "PyTorch", "numpy": "NumPy"}


def _current(host: FilesHost) -> tuple[RunConfig | None, list[tuple[int, float]]]:
    """The configuration of the run shown (else the setup's), and the lr changes made in it."""
    data = host.model.run
    if isinstance(data.config, RunConfig):
        return data.config, [(c.epoch, c.lr) for c in data.lr_changes]
    return host.controls.config(), []


def script_for(host: FilesHost, backend: str) -> str:
    """The script for the run shown; raises InputError (CodegenError) when it cannot be made.

    Written off the GUI thread (a file task, with a progress dialog and Cancel past a glance):
    a long typed expression's script takes seconds of SymPy printing (an 80-factor product
    1.6 s), and the window must not freeze meanwhile. Raises :class:`Cancelled` when the
    person cancels."""
    from gdstudio.core.codegen import numpy_script, torch_script

    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}")
    config, changes = _current(host)
    if config is None:
        raise InputError("there is no valid setup to export: fix the input shown in red first")
    make = torch_script if backend == "torch" else numpy_script
    outcome, result = run_with_progress(
        host.main_window(), f"{BACKENDS[backend]} code",
        f"Writing the {BACKENDS[backend]} script…",
        lambda _context: make(config, lr_changes=changes), show_after_ms=300)
    if outcome == "cancelled":
        raise Cancelled
    if outcome == "failed":
        raise result
    return str(result)


def _report(host: FilesHost, backend: str, err: Exception) -> None:
    dialogs.show_error(host.main_window(), f"Cannot export {BACKENDS[backend]} code",
                       f"This run cannot be written as a {BACKENDS[backend]} script: {err}")


def copy_script(host: FilesHost, backend: str) -> bool:
    """Put the script on the clipboard; True when done."""
    try:
        text = script_for(host, backend)
    except InputError as err:
        _report(host, backend, err)
        return False
    except Cancelled:
        host.show_status("Not copied: cancelled")
        return False
    QGuiApplication.clipboard().setText(text)
    host.show_status(
        f"Copied a {BACKENDS[backend]} script of this run ({text.count(chr(10))} lines)")
    return True


def _suggested_name(host: FilesHost, backend: str) -> str:
    config, _ = _current(host)
    stem = "gdstudio"
    if config is not None:
        problem = config.problem
        if getattr(problem, "kind", "") == "regression":
            stem = "regression"
        else:
            preset = getattr(problem, "preset_key", None)
            stem = preset or "function"
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-") or "gdstudio"
    return f"{stem}_{backend}.py"


def save_script(host: FilesHost, backend: str, path: str | None = None) -> str:
    """Ask where (unless ``path``), write the script; returns the path written ('' if not)."""
    try:
        text = script_for(host, backend)
    except InputError as err:
        _report(host, backend, err)
        return ""
    except Cancelled:
        host.show_status("Not saved: cancelled")
        return ""
    if path is None:
        path = dialogs.ask_save_path(host.main_window(), f"Save as {BACKENDS[backend]} script",
                                     _suggested_name(host, backend),
                                     "Python scripts (*.py);;All files (*)")
        if not path:
            return ""
        if not os.path.splitext(path)[1]:
            path += ".py"
    try:
        write_atomic(path, lambda fh: fh.write(text))
    except OSError as err:
        dialogs.show_error(host.main_window(), "Could not save the script",
                           f"{path}: {err.strerror or err}")
        return ""
    host.show_status(f"Saved {path}")
    return path
