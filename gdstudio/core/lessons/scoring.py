"""Scoring a prediction against what the run did: :func:`score` → :class:`Verdict`.

The truth is never the lesson's: it is the :class:`~.outcome.Outcome` of actually running the
core. The verdict's text is one sentence: right or how far off, and why, from the analysis
where it applies (plain descent: r·f″ against 1 and 2) and from the run's own stop reason
otherwise. Scoring is cheap (no run, no SymPy): the window may call it on its GUI thread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from gdstudio.core.analysis import classify, rate_times_curvature
from gdstudio.core.errors import InputError
from gdstudio.core.lessons.model import BEHAVIOURS, Prediction, Quantity
from gdstudio.core.lessons.outcome import Outcome, Unanswerable, fmt
from gdstudio.core.lessons.text import read_number

__all__ = ["Verdict", "score", "explain", "describe_quantity", "parse_answer", "accepts",
           "DEFAULT_RELATIVE"]

#: How close a number must be when the lesson gives no tolerance (× |truth|).
DEFAULT_RELATIVE = 1e-6


@dataclass(frozen=True)
class Verdict:
    """Whether the learner's prediction was right, and one sentence saying so and why."""

    right: bool
    text: str
    #: what the run gave (a number, or a behaviour); None when it gave nothing to compare
    truth: float | int | str | None = None


def parse_answer(prediction: Prediction, text: str) -> float | str:
    """The learner's typed or chosen answer as :func:`score` takes it.

    Raises
    ------
    InputError
        with a reason to show beside the field ("type a number, like 4.56").
    """
    if prediction.kind == "choice":
        answer = str(text).strip().lower()
        if answer not in prediction.options:
            raise InputError(f"choose one of {', '.join(prediction.options)}")
        return answer
    try:
        return read_number(text)
    except ValueError as err:
        raise InputError(str(err)) from None


def accepts(prediction: Prediction, truth: float, answer: float) -> bool:
    """Whether ``answer`` is close enough to ``truth`` for ``prediction``."""
    if not (math.isfinite(answer) and math.isfinite(truth)):
        return answer == truth
    tol = _tolerance(prediction, truth)
    return abs(answer - truth) <= tol * (1 + 1e-12) + 1e-15 * abs(truth)


def _tolerance(prediction: Prediction, truth: float) -> float:
    if prediction.tolerance is None and prediction.relative is None:
        if prediction.quantity.info.type == "integer":
            return 0.0
        return DEFAULT_RELATIVE * abs(truth)
    return max(prediction.tolerance or 0.0, (prediction.relative or 0.0) * abs(truth))


def score(prediction: Prediction, answer: float | str, outcome: Outcome) -> Verdict:
    """Compare the learner's ``answer`` to what the run (``outcome``) did.

    ``outcome`` must be the run the prediction is about (the step's, or its lane's: see
    :func:`~.build.quantity_config`). A choice compares the run's behaviour; a number the
    quantity's value, within the prediction's tolerance.
    """
    if prediction.kind == "choice":
        return _score_choice(prediction, str(answer).strip().lower(), outcome)
    q = prediction.quantity
    try:
        value = float(answer)
    except (TypeError, ValueError):
        try:
            value = read_number(str(answer))
        except ValueError as err:
            return Verdict(False, f"That is not a number: {err}.")
    label = describe_quantity(q, outcome)
    try:
        truth = outcome.value(q.name, epoch=q.epoch, distance=q.distance)
    except Unanswerable as err:
        return Verdict(False, f"There is no {label} to compare with: {err}.")
    assert not isinstance(truth, str)
    why = _why_number(q, outcome)
    tail = f"; {why}" if why else ""
    if accepts(prediction, float(truth), value):
        close = "" if value == truth else f" (you said {fmt(value)})"
        return Verdict(True, f"Right: {label} is {fmt(truth)}{close}{tail}.", truth)
    off = abs(value - float(truth))
    return Verdict(False, f"Off by {fmt(off)}: {label} is {fmt(truth)}, you said "
                          f"{fmt(value)}{tail}.", truth)


def _score_choice(prediction: Prediction, answer: str, outcome: Outcome) -> Verdict:
    truth = outcome.behaviour
    why = explain(outcome)
    if answer not in BEHAVIOURS:
        return Verdict(False, f"Choose one of {', '.join(prediction.options)}: the run "
                              f"{truth}, since {why}.", truth)
    if answer == truth:
        return Verdict(True, f"Right: it {truth}, since {why}.", truth)
    return Verdict(False, f"Not this time: it {truth} (you said it {answer}), since {why}.",
                   truth)


def describe_quantity(q: Quantity, outcome: Outcome | None = None) -> str:
    """How a sentence names ``q``: "x after 3 epochs", "the critical learning rate 2/f″"."""
    h = "f″(x*)" if outcome is None or outcome.curvature_name == "f″" else "λmax"
    epoch = "at the end" if q.epoch is None else (
        "at the start" if q.epoch == 0 else f"after {q.epoch} epoch{'s' if q.epoch != 1 else ''}")
    lane = f" (lane {q.lane})" if q.lane is not None else ""
    d = fmt(q.distance if q.distance is not None else 1e-6)
    names = {
        "loss": f"the loss {epoch}",
        "epochs_run": "the number of epochs run",
        "distance": f"the distance to the minimum {epoch}",
        "epoch_within": f"the first epoch within {d} of the minimum",
        "status": "how the run ended",
        "behaviour": "what the run did",
        "critical_lr": f"the critical learning rate 2/{h}",
        "lambda_max": "f″(x*)" if h == "f″(x*)" else "λmax",
        "lambda_min": "f″(x*)" if h == "f″(x*)" else "λmin",
        "condition_number": "the condition number λmax/λmin",
        "factor": f"1 − r·{h}",
        "slow_factor": "1 − r·λmin",
        "lr_curvature": f"r·{h.removesuffix('(x*)')}",
        "grad": f"the gradient {epoch}",
        "grad_m": f"d_m {epoch}",
        "grad_c": f"d_c {epoch}",
        "regime": "the regime",
        "optimum_loss": "the loss at the minimum",
    }
    if q.name in names:
        text = names[q.name]
    elif q.name.startswith("optimum_"):
        text = q.name.removeprefix("optimum_") + "*"
    else:
        text = f"{q.name} {epoch}"
    return text + lane


def explain(outcome: Outcome) -> str:
    """Why the run did what it did, as a clause: from the analysis for plain descent near a
    minimum it knows, else from the run's own stop reason."""
    regime = outcome.regime
    curv = outcome.curvatures
    # (a regime from the path, not the local theory, has no factor: its words say why)
    local = regime is not None and regime.kind != "unknown" and not math.isnan(regime.factor)
    if regime is not None and curv is not None and local and curv[1] > 0:
        return _why_plain(outcome, curv)
    if regime is not None and curv is not None and local and outcome.plain:
        return f"{regime.description}; the run {_run_says(outcome)}"  # a flat minimum
    if regime is not None and outcome.plain and not local:
        return f"{regime.description}; the run {_run_says(outcome)}"
    if outcome.config.optimizer == "momentum" and not outcome.config.batch_size and curv:
        return _why_momentum(outcome, curv)
    if not outcome.plain:
        from gdstudio.core.race.lanes import OPTIMIZER_NAMES

        name = OPTIMIZER_NAMES.get(outcome.config.optimizer, outcome.config.optimizer)
        return (f"{name.lower()} carries more than the gradient from step to step, so r < 2/"
                f"{outcome.curvature_name} alone does not decide; the run "
                f"{_run_says(outcome)}")
    if regime is not None and regime.kind == "unknown":
        return f"{regime.description}; the run {_run_says(outcome)}"
    return f"the run {_run_says(outcome)}"


def _run_says(outcome: Outcome) -> str:
    msg = outcome.message.strip().rstrip(".")
    if outcome.status == "max_epochs":
        return f"made all its {outcome.epochs_run} epochs"
    return msg or f"ended {outcome.status} after {outcome.epochs_run} epochs"


def _why_plain(outcome: Outcome, curv: tuple[float, float]) -> str:
    lr = float(outcome.config.lr)  # type: ignore[arg-type]
    lam_min, lam_max = curv
    h = outcome.curvature_name
    exact = rate_times_curvature(lr, lam_max)  # compared with 1 and 2 exactly, as classify
    rh = float(exact)
    q = float(1 - exact)
    star = _target_text(outcome)
    shown, lr_shown, h_shown = fmt6(rh), fmt6(lr), fmt6(lam_max)
    if float(shown) != rh and float(shown) in (1.0, 2.0):
        # 2.0000000002 is not "2", nor is its rate "1"
        shown, lr_shown, h_shown = repr(rh), repr(float(lr)), repr(float(lam_max))
    said = f"r·{h} = {lr_shown}·{h_shown} = {shown}"
    if exact == 2:
        text = (f"{said}, so 1 − r·{h} = −1: each step lands as far on the other side of "
                f"{star} as it started, and it jumps between two points for ever")
    elif classify(lr, lam_max).kind == "critical":
        text = (f"{said}, within rounding of 2 but not 2: 1 − r·{h} = {q!r}, so the error "
                "would change by less than float64 can carry each epoch, and the run's "
                "rounding decides what it does")
    elif exact > 2:
        text = (f"{said} > 2, so |1 − r·{h}| = {_factor(abs(q))} > 1: each step overshoots "
                f"{star} by more than it corrects")
    elif exact == 1:
        text = f"{said}: the first step lands on {star}"
    elif exact > 1:
        text = (f"{said} > 1, so each step overshoots {star}, but |1 − r·{h}| = "
                f"{_factor(abs(q))} < 1, so it still converges")
    else:
        along = "the distance" if h == "f″" else "the steepest direction"
        text = (f"{said} < 1: each step covers a part of the way to {star} and never "
                f"overshoots ({along} × {_factor(q)} per epoch)")
    if h == "λmax" and rh < 2.0 and lam_min > 0 and lam_max / lam_min > 10:
        text += (f"; the flattest direction (λmin = {fmt6(lam_min)}) shrinks only × "
                 f"{fmt6(1.0 - lr * lam_min)} per epoch")
    return text


def momentum_factor(lr: float, curvature: float, momentum: float) -> float:
    """How much heavy-ball momentum (PyTorch's SGD: v ← μ·v + g, p ← p − r·v) shrinks the
    distance per epoch along a direction of curvature λ, in the long run: the largest |z| of
    z² − (1 + μ − r·λ)·z + μ = 0."""
    b = 1.0 + momentum - lr * curvature
    disc = b * b - 4.0 * momentum
    if disc < 0:
        return math.sqrt(momentum)
    root = math.sqrt(disc)
    return max(abs(b + root), abs(b - root)) / 2.0


def _why_momentum(outcome: Outcome, curv: tuple[float, float]) -> str:
    lr = float(outcome.config.lr)  # type: ignore[arg-type]
    mu = float(outcome.config.momentum)
    lam_min, lam_max = curv
    h = outcome.curvature_name
    limit = 2.0 * (1.0 + mu) / lam_max if lam_max > 0 else math.inf
    lr_text, limit_text = fmt6(lr), fmt6(limit)
    if lr_text == limit_text and lr != limit:
        lr_text, limit_text = repr(lr), repr(limit)  # the digits that tell them apart
    head = f"with momentum μ = {fmt6(mu)} the limit is 2·(1 + μ)/{h} = {limit_text}"
    # compared exactly (r·λ with 2·(1 + μ), as rationals), as classify compares r·h with 2
    rl, bound = rate_times_curvature(lr, lam_max), 2 * (1 + Fraction(mu))
    if lam_max > 0 and rl == bound:
        return (f"{head}, and r = {lr_text} is exactly on it: the jumps neither grow nor "
                "shrink")
    if lam_max > 0 and abs(float(rl - bound)) <= 8 * 2.0**-52 * float(bound):
        return (f"{head}, and r = {lr_text} is within rounding of it: the jumps would grow or "
                "shrink by less than float64 can carry, so rounding decides")
    if lam_max > 0 and rl > bound:
        return f"{head}, and r = {lr_text} is not below it: the jumps grow"
    rho = max(momentum_factor(lr, lam, mu) for lam in {lam_min, lam_max})
    return (f"{head}, above r = {lr_text}: the velocity damps the overshoots, and in the long "
            f"run the distance shrinks × {_factor(rho)} per epoch (its slowest direction)")


def _target_text(outcome: Outcome) -> str:
    names = outcome.history.param_names
    if outcome.target is None or len(names) != 1:
        return "the minimum"
    return f"{names[0]}* = {fmt6(outcome.target[0])}"


def _factor(q: float) -> str:
    """A factor per epoch in 6 digits, or all it needs where 6 would round it to 1 or 0."""
    shown = fmt6(q)
    return repr(q) if float(shown) in (0.0, 1.0) and float(shown) != q else shown


def fmt6(value: float) -> str:
    """The numbers of an explanation: 6 significant digits (the verdict's own are exact)."""
    return fmt(value, 6)


def _why_number(q: Quantity, outcome: Outcome) -> str:
    """The clause after a number's verdict."""
    name = q.name
    h = outcome.curvature_name
    try:
        if name == "critical_lr":
            lam = outcome.value("lambda_max")
            return f"2/{h} = 2/{fmt(lam)}"
        if name == "condition_number":
            return (f"λmax/λmin = {fmt(outcome.value('lambda_max'))}/"
                    f"{fmt(outcome.value('lambda_min'))}")
        if name == "factor":
            return f"r = {fmt(outcome.config.lr)}, {h} = {fmt(outcome.value('lambda_max'))}"
        if name.startswith("optimum_") or name.startswith("lambda_"):
            return ""
        if name == "epochs_run":
            return f"the run {_run_says(outcome)}"
    except Unanswerable:
        return ""
    if outcome.regime is not None and outcome.curvatures is not None:
        return _why_plain(outcome, outcome.curvatures)
    return explain(outcome) if name == "epoch_within" else ""
