"""A lesson's numbers, recomputed: :func:`verify` runs every step and evaluates its checks.

A check says "the text shows 5.2 for x after 2 epochs"; :func:`verify` runs that step with the
core and compares. A prediction must have an answer (the run must reach the distance asked
about, and so on). :func:`unchecked_numbers` lists the numbers of a step's text that no check,
setup value or formula constant accounts for: a shipped lesson has none, so no number in its
texts can drift from what the core computes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from gdstudio.core.errors import InputError
from gdstudio.core.lessons.build import StepPlan, plan, quantity_config
from gdstudio.core.lessons.errors import LessonError
from gdstudio.core.lessons.model import Check, Lesson, Quantity, Step
from gdstudio.core.lessons.outcome import Outcome, Unanswerable, fmt, outcome_of
from gdstudio.core.lessons.scoring import describe_quantity
from gdstudio.core.lessons.text import number_tokens, read_number, rounds_to

__all__ = ["CheckResult", "Report", "Evaluator", "verify", "check_passes", "unchecked_numbers"]

#: Numbers any formula may use without a check (2/f″, 1 − r·h, squares).
FORMULA_CONSTANTS = (0.0, 1.0, 2.0)
#: The most epochs :func:`verify` runs for one lesson, all runs together.
MAX_VERIFY_EPOCHS = 5_000_000


@dataclass(frozen=True)
class CheckResult:
    """A check and what the core gave for it."""

    step: Step
    check: Check
    ok: bool
    value: float | int | str | None
    message: str = ""  # why it failed ("" when ok)


@dataclass(frozen=True)
class Report:
    """What :func:`verify` found: every check's result, and every problem as a
    :class:`LessonError` at its line (failed checks included)."""

    checks: tuple[CheckResult, ...]
    problems: tuple[LessonError, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems


class Evaluator:
    """Runs a lesson's steps (each configuration once) and evaluates quantities on them."""

    def __init__(self, lesson: Lesson) -> None:
        self.lesson = lesson
        self.plans = plan(lesson)
        self._outcomes: dict[tuple[int, int | None, tuple[tuple[str, Any], ...]], Outcome] = {}
        self.epochs_run = 0  # all runs together, bounded by MAX_VERIFY_EPOCHS

    def outcome(self, step: int, quantity: Quantity | None = None) -> Outcome:
        """The outcome of step ``step``'s run, or of the run ``quantity`` is about."""
        key = (step, None, ()) if quantity is None else (step, quantity.lane, quantity.overrides)
        if key not in self._outcomes:
            p = self.plans[step]
            config = p.config if quantity is None else quantity_config(quantity, p.config, p.race)
            if self.epochs_run + config.epochs > MAX_VERIFY_EPOCHS:
                raise InputError(f"the lesson asks for more than {MAX_VERIFY_EPOCHS:,} epochs in "
                                 "all to check; use fewer or shorter runs")
            self.epochs_run += config.epochs
            self._outcomes[key] = outcome_of(config)
        return self._outcomes[key]

    def value(self, step: int, quantity: Quantity) -> float | int | str:
        return self.outcome(step, quantity).value(quantity.name, epoch=quantity.epoch,
                                                  distance=quantity.distance)


def check_passes(check: Check, value: float | int | str) -> bool:
    """Whether the core's ``value`` is what ``check`` states (see :class:`~.model.Check`)."""
    if isinstance(value, str) or check.quantity.info.type == "word":
        return str(value) == str(check.value)
    v = float(value)
    if check.tolerance is not None:
        return check.value is not None and abs(v - float(check.value)) <= check.tolerance
    if check.shown is not None and _is_number(check.shown):
        return rounds_to(v, check.shown)
    expected = float(check.value)  # type: ignore[arg-type]
    if check.quantity.info.type == "integer":
        return v == expected
    return math.isclose(v, expected, rel_tol=1e-9, abs_tol=1e-300)


def _is_number(text: str) -> bool:
    try:
        read_number(text)
    except ValueError:
        return False
    return True


def verify(lesson: Lesson) -> Report:
    """Run every step of ``lesson`` (and the runs its checks and predictions are about) and
    compare. Slow (it runs the core): off the GUI thread."""
    ev = Evaluator(lesson)
    results: list[CheckResult] = []
    problems: list[LessonError] = []

    def problem(reason: str, line: int) -> None:
        problems.append(LessonError(reason, line=line, source=lesson.file or lesson.source))

    for step in lesson.steps:
        try:
            ev.outcome(step.index)
        except InputError as err:
            problem(f"step {step.title!r} cannot run: {err}", step.line)
            continue
        for check in step.checks:
            q = check.quantity
            label = describe_quantity(q)
            try:
                value = ev.value(step.index, q)
            except (Unanswerable, InputError) as err:
                results.append(CheckResult(step, check, False, None, str(err)))
                problem(f"check of {label}: {err}", check.line)
                continue
            ok = check_passes(check, value)
            stated = check.shown if check.shown is not None else fmt(check.value)
            message = "" if ok else f"check of {label}: the text says {stated}, the core " \
                                    f"gives {_exact(value)}"
            results.append(CheckResult(step, check, ok, value, message))
            if not ok:
                problem(message, check.line)
        if step.prediction is not None:
            target = step.prediction.target
            try:
                ev.value(step.index, target)
            except (Unanswerable, InputError) as err:
                problem(f"the prediction has no answer: {err}", step.prediction.line)
    return Report(tuple(results), tuple(problems))


def _exact(value: float | int | str) -> str:
    if isinstance(value, float):
        return repr(value)
    return str(value)


# --------------------------------------------------------------------------------------------
# Numbers in the texts
# --------------------------------------------------------------------------------------------

_EXPR_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _config_numbers(p: StepPlan) -> set[float]:
    c = p.config
    out = {float(c.lr), float(c.epochs), float(c.tol)}  # type: ignore[arg-type]
    out.update(abs(float(v)) for v in c.start_params())
    if c.optimizer in ("momentum", "nesterov"):
        out.add(float(c.momentum))
    problem = c.problem
    spec = getattr(problem, "synthetic_spec", None)
    if spec is not None:
        out.update(abs(float(v)) for v in (spec.n, spec.seed, spec.noise, spec.slope,
                                           spec.intercept, spec.x_low, spec.x_high))
    text = getattr(problem, "text", "")
    out.update(float(m) for m in _EXPR_NUMBER.findall(text))
    if p.race is not None:
        out.update(float(lane.lr) for lane in p.race.lanes)
    return out


def _quantity_numbers(q: Quantity) -> set[float]:
    out: set[float] = set()
    for v in (q.epoch, q.distance, q.lane):
        if v is not None:
            out.add(float(v))
    for _, v in q.overrides:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out.add(abs(float(v)))
        elif isinstance(v, tuple):
            out.update(abs(float(x)) for x in v)
    return out


def unchecked_numbers(lesson: Lesson) -> list[tuple[int, str]]:
    """(step index, number as written) for each number in a step's texts that nothing
    accounts for: not shown by one of its checks or one of an earlier step, not a setup
    value of this step or one before (start, rate, epochs, the expression's constants, a
    race's rates), not a parameter of its checks or prediction, and not 0, 1 or 2. The
    intro's numbers (step 0) must be setup values of some step."""
    plans = plan(lesson)
    known: set[float] = set(FORMULA_CONSTANTS)
    out: list[tuple[int, str]] = []
    # the intro may preview any step's settings
    preview = set(known).union(*(_config_numbers(p) for p in plans))
    for token in number_tokens(lesson.intro):
        try:
            v = abs(read_number(token))
        except ValueError:
            v = math.nan
        if not any(math.isclose(v, a, rel_tol=1e-12, abs_tol=0.0) for a in preview):
            out.append((0, token))
    for p in plans:
        known |= _config_numbers(p)
        step = p.step
        allowed = set(known)
        shown: set[str] = set()
        quantities = [c.quantity for c in step.checks]
        for c in step.checks:
            if c.shown is not None:
                shown.add(c.shown)
            if isinstance(c.value, float):
                allowed.add(abs(c.value))
        if step.prediction is not None:
            quantities.append(step.prediction.target)
            for limit in (step.prediction.tolerance, step.prediction.relative):
                if limit is not None:
                    allowed.add(float(limit))
        for q in quantities:
            allowed |= _quantity_numbers(q)
        for text in (step.text, step.after):
            for token in number_tokens(text):
                if token in shown:
                    continue
                try:
                    v = abs(read_number(token))
                except ValueError:
                    out.append((step.index, token))
                    continue
                if not any(math.isclose(v, a, rel_tol=1e-12, abs_tol=0.0) for a in allowed):
                    out.append((step.index, token))
        # what this step's checks verified, later steps may state again
        known |= {abs(c.value) for c in step.checks if isinstance(c.value, float)}
        for q in quantities:
            known |= _quantity_numbers(q)
    return out
