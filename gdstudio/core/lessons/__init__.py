"""Guided lessons, Qt-free: read a lesson, set up each step, run it, score the predictions.

The window's lesson panel needs only these names::

    from gdstudio.core import lessons

    lesson = lessons.load_lesson("first-example")        # or a file; LessonError at a line
    plans = lessons.plan(lesson)                          # StepPlan per step: config, race, panels
    p = plans[i]
    # show p.step.title, lessons.to_html(p.step.text) (escaped) or lessons.plain_text(...),
    # set the window up from p.config (and p.race), ask p.step.prediction.ask ...
    config = lessons.prediction_config(p)                 # the run the prediction is about
    outcome = lessons.outcome_of(config)                  # runs the core: off the GUI thread
    verdict = lessons.score(p.step.prediction, answer, outcome)   # Verdict(right, text)
    progress = progress.answered(i, answer, verdict)      # Progress: to_dict() for the session

Modules: :mod:`.model` (the dataclasses and the format's vocabulary), :mod:`.parse` (reading,
validation), :mod:`.build` (setups into RunConfigs, inheritance), :mod:`.outcome` (running,
classifying), :mod:`.scoring` (verdicts), :mod:`.checks` (a lesson's numbers recomputed),
:mod:`.progress`, :mod:`.text` (the safe Markdown subset), :mod:`.shipped` (lessons by name).
"""

from __future__ import annotations

from gdstudio.core.lessons.build import (
    StepPlan,
    default_config,
    lesson_configs,
    plan,
    prediction_config,
    problem_kind,
    quantity_config,
    race_configs,
    step_config,
    step_race,
)
from gdstudio.core.lessons.checks import Report, unchecked_numbers, verify
from gdstudio.core.lessons.errors import LessonError
from gdstudio.core.lessons.model import (
    BEHAVIOUR_TEXT,
    BEHAVIOURS,
    MAX_LESSON_BYTES,
    MAX_LESSON_EPOCHS,
    PANELS,
    PREDICTION_KINDS,
    QUANTITIES,
    Check,
    LaneSetup,
    Lesson,
    Prediction,
    Quantity,
    Setup,
    Step,
)
from gdstudio.core.lessons.outcome import (
    Outcome,
    Unanswerable,
    behaviour_of,
    outcome_from,
    outcome_of,
)
from gdstudio.core.lessons.parse import parse_lesson, read_lesson_file
from gdstudio.core.lessons.progress import Attempt, Progress
from gdstudio.core.lessons.scoring import Verdict, describe_quantity, explain, parse_answer, score
from gdstudio.core.lessons.shipped import load_lesson, shipped_names, shipped_path, shipped_title
from gdstudio.core.lessons.text import Block, Span, blocks, plain_text, read_number, to_html

__all__ = [
    # reading
    "load_lesson", "parse_lesson", "read_lesson_file", "shipped_names", "shipped_path",
    "shipped_title",
    "LessonError",
    # the model
    "Lesson", "Step", "Setup", "LaneSetup", "Prediction", "Quantity", "Check",
    "BEHAVIOURS", "BEHAVIOUR_TEXT", "PREDICTION_KINDS", "QUANTITIES", "PANELS",
    "MAX_LESSON_EPOCHS", "MAX_LESSON_BYTES",
    # setting a step up
    "StepPlan", "plan", "step_config", "step_race", "race_configs", "quantity_config",
    "prediction_config", "lesson_configs", "default_config", "problem_kind",
    # running and scoring
    "Outcome", "Unanswerable", "outcome_of", "outcome_from", "behaviour_of",
    "Verdict", "score", "explain", "describe_quantity", "parse_answer",
    # checking a lesson's numbers
    "verify", "Report", "unchecked_numbers",
    # progress
    "Progress", "Attempt",
    # texts
    "blocks", "plain_text", "to_html", "Block", "Span", "read_number",
]

