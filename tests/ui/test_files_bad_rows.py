"""Issue 14, items 9 and 10, in the window: a CSV refused for a bad row offers "Skip bad rows"
(the real message box, its button pressed; and Cancel), the preview's own "skip" box, the
description and the status bar saying how many rows were skipped and which columns were taken,
the choice kept where the window reads the file again (the setup remembered at the last close),
and the fit plot's axes naming the columns (plain text, never markup).

Every modal sequence here ends with no modal left open and the window enabled."""

from __future__ import annotations

import pytest
from files_support import TIMEOUT_MS, import_csv, new_window, open_session, settle
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from gdstudio.core import RegressionProblem
from gdstudio.ui.files import dialogs
from gdstudio.ui.files.dialogs import ask_skip_bad_rows as real_ask_skip_bad_rows

#: 30 rows, 3 of them bad (lines 5, 12 and 20 of the file, counting the header as line 1).
BAD_LINES = (5, 12, 20)


def messy_text(header: str = "hours,score") -> str:
    lines = [header] if header else []
    for i in range(30):
        number = i + 1 + (1 if header else 0)
        if number == 5:
            lines.append(f"{i},absent")
        elif number == 12:
            lines.append(f"{i}")
        elif number == 20:
            lines.append(f"{i},nan")
        else:
            lines.append(f"{i * 0.5},{3 * i + 20}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def win(qtbot, monkeypatch):
    return new_window(qtbot, monkeypatch)


@pytest.fixture
def messy(tmp_path):
    path = tmp_path / "class.csv"
    path.write_text(messy_text())
    return path


def assert_no_modal_and_enabled(win) -> None:
    assert QApplication.activeModalWidget() is None
    assert win.isEnabled() and win.controls.isEnabled()


def answer_box(seen: dict, button_name: str | None, tries: int = 500) -> None:
    """Press ``button_name`` (an objectName; None: the box's Cancel) in the skip box once it is
    the active modal; give up (closing any modal) after ``tries`` polls."""
    box = QApplication.activeModalWidget()
    if not isinstance(box, QMessageBox):
        if tries:
            QTimer.singleShot(10, lambda: answer_box(seen, button_name, tries - 1))
        elif box is not None:
            box.close()
        return
    seen["name"] = box.objectName()
    seen["text"] = box.text()
    seen["format"] = box.textFormat()
    seen["default"] = box.defaultButton().text() if box.defaultButton() else ""
    if button_name is None:
        box.button(QMessageBox.StandardButton.Cancel).click()
    else:
        button = box.findChild(QPushButton, button_name)
        seen["button"] = button.text()
        button.click()


def test_the_skip_button_of_the_real_box_loads_the_rest(win, qtbot, monkeypatch, messy,
                                                        shown_dialogs):
    monkeypatch.setattr(dialogs, "ask_skip_bad_rows", real_ask_skip_bad_rows)
    seen: dict = {}
    QTimer.singleShot(0, lambda: answer_box(seen, "skipBadRowsButton"))
    assert import_csv(qtbot, win, messy) == ("loaded", "")
    settle(qtbot, win)
    assert seen["name"] == "skipBadRowsBox" and seen["button"] == "Skip bad rows"
    assert seen["format"] == Qt.TextFormat.PlainText  # it quotes the file
    assert f"{messy}, line 5, column 'score': 'absent' is not a number" in seen["text"]
    assert "The current problem is unchanged" in seen["text"]
    assert seen["default"] == "Cancel"  # Enter drops no data
    problem = win.run_data.config.problem
    assert isinstance(problem, RegressionProblem) and problem.n == 30 - len(BAD_LINES)
    assert problem.reading.skipped_lines == BAD_LINES
    skipped = ("skipped 3 rows that are not two numbers: lines 5, 12, 20 (line 5, column "
               "'score': 'absent' is not a number)")
    assert "Skipped 3 rows that are not two numbers: lines 5, 12, 20" in \
        win.controls.dataLabel.text()
    assert win.statusBar().currentMessage() == f"Loaded 27 points from class.csv; {skipped}"
    assert shown_dialogs == []  # the real box, not the recorded stand-in
    assert_no_modal_and_enabled(win)


def test_cancel_in_the_real_box_leaves_the_problem(win, qtbot, monkeypatch, messy):
    monkeypatch.setattr(dialogs, "ask_skip_bad_rows", real_ask_skip_bad_rows)
    before = win.run_data.config
    seen: dict = {}
    QTimer.singleShot(0, lambda: answer_box(seen, None))
    outcome = import_csv(qtbot, win, messy)
    assert outcome[0] == "failed" and "line 5" in outcome[1]
    settle(qtbot, win)
    assert seen["name"] == "skipBadRowsBox"
    assert win.run_data.config is before and not win.controls.csvRadio.isEnabled()
    assert not win.isWindowModified()
    assert_no_modal_and_enabled(win)


def test_the_preview_can_skip_up_front(win, qtbot, messy, shown_dialogs):
    importer = win.files.importer
    dialog = importer.preview_file(str(messy))
    assert not dialog.skipCheck.isChecked()  # opt-in
    dialog.skipCheck.setChecked(True)
    with qtbot.waitSignal(importer.finished, timeout=TIMEOUT_MS) as blocker:
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: importer.task is None, timeout=TIMEOUT_MS)
    assert tuple(blocker.args) == ("loaded", "")
    settle(qtbot, win)
    assert shown_dialogs == []  # nothing to ask
    assert win.run_data.config.problem.n == 27
    assert_no_modal_and_enabled(win)


def test_without_skipping_a_bad_row_is_refused_as_before(win, qtbot, messy, shown_dialogs):
    before = win.run_data.config
    outcome = import_csv(qtbot, win, messy)  # (the stand-in answers Cancel)
    assert outcome[0] == "failed"
    title, text = shown_dialogs[-1]
    assert title == "Could not open the data"
    assert f"{messy}, line 5, column 'score': 'absent' is not a number" in text
    settle(qtbot, win)
    assert win.run_data.config is before
    assert_no_modal_and_enabled(win)


def test_a_file_with_no_good_row_is_refused_even_when_skipping(win, qtbot, monkeypatch,
                                                                tmp_path, shown_dialogs):
    asked = []
    monkeypatch.setattr(dialogs, "ask_skip_bad_rows",
                        lambda parent, title, text: asked.append(text) or True)
    path = tmp_path / "names.csv"
    path.write_text("name,score\nann,a\nbob,b\n")
    before = win.run_data.config
    outcome = import_csv(qtbot, win, path)
    assert outcome[0] == "failed"
    assert len(asked) == 1  # asked once; the second refusal is only told
    title, text = shown_dialogs[-1]
    assert title == "Could not open the data"
    assert "none of the 2 data rows is two numbers" in text and "nothing to fit" in text
    settle(qtbot, win)
    assert win.run_data.config is before
    assert_no_modal_and_enabled(win)


def test_the_description_names_the_columns_taken(win, qtbot, tmp_path):
    path = tmp_path / "three.csv"
    path.write_text("id,hours,score\n" + "".join(f"{i},{i / 2},{3 * i + 1}\n"
                                                 for i in range(12)))
    assert import_csv(qtbot, win, path, columns=(1, 2)) == ("loaded", "")
    settle(qtbot, win)
    text = win.controls.dataLabel.text()
    assert text.splitlines()[0].startswith("12 points · hours (x) from 0 to 5.5 · score (y) "
                                           "from 1 to 34")
    assert "x is 'hours' (column 2), y is 'score' (column 3) of 3 columns" in text
    assert "kipped" not in text
    assert win.statusBar().currentMessage() == (
        "Loaded 12 points from three.csv; x is 'hours' (column 2), y is 'score' (column 3) "
        "of 3 columns")


def _axis_text(win, name: str) -> str:
    return win.fit_plot.getPlotItem().getAxis(name).label.toPlainText().strip()  # (a space: units)


def test_the_fit_plot_axes_name_the_columns_as_plain_text(win, qtbot, tmp_path):
    evil = '<img src="/dev/zero">'
    path = tmp_path / "named.csv"
    path.write_text(f"<b>hours</b>,{evil}\n" + "".join(f"{i},{2 * i + 1}\n" for i in range(8)))
    assert import_csv(qtbot, win, path) == ("loaded", "")
    settle(qtbot, win)
    assert _axis_text(win, "bottom") == "<b>hours</b> (x)"  # the characters, not bold
    assert _axis_text(win, "left") == f"{evil} (y)"  # not an image
    assert evil in win.controls.dataLabel.text()
    assert win.controls.dataLabel.textFormat() == Qt.TextFormat.PlainText

    bare = tmp_path / "bare.csv"
    bare.write_text("".join(f"{i},{2 * i + 1}\n" for i in range(8)))
    assert import_csv(qtbot, win, bare) == ("loaded", "")
    settle(qtbot, win)
    assert (_axis_text(win, "bottom"), _axis_text(win, "left")) == ("x", "y")  # no header


def test_a_session_holds_the_data_as_loaded(win, qtbot, monkeypatch, messy, tmp_path):
    monkeypatch.setattr(dialogs, "ask_skip_bad_rows", lambda *a: True)
    assert import_csv(qtbot, win, messy) == ("loaded", "")
    settle(qtbot, win)
    loaded = win.run_data.config.problem
    path = tmp_path / "class.gdstudio"
    monkeypatch.setattr(dialogs, "ask_save_path", lambda *a: str(path))
    assert win.files.sessions.save_as()
    messy.write_text("x,y\n1,2\n")  # the file changes: the session does not depend on it
    win.files.sessions.new()
    settle(qtbot, win)
    assert open_session(qtbot, win, path)
    shown = win.run_data.config.problem
    assert shown.n == 27 and list(shown.x) == list(loaded.x) and list(shown.y) == list(loaded.y)
    assert _axis_text(win, "bottom") == "hours (x)" and _axis_text(win, "left") == "score (y)"
    assert "hours (x) from" in win.controls.dataLabel.text()
    assert_no_modal_and_enabled(win)


def test_large_data_remembered_by_path_is_read_again_skipping(qtbot, monkeypatch, messy,
                                                              shown_dialogs):
    from gdstudio.ui.files import sessions

    monkeypatch.setattr(sessions, "LAST_SETUP_MAX_POINTS", 10)  # 27 points: "large"
    first = new_window(qtbot, monkeypatch)
    monkeypatch.setattr(dialogs, "ask_skip_bad_rows", lambda *a: True)
    assert import_csv(qtbot, first, messy) == ("loaded", "")
    settle(qtbot, first)
    first.files.sessions.set_clean()
    first.close()
    monkeypatch.setattr(dialogs, "ask_skip_bad_rows", lambda *a: pytest.fail("asked again"))

    second = new_window(qtbot, monkeypatch)
    qtbot.waitUntil(lambda: second.run_data.config is not None
                    and getattr(second.run_data.config.problem, "source", "") == str(messy),
                    timeout=TIMEOUT_MS)
    settle(qtbot, second)
    problem = second.run_data.config.problem
    assert problem.n == 27 and problem.reading.skip_bad_rows
    assert problem.reading.skipped_lines == BAD_LINES
    assert not second.isWindowModified() and shown_dialogs == []
    assert_no_modal_and_enabled(second)


def _markup_shown(evil: str) -> list[str]:
    """Every place in the app's widgets where ``evil`` would be rendered as markup."""
    from PySide6.QtWidgets import QGraphicsTextItem, QGraphicsView, QLabel, QTextEdit

    found = []
    for w in QApplication.allWidgets():
        name = f"{type(w).__name__}({w.objectName()})"
        if isinstance(w, QLabel) and evil in w.text() \
                and w.textFormat() != Qt.TextFormat.PlainText:
            found.append(f"label {name}: {w.text()[:60]!r}")
        if evil in w.toolTip():  # (Qt renders a tooltip that looks like markup as markup)
            found.append(f"tooltip of {name}")
        if isinstance(w, QTextEdit) and "<img" in w.toHtml():
            found.append(f"text of {name}")
        if isinstance(w, QGraphicsView) and w.scene() is not None:
            for item in w.scene().items():
                if isinstance(item, QGraphicsTextItem) and "<img" in item.toHtml():
                    found.append(f"plot text in {name}: {item.toPlainText()[:60]!r}")
    return found


def test_text_from_files_and_typing_is_never_markup_anywhere_in_the_window(
        win, qtbot, tmp_path, shown_dialogs):
    """Family 10 at its root: wherever a CSV's header or cells, a file's name, a session's
    values or typed text reach the window (labels, the status line, tooltips, plots' titles and
    axes, the analysis, message boxes), they are shown as their characters."""
    # (markup that is harmless if rendered: a missing picture, not /dev/zero, which a
    # regression here would read until memory ran out)
    evil = '<img src="gdstudio-no-such-picture.png">'
    folder = tmp_path / evil.replace("/", "_")
    folder.mkdir()
    named = folder / f"{evil.replace('/', '_')}.csv"
    named.write_text(f"{evil},<b>{evil}</b>\n" + "".join(f"{i},{2 * i + 1}\n" for i in range(8)))
    assert import_csv(qtbot, win, named) == ("loaded", "")
    settle(qtbot, win)
    bad = tmp_path / "bad.csv"
    bad.write_text(f"x,y\n1,2\n3,{evil}\n")
    import_csv(qtbot, win, bad)
    QApplication.processEvents()
    assert any(evil in text for _title, text in shown_dialogs)  # the cell quoted to the person
    c = win.controls
    c.problemTabs.setCurrentIndex(0)
    c.functionTab.expressionEdit.setText(evil)  # typed: refused, and the text quoted
    QApplication.processEvents()
    c.raceSetup.set_mode("lr")
    c.raceSetup.lrsEdit.setText(evil)
    qtbot.wait(300)
    win.draw_now()
    assert _markup_shown(evil) == []
    # (and it did reach them: the data's description, the fit plot's axes)
    from PySide6.QtWidgets import QLabel

    showing = {w.objectName() for w in QApplication.allWidgets()
               if isinstance(w, QLabel) and evil in w.text()}
    assert "dataLabel" in showing, showing
    assert evil in win.fit_plot.getPlotItem().getAxis("bottom").label.toPlainText()
