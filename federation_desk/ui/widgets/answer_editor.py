"""The answer editor: plain text (what a portal receives), a live count under the question's own rule that turns
red over the limit, and the actions around an answer (insert from the library, save to the library, revisions,
status, save)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QTextOption
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from federation_desk.domain.tenders import CountRule, QuestionStatus
from federation_desk.services.tenders import QuestionRow, count_answer, count_label, over_limit
from federation_desk.ui import theme
from federation_desk.ui.icons import icon
from federation_desk.ui.widgets.common import plain_label


class AnswerEditor(QWidget):
    """Edits one question's answer. Emits ``save_requested`` (the page saves through the service)."""

    save_requested = Signal()
    insert_requested = Signal()
    save_to_library_requested = Signal()
    revisions_requested = Signal()
    count_changed = Signal(int, bool)  # count, over the limit

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.question: QuestionRow | None = None
        self._loaded_text = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.question_label = plain_label("Choose a question on the left.", "QuestionText")
        self.question_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.question_label.setAccessibleName("Question")
        layout.addWidget(self.question_label)
        self.rule_label = plain_label("", "Muted")
        layout.addWidget(self.rule_label)
        self.editor = QPlainTextEdit()
        self.editor.setAccessibleName("Answer")
        self.editor.setPlaceholderText("Write the answer here, or insert one from the library.")
        self.editor.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.editor.setTabChangesFocus(True)
        self.editor.textChanged.connect(self._recount)
        layout.addWidget(self.editor, 1)
        bar = QHBoxLayout()
        self.count_label = QLabel()
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        self.count_label.setObjectName("AnswerCount")
        self.count_label.setAccessibleName("Count")
        font = self.count_label.font()
        font.setBold(True)
        self.count_label.setFont(font)
        bar.addWidget(self.count_label)
        self.over_label = plain_label("", "FieldError", wrap=False)
        bar.addWidget(self.over_label)
        bar.addStretch(1)
        bar.addWidget(plain_label("Status", "Muted", wrap=False))
        self.status = QComboBox()
        self.status.setAccessibleName("Answer status")
        for s in QuestionStatus:
            self.status.addItem(s.label, s)
        bar.addWidget(self.status)
        layout.addLayout(bar)
        buttons = QHBoxLayout()
        self.insert_button = QPushButton(icon("add"), "Insert from library ...")
        self.library_button = QPushButton(icon("save"), "Save to library ...")
        self.revisions_button = QPushButton(icon("history"), "Revisions ...")
        self.save_button = QPushButton(icon("save"), "Save answer")
        self.save_button.setProperty("primary", True)
        self.save_button.setToolTip("Save the answer (Ctrl+S); every change keeps a revision")
        for button in (self.insert_button, self.library_button, self.revisions_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)
        self.insert_button.clicked.connect(self.insert_requested)
        self.library_button.clicked.connect(self.save_to_library_requested)
        self.revisions_button.clicked.connect(self.revisions_requested)
        self.save_button.clicked.connect(self.save_requested)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save_requested.emit)
        self.set_question(None)

    # -- state --------------------------------------------------------------------------------------------------
    def set_question(self, question: QuestionRow | None) -> None:
        self.question = question
        enabled = question is not None
        for widget in (self.editor, self.status, self.insert_button, self.library_button, self.revisions_button):
            widget.setEnabled(enabled)
        self.save_button.setEnabled(enabled)
        if question is None:
            self.question_label.setText("Choose a question on the left.")
            self.rule_label.setText("")
            self._loaded_text = ""
            self.editor.setPlainText("")
            self._recount()
            return
        self.question_label.setText(f"{question.number}. {question.text}")
        limit = (
            f"Limit {question.answer_limit:,} {question.count_rule.value}"
            if question.answer_limit is not None
            else f"No limit (counted as {question.count_rule.value})"
        )
        extra = [limit]
        if question.weighting is not None:
            extra.append(f"weighting {question.weighting.normalize():f}%")
        if question.revisions:
            extra.append(f"{question.revisions} saved revision{'s' if question.revisions != 1 else ''}")
        self.rule_label.setText(" · ".join(extra))
        self._loaded_text = question.answer or ""
        self.editor.setPlainText(self._loaded_text)
        self.status.setCurrentIndex(self.status.findData(question.status))
        self._recount()

    @property
    def text(self) -> str:
        return self.editor.toPlainText()

    @property
    def rule(self) -> CountRule:
        return self.question.count_rule if self.question else CountRule.WORDS

    @property
    def count(self) -> int:
        return count_answer(self.text, self.rule)

    @property
    def is_over(self) -> bool:
        return over_limit(self.count, self.question.answer_limit if self.question else None)

    @property
    def is_dirty(self) -> bool:
        status_changed = self.question is not None and self.status.currentData() is not self.question.status
        return self.text != self._loaded_text or status_changed

    def insert_text(self, text: str) -> None:
        """Insert library text at the cursor (replacing any selection), as one undoable step."""
        cursor = self.editor.textCursor()
        cursor.beginEditBlock()
        if (
            not cursor.hasSelection()
            and cursor.position() > 0
            and self.text[cursor.position() - 1 : cursor.position()] != "\n"
        ):
            cursor.insertText("\n\n")
        cursor.insertText(text)
        cursor.endEditBlock()
        self.editor.setTextCursor(cursor)
        self.editor.setFocus()

    def _recount(self) -> None:
        limit = self.question.answer_limit if self.question else None
        count = self.count
        over = over_limit(count, limit)
        c = theme.current()
        self.count_label.setText(count_label(count, limit, self.rule))
        colour = c.danger if over else (c.warning if limit and count > limit * 0.9 else c.text)
        self.count_label.setStyleSheet(f"color: {colour};")
        self.count_label.setProperty("over", over)
        self.over_label.setText(f"{count - (limit or 0):,} over the limit" if over else "")
        self.count_changed.emit(count, over)
