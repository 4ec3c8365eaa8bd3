"""The history slider: step back and forward through the epochs of the run (or race) shown.

While it is at the newest epoch (the "Live" button is down) the window follows the run as it
grows. Move it back and every panel shows the state at that epoch — the current point and
tangent, the fitted line, the loss marker, the table's row, the status — while the run itself
goes on undisturbed; press Live (or move it to the end) to follow again. Shortcuts: ``[`` and
``]`` step one epoch, ``Shift+[`` / ``Shift+]`` ten.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QWidget

__all__ = ["HistoryScrubber"]


class HistoryScrubber(QWidget):
    """A slider over epochs 0 … n−1 with a Live toggle; emits :attr:`epochChanged`."""

    #: The epoch to show (an int), or None to follow the newest.
    epochChanged = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("historyScrubber")
        self._rows = 0
        self._live = True
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(6)
        title = QLabel("History")
        title.setToolTip("Step back and forward through the epochs of the run")
        self.backButton = self._button("historyBackButton", "◀", "One epoch back ([)")
        self.forwardButton = self._button("historyForwardButton", "▶", "One epoch forward (])")
        self.backButton.clicked.connect(lambda: self.step(-1))
        self.forwardButton.clicked.connect(lambda: self.step(1))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("historySlider")
        self.slider.setRange(0, 0)
        self.slider.setToolTip("Show the run at any epoch; every panel follows. The run goes on "
                               "meanwhile; Live (or the end of the slider) follows it again.")
        self.slider.valueChanged.connect(self._on_value_changed)
        self.label = QLabel()
        self.label.setObjectName("historyLabel")
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance("epoch 10,000,000 "
                                                                              "of 10,000,000"))
        self.label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.liveButton = QToolButton()
        self.liveButton.setObjectName("historyLiveButton")
        self.liveButton.setText("Live")
        self.liveButton.setCheckable(True)
        self.liveButton.setChecked(True)
        self.liveButton.setToolTip("Follow the newest epoch of the run")
        self.liveButton.toggled.connect(self._on_live_toggled)
        layout.addWidget(title)
        layout.addWidget(self.backButton)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.forwardButton)
        layout.addWidget(self.label)
        layout.addWidget(self.liveButton)
        for keys, delta in (("[", -1), ("]", 1), ("Shift+[", -10), ("Shift+]", 10),
                            ("{", -10), ("}", 10)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(lambda d=delta: self.step(d))
        self._update_label()

    def _button(self, name: str, text: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setObjectName(name)
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.setAutoRepeat(True)
        return button

    # --- API ---------------------------------------------------------------------------------

    @property
    def live(self) -> bool:
        return self._live

    def epoch(self) -> int | None:
        """The epoch shown, or None while following the newest."""
        return None if self._live else int(self.slider.value())

    def set_rows(self, rows: int) -> None:
        """The run has ``rows`` rows (epochs 0 … rows − 1); following, the slider moves along."""
        self._rows = max(0, int(rows))
        self.slider.blockSignals(True)
        self.slider.setMaximum(max(0, self._rows - 1))
        if self._live:
            self.slider.setValue(self.slider.maximum())
        self.slider.blockSignals(False)
        self._update_label()

    def reset(self) -> None:
        """A new run: follow it from its start."""
        self._set_live(True, emit=False)
        self.set_rows(0)

    def set_epoch(self, epoch: int | None) -> None:
        """Show ``epoch`` (None: follow the newest), as if the slider were moved there."""
        if epoch is None or epoch >= self._rows - 1:
            self._set_live(True)
            return
        self._hold(int(epoch))

    def show_epoch(self, epoch: int | None) -> None:
        """Show ``epoch`` (None: follow) without announcing it: the model chose it."""
        if epoch == self.epoch():
            return
        if epoch is None:
            self._set_live(True, emit=False)
        else:
            self._hold(int(epoch), emit=False)

    def _hold(self, epoch: int, *, emit: bool = True) -> None:
        """Stop following; show ``epoch`` while the run goes on."""
        self._live = False
        self.liveButton.blockSignals(True)
        self.liveButton.setChecked(False)
        self.liveButton.blockSignals(False)
        self.slider.blockSignals(True)
        self.slider.setValue(max(0, int(epoch)))
        self.slider.blockSignals(False)
        self._update_label()
        if emit:
            self.epochChanged.emit(self.epoch())

    def step(self, delta: int) -> None:
        current = self.slider.value() if not self._live else max(0, self._rows - 1)
        self.set_epoch(max(0, current + delta))

    # --- internals ---------------------------------------------------------------------------

    def _set_live(self, live: bool, *, emit: bool = True) -> None:
        changed = live != self._live
        self._live = live
        self.liveButton.blockSignals(True)
        self.liveButton.setChecked(live)
        self.liveButton.blockSignals(False)
        if live:
            self.slider.blockSignals(True)
            self.slider.setValue(self.slider.maximum())
            self.slider.blockSignals(False)
        self._update_label()
        if emit and changed:
            self.epochChanged.emit(self.epoch())

    def _on_value_changed(self, value: int) -> None:
        if value >= self.slider.maximum():
            self._set_live(True)
        else:
            self.set_epoch(value)

    def _on_live_toggled(self, on: bool) -> None:
        if on:
            self._set_live(True)
        else:  # Live released: hold the epoch shown now while the run goes on
            self._hold(max(0, self._rows - 1))

    def _update_label(self) -> None:
        last = max(0, self._rows - 1)
        shown = last if self._live else self.slider.value()
        self.label.setText(f"epoch {shown:,} of {last:,}" if self._rows else "")
        enabled = self._rows > 1
        for widget in (self.slider, self.backButton, self.forwardButton):
            widget.setEnabled(enabled)
