"""Opening the files a person gives (data, sessions): regular files only, and short quotes.

:func:`open_regular` refuses, before anything is read, what is not a regular file: a folder,
a pipe (FIFO, ``/dev/stdin`` from a pipe), a device (``/dev/zero``), a socket. A FIFO is
opened without waiting for a writer, so a refusal never blocks. :func:`quote` bounds what a
message shows of a file's content (a line, a cell), whatever its length.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

__all__ = ["FileRefused", "open_regular", "quote", "QUOTE_CHARS"]

#: The most characters of a file's content that a message quotes.
QUOTE_CHARS = 80


class FileRefused(Exception):
    """A path that cannot be opened as a regular file; the message is the reason (no path)."""


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if stat.S_ISFIFO(mode):
        return ("is a pipe, not a regular file (save what it carries to a file and open "
                "that)")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is not a regular file"  # pragma: no cover - no other kinds on POSIX


def _reason(err: OSError) -> str:
    if isinstance(err, FileNotFoundError):
        return "file not found"
    if isinstance(err, PermissionError):
        return "permission denied"
    if isinstance(err, NotADirectoryError):
        return "file not found (a part of the path is not a folder)"
    return f"cannot be read ({err.strerror or err})"


def open_regular(path: str | os.PathLike[str]) -> tuple[BinaryIO, int]:
    """``path`` opened for reading in binary, and its size in bytes.

    Raises :class:`FileRefused` (the reason, without the path) for a missing or unreadable
    file and for anything that is not a regular file. Nothing blocks: a FIFO is refused by its
    type, and the file is opened non-blocking, then checked again (the path may have changed
    in between), then switched back to blocking reads.
    """
    try:
        info = os.stat(path)
    except (OSError, ValueError) as err:
        raise FileRefused(_reason(err) if isinstance(err, OSError)
                          else f"cannot be read ({err})") from None
    why = _kind(info.st_mode)
    if why is not None:
        raise FileRefused(why)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise FileRefused(_reason(err)) from None
    try:
        info = os.fstat(fd)
        why = _kind(info.st_mode)
        if why is not None:
            raise FileRefused(why)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        fh = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    return fh, int(info.st_size)


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """``repr(text)``, cut to about ``limit`` characters (with "…" and the full length)."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text):,} characters)"
