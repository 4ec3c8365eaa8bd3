"""Appearance: light and dark themes, colour-blind-safe run colours, text size for projectors.

* :func:`run_colors` gives the colours of runs (races, lanes, several curves) from the
  Okabe–Ito palette, which people with the common colour-vision deficiencies can tell apart.
  Every panel that draws several runs should take its colours from here.
* :class:`Appearance` applies a theme (``system``, ``light``, ``dark``; ``system`` follows
  ``QStyleHints.colorScheme()`` and its changes) and a text size (``normal``, ``large``,
  ``huge``) to the application, and restyles pyqtgraph plots to match: background,
  axes, tick fonts, titles, legends and text items. :func:`style_plot` does that for one plot,
  so a panel created later can match the current look.

The application's own palette and font, as the platform gave them, are captured the first
time an :class:`Appearance` is made, so switching back to ``system``/``normal`` restores them.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QCheckBox, QRadioButton, QWidget

__all__ = [
    "OKABE_ITO",
    "RUN_COLOR_ORDER",
    "THEMES",
    "TEXT_SIZES",
    "Appearance",
    "run_colors",
    "dark_palette",
    "is_dark",
    "plot_colors",
    "style_plot",
    "contrast",
    "readable",
    "set_text_colour",
    "ERROR_RED",
    "GOOD_GREEN",
]

#: Okabe & Ito (2008), "Color Universal Design": eight colours distinguishable with
#: protanopia, deuteranopia and tritanopia.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}
#: The order runs take them: strong contrasts first; yellow (weak on white) and black/grey last.
RUN_COLOR_ORDER = ("blue", "orange", "bluish green", "vermillion", "reddish purple", "sky blue",
                   "yellow", "black")
#: Black is invisible on a dark background: this grey takes its place there.
_DARK_BLACK = "#BBBBBB"

THEMES = ("system", "light", "dark")
#: Text size → factor on the platform's font size.
TEXT_SIZES = {"normal": 1.0, "large": 1.3, "huge": 1.7}
#: Plot titles at this size (points) for ``normal`` text.
TITLE_POINTS = 11.0
#: Legend entries at this size (pyqtgraph's default) for ``normal`` text.
LEGEND_POINTS = 9.0


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether ``palette`` (default: the application's) has light text on a dark window."""
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def run_colors(n: int, *, dark: bool | None = None) -> list[str]:
    """Colours (``#RRGGBB``) for ``n`` runs (a race's lanes): Okabe–Ito up to eight, in
    :data:`RUN_COLOR_ORDER`; more runs take as many steps of the cividis ramp (also safe for
    the common colour-vision deficiencies), all different. ``dark`` (default: the current
    theme) swaps black for a light grey."""
    if n < 0:
        raise ValueError(f"n must be ≥ 0, got {n}")
    if n > len(RUN_COLOR_ORDER):
        cmap = pg.colormap.get("cividis")
        return [cmap.map(0.05 + 0.9 * i / max(n - 1, 1), mode="qcolor").name() for i in range(n)]
    dark = is_dark() if dark is None else dark
    order = [OKABE_ITO[name] for name in RUN_COLOR_ORDER]
    if dark:
        order[-1] = _DARK_BLACK
    return order[:n]


def indicator_style(dark: bool) -> str:
    """A style sheet for check boxes and radio buttons on the dark palette ("" on a light one).

    Fusion outlines their indicators in a shade darker than the window: on a dark window they
    all but vanish. These are drawn light on dark, filled with the highlight when checked.
    """
    if not dark:
        return ""
    from gdstudio.ui.resources import icon_path

    tick = icon_path("tick").replace("\\", "/")
    return f"""
QCheckBox::indicator, QRadioButton::indicator {{
    width: 12px; height: 12px; border: 1px solid #9a9aa0; background: #1e1e20; }}
QRadioButton::indicator {{ border-radius: 7px; }}
QCheckBox::indicator {{ border-radius: 2px; }}
QCheckBox::indicator:hover, QRadioButton::indicator:hover {{ border-color: #e6e6e6; }}
QCheckBox::indicator:checked {{ background: #3d8ed8; border-color: #3d8ed8; image: url({tick}); }}
QRadioButton::indicator:checked {{
    border-color: #3d8ed8;
    background: qradialgradient(cx: 0.5, cy: 0.5, radius: 0.5, fx: 0.5, fy: 0.5,
                                stop: 0 #3d8ed8, stop: 0.5 #3d8ed8, stop: 0.6 #1e1e20,
                                stop: 1 #1e1e20); }}
QCheckBox::indicator:disabled, QRadioButton::indicator:disabled {{
    border-color: #55555a; background: #2b2b2e; }}
QCheckBox::indicator:checked:disabled {{ background: #55555a; }}
"""


def dark_palette() -> QPalette:
    """A dark palette for any style (Fusion draws it best)."""
    window = QColor(0x2B, 0x2B, 0x2E)
    base = QColor(0x1E, 0x1E, 0x20)
    text = QColor(0xE6, 0xE6, 0xE6)
    muted = QColor(0x8A, 0x8A, 0x8E)
    button = QColor(0x35, 0x35, 0x39)
    highlight = QColor(0x3D, 0x8E, 0xD8)
    p = QPalette()
    roles = QPalette.ColorRole
    for role, colour in (
        (roles.Window, window), (roles.WindowText, text), (roles.Base, base),
        (roles.AlternateBase, QColor(0x26, 0x26, 0x29)),
        (roles.ToolTipBase, QColor(0x3A, 0x3A, 0x3E)),
        (roles.ToolTipText, text), (roles.PlaceholderText, muted), (roles.Text, text),
        (roles.Button, button), (roles.ButtonText, text), (roles.BrightText, QColor("#ff6b6b")),
        (roles.Light, QColor(0x4A, 0x4A, 0x4F)), (roles.Midlight, QColor(0x3E, 0x3E, 0x43)),
        (roles.Mid, QColor(0x55, 0x55, 0x5A)), (roles.Dark, QColor(0x18, 0x18, 0x1A)),
        (roles.Shadow, QColor(0x0C, 0x0C, 0x0D)), (roles.Highlight, highlight),
        (roles.HighlightedText, QColor(0xFF, 0xFF, 0xFF)), (roles.Link, QColor(0x6C, 0xB4, 0xFF)),
        (roles.LinkVisited, QColor(0xB3, 0x9D, 0xDB)),
    ):
        p.setColor(role, colour)
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        p.setColor(disabled, role, muted)
    p.setColor(disabled, roles.Base, window)
    p.setColor(disabled, roles.Button, window)
    p.setColor(disabled, roles.Highlight, QColor(0x55, 0x55, 0x5A))
    return p


#: Text colours (for a light window: :func:`readable` adapts them to the theme in force).
ERROR_RED = "#c62828"
GOOD_GREEN = "#2e7d32"

#: The least contrast of coloured text with its background (WCAG 2's AA level for body text).
MIN_CONTRAST = 4.5


def _luminance(colour: QColor) -> float:
    """WCAG 2's relative luminance of ``colour``."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return (0.2126 * linear(colour.redF()) + 0.7152 * linear(colour.greenF())
            + 0.0722 * linear(colour.blueF()))


def contrast(a: QColor | str, b: QColor | str) -> float:
    """WCAG 2's contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_luminance(QColor(a)), _luminance(QColor(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable(colour: str, palette: QPalette | None = None) -> str:
    """``colour`` (``#RRGGBB``, chosen for text on a light window) as text on ``palette``
    (default: the application's): unchanged where it reads (contrast ≥ 4.5:1 with the window
    and the base colours), else lightened on a dark palette or darkened on a light one, its
    hue and saturation kept, just as far as it needs. (Purple #6a1b9a and grey #424242 all
    but vanished on the dark theme.)"""
    palette = palette or QGuiApplication.palette()
    grounds = (palette.color(QPalette.ColorRole.Window), palette.color(QPalette.ColorRole.Base))
    base = QColor(colour)

    def reads(c: QColor) -> bool:
        return all(contrast(c, g) >= MIN_CONTRAST for g in grounds)

    if reads(base):
        return base.name()
    hue, saturation = base.hslHueF(), base.hslSaturationF()
    lightness = base.lightnessF()
    step = 0.01 if is_dark(palette) else -0.01
    candidate = QColor(base)
    for _ in range(100):
        lightness = min(1.0, max(0.0, lightness + step))
        candidate = QColor.fromHslF(max(hue, 0.0), saturation, lightness)
        if reads(candidate) or lightness in (0.0, 1.0):
            break
    return candidate.name()


def _colour_sheet(colour: str, extra: str) -> str:
    return f"color: {readable(colour)};{(' ' + extra) if extra else ''}"


def set_text_colour(widget: QWidget, colour: str, extra: str = "") -> None:
    """Show ``widget``'s text in ``colour`` (chosen for a light window; "" for the palette's
    own), readable on the theme in force and again whenever the theme changes
    (:class:`Appearance` restyles it). ``extra``: more of the style sheet ("font-style:
    italic;")."""
    widget.setProperty("gdstudioTextColour", colour)
    widget.setProperty("gdstudioTextExtra", extra)
    sheet = _colour_sheet(colour, extra) if colour else extra
    if widget.styleSheet() != sheet:
        widget.setStyleSheet(sheet)


def plot_colors(palette: QPalette | None = None) -> tuple[QColor, QColor]:
    """A plot's background and foreground for ``palette``: its Base and Text colours."""
    palette = palette or QGuiApplication.palette()
    return (QColor(palette.color(QPalette.ColorRole.Base)),
            QColor(palette.color(QPalette.ColorRole.Text)))


def style_plot(widget: pg.PlotWidget, palette: QPalette | None = None,
               scale: float = 1.0) -> None:
    """Give a plot the palette's colours and the application's font (``scale``: text size).

    Text items and legends drawn in the old foreground colour take the new one; items with
    colours of their own (curves, marks) keep them.
    """
    background, foreground = plot_colors(palette)
    # The plots (gdstudio.ui.plots) label their axes and texts in their foreground later on,
    # and pick their marks' colours for a light or a dark background: they are told.
    old_colour = getattr(widget, "foreground", None)
    old = QColor(old_colour) if isinstance(old_colour, QColor) else None
    widget.setBackground(background)
    set_colors = getattr(widget, "set_colors", None)
    if callable(set_colors):
        set_colors(background, foreground)
    item = widget.getPlotItem()
    font = QFont(QApplication.font())
    for name in ("left", "bottom", "right", "top"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(foreground, width=1))
        axis.setTextPen(pg.mkPen(foreground))
        axis.setTickFont(font)
        if axis.labelText or axis.labelUnits:
            style = dict(axis.labelStyle)
            style["color"] = foreground.name()
            if font.pointSizeF() > 0:  # the axis' name as large as its ticks (Huge text too)
                style["font-size"] = f"{font.pointSizeF():g}pt"
            axis.setLabel(axis.labelText, axis.labelUnits or None, axis.labelUnitPrefix or None,
                          **style)
    title = item.titleLabel
    titled = getattr(widget, "set_title_points", None)  # (for a title set later, too)
    if callable(titled):
        titled(TITLE_POINTS * scale)
    if title.isVisible() and title.text:
        points = TITLE_POINTS * scale
        height = max(30, int(2.2 * points))
        item.setTitle(title.text, color=foreground.name(), size=f"{points:g}pt")
        item.layout.setRowFixedHeight(0, height)
        title.setMaximumHeight(height)
    legend = item.legend
    if legend is not None:
        legend.setLabelTextColor(foreground)
        fill = QColor(background)
        fill.setAlpha(225)
        legend.setBrush(pg.mkBrush(fill))
        legend.setPen(pg.mkPen(QGuiApplication.palette().color(QPalette.ColorRole.Mid)
                               if palette is None else palette.color(QPalette.ColorRole.Mid)))
        sized = getattr(widget, "set_legend_points", None)  # larger text: fewer entries per
        if callable(sized):  # row, and no larger than the plot can hold (see fit_legend)
            sized(LEGEND_POINTS * scale, LEGEND_POINTS)
        else:
            legend.setLabelTextSize(f"{LEGEND_POINTS * scale:g}pt")
        for _sample, label in legend.items:
            label.setText(label.text)  # the calls above only store the new style
    for child in _scene_items(item):
        if isinstance(child, pg.TextItem) and (old is None or child.color == old):
            child.setColor(foreground)
            if child.fill.style() != Qt.BrushStyle.NoBrush:
                new_fill = QColor(background)
                new_fill.setAlpha(child.fill.color().alpha())
                child.fill = pg.mkBrush(new_fill)
                child.update()


def _scene_items(item: pg.PlotItem) -> Iterable[object]:
    scene = item.scene()
    return scene.items() if scene is not None else item.items


# --------------------------------------------------------------------------------------------


class Appearance(QObject):
    """The application's theme and text size; restyles the plots of the widgets it is given.

    ``changed`` is emitted after every change (theme, text size, or the system's colour
    scheme while the theme is ``system``).
    """

    changed = Signal()

    _base: tuple[QPalette, QFont, str] | None = None  # the platform's own, captured once

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        app = QApplication.instance()
        assert isinstance(app, QApplication), "an Appearance needs a QApplication"
        if Appearance._base is None:
            Appearance._base = (QPalette(app.palette()), QFont(app.font()), app.style().name())
        self._theme = "system"
        self._text_size = "normal"
        self._roots: list[QWidget] = []
        self._indicator_hosts: list[QWidget] = []
        app.styleHints().colorSchemeChanged.connect(self._on_scheme_changed)

    # --- state -------------------------------------------------------------------------------

    @property
    def theme(self) -> str:
        return self._theme

    @property
    def text_size(self) -> str:
        return self._text_size

    @property
    def scale(self) -> float:
        return TEXT_SIZES[self._text_size]

    def dark(self) -> bool:
        """Whether the theme in force is dark (for ``system``: what the system asks for)."""
        if self._theme == "system":
            return self._system_dark()
        return self._theme == "dark"

    def add_indicator_host(self, widget: QWidget) -> None:
        """Give the check boxes and radio buttons inside ``widget`` the theme's indicators."""
        if widget not in self._indicator_hosts:
            self._indicator_hosts.append(widget)
            self._style_indicators(widget, indicator_style(self.dark()))

    @staticmethod
    def _style_indicators(host: QWidget, sheet: str) -> None:
        # On each check box and radio button itself, not on the host: a style sheet on a
        # container would restyle every field inside it (their sizes change under a sheet).
        for box in [*host.findChildren(QCheckBox), *host.findChildren(QRadioButton)]:
            if box.styleSheet() != sheet:
                box.setStyleSheet(sheet)

    def add_root(self, widget: QWidget) -> None:
        """Restyle the plots inside ``widget`` whenever the look changes."""
        if widget not in self._roots:
            self._roots.append(widget)
            widget.destroyed.connect(lambda *_: self._forget_dead_roots())

    def _forget_dead_roots(self) -> None:
        import shiboken6

        self._roots = [w for w in self._roots if shiboken6.isValid(w)]
        self._indicator_hosts = [w for w in self._indicator_hosts if shiboken6.isValid(w)]

    # --- changes -----------------------------------------------------------------------------

    def configure(self, theme: str, text_size: str) -> None:
        """Set both, then apply once (start-up)."""
        if theme not in THEMES or text_size not in TEXT_SIZES:
            raise ValueError(f"unknown theme or text size: {theme!r}, {text_size!r}")
        self._theme, self._text_size = theme, text_size
        self.apply()

    def set_theme(self, theme: str) -> None:
        if theme not in THEMES:
            raise ValueError(f"unknown theme {theme!r}; choose from {', '.join(THEMES)}")
        self._theme = theme
        self.apply()

    def set_text_size(self, size: str) -> None:
        if size not in TEXT_SIZES:
            raise ValueError(f"unknown text size {size!r}; choose from {', '.join(TEXT_SIZES)}")
        self._text_size = size
        self.apply()

    def apply(self) -> None:
        """Apply the theme and text size to the application and restyle the plots."""
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        assert Appearance._base is not None
        base_palette, base_font, base_style = Appearance._base
        dark = self.dark()
        if dark:
            if app.style().name().lower() != "fusion":
                app.setStyle("Fusion")  # the native styles of some platforms ignore palettes
            palette = dark_palette()
        else:
            if app.style().name().lower() != base_style.lower():
                app.setStyle(base_style)
            palette = QPalette(base_palette) if not is_dark(base_palette) \
                else app.style().standardPalette()
        app.setPalette(palette)
        font = QFont(base_font)
        size = base_font.pointSizeF()
        if size > 0:
            font.setPointSizeF(size * self.scale)
        else:  # a font in pixels
            font.setPixelSize(max(1, round(base_font.pixelSize() * self.scale)))
        app.setFont(font)
        background, foreground = plot_colors(palette)
        pg.setConfigOption("background", background)
        pg.setConfigOption("foreground", foreground)
        self._forget_dead_roots()
        sheet = indicator_style(dark)
        for host in self._indicator_hosts:
            self._style_indicators(host, sheet)
        for root in self._roots:
            self._restyle(root, palette)
        self.changed.emit()

    def style_new_plot(self, widget: pg.PlotWidget, palette: QPalette | None = None) -> None:
        """Give a plot the current look (theme, text size): one built after start-up, or every
        plot when the look changes."""
        palette = palette if palette is not None else QApplication.palette()
        widget.setPalette(palette)
        style_plot(widget, palette, self.scale)

    def _restyle(self, root: QWidget, palette: QPalette) -> None:
        root.setPalette(palette)
        for widget in [root, *root.findChildren(QWidget)]:
            if widget.testAttribute(Qt.WidgetAttribute.WA_SetFont) and widget is not root:
                self._scale_own_font(widget)
            elif widget.property("gdstudioTextColour") is not None:
                # its colour, readable on the new palette (and its font, as below)
                colour = str(widget.property("gdstudioTextColour"))
                extra = str(widget.property("gdstudioTextExtra") or "")
                widget.setStyleSheet(_colour_sheet(colour, extra) if colour else extra)
            elif widget.styleSheet():
                # A style sheet fixes the font when it is applied: apply it again.
                widget.setStyleSheet(widget.styleSheet())
            if isinstance(widget, pg.PlotWidget):
                self.style_new_plot(widget, palette)

    def _scale_own_font(self, widget: QWidget) -> None:
        """A widget with a font of its own (a monospace field): scale it like the others."""
        base = widget.property("gdstudioBasePointSize")
        font = QFont(widget.font())
        if base is None:
            base = font.pointSizeF()
            if base <= 0:
                return
            widget.setProperty("gdstudioBasePointSize", base)
        font.setPointSizeF(float(base) * self.scale)
        widget.setFont(font)

    # --- the system ----------------------------------------------------------------------------

    @staticmethod
    def _system_dark() -> bool:
        app = QGuiApplication.instance()
        scheme = (app.styleHints().colorScheme() if isinstance(app, QGuiApplication)
                  else Qt.ColorScheme.Unknown)
        if scheme == Qt.ColorScheme.Dark:
            return True
        if scheme == Qt.ColorScheme.Light:
            return False
        base = Appearance._base
        return base is not None and is_dark(base[0])  # unknown: what the platform gave us

    def _on_scheme_changed(self, _scheme: object) -> None:
        if self._theme == "system":
            self.apply()
