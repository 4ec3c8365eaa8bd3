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
from fractions import Fraction
from typing import Any

import numpy as np

from gdstudio.core.descent.rules import grad_norm
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
    "walk",
    "Walk",
    "classify",
    "critical_learning_rate",
    "rate_times_curvature",
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

    kind: str  # "monotone" | "oscillating" | "cycling" | "critical" | "diverging" | "unknown"
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


#: Where r·h lies this close to 2 (or 1) without equalling it, the exact factor q = 1 − r·h
#: differs from −1 (or 0) by less than a float64 step can carry: a few ulps of 2.
_ROUNDING = 8 * 2.0**-52


def rate_times_curvature(lr: float, curvature: float) -> Fraction:
    """r·h exactly, from the two floats as stored (no rounding of the product): the comparisons
    with 1 and 2 that decide a regime are made on it, as the mathematics makes them."""
    return Fraction(lr) * Fraction(curvature)


def _digits(v: float, near: tuple[float, ...] = (), digits: int = 3) -> str:
    """v in ``digits`` significant digits, or in all the digits it needs where those would show
    it equal to one of ``near`` (−1.0000000002 is not "−1", 0.9999999999 not "1")."""
    short = f"{v:.{digits}g}"
    if float(short) in near and v not in near:
        return repr(float(v))
    return short


#: Factors a converging sentence must not show rounded to (a factor shown as 1 says "never")
_UNIT = (-1.0, 0.0, 1.0)


def classify(lr: float, curvature: float, *, what: str = "f''(x*)") -> Regime:
    """The regime of learning rate ``lr`` at a minimum of curvature ``curvature``.

    Decided exactly: r·h is compared with 2 and 1 as rationals (:func:`rate_times_curvature`),
    never within a tolerance. r·h = 2 exactly cycles; r·h within rounding of 2 but not equal
    is said to be that ("critical"), since the run's own rounding then decides what it shows.
    """
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
    rh = rate_times_curvature(lr, curvature)
    q = float(1 - rh)
    crit_text = f"{crit:.6g}" if f"{crit:.6g}" != f"{lr:.6g}" else repr(crit)
    if rh == 2:
        return Regime(
            "cycling", -1.0, crit,
            "r = 2/h exactly: each step overshoots by as much as it corrects; it jumps back "
            "and forth for ever", math.inf,
        )
    off = float(rh - 2)
    if abs(off) <= _ROUNDING:
        side = "above" if off > 0 else "below"
        return Regime(
            "critical", q, crit,
            f"r is within rounding of 2/h = {crit_text} (r·h = 2 {'+' if off > 0 else '−'} "
            f"{abs(off):.2g}, just {side}): in exact arithmetic the error would change × "
            f"−(1 {'+' if off > 0 else '−'} {abs(off):.2g}) per epoch, too little for float64 "
            "to carry, so rounding decides whether the run cycles, creeps out or creeps in",
            math.inf,
        )
    if rh > 2:
        growth = ""
        if q > -1.01:
            growth = f"; it doubles only every {math.log(2) / math.log(-q):.3g} epochs"
        return Regime(
            "diverging", q, crit,
            f"r > 2/h = {crit_text}: each step overshoots by more than it corrects "
            f"(error × {_digits(q, (-1.0,))} per epoch{growth})", math.inf,
        )
    if rh == 1:
        return Regime("monotone", 0.0, crit, "r = 1/h: lands on the minimum in one step", 1.0)
    if rh > 1:
        return Regime(
            "oscillating", q, crit,
            f"1/h < r < 2/h: overshoots, oscillates around the minimum, and still converges "
            f"(error × {_digits(q, (-1.0, 0.0))} per epoch)", _epochs(q),
        )
    return Regime(
        "monotone", q, crit,
        f"r < 1/h: approaches the minimum from one side (error × {_digits(q, (0.0, 1.0))} "
        "per epoch)", _epochs(q),
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
    #: what the analysis could not do within its bounds ("" when nothing), for the reader
    note: str = ""
    _fprime: Callable[[float], float] = field(repr=False, compare=False, default=abs)
    _walks: dict[tuple[float, float], Walk] = field(repr=False, compare=False,
                                                    default_factory=dict)

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
        """The minimum descent from x0 heads for, and the regime of ``lr`` there.

        The regime is the local theory at that minimum, checked against the path from x0
        (:func:`walk`, once per rate and start): where the first steps overshoot ever farther
        (x⁴ from 5 at lr 0.05) the answer is "diverging", and where they jump into another
        minimum's basin, that minimum and its regime are given; the theory never promises
        what the path does not do.
        """
        target = self.minimum_for(x0)
        key = (float(lr), float(x0))
        path = self._walks.get(key)
        if path is None:  # (the window asks again on every redraw: each path is walked once)
            path = walk(lambda p: (self._fprime(float(p[0])),), lr, (float(x0),))
            if len(self._walks) < 256:
                self._walks[key] = path
        if path.diverged:
            if target is not None and target.smooth:
                local = classify(lr, target.curvature)
                if local.kind == "diverging":  # the local theory says so already, and why
                    return target, local
            return target, _path_diverges(path, target)
        if path.end is not None and target is not None and path.end[0] != x0:
            elsewhere = self.minimum_for(path.end[0])
            if elsewhere is not None and elsewhere.x != target.x:
                _, regime = self._local(lr, elsewhere)
                regime = _bounded_instead(regime, path)
                note = (f"the first steps jump past the minimum at x = {target.x:.6g} into the "
                        f"basin of the one at x = {elsewhere.x:.6g}; there: ")
                return elsewhere, Regime(regime.kind, regime.factor, regime.critical_lr,
                                         note + regime.description, regime.epochs_to_1e6)
        if target is None:
            return None, Regime(
                "unknown", math.nan, math.nan,
                "no minimum downhill from the start in the searched range "
                "(f may decrease without bound)",
            )
        target, regime = self._local(lr, target)
        return target, _bounded_instead(regime, path)

    @staticmethod
    def _local(lr: float, target: StationaryPoint) -> tuple[StationaryPoint, Regime]:
        if not target.smooth:
            return target, Regime(
                "cycling", -1.0, 0.0,
                "a kink: the slope never shrinks, so a fixed step ends bouncing around the "
                "minimum (any learning rate)", math.inf,
            )
        return target, classify(lr, target.curvature)


#: The path check: at most this many plain steps, for at most this long (seconds).
_WALK_STEPS = 2000
_WALK_SECONDS = 0.02
#: A path is diverging once |p| passes this (the app's rules stop it long before: the point is
#: only that it does not come back), or a value is not finite.
_WALK_FAR = 1e150


@dataclass(frozen=True)
class Walk:
    """Where plain descent from a start goes in a bounded number of steps (see :func:`walk`)."""

    steps: int
    diverged: bool
    end: tuple[float, ...] | None  # the last point (None if it diverged)
    far: tuple[float, ...] = ()  # the first point past _WALK_FAR (or not finite)
    why: str = ""
    #: the largest max|p| in the first and in the second half of the steps (a path that is
    #: still growing has the second larger)
    reach: tuple[float, float] = (math.nan, math.nan)

    @property
    def bounded(self) -> bool:
        """It made every step and grew no farther in its second half than in its first."""
        first, second = self.reach
        return (not self.diverged and self.steps == _WALK_STEPS
                and math.isfinite(first) and second <= first)


def walk(
    gradient: Callable[[tuple[float, ...]], tuple[float, ...]], lr: float,
    start: tuple[float, ...],
) -> Walk:
    """Plain descent p ← p − lr·∇f(p) from ``start``, in Python floats, for a bounded number of
    steps and time: the local theory at a minimum holds only near it, and this says whether
    the path from the start gets there (or runs away: a step into an undefined f, a value not
    finite, |p| past 10¹⁵⁰)."""
    import time

    p = tuple(float(v) for v in start)
    deadline = time.perf_counter() + _WALK_SECONDS
    t = 0
    reach = [0.0, 0.0]
    half = _WALK_STEPS // 2
    try:
        for t in range(1, _WALK_STEPS + 1):
            g = gradient(p)
            p = tuple(v - lr * float(gi) for v, gi in zip(p, g, strict=True))
            if not all(math.isfinite(v) and abs(v) <= _WALK_FAR for v in p):
                return Walk(t, True, None, p, "runs away")
            size = max(abs(v) for v in p)
            reach[t > half] = max(reach[t > half], size)
            if all(float(gi) == 0.0 for gi in g) or (t % 64 == 0
                                                      and time.perf_counter() > deadline):
                break
    except (ValueError, OverflowError, ZeroDivisionError, TypeError):
        return Walk(t, True, None, p, "steps where f or f′ is undefined")
    return Walk(t, False, p, reach=(reach[0], reach[1]))


def _path_diverges(path: Walk, target: StationaryPoint | None) -> Regime:
    where = ", ".join(f"{v:.3g}" for v in path.far)
    at = "" if target is None else f" (the local theory at the minimum x = {target.x:.6g} " \
        "holds only near it)"
    crit = target.critical_lr if target is not None else math.nan
    return Regime(
        "diverging", math.nan, crit,
        f"descent from the start {path.why}: at ({where}) after {path.steps} "
        f"epoch{'s' if path.steps != 1 else ''}{at}",
        math.inf,
    )


def _bounded_instead(regime: Regime, path: Walk) -> Regime:
    """A minimum that repels descent (r > 2/h there, error × q with |q| ≥ 1.01) while the path
    stays bounded: it bounces without settling, it does not diverge."""
    if regime.kind != "diverging" or not (abs(regime.factor) >= 1.01 and path.bounded):
        return regime
    return Regime(
        "unknown", regime.factor, regime.critical_lr,
        f"{regime.description}, so descent cannot settle there; but the path from the start "
        f"stays bounded for {path.steps} epochs (|p| ≤ {path.reach[0]:.3g}): it bounces "
        "without settling, which the local theory does not describe",
        math.inf,
    )


def _poly_roots(fp: Any, x: Any) -> tuple[list[float] | None, str]:
    """The real roots of f' when it is a polynomial of degree ≤ ``_MAX_POLY_DEGREE`` (and why
    not otherwise: "degree" past the bound, "" for a function that is not a polynomial). The
    coefficients are read from the tree (bounded work), never through SymPy's expand()."""
    coeffs, why = load_symbolic().polynomial_coefficients(fp, x, _MAX_POLY_DEGREE)
    if coeffs is None:
        return None, "degree" if why == "degree" else ""
    if len(coeffs) <= 1:
        return [], ""
    roots = np.roots(coeffs)
    scale = max(1.0, float(np.max(np.abs(roots)))) if roots.size else 1.0
    real = sorted(float(r.real) for r in roots if abs(r.imag) <= 1e-7 * scale)
    return real, ""


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
    _symbolic = load_symbolic()
    fpp_sym = None
    cap = _symbolic.MAX_DIFFERENTIATED_NODES
    small = _symbolic.tree_size(fp, cap) <= cap
    if small and sympy.count_ops(fp, visual=False) <= _MAX_SYMBOLIC_OPS:
        fpp_sym = _symbolic.diff(fp, x)
    f2: Callable[[float], float]
    second_text = ""
    if fpp_sym is not None:
        from gdstudio.core.errors import ExpressionError
        from gdstudio.core.expr.expression import compile_sympy

        try:
            f2 = compile_sympy([fpp_sym], ("x",), "math", single=True)
            second_text = _symbolic.bounded_pretty(fpp_sym)
        except ExpressionError:
            fpp_sym = None
    if fpp_sym is None:
        def f2(v: float) -> float:
            h = 1e-5 * max(1.0, abs(v))
            return (f1(v + h) - f1(v - h)) / (2 * h)

    lo, hi = search_range or problem.plot_range((float(problem.start(None)[0]),))
    roots, why = _poly_roots(fp, x)
    exact = roots is not None
    note = ""
    if why == "degree":
        note = (f"too complex to analyse exactly (f' is a polynomial of degree above "
                f"{_MAX_POLY_DEGREE}): stationary points are sampled on [{lo:.6g}, {hi:.6g}]")
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
        note=note,
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
    #: False when all x are equal: every line through (x̄, ȳ) fits as well (m, c are nan then)
    unique: bool = True

    def regime(self, lr: float) -> Regime:
        lam_min, lam_max = float(self.eigenvalues[0]), float(self.eigenvalues[-1])
        stiff = classify(lr, lam_max, what="λmax")
        if not stiff.converges:
            return Regime(stiff.kind, stiff.factor, self.critical_lr,
                          stiff.description.replace("2/h", "2/λmax").replace("1/h", "1/λmax"),
                          math.inf)
        if not self.unique:
            # H has rank 1: the flat direction (along the best lines) is never moved, the
            # other shrinks × (1 − r·λmax); descent converges to the best line nearest its start
            epochs = _epochs(stiff.factor)
            desc = (f"converges, to a best line that is not unique: all x are equal, so only "
                    f"m·x̄ + c is decided; the error in it shrinks × "
                    f"{_digits(stiff.factor, _UNIT)} per epoch (≈ {epochs:,.0f} epochs to "
                    f"shrink it 10⁶×), the slope stays where the start's projection puts it "
                    f"(MSE then {self.loss:.6g})")
            return Regime(stiff.kind, stiff.factor, self.critical_lr, desc, epochs)
        q_slow = 1.0 - lr * lam_min
        q = max(abs(stiff.factor), abs(q_slow))
        epochs = _epochs(q)
        desc = (
            f"converges: the steep direction shrinks × {_digits(stiff.factor, _UNIT)} per "
            f"epoch, the flat one only × {_digits(q_slow, _UNIT, 6)} (condition number "
            f"{self.condition_number:.3g}); "
            f"≈ {epochs:,.0f} epochs to shrink the error 10⁶×"
        )
        return Regime(stiff.kind, stiff.factor, self.critical_lr, desc, epochs)


def analyze_regression(problem: RegressionProblem) -> RegressionAnalysis:
    n = float(problem.n)
    H = (2.0 / n) * np.array([[problem.sum_xx, problem.sum_x], [problem.sum_x, n]])
    # Eigenvalues from the centred sums: better conditioned than eigvalsh(H) for large x̄.
    eig = np.linalg.eigvalsh(H)
    lam_max = float(eig[-1])
    unique = True
    try:
        m, c = problem.least_squares()
        loss = float(problem.loss(np.array([[m, c]]))[0])
    except DataError:
        # all x equal: the best lines all pass through (x̄, ȳ), with the MSE of (0, ȳ)
        unique = False
        m, c = math.nan, math.nan
        loss = float(problem.loss(np.array([[0.0, problem.y_mean]]))[0])
        eig = np.array([0.0, lam_max])  # rank 1 exactly (eigvalsh leaves rounding in the 0)
    lam_min = max(float(eig[0]), 0.0)
    cond = lam_max / lam_min if lam_min > 0 else math.inf
    return RegressionAnalysis(
        m=m, c=c, loss=loss, hessian=H, eigenvalues=eig,
        critical_lr=critical_learning_rate(lam_max), condition_number=cond, unique=unique,
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
    #: the start the point was found from, and ∇f, for the path check (see :func:`walk`)
    start: tuple[float, ...] = ()
    _gradient: Callable[..., Any] | None = field(default=None, repr=False, compare=False)
    _walks: dict[float, Walk] = field(repr=False, compare=False, default_factory=dict)

    def regime(self, lr: float) -> Regime:
        """Plain descent's regime at the point, checked against the path from the start."""
        local = self._local(lr)
        if self._gradient is None or not self.start:
            return local
        grad = self._gradient
        path = self._walks.get(float(lr))
        if path is None:
            path = walk(lambda p: tuple(grad(*p)), lr, self.start)
            if len(self._walks) < 256:
                self._walks[float(lr)] = path
        if path.diverged and local.kind != "diverging":
            away = _path_diverges(path, None)
            if self.kind == "minimum":
                return Regime(away.kind, away.factor, self.critical_lr, away.description,
                              math.inf)
            return Regime(away.kind, away.factor, self.critical_lr,
                          f"{local.description}; {away.description}", math.inf)
        return _bounded_instead(local, path)

    def _local(self, lr: float) -> Regime:
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
        desc = (f"converges near the minimum: steepest direction × "
                f"{_digits(stiff.factor, _UNIT)} per epoch, flattest × "
                f"{_digits(q_slow, _UNIT, 6)} (condition number {self.condition_number:.3g}); "
                f"≈ {epochs:,.0f} epochs to shrink the error 10⁶×")
        return Regime(stiff.kind, stiff.factor, self.critical_lr, desc, epochs)


def _snapped(p: np.ndarray, fp: float, g: np.ndarray, h: np.ndarray,
             f: Callable[..., Any], G: Callable[[np.ndarray], np.ndarray],
             H: Callable[[np.ndarray], np.ndarray]
             ) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """The found point, or a shorter one within its rounding where f and |∇f| are no larger.

    Newton ends within a few ulps of a stationary point: Rosenbrock's (1, 1) is found as
    (1 + 2e−16, 1 + 4e−16), where f = 3.87×10⁻²⁹. Rounded to 15, 14, 12 or 10 significant
    digits, the point is kept if f there is no larger and the gradient no longer: f is then
    evaluated at the point shown (f(1, 1) = 0 exactly), never a rounding residue presented as
    the minimum's value."""
    gn = grad_norm(g)
    for digits in (10, 12, 14, 15):  # the shortest first
        q = np.array([float(f"{v:.{digits}g}") for v in p])
        if np.array_equal(q, p):
            return p, fp, g, h
        try:
            fq = float(f(*q))
            gq = G(q)
        except (ValueError, OverflowError, ZeroDivisionError):
            continue
        if (math.isfinite(fq) and fq <= fp and np.isfinite(gq).all()
                and grad_norm(gq) <= gn):
            return q, fq, gq, H(q)
    return p, fp, g, h


def analyze_surface(
    problem: FunctionProblem, start: tuple[float, ...] | None = None
) -> SurfaceAnalysis:
    """Find the stationary point descent from ``start`` heads for (damped Newton with a
    gradient-descent fallback, bounded iterations) and the Hessian there."""
    load_symbolic()  # one importer at a time (see expressions.load_symbolic)

    from gdstudio.core.expr.expression import compile_sympy

    expr = problem.expression
    syms = expr.symbols
    grads = expr.gradient_sym
    f = expr.math_function
    grad = expr.math_gradient
    k = len(syms)

    def G(p: np.ndarray) -> np.ndarray:
        return np.array(grad(*p), dtype=float).reshape(k)

    _symbolic = load_symbolic()
    cap = _symbolic.MAX_DIFFERENTIATED_NODES
    H: Callable[[np.ndarray], np.ndarray]
    if all(_symbolic.tree_size(g, cap) <= cap for g in grads):
        hess_sym = [[_symbolic.diff(g, s) for s in syms] for g in grads]
        hess = compile_sympy([h for row in hess_sym for h in row], expr.variables, "math")

        def H(p: np.ndarray) -> np.ndarray:
            return np.array(hess(*p), dtype=float).reshape(k, k)
    else:
        # Too large to differentiate again in bounded time: central differences of the
        # exact gradient (as for a large f'(x) in one variable).
        def H(p: np.ndarray) -> np.ndarray:
            cols = []
            for i in range(k):
                h = 1e-5 * max(1.0, abs(float(p[i])))
                step = np.zeros(k)
                step[i] = h
                cols.append((G(p + step) - G(p - step)) / (2 * h))
            out = np.array(cols).T
            return 0.5 * (out + out.T)

    p = np.array(problem.start(start), dtype=float)
    start0 = tuple(float(v) for v in p)
    try:
        fp = f(*p)
        for _ in range(500):
            g = G(p)
            gn = grad_norm(g)
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
        if not grad_norm(g) <= 1e-6 * max(1.0, abs(fp)):
            # No minimum downhill: look for the stationary point nearest the start instead
            # (plain Newton on ∇f = 0 finds saddles and maxima too), to say what it is.
            q = np.array(problem.start(start), dtype=float)
            for _ in range(60):
                gq = G(q)
                if not np.isfinite(gq).all():
                    break
                if grad_norm(gq) <= 1e-13 * max(1.0, float(np.max(np.abs(q)))):
                    p, fp, g, h = q, f(*q), gq, H(q)
                    break
                try:
                    q = q - np.linalg.solve(H(q), gq)
                except np.linalg.LinAlgError:
                    break
        p, fp, g, h = _snapped(p, fp, g, h, f, G, H)
    except (ValueError, OverflowError, ZeroDivisionError, np.linalg.LinAlgError):
        nan = np.full((k, k), math.nan)
        return SurfaceAnalysis(tuple(p), "none found", math.nan, nan, np.full(k, math.nan),
                               math.nan, math.nan, expr.derivative_text, start0, grad)
    eig = np.linalg.eigvalsh(h) if np.isfinite(h).all() else np.full(k, math.nan)
    # An eigenvalue counts as zero only within eigvalsh's rounding (a few ulps of the largest):
    # x² + 10⁻¹⁰·y² is a minimum, not "degenerate"
    scale = float(np.max(np.abs(eig))) if np.isfinite(eig).all() else 1.0
    zero = 16 * float(np.finfo(np.float64).eps) * scale
    if not (np.isfinite(eig).all() and grad_norm(g) <= 1e-6 * max(1.0, abs(fp))):
        kind = "none found"
    elif eig[0] > zero:
        kind = "minimum"
    elif eig[-1] < -zero:
        kind = "maximum"
    elif eig[0] < -zero and eig[-1] > zero:
        kind = "saddle"
    else:
        kind = "degenerate"
    lam_max = float(eig[-1]) if np.isfinite(eig).all() else math.nan
    lam_min = float(eig[0]) if np.isfinite(eig).all() else math.nan
    cond = lam_max / lam_min if kind == "minimum" else math.nan
    return SurfaceAnalysis(
        point=tuple(float(v) for v in p), kind=kind, f=float(fp), hessian=h, eigenvalues=eig,
        critical_lr=critical_learning_rate(lam_max) if kind == "minimum" else math.nan,
        condition_number=cond, gradient_text=expr.derivative_text, start=start0,
        _gradient=grad,
    )
