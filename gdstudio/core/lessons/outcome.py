"""What a run did: :func:`outcome_of` runs a configuration to its end and reads the result.

An :class:`Outcome` holds the run's own :class:`~gdstudio.core.descent.loop.History` (its stop
reason and iterates), what it did as a learner would say it (:func:`behaviour_of`: converges,
oscillates, cycles, diverges), and, where the analysis covers the problem, the theory: the
minimum descent heads for, the curvatures there, the critical rate and plain descent's regime.
:meth:`Outcome.value` answers every quantity of :data:`~.model.QUANTITIES`.

Running and analysing take time (SymPy for a function's analysis): the window calls
:func:`outcome_of` off its GUI thread; everything after it is cheap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gdstudio.core.analysis import FunctionAnalysis, Regime, RegressionAnalysis, SurfaceAnalysis
from gdstudio.core.descent.config import RunConfig
from gdstudio.core.descent.loop import History
from gdstudio.core.descent.rules import grad_norm
from gdstudio.core.errors import ConfigError, InputError
from gdstudio.core.lessons.model import MAX_LESSON_EPOCHS, QUANTITIES
from gdstudio.core.problems import FunctionProblem, RegressionProblem
from gdstudio.core.theory import Theory

__all__ = ["Outcome", "Unanswerable", "outcome_of", "outcome_from", "behaviour_of", "fmt",
           "DEFAULT_DISTANCE"]

#: ``epoch_within``'s distance when none is given.
DEFAULT_DISTANCE = 1e-6
#: Plain descent (the theory's regimes are about it).
_PLAIN = ("gd", "sgd")


class Unanswerable(InputError):
    """A quantity this run has no value for (it never got that close, it stopped before that
    epoch, the analysis found no minimum); the message says why."""


def fmt(value: float | int | str | None, digits: int = 12) -> str:
    """A number as the lessons' sentences show it: up to ``digits`` significant digits (12: a
    float64 to the digits that mean something), "−" for minus."""
    if value is None:
        return "none"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}".replace("-", "−")
    v = float(value)
    if math.isnan(v):
        return "undefined"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if v == 0:
        return "0"
    text = f"{v:.{digits}g}"
    if "e" in text:
        mant, exp = text.split("e")
        text = f"{mant}e{int(exp)}"
    return text.replace("-", "−")


def behaviour_of(history: History, target: tuple[float, ...] | None = None) -> str:
    """What the run did, from its own stop reason and iterates.

    ``diverges``: the run stopped as diverged, or it ends with its loss above the start's and
    still rising, or with its steps growing for the last 10 epochs and its gradient larger
    than at the start (sliding off a saddle). ``cycles``: it stopped as cycling. Otherwise
    ``oscillates`` if it overshoots: some parameter's steps change sign three times in a row,
    or (with the minimum ``target`` known) its side of the minimum changes twice in a row
    (steps and distances below rounding are not counted); else ``converges``.
    """
    if history.status == "diverged":
        return "diverges"
    if history.status == "cycling":
        return "cycles"
    P, L = history.params, history.loss
    if P.shape[0] < 3:
        return "converges"
    with np.errstate(all="ignore"):
        D = np.diff(P, axis=0)
        size = np.abs(D)
        rising = bool(L[-1] > L[0] and L[-1] > L[-2])
        g = history.grad_norm
        steps = np.max(size, axis=1)
        growing = (steps.size > 11 and bool(np.all(np.diff(steps[-11:]) > 0))
                   and bool(g[-1] > g[0]))
    if rising or growing:
        return "diverges"
    scale = 1e-12 * (1.0 + np.abs(P[:-1]))
    for j in range(P.shape[1]):
        if _flips(np.sign(D[:, j])[size[:, j] > scale[:, j]]) >= 3:
            return "oscillates"
    if target is not None:
        err = P - np.asarray(target)[None, :]
        for j in range(P.shape[1]):
            big = np.abs(err[:, j]) > 1e-12 * (1.0 + abs(target[j]))
            if _flips(np.sign(err[:, j])[big]) >= 2:
                return "oscillates"
    return "converges"


def _flips(signs: np.ndarray) -> int:
    """The longest streak of sign changes between neighbours in ``signs``."""
    best = streak = 0
    for a, b in zip(signs[:-1], signs[1:], strict=True):
        streak = streak + 1 if a != b else 0
        best = max(best, streak)
    return best


@dataclass(frozen=True, eq=False)
class Outcome:
    """A finished run and what the mathematics says about it."""

    config: RunConfig
    history: History
    behaviour: str
    theory: Theory | None = None
    #: the minimum descent heads for (x, or (x, y), or (m*, c*)); None if unknown
    target: tuple[float, ...] | None = None
    target_loss: float = math.nan
    #: (λmin, λmax) where descent ends up (f″(x*) twice for f(x)); on standardised x when scaled
    curvatures: tuple[float, float] | None = None
    #: plain descent's regime at the run's rate (None for other optimizers or no analysis)
    regime: Regime | None = None
    #: why there is no theory ("" when there is one)
    theory_error: str = ""

    @property
    def status(self) -> str:
        return self.history.status

    @property
    def epochs_run(self) -> int:
        return self.history.epochs_run

    @property
    def message(self) -> str:
        return self.history.message

    @property
    def plain(self) -> bool:
        """Plain full-batch descent: the analysis' regimes describe it exactly."""
        return self.config.optimizer in _PLAIN and not self.config.batch_size

    @property
    def curvature_name(self) -> str:
        """"f″" for a function of x, "λmax" otherwise."""
        return "f″" if isinstance(self.config.problem, FunctionProblem) and \
            self.config.problem.dim == 1 else "λmax"

    @property
    def critical_lr(self) -> float:
        """2/λmax (2/f″(x*)); nan if unknown."""
        if self.curvatures is None:
            return math.nan
        lam = self.curvatures[1]
        return 2.0 / lam if lam > 0 else math.inf

    def value(self, name: str, *, epoch: int | None = None, distance: float | None = None
              ) -> float | int | str:
        """The quantity ``name`` (a key of :data:`~.model.QUANTITIES`) of this run.

        Raises
        ------
        Unanswerable
            when this run has no such value; the message says why.
        """
        if name not in QUANTITIES:
            raise Unanswerable(f"unknown quantity {name!r}")
        names = self.history.param_names
        if name in names or name == "loss":
            t = self.epochs_run if epoch is None else int(epoch)
            if t > self.epochs_run:
                raise Unanswerable(f"the run stopped at epoch {self.epochs_run} "
                                   f"({self.status}), before epoch {t}")
            if name == "loss":
                return float(self.history.loss[t])
            return float(self.history.params[t, names.index(name)])
        if name in ("x", "y", "m", "c"):
            raise Unanswerable(f"{name} is not a parameter of this problem "
                               f"({', '.join(names)})")
        if name in ("grad", "grad_m", "grad_c"):
            t = self.epochs_run if epoch is None else int(epoch)
            if t > self.epochs_run:
                raise Unanswerable(f"the run stopped at epoch {self.epochs_run} "
                                   f"({self.status}), before epoch {t}")
            g = self.history.grad[t]
            if name == "grad":
                return float(g[0]) if g.size == 1 else grad_norm(g)  # (f′(x) itself in 1-D)
            return float(g[0 if name == "grad_m" else 1])
        if name == "distance":
            t = self.epochs_run if epoch is None else int(epoch)
            if t > self.epochs_run:
                raise Unanswerable(f"the run stopped at epoch {self.epochs_run} "
                                   f"({self.status}), before epoch {t}")
            if self.target is None:
                raise Unanswerable(self._no_theory("a minimum to measure the distance to"))
            gap = np.abs(self.history.params[t] - np.asarray(self.target))
            return float(np.max(gap))
        if name == "epochs_run":
            return self.epochs_run
        if name == "status":
            return self.status
        if name == "behaviour":
            return self.behaviour
        if name == "epoch_within":
            return self.epoch_within(DEFAULT_DISTANCE if distance is None else distance)
        return self._theory_value(name)

    def epoch_within(self, distance: float) -> int:
        """The first epoch whose parameters are all within ``distance`` of :attr:`target`."""
        if self.target is None:
            raise Unanswerable(f"the analysis found no minimum to measure the distance to"
                               f"{': ' + self.theory_error if self.theory_error else ''}")
        with np.errstate(all="ignore"):
            gap = np.max(np.abs(self.history.params - np.asarray(self.target)[None, :]), axis=1)
        hits = np.nonzero(gap <= distance)[0]
        if hits.size == 0:
            raise Unanswerable(f"the run never got within {fmt(distance)} of the minimum in its "
                               f"{self.epochs_run} epochs ({self.status})")
        return int(hits[0])

    def _theory_value(self, name: str) -> float | str:
        if name == "regime":
            if self.regime is None:
                raise Unanswerable(self._no_theory("a regime (plain descent only)"))
            return self.regime.kind
        if name == "optimum_loss":
            if self.target is None:
                raise Unanswerable(self._no_theory("a minimum"))
            return self.target_loss
        if name.startswith("optimum_"):
            p = name.removeprefix("optimum_")
            names = self.history.param_names
            if self.target is None:
                raise Unanswerable(self._no_theory("a minimum"))
            if p not in names:
                raise Unanswerable(f"{p} is not a parameter of this problem")
            return float(self.target[names.index(p)])
        if self.curvatures is None:
            raise Unanswerable(self._no_theory("the curvature at a minimum"))
        lam_min, lam_max = self.curvatures
        if name == "lambda_max":
            return lam_max
        if name == "lambda_min":
            return lam_min
        if name == "condition_number":
            return lam_max / lam_min if lam_min > 0 else math.inf
        if name == "critical_lr":
            return self.critical_lr
        if name == "factor":
            return 1.0 - float(self.config.lr) * lam_max  # type: ignore[arg-type]
        if name == "lr_curvature":
            return float(self.config.lr) * lam_max  # type: ignore[arg-type]
        if name == "slow_factor":
            return 1.0 - float(self.config.lr) * lam_min  # type: ignore[arg-type]
        raise Unanswerable(f"unknown quantity {name!r}")  # pragma: no cover

    def _no_theory(self, what: str) -> str:
        why = f": {self.theory_error}" if self.theory_error else ""
        return f"the analysis gives no {what} for this problem{why}"


def outcome_of(config: RunConfig) -> Outcome:
    """Run ``config`` to its end (at most :data:`~.model.MAX_LESSON_EPOCHS` epochs) and
    read what it did. Slow: call it off the GUI thread.

    Raises
    ------
    InputError
        if the run cannot start (a start outside f's domain, ...), or a
        :class:`ConfigError` for more epochs than a lesson may run.
    """
    from gdstudio.core.descent.loop import run

    if config.epochs > MAX_LESSON_EPOCHS:
        raise ConfigError(f"a lesson's run has at most {MAX_LESSON_EPOCHS:,} epochs, got "
                          f"{config.epochs:,}")
    return outcome_from(run(config))


def outcome_from(history: History, theory: Theory | None = None) -> Outcome:
    """The :class:`Outcome` of a finished ``history`` (the window's own run, say); the theory
    is worked out unless given (it must be of the same problem)."""
    from gdstudio.core.theory import theory_of

    config = history.config
    if theory is None:
        theory = theory_of(config)
    target: tuple[float, ...] | None = None
    target_loss = math.nan
    curvatures: tuple[float, float] | None = None
    regime: Regime | None = None
    start = tuple(float(v) for v in config.start_params())
    a = theory.analysis
    lr = float(config.lr)  # type: ignore[arg-type]
    if isinstance(a, FunctionAnalysis):
        # the minimum the path from the start reaches (it may jump into another's basin)
        point, path_regime = a.regime(lr, start[0])
        if point is not None:
            target, target_loss = (point.x,), point.f
            if point.smooth and math.isfinite(point.curvature):
                curvatures = (point.curvature, point.curvature)
            regime = path_regime
    elif isinstance(a, SurfaceAnalysis):
        if a.kind == "minimum":
            target, target_loss = tuple(float(v) for v in a.point), float(a.f)
            curvatures = (float(a.eigenvalues[0]), float(a.eigenvalues[-1]))
            regime = a.regime(lr)
    elif isinstance(a, RegressionAnalysis):
        if math.isfinite(a.m):
            target, target_loss = (a.m, a.c), a.loss
        used = theory.scaled if (config.scale_x and theory.scaled is not None) else a
        curvatures = (max(float(used.eigenvalues[0]), 0.0), float(used.eigenvalues[-1]))
        regime = used.regime(lr)
    plain = config.optimizer in _PLAIN and not config.batch_size
    behaviour = behaviour_of(history, target)
    return Outcome(
        config=config, history=history, behaviour=behaviour, theory=theory, target=target,
        target_loss=target_loss, curvatures=curvatures, regime=regime if plain else None,
        theory_error=theory.error,
    )


def problem_label(config: RunConfig) -> str:
    """How a sentence names the problem's parameters: "x", "(x, y)", "(m, c)"."""
    names = config.problem.param_names
    return names[0] if len(names) == 1 else "(" + ", ".join(names) + ")"


def is_regression(config: RunConfig) -> bool:
    return isinstance(config.problem, RegressionProblem)
