"""Error types raised by the core for input a person can fix.

Every error here carries a message meant for a person (the CLI prints it on one line, the
window shows it beside the field). Anything else escaping the core is a bug.
"""

from __future__ import annotations

__all__ = [
    "InputError", "ExpressionError", "DataError", "BadRowError", "DeviceError", "ConfigError",
]


class InputError(ValueError):
    """Base class: bad input (an expression, a number, a file, a device)."""


class ExpressionError(InputError):
    """A typed f(x) that cannot be accepted; the message names the offending part."""

    def __init__(self, message: str, *, position: int | None = None) -> None:
        super().__init__(message)
        #: 0-based character offset of the offending part in the text, when known
        self.position = position


class DataError(InputError):
    """A data file or data array that cannot be used; the message names file and line."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        #: 1-based line number in the file, when the error is tied to one line
        self.line = line


class BadRowError(DataError):
    """A data row that cannot be read as numbers: a cell that is not a finite number, an
    empty cell, or the wrong number of fields. Reading the file again with
    ``skip_bad_rows=True`` skips such rows (and counts them); any other :class:`DataError`
    (an unreadable file, binary content, no data at all) is about the whole file."""


class DeviceError(InputError):
    """A torch device that this machine does not have."""


class ConfigError(InputError):
    """A run setting out of range (learning rate, epochs, start point, ...)."""
