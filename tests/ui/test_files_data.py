"""Open data: the CSV preview dialog, each delimiter, each kind of error, a large load that
can be cancelled while the window keeps answering, and files dropped on the window."""

from __future__ import annotations

import pytest
from files_support import import_csv, new_window, settle
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QPushButton

from gdstudio.core import RegressionProblem
from gdstudio.ui.files import dialogs
from gdstudio.ui.files.data_import import CsvPreviewDialog
from gdstudio.ui.panels.control_panel import REGRESSION_TAB


@pytest.fixture
def win(qtbot, monkeypatch):
    return new_window(qtbot, monkeypatch)


def _rows(n: int, sep: str = ",", decimal: str = ".") -> str:
    return "".join(f"{i}{sep}{2.5 * i + 10:.2f}".replace(".", decimal) + "\n" if decimal != "."
                   else f"{i}{sep}{2.5 * i + 10:.2f}\n" for i in range(n))


@pytest.mark.parametrize("sep, name, decimal", [
    (",", "comma", "."), (";", "semicolon", ","), ("\t", "tab", "."),
])
def test_each_delimiter_through_the_preview(win, qtbot, tmp_path, sep, name, decimal):
    path = tmp_path / f"data-{name}.csv"
    text = f"id{sep}hours{sep}score\n"
    for i in range(40):
        hours = f"{i * 0.5:.1f}".replace(".", decimal)
        score = f"{3 * i * 0.5 + 20:.1f}".replace(".", decimal)
        text += f"{1000 + i}{sep}{hours}{sep}{score}\n"
    path.write_text(text)
    before = win.run_data.config

    dialog = win.files.importer.preview_file(str(path))
    assert isinstance(dialog, CsvPreviewDialog) and dialog.isVisible()
    assert name in dialog.summaryLabel.text() and "a header row" in dialog.summaryLabel.text()
    assert ("decimal comma" in dialog.summaryLabel.text()) == (decimal == ",")
    table = dialog.table
    assert [table.horizontalHeaderItem(j).text() for j in range(3)] == ["id", "hours", "score"]
    assert table.rowCount() == 12 and table.item(1, 1).text() == f"0{decimal}5"
    assert dialog.columns() == (0, 1)  # the first two numeric columns
    dialog.reject()
    assert win.files.importer.dialog is None
    assert win.run_data.config is before  # a preview changes nothing

    outcome = import_csv(qtbot, win, path, columns=(1, 2))
    assert outcome == ("loaded", "")
    settle(qtbot, win)
    problem = win.run_data.config.problem
    assert isinstance(problem, RegressionProblem) and problem.n == 40
    assert (problem.x_name, problem.y_name) == ("hours", "score")
    assert problem.x[3] == 1.5 and problem.y[3] == 24.5
    c = win.controls
    assert c.problemTabs.currentIndex() == REGRESSION_TAB and c.csvRadio.isChecked()
    assert path.name in c.csvRadio.text()
    assert win.plot_stack.currentWidget() is win.fit_plot
    assert win.isWindowModified()


def test_the_first_two_numeric_columns_are_offered(win, qtbot, tmp_path):
    path = tmp_path / "labelled.csv"
    path.write_text("name,height,weight\n" + "".join(f"p{i},{150 + i},{50 + i / 2}\n"
                                                     for i in range(30)))
    dialog = win.files.importer.preview_file(str(path))
    assert dialog.columns() == (1, 2)
    assert dialog.xCombo.itemText(0) == "name (not numeric)"
    dialog.xCombo.setCurrentIndex(0)
    assert "not all numbers" in dialog.problemLabel.text()
    dialog.reject()


def test_a_text_column_beside_the_chosen_ones_loads(win, qtbot, tmp_path):
    path = tmp_path / "labelled.csv"
    path.write_text("name,height,weight\n" + "".join(f"p{i},{150 + i},{50 + i / 2}\n"
                                                     for i in range(30)))
    assert import_csv(qtbot, win, path) == ("loaded", "")


def test_x_and_y_must_differ(win, qtbot, tmp_path):
    path = tmp_path / "xy.csv"
    path.write_text("a,b\n" + _rows(5))
    dialog = win.files.importer.preview_file(str(path))
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert ok.isEnabled()
    dialog.yCombo.setCurrentIndex(0)
    assert not ok.isEnabled() and "different columns" in dialog.problemLabel.text()
    dialog.reject()
    assert win.files.importer.dialog is None


BAD_FILES = {
    # name: (content, what the message must say)
    "bad cell": ("x,y\n" + _rows(30) + "31,oops\n" + _rows(3),
                 ["line 32", "column 'y'", "'oops' is not a number"]),
    "ragged row": ("x,y\n" + _rows(20) + "1,2,3\n", ["line 22", "3 fields, expected 2"]),
    "empty cell": ("x,y\n" + _rows(8) + "9,\n", ["line 10", "an empty cell"]),
    "not finite": ("x,y\n" + _rows(25) + "5,inf\n", ["line 27", "not a finite number"]),
    "header only": ("x,y\n", ["no data rows"]),
    "empty file": ("", ["the file is empty"]),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00", ["not a text CSV file"]),
    "one column": ("x\n1\n2\n3\n", ["two numeric columns", "1 column"]),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_each_error_is_shown_with_file_line_and_reason(win, qtbot, tmp_path, shown_dialogs,
                                                      kind):
    content, expected = BAD_FILES[kind]
    path = tmp_path / "bad.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    config, problem = win.run_data.config, win.controls.config().problem
    if kind == "one column":  # the dialog will not offer it: load it as a script would
        with qtbot.waitSignal(win.files.importer.finished) as blocker:
            win.files.importer.load(str(path), 0, 1)
        outcome = tuple(blocker.args)
    else:
        outcome = import_csv(qtbot, win, path)
    assert outcome[0] == "failed"
    title, text = shown_dialogs[-1]
    assert title == "Could not open the data"
    assert str(path) in text, text
    for part in expected:
        assert part in text, (part, text)
    assert "The current problem is unchanged" in text
    settle(qtbot, win)
    assert win.run_data.config is config and win.controls.config().problem is problem
    assert not win.controls.csvRadio.isEnabled()
    assert not win.isWindowModified()


def test_a_missing_file(win, tmp_path, shown_dialogs):
    assert win.files.importer.preview_file(str(tmp_path / "gone.csv")) is None
    assert "file not found" in shown_dialogs[-1][1]


def test_a_large_load_can_be_cancelled_and_the_window_keeps_answering(win, qtbot, tmp_path):
    path = tmp_path / "large.csv"
    with open(path, "w") as fh:
        fh.write("x,y\n")
        fh.writelines(f"{i},{3 * i + 1}\n" for i in range(1_000_000))
    importer = win.files.importer
    config = win.run_data.config

    ticks = []
    probe = QTimer()
    probe.setInterval(5)
    probe.timeout.connect(lambda: ticks.append(1))
    progress_seen = []
    clicked = []

    def on_progress(done: int, total: int) -> None:
        # A report of the loading task, handled on the GUI thread mid-load: press Cancel.
        progress_seen.append((done, total))
        if done > total // 2 and importer.task is not None and not clicked:
            button = importer.progress.findChild(QPushButton)
            assert button is not None and button.text() == "Cancel"
            clicked.append(1)
            button.click()

    task = importer.load(str(path), 0, 1)
    task.progressed.connect(on_progress)
    probe.start()
    with qtbot.waitSignal(importer.finished, timeout=60_000) as blocker:
        pass
    probe.stop()
    assert tuple(blocker.args) == ("cancelled", "")
    qtbot.waitUntil(lambda: importer.task is None)
    assert len(progress_seen) >= 2 and progress_seen[-1][0] < progress_seen[-1][1]  # part way
    assert len(ticks) >= 3  # the event loop ran during the load
    assert importer.progress is None
    assert win.run_data.config is config and not win.controls.csvRadio.isEnabled()


def test_a_large_file_loads_off_the_gui_thread(win, qtbot, tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "w") as fh:
        fh.write("x,y\n")
        fh.writelines(f"{i % 1000},{2 * (i % 1000) + 3}\n" for i in range(300_000))
    ticks = []
    probe = QTimer()
    probe.setInterval(5)
    probe.timeout.connect(lambda: ticks.append(1))
    probe.start()
    with qtbot.waitSignal(win.files.importer.finished, timeout=60_000) as blocker:
        win.files.importer.load(str(path), "x", "y")
    probe.stop()
    assert tuple(blocker.args) == ("loaded", "")
    settle(qtbot, win)
    assert win.run_data.config.problem.n == 300_000
    assert ticks


def _drop(win, path, qtbot) -> tuple[bool, bool]:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    pos = QPoint(win.width() // 2, win.height() // 2)
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(win, enter)
    drop = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(win, drop)
    return enter.isAccepted(), drop.isAccepted()


def test_dropping_a_csv_opens_the_preview(win, qtbot, tmp_path):
    path = tmp_path / "dropped.csv"
    path.write_text("t,v\n" + _rows(12))
    assert _drop(win, path, qtbot) == (True, True)
    qtbot.waitUntil(lambda: win.files.importer.dialog is not None)
    dialog = win.files.importer.dialog
    assert dialog.preview.path == str(path) and dialog.columns() == (0, 1)
    with qtbot.waitSignal(win.files.importer.finished, timeout=30_000):
        dialog.accept()
    settle(qtbot, win)
    assert win.run_data.config.problem.n == 12


def test_dropping_a_session_opens_it_and_other_files_are_refused(win, qtbot, tmp_path,
                                                                 monkeypatch):
    session = tmp_path / "dropped.gdstudio"
    monkeypatch.setattr(dialogs, "ask_save_path", lambda *a: str(session))
    win.controls.epochsSpin.setValue(12)
    settle(qtbot, win)
    assert win.files.sessions.save_as()
    win.files.sessions.new()
    settle(qtbot, win)
    assert _drop(win, session, qtbot) == (True, True)
    qtbot.waitUntil(lambda: win.files.sessions.path == session)
    settle(qtbot, win)
    assert win.controls.epochsSpin.value() == 12
    image = tmp_path / "picture.png"
    image.write_bytes(b"\x89PNG")
    assert _drop(win, image, qtbot)[0] is False
