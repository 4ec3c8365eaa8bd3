"""Lessons in the window: each shipped lesson walked from its first step to its last (set-ups
applied to the setup panel, predictions scored right and wrong against the core's own run, the
texts' checked numbers on screen), bad lesson files refused naming the line with the window
unchanged, progress kept with the session, the Lessons menu, and presenter mode."""

from __future__ import annotations

import math

import pytest
from files_support import TIMEOUT_MS, open_session, settle, step
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMenu

from gdstudio.core import lessons
from gdstudio.core.lessons import outcome_of, prediction_config
from gdstudio.ui.panels.lesson import plain


def _same_setup(config, planned) -> None:
    """The panel's config is the step's (every field a lesson can set)."""
    assert config is not None
    for name in ("lr", "epochs", "tol", "engine", "dtype", "optimizer", "momentum", "beta1",
                 "beta2", "alpha", "eps", "scale_x", "batch_size", "stop_on_cycle"):
        assert getattr(config, name) == getattr(planned, name), name
    assert [float(v) for v in config.start_params()] == [float(v) for v in
                                                          planned.start_params()]
    assert config.problem.describe() == planned.problem.describe()


def _wrong(prediction, truth):
    if prediction.kind == "choice":
        return next(o for o in prediction.options if o != truth)
    return repr(float(truth) * 3 + 1000)


def _answer(qtbot, win, text: str) -> tuple[bool, str]:
    with qtbot.waitSignal(win.lessons.scored, timeout=TIMEOUT_MS) as blocker:
        win.lesson_panel.set_answer(text)
        win.lesson_panel.checkButton.click()
    return tuple(blocker.args)


def _shown_text(win) -> str:
    panel = win.lesson_panel
    return " ".join((plain(panel.textView), plain(panel.afterView), panel.questionLabel.text()))


@pytest.mark.slow
@pytest.mark.parametrize("name", lessons.shipped_names())
def test_each_shipped_lesson_runs_from_start_to_end(qtbot, window, name):
    win = window
    assert win.lessons.open(name)
    state = win.lessons.state
    assert state is not None and win.lessonDock.isVisible()
    assert win.lesson_panel.lessonTitle.text() == state.lesson.title
    for i, plan in enumerate(state.plans):
        if i:
            win.lesson_panel.nextButton.click()
        assert state.index == i
        assert win.lesson_panel.stepLabel.text() == f"Step {i + 1} of {state.count}"
        assert win.lesson_panel.stepTitle.text() == plan.step.title
        settle(qtbot, win)
        _same_setup(win.controls.config(), plan.config)
        race = win.controls.race()
        if plan.race is None:
            assert race is None
        else:
            assert race is not None and race.lanes == plan.race.lanes
            assert win.race_table.isVisible()
        if plan.panels is not None:
            for key, widget in win._panel_widgets().items():
                assert widget.isVisible() == (key in plan.panels), key
        prediction = plan.step.prediction
        if prediction is None:
            win.lesson_panel.checkButton.click()
            continue
        truth = outcome_of(prediction_config(plan)).value(
            prediction.quantity.name, epoch=prediction.quantity.epoch,
            distance=prediction.quantity.distance)
        right, text = _answer(qtbot, win, _wrong(prediction, truth))
        assert not right, text
        assert win.lesson_panel.verdictLabel.text().startswith("✗")
        answer = truth if isinstance(truth, str) else repr(float(truth))
        right, text = _answer(qtbot, win, answer)
        assert right, text
        assert win.lesson_panel.verdictLabel.text() == "✓ " + text
        # the numbers the step's text states (checked against the core by the lesson tests)
        # are the ones on screen
        shown = " ".join(_shown_text(win).split())
        for check in plan.step.checks:
            if check.shown is not None:
                assert " ".join(check.shown.split()) in shown, check.shown
    assert not win.lesson_panel.nextButton.isEnabled()
    right, asked = state.score()
    assert asked and right == asked
    assert win.lesson_panel.scoreLabel.text() == f"{asked} of {asked} right"
    win.lesson_panel.closeButton.click()
    assert win.lessons.state is None and not win.lessonDock.isVisible()
    assert win.controlsDock.isVisible() and win.historyDock.isVisible()


BAD = {
    "unknown field": ("lrate = 0.1", "unknown field 'lrate'"),
    "bad value": ("lr = -1", "lr"),
    "invalid expression": ('expr = "x +* 2"', "expr"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_lesson_with_an_error_is_refused_naming_its_line(qtbot, window, tmp_path,
                                                            shown_dialogs, case):
    line, reason = BAD[case]
    text = ('+++\ntitle = "Mine"\n+++\nAn intro.\n\n+++\ntitle = "One"\n'
            f'{line}\n+++\nSome text.\n')
    path = tmp_path / "mine.md"
    path.write_text(text, encoding="utf-8")
    before = window.controls.config()
    assert not window.lessons.open(str(path))
    assert len(shown_dialogs) == 1
    title, message = shown_dialogs[0]
    assert "mine.md:8:" in message and reason in message, message
    assert window.lessons.state is None and not window.lessonDock.isVisible()
    assert window.controls.config() == before


def test_progress_is_kept_with_the_session(qtbot, window, tmp_path):
    win = window
    assert win.lessons.open("first-example")
    state = win.lessons.state
    plan = state.plans[0]
    right, _ = _answer(qtbot, win, "2")  # the minimum of x² − 4x + 5
    assert right and plan.step.prediction.quantity.name == "optimum_x"
    win.lesson_panel.nextButton.click()
    settle(qtbot, win)
    path = tmp_path / "class.gdstudio"
    assert win.files.sessions.write(str(path))
    win.lessons.close_lesson()
    win.lessons.open("learning-rates")
    assert open_session(qtbot, win, str(path))
    restored = win.lessons.state
    assert restored is not None and restored.lesson.name == "first-example"
    assert restored.index == 1 and restored.attempt(0).right
    assert restored.attempt(0).answer == 2
    assert win.lesson_panel.stepTitle.text() == restored.lesson.steps[1].title
    restored.go(0)
    win.lesson_panel.show_step(restored)
    assert win.lesson_panel.verdictLabel.text().startswith("✓")
    assert win.lesson_panel.answerEdit.text() == "2.0"


def test_a_session_without_a_lesson_closes_the_open_one(qtbot, window, tmp_path):
    path = tmp_path / "plain.gdstudio"
    assert window.files.sessions.write(str(path))
    assert window.lessons.open("regression")
    assert open_session(qtbot, window, str(path))
    assert window.lessons.state is None and not window.lessonDock.isVisible()


def test_a_wrongly_typed_answer_is_explained_and_not_scored(qtbot, window):
    assert window.lessons.open("first-example")
    window.lesson_panel.set_answer("two")
    window.lesson_panel.checkButton.click()
    problem = window.lesson_panel.answerError
    assert problem.isVisibleTo(window) and problem.text()
    assert problem.textFormat() == Qt.TextFormat.PlainText
    assert window.lessons.state.attempt() is None and not window.lessons.busy()


def test_the_lessons_menu_lists_the_shipped_lessons_and_opens_them(qtbot, window):
    menu = window.findChild(QMenu, "lessonsMenu")
    assert menu is not None
    window.lessons.fill_menu(menu)
    names = [a.objectName() for a in menu.actions() if a.objectName().startswith("lesson_")]
    assert names == [f"lesson_{n}" for n in lessons.shipped_names()]
    close = next(a for a in menu.actions() if a.objectName() == "closeLessonAction")
    assert not close.isEnabled()
    next(a for a in menu.actions() if a.objectName() == "lesson_regression").trigger()
    assert window.lessons.state is not None and window.lessons.state.lesson.name == "regression"
    assert window.controls.problem_kind() == "regression"
    assert window.action("openLesson").text().startswith("Open &lesson")


def test_presenter_mode_tucks_the_setup_away_and_gives_it_back(qtbot, window):
    win = window
    action = win.action("presenter")
    assert action.objectName() == "presenterAction" and action.isCheckable()
    assert "F11" in [k.toString() for k in action.shortcuts()]
    size = win.appearance.text_size
    step(qtbot, win, 3)
    action.setChecked(True)
    qtbot.waitUntil(win.isFullScreen, timeout=TIMEOUT_MS)
    assert not win.controlsDock.isVisible() and not win.historyDock.isVisible()
    assert not win.menuBar().isVisible() and win.run_toolbar.isVisible()
    assert win.appearance.text_size == "huge"
    # ← and → move through the history when paused; → at the newest epoch steps
    n = win.run_data.n
    win.presenter.back()
    assert win.scrubber.epoch() == n - 2
    win.step()
    assert win.scrubber.live and win.run_data.n == n  # moved the history on, no new step
    win.step()
    qtbot.waitUntil(lambda: win.run_data.n == n + 1, timeout=TIMEOUT_MS)
    QTest.keyClick(win, Qt.Key.Key_Escape)
    assert not action.isChecked()
    qtbot.waitUntil(lambda: not win.isFullScreen(), timeout=TIMEOUT_MS)
    assert win.controlsDock.isVisible() and win.historyDock.isVisible()
    assert win.menuBar().isVisible() and win.appearance.text_size == size


def test_presenter_mode_shows_an_open_lesson(qtbot, window):
    assert window.lessons.open("learning-rates")
    window.action("presenter").setChecked(True)
    assert window.lessonDock.isVisible() and not window.controlsDock.isVisible()
    window.action("presenter").setChecked(False)
    assert math.isfinite(window.controls.lr())


def test_a_lessons_text_is_shown_as_its_characters_never_as_markup(qtbot, window, tmp_path):
    text = ('+++\ntitle = "<b>Mine</b>"\n+++\n\n+++\ntitle = "<img src=\'/dev/zero\'>"\n'
            'x0 = 3\n\n[predict]\nkind = "choice"\nask = "<i>what</i> <img src=x>?"\n+++\n'
            'A <img src="/dev/zero"> and **bold** and\na soft line break.\n')
    path = tmp_path / "markup.md"
    path.write_text(text, encoding="utf-8")
    assert window.lessons.open(str(path))
    panel = window.lesson_panel
    assert '<img src="/dev/zero">' in plain(panel.textView)
    assert "**" not in plain(panel.textView) and "bold and a soft line break" in plain(
        panel.textView)
    for label in (panel.lessonTitle, panel.stepTitle, panel.questionLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText
    assert panel.stepTitle.text() == "<img src='/dev/zero'>"
    assert panel.questionLabel.text() == "<i>what</i> <img src=x>?"


def test_keys_typed_into_the_answer_stay_in_it_and_enter_checks(qtbot, window):
    """The window's one-key shortcuts (E run to end, N and → step, Space play, L log scale)
    are the answer field's letters while it is being edited: "1e-1" must not run the lesson's
    set-up to the end."""
    from PySide6.QtWidgets import QApplication

    assert window.lessons.open("first-example")
    settle(qtbot, window)
    edit = window.lesson_panel.answerEdit
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    rows, state = window.run_data.n, window.controller.state
    log = window.action("logScale").isChecked()
    qtbot.keyClicks(edit, "2e0 n l")
    qtbot.keyClick(edit, Qt.Key.Key_Right)
    assert edit.text() == "2e0 n l"
    assert window.run_data.n == rows and window.controller.state == state  # nothing ran
    assert window.action("logScale").isChecked() == log
    edit.clear()
    qtbot.keyClicks(edit, "2")
    qtbot.keyClick(edit, Qt.Key.Key_Return)  # Enter checks the answer
    qtbot.waitUntil(lambda: window.lessons.state.attempt() is not None, timeout=20_000)
    assert window.lessons.state.attempt().right
    assert QApplication.focusWidget() is not None
