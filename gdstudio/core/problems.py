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
        self.default_lr = float(lr if lr is not None else (p.lr if p else 0.1))
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

    The manual engine needs only the data's sums, which are computed once here: with centred
    data (xc = x − x̄, yc = y − ȳ) and d = ȳ − m·x̄ − c,

        Σ r² = Syy − 2m·Sxy + m²·Sxx + 2d·(Sy − m·Sx) + n·d²
        Σ x·r = Sxy − m·Sxx + d·Sx + x̄·(Sy − m·Sx + n·d)

    where r = y − (m·x + c), Sxx = Σxc², Sxy = Σxc·yc, Syy = Σyc², Sx = Σxc, Sy = Σyc (the last two
    are zero up to rounding and kept so the identity is exact for the stored numbers). So
    MSE = Σr²/n, d_m = (−2/n)·Σ x·r and d_c = (−2/n)·Σ r, the source's formulas, cost O(1).
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
    ) -> None:
        xy = _data.validate_xy(x, y, source)
        self.x: np.ndarray = xy.x
        self.y: np.ndarray = xy.y
        self.source = source
        self.x_name = x_name
        self.y_name = y_name
        self.synthetic_spec = synthetic
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
    ) -> RegressionProblem:
        xy = _data.read_xy_csv(path, x_column, y_column, progress=progress)
        return cls(xy.x, xy.y, source=xy.source, x_name=xy.x_name, y_name=xy.y_name,
                   name=f"{os.path.basename(str(path))}: {xy.y_name} vs {xy.x_name}")

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
        sums = (self.sxx, self.sxy, self.syy, self.sum_xx, self.x_mean, self.y_mean)
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

    def loss_and_grad(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """MSE (B,) and its gradient (B, 2) at rows (m, c), from the data's sums."""
        m = params[:, 0]
        c = params[:, 1]
        n = float(self.n)
        with np.errstate(all="ignore"):  # a diverging run overflows: inf/nan, silently
            d = self.y_mean - m * self.x_mean - c
            sr = self.sy - m * self.sx + n * d
            sxr = self.sxy - m * self.sxx + d * self.sx + self.x_mean * sr
            srr = (self.syy - 2.0 * m * self.sxy + m * m * self.sxx
                   + 2.0 * d * (self.sy - m * self.sx) + n * d * d)
            loss = srr / n
            grad = np.stack([(-2.0 / n) * sxr, (-2.0 / n) * sr], axis=1)
        return loss, grad

    def gradient_raw(self, params: np.ndarray) -> np.ndarray:
        """The gradient (B, 2) alone (see :meth:`FunctionProblem.gradient_raw`)."""
        return self.loss_and_grad(params)[1]

    def loss(self, params: np.ndarray) -> np.ndarray:
        return self.loss_and_grad(params)[0]

    def loss_and_grad_direct(self, m: float, c: float) -> tuple[float, float, float]:
        """The source's formulas on the raw data: (MSE, d_m, d_c). O(n); a reference."""
        y_pred = m * self.x + c
        r = self.y - y_pred
        n = self.n
        d_m = (-2.0 / n) * float(np.sum(self.x * r))
        d_c = (-2.0 / n) * float(np.sum(r))
        mse = float(np.mean((self.y - (m * self.x + c)) ** 2))
        return mse, d_m, d_c

    def least_squares(self) -> tuple[float, float]:
        """The exact minimiser (m*, c*) of the MSE; raises DataError if all x are equal."""
        if self.sxx <= 0.0:
            raise DataError("all x values are equal: the best line is not unique")
        m = self.sxy / self.sxx
        c = self.y_mean - m * self.x_mean
        return m, c

    def plot_range(self) -> tuple[float, float]:
        lo, hi = float(self.x.min()), float(self.x.max())
        pad = 0.05 * max(hi - lo, 1e-12)
        return lo - pad, hi + pad


Problem = FunctionProblem | RegressionProblem
