"""What the mathematics says before any run: derivative, minima, critical learning rate, regime.

Every number comes from :mod:`gdstudio.core.analysis` through a
:class:`~gdstudio.core.theory.Theory`, worked out off the GUI thread once per problem
(:mod:`gdstudio.ui.threads.analysis`); this widget only lays it out.
"""

from __future__ import annotations

import html
import math

import numpy as np
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from gdstudio.core import FunctionProblem, RegressionProblem, RunConfig
from gdstudio.core.analysis import (
    FunctionAnalysis,
    Regime,
    RegressionAnalysis,
    StationaryPoint,
    SurfaceAnalysis,
)
from gdstudio.core.numbers import digits_apart
from gdstudio.core.theory import Theory, theory_key
from gdstudio.ui.model.formatting import number, pretty_math, prose
from gdstudio.ui.theme import readable

__all__ = ["AnalysisPanel", "REGIME_COLOURS"]

REGIME_COLOURS = {
    "monotone": "#2e7d32",
    "oscillating": "#ef6c00",
    "cycling": "#6a1b9a",
    "critical": "#6a1b9a",
    "diverging": "#c62828",
    "unknown": "#616161",
}

_REGIME_NAMES = {
    "monotone": "converges smoothly",
    "oscillating": "converges, oscillating",
    "cycling": "cycles for ever",
    "critical": "critical, to rounding",
    "diverging": "diverges",
    "unknown": "unknown",
}


def _math(text: str) -> str:
    return html.escape(pretty_math(text))


def _point(p: StationaryPoint) -> str:
    """A stationary point as the panel says it: ``minimum at x = −1.22474, f = −2.25``."""
    kind = p.kind if p.smooth else f"{p.kind} (a kink: f′ jumps)"
    return html.escape(f"{kind} at x = {number(p.x)}, f = {number(p.f)}")


def _badge(regime: Regime) -> str:
    colour = REGIME_COLOURS.get(regime.kind, REGIME_COLOURS["unknown"])
    name = _REGIME_NAMES.get(regime.kind, regime.kind)
    return (
        f'<span style="background-color:{colour}; color:white; font-weight:600;">'
        f"&nbsp;{html.escape(name)}&nbsp;</span>"
    )


#: The panel's text colours for a light window (shown through :func:`readable`: the panel is
#: written again when the theme changes).
_GREY, _OCHRE = "#757575", "#8d6e00"


def _not_predicted() -> str:
    """What a race lane says whose optimizer plain gradient descent's theory does not
    describe."""
    return (f"<span style='color:{readable(_GREY)};'>not predicted: the theory is plain "
            "GD's</span>")


def _row(label: str, value: str) -> str:
    return (
        f'<tr><td style="padding:2px 10px 2px 0; color:{readable(_GREY)}; white-space:nowrap;"'
        f' valign="top">{label}</td><td style="padding:2px 0;">{value}</td></tr>'
    )


class AnalysisPanel(QScrollArea):
    """Read-only rich text: the theory for the current problem and learning rate.

    The theory (:class:`~gdstudio.core.theory.Theory`) is worked out off the GUI thread and
    arrives after the run is set up (:meth:`set_theory`); meanwhile the panel says so. A new
    learning rate only asks the theory for the regime again (cheap), so the panel follows the
    lr slider.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("analysisPanel")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(8, 6, 8, 6)
        self.label = QLabel()
        self.label.setObjectName("analysisText")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.label)
        layout.addStretch(1)
        self.setWidget(inner)
        self._config: RunConfig | None = None
        self._theory: Theory | None = None
        self._lr = math.nan
        self._race: list[tuple[str, float, str]] = []  # (label, lr, optimizer) of race lanes
        self.label.setText("<i>Choose a problem to see its analysis.</i>")

    # --- inputs ------------------------------------------------------------------------------

    @property
    def config(self) -> RunConfig | None:
        """The configuration analysed (None while the input is invalid)."""
        return self._config

    @property
    def theory(self) -> Theory | None:
        """The theory shown (None while it is being worked out)."""
        return self._theory

    def set_config(self, config: RunConfig | None, theory: Theory | None = None) -> None:
        """Show ``config``'s analysis: ``theory`` if it is known already, else a note until
        :meth:`set_theory` brings it."""
        self._config = config
        if config is not None:
            self._lr = float(config.lr)  # type: ignore[arg-type]
        if theory is None or config is None or theory.key != theory_key(config):
            theory = None
        self._theory = theory
        self._render()

    def set_theory(self, theory: Theory) -> None:
        """The theory of the problem set up has been worked out."""
        if self._config is not None and theory.key == theory_key(self._config):
            self._theory = theory
            self._render()

    def set_race(self, lanes: list[tuple[str, float, str]] | None) -> None:
        """A race's lanes (label, learning rate, optimizer): each one's regime is listed."""
        self._race = list(lanes or [])
        self._render()

    def set_lr(self, lr: float) -> None:
        self._lr = float(lr)
        self._render()

    # --- rendering ---------------------------------------------------------------------------

    def text(self) -> str:
        """The panel's text without markup (for tests and copying)."""
        from PySide6.QtGui import QTextDocument

        doc = QTextDocument()
        doc.setHtml(self.label.text())
        return doc.toPlainText()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._config is not None:
            self._render()  # its colours, readable on the new theme

    def _render(self) -> None:
        config, theory = self._config, self._theory
        if config is None:
            self.label.setText("<i>Fix the highlighted input to see the analysis.</i>")
            return
        if theory is None:
            self.label.setText("<i>Working out the derivative and the analysis…</i>")
            return
        if theory.error:
            self.label.setText(
                f"<i>No analysis for this problem ({html.escape(theory.error)}).</i>")
            return
        a = theory.analysis
        if isinstance(a, FunctionAnalysis):
            body = self._function_html(a, config)
        elif isinstance(a, RegressionAnalysis):
            body = self._regression_html(a, config)
        elif isinstance(a, SurfaceAnalysis):
            body = self._surface_html(a, config)
        else:
            body = "<i>The analysis covers functions of one variable and regressions.</i>"
        body += self._race_html()
        others = sorted({o for _l, _r, o in self._race if o != "gd"}) if self._race \
            else ([config.optimizer] if config.optimizer != "gd" else [])
        if others:
            body += (
                f'<p style="color:{readable(_OCHRE)};">The critical learning rate and regime '
                "are theory for "
                f"plain gradient descent; <b>{html.escape(', '.join(others))}</b> change"
                f"{'s' if len(others) == 1 else ''} the update, so read them as a guide "
                "only.</p>"
            )
        self.label.setText(body)

    def _function_html(self, a: FunctionAnalysis, config: RunConfig) -> str:
        problem = config.problem
        assert isinstance(problem, FunctionProblem)
        x0 = float(config.start_params()[0])
        rows = [
            _row("f(x)", _math(self._theory.pretty if self._theory else problem.text)),
            _row("f′(x)", _math(a.derivative_text)),
        ]
        if a.second_derivative_text:
            rows.append(_row("f″(x)", _math(a.second_derivative_text)))
        if a.points:
            shown = a.points[:6]
            pts = "<br>".join(_point(p) for p in shown)
            if len(a.points) > len(shown):
                pts += f"<br>… and {len(a.points) - len(shown)} more"
            where = "" if a.exact else (
                f" <span style='color:{readable(_GREY)};'>(searched x in "
                f"{number(a.search_range[0], 4)} … {number(a.search_range[1], 4)})</span>"
            )
            rows.append(_row("f′(x) = 0", pts + where))
        else:
            rows.append(_row("f′(x) = 0", "no stationary point found"))
        if a.note:
            rows.append(_row("Bounds", f"<span style='color:{readable(_OCHRE)};'>"
                                       f"{html.escape(prose(a.note))}</span>"))
        target, regime = a.regime(self._lr, x0)
        if target is not None:
            rows.append(_row("Heads for", f"{_point(target)} "
                                          f"(from x₀ = {number(x0)})"))
            if target.smooth:
                rows.append(_row("Curvature", f"h = f″(x*) = {number(target.curvature)}"))
            crit = regime.critical_lr
            if math.isfinite(crit) and crit > 0:
                rows.append(_row("Critical lr", f"<b>2/h = {self._crit(crit)}</b> "
                                                f"(above it descent diverges)"))
        rows += self._regime_rows(regime)
        return "<table>" + "".join(rows) + "</table>"

    def _lane_regime(self, lr: float) -> Regime | None:
        config, theory = self._config, self._theory
        if config is None or theory is None:
            return None
        start = tuple(float(v) for v in config.start_params())
        return theory.regime(lr, start, scaled=config.scale_x)

    def _race_html(self) -> str:
        """The regime of each plain-descent lane of a race (gradient descent's theory); the
        other optimizers' lanes are not predicted by it: their outcome is in the race table."""
        if not self._race:
            return ""
        rows = []
        for label, lr, optimizer in self._race:
            if optimizer not in ("gd", "sgd"):
                rows.append(_row(html.escape(label), _not_predicted()))
                continue
            regime = self._lane_regime(lr)
            if regime is not None:
                rows.append(_row(html.escape(label), _badge(regime)))
        if not rows:
            return ""
        return "<p style='margin-top:8px;'><b>The race</b></p><table>" + "".join(rows) \
            + "</table>"

    def _surface_html(self, a: SurfaceAnalysis, config: RunConfig) -> str:
        problem = config.problem
        assert isinstance(problem, FunctionProblem)
        names = ", ".join(problem.variables)
        start = ", ".join(number(float(v)) for v in config.start_params())
        gradient = pretty_math(a.gradient_text)
        rows = [
            _row(f"f({names})", _math(self._theory.pretty if self._theory else problem.text)),
            _row("∇f", html.escape(gradient)),
        ]
        point = ", ".join(number(v) for v in a.point)
        if a.kind == "none found":
            rows.append(_row("Heads for", f"no stationary point found downhill from ({start}): "
                                          "f may decrease without end that way"))
        elif a.kind == "minimum":
            rows.append(_row("Heads for", f"{html.escape(a.kind)} at ({point}), "
                                          f"f = {number(a.f)} (from ({start}))"))
        else:
            rows.append(_row("Nearby", f"a {html.escape(a.kind)} at ({point}), f = {number(a.f)}: "
                                       "no minimum downhill from "
                                       f"({start}); descent slides past it"))
        if np.isfinite(a.hessian).all() and a.kind != "none found":
            h = a.hessian
            matrix = (f"[{number(float(h[0, 0]), 5)}, {number(float(h[0, 1]), 5)}]<br>"
                      f"[{number(float(h[1, 0]), 5)}, {number(float(h[1, 1]), 5)}]")
            rows.append(_row("Hessian there", matrix))
            lam = a.eigenvalues
            rows.append(_row("Eigenvalues", f"λmin = {number(float(lam[0]))}, "
                                            f"λmax = {number(float(lam[-1]))}"))
        if a.kind == "minimum":
            rows.append(_row("Condition", f"κ = λmax/λmin = {number(a.condition_number, 4)}"))
            rows.append(_row("Critical lr", f"<b>2/λmax = {self._crit(a.critical_lr)}</b> "
                                            f"(above it descent diverges there)"))
        rows += self._regime_rows(a.regime(self._lr))
        return "<table>" + "".join(rows) + "</table>"

    def _regression_html(self, a: RegressionAnalysis, config: RunConfig) -> str:
        problem = config.problem
        assert isinstance(problem, RegressionProblem)
        lam = a.eigenvalues
        rows = [
            _row("Loss", "MSE = (1/n)·Σ (y − (m·x + c))²"),
            _row("Gradient", "∂/∂m = (−2/n)·Σ x·(y − ŷ)<br>∂/∂c = (−2/n)·Σ (y − ŷ)"),
            _row("Least squares", f"m* = {number(a.m, 8)}, c* = {number(a.c, 8)}" if a.unique
                 else "not unique: all x are equal, every line through (x̄, ȳ) fits"),
            _row("Best MSE", number(a.loss, 8)),
            _row("Hessian λ", f"λmin = {number(float(lam[0]))}, λmax = {number(float(lam[-1]))}"),
            _row("Condition", f"κ = λmax/λmin = {number(a.condition_number, 4)}"),
            _row("Critical lr", f"<b>2/λmax = {self._crit(a.critical_lr)}</b> "
                                f"(above it descent diverges)"),
        ]
        scaled = self._theory.scaled if self._theory is not None and config.scale_x else None
        if scaled is not None:
            lam_s = scaled.eigenvalues
            rows += [
                _row("x standardised", f"λ = {number(float(lam_s[0]))}, "
                                       f"{number(float(lam_s[-1]))}; κ = "
                                       f"{number(scaled.condition_number, 4)}"),
                _row("", f"critical lr <b>2/λmax = {self._crit(scaled.critical_lr)}</b> "
                         "(descent runs on the scaled x)"),
            ]
        rows += self._regime_rows((scaled or a).regime(self._lr))
        return "<table>" + "".join(rows) + "</table>"

    def _crit(self, critical_lr: float) -> str:
        """A critical lr with the digits that tell it from the lr (see :meth:`_apart`)."""
        return number(critical_lr, self._apart(critical_lr))

    def _apart(self, critical_lr: float) -> int:
        """Digits with which the lr and a critical lr print differently where they differ (so
        that "diverging: r > 2/h" never stands beside two numbers that read alike)."""
        return digits_apart(self._lr, critical_lr)

    def _regime_rows(self, regime: Regime) -> list[str]:
        """The single run's regime at the lr field's rate; none during a race, whose lanes
        have their own rates (the field is greyed then: see :meth:`_race_html`)."""
        if self._race:
            return []
        rows = [_row(f"lr = {number(self._lr, self._apart(regime.critical_lr))}", _badge(regime)),
                _row("", html.escape(prose(regime.description)))]
        if (regime.converges and math.isfinite(regime.epochs_to_1e6)
                and "epochs" not in regime.description):
            rows.append(_row("", f"≈ {regime.epochs_to_1e6:,.0f} epochs to shrink the error "
                                 f"a million-fold"))
        return rows
