"""The lesson panel (:class:`LessonPanel`): the step's text, its question, the learner's answer,
the verdict, and the way on (Back, Next).

It shows what it is given and says what the learner did (signals); the lesson controller
(:mod:`gdstudio.ui.window.lessons`) sets the window up, runs and scores. Texts come from lesson
files: the step's text is the core's escaped HTML (:func:`~gdstudio.core.lessons.to_html`, whose
only markup is its own), everything else is plain text.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QTextDocument
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from gdstudio.core.lessons import BEHAVIOUR_TEXT, Attempt, Prediction, to_html
from gdstudio.ui.model.lesson_state import LessonState
from gdstudio.ui.panels.field_labels import error_label, note_label, show_error
from gdstudio.ui.theme import ERROR_RED, GOOD_GREEN, set_text_colour

__all__ = ["LessonPanel", "plain"]

#: How each behaviour is offered as an answer.
_CHOICE_TEXT = {"converges": "It converges", "oscillates": "It oscillates (and converges)",
                "cycles": "It cycles for ever", "diverges": "It diverges"}


def _text_view(name: str) -> QLabel:
    """A step's text: the core's HTML, in which everything from the file is escaped (its only
    markup is the core's own: paragraphs, lists, code, bold, italic); no links are followed."""
    view = QLabel()
    view.setObjectName(name)
    view.setTextFormat(Qt.TextFormat.RichText)
    view.setWordWrap(True)
    view.setOpenExternalLinks(False)
    view.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    view.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return view


def plain(label: QLabel) -> str:
    """What a text view shows, as plain text."""
    doc = QTextDocument()
    doc.setHtml(label.text())
    return doc.toPlainText()


class LessonPanel(QScrollArea):
    """One step of a lesson at a time: read, predict, run, compare, go on (it scrolls when
    the text does not fit, in a short window or with huge text)."""

    #: The learner's answer, as typed or chosen (the controller parses and scores it).
    answerSubmitted = Signal(str)
    #: A step without a question: run it.
    runRequested = Signal()
    #: Go to step N (0-based).
    stepRequested = Signal(int)
    #: Close the lesson.
    closeRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lessonPanel")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        inner.setObjectName("lessonPanelContents")
        self.setWidget(inner)
        self._prediction: Prediction | None = None
        self._index = 0
        self._count = 0
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(6)

        self.lessonTitle = note_label("lessonTitle")
        self.stepLabel = note_label("lessonStepLabel")
        self.stepTitle = note_label("lessonStepTitle")
        bold = QFont(self.font())
        bold.setBold(True)
        self.stepTitle.setFont(bold)
        for label in (self.lessonTitle, self.stepLabel, self.stepTitle):
            layout.addWidget(label)
        self.textView = _text_view("lessonText")
        layout.addWidget(self.textView)

        self.questionLabel = note_label("lessonQuestion")
        self.questionLabel.setFont(bold)
        layout.addWidget(self.questionLabel)
        self.choices = QWidget()
        self.choices.setObjectName("lessonChoices")
        self._choice_layout = QVBoxLayout(self.choices)
        self._choice_layout.setContentsMargins(0, 0, 0, 0)
        self._choice_group = QButtonGroup(self)
        layout.addWidget(self.choices)
        self.answerEdit = QLineEdit()
        self.answerEdit.setObjectName("lessonAnswer")
        self.answerEdit.setPlaceholderText("your prediction, a number")
        self.answerEdit.returnPressed.connect(self._submit)
        layout.addWidget(self.answerEdit)
        self.answerError = error_label("lessonAnswerError")
        layout.addWidget(self.answerError)
        self.checkButton = QPushButton("Run and compare")
        self.checkButton.setObjectName("lessonCheckButton")
        self.checkButton.setToolTip("Run the step and compare the run with your prediction")
        self.checkButton.clicked.connect(self._submit)
        layout.addWidget(self.checkButton)
        self.verdictLabel = note_label("lessonVerdict")
        self.verdictLabel.hide()
        layout.addWidget(self.verdictLabel)
        self.afterView = _text_view("lessonAfter")
        self.afterView.hide()
        layout.addWidget(self.afterView)
        layout.addStretch(1)

        nav = QHBoxLayout()
        self.backButton = QPushButton("◀ Back")
        self.backButton.setObjectName("lessonBackButton")
        self.backButton.clicked.connect(lambda: self.stepRequested.emit(self._index - 1))
        self.nextButton = QPushButton("Next ▶")
        self.nextButton.setObjectName("lessonNextButton")
        self.nextButton.clicked.connect(lambda: self.stepRequested.emit(self._index + 1))
        self.scoreLabel = note_label("lessonScore")
        self.scoreLabel.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.closeButton = QPushButton("Close")
        self.closeButton.setObjectName("lessonCloseButton")
        self.closeButton.setToolTip("Close the lesson (the window keeps its setup)")
        self.closeButton.clicked.connect(self.closeRequested)
        nav.addWidget(self.backButton)
        nav.addWidget(self.scoreLabel, 1)
        nav.addWidget(self.nextButton)
        layout.addLayout(nav)
        layout.addWidget(self.closeButton, 0, Qt.AlignmentFlag.AlignRight)

    # --- what the controller shows ------------------------------------------------------------

    def show_step(self, state: LessonState) -> None:
        """The current step of ``state``: its text and question (answered again if the learner
        answered it before: the last verdict is shown)."""
        step = state.step
        self._index, self._count = state.index, state.count
        self._prediction = step.prediction
        self.lessonTitle.setText(state.lesson.title)
        self.stepLabel.setText(f"Step {state.index + 1} of {state.count}")
        self.stepTitle.setText(step.title)
        intro = state.lesson.intro if state.index == 0 and state.lesson.intro else ""
        self.textView.setText(to_html(intro + "\n\n" + step.text if intro else step.text))
        self._build_question(step.prediction)
        show_error(self.answerError, "")
        self.backButton.setEnabled(state.index > 0)
        self.nextButton.setEnabled(state.index + 1 < state.count)
        right, asked = state.score()
        self.scoreLabel.setText(f"{right} of {asked} right" if asked else "")
        self.set_busy(False)
        attempt = state.attempt()
        if attempt is not None:
            self.show_verdict(attempt.right, attempt.text, step.after)
            self._restore_answer(attempt)
        else:
            self.verdictLabel.hide()
            self.afterView.hide()
            self.afterView.setText("")

    def show_verdict(self, right: bool | None, text: str, after: str) -> None:
        """The run's answer: right or not (None: a step without a question) and why, and the
        text that follows the run."""
        if right is None:
            self.verdictLabel.setText(text)
            set_text_colour(self.verdictLabel, "")
        else:
            mark = "✓ " if right else "✗ "
            self.verdictLabel.setText(mark + text)
            set_text_colour(self.verdictLabel, GOOD_GREEN if right else ERROR_RED)
        self.verdictLabel.setVisible(bool(self.verdictLabel.text()))
        self.afterView.setText(to_html(after) if after else "")
        self.afterView.setVisible(bool(after))

    def show_answer_problem(self, message: str) -> None:
        """Why the answer cannot be read ("type a number, like 4.56")."""
        show_error(self.answerError, message)

    def set_busy(self, busy: bool) -> None:
        """The run is being computed: the answer waits."""
        self.checkButton.setEnabled(not busy)
        self.checkButton.setText("Running…" if busy else (
            "Run and compare" if self._prediction is not None else "Run"))

    def set_score(self, right: int, asked: int) -> None:
        self.scoreLabel.setText(f"{right} of {asked} right" if asked else "")

    def answer_text(self) -> str:
        """The answer as given: the chosen behaviour, or the typed number ('' if none)."""
        if self._prediction is None:
            return ""
        if self._prediction.kind == "choice":
            button = self._choice_group.checkedButton()
            return str(button.property("behaviour")) if button is not None else ""
        return self.answerEdit.text()

    def set_answer(self, answer: str) -> None:
        """Choose or type ``answer`` (as a learner would)."""
        if self._prediction is not None and self._prediction.kind == "choice":
            for button in self._choice_group.buttons():
                if button.property("behaviour") == answer:
                    button.setChecked(True)
        else:
            self.answerEdit.setText(answer)

    # --- inside -------------------------------------------------------------------------------

    def _build_question(self, prediction: Prediction | None) -> None:
        for button in self._choice_group.buttons():
            self._choice_group.removeButton(button)
            self._choice_layout.removeWidget(button)
            button.deleteLater()
        self.answerEdit.clear()
        if prediction is None:
            self.questionLabel.hide()
            self.choices.hide()
            self.answerEdit.hide()
            self.checkButton.setToolTip("Run the step to its end")
            return
        self.questionLabel.setText(prediction.ask)
        self.questionLabel.show()
        self.checkButton.setToolTip("Run the step and compare the run with your prediction")
        if prediction.kind == "choice":
            for i, behaviour in enumerate(prediction.options):
                button = QRadioButton(_CHOICE_TEXT.get(behaviour, behaviour))
                button.setObjectName(f"lessonChoice_{behaviour}")
                button.setProperty("behaviour", behaviour)
                button.setToolTip(BEHAVIOUR_TEXT.get(behaviour, ""))
                self._choice_group.addButton(button, i)
                self._choice_layout.addWidget(button)
            self.choices.show()
            self.answerEdit.hide()
        else:
            self.choices.hide()
            self.answerEdit.show()

    def _restore_answer(self, attempt: Attempt) -> None:
        answer = attempt.answer
        self.set_answer(answer if isinstance(answer, str) else repr(answer))

    def _submit(self) -> None:
        if not self.checkButton.isEnabled():
            return
        if self._prediction is None:
            self.runRequested.emit()
            return
        answer = self.answer_text().strip()
        if not answer:
            show_error(self.answerError, "choose an answer first" if self._prediction.kind
                       == "choice" else "type your prediction first (a number)")
            return
        show_error(self.answerError, "")
        self.answerSubmitted.emit(answer)
