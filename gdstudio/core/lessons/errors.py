""":class:`LessonError`: a lesson file that cannot be used, with the line that says why."""

from __future__ import annotations

from gdstudio.core.errors import InputError

__all__ = ["LessonError"]


class LessonError(InputError):
    """A lesson that cannot be used: where (``source``, the 1-based ``line``) and why (``reason``).

    ``str(error)`` is one line, ``"lesson.md:12: unknown field 'lrate' (allowed: ...)"``, or
    ``"lesson.md: is a directory"`` when no line is to blame (the file as a whole).
    """

    def __init__(self, reason: str, *, line: int | None = None, source: str = "") -> None:
        self.reason = " ".join(str(reason).split())  # always one line
        #: 1-based line number in the file, or None for the file as a whole
        self.line = line
        #: the file's name as given (a path, or the shipped lesson's name)
        self.source = source
        super().__init__(self._text())

    def _text(self) -> str:
        where = self.source or "lesson"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.reason}"

    def located(self, source: str) -> LessonError:
        """The same error, said of the file ``source``."""
        return LessonError(self.reason, line=self.line, source=source)
