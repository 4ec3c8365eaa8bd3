"""A run's history as text: CSV, JSON (the CLI's schema) and an aligned table.

CSV and JSON carry every number exactly: the shortest text that reads back as the same number of
the run's dtype (a float32 run's 6.9 is "6.9", not its float64 image 6.90000009537); the table
rounds float64 to 12 significant digits for reading (:mod:`gdstudio.core.numbers`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import numpy as np

from gdstudio.core.descent.loop import History
from gdstudio.core.numbers import exact_text, json_number, readable_text

__all__ = ["columns", "write_csv", "to_csv", "to_json_dict", "to_json", "write_json",
           "json_steps", "write_table", "to_table", "race_columns", "write_race_csv",
           "to_race_csv"]


class TextSink(Protocol):
    """Where text is written: a text file, sys.stdout, a StringIO (anything with write)."""

    def write(self, text: str, /) -> object: ...


def columns(history: History) -> list[str]:
    """Column names: ``epoch,x,loss,grad`` or ``epoch,m,c,loss,grad_m,grad_c``."""
    names = list(history.param_names)
    grads = ["grad"] if len(names) == 1 else [f"grad_{n}" for n in names]
    return ["epoch", *names, "loss", *grads]


def _matrix(history: History) -> np.ndarray:
    return np.column_stack([history.params, history.loss, history.grad])


def _dtype(history: History) -> str:
    return str(getattr(history.config, "dtype", "float64"))


#: Rows formatted at a time: the memory of a write is one block's text, whatever the epochs.
BLOCK_ROWS = 4096


def _blocks(history: History, block: int = BLOCK_ROWS) -> Iterator[tuple[int, list[list[float]]]]:
    """(first epoch, rows as lists of floats) a block at a time, never the whole matrix."""
    n = history.loss.shape[0]
    for start in range(0, n, block):
        stop = min(n, start + block)
        part = np.column_stack([history.params[start:stop], history.loss[start:stop],
                                history.grad[start:stop]])
        yield start, part.tolist()


def _csv_lines(history: History) -> Iterator[str]:
    yield ",".join(columns(history)) + "\n"
    yield from _csv_rows(history)


def _csv_rows(history: History, prefix: str = "") -> Iterator[str]:
    """The rows (no header), a block at a time; each line starts with ``prefix``."""
    dtype = _dtype(history)
    text = repr if dtype == "float64" else (lambda v: exact_text(v, dtype))
    for start, part in _blocks(history):
        yield "".join(
            f"{prefix}{start + i}," + ",".join(map(text, row)) + "\n"
            for i, row in enumerate(part)
        )


def write_csv(history: History, out: TextSink) -> None:
    for chunk in _csv_lines(history):
        out.write(chunk)


def to_csv(history: History) -> str:
    buf = io.StringIO()
    write_csv(history, buf)
    return buf.getvalue()


def race_columns(history: History) -> list[str]:
    """A race's per-epoch CSV columns: ``lane,lr,optimizer`` then a run's (:func:`columns`)."""
    return ["lane", "lr", "optimizer", *columns(history)]


def _race_lines(histories: Sequence[History], labels: Sequence[str]) -> Iterator[str]:
    if len(histories) != len(labels):
        raise ValueError("one label per lane")
    if not histories:
        return
    yield ",".join(race_columns(histories[0])) + "\n"
    for label, history in zip(labels, histories, strict=True):
        config = history.config
        lr = repr(float(config.lr)) if config.lr is not None else ""
        yield from _csv_rows(history, f"{_csv_cell(label)},{lr},{config.optimizer},")


def _csv_cell(text: str) -> str:
    """A CSV text cell: quoted where it holds a comma, a quote or a line break (RFC 4180)."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_race_csv(histories: Sequence[History], labels: Sequence[str],
                   out: TextSink) -> None:
    """Every lane's every epoch, one row each (a "long" table: filter or pivot it by lane):
    ``lane,lr,optimizer,epoch,x,loss,grad``, each number exactly as :func:`write_csv` writes
    it. Streamed a block of rows at a time."""
    for chunk in _race_lines(histories, labels):
        out.write(chunk)


def to_race_csv(histories: Sequence[History], labels: Sequence[str]) -> str:
    buf = io.StringIO()
    write_race_csv(histories, labels, buf)
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


def json_steps(history: History, out: TextSink) -> None:
    """The ``"steps"`` list of :func:`to_json`'s document, written a block of rows at a time
    (the same text as ``json.dumps`` of the whole list, with memory of one block)."""
    names = columns(history)
    dtype = _dtype(history)
    out.write("[")
    for start, part in _blocks(history):
        if dtype != "float64":  # each number with its dtype's digits
            part = [[json_number(v, dtype) for v in row] for row in part]
        rows = [dict(zip(names, [start + i, *row], strict=True)) for i, row in enumerate(part)]
        text = json.dumps(rows, allow_nan=False)[1:-1]
        out.write(text if start == 0 else ", " + text)
    out.write("]")


def write_json(history: History, out: TextSink) -> None:
    """:func:`to_json`'s text (without a final newline), streamed: the rows are never all in
    memory as Python objects or text."""
    head = {"config": history.config.to_dict(), "status": history.status,
            "epochs_run": history.epochs_run}
    out.write(json.dumps(head, allow_nan=False)[:-1] + ', "steps": ')
    json_steps(history, out)
    out.write(', "message": ' + json.dumps(history.message, allow_nan=False) + "}")


def to_json(history: History, indent: int | None = None) -> str:
    if indent is None:
        buf = io.StringIO()
        write_json(history, buf)
        return buf.getvalue()
    return json.dumps(to_json_dict(history), indent=indent, allow_nan=False)


def _table_cells(history: History) -> Iterator[list[list[str]]]:
    dtype = _dtype(history)
    for start, part in _blocks(history):
        yield [[str(start + i)] + [readable_text(v, dtype) for v in row]
               for i, row in enumerate(part)]


def write_table(history: History, out: TextSink, *, footer: list[str] | None = None) -> None:
    """The aligned table, in two passes over the rows (the widths, then the text), a block at
    a time: memory of one block whatever the number of epochs."""
    names = columns(history)
    widths = [len(n) for n in names]
    for cells in _table_cells(history):
        for j in range(len(names)):
            widths[j] = max(widths[j], max(len(r[j]) for r in cells))
    out.write("  ".join(n.rjust(w) for n, w in zip(names, widths, strict=True)) + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for cells in _table_cells(history):
        out.write("".join("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) + "\n"
                          for r in cells))
    out.write(f"\nstatus: {history.status} after {history.epochs_run} epoch"
              f"{'s' if history.epochs_run != 1 else ''}")
    out.write(f" ({history.message})\n" if history.message else "\n")
    for line in footer or []:
        out.write(line + "\n")


def to_table(history: History, footer: list[str] | None = None) -> str:
    buf = io.StringIO()
    write_table(history, buf, footer=footer)
    return buf.getvalue()
