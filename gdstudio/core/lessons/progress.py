"""A learner's way through a lesson: :class:`Progress`, kept with the session as plain JSON.

The window stores ``progress.to_dict()`` in the session's ``ui`` dict (say under "lesson") and
reads it back with :meth:`Progress.from_dict`, which refuses anything malformed with a
:class:`~gdstudio.core.errors.InputError`. :meth:`Progress.fits` tells whether saved progress
belongs to this version of the lesson (its name and its text's fingerprint).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from gdstudio.core.errors import InputError
from gdstudio.core.lessons.model import Lesson
from gdstudio.core.lessons.scoring import Verdict

__all__ = ["Attempt", "Progress", "PROGRESS_VERSION"]

PROGRESS_VERSION = 1
#: Most attempts kept (the oldest are dropped first).
MAX_ATTEMPTS = 1000


@dataclass(frozen=True)
class Attempt:
    """One answer to a step's prediction, and its verdict."""

    step: int  # 0-based
    answer: float | str
    right: bool
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "answer": self.answer, "right": self.right, "text": self.text}


@dataclass(frozen=True)
class Progress:
    """Where the learner is in ``lesson`` (a name, or a file's path) and what they answered.

    ``step`` is the 0-based current step; ``attempts`` every answer in order (a step may be
    tried again); ``fingerprint`` that of the lesson's text when the progress was made.
    """

    lesson: str
    step: int = 0
    attempts: tuple[Attempt, ...] = ()
    fingerprint: str = ""
    title: str = ""

    @classmethod
    def start(cls, lesson: Lesson) -> Progress:
        """At the first step of ``lesson``, nothing answered yet."""
        return cls(lesson=lesson.source or lesson.name, fingerprint=lesson.fingerprint,
                   title=lesson.title)

    def fits(self, lesson: Lesson) -> bool:
        """Whether this progress was made on this very lesson (same text) and its steps exist."""
        same = self.fingerprint == lesson.fingerprint if self.fingerprint else True
        return same and 0 <= self.step < len(lesson.steps) and all(
            a.step < len(lesson.steps) for a in self.attempts)

    def at(self, step: int) -> Progress:
        """The same progress, at step ``step`` (0-based)."""
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise InputError(f"a step number must be a whole number ≥ 0, got {step!r}")
        return replace(self, step=step)

    def answered(self, step: int, answer: float | str, verdict: Verdict) -> Progress:
        """With the answer ``answer`` to step ``step`` and its ``verdict`` added."""
        attempt = Attempt(step, _answer(answer), bool(verdict.right), str(verdict.text))
        return replace(self, attempts=(*self.attempts, attempt)[-MAX_ATTEMPTS:])

    def last_attempt(self, step: int) -> Attempt | None:
        """The latest answer to step ``step``, if any."""
        for a in reversed(self.attempts):
            if a.step == step:
                return a
        return None

    @property
    def right_steps(self) -> frozenset[int]:
        """The steps whose latest answer was right."""
        latest: dict[int, bool] = {}
        for a in self.attempts:
            latest[a.step] = a.right
        return frozenset(s for s, ok in latest.items() if ok)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (the session's ``ui`` dict keeps them)."""
        return {
            "version": PROGRESS_VERSION,
            "lesson": self.lesson,
            "title": self.title,
            "fingerprint": self.fingerprint,
            "step": self.step,
            "attempts": [a.to_dict() for a in self.attempts],
        }

    @classmethod
    def from_dict(cls, data: Any) -> Progress:
        """The progress :meth:`to_dict` made. Raises InputError for anything else."""
        if not isinstance(data, dict):
            raise InputError(f"lesson progress must be a dict, got {type(data).__name__}")
        version = data.get("version", PROGRESS_VERSION)
        if version != PROGRESS_VERSION:
            raise InputError(f"lesson progress of version {version!r}; this gdstudio reads "
                             f"version {PROGRESS_VERSION}")
        lesson = _field(data, "lesson", str)
        if not lesson:
            raise InputError("lesson progress names no lesson")
        step = _field(data, "step", int, 0)
        if step < 0:
            raise InputError(f"lesson progress: step must be ≥ 0, got {step}")
        raw = _field(data, "attempts", list, [])
        attempts = []
        for i, a in enumerate(raw[-MAX_ATTEMPTS:]):
            if not isinstance(a, dict):
                raise InputError(f"lesson progress: attempt {i + 1} must be a dict")
            s = _field(a, "step", int)
            if s < 0:
                raise InputError(f"lesson progress: attempt {i + 1} has step {s}")
            answer = a.get("answer")
            if isinstance(answer, bool) or not isinstance(answer, (int, float, str)):
                raise InputError(f"lesson progress: attempt {i + 1}'s answer must be a number "
                                 "or a word")
            attempts.append(Attempt(s, _answer(answer), _field(a, "right", bool),
                                    _field(a, "text", str, "")))
        return cls(lesson=lesson, step=step, attempts=tuple(attempts),
                   fingerprint=_field(data, "fingerprint", str, ""),
                   title=_field(data, "title", str, ""))


def _answer(value: float | str) -> float | str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"an answer must be a number or a word, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise InputError(f"an answer must be a finite number, got {value!r}")
    return v


def _field(data: dict[str, Any], key: str, kind: type, default: Any = ...) -> Any:
    if key not in data:
        if default is ...:
            raise InputError(f"lesson progress: {key!r} is missing")
        return default
    value = data[key]
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        raise InputError(f"lesson progress: {key!r} must be a {kind.__name__}, got "
                         f"{type(value).__name__}")
    return value
