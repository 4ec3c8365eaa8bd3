"""Strokes in page units (gdstudio.ui.files.svg_post): a renderer that ignores
``vector-effect="non-scaling-stroke"`` (librsvg) draws each line as wide as it was on screen."""

from __future__ import annotations

import re

from gdstudio.ui.files.svg_post import flatten_strokes

# What Qt's SVG generator writes for a curve in data coordinates, its markers, and a label.
QT_SVG = """<svg width="400" height="300">
<g fill="none" stroke="#1e88e5" stroke-width="2.5" transform="matrix(40,0,0,-8,200,400)"
font-family="Sans Serif" >
<path vector-effect="non-scaling-stroke" d="M-1,2.5 L0,1 C0.5,0.5 1,0.25 1.5,0"/>
<polyline fill="none" vector-effect="non-scaling-stroke" points="0,0 1,1 2,4 " />
</g>
<g fill="#e53935" stroke="#ffffff" stroke-width="1" transform="matrix(9,0,0,9,280,392)" >
<ellipse vector-effect="non-scaling-stroke" cx="0" cy="0" rx="0.5" ry="0.5"/>
<rect vector-effect="non-scaling-stroke" x="-0.5" y="-0.5" width="1" height="1"/>
</g>
<g fill="#000000" transform="matrix(1,0,0,1,10,20)" >
<text fill="#000000" x="0" y="0" >x₃₀ = 2.006</text>
</g>
<g fill="none" stroke="#000" transform="matrix(0.7,0.7,-0.7,0.7,0,0)" >
<rect vector-effect="non-scaling-stroke" x="0" y="0" width="1" height="1"/>
</g>
</svg>
"""


def _groups(svg: str) -> list[str]:
    return re.findall(r"<g\b.*?</g>", svg, re.S)


def test_a_groups_matrix_is_applied_to_its_shapes_and_dropped():
    out = flatten_strokes(QT_SVG.encode()).decode()
    curve, markers, label, rotated = _groups(out)
    assert "transform" not in curve and 'stroke-width="2.5"' in curve
    # x' = 40·x + 200, y' = −8·y + 400
    assert 'd="M160,380 L200,392 C220,396 240,398 260,400"' in curve
    assert 'points="200,400 240,392 280,368 "' in curve
    assert "transform" not in markers
    assert 'cx="280" cy="392" rx="4.5" ry="4.5"' in markers
    assert 'x="275.5" y="387.5" width="9" height="9"' in markers
    # a label (text) and a rotated rectangle keep their matrices, untouched
    assert label == _groups(QT_SVG)[2] and rotated == _groups(QT_SVG)[3]


def test_a_mirrored_rectangle_keeps_a_positive_size():
    svg = ('<g fill="none" transform="matrix(2,0,0,-3,10,100)" >\n'
           '<rect vector-effect="non-scaling-stroke" x="1" y="1" width="4" height="2"/>\n</g>')
    out = flatten_strokes(svg.encode()).decode()
    # x: 2·1 + 10 = 12 to 2·5 + 10 = 20; y: −3·3 + 100 = 91 to −3·1 + 100 = 97
    assert 'x="12" y="91" width="8" height="6"' in out and "matrix" not in out


def test_a_path_with_commands_qt_does_not_write_is_left_alone():
    svg = ('<g fill="none" transform="matrix(2,0,0,2,0,0)" >\n'
           '<path vector-effect="non-scaling-stroke" d="M0,0 a1,1 0 0 1 2,2"/>\n</g>')
    assert flatten_strokes(svg.encode()).decode() == svg


def _mark(colour: str) -> str:
    return (f'<g fill="{colour}" fill-opacity="1" stroke="none" transform="matrix(1,0,0,1,0,0)"'
            f' >\n<rect x="0" y="0" width="1" height="1"/>\n</g>\n')


def test_what_lies_between_the_marks_is_clipped_to_the_data_area():
    from gdstudio.ui.files.svg_post import CLIP_BEGIN, CLIP_END, clip_marked

    axis = '<g stroke="#000" >\n<polyline points="0,0 0,300 " />\n</g>\n'
    curve = '<g stroke="#1e88e5" >\n<path d="M-50,10 L500,290"/>\n</g>\n'
    svg = ('<svg width="400" height="300" version="1.2" baseProfile="tiny">\n' + axis
           + _mark(CLIP_BEGIN) + curve + _mark(CLIP_END) + "</svg>\n")
    out = clip_marked(svg.encode(), (40, 30, 350, 250)).decode()
    assert out.startswith('<svg width="400" height="300" version="1.1">\n<defs><clipPath')
    assert '<rect x="40" y="30" width="350" height="250"/></clipPath>' in out
    assert CLIP_BEGIN not in out and CLIP_END not in out
    assert f'<g clip-path="url(#gdstudioDataArea)">\n{curve}</g>' in out
    assert out.index(axis) < out.index("clip-path=")  # the axis is not clipped
    unpaired = svg.replace(_mark(CLIP_END), "")
    assert clip_marked(unpaired.encode(), (0, 0, 1, 1)).decode() == unpaired
