"""The status line's words: where the run is, or how it ended; a race's tally; a past epoch.

One function, :func:`status_line`, reads the :class:`~.run_model.RunModel` and returns the text
and its colour; the window only shows them. No Qt here.
"""

from __future__ import annotations

from gdstudio.core.descent.rules import grad_norm
from gdstudio.ui.model.formatting import number
from gdstudio.ui.model.run_data import RunData
from gdstudio.ui.model.run_model import RunModel

__all__ = ["status_line", "STATUS_COLOURS", "ERROR_COLOUR", "VIEWING_COLOUR"]

#: The colour of a finished run's status, by how it ended.
STATUS_COLOURS = {"diverged": "#c62828", "converged": "#2e7d32", "cycling": "#6a1b9a"}
ERROR_COLOUR = "#c62828"
#: A past epoch looked at with the history slider.
VIEWING_COLOUR = "#37474f"
_STATUS_NAMES = {"max_epochs": "at the epoch limit"}


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _dtype(data: RunData) -> str:
    """The run's dtype: a float32 run's numbers are shown from float32's own digits."""
    return str(data.config.dtype) if data.config is not None else "float64"


def _where(data: RunData) -> str:
    return ", ".join(f"{name} = {number(float(v), 6, _dtype(data))}"
                     for name, v in zip(data.param_names, data.params[-1], strict=True))


def _point(data: RunData) -> str:
    return (f"{_where(data)}  ·  loss {number(float(data.loss[-1]), 8, _dtype(data))}  ·  "
            f"|gradient| {number(grad_norm(data.grad[-1]), 4)}")


def status_line(model: RunModel, *, message_shown: bool = False) -> tuple[str, str]:
    """(text, colour) of the status line; ``message_shown``: the message bar above the plots
    says why no run could start."""
    if model.racing and model.run.n:
        return _race_line(model)
    if model.epoch is not None and model.run.n:
        return _viewing_line(model)
    return _run_line(model, message_shown)


def _run_line(model: RunModel, message_shown: bool) -> tuple[str, str]:
    data, state = model.run, model.state
    if data.n == 0:
        if state == "error":
            return "The run stopped on an internal error; press Reset", ""
        if state == "empty" and not message_shown:
            return "Preparing the run…", ""
        return "No run: fix the input shown above", ""
    planned = data.planned_epochs
    if data.finished:
        text = (f"{_capitalised(data.message or data.status)}  ·  {_where(data)}  ·  "
                f"loss {number(float(data.loss[-1]), 8, _dtype(data))}")
        return text, STATUS_COLOURS.get(data.status, "")
    text = f"Epoch {data.epoch:,} of {planned:,}  ·  {_point(data)}"
    if state == "playing":
        return "Playing  ·  " + text, ""
    if state == "ready":
        return text + "  ·  press Step or Play", ""
    if state == "error":
        return "Stopped by an internal error (press Reset)  ·  " + text, ERROR_COLOUR
    return text, ""


def _viewing_line(model: RunModel) -> tuple[str, str]:
    data = model.run
    view = model.shown_run()
    if data.finished:
        going = f"  ·  the run ended at epoch {data.epoch:,} ({data.status})"
    else:
        going = f"  ·  the run is at epoch {data.epoch:,}"
    text = (f"Viewing epoch {view.epoch:,} of {data.planned_epochs:,}{going}  ·  "
            f"{_point(view)}")
    return text, VIEWING_COLOUR


def _race_line(model: RunModel) -> tuple[str, str]:
    race, spec, at = model.race_data, model.race, model.epoch
    assert spec is not None
    running = sum(race.running(j, at) for j in range(race.K))
    epoch = race.epoch if at is None else min(at, race.epoch)
    if running:
        head = f"Race of {race.K} runs  ·  epoch {epoch:,} of {spec.epochs:,}  ·  {running} running"
    else:
        head = f"Race over at epoch {epoch:,}  ·  " + _tally(model)
    colour = ""
    if model.state == "error":  # its lanes are not running any more
        head = (f"Stopped by an internal error (press Reset)  ·  race of {race.K} runs "
                f"at epoch {epoch:,}")
        colour = ERROR_COLOUR
    if at is not None:
        head = "Viewing  ·  " + head
    lane = spec.label(model.lane)
    if race.running(model.lane, at):
        return f"{head}  ·  {lane}: {_point(model.shown_run())}", colour
    message = race.messages[model.lane] or race.statuses[model.lane]
    return f"{head}  ·  {lane}: {message}", colour


def _tally(model: RunModel) -> str:
    race, at = model.race_data, model.epoch
    counts: dict[str, int] = {}
    for j in range(race.K):
        status = "running" if race.running(j, at) else race.statuses[j]
        counts[status] = counts.get(status, 0) + 1
    return ", ".join(f"{n} {_STATUS_NAMES.get(s, s)}" for s, n in counts.items())
