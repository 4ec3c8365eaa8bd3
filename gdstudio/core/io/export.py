"""A run's history as text: CSV, JSON (the CLI's schema) and an aligned table.

CSV and JSON carry every number exactly: the shortest text that reads back as the same number of
the run's dtype (a float32 run's 6.9 is "6.9", not its float64 image 6.90000009537); the table
rounds float64 to 12 significant digits for reading (:mod:`gdstudio.core.numbers`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any, TextIO

import numpy as np

from gdstudio.core.descent.loop import History
from gdstudio.core.numbers import exact_text, json_number, readable_text

__all__ = ["columns", "write_csv", "to_csv", "to_json_dict", "to_json", "write_table", "to_table"]


def columns(history: History) -> list[str]:
    """Column names: ``epoch,x,loss,grad`` or ``epoch,m,c,loss,grad_m,grad_c``."""
    names = list(history.param_names)
    grads = ["grad"] if len(names) == 1 else [f"grad_{n}" for n in names]
    return ["epoch", *names, "loss", *grads]


def _matrix(history: History) -> np.ndarray:
    return np.column_stack([history.params, history.loss, history.grad])


def _dtype(history: History) -> str:
    return str(getattr(history.config, "dtype", "float64"))


def _csv_lines(history: History, block: int = 20000) -> Iterator[str]:
    yield ",".join(columns(history)) + "\n"
    data = _matrix(history)
    dtype = _dtype(history)
    text = repr if dtype == "float64" else (lambda v: exact_text(v, dtype))
    for start in range(0, data.shape[0], block):
        part = data[start : start + block].tolist()
        yield "".join(
            f"{start + i}," + ",".join(map(text, row)) + "\n" for i, row in enumerate(part)
        )


def write_csv(history: History, out: TextIO) -> None:
    for chunk in _csv_lines(history):
        out.write(chunk)


def to_csv(history: History) -> str:
    buf = io.StringIO()
    write_csv(history, buf)
    return buf.getvalue()


def to_json_dict(history: History) -> dict[str, Any]:
    names = columns(history)
    data = _matrix(history).tolist()
    dtype = _dtype(history)
    if dtype != "float64":
        data = [[json_number(v, dtype) for v in row] for row in data]
    steps = [dict(zip(names, [t, *row], strict=True)) for t, row in enumerate(data)]
    return {
        "config": history.config.to_dict(),
        "status": history.status,
        "epochs_run": history.epochs_run,
        "steps": steps,
        "message": history.message,
    }


def to_json(history: History, indent: int | None = None) -> str:
    return json.dumps(to_json_dict(history), indent=indent, allow_nan=False)


def write_table(history: History, out: TextIO, *, footer: list[str] | None = None) -> None:
    names = columns(history)
    data = _matrix(history)
    dtype = _dtype(history)
    cells = [[str(t)] + [readable_text(v, dtype) for v in row]
             for t, row in enumerate(data.tolist())]
    widths = [max(len(n), *(len(r[j]) for r in cells)) if cells else len(n)
              for j, n in enumerate(names)]
    out.write("  ".join(n.rjust(w) for n, w in zip(names, widths, strict=True)) + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for r in cells:
        out.write("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) + "\n")
    out.write(f"\nstatus: {history.status} after {history.epochs_run} epoch"
              f"{'s' if history.epochs_run != 1 else ''}")
    out.write(f" ({history.message})\n" if history.message else "\n")
    for line in footer or []:
        out.write(line + "\n")


def to_table(history: History, footer: list[str] | None = None) -> str:
    buf = io.StringIO()
    write_table(history, buf, footer=footer)
    return buf.getvalue()
