"""Sessions: File › New / Open / Open Recent / Save / Save As, and the remembered setup.

A ``.gdstudio`` file (:mod:`gdstudio.core.io.session`) holds the problem (an expression, or the
data itself), every setting, the run's history and the window's own state
(:class:`~gdstudio.ui.model.state.UiState`). Saving is atomic (the core writes a temporary file and
moves it over the old one); an error is shown and the file on disk is untouched. Opening checks
the whole file first: a corrupt, truncated or newer-version file is refused with the core's
message and the window is left exactly as it was.

A reopened run is computed again by the worker to the saved epoch (with the learning-rate
changes made at the same epochs), so it can go on from there; it is compared with the saved
history and any difference is reported.

The window's title shows the file's name and ``*`` while there are unsaved changes: a change
of setup, a step of the run, a change of view state. Closing, New and Open ask first
(Save / Discard / Cancel).

The setup in use when the window closes (problem and parameters, without the run) is kept in
QSettings and shown again at the next start.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot

from gdstudio.core import History, InputError, RegressionProblem, RunConfig
from gdstudio.core.io.session import (
    SUFFIX,
    SaveCancelled,
    Session,
    SessionError,
    dumps_session,
    load_session,
    loads_session,
    rerun_differs,
    save_session,
)
from gdstudio.ui.files import dialogs
from gdstudio.ui.files.background import Cancelled, run_with_progress
from gdstudio.ui.files.exports import history_of
from gdstudio.ui.model.state import UiState
from gdstudio.ui.settings import settings
from gdstudio.ui.threads.tasks import TaskContext

if TYPE_CHECKING:  # pragma: no cover
    from gdstudio.ui.host import FilesHost

__all__ = [
    "SessionManager",
    "SESSION_FILTERS",
    "MAX_RECENT",
    "LAST_SETUP_MAX_POINTS",
    "settings",
]

log = logging.getLogger(__name__)

SESSION_FILTERS = f"Gradient Descent Studio sessions (*{SUFFIX});;All files (*)"
MAX_RECENT = 10
#: Regression data up to this many points is remembered with the setup (in QSettings); larger
#: data is remembered by its file, read again at the next start.
LAST_SETUP_MAX_POINTS = 100_000

_RECENT_KEY = "files/recent"
_LAST_KEY = "session/last"


#: Sessions with more rows than this are saved off the GUI thread (with a progress dialog).
BACKGROUND_ROWS = 20_000


def _save(target: Path, session: Session, context: TaskContext) -> Path:
    """The work of a save (off the GUI thread for a large session); Cancel leaves the file on
    disk as it was."""
    try:
        return save_session(target, session, cancelled=context.cancelled)
    except SaveCancelled:
        raise Cancelled from None


class SessionManager(QObject):
    """The window's file: its name, its modified state, saving and opening it."""

    pathChanged = Signal(str)
    #: A reopened run has been computed again and shown: (matches the saved history, message).
    resumed = Signal(bool, str)

    def __init__(self, host: FilesHost, ui_state: UiState, app_name: str) -> None:
        super().__init__(host.main_window())
        self.host = host
        self.window = host.main_window()
        self.ui_state = ui_state
        self.app_name = app_name
        self.path: Path | None = None
        self._restoring = 0
        self._pending: tuple[RunConfig, History] | None = None
        self.close_approved = False

        self.update_title()

    def attach(self) -> None:
        """Listen for changes: the setup, the run's rows, the view (the window's actions and
        panels exist now)."""
        host = self.host
        controls = host.controls
        controls.configChanged.connect(self._touch)
        controls.lrChanged.connect(self._touch)
        controls.speedChanged.connect(self._touch)
        host.model.events.rows.connect(self._touch)
        host.action("logScale").toggled.connect(self._touch)
        host.model.events.reset.connect(self._on_run_reset)

    # ------------------------------------------------------------------------------------------
    # name and modified state
    # ------------------------------------------------------------------------------------------

    @property
    def resuming(self) -> bool:
        """A reopened run is being made again (``resumed`` follows)."""
        return self._pending is not None

    @property
    def name(self) -> str:
        return self.path.name if self.path is not None else "Untitled"

    def update_title(self) -> None:
        self.window.setWindowTitle(f"{self.name}[*] — {self.app_name}")
        self.window.setWindowFilePath(str(self.path) if self.path is not None else "")

    @Slot()
    def _touch(self, *_args: object) -> None:
        if not self._restoring:
            self.window.setWindowModified(True)

    def mark_modified(self) -> None:
        """Something a person made changed (for panels whose changes signal no one)."""
        self._touch()

    def set_clean(self) -> None:
        self.window.setWindowModified(False)

    @contextmanager
    def restoring(self) -> Iterator[None]:
        """Changes made inside are the file's, not the person's: the window stays unmodified."""
        self._restoring += 1
        try:
            yield
        finally:
            self._restoring -= 1

    def _set_path(self, path: Path | None) -> None:
        self.path = path
        self.update_title()
        self.pathChanged.emit(str(path) if path is not None else "")

    # ------------------------------------------------------------------------------------------
    # saving
    # ------------------------------------------------------------------------------------------

    def snapshot(self) -> Session:
        """Everything a session file holds, as the window shows it now."""
        history = history_of(self.host.model.run)
        config = history.config if history is not None else self.host.controls.config()
        if config is None:
            raise SessionError("there is nothing to save yet: fix the input shown in red")
        return Session(config=config, history=history, ui=self.ui_state.collect())

    def save(self) -> bool:
        """File › Save (Save As for a new window); True when saved."""
        if self.path is None:
            return self.save_as()
        return self.write(self.path)

    def save_as(self) -> bool:
        """File › Save As…; True when saved."""
        folder = str(self.path.parent) if self.path is not None else os.path.expanduser("~")
        suggested = os.path.join(folder, self.path.name if self.path is not None
                                 else f"{self._suggested_stem()}{SUFFIX}")
        path = dialogs.ask_save_path(self.window, "Save session", suggested, SESSION_FILTERS)
        if not path:
            return False
        if not os.path.splitext(path)[1]:
            path += SUFFIX
        return self.write(path)

    def _suggested_stem(self) -> str:
        data = self.host.model.run
        problem = data.config.problem if isinstance(data.config, RunConfig) else None
        if isinstance(problem, RegressionProblem):
            return "regression"
        key = getattr(problem, "preset_key", None)
        return key or "session"

    def write(self, path: str | os.PathLike[str]) -> bool:
        """Save to ``path`` (atomically); errors in a dialog, the file on disk untouched. A
        large session is written off the GUI thread, with a progress dialog and Cancel."""
        target = Path(path)
        try:
            session = self.snapshot()
        except SessionError as err:
            dialogs.show_error(self.window, "Could not save the session", str(err))
            return False
        rows = session.history.epochs_run + 1 if session.history is not None else 0
        outcome, written = run_with_progress(
            self.window, "Save session", f"Saving {target.name}…",
            lambda context: _save(target, session, context),
            small=rows <= BACKGROUND_ROWS)
        if outcome == "cancelled":
            self.host.show_status("Not saved: cancelled (the file on disk is as it was)")
            return False
        if outcome == "failed":
            error = written
            if isinstance(error, OSError):
                message = (f"{target}: {error.strerror or error}\n\nNothing was written: the file"
                           " on disk (if there was one) is as it was.")
            else:
                message = str(error)
            dialogs.show_error(self.window, "Could not save the session", message)
            return False
        self._set_path(Path(written))
        self.set_clean()
        self.add_recent(str(written))
        self.host.show_status(f"Saved {written}")
        return True

    def maybe_save(self) -> bool:
        """Before the window's contents go: ask about unsaved changes. True to go on."""
        if not self.window.isWindowModified():
            return True
        answer = dialogs.ask_save_changes(self.window, self.name)
        if answer == dialogs.SAVE:
            return self.save()
        return answer == dialogs.DISCARD

    # ------------------------------------------------------------------------------------------
    # opening
    # ------------------------------------------------------------------------------------------

    def new(self) -> bool:
        """File › New: the first launch's example, no file."""
        if not self.maybe_save():
            return False
        with self.restoring():
            self.host.controls.reset_to_defaults(emit=False)
            self.ui_state.restore({})
            config = self.host.controls.config()
            if config is not None:
                self.host.start_run(config)
        self._pending = None
        self._set_path(None)
        self.set_clean()
        return True

    def open(self, path: str | os.PathLike[str] | None = None) -> bool:
        """File › Open…: ask (unless ``path``), check the file, show it. True when opened."""
        if not self.maybe_save():
            return False
        if path is None:
            folder = str(self.path.parent) if self.path is not None else ""
            path = dialogs.ask_open_path(self.window, "Open session", folder, SESSION_FILTERS)
            if not path:
                return False
        return self.open_file(path)

    def open_file(self, path: str | os.PathLike[str], *, ask: bool = False,
                  report: Callable[[str], None] | None = None) -> bool:
        """Open ``path`` without asking about unsaved changes (unless ``ask``).

        Why a file cannot be opened goes to ``report`` (default: an error dialog).
        """
        if ask and not self.maybe_save():
            return False
        if report is None:
            def report(message: str) -> None:
                dialogs.show_error(self.window, "Could not open the session", message)
        try:
            session = load_session(path)
        except SessionError as err:
            report(f"{err}\n\nNothing was changed.")
            if not os.path.exists(path):
                self.remove_recent(os.fspath(path))
            return False
        if not self.apply(session, os.fspath(path), report=report):
            return False
        self._set_path(Path(os.path.abspath(path)))
        self.set_clean()
        self.add_recent(os.path.abspath(path))
        return True

    def apply(self, session: Session, origin: str = "session",
              report: Callable[[str], None] | None = None) -> bool:
        """Show ``session``: setup, window state, and its run (computed again to its epoch)."""
        host, window = self.host, self.window
        config = session.config
        why = host.controls.can_show(config) or self.ui_state.refusal(session.ui)
        if why:
            message = (f"{origin}: this window cannot show it: {why}.\n\nNothing was changed. "
                       "(gdstudio run --session FILE runs it headless.)")
            if report is not None:
                report(message)
            else:
                dialogs.show_error(window, "Could not open the session", message)
            return False
        history = session.history
        current_lr = history.lr_changes[-1][1] if history is not None and history.lr_changes \
            else None
        with self.restoring():
            host.controls.set_config(config, emit=False, lr=current_lr)
            # The window's own state first: a race set up in it decides what runs.
            failed = self.ui_state.restore(session.ui)
            # The file's own config runs (the panel's copy carries the lr in force now, if the
            # run changed it): computed again to the saved epoch, lr changes and all. A race
            # starts again from its start (the file holds the history of the lane shown).
            host.start_run(config)  # shows the problem, resets the plots
            racing = host.controls.race() is not None
            if history is not None and not racing \
                    and (history.epochs_run > 0 or history.lr_changes):
                self._pending = (config, history)
                host.resume_run(config, history.epochs_run, history.lr_changes)
            else:
                self._pending = None
        notes = []
        extra = host.controls.extra_settings()
        if extra:
            notes.append("settings without a control here are kept from the file: "
                         + ", ".join(f"{k} = {v!r}" for k, v in sorted(extra.items())))
        if failed:
            notes.append(f"part of the window's state could not be restored ({', '.join(failed)})")
        if notes:
            host.show_message(f"Opened {os.path.basename(origin)}; " + "; ".join(notes) + ".",
                              "info")
        return True

    def _on_run_reset(self) -> None:
        pending = self._pending
        data = self.host.model.run
        if pending is None or data.config is not pending[0]:
            return
        self._pending = None
        saved = pending[1]
        message = rerun_differs(data.params, data.loss, data.grad,
                                data.message or data.status, saved)
        same = not message
        if message.startswith("The run, computed again"):
            message += " The window shows the new computation."
        if message:
            self.host.show_message(message, "warning")
        self.resumed.emit(same, message)

    # ------------------------------------------------------------------------------------------
    # recent files
    # ------------------------------------------------------------------------------------------

    def recent(self) -> list[str]:
        raw = settings().value(_RECENT_KEY, "")
        try:
            items = json.loads(raw) if isinstance(raw, str) and raw else []
        except ValueError:
            items = []
        return [p for p in items if isinstance(p, str)][:MAX_RECENT] if isinstance(items, list) \
            else []

    def _set_recent(self, items: list[str]) -> None:
        s = settings()
        s.setValue(_RECENT_KEY, json.dumps(items[:MAX_RECENT]))
        s.sync()

    def add_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        self._set_recent([path, *[p for p in self.recent() if p != path]])

    def remove_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        self._set_recent([p for p in self.recent() if p != path])

    def prune_recent(self) -> list[str]:
        """Drop files that no longer exist; returns those dropped."""
        items = self.recent()
        missing = [p for p in items if not os.path.isfile(p)]
        if missing:
            self._set_recent([p for p in items if p not in missing])
        return missing

    def clear_recent(self) -> None:
        self._set_recent([])

    # ------------------------------------------------------------------------------------------
    # the setup remembered between launches (QSettings)
    # ------------------------------------------------------------------------------------------

    def remember_setup(self) -> None:
        """Keep the setup in use (problem and parameters, not the run) for the next start."""
        config = self.host.controls.config()
        if config is None and isinstance(self.host.model.run.config, RunConfig):
            config = self.host.model.run.config
        if config is None:
            return
        ui: dict[str, Any] = {}
        problem = config.problem
        if isinstance(problem, RegressionProblem) and problem.synthetic_spec is None \
                and problem.n > LAST_SETUP_MAX_POINTS:
            # Too large for the settings file: remember where it came from instead.
            ui["data_file"] = {"path": problem.source, "x_column": problem.x_name,
                               "y_column": problem.y_name,
                               # read again the way it was read: its bad rows left out
                               "skip_bad_rows": problem.reading is not None
                               and problem.reading.skip_bad_rows}
            config = config.with_(problem=RegressionProblem.synthetic())
        try:
            text = dumps_session(Session(config=config, history=None, ui=ui))
        except (SessionError, ValueError):
            log.exception("the setup could not be remembered")
            return
        s = settings()
        s.setValue(_LAST_KEY, text)
        s.sync()

    def restore_setup(self) -> dict[str, Any] | None:
        """Show the setup remembered at the last close (quietly).

        Returns where the data comes from when it was too large to remember (``{"path",
        "x_column", "y_column", "skip_bad_rows"}``: the caller reads it again), else None.

        A remembered setup that cannot be read (another version, a damaged settings file) is
        ignored: the window opens on the source's example.
        """
        raw = settings().value(_LAST_KEY, "")
        if not isinstance(raw, str) or not raw:
            return None
        try:
            session = loads_session(raw, origin="the remembered setup")
        except (InputError, ValueError):
            log.warning("the remembered setup could not be read; starting from the example")
            return None
        controls = self.host.controls
        if controls.can_show(session.config):
            return None
        with self.restoring():
            controls.set_config(session.config, emit=False)
        data_file = session.ui.get("data_file")
        return data_file if isinstance(data_file, dict) else None
