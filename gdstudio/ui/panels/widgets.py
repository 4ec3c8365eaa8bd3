"""Small reusable widgets: a spin box that reads scientific notation, a logarithmic slider, a
message bar. Each one only translates between text/positions and numbers."""

from __future__ import annotations

import bisect
import math
import numbers
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal, SignalInstance
from PySide6.QtGui import QPainter, QPaintEvent, QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QScrollArea,
    QSlider,
    QSpinBox,
    QToolButton,
    QWidget,
)

from gdstudio.ui.model.formatting import lr_text

__all__ = ["ScientificSpinBox", "IntegerSpinBox", "LogSlider", "MessageBar", "log_grid",
           "NICE_MANTISSAS", "set_progress", "EpochProgressBar", "VerticalScrollArea",
           "let_combos_shrink", "ElidingLabel"]


class ElidingLabel(QLabel):
    """A one-line plain-text label that, when its text does not fit, ends it with "…" where it
    is cut (and shows the whole text as its tooltip) instead of clipping it mid-word: the
    status line at Huge text on a 1024-pixel screen ended "· x = 2.00066 ·" at the edge, with
    no sign that more was there. :meth:`text` is always the whole text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setMinimumWidth(1)
        self._tip = ""

    def setToolTip(self, tip: str) -> None:  # noqa: N802 - Qt's name
        self._tip = tip  # (shown when the text fits; else the text itself, then this)
        super().setToolTip(tip)

    def elided(self) -> bool:
        """The text is wider than the label: it is drawn cut, with "…"."""
        return self.fontMetrics().horizontalAdvance(self.text()) > self.contentsRect().width()

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(self.fontMetrics().horizontalAdvance("…") * 4, hint.height())

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            whole = f"{self.text()}\n\n{self._tip}" if self._tip else self.text()
            super().setToolTip(whole if self.elided() else self._tip)
        return super().event(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        if not self.elided():
            super().paintEvent(event)
            return
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight,
                                             rect.width())
        painter.drawText(rect, int(self.alignment() | Qt.AlignmentFlag.AlignVCenter), text)
        painter.end()


class VerticalScrollArea(QScrollArea):
    """Scrolls its widget up and down, never sideways, and is never narrower than the widget
    needs: its minimum width follows the widget's as the text size, the tab or the fields shown
    change (the Setup panel kept the width Normal text needed, and at Huge its fields were cut
    at the right edge, with no way to see them)."""

    def __init__(self, widget: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidget(widget)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        widget.installEventFilter(self)
        self.fit_width()

    def fit_width(self) -> None:
        widget = self.widget()
        if widget is None:
            return
        width = (widget.minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width()
                 + 2 * self.frameWidth() + 2)
        if width != self.minimumWidth():
            self.setMinimumWidth(width)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.widget() and event.type() in (
                QEvent.Type.LayoutRequest, QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.fit_width()
        return False


def let_combos_shrink(root: QWidget, characters: int = 10) -> None:
    """Every list field under ``root`` as narrow as ``characters`` characters when space is
    short (its current choice elided; the open list shows each in full), instead of as wide
    as its longest choice: at Huge text "Manual (analytic gradient)" alone made the Setup
    panel wider than a 1024-pixel screen leaves it."""
    for combo in root.findChildren(QComboBox):
        combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(characters)


class EpochProgressBar(QProgressBar):
    """"n / N epochs": at least as wide as its text at N (whatever the text size: Huge text
    wrapped it into two cut lines in a fixed 160–220 px)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFormat("%v / %m epochs")

    def _text_width(self) -> int:
        widest = f"{self.maximum():,}".replace(",", "")
        text = self.format().replace("%v", widest).replace("%m", widest)
        metrics = self.fontMetrics()
        return metrics.horizontalAdvance(text) + 2 * metrics.height()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(max(hint.width(), self._text_width()), hint.height())

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(max(hint.width(), self._text_width()), hint.height())


def set_progress(bar: QProgressBar, value: int, maximum: int) -> None:
    """Set a progress bar's range and value, to be repainted with the rest of the window.

    ``QProgressBar.setValue`` repaints at once (``repaint()``, not ``update()``), which paints
    every other dirty widget of the window with it, there and then: while a run plays, that
    made each frame's plots and table repaint inside the frame's own update, one long stall.
    With updates off for the moment, the change is only scheduled.
    """
    maximum = max(int(maximum), 1)
    value = max(0, min(int(value), maximum))
    if bar.maximum() == maximum and bar.value() == value:
        return
    wider = bar.maximum() != maximum
    bar.setUpdatesEnabled(False)
    try:
        bar.setRange(0, maximum)
        bar.setValue(value)
    finally:
        bar.setUpdatesEnabled(True)  # (schedules an update)
    if wider:
        bar.updateGeometry()  # (its text's width follows the maximum)


#: Values per decade on logarithmic grids. They include the source's learning rates
#: (0.01, 0.1, 0.3, 0.7, 1) so a person can land on each exactly.
NICE_MANTISSAS = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)

#: Thousands written with separators: 1,000,000 or 1 000 000 or 1_000_000.
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:([,_ \u202f\u00a0])\d{3})(?:\1\d{3})*")


def log_grid(lowest: float, highest: float) -> list[float]:
    """Nice values (``NICE_MANTISSAS`` × powers of ten) from ``lowest`` to ``highest``."""
    out: list[float] = []
    for exponent in range(math.floor(math.log10(lowest)), math.ceil(math.log10(highest)) + 1):
        for mantissa in NICE_MANTISSAS:
            # float(f"{m}e{k}") is the float nearest the decimal value: 0.1, never 0.1000…02
            value = float(f"{mantissa:g}e{exponent}")
            if lowest * (1 - 1e-12) <= value <= highest * (1 + 1e-12):
                out.append(value)
    return out


class _ExplainsItsText:
    """For a spin box with ``_parse(text) -> (value, why)``, a ``problemChanged(str)`` signal
    and ``_problem``: keeps ``problem`` (why the text typed cannot be used, ``""`` when it can)
    up to date, and leaves a bad text in place (CorrectToPreviousValue restores the last good
    value when the field loses focus)."""

    _problem: str  # (set by the spin box's __init__)

    if TYPE_CHECKING:  # what the spin box this is mixed into has
        @property
        def problemChanged(self) -> SignalInstance: ...  # noqa: N802 - a Qt signal
        def _parse(self, text: str) -> tuple[object, str]: ...
        def lineEdit(self) -> QLineEdit: ...  # noqa: N802 - Qt's

    def fixup(self, text: str) -> str:
        return text

    @property
    def problem(self) -> str:
        """Why the current text is not acceptable, or ``""``."""
        return self._problem

    def setValue(self, value: float) -> None:  # noqa: N802 - Qt override
        # (the spin box's setValue: mypy cannot see past this mixin's object base)
        super().setValue(value)  # type: ignore[misc]
        self._recheck()  # the text was rewritten without a textChanged

    def _recheck(self) -> None:
        self._on_text_changed(self.lineEdit().text())

    def _on_text_changed(self, text: str) -> None:
        _, why = self._parse(text)
        if why != self._problem:
            self._problem = why
            self.problemChanged.emit(why)


class ScientificSpinBox(_ExplainsItsText, QDoubleSpinBox):
    """A spin box for a float that accepts what a person types: ``0.1``, ``1e-4``, ``-3.5E2``.

    The value keeps every digit typed (no rounding to a few decimals). Any text can be typed:
    while it is not an acceptable value (``abc``, ``nan``, ``-1`` below the minimum, …),
    :attr:`problemChanged` carries a message saying why (``""`` when it is fine again) and
    :meth:`hasAcceptableInput` is False; Enter or leaving the field puts the last good value
    back.

    Parameters
    ----------
    check
        Optional validation from the core: raises ``ValueError`` with a person-readable
        message for a value it refuses (for instance ``check_learning_rate``).
    logarithmic
        Arrow keys and the wheel move on a logarithmic grid of nice values (1, 1.5, 2, 3, 5,
        7 × 10ⁿ) instead of adding ``singleStep``.
    """

    problemChanged = Signal(str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        minimum: float = -1e12,
        maximum: float = 1e12,
        what: str = "value",
        check: Callable[[float], object] | None = None,
        logarithmic: bool = False,
    ) -> None:
        super().__init__(parent)
        self._what = what
        self._check = check
        self._logarithmic = logarithmic
        self._problem = ""
        # Qt rounds values to `decimals`; with this many it keeps every digit of a double.
        self.setDecimals(320)
        self.setRange(minimum, maximum)
        self.setKeyboardTracking(False)  # commit on Enter / focus-out, not on every keystroke
        self.setAccelerated(True)
        self.setCorrectionMode(QDoubleSpinBox.CorrectionMode.CorrectToPreviousValue)
        self._grid = log_grid(minimum, maximum) if logarithmic and minimum > 0 else []
        self.lineEdit().textChanged.connect(self._on_text_changed)
        # Enter or leaving the field may put the last good value back; Qt rewrites the text
        # then with the line edit's signals blocked, so the message is checked again here.
        self.editingFinished.connect(self._recheck)

    # --- text ↔ value ----------------------------------------------------------------------

    def _parse(self, text: str) -> tuple[float | None, str]:
        """(value, "") if ``text`` is acceptable, else (None, why)."""
        stripped = text.strip().replace("−", "-")
        if not stripped:
            return None, f"enter the {self._what}"
        try:
            value = float(stripped)
        except ValueError:
            return None, f"{stripped!r} is not a number (write 0.001 or 1e-3)"
        if not math.isfinite(value):
            return None, f"the {self._what} must be a finite number"
        if self._check is not None:
            try:
                self._check(value)
            except ValueError as err:
                return None, str(err)
        if value < self.minimum():
            return None, f"the {self._what} must be at least {lr_text(self.minimum())}"
        if value > self.maximum():
            return None, f"the {self._what} must be at most {lr_text(self.maximum())}"
        return value, ""

    def refusal(self, value: float) -> str:
        """Why this field cannot hold ``value`` (its range, its check), or ``""`` if it can."""
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            return f"the {self._what} must be a number"
        if not math.isfinite(number):
            return f"the {self._what} must be a finite number"
        return self._parse(repr(number))[1]

    def validate(  # noqa: D401 - Qt override
        self, text: str, pos: int
    ) -> tuple[QValidator.State, str, int]:
        # Never Invalid: a keystroke that Qt refused would vanish without a word; the text
        # stays instead, and problemChanged says what is wrong with it.
        value, _ = self._parse(text)
        ok = value is not None
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos

    def valueFromText(self, text: str) -> float:
        value, _ = self._parse(text)
        return self.value() if value is None else value

    def textFromValue(self, value: float) -> str:
        return lr_text(value)


    # --- stepping ----------------------------------------------------------------------------

    def stepBy(self, steps: int) -> None:
        if not self._grid:
            super().stepBy(steps)
            return
        value = self.value()
        grid = self._grid
        if steps > 0:
            i = bisect.bisect_right(grid, value * (1 + 1e-12)) - 1 + steps
        else:
            i = bisect.bisect_left(grid, value * (1 - 1e-12)) + steps
        self.setValue(grid[max(0, min(len(grid) - 1, i))])
        self.selectAll()


class IntegerSpinBox(_ExplainsItsText, QSpinBox):
    """A spin box for a whole number that accepts what a person types and says what it refuses.

    ``1000``, ``1,000``, ``1e6`` are read; ``abc``, ``nan``, ``1.5``, ``-1`` below the minimum or
    ``1e308`` above the maximum are not, and :attr:`problemChanged` says why (``""`` when the
    text is fine again) while :meth:`hasAcceptableInput` is False. (A plain QSpinBox drops the
    keystrokes it cannot use, so ``1e308`` typed into it silently becomes 1308.) Enter or
    leaving the field puts the last good value back.
    """

    problemChanged = Signal(str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        minimum: int = 0,
        maximum: int = 2_147_483_647,
        what: str = "value",
        grouped: bool = True,
        special_text: str = "",
    ) -> None:
        super().__init__(parent)
        self._what = what
        self._grouped = grouped
        self._problem = ""
        self.setRange(minimum, maximum)
        if special_text:
            self.setSpecialValueText(special_text)
        self.setKeyboardTracking(False)  # commit on Enter / focus-out, not on every keystroke
        self.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToPreviousValue)
        self.lineEdit().textChanged.connect(self._on_text_changed)
        # Enter or leaving the field may put the last good value back; Qt rewrites the text
        # then with the line edit's signals blocked, so the message is checked again here.
        self.editingFinished.connect(self._recheck)
        self.setValue(minimum)  # writes the text now (a QSpinBox leaves it empty until shown)

    def _parse(self, text: str) -> tuple[int | None, str]:
        """(value, "") if ``text`` is acceptable, else (None, why)."""
        stripped = text.strip().replace("−", "-")
        special = self.specialValueText()
        if special and stripped.lower() == special.lower():
            return self.minimum(), ""
        if not stripped:
            return None, f"enter the {self._what}"
        compact = stripped
        match = _GROUPED.fullmatch(compact)
        if match is not None:
            compact = compact.replace(match.group(1), "")
        try:
            value = int(compact)
        except ValueError:
            try:
                number = float(compact)
            except ValueError:
                return None, f"{stripped!r} is not a whole number (write 1000 or 1e3)"
            if not math.isfinite(number):
                return None, f"the {self._what} must be a finite whole number"
            if number != math.floor(number):
                return None, f"the {self._what} must be a whole number, got {stripped}"
            value = int(number)
        if value < self.minimum():
            return None, f"the {self._what} must be at least {self.minimum():,}"
        if value > self.maximum():
            return None, f"the {self._what} must be at most {self.maximum():,}"
        return value, ""

    def refusal(self, value: int) -> str:
        """Why this field cannot hold ``value`` (a whole number in its range), or ``""``."""
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            return f"the {self._what} must be a whole number"
        number = int(value)
        if number < self.minimum():
            return f"the {self._what} must be at least {self.minimum():,}"
        if number > self.maximum():
            return f"the {self._what} must be at most {self.maximum():,}"
        return ""

    def validate(  # noqa: D401 - Qt override
        self, text: str, pos: int
    ) -> tuple[QValidator.State, str, int]:
        value, _ = self._parse(text)
        ok = value is not None
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos

    def valueFromText(self, text: str) -> int:
        value, _ = self._parse(text)
        return self.value() if value is None else value

    def textFromValue(self, value: int) -> str:
        return f"{value:,}" if self._grouped else str(value)



class LogSlider(QSlider):
    """A horizontal slider over a logarithmic grid of nice values.

    :attr:`valueChosen` carries the grid value when the person moves it. :meth:`set_float`
    moves the handle to the grid value nearest a number without emitting anything.
    """

    valueChosen = Signal(float)

    def __init__(self, values: Sequence[float], parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self._values = list(values)
        self._logs = [math.log10(v) for v in self._values]
        self.setRange(0, len(self._values) - 1)
        self.setSingleStep(1)
        self.setPageStep(len(NICE_MANTISSAS))  # one decade
        self.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.setTickInterval(len(NICE_MANTISSAS))
        self.valueChanged.connect(self._on_value_changed)

    @property
    def values(self) -> list[float]:
        return list(self._values)

    def float_value(self) -> float:
        return self._values[self.value()]

    def set_float(self, value: float) -> None:
        if not (value > 0 and math.isfinite(value)):
            return
        target = math.log10(value)
        index = min(range(len(self._logs)), key=lambda i: abs(self._logs[i] - target))
        self.blockSignals(True)
        self.setValue(index)
        self.blockSignals(False)

    def _on_value_changed(self, index: int) -> None:
        self.valueChosen.emit(self._values[index])


class MessageBar(QFrame):
    """A dismissible one-line banner above the plots, for errors a person should read."""

    _STYLES = {
        "error": ("#fdecea", "#b71c1c", "#e57373", "⛔"),
        "warning": ("#fff8e1", "#8d6e00", "#ffd54f", "⚠"),
        "info": ("#e3f2fd", "#0d47a1", "#90caf9", "ℹ"),
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self._icon = QLabel(self)
        self._text = QLabel(self)
        self._text.setObjectName("messageText")
        self._text.setTextFormat(Qt.TextFormat.PlainText)  # messages quote files and typed text
        self._text.setWordWrap(True)
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        close.setObjectName("messageClose")
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss this message")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self._text, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self._level = "info"
        self.hide()

    @property
    def text(self) -> str:
        return self._text.text()

    @property
    def level(self) -> str:
        return self._level

    def show_message(self, text: str, level: str = "error") -> None:
        background, foreground, border, symbol = self._STYLES.get(level, self._STYLES["info"])
        self._level = level
        self.setStyleSheet(
            f"#messageBar {{ background: {background}; border: 1px solid {border};"
            f" border-radius: 4px; }}"
            f" #messageBar QLabel {{ color: {foreground}; background: transparent; }}"
        )
        self._icon.setText(symbol)
        self._text.setText(text)
        self.show()

    def clear(self) -> None:
        self._text.setText("")
        self.hide()
