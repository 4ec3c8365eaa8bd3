"""The lesson open in the window, Qt-free: its steps' plans, where the learner is, what they
answered (:class:`LessonState`). The lesson panel shows it; the lesson controller
(:mod:`gdstudio.ui.window.lessons`) changes it; a session keeps it (:meth:`LessonState.to_dict`
under ``ui["lesson"]``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gdstudio.core import InputError
from gdstudio.core.lessons import (
    Attempt,
    Lesson,
    Progress,
    StepPlan,
    Verdict,
    plan,
)
from gdstudio.core.lessons.model import Step

__all__ = ["LessonState"]


class LessonState:
    """A lesson, its :class:`~gdstudio.core.lessons.StepPlan` per step, and the learner's
    :class:`~gdstudio.core.lessons.Progress` (the current step, every answer and verdict)."""

    def __init__(self, lesson: Lesson, progress: Progress | None = None) -> None:
        self.lesson = lesson
        self.plans: tuple[StepPlan, ...] = plan(lesson)  # LessonError if a step cannot be built
        if progress is None or not progress.fits(lesson):
            progress = Progress.start(lesson)
        self.progress = progress

    @property
    def index(self) -> int:
        """The current step, 0-based."""
        return self.progress.step

    @property
    def count(self) -> int:
        return len(self.lesson.steps)

    @property
    def step(self) -> Step:
        return self.lesson.steps[self.index]

    @property
    def plan(self) -> StepPlan:
        return self.plans[self.index]

    def go(self, index: int) -> StepPlan:
        """Make step ``index`` (clamped to the lesson) the current one; its plan."""
        self.progress = self.progress.at(max(0, min(int(index), self.count - 1)))
        return self.plan

    def answered(self, answer: float | str, verdict: Verdict) -> None:
        """The learner answered the current step's question with ``answer``: ``verdict``."""
        self.progress = self.progress.answered(self.index, answer, verdict)

    def attempt(self, index: int | None = None) -> Attempt | None:
        """The latest answer to step ``index`` (default: the current one)."""
        return self.progress.last_attempt(self.index if index is None else index)

    def score(self) -> tuple[int, int]:
        """(steps with a question whose latest answer is right, steps with a question)."""
        asked = {i for i, s in enumerate(self.lesson.steps) if s.prediction is not None}
        return len(asked & self.progress.right_steps), len(asked)

    def to_dict(self) -> dict[str, Any]:
        """What a session keeps (under ``ui["lesson"]``): the learner's progress, which names
        the lesson to load again (a shipped lesson's name, or the file's path)."""
        return self.progress.to_dict()

    @classmethod
    def from_dict(cls, saved: object, load: Callable[[str], Lesson]) -> LessonState:
        """A state saved with :meth:`to_dict`, its lesson read again with ``load``; progress
        made on another version of the lesson starts it again from its first step.

        Raises
        ------
        InputError
            if ``saved`` is malformed or its lesson cannot be read (a
            :class:`~gdstudio.core.lessons.LessonError` is one).
        """
        progress = Progress.from_dict(saved)
        if len(progress.lesson) > 4096:
            raise InputError("the lesson's name is too long")
        return cls(load(progress.lesson), progress)
