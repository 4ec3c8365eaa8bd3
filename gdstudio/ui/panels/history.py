"""The history table: one row per epoch, read straight from the run's growing NumPy arrays.

The model stores nothing of its own. A batch of k new epochs is one ``beginInsertRows`` /
``endInsertRows`` pair (never one per row), rows have a fixed height, and cells are formatted
only when the view asks for them (the visible ones), so a run of millions of epochs costs the
table almost nothing.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from gdstudio.ui.model.formatting import exact, number
from gdstudio.ui.model.run_data import RunData
from gdstudio.ui.panels.number_cells import use_number_cells

__all__ = ["HistoryModel", "HistoryView"]

_Index = QModelIndex | QPersistentModelIndex

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_USER = int(Qt.ItemDataRole.UserRole)
_ROLES = frozenset((_DISPLAY, _TOOLTIP, _ALIGNMENT, _USER))
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


class HistoryModel(QAbstractTableModel):
    """Columns: epoch, the parameters, loss, the gradient components."""

    def __init__(self, data: RunData | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data = data or RunData()
        self._rows = self._data.n
        self._headers = self._make_headers(self._data.param_names)
        self._digits = self._digits_for(self._data.k)

    @staticmethod
    def _digits_for(k: int) -> int:
        """Significant digits shown: fewer when more columns share the width (hover: exact)."""
        return 10 if k == 1 else 7

    @staticmethod
    def _make_headers(names: tuple[str, ...]) -> list[str]:
        grads = ["f′(x)"] if names == ("x",) else [f"∂L/∂{n}" for n in names]
        return ["epoch", *names, "loss", *grads]

    @property
    def run_data(self) -> RunData:
        return self._data

    # --- updates from the window -------------------------------------------------------------

    def reset(self, data: RunData) -> None:
        """A new run (new columns, maybe): the view starts over."""
        self.beginResetModel()
        self._data = data
        self._rows = data.n
        self._headers = self._make_headers(data.param_names)
        self._digits = self._digits_for(data.k)
        self.endResetModel()

    def rows_appended(self) -> None:
        """The run data grew: announce all new rows at once."""
        new = self._data.n
        if new > self._rows:
            self.beginInsertRows(QModelIndex(), self._rows, new - 1)
            self._rows = new
            self.endInsertRows()
        elif new < self._rows:  # pragma: no cover - run data only grows between resets
            self.reset(self._data)

    # --- Qt model API ------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self._headers):
                return self._headers[section]
            if role == Qt.ItemDataRole.ToolTipRole and 0 <= section < len(self._headers):
                return self._header_tip(section)
        return None

    def _header_tip(self, section: int) -> str:
        k = self._data.k
        if section == 0:
            return "Epoch t (0 is the start)"
        if section <= k:
            return f"The parameter {self._headers[section]} after epoch t"
        if section == k + 1:
            return "The loss at that row's parameters"
        return "The gradient at that row's parameters (the next update uses it)"

    def _dtype(self) -> str:
        """The run's dtype: a float32 run's numbers are shown with float32's own digits."""
        config = self._data.config
        return str(config.dtype) if config is not None else "float64"

    def value(self, row: int, column: int) -> float:
        """The number in a cell (column 0 is the epoch)."""
        k = self._data.k
        if column == 0:
            return float(row)
        if column <= k:
            return float(self._data.params[row, column - 1])
        if column == k + 1:
            return float(self._data.loss[row])
        return float(self._data.grad[row, column - k - 2])

    def data(self, index: _Index, role: int = _DISPLAY) -> Any:
        # The view asks each visible cell for a dozen roles at every repaint, while the run
        # plays: roles the table does not use are answered first, and no enum arithmetic.
        role = int(role)
        if role not in _ROLES or not index.isValid():
            return None
        if role == _ALIGNMENT:
            return _RIGHT
        row, column = index.row(), index.column()
        if not (0 <= row < self._rows and 0 <= column < len(self._headers)):
            return None
        if role == _DISPLAY:
            if column == 0:
                return f"{row:,}"
            return number(self.value(row, column), self._digits, self._dtype())
        if role == _TOOLTIP:
            return exact(self.value(row, column), self._dtype()) if column > 0 else None
        return self.value(row, column)  # UserRole


class HistoryView(QTableView):
    """The table, following the newest epoch unless the person scrolls up."""

    def __init__(self, model: HistoryModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("historyTable")
        self.setModel(model)
        use_number_cells(self)  # a narrow column shortens the mantissa, never the exponent
        self.setToolTip("Every epoch of the run: parameters, loss and gradient (hover a cell "
                        "for its exact value)")
        self.setAlternatingRowColors(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        self.verticalHeader().hide()
        # The UI font's digits are tabular (all one width), so right-aligned numbers line up
        # without the width of a monospace font.
        vertical = self.verticalHeader()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(40)
        header.setFont(QFont(self.font().family(), -1, QFont.Weight.DemiBold))
        self._epoch_chars = 0
        model.modelReset.connect(self._size_epoch_column)
        model.rowsInserted.connect(self._on_rows_inserted)
        self._size_epoch_column()
        self._follow = True
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        self.verticalScrollBar().rangeChanged.connect(self._on_range_changed)

    def _size_epoch_column(self) -> None:
        """The epoch column as wide as the run's last epoch needs (and its title); the numbers
        share the rest (it was ten million's width whatever the run: at 1024 × 768 a 2-D
        run's gradient columns were behind the scroll bar while "200" sat in 80 pixels)."""
        header = self.horizontalHeader()
        if not header.count():
            return
        model = self.model()
        last = model.run_data.planned_epochs if isinstance(model, HistoryModel) else 0
        last = max(last, model.rowCount() - 1, 9999)
        self._epoch_chars = len(f"{last:,}")
        title = str(model.headerData(0, Qt.Orientation.Horizontal) or "")
        width = max(self.fontMetrics().horizontalAdvance(f"{last:,}"),
                    header.fontMetrics().horizontalAdvance(title))
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(0, width + 14)

    def _on_rows_inserted(self, _parent: QModelIndex, _first: int, last: int) -> None:
        if len(f"{last:,}") > self._epoch_chars:  # a run longer than planned (a resumed one)
            self._size_epoch_column()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # Large or Huge text: wider digits
            self._size_epoch_column()

    def _on_scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._follow = value >= bar.maximum() - 1

    def _on_range_changed(self, _lo: int, hi: int) -> None:
        if self._follow:
            self.verticalScrollBar().setValue(hi)
