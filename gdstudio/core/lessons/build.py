"""From a step's setup to the core's run: :func:`step_config`, :func:`step_race`, :func:`plan`.

Inheritance: a step changes only what it sets; everything else is as the step before left it
(the first step starts from the window's defaults: f(x) = x² − 4x + 5, x0 = 7, lr = 0.1,
50 epochs, manual engine). Two exceptions:

- when the problem's kind changes (function, surface, regression), the start (x0, or m0, c0)
  and the learning rate go back to the new problem's defaults unless the step sets them, and a
  regression's scaling and mini-batches go with it;
- a ``race`` belongs to its step only.

A lesson runs on the CPU with at most :data:`~.model.MAX_LESSON_EPOCHS` epochs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from gdstudio.core.descent.config import RunConfig
from gdstudio.core.descent.optimizers import OptimizerSettings
from gdstudio.core.errors import ConfigError, InputError
from gdstudio.core.lessons.errors import LessonError
from gdstudio.core.lessons.model import MAX_LESSON_EPOCHS, Lesson, Quantity, Setup, Step
from gdstudio.core.problems import DEFAULT_EXPRESSION, FunctionProblem, Problem, RegressionProblem
from gdstudio.core.race.lanes import Lane, RaceSpec

__all__ = ["StepPlan", "step_config", "step_race", "race_configs", "quantity_config",
           "prediction_config", "plan", "lesson_configs", "problem_kind", "default_config"]


class SetupError(ConfigError):
    """A setup that cannot be built; ``field`` names the setup field to blame."""

    def __init__(self, message: str, field: str = "", line: int = 0) -> None:
        super().__init__(message)
        self.field = field
        #: the file's line to blame when it is not the field's (a check's, a prediction's)
        self.line = line


def default_config() -> RunConfig:
    """Where a lesson's first step starts from: the window's defaults (the source's example)."""
    return RunConfig(problem=FunctionProblem(DEFAULT_EXPRESSION), x0=7.0, lr=0.1, epochs=50)


def problem_kind(problem: Problem) -> str:
    """"function", "surface" or "regression"."""
    if isinstance(problem, RegressionProblem):
        return "regression"
    return "surface" if problem.dim == 2 else "function"


_REGRESSION_FIELDS = ("data", "synthetic", "seed", "noise", "m0", "c0", "scale_x", "batch_size",
                      "batch_seed")


def _kind(setup: Setup, previous: str) -> str:
    if setup.problem is not None:
        return setup.problem
    if setup.expr is not None:
        from gdstudio.core.expr.expression import parse_expression

        try:
            return "surface" if parse_expression(setup.expr, ("x", "y")).uses("y") else "function"
        except InputError as err:
            raise SetupError(f"expr does not parse: {err}", "expr") from None
    if previous != "regression" and any(getattr(setup, k) is not None for k in _REGRESSION_FIELDS):
        return "regression"
    return previous


def _problem(setup: Setup, prev: RunConfig, kind: str, prev_kind: str) -> Problem:
    if kind in ("function", "surface"):
        for name in _REGRESSION_FIELDS:
            if getattr(setup, name) is not None:
                raise SetupError(f"{name} applies to regression problems, not to a {kind}", name)
        variables = ("x",) if kind == "function" else ("x", "y")
        if setup.expr is not None:
            try:
                return FunctionProblem(setup.expr, variables=variables)
            except InputError as err:
                hint = ""
                if kind == "function" and "'y'" in str(err):
                    hint = " (a function of x and y is problem = \"surface\")"
                raise SetupError(f"expr does not parse: {err}{hint}", "expr") from None
        if kind == prev_kind:
            return prev.problem
        if kind == "function":
            return FunctionProblem(DEFAULT_EXPRESSION)
        raise SetupError("a surface needs its function: expr = \"...\" in x and y", "problem")
    for name in ("expr", "x0"):
        if getattr(setup, name) is not None:
            raise SetupError(f"{name} applies to function and surface problems, not to a "
                             "regression", name)
    return _regression(setup, prev.problem if prev_kind == "regression" else None)


def _regression(setup: Setup, prev: Problem | None) -> RegressionProblem:
    from gdstudio.core.data import DEFAULT_SYNTHETIC

    synthetic_given = any(getattr(setup, k) is not None for k in ("synthetic", "seed", "noise"))
    if setup.data is not None and setup.data != "synthetic":
        from gdstudio.core.lessons.resources import bundled_data_names, bundled_data_path

        path = bundled_data_path(setup.data)
        if path is None:
            names = ", ".join(bundled_data_names()) or "none"
            raise SetupError(f"no bundled data set named {setup.data!r} (bundled: {names}); "
                             "or data = \"synthetic\"", "data")
        try:
            return RegressionProblem.from_csv(path)
        except InputError as err:
            raise SetupError(f"data {setup.data!r}: {err}", "data") from None
    if isinstance(prev, RegressionProblem) and setup.data is None and not synthetic_given:
        return prev
    spec = prev.synthetic_spec if isinstance(prev, RegressionProblem) else None
    base = spec or DEFAULT_SYNTHETIC
    n = _pick(setup.synthetic, base.n)
    seed = _pick(setup.seed, base.seed)
    noise = _pick(setup.noise, base.noise)
    try:
        return RegressionProblem.synthetic(n, seed, noise)
    except InputError as err:
        field = next((k for k in ("synthetic", "noise", "seed") if getattr(setup, k) is not None),
                     "data")
        raise SetupError(str(err), field) from None


def _pick(value: Any, inherited: Any) -> Any:
    return inherited if value is None else value


def step_config(step: Step | Setup, previous: RunConfig | None = None) -> RunConfig:
    """The run configuration of ``step``: what it sets, and the rest from ``previous``.

    ``previous`` is the configuration of the step before (or the window's current one);
    None starts from :func:`default_config`. The result always runs on the CPU with at most
    :data:`~.model.MAX_LESSON_EPOCHS` epochs.

    Raises
    ------
    InputError
        (a :class:`ConfigError` with the setup ``field`` to blame) when the setup cannot be
        built: an expression that does not parse, a start of the wrong size, ...
    """
    setup = step.setup if isinstance(step, Step) else step
    prev = previous if previous is not None else default_config()
    prev_kind = problem_kind(prev.problem)
    kind = _kind(setup, prev_kind)
    problem = _problem(setup, prev, kind, prev_kind)
    same = kind == prev_kind
    start: dict[str, Any] = {}
    if kind == "regression":
        p = prev.start_params() if same else (0.0, 0.0)
        start["m0"] = float(_pick(setup.m0, p[0]))
        start["c0"] = float(_pick(setup.c0, p[1]))
    elif setup.x0 is not None:
        start["x0"] = setup.x0
    elif same:
        p = prev.start_params()
        start["x0"] = float(p[0]) if p.size == 1 else tuple(float(v) for v in p)
    regression = kind == "regression"
    # a regression's scaling and mini-batches: the step before's, if it was a regression
    before = prev if same and regression else default_config()
    epochs = _pick(setup.epochs, min(prev.epochs, MAX_LESSON_EPOCHS))
    try:
        return RunConfig(
            problem=problem,
            lr=_pick(setup.lr, prev.lr if same else problem.default_lr),
            epochs=epochs,
            engine=_pick(setup.engine, prev.engine),
            device="cpu",
            dtype=_pick(setup.dtype, prev.dtype),
            optimizer=_pick(setup.optimizer, prev.optimizer),
            tol=_pick(setup.tol, prev.tol),
            momentum=_pick(setup.momentum, prev.momentum),
            beta1=_pick(setup.beta1, prev.beta1),
            beta2=_pick(setup.beta2, prev.beta2),
            alpha=_pick(setup.alpha, prev.alpha),
            eps=_pick(setup.eps, prev.eps),
            stop_on_cycle=_pick(setup.stop_on_cycle, prev.stop_on_cycle),
            scale_x=regression and bool(_pick(setup.scale_x, before.scale_x)),
            batch_size=_pick(setup.batch_size, before.batch_size) if regression else 0,
            batch_seed=_pick(setup.batch_seed, before.batch_seed) if regression else 0,
            **start,
        )
    except ConfigError as err:
        raise SetupError(str(err), _blame(str(err), setup)) from None


def _blame(message: str, setup: Setup) -> str:
    """The setup field a RunConfig message is most likely about."""
    text = message.lower()
    for words, name in ((("start", "x0"), "x0"), (("m0",), "m0"), (("c0",), "c0"),
                        (("learning rate",), "lr"), (("epochs",), "epochs"),
                        (("tolerance",), "tol"), (("engine",), "engine"), (("dtype",), "dtype"),
                        (("optimizer",), "optimizer"), (("momentum",), "momentum"),
                        (("beta1",), "beta1"), (("beta2",), "beta2"), (("alpha",), "alpha"),
                        (("eps",), "eps"), (("scaling",), "scale_x"),
                        (("mini-batch", "batch size"), "batch_size")):
        if any(w in text for w in words):
            if name == "x0" and setup.x0 is None and setup.expr is not None:
                return "expr"
            return name
    return ""


def step_race(step: Step, config: RunConfig) -> RaceSpec | None:
    """The race ``step`` asks for, on its ``config`` (None when it has none). Each lane takes
    its learning rate and optimizer from the lane, the rest from the step."""
    lanes = step.setup.race
    if not lanes:
        return None
    out: list[Lane] = []
    for lane in lanes:
        try:
            settings = OptimizerSettings(
                _pick(lane.optimizer, config.optimizer),
                float(_pick(lane.momentum, config.momentum)),
                float(_pick(lane.beta1, config.beta1)),
                float(_pick(lane.beta2, config.beta2)),
                float(_pick(lane.alpha, config.alpha)),
                _pick(lane.eps, config.eps),
            )
        except ConfigError as err:
            raise SetupError(f"a lane of race: {err}", "race") from None
        lr = float(_pick(lane.lr, config.lr))
        out.append(Lane(lr, settings))
    names = {lane.optimizer.name for lane in out}
    rates = {lane.lr for lane in out}
    kind = "optimizer" if len(names) > 1 and len(rates) == 1 else "lr"
    return RaceSpec(config, tuple(out), kind)


def race_configs(race: RaceSpec | None) -> tuple[RunConfig, ...]:
    """Each lane of ``race`` as the single run it is (none without a race)."""
    if race is None:
        return ()
    return tuple(race.lane_config(j) for j in range(len(race.lanes)))


def quantity_config(quantity: Quantity, config: RunConfig, race: RaceSpec | None = None
                    ) -> RunConfig:
    """The run a quantity is about: the step's ``config``, or lane ``quantity.lane`` of its
    ``race``, with the quantity's own overrides (``with = {...}``) applied."""
    base = config
    if quantity.lane is not None:
        lanes = len(race.lanes) if race is not None else 0
        if not 1 <= quantity.lane <= lanes:
            raise SetupError(f"lane {quantity.lane} does not exist: the step's race has "
                             f"{lanes} lane{'s' if lanes != 1 else ''}", "lane")
        assert race is not None
        base = race.lane_config(quantity.lane - 1)
    if not quantity.overrides:
        return base
    changes: dict[str, Any] = {}
    for name, value in quantity.overrides:
        if name in ("m0", "c0", "x0") and (name == "x0") == isinstance(base.problem,
                                                                       RegressionProblem):
            raise SetupError(f"{name} does not apply to this step's problem", "with")
        changes[name] = value
    try:
        return base.with_(**changes)
    except ConfigError as err:
        raise SetupError(f"with: {err}", "with") from None


@dataclass(frozen=True, eq=False)
class StepPlan:
    """What the window sets up for a step: the run, the race (if any), the panels to show
    (None: as they are; inherited from the steps before)."""

    step: Step
    config: RunConfig
    race: RaceSpec | None = None
    panels: tuple[str, ...] | None = None

    @property
    def lane_configs(self) -> tuple[RunConfig, ...]:
        return race_configs(self.race)


def prediction_config(step_plan: StepPlan) -> RunConfig:
    """The run a step's prediction is about (its config, or a lane of its race, with the
    prediction's overrides); the step's own config when it asks nothing."""
    prediction = step_plan.step.prediction
    if prediction is None:
        return step_plan.config
    return quantity_config(prediction.target, step_plan.config, step_plan.race)


def plan(lesson: Lesson, start: RunConfig | None = None) -> tuple[StepPlan, ...]:
    """Every step's :class:`StepPlan`, each inheriting from the one before (the first from
    ``start``, default :func:`default_config`).

    Raises
    ------
    LessonError
        at the line to blame, if a step cannot be built (a validated lesson always can, but a
        bundled data set can go missing).
    """
    out: list[StepPlan] = []
    previous = start
    panels: tuple[str, ...] | None = None
    where = lesson.file or lesson.source
    for step in lesson.steps:
        try:
            config = step_config(step, previous)
            race = step_race(step, config)
            for lane_config in race_configs(race):
                _check_epochs(lane_config)
            _check_quantities(step, config, race)
        except SetupError as err:
            line = err.line or (step.setup.line_of(err.field, step.line) if err.field
                                else step.line)
            raise LessonError(str(err), line=line, source=where) from None
        except InputError as err:
            raise LessonError(str(err), line=step.line, source=where) from None
        if step.setup.panels is not None:
            panels = step.setup.panels
        out.append(StepPlan(step, config, race, panels))
        previous = config
    return tuple(out)


def lesson_configs(lesson: Lesson, start: RunConfig | None = None) -> tuple[RunConfig, ...]:
    """Every step's run configuration (see :func:`plan`)."""
    return tuple(p.config for p in plan(lesson, start))


def _check_epochs(config: RunConfig) -> None:
    if config.epochs > MAX_LESSON_EPOCHS:
        raise SetupError(f"a lesson's run has at most {MAX_LESSON_EPOCHS:,} epochs, got "
                         f"{config.epochs:,}", "epochs")


def _check_quantities(step: Step, config: RunConfig, race: RaceSpec | None) -> None:
    """Every prediction and check of ``step`` asks for something its run has."""
    quantities: list[Quantity] = [c.quantity for c in step.checks]
    if step.prediction is not None:
        quantities.append(step.prediction.target)
    for q in quantities:
        try:
            qc = quantity_config(q, config, race)
            _check_epochs(qc)
        except SetupError as err:
            err.line = q.line_of(err.field)
            raise
        kind = problem_kind(qc.problem)
        info = q.info
        if kind not in info.problems:
            names = ", ".join(qc.problem.param_names)
            raise _at(SetupError(f"quantity {q.name!r} does not apply to a {kind} problem "
                                 f"(its parameters: {names})", "quantity"), q.line)
        if q.epoch is not None and q.epoch > qc.epochs:
            raise _at(SetupError(f"epoch {q.epoch} is beyond the run's {qc.epochs} epochs",
                                 "epoch"), q.line_of("epoch"))
        if q.distance is not None and not math.isfinite(q.distance):
            raise _at(SetupError("distance must be finite", "distance"), q.line_of("distance"))


def _at(err: SetupError, line: int) -> SetupError:
    err.line = line
    return err
