"""Lessons in the window (:class:`LessonController`): File › Open lesson…, the Lessons menu,
each step set up in the setup panel, the learner's prediction scored against the core's run.

A step is applied as a person would set it up: the step's run configuration (and its race) go
into the setup panel, which starts the run (so Edit › Undo takes it back, and a session saves
it); the panels the step names are shown. An answer is parsed (:func:`~gdstudio.core.lessons.
parse_answer`), the run it is about is computed off the GUI thread
(:func:`~gdstudio.core.lessons.outcome_of` in a :class:`~gdstudio.ui.threads.tasks.Task`),
scored (:func:`~gdstudio.core.lessons.score`), and the window's own run goes to its end so the
learner sees what happened. Progress is kept with the session under ``ui["lesson"]``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMenu

from gdstudio.core import InputError
from gdstudio.core.lessons import (
    Lesson,
    LessonError,
    Outcome,
    load_lesson,
    outcome_of,
    parse_answer,
    prediction_config,
    score,
    shipped_names,
    shipped_title,
)
from gdstudio.ui.files import dialogs
from gdstudio.ui.model.lesson_state import LessonState
from gdstudio.ui.model.state import UiState
from gdstudio.ui.panels.lesson import LessonPanel
from gdstudio.ui.threads.tasks import Task, start_task

if TYPE_CHECKING:  # pragma: no cover
    from gdstudio.ui.host import LessonHost

__all__ = ["LessonController", "LESSON_FILTER"]

LESSON_FILTER = "Lessons (*.md);;All files (*)"


class LessonController(QObject):
    """The lesson open in the window (at most one), its panel and its dock."""

    #: A lesson was opened (its title) or closed ("").
    lessonChanged = Signal(str)
    #: An answer was scored: (right, the verdict's text).
    scored = Signal(bool, str)

    def __init__(self, host: LessonHost, dock: QDockWidget, panel: LessonPanel,
                 ui_state: UiState) -> None:
        super().__init__(host.main_window())
        self.host = host
        self.dock = dock
        self.panel = panel
        self.state: LessonState | None = None
        self._task: Task | None = None  # the answer being scored
        self._live: list[Task] = []  # every task not finished yet (a cancelled one included)
        self._asked: tuple[int, float | str] | None = None  # (step, answer) being scored
        self._folder = ""
        panel.answerSubmitted.connect(self.answer)
        panel.runRequested.connect(self._run_step)
        panel.stepRequested.connect(self.go)
        panel.closeRequested.connect(self.close_lesson)
        ui_state.register("lesson", self._saved_state, self._restore_state)
        dock.hide()

    # --- opening and closing ------------------------------------------------------------------

    @Slot()
    def open_file(self) -> None:
        """File › Open lesson…: choose a lesson file (.md) and open it."""
        path = dialogs.ask_open_path(self.host.main_window(), "Open a lesson", self._folder,
                                     LESSON_FILTER)
        if path:
            self._folder = os.path.dirname(path)
            self.open(path)

    def open(self, name_or_path: str) -> bool:
        """Open a shipped lesson by name or a lesson file, at its first step (False, with a
        message, if it cannot be read: the window is unchanged)."""
        try:
            lesson = load_lesson(name_or_path)
        except InputError as err:  # LessonError: the file, the line and the reason
            self._refuse(str(err))
            return False
        return self.open_lesson(lesson)

    def open_lesson(self, lesson: Lesson, state: LessonState | None = None) -> bool:
        """Open ``lesson`` (already read) at its first step, or as ``state`` left it."""
        try:
            state = state if state is not None else LessonState(lesson)
        except InputError as err:
            self._refuse(str(err))
            return False
        why = self._cannot_show(state)
        if why:
            self._refuse(why)
            return False
        self._cancel_task()
        self.state = state
        self.dock.setWindowTitle("Lesson")
        self.dock.show()
        self.dock.raise_()
        self._apply()
        self.lessonChanged.emit(lesson.title)
        return True

    @Slot()
    def close_lesson(self) -> None:
        """Close the lesson: the panels come back; the setup stays as the last step left it."""
        if self.state is None:
            return
        self._cancel_task()
        self.state = None
        self.dock.hide()
        self.host.show_panels(None)
        self.lessonChanged.emit("")

    def _cannot_show(self, state: LessonState) -> str:
        for p in state.plans:
            why = self.host.controls.can_show(p.config)
            if why:
                return f"{state.lesson.file or state.lesson.name}: step {p.step.index + 1} " \
                       f"cannot be shown in this window: {why}"
        return ""

    def _refuse(self, message: str) -> None:
        dialogs.show_error(self.host.main_window(), "Could not open the lesson", message)

    # --- steps --------------------------------------------------------------------------------

    @Slot(int)
    def go(self, index: int) -> None:
        """Go to step ``index`` (0-based): set it up."""
        if self.state is None or not 0 <= index < self.state.count:
            return
        self._cancel_task()
        self.state.go(index)
        self._apply()
        self.host.mark_modified()

    def _apply(self) -> None:
        state = self.state
        assert state is not None
        plan = state.plan
        controls = self.host.controls
        controls.set_race_lanes(plan.race.lanes if plan.race is not None else None)
        controls.set_config(plan.config)  # the run starts (an edit: Undo takes it back)
        self.host.show_panels(plan.panels)
        self.panel.show_step(state)

    # --- answers ------------------------------------------------------------------------------

    @Slot(str)
    def answer(self, text: str) -> None:
        """The learner's answer to the current step: parse it, run, score (off the GUI thread)."""
        state = self.state
        if state is None or state.step.prediction is None or self._task is not None:
            return
        prediction = state.step.prediction
        try:
            answer = parse_answer(prediction, text)
        except InputError as err:
            self.panel.show_answer_problem(str(err))
            return
        config = prediction_config(state.plan)
        self._asked = (state.index, answer)
        self.panel.set_busy(True)
        self._task = start_task(lambda _context: outcome_of(config), name="gdstudioLesson",
                                parent=self, on_success=self._on_outcome,
                                on_failure=self._on_failure)
        task = self._task
        self._live.append(task)
        task.finished.connect(lambda: self._on_task_finished(task))
        self.host.run_to_end()

    def _on_outcome(self, outcome: Outcome) -> None:
        state, asked = self.state, self._asked
        self._asked = None
        if state is None or asked is None or asked[0] != state.index:
            return  # the lesson moved on meanwhile
        prediction = state.step.prediction
        assert prediction is not None
        verdict = score(prediction, asked[1], outcome)
        state.answered(asked[1], verdict)
        self.panel.set_busy(False)
        self.panel.show_verdict(verdict.right, verdict.text, state.step.after)
        self.panel.set_score(*state.score())
        self.host.mark_modified()
        self.scored.emit(bool(verdict.right), verdict.text)

    def _on_failure(self, error: object) -> None:
        self._asked = None
        self.panel.set_busy(False)
        self.panel.show_answer_problem(f"the run could not be computed: {error}")

    def _on_task_finished(self, task: Task) -> None:
        if task in self._live:
            self._live.remove(task)
        if self._task is task:
            self._task = None

    def _cancel_task(self) -> None:
        task, self._task, self._asked = self._task, None, None
        if task is not None:
            task.cancel()
            task.detach()
        self.panel.set_busy(False)

    @Slot()
    def _run_step(self) -> None:
        """A step without a question: run it to its end, then the text that follows."""
        state = self.state
        if state is None:
            return
        self.host.run_to_end()
        self.panel.show_verdict(None, "", state.step.after)

    def busy(self) -> bool:
        """An answer is being scored."""
        return self._task is not None

    def stop(self) -> None:
        """The window closes: stop scoring."""
        self._task = None
        for task in self._live:
            task.cancel()
            task.detach()
            task.wait()
        self._live.clear()

    # --- the Lessons menu ---------------------------------------------------------------------

    def add_menu(self, menu: QMenu) -> None:
        """The Lessons menu's entries (the shipped lessons, a file, Close), kept up to date."""
        menu.setObjectName("lessonsMenu")
        menu.aboutToShow.connect(lambda: self.fill_menu(menu))
        self.fill_menu(menu)

    def fill_menu(self, menu: QMenu) -> None:
        """Fill ``menu`` with the shipped lessons, Open lesson file… and Close lesson."""
        menu.clear()
        for name in shipped_names():
            try:
                title = shipped_title(name)
            except LessonError:  # pragma: no cover - the shipped lessons are checked by tests
                continue
            action = QAction(title, menu)
            action.setObjectName(f"lesson_{name}")
            action.setToolTip(f"Open the lesson {name!r}")
            action.triggered.connect(lambda _c=False, n=name: self.open(n))
            menu.addAction(action)
        menu.addSeparator()
        open_file = QAction("Open lesson file…", menu)
        open_file.setObjectName("openLessonFileAction")
        open_file.triggered.connect(self.open_file)
        menu.addAction(open_file)
        close = QAction("Close lesson", menu)
        close.setObjectName("closeLessonAction")
        close.setEnabled(self.state is not None)
        close.triggered.connect(self.close_lesson)
        menu.addAction(close)

    # --- sessions -----------------------------------------------------------------------------

    def _saved_state(self) -> dict[str, Any]:
        return self.state.to_dict() if self.state is not None else {}

    def _restore_state(self, saved: dict[str, Any]) -> None:
        if not saved:
            self.close_lesson()
            return
        try:
            state = LessonState.from_dict(saved, load_lesson)
        except InputError as err:
            self.host.show_message(f"The lesson saved with the session cannot be opened: {err}",
                                   "warning")
            return
        self._cancel_task()
        self.state = state
        self.dock.setWindowTitle("Lesson")
        self.dock.show()
        # the session's own setup is in the panel already: show the step, not set it up again
        self.host.show_panels(state.plan.panels)
        self.panel.show_step(state)
        self.lessonChanged.emit(state.lesson.title)
