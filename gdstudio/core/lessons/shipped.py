"""The lessons shipped with gdstudio (``resources/lessons/NAME.md``), and loading any lesson by
its name or its file.

From a source checkout the repository's own ``resources/`` is read (a checkout run in place,
or a second work tree beside an editable install of another); from an installed package,
``gdstudio.resources`` (:func:`gdstudio.resource_files.resource_dir`).
"""

from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path

from gdstudio.core.lessons.errors import LessonError
from gdstudio.core.lessons.model import Lesson
from gdstudio.core.lessons.parse import parse_lesson, read_lesson_file, stem
from gdstudio.core.lessons.resources import (
    NAME,
    bundled_data_names,
    bundled_data_path,
    resources_root,
)

__all__ = ["shipped_names", "shipped_path", "shipped_title", "load_lesson", "read_lesson",
           "bundled_data_path",
           "bundled_data_names", "LESSON_SUFFIX"]

LESSON_SUFFIX = ".md"


def _lessons_dir() -> Path:
    return resources_root() / "lessons"


def shipped_names() -> list[str]:
    """The names of the shipped lessons, in their teaching order (``order.txt``), then any
    others alphabetically."""
    folder = _lessons_dir()
    try:
        found = sorted(p.stem for p in folder.glob(f"*{LESSON_SUFFIX}") if p.is_file())
    except OSError:
        return []
    order: list[str] = []
    try:
        listed = (folder / "order.txt").read_text(encoding="utf-8").split()
    except OSError:
        listed = []
    for name in listed:
        if name in found and name not in order:
            order.append(name)
    return order + [n for n in found if n not in order]


def shipped_path(name: str) -> Path | None:
    """The file of the shipped lesson ``name``, or None."""
    if not NAME.match(name):
        return None
    path = _lessons_dir() / f"{name}{LESSON_SUFFIX}"
    return path if path.is_file() else None


def _looks_like_path(text: str) -> bool:
    return os.sep in text or "/" in text or (os.altsep or "/") in text or bool(Path(text).suffix)


def read_lesson(name_or_path: str | os.PathLike[str]) -> tuple[str, str, str]:
    """(text, the file's name for messages, default lesson name) of a shipped lesson's name
    or of a lesson file.

    A plain name (no folder, no suffix) is a shipped lesson; anything else is a file.
    """
    text = os.fspath(name_or_path)
    if not text.strip():
        raise LessonError("no lesson given: a shipped lesson's name or a lesson file",
                          source="lesson")
    if not _looks_like_path(text):
        path = shipped_path(text)
        if path is not None:
            shown = f"{text}{LESSON_SUFFIX}"
            return read_lesson_file(path, source=shown), shown, text
        if not Path(text).exists():
            names = ", ".join(shipped_names()) or "none"
            raise LessonError(f"no shipped lesson of that name and no such file (shipped: "
                              f"{names})", source=text)
    return read_lesson_file(text), text, stem(text)


def load_lesson(name_or_path: str | os.PathLike[str]) -> Lesson:
    """A shipped lesson by name (``"first-example"``) or a lesson file, read and validated.

    Raises
    ------
    LessonError
        naming the file, the line and the reason.
    """
    text, shown, name = read_lesson(name_or_path)
    lesson = parse_lesson(text, source=shown, name=name)
    # what to load it again by (the window keeps it with the progress)
    return dataclasses.replace(lesson, source=os.fspath(name_or_path))


def shipped_title(name: str) -> str:
    """The title of the shipped lesson ``name``, read once per version of its file (the
    Lessons menu asks for every title each time it is built or opened).

    Raises
    ------
    LessonError
        when there is no such lesson or it is not valid.
    """
    path = shipped_path(name)
    if path is None:
        raise LessonError("no shipped lesson of that name", source=name)
    try:
        stat = path.stat()
    except OSError as err:
        raise LessonError(f"cannot be read: {err.strerror or err}", source=name) from None
    return _title(name, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _title(name: str, _mtime_ns: int, _size: int) -> str:
    return load_lesson(name).title
