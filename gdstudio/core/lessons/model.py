"""What a lesson is, once read: frozen dataclasses and the vocabulary of the file format.

A :class:`Lesson` is a title, a name and a sequence of :class:`Step`. A step sets the window up
(:class:`Setup`: only what it changes; the rest is inherited from the step before), shows a
text, may ask the learner to predict what the run will do (:class:`Prediction`), and declares
the numbers its text states (:class:`Check`), which the core recomputes. Every object keeps
the 1-based ``line`` of the file it came from, for messages.

See ``docs/lessons.md`` for the file format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "PROBLEM_KINDS",
    "PANELS",
    "BEHAVIOURS",
    "BEHAVIOUR_TEXT",
    "PREDICTION_KINDS",
    "QUANTITIES",
    "QuantityInfo",
    "MAX_LESSON_EPOCHS",
    "MAX_LESSON_POINTS",
    "MAX_LESSON_LANES",
    "MAX_LESSON_STEPS",
    "MAX_LESSON_BYTES",
    "LaneSetup",
    "Setup",
    "Quantity",
    "Prediction",
    "Check",
    "Step",
    "Lesson",
]

#: What a step can set up: f(x), f(x, y), or a line fitted to data.
PROBLEM_KINDS = ("function", "surface", "regression")

#: The window's panels a step may ask to show (the window maps them to its docks and plots).
PANELS = ("setup", "curve", "landscape", "fit", "loss", "analysis", "history", "race",
          "arithmetic")

#: What a run did, as the learner predicts it (and :func:`~.outcome.behaviour_of` finds it).
BEHAVIOURS = ("converges", "oscillates", "cycles", "diverges")

#: Each behaviour in a sentence (for the choice's buttons and tooltips).
BEHAVIOUR_TEXT = {
    "converges": "converges: approaches the minimum from one side",
    "oscillates": "oscillates: overshoots, jumps from side to side, and still settles",
    "cycles": "cycles: jumps between the same points for ever",
    "diverges": "diverges: runs away from the minimum",
}

#: The kinds of prediction a step can ask for.
PREDICTION_KINDS = ("choice", "number")

#: Bounds on the work one lesson may ask for (a lesson file is someone else's input).
MAX_LESSON_EPOCHS = 100_000
MAX_LESSON_POINTS = 100_000
MAX_LESSON_LANES = 16
MAX_LESSON_STEPS = 200
MAX_LESSON_BYTES = 1 << 20


@dataclass(frozen=True)
class QuantityInfo:
    """What a quantity is: its value type, what it needs, and how a sentence names it."""

    name: str
    #: "number", "integer" or "word"
    type: str
    #: "run" (read from the run's rows) or "theory" (from the analysis of the problem)
    source: str
    #: the problems it applies to (a subset of PROBLEM_KINDS)
    problems: tuple[str, ...]
    #: its parameters: a subset of ("epoch", "distance")
    takes: tuple[str, ...] = ()
    description: str = ""


def _q(name: str, type_: str, source: str, problems: str, takes: tuple[str, ...],
       description: str) -> QuantityInfo:
    kinds = {"f": ("function",), "s": ("surface",), "r": ("regression",)}
    chosen = tuple(k for c in problems for k in kinds[c])
    return QuantityInfo(name, type_, source, chosen, takes, description)


#: Every number (or word) a prediction may ask for and a check may state.
QUANTITIES: dict[str, QuantityInfo] = {
    q.name: q
    for q in (
        _q("x", "number", "run", "fs", ("epoch",), "x at an epoch (default: the last)"),
        _q("y", "number", "run", "s", ("epoch",), "y at an epoch (default: the last)"),
        _q("m", "number", "run", "r", ("epoch",), "the slope m at an epoch (default: the last)"),
        _q("c", "number", "run", "r", ("epoch",),
           "the intercept c at an epoch (default: the last)"),
        _q("loss", "number", "run", "fsr", ("epoch",),
           "the loss (f, or the MSE) at an epoch (default: the last)"),
        _q("grad", "number", "run", "fsr", ("epoch",),
           "the gradient at an epoch's parameters: f′(x), or the norm |∇| for two parameters"),
        _q("grad_m", "number", "run", "r", ("epoch",), "d_m, the MSE's slope in m, at an epoch"),
        _q("grad_c", "number", "run", "r", ("epoch",), "d_c, the MSE's slope in c, at an epoch"),
        _q("distance", "number", "run", "fsr", ("epoch",),
           "how far the parameters are from the minimum at an epoch (the largest |p − p*|)"),
        _q("epochs_run", "integer", "run", "fsr", (),
           "how many updates the run made before it stopped"),
        _q("epoch_within", "integer", "run", "fsr", ("distance",),
           "the first epoch whose parameters are all within distance (default 1e-6) of the "
           "minimum the analysis finds"),
        _q("status", "word", "run", "fsr", (),
           "how the run ended: converged, max_epochs, diverged or cycling"),
        _q("behaviour", "word", "run", "fsr", (),
           "what the run did: converges, oscillates, cycles or diverges"),
        _q("critical_lr", "number", "theory", "fsr", (),
           "the critical learning rate 2/f″(x*), or 2/λmax"),
        _q("lambda_max", "number", "theory", "fsr", (),
           "the largest curvature: f″(x*), or the Hessian's largest eigenvalue"),
        _q("lambda_min", "number", "theory", "fsr", (),
           "the smallest curvature: f″(x*), or the Hessian's smallest eigenvalue"),
        _q("condition_number", "number", "theory", "fsr", (), "λmax/λmin"),
        _q("factor", "number", "theory", "fsr", (),
           "1 − r·λmax: what each plain update multiplies the error by (steepest direction)"),
        _q("lr_curvature", "number", "theory", "fsr", (),
           "r·λmax (r·f″ for f(x)): below 1 no overshoot, below 2 convergence"),
        _q("slow_factor", "number", "theory", "fsr", (),
           "1 − r·λmin: the same along the flattest direction"),
        _q("regime", "word", "theory", "fsr", (),
           "plain descent's regime by the analysis: monotone, oscillating, cycling, diverging"),
        _q("optimum_x", "number", "theory", "fs", (), "x* of the minimum descent heads for"),
        _q("optimum_y", "number", "theory", "s", (), "y* of the minimum descent heads for"),
        _q("optimum_m", "number", "theory", "r", (), "the least-squares slope m*"),
        _q("optimum_c", "number", "theory", "r", (), "the least-squares intercept c*"),
        _q("optimum_loss", "number", "theory", "fsr", (), "f(x*), or the least MSE"),
    )
}


@dataclass(frozen=True)
class LaneSetup:
    """One lane of a step's race: its learning rate and optimizer (None: the step's own)."""

    lr: float | None = None
    optimizer: str | None = None
    momentum: float | None = None
    beta1: float | None = None
    beta2: float | None = None
    alpha: float | None = None
    eps: float | None = None
    line: int = 0


@dataclass(frozen=True)
class Setup:
    """What a step sets up. None means "as the step before" (see :func:`~.build.step_config`).

    The names are :class:`~gdstudio.core.descent.config.RunConfig`'s and the CLI's, plus
    ``problem`` (function, surface or regression), the data (``data`` = "synthetic" or the
    name of a bundled CSV file; ``synthetic`` points, ``seed``, ``noise``), ``race`` (lanes of
    this step only: never inherited) and ``panels`` (which panels the window shows).
    """

    problem: str | None = None
    expr: str | None = None
    x0: float | tuple[float, float] | None = None
    m0: float | None = None
    c0: float | None = None
    data: str | None = None
    synthetic: int | None = None
    seed: int | None = None
    noise: float | None = None
    lr: float | None = None
    epochs: int | None = None
    tol: float | None = None
    engine: str | None = None
    dtype: str | None = None
    optimizer: str | None = None
    momentum: float | None = None
    beta1: float | None = None
    beta2: float | None = None
    alpha: float | None = None
    eps: float | None = None
    scale_x: bool | None = None
    stop_on_cycle: bool | None = None
    batch_size: int | None = None
    batch_seed: int | None = None
    race: tuple[LaneSetup, ...] | None = None
    panels: tuple[str, ...] | None = None
    #: (field, 1-based line) of each field the file sets, for messages
    lines: tuple[tuple[str, int], ...] = field(default=(), compare=False, repr=False)

    def given(self) -> dict[str, Any]:
        """The fields this step sets (not None), in declaration order."""
        return {k: v for k, v in self.__dict__.items() if v is not None and k != "lines"}

    def line_of(self, name: str, default: int = 0) -> int:
        """The line of field ``name`` in the file (``default`` if it is not set there)."""
        return dict(self.lines).get(name, default)


@dataclass(frozen=True)
class Quantity:
    """A number (or word) about a run: ``name`` (a key of :data:`QUANTITIES`) and where.

    ``lane`` (1-based) reads it from that lane of the step's race; ``overrides`` are setup
    fields changed for it alone (the file's ``with = {lr = 0.7}``), as (name, value) pairs.
    """

    name: str
    epoch: int | None = None
    distance: float | None = None
    lane: int | None = None
    overrides: tuple[tuple[str, Any], ...] = ()
    line: int = 0
    #: (field, 1-based line) of its fields in the file (quantity, epoch, lane, with, ...)
    lines: tuple[tuple[str, int], ...] = field(default=(), compare=False, repr=False)

    @property
    def info(self) -> QuantityInfo:
        return QUANTITIES[self.name]

    def line_of(self, name: str) -> int:
        """The line of field ``name`` (its own line when the file does not set it)."""
        return dict(self.lines).get(name, self.line)


@dataclass(frozen=True)
class Prediction:
    """What the learner is asked to predict before the run.

    ``kind`` "choice": one of ``options`` (a subset of :data:`BEHAVIOURS`); the truth is the
    run's behaviour (``quantity`` is then "behaviour"). ``kind`` "number": the value of
    ``quantity``; an answer is right within ``tolerance`` (absolute) or ``relative``
    (× |truth|), whichever is wider; with neither, integers must be exact and other numbers
    right to 1e-6 relative. Either may be about a lane of the step's race or a variant of its
    run (``quantity.lane``, ``quantity.overrides``).
    """

    kind: str
    ask: str
    quantity: Quantity
    options: tuple[str, ...] = BEHAVIOURS
    tolerance: float | None = None
    relative: float | None = None
    line: int = 0

    @property
    def target(self) -> Quantity:
        """The quantity whose truth decides the answer (a choice: the run's behaviour)."""
        return self.quantity


@dataclass(frozen=True)
class Check:
    """A number (or word) the step's text states, recomputed by the core.

    ``shown`` is the text as written in the step (it must appear there): the number itself
    ("5.2") or the number in its context ("f(2) = 1", then ``value`` is needed); ``value`` the
    expected value (default: ``shown`` read as a number). With a ``tolerance`` the core's
    number must be within it of ``value``; without, it must round to a ``shown`` number (to
    its decimals, or to its significant digits in e-notation), else equal ``value`` to 1e-9
    relative (integers exactly); words must be equal.
    """

    quantity: Quantity
    value: float | str | None = None
    shown: str | None = None
    tolerance: float | None = None
    line: int = 0


@dataclass(frozen=True)
class Step:
    """One step: set up, read (``text``), maybe predict, run, read on (``after``)."""

    index: int  # 0-based position in the lesson
    title: str
    text: str  # shown before the run (the tiny Markdown subset of :mod:`.text`)
    after: str = ""  # shown once the run is done (the text after "## After the run")
    setup: Setup = field(default_factory=Setup)
    prediction: Prediction | None = None
    checks: tuple[Check, ...] = ()
    line: int = 0  # the line of the step's opening +++


@dataclass(frozen=True)
class Lesson:
    """A whole lesson, validated: every step builds a valid run configuration."""

    name: str
    title: str
    steps: tuple[Step, ...]
    summary: str = ""
    intro: str = ""
    #: what to load it again by: a shipped lesson's name, or the file's path as given
    source: str = ""
    #: the file's name as messages show it ("first-example.md", or the path)
    file: str = ""
    #: a digest of the file's text: progress saved for another version can be told apart
    fingerprint: str = ""
