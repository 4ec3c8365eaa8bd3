"""Exports: the plots (PNG, SVG), the window (PNG), the history (CSV, JSON), the run (GIF).

* History files are exactly what ``gdstudio run --format csv|json`` prints for the same run
  (:mod:`gdstudio.core.io.export`).
* Every file is written next to its target and moved over it once complete, so a failed or
  cancelled export never leaves half a file where a good one was.
* The GIF replays the run epoch by epoch through the real panels: for each frame the history
  slider is moved to that epoch, the window draws its frame (every panel: plots, landscape,
  a race's lanes) and the plots are grabbed. Frames are drawn on the GUI thread a few at a time
  (a QTimer), so the window keeps answering and the progress dialog's Cancel works; a thread
  quantises and writes them with Pillow as they come.
"""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QObject,
    QPoint,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QProgressDialog, QWidget

from gdstudio.core import History, RunConfig
from gdstudio.core.io.atomic import write_atomic, write_bytes
from gdstudio.ui.files.background import Cancelled
from gdstudio.ui.files.svg_post import CLIP_BEGIN, CLIP_END, clip_marked, flatten_strokes
from gdstudio.ui.model.race_data import RaceData
from gdstudio.ui.model.run_data import RunData
from gdstudio.ui.threads.tasks import Task, TaskContext

if TYPE_CHECKING:  # pragma: no cover
    from gdstudio.ui.host import FilesHost

__all__ = [
    "history_of",
    "history_text",
    "race_histories",
    "save_race_csv",
    "plot_png",
    "PNG_SCALES",
    "plot_svg",
    "window_png",
    "GifExport",
    "gif_frame_epochs",
    "GIF_SPACINGS",
    "DEFAULT_GIF_FRAMES",
]

DEFAULT_GIF_FRAMES = 100
#: At most this long (seconds) drawing frames before the event loop gets a turn.
_FRAME_BUDGET_S = 0.04


# --------------------------------------------------------------------------------------------
# The history
# --------------------------------------------------------------------------------------------


def _frozen(rows: np.ndarray) -> np.ndarray:
    view = rows.view()
    view.flags.writeable = False
    return view


def history_of(data: RunData) -> History | None:
    """The run shown (rows so far) as a core :class:`History`; None if there is none.

    Its arrays are read-only views of the run's rows, not copies (a 2,000,000-epoch run's
    copy took 70 ms on the GUI thread before a save): rows once appended are never written
    again, and a new run gets new arrays, so the views stay the run as it was, whatever
    happens next (a save in the background reads them while the run goes on)."""
    if data.n == 0 or not isinstance(data.config, RunConfig):
        return None
    return History(
        params=_frozen(data.params),
        loss=_frozen(data.loss),
        grad=_frozen(data.grad),
        status=data.status or "max_epochs",
        config=data.config,
        message=data.message,
        param_names=tuple(data.param_names),
        lr_changes=tuple((c.epoch, c.lr) for c in data.lr_changes),
    )


def race_histories(race: RaceData) -> tuple[list[History], list[str]] | None:
    """The race shown, each lane's rows so far as a core :class:`History` (copies), with the
    lanes' labels; None if no race has rows."""
    spec = race.spec
    if spec is None or race.n == 0:
        return None
    names = tuple(spec.config.problem.param_names)
    histories = []
    for j in range(len(spec.lanes)):
        n = int(race.lengths[j])
        histories.append(History(
            params=race.params[:n, j].copy(), loss=race.loss[:n, j].copy(),
            grad=race.grad[:n, j].copy(), status=race.statuses[j] or "max_epochs",
            config=spec.lane_config(j), message=race.messages[j], param_names=names))
    return histories, list(spec.labels())


def save_race_csv(histories: list[History], labels: list[str], path: str | os.PathLike[str],
                  cancelled: Callable[[], bool] | None = None) -> Path:
    """Every lane's every epoch as ``gdstudio run --per-epoch --format csv`` prints it,
    written atomically; ``cancelled()`` is asked before the file is replaced."""
    from gdstudio.core.io.export import write_race_csv

    def write_rows(fh: Any) -> None:
        write_race_csv(histories, labels, fh)
        if cancelled is not None and cancelled():
            raise Cancelled

    return write_atomic(path, write_rows)


def history_text(history: History, fmt: str) -> str:
    """The history as ``gdstudio run --format csv|json`` prints it."""
    from gdstudio.core.io.export import to_csv, to_json

    if fmt == "csv":
        return to_csv(history)
    if fmt == "json":
        return to_json(history) + "\n"
    raise ValueError(f"unknown history format {fmt!r}; choose csv or json")


def save_history(history: History, path: str | os.PathLike[str], fmt: str,
                 cancelled: Callable[[], bool] | None = None) -> Path:
    """The history as ``gdstudio run --format csv|json`` prints it, written atomically;
    ``cancelled()`` is asked before the file is written (the old one then stays)."""
    from gdstudio.core.io.export import write_csv, write_json

    def check() -> None:
        if cancelled is not None and cancelled():
            raise Cancelled

    if fmt == "csv":
        def write_rows(fh: Any) -> None:
            check()
            write_csv(history, fh)
            check()

        return write_atomic(path, write_rows)
    if fmt == "json":
        def write_document(fh: Any) -> None:  # streamed: never the whole text in memory
            check()
            write_json(history, fh)
            fh.write("\n")
            check()

        return write_atomic(path, write_document)
    raise ValueError(f"unknown history format {fmt!r}; choose csv or json")


# --------------------------------------------------------------------------------------------
# Pictures
# --------------------------------------------------------------------------------------------


def plot_png(plot: pg.PlotWidget, path: str | os.PathLike[str], scale: float | None = None) -> Path:
    """The plot as a PNG (pyqtgraph's ImageExporter), at the screen's pixel density by default."""
    from pyqtgraph.exporters import ImageExporter

    exporter = ImageExporter(plot.getPlotItem())
    factor = scale if scale is not None else max(1.0, plot.devicePixelRatioF())
    width = max(1, round(exporter.parameters()["width"] * factor))
    exporter.parameters()["width"] = width
    image = exporter.export(toBytes=True)
    if not isinstance(image, QImage) or image.isNull():
        raise OSError(f"{path}: the plot could not be drawn")
    return write_bytes(path, _png_bytes(image, str(path)))


def _png_bytes(image: QImage, what: str) -> bytes:
    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]  # stub: bytes; binding: str
        raise OSError(f"{what}: the picture could not be encoded as PNG")
    buffer.close()
    return bytes(array.data())


def plot_svg(plot: pg.PlotWidget, path: str | os.PathLike[str]) -> Path:
    """The plot as SVG, drawn by Qt's SVG generator as the plot is on screen (vectors; a
    landscape's colour map as one embedded image).

    Not pyqtgraph's SVGExporter: it misplaces axes, curve and markers (in librsvg and in Qt's
    own renderer) and fails on the closed paths recent Qt versions write (pyqtgraph #3495).
    Rendered back by Qt, the file matches the plot on screen (tests/ui/test_svg_export.py).
    Lines are drawn in the page's units (:func:`.svg_post.flatten_strokes`: Qt keeps their
    screen width with ``vector-effect="non-scaling-stroke"``, which librsvg ignores: it drew
    a curve as a band 40 times too wide), and what the plot draws in its data area is clipped
    to it (:func:`.svg_post.clip_marked`; Qt writes no clipping: a curve and a contour map's
    image ran past the frame). Qt's own SVG renderer ignores the clipping (it reads SVG Tiny);
    browsers, Inkscape and librsvg apply it.
    """
    return write_bytes(path, _qt_svg(plot))


def _qt_svg(plot: pg.PlotWidget) -> bytes:
    from PySide6.QtSvg import QSvgGenerator

    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    size = plot.size()
    generator.setSize(size)
    generator.setResolution(plot.logicalDpiX())  # (72 by default: fonts and axes shrink)
    generator.setViewBox(QRectF(0, 0, size.width(), size.height()))
    generator.setTitle(plot.getPlotItem().titleLabel.text or plot.objectName())
    generator.setDescription("Gradient Descent Studio")
    painter = QPainter(generator)
    # As pyqtgraph's own exporters do: items draw for export (a scatter draws each symbol as a
    # path: its cached pixmap fragments come out of Qt's SVG engine torn and misplaced).
    items = [item for item in plot.scene().items() if hasattr(item, "setExportMode")]
    options = {"antialias": True, "background": plot.backgroundBrush().color(),
               "painter": painter}
    vb = plot.getPlotItem().getViewBox()
    marked: list[Any] = []  # what draws in the data area, to be clipped
    try:
        for item in items:
            item.setExportMode(True, options)
        for item in _descendants(vb.childGroup):
            item.paint = _marked_paint(item.paint)
            marked.append(item)
        plot.render(painter)
    finally:
        for item in marked:
            del item.paint  # the class's own again
        for item in items:
            item.setExportMode(False)
        painter.end()
    buffer.close()
    area = plot.mapFromScene(vb.sceneBoundingRect()).boundingRect()
    return clip_marked(flatten_strokes(bytes(array.data())),
                       (area.x(), area.y(), area.width(), area.height()))


def _descendants(item: Any) -> Iterator[Any]:
    for child in item.childItems():
        yield child
        yield from _descendants(child)


def _mark(painter: QPainter, colour: str) -> None:
    painter.save()
    painter.resetTransform()
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawRect(QRectF(0, 0, 1, 1))
    painter.restore()


def _marked_paint(paint: Callable[..., Any]) -> Callable[..., Any]:
    """``paint`` between the two marks :func:`.svg_post.clip_marked` turns into a clip."""
    def marked(painter: QPainter, *args: Any) -> Any:
        _mark(painter, CLIP_BEGIN)
        try:
            return paint(painter, *args)
        finally:
            _mark(painter, CLIP_END)

    return marked


#: The PNG sizes offered (File › Export › PNG size): times the screen's size in each direction.
PNG_SCALES = (1, 2, 3, 4)


def window_png(window: QWidget, path: str | os.PathLike[str], scale: float = 1.0) -> Path:
    """The whole window as it is on screen (``QWidget.grab()``), or drawn again ``scale``
    times as large in each direction (text and lines drawn at that size, not enlarged
    pixels)."""
    if scale == 1:
        pixmap = window.grab()
        if pixmap.isNull():
            raise OSError(f"{path}: the window could not be drawn")
        return write_bytes(path, _png_bytes(pixmap.toImage(), str(path)))
    ratio = max(1.0, window.devicePixelRatioF()) * scale
    size = window.size()
    image = QImage(max(1, round(size.width() * ratio)), max(1, round(size.height() * ratio)),
                   QImage.Format.Format_ARGB32_Premultiplied)
    if image.isNull():
        raise OSError(f"{path}: a picture {scale:g}× the window's size does not fit in memory")
    image.setDevicePixelRatio(ratio)
    image.fill(window.palette().color(window.backgroundRole()))
    painter = QPainter(image)
    try:
        window.render(painter, QPoint(0, 0))
    finally:
        painter.end()
    return write_bytes(path, _png_bytes(image, str(path)))


# --------------------------------------------------------------------------------------------
# The run as an animated GIF
# --------------------------------------------------------------------------------------------


#: How a GIF's frames are spread over the run: key → what the options dialog says.
GIF_SPACINGS = {
    "log": "log-spaced: the early epochs closer together",
    "even": "evenly spread",
    "first": "every epoch from the first",
}


def gif_frame_epochs(epochs_run: int, frames: int, spacing: str = "even") -> np.ndarray:
    """The epochs the frames show, ``frames`` of them (fewer if the run has fewer epochs):
    ``"even"`` evenly spread, first and last included; ``"log"`` spaced evenly on a log scale
    of epoch + 1 (every epoch at first, then further apart: where a long run moves), first and
    last included; ``"first"`` the first ones, one per epoch."""
    count = max(1, min(int(frames), epochs_run + 1))
    if spacing not in GIF_SPACINGS:
        raise ValueError(f"unknown spacing {spacing!r}; choose from {', '.join(GIF_SPACINGS)}")
    if count == 1:
        return np.array([epochs_run])
    if spacing == "first":
        return np.arange(count, dtype=np.int64)
    if spacing == "even":
        return np.unique(np.round(np.linspace(0, epochs_run, count)).astype(np.int64))

    def log_spaced(m: int) -> np.ndarray:
        return np.unique(np.round(np.geomspace(1, epochs_run + 1, m)).astype(np.int64) - 1)

    lo, hi = count, max(count, 1)
    while len(log_spaced(hi)) < count:  # duplicates among the first epochs: ask for more
        hi *= 2
    while lo < hi:  # the fewest asked for that give ``count`` distinct epochs
        mid = (lo + hi) // 2
        if len(log_spaced(mid)) >= count:
            hi = mid
        else:
            lo = mid + 1
    epochs = log_spaced(lo)
    if len(epochs) > count:  # keep the last; drop from the dense start's end
        epochs = np.concatenate([epochs[: count - 1], epochs[-1:]])
    return epochs


def load_pillow() -> Any:
    """Pillow's Image module with its GIF writer loaded, or ImportError with a hint.

    Imported here, on the GUI thread: a thread that imports while the GUI thread runs Python
    paint callbacks can deadlock under PySide6 (seen with PySide6 6.11: both threads parked on
    the GIL's futex). The encoder thread then only uses modules already loaded.
    """
    try:
        from PIL import GifImagePlugin, Image  # noqa: F401 - GifImagePlugin: the writer
    except ImportError:
        raise ImportError("GIF export needs Pillow (pip install Pillow)") from None
    Image.preinit()
    return Image


class _GifEncoder:
    """The encoding task's work: quantise the frames as they arrive (Pillow), write the GIF
    at the end; the path written, or None when stopped."""

    def __init__(self, path: str, frame_ms: int, image_module: Any) -> None:
        self.image = image_module  # PIL.Image, imported on the GUI thread (see load_pillow)
        self.path = path
        self.frame_ms = frame_ms
        self.frames: queue.Queue[tuple[bytes, int, int, int] | None] = queue.Queue()

    def __call__(self, context: TaskContext) -> str | None:  # no import statement here
        Image = self.image  # noqa: N806 - the module
        images: list[Any] = []
        while not context.cancelled():
            try:
                item = self.frames.get(timeout=0.1)
            except queue.Empty:
                continue
            if item is None:
                break
            raw, width, height, stride = item
            rgb = Image.frombuffer("RGBA", (width, height), raw, "raw", "RGBA", stride,
                                   1).convert("RGB")
            images.append(rgb.quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                       dither=Image.Dither.NONE))
            context.report(len(images), 0)  # rests: the GIL for the GUI thread, drawing frames
        if context.cancelled() or not images:
            return None

        def write(fh: Any) -> None:
            images[0].save(fh, format="GIF", save_all=True, append_images=images[1:],
                           duration=self.frame_ms, loop=0, optimize=False, disposal=1)

        try:
            write_atomic(self.path, write, binary=True)
        except OSError as err:
            raise OSError(f"{self.path}: {err.strerror or err}") from None
        except Exception as err:  # noqa: BLE001 - reported in the window, never lost
            raise RuntimeError(f"{self.path}: the GIF could not be written "
                               f"({type(err).__name__}: {err})") from None
        return self.path


class GifExport(QObject):
    """Replay the window's run through its plots, frame by frame, into an animated GIF.

    ``finished(outcome, text)``: ``("saved", path)``, ``("cancelled", "")`` or
    ``("failed", message)``. The window's plots show the whole run again afterwards.
    """

    finished = Signal(str, str)
    frameRendered = Signal(int)  # frames drawn so far

    def __init__(self, host: FilesHost, path: str | os.PathLike[str], *,
                 frames: int = DEFAULT_GIF_FRAMES, frame_ms: int = 80, width: int | None = None,
                 show_progress: bool = True, spacing: str = "even") -> None:
        window = host.main_window()
        super().__init__(window)
        self.host = host
        self.path = os.fspath(path)
        data = host.model.run
        if data.n == 0:
            raise ValueError("there is no run to export")
        self.epochs = gif_frame_epochs(data.n - 1, frames, spacing)
        self.frame_ms = max(20, int(frame_ms))
        self.area = host.plot_area()
        self._shown_before = host.model.epoch  # the epoch looked at, given back after
        size = self.area.size()
        if width is not None and width > 0 and width != size.width():
            height = max(1, round(size.height() * width / max(1, size.width())))
            self.size = QSize(int(width), int(height))
        else:
            self.size = QSize(size.width(), size.height())
        self._next = 0
        self._encoded = 0
        self._outcome: tuple[str, str] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._render_some)
        self._work = _GifEncoder(self.path, self.frame_ms, load_pillow())
        self.encoder = Task(self._work, name="gdstudioGifEncoder", rest_s=0.002, parent=self)
        self.encoder.progressed.connect(lambda done, _total: self._on_encoded(done))
        self.encoder.succeeded.connect(self._on_done)
        self.encoder.failed.connect(lambda err: self._on_failed(str(err)))
        self.progress: QProgressDialog | None = None
        if show_progress:
            progress = QProgressDialog("Drawing the frames…", "Cancel", 0, 2 * len(self.epochs),
                                       window)
            progress.setObjectName("gifProgress")
            progress.setWindowTitle("Export the run as a GIF")
            progress.setWindowModality(Qt.WindowModality.WindowModal)
            progress.setMinimumDuration(300)
            progress.setAutoClose(False)
            progress.setAutoReset(False)
            progress.canceled.connect(self.cancel)
            self.progress = progress

    @property
    def frame_count(self) -> int:
        return len(self.epochs)

    def start(self) -> None:
        self.host.pause_run()  # the frames replay the run as it is now
        self.encoder.start()
        self._timer.start(0)

    def cancel(self) -> None:
        """Stop drawing and encoding; nothing is written (an existing file is kept)."""
        if self._outcome is not None:
            return
        self._timer.stop()
        self.encoder.cancel()
        self._finish("cancelled", "")

    @Slot()
    def _render_some(self) -> None:
        if self._outcome is not None:
            return
        began = time.perf_counter()
        while self._next < len(self.epochs):
            self._draw(int(self.epochs[self._next]))
            self._work.frames.put(self._grab())
            self._next += 1
            self.frameRendered.emit(self._next)
            if self._outcome is not None:
                return  # cancelled (or failed) by whoever heard of this frame
            if time.perf_counter() - began > _FRAME_BUDGET_S:
                break
        self._show_progress()
        if self._next < len(self.epochs):
            self._timer.start(0)  # the event loop gets its turn: clicks, Cancel, repaints
        else:
            self._restore_plots()
            self._work.frames.put(None)
            if self.progress is not None:
                self.progress.setLabelText("Writing the GIF…")

    def _draw(self, epoch: int | None) -> None:
        """Every panel as it was at ``epoch`` (None: now): the model looks at that epoch (the
        history slider follows) and the window's frame is drawn at once."""
        host = self.host
        last = host.model.run.n - 1
        host.model.select_epoch(None if epoch is None or epoch >= last else epoch)
        host.draw_now()

    def _grab(self) -> tuple[bytes, int, int, int]:
        image = self.area.grab().toImage()
        if image.size() != self.size:
            image = image.scaled(self.size, Qt.AspectRatioMode.IgnoreAspectRatio,
                                 Qt.TransformationMode.SmoothTransformation)
        image = image.convertToFormat(QImage.Format.Format_RGBA8888)
        return bytes(image.constBits()), image.width(), image.height(), image.bytesPerLine()

    def _restore_plots(self) -> None:
        self._draw(self._shown_before)

    def _show_progress(self) -> None:
        if self.progress is not None and self._outcome is None:
            self.progress.setValue(min(self.progress.maximum() - 1, self._next + self._encoded))

    @Slot(int)
    def _on_encoded(self, count: int) -> None:
        self._encoded = count
        self._show_progress()

    @Slot(object)
    def _on_done(self, path: str | None) -> None:
        if path is not None:
            self._finish("saved", path)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._timer.stop()
        self.encoder.cancel()
        self._finish("failed", message)

    def _finish(self, outcome: str, text: str) -> None:
        if self._outcome is not None:
            return
        self._outcome = (outcome, text)
        if self._next < len(self.epochs) or outcome != "saved":
            self._restore_plots()
        if self.progress is not None:
            self.progress.canceled.disconnect()
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None
        self.finished.emit(outcome, text)

    def wait(self) -> None:
        """Block until the encoder thread has ended (after a cancel, or at shutdown)."""
        self.encoder.cancel()
        self.encoder.wait()
