"""The control panel's "Playback" box: how many steps a second Play makes."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QSizePolicy, QSlider, QWidget

from gdstudio.ui.model.formatting import steps_per_second_text

__all__ = ["DEFAULT_SPEED", "SPEEDS", "PlaybackBox"]

#: Speeds offered for Play, in steps per second; 0 is "as fast as possible".
SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000, 20_000, 100_000, 0)
DEFAULT_SPEED = 10


class PlaybackBox(QGroupBox):
    """A slider over :data:`SPEEDS` and the speed in words."""

    #: Steps per second; 0 means as fast as possible.
    speedChanged = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Playback", parent)
        self.setObjectName("playbackBox")
        row = QHBoxLayout(self)
        self.speedSlider = QSlider(Qt.Orientation.Horizontal)
        self.speedSlider.setObjectName("speedSlider")
        self.speedSlider.setRange(0, len(SPEEDS) - 1)
        self.speedSlider.setPageStep(1)
        self.speedSlider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.speedSlider.setTickInterval(1)
        self.speedSlider.setValue(SPEEDS.index(DEFAULT_SPEED))
        self.speedSlider.setToolTip("Steps per second while playing, up to as fast as possible "
                                    "(the window still redraws at most 60 times a second)")
        self.speedLabel = QLabel()
        self.speedLabel.setObjectName("speedLabel")
        self.speedLabel.setMinimumWidth(self.speedLabel.fontMetrics().horizontalAdvance(
            "as fast as possible"))
        self.speedLabel.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.speedSlider.valueChanged.connect(self._on_speed_changed)
        row.addWidget(QLabel("Speed"))
        row.addWidget(self.speedSlider, 1)
        row.addWidget(self.speedLabel)
        self._on_speed_changed(self.speedSlider.value(), emit=False)

    def speed(self) -> float:
        """Steps per second; 0 means as fast as possible."""
        return float(SPEEDS[self.speedSlider.value()])

    def set_speed(self, steps_per_second: float) -> None:
        """Move the slider to the offered speed nearest ``steps_per_second``."""
        if steps_per_second <= 0:
            index = SPEEDS.index(0)
        else:
            index = min(
                (i for i, s in enumerate(SPEEDS) if s > 0),
                key=lambda i: abs(SPEEDS[i] - steps_per_second),
            )
        self.speedSlider.setValue(index)

    def _on_speed_changed(self, index: int, *, emit: bool = True) -> None:
        speed = SPEEDS[index]
        self.speedLabel.setText(steps_per_second_text(speed))
        if emit:
            self.speedChanged.emit(float(speed))
