"""Session files: exact round trips, strict loading, atomic saving, fuzzing, `run --session`."""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gdstudio.cli import main
from gdstudio.core import FunctionProblem, InputError, RegressionProblem, RunConfig, run
from gdstudio.core.descent.loop import Descent
from gdstudio.core.errors import ConfigError
from gdstudio.core.io import session as session_mod
from gdstudio.core.io.export import to_csv, to_json
from gdstudio.core.io.session import (
    FORMAT,
    VERSION,
    Session,
    SessionError,
    dumps_session,
    load_session,
    loads_session,
    save_session,
    session_from_dict,
    session_from_history,
    session_to_dict,
)

QUAD = FunctionProblem("x**2 - 4*x + 5")


def _bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a, dtype=np.float64).tobytes()


def assert_same_config(a: RunConfig, b: RunConfig) -> None:
    for f in dataclasses.fields(RunConfig):
        if f.name == "problem":
            continue
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if isinstance(va, (list, tuple)):
            assert list(va) == list(vb), f.name
        else:
            assert va == vb and type(va) is type(vb), (f.name, va, vb)
    pa, pb = a.problem, b.problem
    assert type(pa) is type(pb)
    if isinstance(pa, FunctionProblem):
        assert (pa.text, pa.variables, pa.preset_key, pa.name) == (
            pb.text,
            pb.variables,
            pb.preset_key,
            pb.name,
        )
        assert (pa.default_lr, pa.x_range, pa.y_range, pa.default_epochs) == (
            pb.default_lr,
            pb.x_range,
            pb.y_range,
            pb.default_epochs,
        )
        assert np.array_equal(pa.start(None), pb.start(None))
    else:
        assert _bits(pa.x) == _bits(pb.x) and _bits(pa.y) == _bits(pb.y)
        assert (pa.source, pa.x_name, pa.y_name, pa.name, pa.synthetic_spec) == (
            pb.source,
            pb.x_name,
            pb.y_name,
            pb.name,
            pb.synthetic_spec,
        )


def assert_same_history(a, b) -> None:
    for name in ("params", "loss", "grad"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape and x.dtype == y.dtype == np.float64, name
        assert _bits(x) == _bits(y), name
    assert (a.status, a.message, a.param_names, a.lr_changes) == (
        b.status,
        b.message,
        b.param_names,
        b.lr_changes,
    )


def _run_with_lr_change(config: RunConfig):
    d = Descent(config)
    d.advance(7)
    d.lr = config.lr / 2  # the window changed the learning rate mid-run
    d.run_to_end()
    return d.history()


UI = {
    "tab": "function",
    "speed": 37,
    "view": {"log_loss": True, "range": [-4.0, 8.5]},
    "note": "é ✓",
    "none": None,
}


# ----------------------------------------------------------------------------------------------
# Round trips
# ----------------------------------------------------------------------------------------------


def test_round_trip_function_every_field_history_and_ui(tmp_path):
    config = RunConfig(
        problem=FunctionProblem("sin(3*x) + 0.1*x**2"),
        x0=3.5,
        lr=0.02,
        epochs=40,
        optimizer="adam",
        tol=1e-9,
        beta1=0.8,
        beta2=0.99,
        eps=1e-7,
        momentum=0.5,
        alpha=0.9,
        stop_on_cycle=True,
    )
    history = _run_with_lr_change(config)
    assert history.lr_changes  # the test covers an lr change
    path = tmp_path / "run.gdstudio"
    save_session(path, Session(config, history, UI))
    loaded = load_session(path)
    assert_same_config(config, loaded.config)
    assert_same_history(history, loaded.history)
    assert loaded.history.config is loaded.config
    assert loaded.ui == UI
    # saving what was loaded writes the same bytes
    again = tmp_path / "again.gdstudio"
    save_session(again, loaded)
    assert again.read_bytes() == path.read_bytes()


@pytest.mark.parametrize(
    "problem",
    [
        RegressionProblem.synthetic(57, seed=3, noise=2.5),
        RegressionProblem(
            np.array([0.1, -0.0, 1e-300, 3.0, 7.25]),
            np.array([1.0, 2.0, 5e150, -4.0, 0.3]),
            source="/data/hand made.csv",
            x_name="hours",
            y_name="score",
        ),
    ],
)
def test_round_trip_regression_with_embedded_data(tmp_path, problem):
    config = RunConfig(
        problem=problem,
        m0=0.5,
        c0=-1.25,
        lr=1e-4,
        epochs=12,
        engine="torch",
        dtype="float32",
        optimizer="momentum",
        momentum=0.7,
    )
    history = run(RunConfig(problem=problem, m0=0.5, c0=-1.25, lr=1e-4, epochs=12))
    session = Session(config, history, {})
    path = tmp_path / "reg.gdstudio"
    save_session(path, session)
    loaded = load_session(path)
    assert_same_config(config, loaded.config)
    assert_same_history(history, loaded.history)
    assert loaded.history.params.shape == (history.epochs_run + 1, 2)
    doc = json.loads(path.read_text("utf-8"))
    assert doc["format"] == FORMAT and doc["version"] == VERSION
    assert doc["problem"]["x"] == problem.x.tolist()  # the data itself, as floats


def test_round_trip_defaults_surface_and_no_history():
    for config in (
        RunConfig(),
        RunConfig(problem=FunctionProblem.preset("rosenbrock"), x0=(-1.5, 2.0)),
        RunConfig(problem=FunctionProblem("x**2 + y**2", variables=("x", "y"))),
    ):
        loaded = loads_session(dumps_session(Session(config)))
        assert_same_config(config, loaded.config)
        assert loaded.history is None and loaded.ui == {}
    assert (
        loads_session(dumps_session(Session(RunConfig()))).config.x0 is None
    )  # default start kept


def test_loaded_config_runs_the_same_history():
    config = RunConfig(problem=QUAD, lr=0.7, epochs=30)
    h = run(config)
    again = run(loads_session(dumps_session(session_from_history(h))).config)
    assert_same_history(h, again)


def test_file_is_readable_json_with_history_by_column():
    h = run(RunConfig(epochs=3))
    doc = json.loads(dumps_session(session_from_history(h, {"tab": "function"})))
    assert list(doc)[:2] == ["format", "version"]
    assert doc["config"]["lr"] == 0.1 and doc["config"]["eps"] is None
    assert doc["history"]["params"] == [[7.0, 6.0, 5.2, 4.5600000000000005]]
    assert doc["history"]["epochs_run"] == 3 and doc["ui"] == {"tab": "function"}
    assert session_to_dict(session_from_history(h))["history"]["loss"][1] == 17.0


# ----------------------------------------------------------------------------------------------
# Refused files: a clear message, and nothing else happens
# ----------------------------------------------------------------------------------------------


def _valid_doc() -> dict:
    h = run(RunConfig(problem=RegressionProblem.synthetic(6), epochs=3))
    return json.loads(dumps_session(session_from_history(h, {"tab": "regression"})))


def _set(doc, path, value):
    *head, last = path
    for key in head:
        doc = doc[key]
    if value is _DELETE:
        del doc[last]
    else:
        doc[last] = value


class _Deleted:
    """The field is removed from the document (a stable repr: test ids are the same in every
    process, as pytest-xdist's workers must collect them)."""

    def __repr__(self) -> str:
        return "<deleted>"


_DELETE = _Deleted()

BAD_DOCS = [
    (("format",), "something-else", "not a gdstudio session"),
    (("format",), _DELETE, "not a gdstudio session"),
    (("version",), 3, "made by a newer gdstudio (version 3); this one reads version 1"),
    (("version",), 0, "unknown session version 0"),
    (("version",), "1", "version must be a whole number"),
    (("config", "lr"), "0.1", "config.lr must be a number, got text"),
    (("config", "lr"), -0.1, "learning rate must be > 0"),
    (("config", "epochs"), 1.5, "config.epochs must be a whole number"),
    (("config", "epochs"), True, "config.epochs must be a whole number"),
    (("config", "stop_on_cycle"), "yes", "config.stop_on_cycle must be true or false"),
    (("config", "optimizer"), "lbfgs", "config.optimizer must be one of"),
    (("config", "device"), "cpu'); import os; ('", "config.device"),
    (("config", "device"), "gpu", "unknown device 'gpu'"),
    (("config", "bogus"), 1, "config.bogus: unknown setting"),
    (("config", "lr"), _DELETE, "config is missing 'lr'"),
    (("problem",), _DELETE, "the document is missing 'problem'"),
    (("problem", "kind"), "neural", "problem.kind must be one of"),
    (("problem", "x"), [1.0, "2", 3.0, 4.0, 5.0, 6.0], "problem.x must hold only numbers"),
    (("problem", "x"), [1.0, 2.0, 3.0], "problem.n is 6 but x has 3 values"),
    (("problem", "y"), "1,2,3", "problem.y must be a list of numbers"),
    (("problem", "n"), 7, "problem.n is 7"),
    (("problem", "synthetic", "n"), 99, "problem.synthetic.n is 99 but the data has 6 points"),
    (("problem", "y", 2), 1e300, "too large"),
    (("history", "status"), "done", "history.status must be one of"),
    (("history", "loss"), [1.0, 2.0], "history.loss has 2 values; epochs_run = 3 needs 4"),
    (("history", "params"), [[0.0, 1.0, 2.0, 3.0]], "history.params must be a list of 2 columns"),
    (("history", "grad", 1), [0.0, 1.0, 2.0], "history.grad[1] has 3 values"),
    (("history", "epochs_run"), -1, "history.epochs_run must be between 0"),
    (("history", "param_names"), ["x"], "history.param_names must be ['m', 'c']"),
    (("history", "lr_changes"), [[9, 0.1]], "history.lr_changes[0][0] must be between 0 and 3"),
    (("history", "lr_changes"), [[1, 0.0]], "learning rate must be > 0"),
    (("history", "message"), 5, "history.message must be text"),
    (("ui",), [1, 2], "ui must be an object"),
    (("ui",), _DELETE, "the document is missing 'ui'"),
]


@pytest.mark.parametrize(
    "path, value, fragment",
    BAD_DOCS,
    ids=[".".join(map(str, b[0])) + f"={b[1]!r}"[:30] for b in BAD_DOCS],
)
def test_bad_documents_are_refused_with_a_message(tmp_path, path, value, fragment):
    doc = _valid_doc()
    _set(doc, path, value)
    file = tmp_path / "bad.gdstudio"
    file.write_text(json.dumps(doc), "utf-8")
    before = file.read_bytes()
    with pytest.raises(SessionError) as info:
        load_session(file)
    assert fragment in str(info.value)
    assert str(info.value).startswith(str(file) + ": ")
    assert "\n" not in str(info.value)
    assert file.read_bytes() == before and os.listdir(tmp_path) == ["bad.gdstudio"]


FUNCTION_BAD = [
    ("expr", "__import__('os').system('echo hacked')", "not allowed"),
    ("expr", "x +", "invalid syntax"),
    ("expr", 42, "problem.expr must be text"),
    ("variables", ["x", "x"], "cannot name a variable"),
    ("variables", ["__class__"], "cannot name a variable"),
    ("variables", ["sin"], "cannot name a variable"),
    ("preset", "nonexistent", "unknown preset"),
    ("x0", [1.0, 2.0], "the start needs 1 value"),
    ("x_range", [5.0, 1.0], "must be increasing"),
]


@pytest.mark.parametrize("key, value, fragment", FUNCTION_BAD)
def test_bad_function_problems_are_refused(key, value, fragment):
    doc = json.loads(dumps_session(Session(RunConfig())))
    doc["problem"][key] = value
    with pytest.raises(SessionError, match="problem") as info:
        session_from_dict(doc)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "the file is empty"),
        ("{", "the file is truncated or not a gdstudio session"),
        (
            "not json at all",
            "the file is truncated or not a gdstudio session: Expecting value at line 1, column 1",
        ),
        ("[1, 2]", "the document must be an object"),
        ('{"format": "gdstudio-session", "version": 1, "x": NaN}', "NaN is not a number"),
        ('{"format": "gdstudio-session", "version": 1, "x": Infinity}', "Infinity is not a number"),
        ('{"format": "gdstudio-session", "version": 1, "x": 1e999}', "too large"),
        ('{"format": "gdstudio-session", "format": "gdstudio-session"}', "appears twice"),
        ("[" * 100_000 + "]" * 100_000, "the file is truncated or not a gdstudio session"),
        ('{"a": 1' + "0" * 5000 + "}", "the file is truncated or not a gdstudio session"),
    ],
)
def test_unparseable_text_is_refused(text, fragment):
    with pytest.raises(SessionError) as info:
        loads_session(text, origin="x.gdstudio")
    assert fragment in str(info.value)


def test_truncated_and_binary_files_are_refused(tmp_path):
    h = run(RunConfig(epochs=20))
    good = dumps_session(session_from_history(h)).encode()
    for cut in (1, len(good) // 3, len(good) // 2, len(good) - 3):
        f = tmp_path / f"cut{cut}.gdstudio"
        f.write_bytes(good[:cut])
        with pytest.raises(SessionError, match="truncated or not a gdstudio session"):
            load_session(f)
    f = tmp_path / "binary.gdstudio"
    f.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    with pytest.raises(SessionError, match="not UTF-8"):
        load_session(f)
    with pytest.raises(SessionError, match="file not found"):
        load_session(tmp_path / "missing.gdstudio")
    with pytest.raises(SessionError, match="is a folder"):
        load_session(tmp_path)


def test_huge_files_are_refused_before_reading(tmp_path, monkeypatch):
    big = tmp_path / "big.gdstudio"
    with open(big, "wb") as fh:  # sparse: no disk used
        fh.truncate(session_mod.MAX_FILE_BYTES + 1)

    def no_open(*args, **kwargs):
        raise AssertionError("the file was opened")

    monkeypatch.setattr(session_mod, "open", no_open, raising=False)
    with pytest.raises(SessionError, match="too large to open"):
        load_session(big)
    monkeypatch.undo()
    # a document with more values than the memory bound allows is refused before parsing
    monkeypatch.setattr(session_mod, "MAX_NUMBERS", 50)
    doc = dumps_session(session_from_history(run(RunConfig(epochs=40))))
    with pytest.raises(SessionError, match="too large to open"):
        loads_session(doc)


def test_arrays_beyond_bounds_are_refused(monkeypatch):
    doc = json.loads(dumps_session(session_from_history(run(RunConfig(epochs=5)))))
    monkeypatch.setattr(session_mod, "MAX_EPOCHS", 3)
    with pytest.raises(SessionError, match="between 0 and 3"):
        session_from_dict(doc)


# ----------------------------------------------------------------------------------------------
# Atomic writes
# ----------------------------------------------------------------------------------------------


def _fail_halfway(fh, pieces, check):
    text = "".join(pieces)
    fh.write(text[: len(text) // 2])
    raise OSError(28, "No space left on device")


def _fail(*args, **kwargs):
    raise OSError(5, "Input/output error")


@pytest.mark.parametrize(
    "target, replacement",
    [
        ("_write_text", _fail_halfway),
        ("os.fsync", _fail),
        ("os.replace", _fail),
    ],
)
def test_a_failed_save_leaves_the_old_file_intact(tmp_path, monkeypatch, target, replacement):
    path = tmp_path / "keep.gdstudio"
    save_session(path, session_from_history(run(RunConfig(epochs=5)), {"v": 1}))
    before = path.read_bytes()
    mode = path.stat().st_mode
    new = session_from_history(run(RunConfig(epochs=500, lr=0.01)), {"v": 2})
    if target == "_write_text":
        monkeypatch.setattr(session_mod, "_write_text", replacement)
        monkeypatch.setattr(session_mod, "_CHUNK_CHARS", 64)
    else:
        monkeypatch.setattr(target, replacement)
    with pytest.raises(OSError):
        save_session(path, new)
    monkeypatch.undo()
    assert path.read_bytes() == before and path.stat().st_mode == mode
    assert os.listdir(tmp_path) == ["keep.gdstudio"]  # no temporary file left behind
    save_session(path, new)  # and a later save works
    assert load_session(path).ui == {"v": 2}


def test_save_writes_in_chunks_and_through_symlinks(tmp_path, monkeypatch):
    monkeypatch.setattr(session_mod, "_CHUNK_CHARS", 7)
    real = tmp_path / "real.gdstudio"
    link = tmp_path / "link.gdstudio"
    session = session_from_history(run(RunConfig(epochs=10)))
    save_session(real, Session(RunConfig()))
    link.symlink_to(real)
    save_session(link, session)
    assert link.is_symlink() and real.read_text("utf-8") == dumps_session(session)
    assert sorted(os.listdir(tmp_path)) == ["link.gdstudio", "real.gdstudio"]


@pytest.mark.parametrize(
    "ui, fragment",
    [
        ({"x": float("nan")}, "only finite numbers"),
        ({"s": {1, 2}}, "must be JSON values"),
        ({1: "a"}, "not text"),
        ({"f": object()}, "must be JSON values"),
    ],
)
def test_unsaveable_ui_is_refused_before_the_disk_is_touched(tmp_path, ui, fragment):
    path = tmp_path / "s.gdstudio"
    save_session(path, Session(RunConfig()))
    before = path.read_bytes()
    with pytest.raises(SessionError, match=fragment):
        save_session(path, Session(RunConfig(), ui=ui))
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["s.gdstudio"]


def test_session_checks_its_parts():
    with pytest.raises(SessionError):
        Session("not a config")  # type: ignore[arg-type]
    with pytest.raises(SessionError):
        Session(RunConfig(), ui=[])  # type: ignore[arg-type]
    assert issubclass(SessionError, InputError)


# ----------------------------------------------------------------------------------------------
# Fuzzing: the loader raises SessionError and nothing else
# ----------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values)
def test_fuzz_random_documents(value):
    for doc in (
        value,
        {"format": FORMAT, "version": 1, **(value if isinstance(value, dict) else {"x": value})},
    ):
        try:
            session_from_dict(doc)
        except SessionError:
            pass


_VALID = json.loads(
    dumps_session(
        session_from_history(
            run(RunConfig(problem=RegressionProblem.synthetic(4), epochs=2, optimizer="adam")),
            {"tab": 1},
        )
    )
)
_VALID_FN = json.loads(dumps_session(session_from_history(run(RunConfig(epochs=2)), {})))


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*prefix, i))


_ALL_PATHS = [p for base in (_VALID, _VALID_FN) for p in _paths(base) if p]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.integers(0, len(_ALL_PATHS) - 1),
    value=json_values,
    delete=st.booleans(),
    fn=st.booleans(),
)
def test_fuzz_one_field_replaced(which, value, delete, fn):
    doc = json.loads(json.dumps(_VALID_FN if fn else _VALID))
    path = _ALL_PATHS[which]
    target = doc
    try:
        for key in path[:-1]:
            target = target[key]
        if delete:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    except (KeyError, IndexError, TypeError):
        return  # the path belongs to the other document
    try:
        session_from_dict(doc)
    except SessionError:
        pass


_VALID_BYTES = dumps_session(
    session_from_history(
        run(RunConfig(problem=FunctionProblem("sin(3*x) + 0.1*x**2"), x0=3.5, lr=0.02, epochs=3)),
        {"a": [1, 2]},
    )
).encode()


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_fuzz_byte_mutations(data):
    raw = bytearray(_VALID_BYTES)
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        i = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        if op == "flip" and raw:
            raw[i] = data.draw(st.integers(0, 255))
        elif op == "delete":
            del raw[i : i + data.draw(st.integers(1, 20))]
        elif op == "insert":
            raw[i:i] = data.draw(
                st.binary(min_size=1, max_size=8)
                | st.sampled_from(
                    [
                        b"NaN",
                        b"1e999",
                        b"-",
                        b"[",
                        b"}",
                        b'"',
                        b"\\u0000",
                        b"9" * 30,
                        b"null",
                        b"true",
                    ]
                )
            )
        else:
            del raw[i:]
    try:
        loads_session(bytes(raw))
    except SessionError:
        pass


# ----------------------------------------------------------------------------------------------
# gdstudio run --session FILE
# ----------------------------------------------------------------------------------------------


def cli(capsys, *args):
    code = main(["run", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_run_session_reproduces_the_saved_run(tmp_path, capsys):
    config = RunConfig(
        problem=RegressionProblem.synthetic(30, seed=4), lr=2e-4, epochs=25, optimizer="momentum"
    )
    history = run(config)
    path = tmp_path / "reg.gdstudio"
    save_session(path, session_from_history(history, {"tab": "regression"}))
    code, out, err = cli(capsys, "--session", str(path), "--format", "csv")
    assert code == 0 and out == to_csv(history) and "status: max_epochs" in err
    code, out, _ = cli(capsys, "--session", str(path), "--format", "json")
    assert code == 0 and out == to_json(history) + "\n"
    code, out, _ = cli(capsys, "--session", str(path))
    assert code == 0 and "regression y = m*x + c" in out and "optimizer momentum" in out


def test_a_run_made_again_is_checked_against_the_saved_rows_by_the_core(tmp_path, capsys):
    """Checking a reopened run against its saved rows is the core's (issue 12 item 4): the
    window and ``gdstudio run --session`` say the same when they differ."""
    config = RunConfig(problem=FunctionProblem("x**2 - 4*x + 5"), x0=7.0, lr=0.1, epochs=30)
    saved = run(config)
    again = run(config)  # the same settings: the same rows, bit for bit
    assert session_mod.rerun_differs(again.params, again.loss, again.grad, "", saved) == ""
    # a paused run (saved at epoch 12) made again to its planned end begins with the saved rows
    short = dataclasses.replace(saved, params=saved.params[:13], loss=saved.loss[:13],
                                grad=saved.grad[:13])
    assert short.epochs_run == 12
    assert session_mod.rerun_differs(again.params, again.loss, again.grad, "", short) == ""
    # a saved row off by 1e-9 (another machine's rounding): said, with the gap
    params = saved.params.copy()
    params[7, 0] += 1e-9
    other = dataclasses.replace(saved, params=params)
    message = session_mod.rerun_differs(again.params, again.loss, again.grad, "", other)
    assert message.startswith("The run, computed again on this machine, differs") \
        and "by up to 1e-09" in message
    # made again, it stops earlier than the saved run did
    message = session_mod.rerun_differs(again.params[:5], again.loss[:5], again.grad[:5],
                                        "diverged", saved)
    assert message == ("The saved run had 30 epochs; computed again here it stops at 4 "
                       "(diverged).")
    # NaN rows equal NaN rows
    nan = np.full_like(saved.params, np.nan)
    nan_run = dataclasses.replace(saved, params=nan)
    assert session_mod.rerun_differs(nan, again.loss, again.grad, "", nan_run) == ""
    # the command line: the same note on stderr, only for the session's own run
    path = tmp_path / "other.gdstudio"
    save_session(path, session_from_history(other))
    code, out, err = cli(capsys, "--session", str(path), "--format", "csv")
    assert code == 0 and out == to_csv(again)
    assert "gdstudio: note: The run, computed again on this machine, differs" in err
    code, out, err = cli(capsys, "--session", str(path), "--epochs", "10", "--format", "csv")
    assert code == 0 and "differs" not in err  # (another run: nothing to compare)
    save_session(path, session_from_history(saved))
    _code, _out, err = cli(capsys, "--session", str(path), "--format", "csv")
    assert "note" not in err


def _plain_descent(x0: float, lr: float, changes, epochs: int) -> list[float]:
    """x ← x − r·(2x − 4) by hand (f = x² − 4x + 5), r changed after the rows in ``changes``
    (several at one row: the last holds)."""
    xs, rate, table = [x0], lr, dict(changes)
    for t in range(epochs):
        rate = table.get(t, rate)
        xs.append(xs[-1] - rate * (2 * xs[-1] - 4))
    return xs


def _live_run_with_lr_changes(config: RunConfig):
    """A run whose learning rate is changed mid-run, the way the window's worker does it: a
    few updates, a new rate, more updates (two changes at one row, one at the start)."""
    d = Descent(config)
    d.lr = 0.2
    d.advance(5)
    d.lr = 0.3
    d.advance(1)
    d.lr = 0.05
    d.lr = 0.7
    d.advance(9)
    d.lr = 0.1
    d.advance(3)
    return d


def _csv_rows(text: str) -> np.ndarray:
    return np.array([[float(v) for v in line.split(",")] for line in text.splitlines()[1:]])


def test_lr_changes_replayed_from_the_start_give_the_run_again():
    config = RunConfig(problem=QUAD, x0=7.0, lr=0.1, epochs=40)
    live = _live_run_with_lr_changes(config).history()
    assert live.lr_changes == ((0, 0.2), (5, 0.3), (6, 0.05), (6, 0.7), (15, 0.1))
    plain = _plain_descent(7.0, 0.1, live.lr_changes, 18)
    assert live.params[:, 0].tolist() == plain  # (an independent computation)
    d = Descent(config).advance_to(18, live.lr_changes)
    replayed = d.history()
    assert _bits(replayed.params) == _bits(live.params)
    assert _bits(replayed.loss) == _bits(live.loss) and _bits(replayed.grad) == _bits(live.grad)
    assert d.lr_changes == live.lr_changes and d.lr == 0.1 and not d.finished
    d.advance_to()  # and it goes on to the end with the rate in force
    whole = run(config, live.lr_changes)
    assert whole.params[:, 0].tolist() == _plain_descent(7.0, 0.1, live.lr_changes, 40)
    assert _bits(d.history().params) == _bits(whole.params) and whole.status == "max_epochs"
    # changes are taken in order of epoch; past the end they are never reached
    late = run(config.with_(epochs=10), [(12, 0.5), (3, 0.3)])
    assert late.params[:, 0].tolist() == _plain_descent(7.0, 0.1, [(3, 0.3)], 10)
    assert late.lr_changes == ((3, 0.3),)


@pytest.mark.parametrize("changes", [[(-1, 0.1)], [(2.5, 0.1)], [(True, 0.1)], [(3, 0.0)],
                                     [(3, float("nan"))], [(3,)], [3]])
def test_bad_lr_changes_are_refused(changes):
    with pytest.raises(ConfigError):
        run(RunConfig(problem=QUAD, epochs=5), changes)


def test_lr_changes_behind_the_run_are_refused():
    d = Descent(RunConfig(problem=QUAD, epochs=20))
    d.advance(6)
    with pytest.raises(ConfigError, match="epoch 3 is behind the run, which is at epoch 6"):
        d.advance_to(10, [(3, 0.5)])
    assert d.epoch == 6 and d.lr == 0.1 and d.lr_changes == ()  # nothing was done
    d.advance_to(10, [(6, 0.3)])  # at the row it is at: made before the next update
    assert d.lr_changes == ((6, 0.3),) and d.epoch == 10


@pytest.mark.parametrize("engine", ["manual", "torch"])
def test_run_session_makes_the_saved_runs_lr_changes_again(tmp_path, capsys, engine):
    # The session holds a run whose rate was changed mid-run; `run --session` makes the
    # same changes at the same epochs: the saved rows come back bit for bit, then the run
    # goes on with the last rate to the epoch limit.
    config = RunConfig(problem=QUAD, x0=7.0, lr=0.1, epochs=30, engine=engine)
    saved = _live_run_with_lr_changes(config).history()
    path = tmp_path / "changed.gdstudio"
    save_session(path, session_from_history(saved, {}))
    code, out, err = cli(capsys, "--session", str(path), "--format", "csv")
    assert code == 0 and "after 30 epochs" in err
    rows = _csv_rows(out)
    n = saved.epochs_run + 1
    assert rows.shape == (31, 4) and rows[:, 0].tolist() == list(range(31))
    assert _bits(rows[:n, 1]) == _bits(saved.params[:, 0])
    assert _bits(rows[:n, 2]) == _bits(saved.loss)
    assert _bits(rows[:n, 3]) == _bits(saved.grad[:, 0])
    if engine == "manual":
        assert rows[:, 1].tolist() == _plain_descent(7.0, 0.1, saved.lr_changes, 30)
    code, out, _ = cli(capsys, "--session", str(path))  # the table says which were made
    assert code == 0 and ("learning-rate changes: 0.2 after epoch 0, 0.3 after epoch 5, "
                          "0.05 after epoch 6, 0.7 after epoch 6, 0.1 after epoch 15") in out
    # --lr typed alongside: that rate runs throughout (the saved changes are not made)
    code, out, _ = cli(capsys, "--session", str(path), "--lr", "0.1", "--format", "csv")
    assert code == 0 and _csv_rows(out)[:, 1].tolist() == _plain_descent(7.0, 0.1, (), 30)


def test_run_session_replays_a_regressions_lr_changes(tmp_path, capsys):
    config = RunConfig(problem=RegressionProblem.synthetic(40, seed=2), lr=1e-4, epochs=20,
                       optimizer="momentum")
    d = Descent(config)
    d.advance(4)
    d.lr = 5e-4
    d.advance(6)
    saved = d.history()
    path = tmp_path / "reg.gdstudio"
    save_session(path, session_from_history(saved, {"tab": "regression"}))
    code, out, _ = cli(capsys, "--session", str(path), "--format", "csv")
    rows = _csv_rows(out)
    assert code == 0 and rows.shape == (21, 6)  # epoch, m, c, loss, d_m, d_c
    assert _bits(rows[:11, 1:3]) == _bits(saved.params)
    assert _bits(rows[:11, 3]) == _bits(saved.loss)
    assert _bits(rows[:11, 4:6]) == _bits(saved.grad)


def test_run_session_options_override(tmp_path, capsys):
    path = tmp_path / "f.gdstudio"
    save_session(path, Session(RunConfig(problem=QUAD, lr=0.1, epochs=50, optimizer="adam")))
    code, out, _ = cli(
        capsys, "--session", str(path), "--epochs", "4", "--lr", "0.5", "--format", "csv"
    )
    assert code == 0
    assert out == to_csv(run(RunConfig(problem=QUAD, lr=0.5, epochs=4, optimizer="adam")))
    code, out, _ = cli(
        capsys,
        "--session",
        str(path),
        "--epochs",
        "2",
        "--x0",
        "3",
        "--optimizer",
        "gd",
        "--format",
        "json",
    )
    d = json.loads(out)
    assert (
        code == 0
        and d["config"]["optimizer"] == "gd"
        and [s["x"] for s in d["steps"]] == [3.0, 2.8, 2.8 - 0.1 * (2 * 2.8 - 4)]
    )


def test_run_session_every_run_option_overrides(tmp_path, capsys):
    path = tmp_path / "r.gdstudio"
    config = RunConfig(problem=RegressionProblem.synthetic(40, seed=1), lr=1e-4, epochs=30)
    save_session(path, Session(config))
    args = [
        "--tol",
        "50",
        "--dtype",
        "float32",
        "--engine",
        "torch",
        "--momentum",
        "0.5",
        "--optimizer",
        "nesterov",
        "--m0",
        "1.5",
    ]
    changes = {
        "tol": 50.0,
        "dtype": "float32",
        "engine": "torch",
        "momentum": 0.5,
        "optimizer": "nesterov",
        "m0": 1.5,
    }
    if "scale_x" in {f.name for f in dataclasses.fields(RunConfig)}:
        args.append("--scale-x")
        changes["scale_x"] = True
    code, out, err = cli(capsys, "--session", str(path), *args, "--format", "csv")
    assert code == 0, err
    assert out == to_csv(run(config.with_(**changes)))


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--expr", "x**2"], "--expr cannot be combined with --session"),
        (["--synthetic", "10"], "--synthetic cannot be combined with --session"),
        (["--m0", "1"], "--m0 does not apply"),
        (["--lr", "-1"], "learning rate must be > 0"),
    ],
)
def test_run_session_bad_combinations_exit_2(tmp_path, capsys, args, fragment):
    path = tmp_path / "f.gdstudio"
    save_session(path, Session(RunConfig()))
    code, out, err = cli(capsys, "--session", str(path), *args)
    assert code == 2 and out == "" and err.count("\n") == 1 and fragment in err


@pytest.mark.parametrize(
    "content, fragment",
    [
        (None, "file not found"),
        ("{trunc", "truncated or not a gdstudio session"),
        (
            '{"format": "gdstudio-session", "version": 3}',
            "made by a newer gdstudio (version 3); this one reads version 1",
        ),
    ],
)
def test_run_bad_session_exits_2_with_one_line(tmp_path, capsys, content, fragment):
    path = tmp_path / "bad.gdstudio"
    if content is not None:
        path.write_text(content)
    code, out, err = cli(capsys, "--session", str(path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("gdstudio: error: ") and fragment in err
    assert "Traceback" not in err


def test_help_documents_session(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert "--session" in out and "override" in " ".join(out.split())


def test_extreme_floats_round_trip_bit_for_bit():
    from gdstudio.core.descent.loop import History

    values = np.array([0.1, -0.0, 5e-324, 1.7976931348623157e308, 2.0 / 3.0, -1e-310])
    config = RunConfig(epochs=len(values) - 1)
    h = History(
        params=values[:, None].copy(),
        loss=values[::-1].copy(),
        grad=-values[:, None],
        status="diverged",
        config=config,
        message='a\nb \u2028 "quoted"',
        param_names=("x",),
        lr_changes=((0, 1e-300), (2, 0.3)),
    )
    loaded = loads_session(dumps_session(session_from_history(h))).history
    assert_same_history(h, loaded)


def test_whatever_the_app_makes_reads_back():
    # a 1000-character expression (the parser's limit) and a long CSV column name
    long_expr = "0." + "0" * 985 + "1*x**2 + x**2"
    assert len(long_expr) <= 1000
    config = RunConfig(problem=FunctionProblem(long_expr), x0=0.5, lr=0.001, epochs=3)
    assert_same_config(config, loads_session(dumps_session(Session(config))).config)
    x = np.arange(5.0)
    reg = RegressionProblem(x, 2 * x, x_name="h" * 5000, y_name="y", source="s" * 4097)
    assert_same_config(
        RunConfig(problem=reg), loads_session(dumps_session(Session(RunConfig(problem=reg)))).config
    )


def test_a_history_of_another_problem_is_refused():
    h = run(RunConfig(problem=RegressionProblem.synthetic(5), epochs=2))
    with pytest.raises(SessionError, match="the history is of"):
        Session(RunConfig(), h)
