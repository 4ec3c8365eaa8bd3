"""What is minimised: a typed function f(x) (or f(x, y)), or a linear regression by MSE.

A problem knows its parameters' names, sensible defaults (start, learning rate, plotting range)
and how to evaluate its loss and gradient on NumPy arrays of parameter rows. Engines build on
these; the problem itself never imports torch or Qt.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gdstudio.core import data as _data
from gdstudio.core.errors import ConfigError, DataError
from gdstudio.core.expr.expression import Expression, parse_expression
from gdstudio.core.numbers import real

__all__ = [
    "FunctionPreset",
    "FUNCTION_PRESETS",
    "SURFACE_PRESETS",
    "DEFAULT_EXPRESSION",
    "FunctionProblem",
    "RegressionProblem",
    "Problem",
]

DEFAULT_EXPRESSION = "x**2 - 4*x + 5"


@dataclass(frozen=True)
class FunctionPreset:
    """A ready-made function with a start, a learning rate and a range that teach something."""

    key: str
    title: str
    expr: str
    x0: float | tuple[float, float]
    lr: float
    x_range: tuple[float, float]
    lesson: str
    variables: tuple[str, ...] = ("x",)
    y_range: tuple[float, float] | None = None
    epochs: int = 50


FUNCTION_PRESETS: dict[str, FunctionPreset] = {
    p.key: p
    for p in (
        FunctionPreset(
            "quadratic",
            "Quadratic: x² − 4x + 5",
            DEFAULT_EXPRESSION,
            7.0,
            0.1,
            (-4.0, 8.0),
            "The source's example: minimum f(2) = 1. Try lr 0.01, 0.1, 0.3, 0.7 and 1.",
        ),
        FunctionPreset(
            "quartic",
            "Quartic: a local and a global minimum",
            "x**4 - 4*x**2 + x",
            2.0,
            0.02,
            (-2.4, 2.4),
            "From x0 = 2 descent settles in the local minimum near 1.35; "
            "the global one is near -1.47. Start left of 0.13 to find it.",
        ),
        FunctionPreset(
            "wavy",
            "Wavy: sin(3x) + 0.1x², many minima",
            "sin(3*x) + 0.1*x**2",
            3.5,
            0.02,
            (-6.0, 6.0),
            "Many local minima: where descent ends depends on x0 and on the learning rate.",
        ),
        FunctionPreset(
            "abs",
            "Absolute value: |x| (not smooth)",
            "abs(x)",
            2.55,
            0.1,
            (-3.0, 3.0),
            "The slope is ±1 everywhere: a fixed step never settles, it bounces around 0.",
        ),
        FunctionPreset(
            "flat",
            "Flat bottom: x⁴",
            "x**4",
            1.5,
            0.05,
            (-1.8, 1.8),
            "f''(0) = 0: the gradient vanishes near the minimum and progress becomes very slow.",
        ),
    )
}


#: Functions of two variables, f(x, y): landscapes where the learning rate meets a Hessian.
SURFACE_PRESETS: dict[str, FunctionPreset] = {
    p.key: p
    for p in (
        FunctionPreset(
            "bowl",
            "Elongated bowl: x² + 10y²",
            "x**2 + 10*y**2",
            (-4.0, 1.5),
            0.08,
            (-5.0, 5.0),
            "Curvatures 2 and 20: the steep y direction zig-zags (factor 1 − 20·lr) while x "
            "creeps (1 − 2·lr). The critical rate 2/λmax = 0.1 is set by the steepest direction.",
            ("x", "y"),
            (-2.5, 2.5),
            150,
        ),
        FunctionPreset(
            "rosenbrock",
            "Rosenbrock: a curved valley",
            "(1 - x)**2 + 100*(y - x**2)**2",
            (-1.2, 1.0),
            0.001,
            (-2.0, 2.0),
            "Reaching the valley is fast, following it to (1, 1) is slow: the Hessian there has "
            "eigenvalues 0.4 and 1002. Try momentum or Adam.",
            ("x", "y"),
            (-1.0, 3.0),
            5000,
        ),
        FunctionPreset(
            "himmelblau",
            "Himmelblau: four minima",
            "(x**2 + y - 11)**2 + (x + y**2 - 7)**2",
            (0.0, 0.0),
            0.01,
            (-5.0, 5.0),
            "Four equal minima: which one descent finds depends only on where it starts.",
            ("x", "y"),
            (-5.0, 5.0),
            200,
        ),
        FunctionPreset(
            "saddle",
            "Saddle: x² − y²",
            "x**2 - y**2",
            (2.0, 0.01),
            0.1,
            (-3.0, 3.0),
            "The gradient vanishes at (0, 0) but it is no minimum: the smallest offset in y grows "
            "by 1 + 2·lr every step.",
            ("x", "y"),
            (-3.0, 3.0),
            150,
        ),
        FunctionPreset(
            "beale",
            "Beale: flat plateaus, a sharp minimum",
            "(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2",
            (1.0, 1.0),
            0.01,
            (-4.5, 4.5),
            "The minimum (3, 0.5) sits at the end of a narrow curved trough between plateaus.",
            ("x", "y"),
            (-4.5, 4.5),
            6000,
        ),
    )
}


#: How far above the squared rounding errors of the residuals Σr² must lie to be taken from the
#: regression's sums (2⁶⁴·ε², ε = 2⁻⁵²: a residual rms 2³² times its rounding error).
_RESOLVED = 2.0**64 * (2.0**-52) ** 2


def _finite_float(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise ConfigError(f"{what} must be a number, got {value!r}")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(out):
        raise ConfigError(f"{what} must be a finite number, got {value!r}")
    return out


class FunctionProblem:
    """Minimise a typed function of one (or two) variables.

    Parameters
    ----------
    expr
        The function as text (Python syntax, ``^`` accepted for powers) or a parsed
        :class:`~gdstudio.core.expr.expression.Expression`.
    variables
        ``("x",)`` for f(x); ``("x", "y")`` for f(x, y).
    """

    kind = "function"

    def __init__(
        self,
        expr: str | Expression = DEFAULT_EXPRESSION,
        *,
        variables: Sequence[str] | None = None,
        name: str | None = None,
        x0: float | Sequence[float] | None = None,
        lr: float | None = None,
        x_range: tuple[float, float] | None = None,
        preset: str | None = None,
    ) -> None:
        if isinstance(expr, Expression):
            self.expression = expr
        elif variables == "auto":
            # f(x) unless the text uses y: then f(x, y)
            both = parse_expression(expr, ("x", "y"))
            self.expression = both if both.uses("y") else parse_expression(expr, ("x",))
        else:
            self.expression = parse_expression(expr, tuple(variables or ("x",)))
        self.variables: tuple[str, ...] = self.expression.variables
        matched = preset or _preset_for(self.expression.text, self.variables)
        p = _PRESETS.get(matched) if matched else None
        self.preset_key: str | None = p.key if p else None
        self.name = name or (p.title if p
                             else f"f({', '.join(self.variables)}) = {self.expression.text}")
        if x0 is None:
            x0 = p.x0 if p else (7.0 if self.dim == 1 else (2.0, 2.0))
        self.default_x0 = x0
        self.default_lr = (real(lr, "learning rate", low=0.0, low_open=True) if lr is not None
                           else float(p.lr if p else 0.1))
        self.default_epochs = p.epochs if p else 50
        self.x_range: tuple[float, float] | None = x_range or (p.x_range if p else None)
        self.y_range: tuple[float, float] | None = p.y_range if p else None
        self.lesson = p.lesson if p else ""

    # --- identity ----------------------------------------------------------------------------

    @classmethod
    def preset(cls, key: str) -> FunctionProblem:
        try:
            p = _PRESETS[key]
        except KeyError:
            raise ConfigError(
                f"unknown preset {key!r}; choose from {', '.join(_PRESETS)}"
            ) from None
        return cls(p.expr, variables=p.variables, preset=key)

    @property
    def text(self) -> str:
        return self.expression.text

    @property
    def param_names(self) -> tuple[str, ...]:
        return self.variables

    @property
    def dim(self) -> int:
        return len(self.variables)

    def describe(self) -> dict[str, Any]:
        """The problem as it appears in a run's JSON ``config``."""
        out: dict[str, Any] = {"problem": "function", "expr": self.text}
        if self.dim > 1:
            out["variables"] = list(self.variables)
        return out

    def __repr__(self) -> str:
        return f"FunctionProblem({self.text!r})"

    # --- numbers ---------------------------------------------------------------------------

    def start(self, x0: float | Sequence[float] | None) -> np.ndarray:
        """The start point as a float64 array of shape (dim,)."""
        if x0 is None:
            x0 = self.default_x0
        values = [x0] if np.ndim(x0) == 0 else list(x0)  # type: ignore[arg-type]
        if len(values) != self.dim:
            raise ConfigError(
                f"the start needs {self.dim} value{'s' if self.dim > 1 else ''} "
                f"({', '.join(self.variables)}), got {len(values)}"
            )
        return np.array([_finite_float(v, f"start {n}0")
                         for v, n in zip(values, self.variables, strict=True)])

    def loss_and_grad(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Loss (B,) and gradient (B, dim) for parameter rows ``params`` of shape (B, dim)."""
        cols = [params[:, i] for i in range(self.dim)]
        with np.errstate(all="ignore"):  # undefined points give nan/inf, silently
            loss = self.expression.numpy_function_raw(*cols)
            g = self.expression.numpy_gradient_raw(*cols)
        if self.dim == 1:
            return loss, g.reshape(-1, 1)
        grad = np.empty(params.shape, dtype=np.result_type(*g))
        for i, gi in enumerate(g):
            grad[:, i] = gi
        return loss, grad

    def gradient_raw(self, params: np.ndarray) -> np.ndarray:
        """The gradient (B, dim) alone, for callers that already silence NumPy's warnings (a
        race's inner loop: its losses are evaluated afterwards, all rows at once)."""
        g = self.expression.numpy_gradient_raw(*(params[:, i] for i in range(self.dim)))
        if self.dim == 1:
            return g.reshape(-1, 1)
        return np.stack(g, axis=1)

    def loss(self, params: np.ndarray) -> np.ndarray:
        cols = [params[:, i] for i in range(self.dim)]
        return np.broadcast_to(np.asarray(self.expression.numpy_function(*cols)), cols[0].shape)

    def plot_range(
        self, extra: Sequence[float] = (), *, axis: int = 0
    ) -> tuple[float, float]:
        """A range for plotting: the preset's (or −10…10), widened to hold ``extra`` points."""
        own = self.x_range if axis == 0 else self.y_range
        lo, hi = own if own is not None else (-10.0, 10.0)
        pts = [float(v) for v in extra if math.isfinite(float(v))]
        if all(lo <= v <= hi for v in pts):
            return (lo, hi)
        lo, hi = min([lo, *pts]), max([hi, *pts])
        pad = 0.1 * (hi - lo)
        return (lo - pad, hi + pad)


def _preset_for(text: str, variables: tuple[str, ...]) -> str | None:
    compact = text.replace(" ", "")
    for p in _PRESETS.values():
        if p.expr.replace(" ", "") == compact and p.variables == variables:
            return p.key
    return None


_PRESETS: dict[str, FunctionPreset] = {**FUNCTION_PRESETS, **SURFACE_PRESETS}


class RegressionProblem:
    """Fit y ≈ m·x + c by minimising the mean squared error over (x, y) data.

    The manual engine needs only a few sums over the data, computed once here. They are taken
    about an *anchor* (m₀, c₀), the least-squares line itself (or m₀ = 0, c₀ = ȳ when all x are
    equal), with its residuals e = y − (m₀·x + c₀) computed point by point, and centred
    xc = x − x̄. With δ = m − m₀ and u = δ·x̄ + (c − c₀), the residual of (m, c) is
    r = e − δ·xc − u, so

        Σ r²  = See + δ²·Sxx + n·u²  −  2δ·Sxe − 2u·Se + 2δu·Sx
        Σ r   = Se − δ·Sx − n·u
        Σ x·r = Sxe − δ·Sxx − u·Sx + x̄·Σ r

    with See = Σe², Sxx = Σxc², Sxe = Σxc·e, Se = Σe, Sx = Σxc (the last three vanish up to
    rounding: e is orthogonal to xc and to 1). MSE = Σr²/n, d_m = (−2/n)·Σ x·r and
    d_c = (−2/n)·Σ r, the source's formulas, then cost O(1) and lose nothing to cancellation:
    the first three terms are squares and the others are rounding-sized (sums of raw moments
    such as Σy² − 2m·Σxy + … cancel to nothing near a good fit, and can even turn negative).

    Where the sums cannot resolve the residuals (the data fit a line to within a few million
    ulps of their size, and (m, c) is on it, as for noise-free data), the MSE and its gradient
    are evaluated from the residuals themselves, O(n): they are then exactly what the torch
    engine and the source compute (0 at an exact fit).
    """

    kind = "regression"
    param_names = ("m", "c")
    dim = 2

    def __init__(
        self,
        x: Any,
        y: Any,
        *,
        source: str = "arrays",
        x_name: str = "x",
        y_name: str = "y",
        synthetic: _data.SyntheticSpec | None = None,
        name: str | None = None,
        reading: _data.CsvReading | None = None,
    ) -> None:
        xy = _data.validate_xy(x, y, source)
        self.x: np.ndarray = xy.x
        self.y: np.ndarray = xy.y
        self.source = source
        self.x_name = x_name
        self.y_name = y_name
        self.synthetic_spec = synthetic
        #: How the data were read from a CSV file, when they just were (which columns, the
        #: rows skipped); None for synthetic data, arrays, and data read back from a session
        #: (which holds the data as they were loaded).
        self.reading = reading
        self.name = name or (f"Regression on {source}")
        self.default_lr = 1e-4
        self.default_x0 = (0.0, 0.0)
        self._compute_sums()

    # --- constructors ------------------------------------------------------------------------

    @classmethod
    def synthetic(
        cls,
        n: int = _data.DEFAULT_SYNTHETIC.n,
        seed: int = _data.DEFAULT_SYNTHETIC.seed,
        noise: float = _data.DEFAULT_SYNTHETIC.noise,
    ) -> RegressionProblem:
        xy = _data.synthetic_data(n, seed, noise)
        spec = _data.SyntheticSpec(n=int(n), seed=int(seed), noise=float(noise))
        return cls(xy.x, xy.y, source=xy.source, synthetic=spec,
                   name=f"Synthetic data (n={n}, seed={seed})")

    @classmethod
    def from_csv(
        cls,
        path: str | os.PathLike[str],
        x_column: int | str | None = None,
        y_column: int | str | None = None,
        *,
        progress: Callable[[int, int], bool | None] | None = None,
        skip_bad_rows: bool = False,
    ) -> RegressionProblem:
        """The data of two columns of a CSV file (:func:`~gdstudio.core.data.read_xy_csv`;
        ``skip_bad_rows``: leave out the rows that cannot be read, counted in ``reading``)."""
        xy = _data.read_xy_csv(path, x_column, y_column, progress=progress,
                               skip_bad_rows=skip_bad_rows)
        return cls(xy.x, xy.y, source=xy.source, x_name=xy.x_name, y_name=xy.y_name,
                   name=f"{os.path.basename(str(path))}: {xy.y_name} vs {xy.x_name}",
                   reading=xy.reading)

    # --- identity ----------------------------------------------------------------------------

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"problem": "regression", "n": self.n}
        if self.synthetic_spec is not None:
            s = self.synthetic_spec
            out.update({"data": "synthetic", "synthetic": s.n, "seed": s.seed, "noise": s.noise})
        else:
            out.update({"data": self.source, "x_column": self.x_name, "y_column": self.y_name})
        return out

    def __repr__(self) -> str:
        return f"RegressionProblem(n={self.n}, source={self.source!r})"

    def start(self, params: Sequence[float] | None) -> np.ndarray:
        if params is None:
            params = self.default_x0
        m0, c0 = params
        return np.array([_finite_float(m0, "m0"), _finite_float(c0, "c0")])

    # --- sums --------------------------------------------------------------------------------

    def _compute_sums(self, chunk: int = 1 << 20) -> None:
        x, y = self.x, self.y
        n = x.shape[0]
        # In chunks: bounded temporaries even for 10⁷ points.
        with np.errstate(all="ignore"):
            self.x_mean = float(np.mean(x))
            self.y_mean = float(np.mean(y))
            self._accumulate_sums(x, y, n, chunk)
        sums = (self.sxx, self.sxy, self.syy, self.sum_xx, self.x_mean, self.y_mean,
                self.see, self.resolution)
        if not all(math.isfinite(v) for v in sums):
            raise DataError(
                f"{self.source}: the values are too large to fit a line (their squares overflow)"
            )

    def _accumulate_sums(self, x: np.ndarray, y: np.ndarray, n: int, chunk: int) -> None:
        sxx = sxy = syy = sx = sy = 0.0
        sum_x = sum_xx = 0.0
        for i in range(0, n, chunk):
            xc = x[i : i + chunk] - self.x_mean
            yc = y[i : i + chunk] - self.y_mean
            sxx += float(np.dot(xc, xc))
            sxy += float(np.dot(xc, yc))
            syy += float(np.dot(yc, yc))
            sx += float(np.sum(xc))
            sy += float(np.sum(yc))
            xs = x[i : i + chunk]
            sum_x += float(np.sum(xs))
            sum_xx += float(np.dot(xs, xs))
        self.sxx, self.sxy, self.syy, self.sx, self.sy = sxx, sxy, syy, sx, sy
        self.sum_x, self.sum_xx = sum_x, sum_xx
        # All x equal (x̄ may still differ from them by an ulp, so sxx by rounding from 0):
        # no unique line.
        self.x_constant = bool(n == 0 or float(np.min(x)) == float(np.max(x)))
        # The anchor: the least-squares line (any line would make the identities exact; this
        # one makes the cross terms rounding-sized), and its residuals' sums.
        m0 = sxy / sxx if sxx > 0.0 and not self.x_constant else 0.0
        c0 = self.y_mean - m0 * self.x_mean
        if not (math.isfinite(m0) and math.isfinite(c0)):
            m0, c0 = 0.0, self.y_mean
        see = se = sxe = scale = 0.0
        for i in range(0, n, chunk):
            xs, ys = x[i : i + chunk], y[i : i + chunk]
            e = ys - (m0 * xs + c0)
            see += float(np.dot(e, e))
            se += float(np.sum(e))
            sxe += float(np.dot(xs - self.x_mean, e))
            size = np.abs(ys) + np.abs(m0 * xs) + abs(c0)
            scale += float(np.dot(size, size))
        self.anchor = (m0, c0)
        self.see, self.se, self.sxe = see, se, sxe
        # Σr² below this, the sums no longer resolve the residuals: each e (and each residual a
        # direct evaluation forms) carries a rounding error up to ~ε·(|y| + |m₀x| + |c₀|), so
        # Σr² from the sums is trusted only 2⁶⁴ times above the squares of those errors (its
        # relative error, ~2·sqrt(resolution / Σr²), is then below 2⁻³¹ even at worst).
        self.resolution = _RESOLVED * scale

    def loss_and_grad(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """MSE (B,) and its gradient (B, 2) at rows (m, c): from the sums (O(1) a row), or from
        the residuals where the sums cannot resolve them (see the class's docstring)."""
        m = params[:, 0]
        c = params[:, 1]
        n = float(self.n)
        m0, c0 = self.anchor
        with np.errstate(all="ignore"):  # a diverging run overflows: inf/nan, silently
            dm = m - m0
            u = dm * self.x_mean + (c - c0)
            squares = self.see + dm * dm * self.sxx + n * (u * u)
            cross = (-2.0 * dm) * self.sxe - 2.0 * u * self.se + 2.0 * dm * u * self.sx
            srr = squares + cross
            sr = self.se - dm * self.sx - n * u
            sxr = self.sxe - dm * self.sxx - u * self.sx + self.x_mean * sr
            loss = srr / n
            # (+ 0.0: an exact fit's gradient is 0, not −0, as torch's)
            grad = np.stack([(-2.0 / n) * sxr + 0.0, (-2.0 / n) * sr + 0.0], axis=1)
            unresolved = (squares <= self.resolution) | (np.abs(cross) > 0.5 * squares)
        if unresolved.any():
            loss = np.array(loss, dtype=np.float64)
            for i in np.flatnonzero(unresolved):
                loss[i], grad[i, 0], grad[i, 1] = self.loss_and_grad_direct(
                    float(m[i]), float(c[i]))
        return loss, grad

    def residual_sums(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(u, Σ r, Σ x·r) at rows (m, c), r = y − (m·x + c): the sums the gradient
        d_m = (−2/n)·Σ x·r, d_c = (−2/n)·Σ r is made of, computed as :meth:`loss_and_grad`
        computes them (about the anchor line; from the residuals themselves where those sums
        cannot resolve them). ``u`` is the offset of the row's line from the anchor at x̄."""
        m = params[:, 0]
        c = params[:, 1]
        n = float(self.n)
        m0, c0 = self.anchor
        with np.errstate(all="ignore"):
            dm = m - m0
            u = dm * self.x_mean + (c - c0)
            squares = self.see + dm * dm * self.sxx + n * (u * u)
            cross = (-2.0 * dm) * self.sxe - 2.0 * u * self.se + 2.0 * dm * u * self.sx
            sr = self.se - dm * self.sx - n * u
            sxr = self.sxe - dm * self.sxx - u * self.sx + self.x_mean * sr
            unresolved = (squares <= self.resolution) | (np.abs(cross) > 0.5 * squares)
        if unresolved.any():
            sr, sxr = np.array(sr, dtype=np.float64), np.array(sxr, dtype=np.float64)
            for i in np.flatnonzero(unresolved):
                sr[i], sxr[i] = self.direct_sums(float(m[i]), float(c[i]))
        return u, sr, sxr

    def direct_sums(self, m: float, c: float) -> tuple[float, float]:
        """(Σ r, Σ x·r) on the raw data, as :meth:`loss_and_grad_direct` sums them."""
        sxr = sr = 0.0
        chunk = 1 << 20
        with np.errstate(all="ignore"):
            for i in range(0, self.n, chunk):
                xs = self.x[i : i + chunk]
                r = self.y[i : i + chunk] - (m * xs + c)
                sxr += float(np.dot(xs, r))
                sr += float(np.sum(r))
        return sr, sxr

    def gradient_raw(self, params: np.ndarray) -> np.ndarray:
        """The gradient (B, 2) alone (see :meth:`FunctionProblem.gradient_raw`)."""
        return self.loss_and_grad(params)[1]

    def loss(self, params: np.ndarray) -> np.ndarray:
        return self.loss_and_grad(params)[0]

    def loss_and_grad_direct(self, m: float, c: float) -> tuple[float, float, float]:
        """The source's formulas on the raw data: (MSE, d_m, d_c). O(n).

        r = y − (m·x + c), MSE = mean(r²), d_m = (−2/n)·Σ x·r, d_c = (−2/n)·Σ r, in chunks of
        the data (bounded temporaries)."""
        n = self.n
        chunk = 1 << 20
        srr = sxr = sr = 0.0
        with np.errstate(all="ignore"):
            for i in range(0, n, chunk):
                xs = self.x[i : i + chunk]
                r = self.y[i : i + chunk] - (m * xs + c)
                srr += float(np.dot(r, r))
                sxr += float(np.dot(xs, r))
                sr += float(np.sum(r))
        return srr / n, (-2.0 / n) * sxr + 0.0, (-2.0 / n) * sr + 0.0

    def least_squares(self) -> tuple[float, float]:
        """The exact minimiser (m*, c*) of the MSE; raises DataError if all x are equal."""
        if self.x_constant or self.sxx <= 0.0:
            raise DataError("all x values are equal: the best line is not unique")
        m = self.sxy / self.sxx
        c = self.y_mean - m * self.x_mean
        return m, c

    def plot_range(self) -> tuple[float, float]:
        lo, hi = float(self.x.min()), float(self.x.max())
        pad = 0.05 * max(hi - lo, 1e-12)
        return lo - pad, hi + pad


Problem = FunctionProblem | RegressionProblem
