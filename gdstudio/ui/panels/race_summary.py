"""The race's live summary (:class:`RaceSummaryModel` / :class:`RaceSummaryView`,
``raceTable``): one row per lane, in the lane's colour: learning rate, optimizer, status, epochs
to |gradient| ≤ tol, loss. It shows the race at the epoch the history slider points to (the
newest while following the run)."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableView,
    QWidget,
)

from gdstudio.core.race.lanes import OPTIMIZER_NAMES
from gdstudio.ui.model.formatting import exact, lr_text, number
from gdstudio.ui.model.race_data import RaceData
from gdstudio.ui.panels.number_cells import use_number_cells
from gdstudio.ui.theme import readable, run_colors

__all__ = ["RaceSummaryModel", "RaceSummaryView", "STATUS_COLOURS", "STATUS_NAMES"]

STATUS_COLOURS = {
    "converged": "#2e7d32",
    "cycling": "#6a1b9a",
    "diverged": "#c62828",
    "max_epochs": "#424242",
    "running": "#1565c0",
}
STATUS_NAMES = {
    "converged": "converged",
    "cycling": "cycling",
    "diverged": "diverged",
    "max_epochs": "epoch limit",
    "running": "running…",
}

_COLUMNS = ("run", "lr", "optimizer", "status", "to tol", "loss")


class RaceSummaryModel(QAbstractTableModel):
    """One row per lane; the numbers at the epoch shown (the newest unless scrubbing)."""

    def __init__(self, data: RaceData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data = data
        self._rows = 0
        self._epoch: int | None = None
        self._colours: list[QColor] = []
        self._widths_key = (0, 0)  # the longest texts shown of the columns that can widen

    @property
    def race_data(self) -> RaceData:
        return self._data

    def reset(self) -> None:
        """A new race (or none): new rows."""
        self.beginResetModel()
        spec = self._data.spec
        self._rows = len(spec.lanes) if spec is not None else 0
        self._colours = [QColor(c) for c in run_colors(self._rows)]
        self._epoch = None
        self._widths_key = (0, 0)
        self.endResetModel()

    #: A column's texts may need it wider (a lane ended: its status; its first epoch at tol):
    #: the view sizes that column again (not every column at every frame: measuring every
    #: cell of 24 lanes took ~1,300 calls of :meth:`data`, 10-15 ms, at each refresh).
    widthsChanged = Signal(int)

    def show_epoch(self, epoch: int | None) -> None:
        """Show the race at ``epoch`` (None: the newest rows); the cells change, not the rows."""
        self._epoch = epoch
        self.refresh()

    def refresh(self) -> None:
        """The cells that change as a race goes (status, epochs to tol, loss) are shown again."""
        if not self._rows:
            return
        self.dataChanged.emit(self.index(0, _COLUMNS.index("status")),
                              self.index(self._rows - 1, len(_COLUMNS) - 1))
        # the longest text of each column that can widen (a column is not narrowed meanwhile)
        widening = (_COLUMNS.index("status"), _COLUMNS.index("to tol"))
        key = tuple(max(len(str(self.data(self.index(j, c)))) for j in range(self._rows))
                    for c in widening)
        old = self._widths_key
        self._widths_key = (max(key[0], old[0]), max(key[1], old[1]))
        for column, k, w in zip(widening, key, old, strict=True):
            if k > w:
                self.widthsChanged.emit(column)

    # --- values ------------------------------------------------------------------------------

    def status(self, j: int) -> str:
        """"running" or the lane's final status, at the epoch shown."""
        data = self._data
        return "running" if data.running(j, self._epoch) else data.statuses[j]

    def epochs_to_tol(self, j: int) -> int | None:
        first = int(self._data.epochs_to_tol[j])
        if first < 0 or (self._epoch is not None and first > self._epoch):
            return None
        return first

    def loss(self, j: int) -> float:
        data = self._data
        if data.n == 0:
            return math.nan
        return float(data.loss[data.row(j, self._epoch), j])

    def _tol_header(self) -> str:
        spec = self._data.spec
        tol = spec.report_tol if spec is not None else 0.0
        return f"epochs to |∇| ≤ {number(tol, 3)}"

    # --- Qt model API ------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(_COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            names = {"run": "run", "lr": "learning rate", "optimizer": "optimizer",
                     "status": "status", "to tol": self._tol_header(), "loss": "loss"}
            return names[_COLUMNS[section]]
        if role == Qt.ItemDataRole.ToolTipRole:
            tips = {
                "run": "Each run's colour on every plot",
                "lr": "The run's learning rate",
                "optimizer": "The run's update rule",
                "status": "How the run ended (or that it is still running)",
                "to tol": "The first epoch at which |gradient| reached the tolerance (the stop "
                          "rule's tol, or 10⁻⁶ when tol is 0); — if it never did",
                "loss": "The loss at the epoch shown",
            }
            return tips[_COLUMNS[section]]
        return None

    def _dtype(self) -> str:
        spec = self._data.spec
        return str(spec.config.dtype) if spec is not None else "float64"

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self._data.spec is None:
            return None
        j, column = index.row(), _COLUMNS[index.column()]
        if not 0 <= j < self._rows:
            return None
        spec = self._data.spec
        lane = spec.lanes[j]
        if role == Qt.ItemDataRole.DisplayRole:
            if column == "run":
                return spec.label(j)
            if column == "lr":
                return lr_text(lane.lr)
            if column == "optimizer":
                return OPTIMIZER_NAMES.get(lane.optimizer.name, lane.optimizer.name)
            if column == "status":
                status = self.status(j)
                return STATUS_NAMES.get(status, status)
            if column == "to tol":
                first = self.epochs_to_tol(j)
                return "—" if first is None else f"{first:,}"
            if column == "loss":
                return number(self.loss(j), 6, self._dtype())
        if role == Qt.ItemDataRole.DecorationRole and column == "run":
            return self._colours[j]
        if role == Qt.ItemDataRole.ForegroundRole and column == "status":
            return QColor(readable(STATUS_COLOURS.get(self.status(j), "#424242")))
        if role == Qt.ItemDataRole.FontRole and column == "run":
            font = QFont()
            font.setWeight(QFont.Weight.DemiBold)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == "status":
                return self._data.messages[j] if not self._data.running(j, self._epoch) \
                    else "still running"
            if column == "loss":
                return exact(self.loss(j), self._dtype())
            if column == "run":
                return f"{spec.label(j)}: click to show this run in the History table"
        if role == Qt.ItemDataRole.TextAlignmentRole and column in ("lr", "to tol", "loss"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return {"run": spec.label(j), "lr": lane.lr, "optimizer": lane.optimizer.name,
                    "status": self.status(j), "to tol": self.epochs_to_tol(j),
                    "loss": self.loss(j)}[column]
        return None


class RaceSummaryView(QTableView):
    """The race's summary; selecting a row picks the lane shown in History (``laneSelected``)."""

    laneSelected = Signal(int)

    TIP = ("The race: one row per run, in its colour on the plots. Select a row to follow that "
           "run in the History table, the status bar and the tangent.")
    #: Columns left out where every run has the same value (said in the tooltip instead), or
    #: where each run's label says it ("lr 0.01", "Adam"): a race of learning rates has one
    #: optimizer, a race of optimizers often one rate; at 1024×768 the table's last columns
    #: were otherwise behind its scroll bar.
    SHARED_COLUMNS = ("lr", "optimizer")
    #: How a run's label says a column's value (RaceSpec.label: "lr 0.01"; "Adam").
    LABEL_FORMS = {"lr": "lr {}", "optimizer": "{}"}

    def __init__(self, model: RaceSummaryModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("raceTable")
        self.setModel(model)
        use_number_cells(self, (_COLUMNS.index("loss"),))  # a loss keeps its exponent
        self.setToolTip(self.TIP)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.horizontalHeader()
        # Sized to their contents when those may have changed (a new race, a lane that ended,
        # another text size), not by the header at every change of a cell (see widthsChanged).
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setFont(QFont(self.font().family(), -1, QFont.Weight.DemiBold))
        model.modelReset.connect(self._select_first)
        model.widthsChanged.connect(self.resizeColumnToContents)
        self.selectionModel().currentRowChanged.connect(self._on_row_changed)

    def _select_first(self) -> None:
        self._show_columns()
        self.resizeColumnsToContents()
        self._fit_height()
        if self.model().rowCount():
            self.selectRow(0)

    def _show_columns(self) -> None:
        """Leave out a column whose value every run shares (:data:`SHARED_COLUMNS`)."""
        model = self.model()
        rows = model.rowCount()
        shared = []
        labels = [model.index(j, 0).data() or "" for j in range(rows)]
        for name in self.SHARED_COLUMNS:
            column = _COLUMNS.index(name)
            texts = [model.index(j, column).data() for j in range(rows)]
            same = rows > 1 and len(set(texts)) == 1
            # (or each run's label says it: "lr 0.01" in a race of learning rates, "Adam")
            form = self.LABEL_FORMS[name]
            named = rows > 0 and all(form.format(t) == label
                                     for t, label in zip(texts, labels, strict=True))
            self.setColumnHidden(column, same or named)
            if same:
                header = model.headerData(column, Qt.Orientation.Horizontal)
                shared.append(f"{header}: {texts[0]}")
        self.setToolTip(self.TIP + ("\nEvery run: " + "; ".join(shared) if shared else ""))

    def _fit_height(self) -> None:
        """As tall as its rows (up to 8 of them), so the plots above keep the rest; a race of
        up to five lanes (the source's learning rates) never hides one of them behind the
        scroll bar, whatever the text size (the horizontal scroll bar, shown when the columns
        are wider than the table, counted in)."""
        rows = self.model().rowCount()
        shown = max(1, min(rows, 8))
        row = self.verticalHeader().defaultSectionSize()
        height = (self.horizontalHeader().sizeHint().height() + shown * row
                  + self.horizontalScrollBar().sizeHint().height() + 2 * self.frameWidth() + 2)
        self.setMinimumHeight(height if rows <= 5 else min(height, 3 * row + 30))
        self.setMaximumHeight(height)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # Large or Huge text: taller rows
            self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
            self.resizeColumnsToContents()
            self._fit_height()

    def selected_lane(self) -> int:
        index = self.selectionModel().currentIndex()
        return index.row() if index.isValid() else 0

    def _on_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.laneSelected.emit(current.row())
