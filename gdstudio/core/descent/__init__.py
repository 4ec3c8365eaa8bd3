"""One run of gradient descent.

``config`` (:class:`RunConfig`: what a run is) → ``engines`` (who computes the gradient:
``manual`` or ``torch``; ``optimizers``, ``devices``, ``minibatch`` for scaling and mini-batches)
→ ``loop`` (:class:`Descent`, :func:`steps`, :func:`run`: the rows, block by block) with
``rules`` (when a run stops, and why; the overflow-safe |gradient|); a saved run is made again,
its learning-rate changes included, by :meth:`Descent.advance_to`.
"""

from __future__ import annotations

from gdstudio.core.descent.config import RunConfig
from gdstudio.core.descent.loop import STATUSES, Descent, History, StepBatch, run, steps

__all__ = ["RunConfig", "Descent", "History", "StepBatch", "STATUSES", "run", "steps"]
