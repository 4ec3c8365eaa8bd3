"""An exported SVG, rendered back, is the plot on screen (issue 14 item 5): axes, curve and
markers in place (pyqtgraph's exporter misplaced them), the scatter's symbols drawn whole, the
file a reasonable size."""

from __future__ import annotations

import numpy as np
from files_support import settle, step
from PySide6.QtCore import QByteArray
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from gdstudio.ui.files import exports


def _pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(),
                                                               image.bytesPerLine() // 4, 4)
    return rows[:, : image.width(), :3].astype(float)


def _difference(plot, path) -> tuple[float, float]:
    """(mean difference per channel, fraction of pixels off by more than 60) between the
    plot on screen and its SVG rendered back at the same size."""
    renderer = QSvgRenderer(QByteArray(path.read_bytes()))
    assert renderer.isValid()
    image = QImage(plot.size(), QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    shown = _pixels(plot.grab().toImage().scaled(plot.size()))
    back = _pixels(image)
    diff = np.abs(back - shown)
    return float(diff.mean()), float((diff.max(axis=2) > 60).mean())


def test_the_curve_plot_as_svg_is_the_plot_on_screen(qtbot, window, tmp_path):
    step(qtbot, window, 8)
    settle(qtbot, window)
    path = tmp_path / "curve.svg"
    exports.plot_svg(window.curve_plot, path)
    mean, off = _difference(window.curve_plot, path)
    assert mean < 4.0 and off < 0.015, (mean, off)
    assert path.stat().st_size < 1_000_000
    _assert_strokes_in_page_units(path.read_text())
    _assert_data_clipped(window.curve_plot, path.read_text())


def _assert_data_clipped(plot, svg: str) -> None:
    """The curve, the path and the markers are clipped to the data area (Qt writes no
    clipping: the parabola ran past the frame); the title, the axes and the legend are not."""
    import re

    vb = plot.getPlotItem().getViewBox()
    area = plot.mapFromScene(vb.sceneBoundingRect()).boundingRect()
    clip = re.search(r'<clipPath id="(\w+)"><rect x="([^"]+)" y="([^"]+)" width="([^"]+)" '
                     r'height="([^"]+)"/></clipPath>', svg)
    assert clip is not None
    assert [float(v) for v in clip.groups()[1:]] == [area.x(), area.y(), area.width(),
                                                     area.height()]
    inside = "".join(re.findall(rf'<g clip-path="url\(#{clip.group(1)}\)">(.*?)</g>\s*</g>',
                                svg, re.S))
    assert 'stroke="#1e88e5"' in inside  # the curve f(x)
    # the title and the legend are not clipped (a label inside the plot, x₃₀ = …, is)
    assert "iterates" not in inside and "tangent" not in inside


def _assert_strokes_in_page_units(svg: str) -> None:
    """No line is left to ``vector-effect="non-scaling-stroke"`` under a scaling matrix: a
    renderer that ignores the attribute (librsvg) drew the curve as a band 40 times too wide
    and each marker's outline as a disc."""
    import re

    groups = re.findall(r"<g\b([^>]*)>(.*?)</g>", svg, re.S)
    assert any("non-scaling-stroke" in body for _head, body in groups)
    for head, body in groups:
        if "non-scaling-stroke" not in body:
            continue
        found = re.search(r'matrix\(([^)]*)\)', head)
        if found is None:
            continue
        a, b, c, d, _e, _f = (float(v) for v in re.split(r"[\s,]+", found.group(1).strip()))
        assert b == c == 0 and abs(a) == abs(d) == 1, head


def test_the_surface_plot_as_svg_is_small(qtbot, window, tmp_path):
    """(Its picture is not compared with Qt's renderer: that ignores the clipping, so there
    the colour map and the contours show past the plot's frame; see exports.plot_svg.)"""
    window.controls.problemTabs.setCurrentIndex(2)  # f(x, y): its contour map
    settle(qtbot, window)
    step(qtbot, window, 5)
    settle(qtbot, window)
    path = tmp_path / "surface.svg"
    exports.plot_svg(window.surface_plot, path)
    renderer = QSvgRenderer(QByteArray(path.read_bytes()))
    assert renderer.isValid()
    assert path.stat().st_size < 2_000_000  # (pyqtgraph's exporter: 7 MB)
    _assert_strokes_in_page_units(path.read_text())
