"""Races: several runs of one problem side by side, batched.

``lanes`` (what each run is) → ``race`` (:class:`Race`, :func:`run_race`) on ``batched``
engines; ``screen`` and ``kernels`` are its fenced fast paths (``Race(..., fast=False)`` runs
without the kernels).
"""

from __future__ import annotations

from gdstudio.core.race.lanes import SOURCE_LEARNING_RATES, Lane, make_lanes
from gdstudio.core.race.race import Race, RaceBatch, run_race

__all__ = ["Race", "RaceBatch", "Lane", "make_lanes", "run_race", "SOURCE_LEARNING_RATES"]
