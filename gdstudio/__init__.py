"""Gradient Descent Studio: watch gradient descent work, step by step."""

from __future__ import annotations

__version__ = "0.1.0"
