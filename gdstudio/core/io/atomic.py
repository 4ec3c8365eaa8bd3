"""Atomic writes: a file is written next to its target and moved over it once complete.

A failed or cancelled write (no space, no permission, an exception in the writer) leaves the
target as it was and no temporary file behind. Every file gdstudio writes (sessions, history
exports, scripts, pictures) goes through :func:`write_atomic`.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["write_atomic", "write_bytes"]


def _open_temp(folder: Path, name: str) -> tuple[int, Path]:
    """A new file next to the target, created exclusively (mode from the umask, like open())."""
    for _ in range(100):
        tmp = folder / f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(
                tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666
            )
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue
        return fd, tmp
    raise OSError(f"cannot write in {folder}: no temporary file name is free")  # pragma: no cover


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable (POSIX); best effort elsewhere."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def write_atomic(path: str | os.PathLike[str], write: Callable[[Any], object], *,
                 binary: bool = False, newline: str | None = "") -> Path:
    """Call ``write(file)`` on a temporary file next to ``path``, then move it over ``path``.

    Text files are UTF-8 (``newline`` as :func:`open` takes it). Through a symlink the link's
    target is updated; an existing file keeps its permissions. Returns the path written.
    Raises :class:`IsADirectoryError` for a folder and :class:`OSError` for the disk's errors.
    """
    target = Path(os.path.realpath(os.fspath(path)))
    if target.is_dir():
        raise IsADirectoryError(21, "is a folder, not a file", str(target))
    fd, tmp = _open_temp(target.parent, target.name)
    try:
        if binary:
            with os.fdopen(fd, "wb") as fh:
                write(fh)
                fh.flush()
                os.fsync(fh.fileno())
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
                write(fh)
                fh.flush()
                os.fsync(fh.fileno())
        if target.exists():
            try:
                os.chmod(tmp, target.stat().st_mode & 0o7777)
            except OSError:  # pragma: no cover - keep the umask's mode
                pass
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_folder(target.parent)
    return target


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """``data`` written atomically to ``path``."""
    return write_atomic(path, lambda fh: fh.write(data), binary=True)
