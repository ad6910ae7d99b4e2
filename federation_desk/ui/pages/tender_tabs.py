"""The tabs of a tender's page other than Overview and Questions: compliance matrix, documents checklist,
clarifications, tasks, bid/no-bid, pricing, outcome and lessons."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from federation_desk.domain.tenders import BidDecision, OutcomeResult
from federation_desk.services import tenders as ts
from federation_desk.services.bid_pack import MatrixRow
from federation_desk.services.dates import format_date
from federation_desk.services.money import format_money
from federation_desk.ui import theme
from federation_desk.ui.icons import icon
from federation_desk.ui.models.table_model import RIGHT, Column, RowTableModel
from federation_desk.ui.widgets.common import plain_label
from federation_desk.ui.widgets.forms import DateField
from federation_desk.ui.widgets.table import DataTable


class RecordsTab(QWidget):
    """A table with Add, Edit and Delete (and any extra buttons), for one kind of record of a tender."""

    add_requested = Signal()
    edit_requested = Signal(object)
    delete_requested = Signal(object)

    def __init__(
        self, columns: list[Column[Any]], state_key: str, noun: str, note: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.noun = noun
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        self.bar = QHBoxLayout()
        self.add_button = QPushButton(icon("add"), f"Add {noun}")
        self.edit_button = QPushButton(icon("edit"), "Edit")
        self.delete_button = QPushButton(icon("danger"), "Delete")
        self.add_button.setAccessibleName(f"Add {noun}")
        self.edit_button.setAccessibleName(f"Edit the selected {noun}")
        self.delete_button.setAccessibleName(f"Delete the selected {noun}")
        for button in (self.add_button, self.edit_button, self.delete_button):
            self.bar.addWidget(button)
        self.bar.addStretch(1)
        self.count = plain_label("", "Muted", wrap=False)
        self.bar.addWidget(self.count)
        layout.addLayout(self.bar)
        self.note = plain_label(note, "Muted")
        self.note.setVisible(bool(note))
        layout.addWidget(self.note)
        self.model: RowTableModel[Any] = RowTableModel(columns, self)
        self.table = DataTable(self.model, state_key, f"{noun.capitalize()}s")
        layout.addWidget(self.table, 1)
        self.add_button.clicked.connect(self.add_requested)
        self.edit_button.clicked.connect(self._edit)
        self.delete_button.clicked.connect(self._delete)
        self.table.row_activated.connect(self.edit_requested)

    def add_button_(self, text: str, icon_name: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(icon(icon_name), text)
        button.clicked.connect(slot)
        self.bar.insertWidget(self.bar.count() - 2, button)
        return button

    def set_rows(self, rows: Sequence[Any]) -> None:
        selected = self.table.selected_row()
        self.model.set_rows(rows)
        if selected is not None and hasattr(selected, "id"):
            self.table.select_where(lambda r: getattr(r, "id", None) == selected.id)
        self.count.setText(f"{len(rows)} {self.noun}{'s' if len(rows) != 1 else ''}")

    def _edit(self) -> None:
        row = self.table.selected_row()
        if row is not None:
            self.edit_requested.emit(row)

    def _delete(self) -> None:
        row = self.table.selected_row()
        if row is not None:
            self.delete_requested.emit(row)


def _ok_colour(ok: bool) -> QColor:
    c = theme.current()
    return QColor(c.good if ok else c.danger)


MATRIX_COLUMNS: list[Column[MatrixRow]] = [
    Column("Requirement", lambda r: r.requirement, tooltip=lambda r: r.requirement, width=44),
    Column("Kind", lambda r: r.kind, width=9),
    Column("Met by", lambda r: r.met_by, width=26),
    Column(
        "On the submission date",
        lambda r: r.status,
        foreground=lambda r: _ok_colour(r.ok) if r.mandatory or r.ok else QColor(theme.current().warning),
        width=17,
    ),
    Column("Detail", lambda r: r.detail, tooltip=lambda r: r.detail, width=50),
]


class MatrixTab(QWidget):
    go_to = Signal(str, object)  # tab, record id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        self.summary = plain_label("", "Muted")
        layout.addWidget(self.summary)
        self.model: RowTableModel[MatrixRow] = RowTableModel(MATRIX_COLUMNS, self)
        self.table = DataTable(self.model, "tender-matrix", "Compliance matrix")
        layout.addWidget(self.table, 1)
        layout.addWidget(
            plain_label(
                "Each requirement of the tender, what meets it, and whether that is valid on the submission date. "
                "Double-click a line to open it.",
                "Muted",
            )
        )
        self.table.row_activated.connect(lambda r: self.go_to.emit(r.tab, r.target_id))

    def set_rows(self, rows: list[MatrixRow], submission: Any) -> None:
        self.model.set_rows(rows)
        bad = [r for r in rows if not r.ok and r.mandatory]
        on = f" on {format_date(submission)}" if submission else " (no submission date yet)"
        self.summary.setText(
            f"{len(rows) - len(bad)} of {len(rows)} requirements met{on}."
            + (f" {len(bad)} still to do." if bad else "")
        )


def document_columns(matrix: dict[int, MatrixRow]) -> list[Column[ts.RequiredDocumentRow]]:
    def state(row: ts.RequiredDocumentRow) -> str:
        m = matrix.get(row.id)
        return m.status if m else ""

    def colour(row: ts.RequiredDocumentRow) -> QColor | None:
        m = matrix.get(row.id)
        if m is None:
            return None
        return _ok_colour(m.ok) if row.mandatory or m.ok else QColor(theme.current().warning)

    return [
        Column("Document", lambda r: r.name, width=34),
        Column("Kind", lambda r: r.category.label, width=12),
        Column("Mandatory", lambda r: "Yes" if r.mandatory else "No", width=9),
        Column("File", lambda r: r.filename or ("from the insurance schedule" if r.insurance_type else ""), width=28),
        Column("Expires", lambda r: format_date(r.expires_on), sort_key=lambda r: r.expires_on, width=10),
        Column(
            "On the submission date",
            state,
            foreground=colour,
            tooltip=lambda r: matrix[r.id].detail if r.id in matrix else None,
            width=17,
        ),
        Column("Reference", lambda r: r.reference or "", width=12),
    ]


CLARIFICATION_COLUMNS: list[Column[ts.ClarificationRow]] = [
    Column("No.", lambda r: r.number or "", width=5),
    Column("Question", lambda r: " ".join(r.question.split()), tooltip=lambda r: r.question, width=44),
    Column("Answer", lambda r: " ".join((r.answer or "awaiting answer").split()), tooltip=lambda r: r.answer, width=44),
    Column("From", lambda r: "Us" if r.raised_by_us else "Another bidder", width=12),
    Column("Asked", lambda r: format_date(r.asked_on), sort_key=lambda r: r.asked_on, width=10),
    Column("Answered", lambda r: format_date(r.answered_on), sort_key=lambda r: r.answered_on, width=10),
]

TASK_COLUMNS: list[Column[ts.TaskRow]] = [
    Column("Task", lambda r: r.title, width=40),
    Column("Owner", lambda r: r.owner or "", width=18),
    Column("Due", lambda r: format_date(r.due_on), sort_key=lambda r: r.due_on, width=10),
    Column(
        "Done",
        lambda r: f"Done {format_date(r.done_on)}" if r.done else "",
        sort_key=lambda r: r.done,
        foreground=lambda r: QColor(theme.current().good) if r.done else None,
        width=16,
    ),
    Column("Notes", lambda r: (r.notes or "").replace("\n", " "), width=30),
]


def price_columns(lots: dict[int, str]) -> list[Column[ts.PriceLineRow]]:
    return [
        Column("Item", lambda r: r.item, width=36),
        Column("Lot", lambda r: lots.get(r.lot_id or 0, ""), width=5),
        Column("Unit", lambda r: r.unit or "", width=10),
        Column(
            "Quantity", lambda r: f"{r.quantity.normalize():,f}", sort_key=lambda r: r.quantity, align=RIGHT, width=9
        ),
        Column(
            "Unit price",
            lambda r: format_money(r.unit_price, pence=True),
            sort_key=lambda r: r.unit_price,
            align=RIGHT,
            width=11,
        ),
        Column("Total", lambda r: format_money(r.total, pence=True), sort_key=lambda r: r.total, align=RIGHT, width=13),
        Column("Notes", lambda r: (r.notes or "").replace("\n", " "), width=24),
    ]


class BidNoBidTab(QWidget):
    """Score each criterion 0-5, see the weighted result against the threshold, decide and give the reason."""

    save_requested = Signal(object, object, str)  # [ScoreEntry], BidDecision, reason
    defaults_requested = Signal()

    def __init__(self, threshold: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.threshold = threshold
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 8, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        host = QWidget()
        self.layout_ = QVBoxLayout(host)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(12)
        self.layout_.addLayout(self.grid)
        self.result = plain_label("", "CardHeadline")
        self.layout_.addWidget(self.result)
        form = QFormLayout()
        self.decision = QComboBox()
        self.decision.setAccessibleName("Decision")
        for d in BidDecision:
            self.decision.addItem(d.label, d)
        form.addRow("Decision", self.decision)
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Reason for the decision")
        self.reason.setFixedHeight(80)
        self.reason.setTabChangesFocus(True)
        form.addRow("Reason", self.reason)
        self.decided = plain_label("", "Muted")
        form.addRow("", self.decided)
        self.layout_.addLayout(form)
        buttons = QHBoxLayout()
        self.defaults_button = QPushButton(icon("add"), "Add the standard criteria")
        self.save_button = QPushButton(icon("save"), "Save bid/no-bid")
        self.save_button.setProperty("primary", True)
        buttons.addWidget(self.defaults_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        self.layout_.addLayout(buttons)
        self.layout_.addStretch(1)
        scroll.setWidget(host)
        outer.addWidget(scroll)
        self.scores: list[ts.BidScoreRow] = []
        self.spins: list[QSpinBox] = []
        self.notes: list[QLineEdit] = []
        self.save_button.clicked.connect(self._save)
        self.defaults_button.clicked.connect(self.defaults_requested)

    def set_data(self, detail: ts.TenderDetail) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.scores = detail.bid_scores
        self.spins, self.notes = [], []
        for col, title in enumerate(("Criterion", "Weight", "Score (0-5)", "Notes")):
            label = plain_label(title, "Muted", wrap=False)
            self.grid.addWidget(label, 0, col)
        for i, s in enumerate(self.scores, start=1):
            name = plain_label(s.criterion)
            name.setToolTip(s.guidance or "")
            self.grid.addWidget(name, i, 0)
            self.grid.addWidget(plain_label(f"× {s.weight}", wrap=False), i, 1)
            spin = QSpinBox()
            spin.setRange(-1, 5)
            spin.setSpecialValueText("not scored")
            spin.setValue(-1 if s.score is None else s.score)
            spin.setAccessibleName(f"Score for {s.criterion}")
            spin.valueChanged.connect(self._recalculate)
            self.grid.addWidget(spin, i, 2)
            note = QLineEdit(s.notes or "")
            note.setAccessibleName(f"Notes on {s.criterion}")
            note.setPlaceholderText(s.guidance or "")
            self.grid.addWidget(note, i, 3)
            self.spins.append(spin)
            self.notes.append(note)
        self.grid.setColumnStretch(3, 1)
        self.defaults_button.setVisible(not self.scores)
        self.decision.setCurrentIndex(self.decision.findData(detail.bid_decision))
        self.reason.setPlainText(detail.bid_decision_reason or "")
        self.decided.setText(
            f"Decided {format_date(detail.bid_decision_on)} by {detail.bid_decided_by}."
            if detail.bid_decision_on and detail.bid_decided_by
            else ""
        )
        self._recalculate()

    def entries(self) -> list[ts.ScoreEntry]:
        return [
            ts.ScoreEntry(s.id, s.version, None if spin.value() < 0 else spin.value(), note.text())
            for s, spin, note in zip(self.scores, self.spins, self.notes)
        ]

    def _recalculate(self, *_args: Any) -> None:
        rows = [
            ts.BidScoreRow(
                s.id, s.version, s.criterion, s.guidance, s.weight, None if sp.value() < 0 else sp.value(), None
            )
            for s, sp in zip(self.scores, self.spins)
        ]
        percent = ts.bid_percent(rows)
        c = theme.current()
        if not rows:
            self.result.setText("No criteria yet: add the standard ones, then score them.")
            colour = c.muted
        elif percent is None:
            scored = sum(1 for r in rows if r.score is not None)
            self.result.setText(f"{scored} of {len(rows)} criteria scored.")
            colour = c.muted
        else:
            advice = "suggests bid" if percent >= self.threshold else "suggests no bid"
            self.result.setText(f"Weighted score {percent}% ({advice}; the threshold is {self.threshold}%).")
            colour = c.good if percent >= self.threshold else c.danger
        self.result.setStyleSheet(f"color: {colour};")

    def _save(self) -> None:
        self.save_requested.emit(self.entries(), self.decision.currentData(), self.reason.toPlainText())


class OutcomeTab(QWidget):
    """The result, the scores and feedback received, and the lessons learned."""

    save_requested = Signal(object)  # OutcomeForm

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 8, 0, 0)
        form = QFormLayout()
        self.result = QComboBox()
        self.result.setAccessibleName("Result")
        self.result.addItem("(not known yet)", None)
        for r in OutcomeResult:
            self.result.addItem(r.label, r)
        form.addRow("Result", self.result)
        self.notified = DateField()
        self.notified.setAccessibleName("Notified on")
        form.addRow("Notified on", self.notified)
        scores = QHBoxLayout()
        self.quality, self.price, self.total, self.winner_total = (QLineEdit() for _ in range(4))
        for label, edit in (
            ("Our quality", self.quality),
            ("Our price", self.price),
            ("Our total", self.total),
            ("Winner's total", self.winner_total),
        ):
            edit.setAccessibleName(label)
            edit.setMaximumWidth(80)
            scores.addWidget(plain_label(label, "Muted", wrap=False))
            scores.addWidget(edit)
        scores.addStretch(1)
        form.addRow("Scores", scores)
        self.winner = QLineEdit()
        self.winner.setAccessibleName("Winner")
        form.addRow("Winner", self.winner)
        self.value = QLineEdit()
        self.value.setAccessibleName("Contract value")
        form.addRow("Contract value", self.value)
        self.feedback = QPlainTextEdit()
        self.feedback.setAccessibleName("Feedback received")
        self.feedback.setTabChangesFocus(True)
        form.addRow("Feedback received", self.feedback)
        self.lessons = QPlainTextEdit()
        self.lessons.setAccessibleName("Lessons learned")
        self.lessons.setTabChangesFocus(True)
        form.addRow("Lessons learned", self.lessons)
        outer.addLayout(form, 1)
        buttons = QHBoxLayout()
        self.problems = plain_label("", "FieldError")
        buttons.addWidget(self.problems, 1)
        self.save_button = QPushButton(icon("save"), "Save outcome")
        self.save_button.setProperty("primary", True)
        buttons.addWidget(self.save_button)
        outer.addLayout(buttons)
        self.outcome: ts.OutcomeRow | None = None
        self.save_button.clicked.connect(self._save)

    def set_data(self, outcome: ts.OutcomeRow | None) -> None:
        self.outcome = outcome
        self.problems.setText("")
        o = outcome

        def num(value: Decimal | None) -> str:
            return "" if value is None else f"{value.normalize():f}"

        self.result.setCurrentIndex(self.result.findData(o.result) if o else 0)
        self.notified.set_date(o.notified_on if o else None)
        self.quality.setText(num(o.our_quality_score) if o else "")
        self.price.setText(num(o.our_price_score) if o else "")
        self.total.setText(num(o.our_total_score) if o else "")
        self.winner_total.setText(num(o.winner_total_score) if o else "")
        self.winner.setText(o.winner or "" if o else "")
        self.value.setText(format_money(o.contract_value) if o and o.contract_value is not None else "")
        self.feedback.setPlainText(o.feedback or "" if o else "")
        self.lessons.setPlainText(o.lessons or "" if o else "")

    def _save(self) -> None:
        from federation_desk.errors import ValidationError

        result = self.result.currentData()
        if result is None:
            self.problems.setText("Choose the result first (won, lost, withdrawn or abandoned).")
            return
        try:
            notified = self.notified.date_value("notified_on", "Notified on")
        except ValidationError as err:
            self.problems.setText(err.message)
            return
        self.problems.setText("")
        self.save_requested.emit(
            ts.OutcomeForm(
                result,
                notified,
                self.quality.text(),
                self.price.text(),
                self.total.text(),
                self.winner_total.text(),
                self.winner.text(),
                self.value.text(),
                self.feedback.toPlainText(),
                self.lessons.toPlainText(),
            )
        )
