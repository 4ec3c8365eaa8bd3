"""What the mathematics says before any run: minima, curvature, critical learning rates, regimes.

For f(x) near a minimum x* with curvature h = f''(x*) > 0, gradient descent is
x − x* ← (1 − r·h)(x − x*). With q = 1 − r·h the iterates

- approach monotonically if 0 ≤ q < 1 (r < 1/h; q = 0 lands in one step),
- oscillate but converge if −1 < q < 0 (1/h < r < 2/h),
- cycle for ever if q = −1 (r = 2/h, the *critical learning rate*),
- diverge if q < −1 (r > 2/h).

On x² − 4x + 5 (h = 2, critical r = 1) this is exactly the source's story: 0.01, 0.1 and 0.3
approach monotonically (0.3 fastest), 0.7 overshoots but converges, 1 jumps between 7 and −3.

For a regression the Hessian of the MSE is constant, H = (2/n)·[[Σx², Σx], [Σx, n]]; the same
holds along each eigenvector, so the critical rate is 2/λmax and the slowest direction shrinks
by |1 − r·λmin| per epoch: the condition number λmax/λmin is why c crawls at r = 1e-4.

Stationary points are found without symbolic equation solving (which can take unbounded time):
polynomials through their coefficients' roots, polished by Newton steps on the exact
derivative; other functions by sampling f' on a range and bisecting every sign change. Symbolic
second derivatives are used only while small; otherwise a central difference of the exact f'.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gdstudio.core.errors import DataError
from gdstudio.core.expr.expression import load_symbolic
from gdstudio.core.problems import FunctionProblem, RegressionProblem

__all__ = [
    "StationaryPoint",
    "Regime",
    "FunctionAnalysis",
    "RegressionAnalysis",
    "analyze_function",
    "analyze_regression",
    "classify",
    "critical_learning_rate",
]

_MAX_POLY_DEGREE = 40
_MAX_SYMBOLIC_OPS = 4000
_SAMPLES = 4001


@dataclass(frozen=True)
class StationaryPoint:
    """A point where f'(x) = 0 (or f' changes sign at a kink)."""

    x: float
    kind: str  # "minimum" | "maximum" | "inflection"
    f: float
    curvature: float  # f''(x); nan at a kink
    smooth: bool = True

    @property
    def critical_lr(self) -> float:
        return critical_learning_rate(self.curvature)

    def describe(self) -> str:
        kind = self.kind if self.smooth else f"{self.kind} (a kink: f' jumps)"
        return f"{kind} at x = {self.x:.6g}, f = {self.f:.6g}"


@dataclass(frozen=True)
class Regime:
    """How gradient descent with learning rate r behaves near a minimum of curvature h."""

    kind: str  # "monotone" | "oscillating" | "cycling" | "diverging" | "unknown"
    factor: float  # q = 1 − r·h (the error's multiplier per epoch); nan if unknown
    critical_lr: float
    description: str
    epochs_to_1e6: float = math.nan  # epochs to shrink the error a million-fold; inf if never

    @property
    def converges(self) -> bool:
        return self.kind in ("monotone", "oscillating")


def critical_learning_rate(curvature: float) -> float:
    """2 / h: above it, gradient descent diverges from a minimum of curvature h."""
    if not math.isfinite(curvature):
        return 0.0 if curvature == math.inf else math.nan
    if curvature <= 0:
        return math.inf
    return 2.0 / curvature


def _epochs(q: float) -> float:
    a = abs(q)
    if a == 0.0:
        return 1.0
    if a >= 1.0:
        return math.inf
    return math.ceil(math.log(1e-6) / math.log(a))


def classify(lr: float, curvature: float, *, what: str = "f''(x*)") -> Regime:
    """The regime of learning rate ``lr`` at a minimum of curvature ``curvature``."""
    crit = critical_learning_rate(curvature)
    if not math.isfinite(curvature) or math.isnan(curvature):
        return Regime("unknown", math.nan, crit, "the curvature at the minimum is not defined")
    if curvature <= 0:
        return Regime(
            "monotone",
            1.0,
            math.inf,
            f"{what} = {curvature:.6g}: a flat minimum, descent creeps in (no critical rate)",
            math.inf,
        )
    rh = lr * curvature
    q = 1.0 - rh
    if math.isclose(rh, 2.0, rel_tol=1e-9):
        return Regime(
            "cycling", -1.0, crit,
            "r = 2/h exactly: each step overshoots by as much as it corrects; it jumps back "
            "and forth for ever", math.inf,
        )
    if rh > 2.0:
        return Regime(
            "diverging", q, crit,
            f"r > 2/h = {crit:.6g}: each step overshoots by more than it corrects "
            f"(error × {q:.3g} per epoch)", math.inf,
        )
    if math.isclose(rh, 1.0, rel_tol=1e-9):
        return Regime("monotone", 0.0, crit, "r = 1/h: lands on the minimum in one step", 1.0)
    if rh > 1.0:
        return Regime(
            "oscillating", q, crit,
            f"1/h < r < 2/h: overshoots, oscillates around the minimum, and still converges "
            f"(error × {q:.3g} per epoch)", _epochs(q),
        )
    return Regime(
        "monotone", q, crit,
        f"r < 1/h: approaches the minimum from one side (error × {q:.3g} per epoch)",
        _epochs(q),
    )


# --------------------------------------------------------------------------------------------
# Functions of one variable
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionAnalysis:
    """Derivatives as text and the stationary points of f on ``search_range``."""

    derivative_text: str
    second_derivative_text: str
    points: tuple[StationaryPoint, ...]
    search_range: tuple[float, float]
    exact: bool  # True when found from a polynomial's roots (all of them, not just a range)
    _fprime: Callable[[float], float] = field(repr=False, compare=False, default=abs)

    @property
    def minima(self) -> tuple[StationaryPoint, ...]:
        return tuple(p for p in self.points if p.kind == "minimum")

    @property
    def global_minimum(self) -> StationaryPoint | None:
        mins = self.minima
        return min(mins, key=lambda p: p.f) if mins else None

    def minimum_for(self, x0: float) -> StationaryPoint | None:
        """The minimum that descent from x0 heads for: the first stationary point downhill."""
        try:
            g = self._fprime(x0)
        except (ValueError, OverflowError, ZeroDivisionError):
            return None
        if not math.isfinite(g):
            return None
        for p in self.points:
            if p.x == x0 or abs(p.x - x0) <= 1e-12 * max(1.0, abs(x0)):
                return p if p.kind == "minimum" else None
        if g > 0:
            left = [p for p in self.points if p.x < x0]
            cand = left[-1] if left else None
        elif g < 0:
            right = [p for p in self.points if p.x > x0]
            cand = right[0] if right else None
        else:
            cand = None
        return cand if cand is not None and cand.kind == "minimum" else None

    def regime(self, lr: float, x0: float) -> tuple[StationaryPoint | None, Regime]:
        """The minimum descent from x0 heads for, and the regime of ``lr`` there."""
        target = self.minimum_for(x0)
        if target is None:
            return None, Regime(
                "unknown", math.nan, math.nan,
                "no minimum downhill from the start in the searched range "
                "(f may decrease without bound)",
            )
        if not target.smooth:
            return target, Regime(
                "cycling", -1.0, 0.0,
                "a kink: the slope never shrinks, so a fixed step ends bouncing around the "
                "minimum (any learning rate)", math.inf,
            )
        return target, classify(lr, target.curvature)


def _poly_roots(fp: Any, x: Any) -> list[float] | None:
    load_symbolic()  # one importer at a time (see expressions.load_symbolic)
    import sympy

    try:
        if not fp.is_polynomial(x):
            return None
        poly = sympy.Poly(fp, x)
    except (sympy.PolynomialError, sympy.GeneratorsNeeded, ValueError, TypeError):
        return None
    if poly.degree() > _MAX_POLY_DEGREE:
        return None
    if poly.degree() <= 0:
        return []
    try:
        coeffs = [float(c) for c in poly.all_coeffs()]
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(c) for c in coeffs):
        return None
    roots = np.roots(coeffs)
    scale = max(1.0, float(np.max(np.abs(roots)))) if roots.size else 1.0
    real = sorted(float(r.real) for r in roots if abs(r.imag) <= 1e-7 * scale)
    return real


def _newton_polish(x0: float, f1: Callable[[float], float], f2: Callable[[float], float]) -> float:
    x = x0
    best, best_abs = x0, _safe_abs(f1, x0)
    for _ in range(8):
        try:
            d = f2(x)
            if d == 0 or not math.isfinite(d):
                break
            x = x - f1(x) / d
        except (ValueError, OverflowError, ZeroDivisionError):
            break
        a = _safe_abs(f1, x)
        if a < best_abs:
            best, best_abs = x, a
        if a == 0.0:
            break
    return best


def _safe_abs(fn: Callable[[float], float], x: float) -> float:
    try:
        v = fn(x)
    except (ValueError, OverflowError, ZeroDivisionError):
        return math.inf
    return abs(v) if math.isfinite(v) else math.inf


def _safe(fn: Callable[[float], float], x: float) -> float:
    try:
        v = float(fn(x))
    except (ValueError, OverflowError, ZeroDivisionError, TypeError):
        return math.nan
    return v


def analyze_function(
    problem: FunctionProblem, search_range: tuple[float, float] | None = None
) -> FunctionAnalysis:
    """Stationary points of a 1-D function and its derivatives, in bounded time."""
    if problem.dim != 1:
        raise ValueError("analyze_function handles functions of one variable")
    load_symbolic()  # one importer at a time (see expressions.load_symbolic)
    import sympy

    expr = problem.expression
    x = expr.symbols[0]
    fp = expr.gradient_sym[0]
    f1 = expr.math_gradient
    f = expr.math_function
    fpp_sym = None
    if sympy.count_ops(fp, visual=False) <= _MAX_SYMBOLIC_OPS:
        fpp_sym = sympy.diff(fp, x)
    f2: Callable[[float], float]
    second_text = ""
    if fpp_sym is not None:
        _pretty = load_symbolic().pretty
        from gdstudio.core.errors import ExpressionError
        from gdstudio.core.expr.expression import compile_sympy

        try:
            f2 = compile_sympy([fpp_sym], ("x",), "math", single=True)
            second_text = _pretty(fpp_sym)
        except ExpressionError:
            fpp_sym = None
    if fpp_sym is None:
        def f2(v: float) -> float:
            h = 1e-5 * max(1.0, abs(v))
            return (f1(v + h) - f1(v - h)) / (2 * h)

    lo, hi = search_range or problem.plot_range((float(problem.start(None)[0]),))
    roots = _poly_roots(fp, x)
    exact = roots is not None
    candidates: list[float] = []
    if roots is not None:
        candidates = [_newton_polish(r, f1, f2) for r in roots]
    else:
        xs = np.linspace(lo, hi, _SAMPLES)
        with np.errstate(all="ignore"):
            g = np.asarray(expr.numpy_gradient(xs), dtype=float) * np.ones_like(xs)
        s = np.sign(g)
        for i in range(len(xs) - 1):
            if not (np.isfinite(g[i]) and np.isfinite(g[i + 1])):
                continue
            if s[i] == 0:
                candidates.append(float(xs[i]))
            elif s[i] * s[i + 1] < 0:
                candidates.append(_bisect(f1, float(xs[i]), float(xs[i + 1])))
        if len(xs) and s[-1] == 0:
            candidates.append(float(xs[-1]))
    points: list[StationaryPoint] = []
    for r in sorted(candidates):
        if points and abs(r - points[-1].x) <= 1e-9 * max(1.0, abs(r)):
            continue
        points.append(_classify_point(r, f, f1, f2))
    return FunctionAnalysis(
        derivative_text=expr.derivative_text,
        second_derivative_text=second_text,
        points=tuple(points),
        search_range=(float(lo), float(hi)),
        exact=exact,
        _fprime=f1,
    )


def _bisect(f1: Callable[[float], float], a: float, b: float) -> float:
    fa = _safe(f1, a)
    for _ in range(200):
        m = 0.5 * (a + b)
        if m in (a, b):
            break
        fm = _safe(f1, m)
        if fm == 0.0:
            return m
        if math.isnan(fm):
            break
        if (fm < 0) == (fa < 0):
            a, fa = m, fm
        else:
            b = m
    return 0.5 * (a + b)


def _classify_point(
    r: float,
    f: Callable[[float], float],
    f1: Callable[[float], float],
    f2: Callable[[float], float],
) -> StationaryPoint:
    h = 1e-6 * max(1.0, abs(r))
    left, right = _safe(f1, r - h), _safe(f1, r + h)
    near_left, near_right = _safe(f1, r - h * 1e-3), _safe(f1, r + h * 1e-3)
    # Smooth: f' shrinks in proportion as we close in on r. A kink (|x| at 0): it does not.
    outer = max(abs(left), abs(right))
    inner = max(abs(near_left), abs(near_right))
    smooth = not (outer > 0 and inner > 0.1 * outer and left * right < 0)
    curv = _safe(f2, r) if smooth else math.nan
    fval = _safe(f, r)
    if left < 0 < right:
        kind = "minimum"
    elif left > 0 > right:
        kind = "maximum"
    elif math.isfinite(curv) and curv > 0:
        kind = "minimum"
    elif math.isfinite(curv) and curv < 0:
        kind = "maximum"
    else:
        kind = "inflection"
    return StationaryPoint(x=r, kind=kind, f=fval, curvature=curv, smooth=smooth)


# --------------------------------------------------------------------------------------------
# Regression
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegressionAnalysis:
    """The least-squares optimum and the (constant) Hessian of the MSE."""

    m: float
    c: float
    loss: float
    hessian: np.ndarray
    eigenvalues: np.ndarray  # ascending
    critical_lr: float
    condition_number: float

    def regime(self, lr: float) -> Regime:
        lam_min, lam_max = float(self.eigenvalues[0]), float(self.eigenvalues[-1])
        stiff = classify(lr, lam_max, what="λmax")
        if not stiff.converges:
            return Regime(stiff.kind, stiff.factor, self.critical_lr,
                          stiff.description.replace("2/h", "2/λmax").replace("1/h", "1/λmax"),
                          math.inf)
        q_slow = 1.0 - lr * lam_min
        q = max(abs(stiff.factor), abs(q_slow))
        epochs = _epochs(q)
        desc = (
            f"converges: the steep direction shrinks × {stiff.factor:.3g} per epoch, the flat one "
            f"only × {q_slow:.6g} (condition number {self.condition_number:.3g}); "
            f"≈ {epochs:,.0f} epochs to shrink the error 10⁶×"
        )
        return Regime(stiff.kind, stiff.factor, self.critical_lr, desc, epochs)


def analyze_regression(problem: RegressionProblem) -> RegressionAnalysis:
    n = float(problem.n)
    H = (2.0 / n) * np.array([[problem.sum_xx, problem.sum_x], [problem.sum_x, n]])
    # Eigenvalues from the centred sums: better conditioned than eigvalsh(H) for large x̄.
    eig = np.linalg.eigvalsh(H)
    lam_max = float(eig[-1])
    try:
        m, c = problem.least_squares()
    except DataError:
        m, c = math.nan, math.nan
    loss = float(problem.loss(np.array([[m, c]]))[0]) if math.isfinite(m) else math.nan
    lam_min = max(float(eig[0]), 0.0)
    cond = lam_max / lam_min if lam_min > 0 else math.inf
    return RegressionAnalysis(
        m=m, c=c, loss=loss, hessian=H, eigenvalues=eig,
        critical_lr=critical_learning_rate(lam_max), condition_number=cond,
    )


# --------------------------------------------------------------------------------------------
# Functions of two variables
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurfaceAnalysis:
    """The stationary point that descent from a start heads for, and the Hessian there."""

    point: tuple[float, ...]
    kind: str  # "minimum" | "maximum" | "saddle" | "degenerate" | "none found"
    f: float
    hessian: np.ndarray
    eigenvalues: np.ndarray  # ascending
    critical_lr: float
    condition_number: float
    gradient_text: str

    def regime(self, lr: float) -> Regime:
        if self.kind != "minimum":
            what = {"saddle": "a saddle point: descent slides off it along the negative-curvature "
                              "direction",
                    "maximum": "a maximum: descent moves away from it",
                    "degenerate": "a flat (degenerate) stationary point: the Hessian is singular"}
            return Regime("unknown", math.nan, self.critical_lr,
                          what.get(self.kind, "no minimum found downhill from the start"))
        lam_min, lam_max = float(self.eigenvalues[0]), float(self.eigenvalues[-1])
        stiff = classify(lr, lam_max, what="λmax")
        if not stiff.converges:
            return Regime(stiff.kind, stiff.factor, self.critical_lr,
                          stiff.description.replace("2/h", "2/λmax").replace("1/h", "1/λmax"),
                          math.inf)
        q_slow = 1.0 - lr * lam_min
        epochs = _epochs(max(abs(stiff.factor), abs(q_slow)))
        desc = (f"converges near the minimum: steepest direction × {stiff.factor:.3g} per epoch, "
                f"flattest × {q_slow:.6g} (condition number {self.condition_number:.3g}); "
                f"≈ {epochs:,.0f} epochs to shrink the error 10⁶×")
        return Regime(stiff.kind, stiff.factor, self.critical_lr, desc, epochs)


def analyze_surface(
    problem: FunctionProblem, start: tuple[float, ...] | None = None
) -> SurfaceAnalysis:
    """Find the stationary point descent from ``start`` heads for (damped Newton with a
    gradient-descent fallback, bounded iterations) and the Hessian there."""
    load_symbolic()  # one importer at a time (see expressions.load_symbolic)
    import sympy

    from gdstudio.core.expr.expression import compile_sympy

    expr = problem.expression
    syms = expr.symbols
    grads = expr.gradient_sym
    hess_sym = [[sympy.diff(g, s) for s in syms] for g in grads]
    f = expr.math_function
    grad = expr.math_gradient
    hess = compile_sympy([h for row in hess_sym for h in row], expr.variables, "math")
    k = len(syms)

    def H(p: np.ndarray) -> np.ndarray:
        return np.array(hess(*p), dtype=float).reshape(k, k)

    def G(p: np.ndarray) -> np.ndarray:
        return np.array(grad(*p), dtype=float).reshape(k)

    p = np.array(problem.start(start), dtype=float)
    try:
        fp = f(*p)
        for _ in range(500):
            g = G(p)
            gn = float(np.linalg.norm(g))
            if gn <= 1e-13 * max(1.0, abs(fp)):
                break
            h = H(p)
            step = None
            try:
                eig = np.linalg.eigvalsh(h)
                if eig[0] > 0:
                    step = -np.linalg.solve(h, g)
            except np.linalg.LinAlgError:
                pass
            if step is None:
                step = -g / max(gn, 1e-300) * min(1.0, gn)
            t = 1.0
            while t > 1e-12:
                cand = p + t * step
                try:
                    fc = f(*cand)
                except (ValueError, OverflowError, ZeroDivisionError):
                    fc = math.inf
                if math.isfinite(fc) and fc <= fp + 1e-4 * t * float(np.dot(g, step)):
                    break
                t *= 0.5
            if t <= 1e-12:
                break
            p, fp = cand, fc
        g = G(p)
        h = H(p)
        if not float(np.linalg.norm(g)) <= 1e-6 * max(1.0, abs(fp)):
            # No minimum downhill: look for the stationary point nearest the start instead
            # (plain Newton on ∇f = 0 finds saddles and maxima too), to say what it is.
            q = np.array(problem.start(start), dtype=float)
            for _ in range(60):
                gq = G(q)
                if not np.isfinite(gq).all():
                    break
                if float(np.linalg.norm(gq)) <= 1e-13 * max(1.0, float(np.max(np.abs(q)))):
                    p, fp, g, h = q, f(*q), gq, H(q)
                    break
                try:
                    q = q - np.linalg.solve(H(q), gq)
                except np.linalg.LinAlgError:
                    break
    except (ValueError, OverflowError, ZeroDivisionError, np.linalg.LinAlgError):
        nan = np.full((k, k), math.nan)
        return SurfaceAnalysis(tuple(p), "none found", math.nan, nan, np.full(k, math.nan),
                               math.nan, math.nan, expr.derivative_text)
    eig = np.linalg.eigvalsh(h) if np.isfinite(h).all() else np.full(k, math.nan)
    scale = max(1.0, float(np.max(np.abs(eig)))) if np.isfinite(eig).all() else 1.0
    if not (np.isfinite(eig).all() and float(np.linalg.norm(g)) <= 1e-6 * max(1.0, abs(fp))):
        kind = "none found"
    elif eig[0] > 1e-9 * scale:
        kind = "minimum"
    elif eig[-1] < -1e-9 * scale:
        kind = "maximum"
    elif eig[0] < -1e-9 * scale and eig[-1] > 1e-9 * scale:
        kind = "saddle"
    else:
        kind = "degenerate"
    lam_max = float(eig[-1]) if np.isfinite(eig).all() else math.nan
    lam_min = float(eig[0]) if np.isfinite(eig).all() else math.nan
    cond = lam_max / lam_min if kind == "minimum" else math.nan
    return SurfaceAnalysis(
        point=tuple(float(v) for v in p), kind=kind, f=float(fp), hessian=h, eigenvalues=eig,
        critical_lr=critical_learning_rate(lam_max) if kind == "minimum" else math.nan,
        condition_number=cond, gradient_text=expr.derivative_text,
    )
