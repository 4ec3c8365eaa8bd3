"""Table cells whose numbers never lose their exponent (:class:`NumberDelegate`).

Qt elides a cell's text that does not fit with "…" at its end: for "1.152944407×10⁻¹⁶" that is
"1.152944407×1…", which reads as 1.15 (and a diverging loss seems to fall). A cell too narrow
for its number shows it with fewer significant digits instead (the mantissa shortens, ×10ⁿ
stays), down to one; the exact value is always in the tooltip.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from gdstudio.ui.model.formatting import number

__all__ = ["NumberDelegate", "fitting_text", "use_number_cells"]

_USER = Qt.ItemDataRole.UserRole


def fitting_text(value: float, text: str, width: int, widths: Callable[[str], int]) -> str:
    """``text`` (``value`` as shown) if it is at most ``width`` wide (``widths`` measures), else
    ``value`` with as many significant digits as fit (at least one); never elided."""
    if widths(text) <= width or not math.isfinite(value) or ("×10" not in text
                                                            and "." not in text):
        return text  # (whole numbers, such as an epoch, are never shortened)
    digits = sum(ch.isdigit() for ch in text.split("×")[0])
    for d in range(min(digits, 17) - 1, 0, -1):
        shorter = number(value, d)
        if widths(shorter) <= width:
            return shorter
    return number(value, 1)


class NumberDelegate(QStyledItemDelegate):
    """Draws a model's cells as :func:`fitting_text` makes them (the number: UserRole)."""

    def initStyleOption(self, option: QStyleOptionViewItem,
                        index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        value = index.data(_USER)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not option.text:
            return
        style = option.widget.style() if option.widget is not None else None
        margin = 2 * (style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, option,
                                        option.widget) + 1) if style is not None else 6
        metrics = QFontMetrics(option.font)
        option.text = fitting_text(float(value), option.text, option.rect.width() - margin,
                                   metrics.horizontalAdvance)


def use_number_cells(view: QAbstractItemView, columns: tuple[int, ...] | None = None) -> None:
    """Give ``view`` (or its ``columns``: those whose text is :func:`~gdstudio.ui.model.
    formatting.number` of their UserRole value) the :class:`NumberDelegate`, and no eliding."""
    if columns is None:
        view.setItemDelegate(NumberDelegate(view))
    else:
        delegate = NumberDelegate(view)
        for column in columns:
            view.setItemDelegateForColumn(column, delegate)
    view.setTextElideMode(Qt.TextElideMode.ElideNone)
