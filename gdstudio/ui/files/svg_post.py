"""Qt's SVG, made right for every renderer: lines as wide as on screen, data inside the frame.

Qt's SVG generator writes what a plot draws in data coordinates as a group with the view's
``transform="matrix(…)"`` (x stretched by 40, y by −8, say) and keeps the pen's screen width
with ``vector-effect="non-scaling-stroke"``. Renderers that ignore that attribute (librsvg,
hence GNOME's viewers and many converters; SVG Tiny 1.2's own renderers) scale the stroke with
the matrix: a 2.5-pixel curve became a 100-pixel band, a marker's outline a white disc.
:func:`flatten_strokes` applies such a group's matrix to its shapes' coordinates and drops the
matrix, so the stroke is drawn in the page's own units, as it was on screen, everywhere.

:func:`clip_marked` clips what a plot drew inside its data area to that area (SVG 1.1's
``clipPath``; Qt's generator writes no clipping, so a curve or a contour map's image ran past
the plot's frame): the exporter marks where each data item's drawing begins and ends with two
tiny rectangles of reserved colours, which become the opening and the end of a clipped group.

Only what Qt writes is touched: groups whose shapes are all paths of absolute M/L/C/Q/Z
commands, polylines, polygons (and, under a matrix without rotation, rectangles, circles and
ellipses); any other group (text, an embedded image, anything unexpected) is left as it was.
Qt-free text processing.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["flatten_strokes", "clip_marked", "CLIP_BEGIN", "CLIP_END"]

#: The fill colours of the exporter's two marks (never a colour of the app's plots).
CLIP_BEGIN = "#fe0001"
CLIP_END = "#fe0002"
_CLIP_ID = "gdstudioDataArea"

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_PAIR = re.compile(rf"({_NUMBER})\s*,\s*({_NUMBER})")
_GROUP = re.compile(r'(<g\b[^>]*?)\s*transform="matrix\(([^)]*)\)"([^>]*>)(.*?)(</g>)', re.S)
_ELEMENT = re.compile(r"<(\w+)\b([^>]*?)(/?)>", re.S)
_ATTRIBUTE = re.compile(r'(\w[\w:-]*)="([^"]*)"')
_PATH_COMMANDS = re.compile(r"[A-Za-z]")

Matrix = tuple[float, float, float, float, float, float]


def _num(value: float) -> str:
    text = f"{value:.7g}"
    return "0" if text == "-0" else text


def _map_pairs(text: str, m: Matrix) -> str:
    a, b, c, d, e, f = m

    def one(match: re.Match[str]) -> str:
        x, y = float(match.group(1)), float(match.group(2))
        return f"{_num(a * x + c * y + e)},{_num(b * x + d * y + f)}"

    return _PAIR.sub(one, text)


def _set(attrs: str, changes: dict[str, str]) -> str:
    """``attrs`` (an element's attribute text) with these attributes replaced."""
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        return f'{name}="{changes[name]}"' if name in changes else match.group(0)

    return _ATTRIBUTE.sub(one, attrs)


def _shape(tag: str, attrs: str, m: Matrix) -> str | None:
    """The element's attribute text in page units, or None when it cannot be flattened."""
    a, b, c, d, e, f = m
    values: dict[str, str] = dict(_ATTRIBUTE.findall(attrs))
    if tag == "path":
        path = values.get("d", "")
        if set(_PATH_COMMANDS.findall(path)) - set("MLCQZ"):
            return None  # relative, arcs, H/V: not what Qt writes
        return _set(attrs, {"d": _map_pairs(path, m)})
    if tag in ("polyline", "polygon"):
        return _set(attrs, {"points": _map_pairs(values.get("points", ""), m)})
    if b or c:  # a rotation or shear: a rectangle or an ellipse is no longer one
        return None
    try:
        if tag == "rect":
            x, y = float(values["x"]), float(values["y"])
            w, h = float(values["width"]), float(values["height"])
            x0, x1 = sorted((a * x + e, a * (x + w) + e))
            y0, y1 = sorted((d * y + f, d * (y + h) + f))
            return _set(attrs, {"x": _num(x0), "y": _num(y0), "width": _num(x1 - x0),
                                "height": _num(y1 - y0)})
        if tag in ("ellipse", "circle"):
            cx, cy = float(values["cx"]), float(values["cy"])
            rx = float(values.get("rx", values.get("r", "0")))
            ry = float(values.get("ry", values.get("r", "0")))
            if tag == "circle" and abs(a) != abs(d):
                return None
            changes = {"cx": _num(a * cx + e), "cy": _num(d * cy + f)}
            if tag == "circle":
                changes["r"] = _num(abs(a) * rx)
            else:
                changes.update(rx=_num(abs(a) * rx), ry=_num(abs(d) * ry))
            return _set(attrs, changes)
    except (KeyError, ValueError):
        return None
    return None


def _flatten_body(body: str, m: Matrix) -> str | None:
    """The group's contents in page units, or None to leave the group as it is."""
    out: list[str] = []
    at = 0
    for match in _ELEMENT.finditer(body):
        if body[at:match.start()].strip():
            return None  # text content (a <text>'s): not a shape
        tag, attrs, closed = match.group(1), match.group(2), match.group(3)
        if not closed:
            return None  # an element with contents
        flat = _shape(tag, attrs, m)
        if flat is None:
            return None
        out.append(f"<{tag}{flat}{closed}>")
        at = match.end()
    if body[at:].strip():
        return None
    return "\n".join(out) + "\n" if out else None


def flatten_strokes(svg: bytes) -> bytes:
    """``svg`` (Qt's SVG generator's output) with the matrices of its non-scaling-stroke
    groups applied to their shapes (see the module's docstring)."""
    text = svg.decode("utf-8")

    def group(match: re.Match[str]) -> str:
        head, matrix, tail, body, end = match.groups()
        if "non-scaling-stroke" not in body:
            return match.group(0)
        try:
            parts = [float(v) for v in re.split(r"[\s,]+", matrix.strip())]
        except ValueError:
            return match.group(0)
        if len(parts) != 6:
            return match.group(0)
        m: Matrix = (parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])
        flat = _flatten_body(body, m)
        if flat is None:
            return match.group(0)
        return f"{head}{tail}\n{flat}{end}"

    replace: Callable[[re.Match[str]], str] = group
    return _GROUP.sub(replace, text).encode("utf-8")


def _mark(colour: str) -> re.Pattern[str]:
    return re.compile(rf'<g\b[^>]*\bfill="{colour}"[^>]*>\s*<rect\b[^>]*/>\s*</g>', re.S)


def clip_marked(svg: bytes, area: tuple[float, float, float, float]) -> bytes:
    """``svg`` with what lies between each pair of marks (see the module's docstring) clipped
    to ``area`` (x, y, width, height in the page's units), the marks removed. Declared SVG 1.1
    (clipping is not in SVG Tiny). Unpaired marks leave the file as it was."""
    text = svg.decode("utf-8")
    begin, end = _mark(CLIP_BEGIN), _mark(CLIP_END)
    begins = [m.start() for m in begin.finditer(text)]
    ends = [m.start() for m in end.finditer(text)]
    if not begins or len(begins) != len(ends) or any(
            b > e for b, e in zip(begins, ends, strict=True)) or any(
            e > b for e, b in zip(ends, begins[1:], strict=False)):
        return svg
    text = begin.sub(f'<g clip-path="url(#{_CLIP_ID})">', text)
    text = end.sub("</g>", text)
    x, y, w, h = area
    clip = (f'<defs><clipPath id="{_CLIP_ID}"><rect x="{_num(x)}" y="{_num(y)}" '
            f'width="{_num(w)}" height="{_num(h)}"/></clipPath></defs>\n')
    opening = re.search(r"<svg\b[^>]*>", text)
    if opening is None:
        return svg
    head = opening.group(0).replace('version="1.2"', 'version="1.1"')
    head = head.replace(' baseProfile="tiny"', "")
    text = text[:opening.start()] + head + "\n" + clip + text[opening.end():]
    return text.encode("utf-8")
