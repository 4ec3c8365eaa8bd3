"""Typed expressions: safe parsing, printing, SymPy, and compiled numeric functions.

``parse`` (the gates) → ``expression`` (:class:`Expression`) → ``printing`` / ``symbolic``
(source text, derivatives) → ``compile`` (the project's only ``exec``) and ``outform`` (the
race's ufunc kernels).
"""

from __future__ import annotations

from gdstudio.core.expr.expression import Expression, parse_expression
from gdstudio.core.expr.parse import CONSTANTS, FUNCTIONS

__all__ = ["Expression", "parse_expression", "FUNCTIONS", "CONSTANTS"]
