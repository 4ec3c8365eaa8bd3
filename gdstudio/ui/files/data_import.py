"""Regression data from a CSV file: a preview with a column chooser, then a load off the GUI thread.

    File › Open data… / drop a file ──▶ preview_csv (the first lines; fast)
        ──▶ CsvPreviewDialog: delimiter and header as detected, the first rows, x and y columns,
            "Skip rows that are not two numbers" (off unless ticked)
        ──▶ a Task: RegressionProblem.from_csv(path, x, y, progress=…) off the GUI thread,
            a QProgressDialog with Cancel (the core's progress callback returns False)
        ──▶ the problem goes to the controls; the regression runs on it.

Any error (unreadable file, a bad cell at line 81 234, …) is shown in a dialog naming the file,
the line and the reason; the current problem is left as it was. A row that cannot be read (a
:class:`~gdstudio.core.errors.BadRowError`) is told the same way, by a box that offers "Skip bad
rows": the same columns are then loaded again without such rows, and the data's description
says how many were left out and which lines. Nothing here blocks the event loop: the preview is
opened with ``open()`` and answered through signals; the error boxes are
:mod:`~gdstudio.ui.files.dialogs`' (tests answer them).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QProgressDialog,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gdstudio.core import InputError, RegressionProblem
from gdstudio.core.data import CsvPreview, LoadCancelled, preview_csv
from gdstudio.core.errors import BadRowError
from gdstudio.ui.files import dialogs
from gdstudio.ui.theme import ERROR_RED, set_text_colour
from gdstudio.ui.threads.tasks import Task, TaskContext

__all__ = ["CsvPreviewDialog", "CsvImporter", "DATA_FILTERS", "is_data_file"]

DATA_FILTERS = "Data files (*.csv *.tsv *.txt);;All files (*)"
_DATA_SUFFIXES = (".csv", ".tsv", ".txt")
#: Rows of the file shown in the preview.
PREVIEW_ROWS = 12
#: Seconds the loading thread rests after each chunk, leaving the GIL to the GUI thread.
GIL_REST_S = 0.004


#: The most columns the preview shows and offers.
MAX_SHOWN_COLUMNS = 1000
#: The most characters of a cell or a column name the preview shows (a line may hold 10⁶).
SHOWN_CHARS = 120


def _shown(text: str) -> str:
    """``text`` cut to :data:`SHOWN_CHARS` characters (with "…" when cut)."""
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def is_data_file(path: str) -> bool:
    return path.lower().endswith(_DATA_SUFFIXES)


def _size_text(path: str) -> str:
    try:
        n = float(os.path.getsize(path))
    except OSError:
        return ""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return ""  # pragma: no cover


class CsvPreviewDialog(QDialog):
    """What the file looks like, and which columns are x and y (the first two numeric ones)."""

    def __init__(self, preview: CsvPreview, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("csvPreviewDialog")
        self.preview = preview
        name = os.path.basename(preview.path)
        self.setWindowTitle(f"Open data: {name}")
        layout = QVBoxLayout(self)

        numeric = preview.numeric_columns()
        numeric_set = set(numeric)
        shown = min(preview.n_columns, MAX_SHOWN_COLUMNS)  # a line may hold 10⁵ columns
        more = (f" (the first {shown:,} are offered here; gdstudio run --x-column/--y-column "
                "reaches the others)" if shown < preview.n_columns else "")
        header = "a header row" if preview.has_header else "no header row"
        decimal = ", decimal comma" if preview.decimal_comma else ""
        size = _size_text(preview.path)
        self.summaryLabel = QLabel(
            f"<b>{_escape(name)}</b>{f' ({size})' if size else ''}: {preview.n_columns} "
            f"column{'s' if preview.n_columns != 1 else ''} separated by "
            f"<b>{preview.delimiter_name}</b>, {header}{decimal}{more}."
        )
        self.summaryLabel.setObjectName("csvSummaryLabel")
        self.summaryLabel.setWordWrap(True)
        self.summaryLabel.setToolTip(preview.path)
        layout.addWidget(self.summaryLabel)

        table = QTableWidget(min(len(preview.rows), PREVIEW_ROWS), shown)
        table.setObjectName("csvPreviewTable")
        table.setHorizontalHeaderLabels([_shown(n) for n in preview.names[:shown]])
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setToolTip("The first rows of the file, as read (the whole file is checked when "
                         "it loads)")
        first = preview.first_data_line
        table.setVerticalHeaderLabels([f"line {first + i}" if i == 0 else str(first + i)
                                       for i in range(table.rowCount())])
        for i, row in enumerate(preview.rows[:PREVIEW_ROWS]):
            for j in range(shown):
                cell = row[j] if j < len(row) else ""
                item = QTableWidgetItem(_shown(cell))
                if j not in numeric_set:
                    item.setForeground(self.palette().color(self.palette().ColorRole.PlaceholderText))
                table.setItem(i, j, item)
        table.resizeColumnsToContents()
        self.table = table
        layout.addWidget(table, 1)

        form = QFormLayout()
        self.xCombo = QComboBox()
        self.xCombo.setObjectName("csvXCombo")
        self.yCombo = QComboBox()
        self.yCombo.setObjectName("csvYCombo")
        for combo in (self.xCombo, self.yCombo):
            for j, column in enumerate(preview.names[:shown]):
                label = (_shown(column) if j in numeric_set
                         else f"{_shown(column)} (not numeric)")
                combo.addItem(label, j)
        self.xCombo.setToolTip("The column of x, the input (the horizontal axis)")
        self.yCombo.setToolTip("The column of y, what the line y = m·x + c should predict")
        offered = [j for j in numeric if j < shown]
        defaults = offered[:2] if len(offered) >= 2 else [0, min(1, shown - 1)]
        self.xCombo.setCurrentIndex(defaults[0])
        self.yCombo.setCurrentIndex(defaults[1])
        form.addRow("x column", self.xCombo)
        form.addRow("y column", self.yCombo)
        layout.addLayout(form)

        self.skipCheck = QCheckBox("Skip rows that are not two numbers")
        self.skipCheck.setObjectName("csvSkipBadRowsCheck")
        self.skipCheck.setToolTip(
            "Leave out the rows that cannot be read (a text or empty cell, nan or inf, too many "
            "or too few fields) instead of refusing the file; the data's description then says "
            "how many were left out, and which lines")
        layout.addWidget(self.skipCheck)

        self.problemLabel = QLabel()
        self.problemLabel.setObjectName("csvProblemLabel")
        self.problemLabel.setTextFormat(Qt.TextFormat.PlainText)  # it quotes the file's cells
        self.problemLabel.setWordWrap(True)
        set_text_colour(self.problemLabel, ERROR_RED)
        layout.addWidget(self.problemLabel)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Load and fit")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout.addWidget(buttons)
        self.resize(620, 460)
        for combo in (self.xCombo, self.yCombo):
            combo.currentIndexChanged.connect(self._check)
        self._check()

    def columns(self) -> tuple[int, int]:
        """The chosen (x, y) column indices."""
        return int(self.xCombo.currentData()), int(self.yCombo.currentData())

    def skip_bad_rows(self) -> bool:
        """Rows that cannot be read are to be left out (the box is ticked)."""
        return self.skipCheck.isChecked()

    def _check(self, *_args: object) -> None:
        x, y = self.columns()
        numeric = self.preview.numeric_columns()
        if self.preview.n_columns < 2:
            problem = "The file has one column; x and y need two."
        elif x == y:
            problem = "Choose two different columns for x and y."
        elif x not in numeric or y not in numeric:
            problem = ("The first rows of a chosen column are not all numbers; loading will "
                       "say which line is not (or leave such rows out, if told to skip them).")
        else:
            problem = ""
        self.problemLabel.setText(problem)
        self.problemLabel.setVisible(bool(problem))
        ok = self.preview.n_columns >= 2 and x != y
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --------------------------------------------------------------------------------------------


def _read(path: str, x_column: int | str, y_column: int | str,
          skip_bad_rows: bool = False) -> Callable[[TaskContext], Any]:
    """The load's work (in its task's thread): the problem, or a message naming the file, the
    line and the reason (raised as :class:`InputError`)."""

    def work(context: TaskContext) -> RegressionProblem | None:
        try:
            return RegressionProblem.from_csv(path, x_column, y_column, progress=context.report,
                                              skip_bad_rows=skip_bad_rows)
        except LoadCancelled:
            return None
        except OSError as err:
            raise InputError(f"{path}: {err.strerror or err}") from None
        except MemoryError:
            raise InputError(f"{path}: not enough memory to load this file") from None

    return work


class CsvImporter(QObject):
    """Open data: choose a file, preview it, load it in the background, hand the problem on.

    ``apply`` receives the loaded :class:`RegressionProblem` (on the GUI thread). ``finished``
    tells how it ended: ``"loaded"``, ``"cancelled"`` or ``"failed"`` (with the message), once
    per open: a load refused for a bad row, then loaded again skipping such rows, ends once.
    """

    finished = Signal(str, str)  # outcome, message

    def __init__(self, parent: QWidget, apply: Callable[[RegressionProblem], None]) -> None:
        super().__init__(parent)
        self._parent = parent
        self._apply = apply
        self.dialog: CsvPreviewDialog | None = None
        self.progress: QProgressDialog | None = None
        self.task: Task | None = None
        self._folder = ""
        #: The load under way: (path, x column, y column, skip bad rows).
        self._request: tuple[str, int | str, int | str, bool] | None = None
        #: A load refused for a bad row, whose message asks whether to skip such rows once
        #: its task has ended (one task at a time).
        self._offer: str | None = None
        self._asking = False

    @property
    def busy(self) -> bool:
        return self.dialog is not None or self.task is not None or self._asking

    # --- steps -------------------------------------------------------------------------------

    def choose_file(self) -> None:
        """File › Open data…: ask for a file, then preview it."""
        if self.busy:
            return
        path = dialogs.ask_open_path(self._parent, "Open data", self._folder, DATA_FILTERS)
        if path:
            self.preview_file(path)

    def preview_file(self, path: str) -> CsvPreviewDialog | None:
        """Show the preview dialog for ``path`` (errors in a dialog); returns the dialog."""
        if self.busy:
            return None
        self._folder = os.path.dirname(os.path.abspath(path))
        try:
            preview = preview_csv(path)
        except InputError as err:
            self._fail(str(err))
            return None
        except OSError as err:
            self._fail(f"{path}: {err.strerror or err}")
            return None
        dialog = CsvPreviewDialog(preview, self._parent)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.accepted.connect(self._on_preview_accepted)
        dialog.rejected.connect(self._on_preview_rejected)
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()
        return dialog

    @Slot()
    def _on_preview_accepted(self) -> None:
        dialog = self.dialog
        self.dialog = None
        if dialog is not None:
            self.load(dialog.preview.path, *dialog.columns(),
                      skip_bad_rows=dialog.skip_bad_rows())

    @Slot()
    def _on_preview_rejected(self) -> None:
        self.dialog = None
        self.finished.emit("cancelled", "")

    def load(self, path: str, x_column: int | str, y_column: int | str, *,
             skip_bad_rows: bool = False) -> Task | None:
        """Load columns ``x_column``, ``y_column`` (indices or names) of ``path`` in a task,
        with a progress dialog; ``skip_bad_rows``: leave out the rows that cannot be read
        (else such a row refuses the file, with an offer to load it again skipping them)."""
        if self.task is not None:
            return None
        self._request = (path, x_column, y_column, skip_bad_rows)
        # Parsing holds Python's GIL for whole chunks; a short rest after each report hands it
        # to the GUI thread, which needs it for every paint and every click.
        task = Task(_read(path, x_column, y_column, skip_bad_rows), name="gdstudioCsvLoad",
                    rest_s=GIL_REST_S, parent=self)
        progress = QProgressDialog(f"Reading {os.path.basename(path)}…", "Cancel", 0, 1000,
                                   self._parent)
        progress.setObjectName("csvLoadProgress")
        progress.setWindowTitle("Open data")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(400)  # small files load before it would show
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.setValue(0)
        progress.canceled.connect(task.cancel)
        task.progressed.connect(self._on_progress)
        task.succeeded.connect(self._on_loaded)
        task.failed.connect(self._on_failed)
        task.cancelled.connect(self._on_cancelled)
        task.finished.connect(self._on_task_finished)
        self.task, self.progress = task, progress
        return task.start()

    def cancel(self) -> None:
        """Stop a load in progress (as the Cancel button does)."""
        if self.task is not None:
            self.task.cancel()

    # --- results (GUI thread) ------------------------------------------------------------------

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        # A report queued before the window closed may arrive after its dialog is gone.
        if self.progress is not None and total > 0 and shiboken6.isValid(self.progress):
            self.progress.setValue(min(999, int(1000 * done / total)))

    @Slot(object)
    def _on_loaded(self, problem: RegressionProblem | None) -> None:
        if problem is None:  # cancelled between two chunks
            self._on_cancelled()
            return
        self._close_progress()
        try:
            self._apply(problem)
        except InputError as err:
            self._fail(str(err))
            return
        self.finished.emit("loaded", "")

    @Slot()
    def _on_cancelled(self) -> None:
        self._close_progress()
        self.finished.emit("cancelled", "")

    @Slot(object)
    def _on_failed(self, error: object) -> None:
        request = self._request
        if isinstance(error, BadRowError) and request is not None and not request[3]:
            self._close_progress()
            self._offer = str(error)  # asked once the task has ended (_on_task_finished)
            return
        self._fail(str(error))

    def _offer_skip(self, message: str) -> None:
        """A row could not be read: load the same columns again without such rows, or not."""
        self._asking = True
        try:
            skip = dialogs.ask_skip_bad_rows(self._parent, "Could not open the data",
                                             f"{message}\n\nThe current problem is unchanged.")
        finally:
            self._asking = False
        request = self._request
        if (skip and request is not None
                and self.load(*request[:3], skip_bad_rows=True) is not None):
            return
        self.finished.emit("failed", message)

    @Slot(str)
    def _fail(self, message: str) -> None:
        self._close_progress()
        dialogs.show_error(self._parent, "Could not open the data",
                           f"{message}\n\nThe current problem is unchanged.")
        self.finished.emit("failed", message)

    @Slot()
    def _on_task_finished(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.deleteLater()
        offer, self._offer = self._offer, None
        if offer is not None:
            self._offer_skip(offer)

    def _close_progress(self) -> None:
        progress, self.progress = self.progress, None
        if progress is not None and shiboken6.isValid(progress):
            progress.canceled.disconnect()
            # reset() stops the dialog's own timer: a dialog only closed would show itself
            # again when its minimum duration is up, over the window, taking every click.
            progress.reset()
            progress.close()
            progress.deleteLater()

    def shutdown(self) -> None:
        """Cancel and wait for a load in progress (the window is closing)."""
        task, self.task = self.task, None
        self._offer = None
        if task is not None:
            task.detach()  # the results still on their way go nowhere
            task.cancel()
            task.wait()
            task.deleteLater()
        self._close_progress()
