"""The window's own state (the ``ui`` part of a session), gathered from the panels that own it.

Each part of the window registers under a key a function that returns its state as JSON values
and one that restores it::

    window.files.ui_state.register("races", panel.state, panel.restore)

``restore`` must accept any dict: missing keys mean "as by default", unknown keys and values of
the wrong type are ignored (a file may come from another version). A part that fails to save or
restore is reported and skipped; the others go on. Keys a file holds that no part claims are
kept and written back on the next save, so a newer version's state survives a round trip
through an older window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["UiState", "get_bool", "get_float", "get_str"]

log = logging.getLogger(__name__)

StateFn = Callable[[], dict[str, Any]]
RestoreFn = Callable[[dict[str, Any]], None]
#: Why a part's state cannot be shown by this window ("" when it can): asked for every part
#: before any is restored, so that opening a file is all or nothing.
RefuseFn = Callable[[dict[str, Any]], str]


class UiState:
    """A registry of named state providers: ``collect()`` → dict, ``restore(dict)``."""

    def __init__(self) -> None:
        self._parts: dict[str, tuple[StateFn, RestoreFn]] = {}
        self._refusers: dict[str, RefuseFn] = {}
        self._unclaimed: dict[str, Any] = {}

    def register(self, key: str, state: StateFn, restore: RestoreFn,
                 refuse: RefuseFn | None = None) -> None:
        """``refuse(state)``: optional; why this window cannot show a part's state."""
        if not key or not isinstance(key, str):
            raise ValueError(f"a state key must be a non-empty string, got {key!r}")
        if key in self._parts:
            raise ValueError(f"the state key {key!r} is already registered")
        self._parts[key] = (state, restore)
        if refuse is not None:
            self._refusers[key] = refuse

    def refusal(self, data: Mapping[str, Any]) -> str:
        """Why the window cannot show ``data`` (the first part that says so), or ``""``;
        nothing is restored."""
        for key, refuse in self._refusers.items():
            value = data.get(key)
            why = refuse(dict(value) if isinstance(value, Mapping) else {})
            if why:
                return f"its {key} state: {why}"
        return ""

    def keys(self) -> list[str]:
        return list(self._parts)

    def collect(self) -> dict[str, Any]:
        """Every part's state (and the unclaimed keys of the last restore)."""
        out: dict[str, Any] = dict(self._unclaimed)
        for key, (state, _restore) in self._parts.items():
            try:
                value = state()
            except Exception:  # noqa: BLE001 - one broken panel must not block a save
                log.exception("the state of %r could not be collected", key)
                continue
            out[key] = value
        return out

    def restore(self, data: Mapping[str, Any]) -> list[str]:
        """Give each part its state (``{}`` if the file has none); returns the keys that failed."""
        failed: list[str] = []
        self._unclaimed = {k: v for k, v in data.items() if k not in self._parts}
        for key, (_state, restore) in self._parts.items():
            value = data.get(key)
            try:
                restore(dict(value) if isinstance(value, Mapping) else {})
            except Exception:  # noqa: BLE001 - restore the rest, report this one
                log.exception("the state of %r could not be restored", key)
                failed.append(key)
        return failed


# --- helpers for restore functions: a value of the right type, or the default ------------------


def get_bool(d: Mapping[str, Any], key: str, default: bool) -> bool:
    value = d.get(key, default)
    return value if isinstance(value, bool) else default


def get_float(d: Mapping[str, Any], key: str, default: float) -> float:
    value = d.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    value = float(value)
    return value if value == value and abs(value) != float("inf") else default


def get_str(d: Mapping[str, Any], key: str, default: str, choices: tuple[str, ...] = ()) -> str:
    value = d.get(key, default)
    if not isinstance(value, str) or (choices and value not in choices):
        return default
    return value
