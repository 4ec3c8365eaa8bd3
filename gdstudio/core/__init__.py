"""The Qt-free core: expressions, problems, engines, the descent, analysis, data, export.

Nothing in this package imports Qt (a test proves it), and torch is imported only when the
torch engine is used.
"""

from __future__ import annotations

from gdstudio.core.descent.config import RunConfig
from gdstudio.core.descent.loop import STATUSES, Descent, History, StepBatch, run, steps
from gdstudio.core.errors import ConfigError, DataError, DeviceError, ExpressionError, InputError
from gdstudio.core.expr.expression import Expression, parse_expression
from gdstudio.core.problems import FUNCTION_PRESETS, FunctionProblem, RegressionProblem

__all__ = [
    "FunctionProblem",
    "RegressionProblem",
    "RunConfig",
    "run",
    "steps",
    "Descent",
    "History",
    "StepBatch",
    "STATUSES",
    "Expression",
    "parse_expression",
    "FUNCTION_PRESETS",
    "InputError",
    "ExpressionError",
    "DataError",
    "DeviceError",
    "ConfigError",
]
