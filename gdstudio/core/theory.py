"""What the mathematics says about a run before it starts, as one object: :class:`Theory`.

:func:`theory_of` works it out for a configuration (SymPy's solve and simplify for a function,
the least-squares optimum and the Hessian for a regression). It can take a while and is
computed off the window's GUI thread; the panels then read the :class:`Theory` (the minimum to
mark, the optimum loss of the log plot, the condition number, the regime of a learning rate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gdstudio.core.analysis import (
    FunctionAnalysis,
    Regime,
    RegressionAnalysis,
    SurfaceAnalysis,
    analyze_function,
    analyze_regression,
    analyze_surface,
)
from gdstudio.core.descent.config import RunConfig
from gdstudio.core.problems import FunctionProblem, RegressionProblem

__all__ = ["Theory", "theory_of", "theory_key"]

Analysis = FunctionAnalysis | RegressionAnalysis | SurfaceAnalysis


def theory_key(config: RunConfig) -> tuple[object, ...]:
    """What a theory depends on: the problem (the very object), a surface's start, scaling.
    Two configurations with the same key have the same theory."""
    problem = config.problem
    surface = isinstance(problem, FunctionProblem) and problem.dim == 2
    start = tuple(float(v) for v in config.start_params()) if surface else None
    scaled = bool(config.scale_x) and isinstance(problem, RegressionProblem)
    return (id(problem), start, scaled)


@dataclass(frozen=True, eq=False)
class Theory:
    """The analysis of one problem (and, for a surface, one start)."""

    problem: FunctionProblem | RegressionProblem
    analysis: Analysis | None
    #: a regression on standardised x (when the run scales x)
    scaled: RegressionAnalysis | None = None
    #: f as SymPy prints it (functions only)
    pretty: str = ""
    #: why there is no analysis ("" when there is one, or for problems it does not cover)
    error: str = ""
    key: tuple[object, ...] = ()

    def minimum_for(self, x0: float, lr: float | None = None) -> tuple[float, float] | None:
        """(x*, f(x*)) of the minimum that descent from ``x0`` heads for (1-D functions): the
        first one downhill, or with ``lr`` the one the path from x0 reaches (its first steps
        may jump into another minimum's basin, see :meth:`FunctionAnalysis.regime`)."""
        a = self.analysis
        if isinstance(a, FunctionAnalysis):
            target = a.minimum_for(float(x0)) if lr is None else a.regime(lr, float(x0))[0]
            if target is not None and math.isfinite(target.f):
                return target.x, target.f
        return None

    def optimum_loss(self, start: tuple[float, ...], lr: float | None = None) -> float:
        """The loss at the minimum descent from ``start`` heads for (nan if unknown); with
        ``lr``, at the one the path reaches (see :meth:`minimum_for`)."""
        a = self.analysis
        if isinstance(a, RegressionAnalysis):
            return a.loss
        if isinstance(a, SurfaceAnalysis):
            return float(a.f) if a.kind == "minimum" else math.nan
        if isinstance(a, FunctionAnalysis):
            found = self.minimum_for(float(start[0]), lr)
            if found is not None:
                return found[1]
        return math.nan

    def least_squares(self) -> tuple[float, float] | None:
        a = self.analysis
        return (a.m, a.c) if isinstance(a, RegressionAnalysis) else None

    def condition_number(self, *, scaled: bool = False) -> float | None:
        a = self.scaled if scaled else self.analysis
        return a.condition_number if isinstance(a, RegressionAnalysis) else None

    def surface_point(self) -> tuple[tuple[float, float], str, float] | None:
        """For f(x, y): (the stationary point descent heads for, its kind, f there)."""
        a = self.analysis
        if isinstance(a, SurfaceAnalysis) and all(math.isfinite(v) for v in a.point):
            return (float(a.point[0]), float(a.point[1])), a.kind, float(a.f)
        return None

    def regime(self, lr: float, start: tuple[float, ...], *, scaled: bool = False
               ) -> Regime | None:
        """Plain gradient descent's regime at learning rate ``lr`` from ``start``."""
        a = self.analysis
        if isinstance(a, (RegressionAnalysis, SurfaceAnalysis)):
            return ((self.scaled if scaled else None) or a).regime(lr)
        if isinstance(a, FunctionAnalysis):
            return a.regime(lr, float(start[0]))[1]
        return None


def _scaled_analysis(problem: RegressionProblem) -> RegressionAnalysis | None:
    from gdstudio.core.descent.minibatch import scaled_problem

    try:
        return analyze_regression(scaled_problem(problem)[0])
    except Exception:  # noqa: BLE001 - the unscaled theory still holds
        return None


def theory_of(config: RunConfig) -> Theory:
    """The theory of ``config``'s problem. Never raises for an input the run accepts: what
    cannot be analysed is said in :attr:`Theory.error`."""
    problem = config.problem
    key = theory_key(config)
    analysis: Analysis | None = None
    scaled: RegressionAnalysis | None = None
    pretty = ""
    try:
        if isinstance(problem, RegressionProblem):
            analysis = analyze_regression(problem)
            if config.scale_x:
                scaled = _scaled_analysis(problem)
        else:
            pretty = problem.expression.pretty
            if problem.dim == 1:
                analysis = analyze_function(problem)
            elif problem.dim == 2:
                start = tuple(float(v) for v in config.start_params())
                analysis = analyze_surface(problem, start)
    except Exception as err:  # noqa: BLE001 - theory is a help: never break the run for it
        return Theory(problem, analysis, scaled, pretty, f"{type(err).__name__}: {err}", key)
    return Theory(problem, analysis, scaled, pretty, "", key)
