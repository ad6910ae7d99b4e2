"""A tender's own page: overview and dates, questions with the answer editor, compliance matrix, documents
checklist, clarifications, tasks, bid/no-bid, pricing, outcome and lessons, history; and the bid pack (pre-flight,
built on a worker, opened in the PDF preview)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpacerItem,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from federation_desk.services import bid_pack as bp
from federation_desk.services import tenders as ts
from federation_desk.services.dates import format_date, format_instant, today
from federation_desk.services.money import format_money
from federation_desk.ui import errors
from federation_desk.ui.dialogs.tender import (
    ClarificationDialog,
    CriterionDialog,
    KeyDateDialog,
    LotDialog,
    PriceLineDialog,
    QuestionDialog,
    RequiredDocumentDialog,
    SaveToLibraryDialog,
    TaskDialog,
    TenderDialog,
)
from federation_desk.ui.dialogs.tender_library import InsertFromLibraryDialog, PreflightDialog, RevisionsDialog
from federation_desk.ui.icons import icon
from federation_desk.ui.models.table_model import RIGHT, Column
from federation_desk.ui.models.tender_board import QUESTION_COLUMNS
from federation_desk.ui.pages.tender_tabs import (
    CLARIFICATION_COLUMNS,
    TASK_COLUMNS,
    BidNoBidTab,
    MatrixTab,
    OutcomeTab,
    RecordsTab,
    document_columns,
    price_columns,
)
from federation_desk.ui.widgets.answer_editor import AnswerEditor
from federation_desk.ui.widgets.common import Notice, plain_label
from federation_desk.ui.widgets.history import HistoryView
from federation_desk.ui.widgets.table import DataTable


@dataclass(frozen=True)
class TenderViewData:
    detail: ts.TenderDetail
    matrix: list[bp.MatrixRow]
    library: list[ts.LibraryRow]
    buyers: list[ts.BuyerRow]
    processes: list[ts.ProcessRow]
    today: date


def load_view(session: Any, tender_id: int, progress: Any = None) -> TenderViewData:
    detail = ts.load_tender(session, tender_id)
    return TenderViewData(
        detail,
        bp.compliance_matrix(session, tender_id, detail),
        ts.list_library(session),
        ts.list_buyers(session),
        ts.list_processes(session),
        today(),
    )


def bid_packs_folder() -> Path:
    from federation_desk.paths import data_dir

    folder = data_dir() / "bid packs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


DATE_COLUMNS: list[Column[Any]] = [
    Column("What", lambda r: r.title, width=28),
    Column("When", lambda r: r.when, sort_key=lambda r: r.on_date, width=19),
    Column("From", lambda r: "notice" if getattr(r, "from_notice", False) else "", width=7),
    Column("Note", lambda r: r.warning or r.notes or "", tooltip=lambda r: r.warning or r.notes, width=60),
]
LOT_COLUMNS: list[Column[ts.LotRow]] = [
    Column("Lot", lambda r: r.number, width=5),
    Column("Title", lambda r: r.title, width=36),
    Column("Estimated value", lambda r: ts.value_text(r.estimated_value), align=RIGHT, width=13),
    Column("We bid", lambda r: "Yes" if r.bidding else "No", width=7),
]
CRITERION_COLUMNS: list[Column[ts.CriterionRow]] = [
    Column("Criterion", lambda r: r.name, width=36),
    Column("Kind", lambda r: r.kind.label, width=12),
    Column("Lot", lambda r: r.lot_number or "All", width=6),
    Column("Weight", lambda r: f"{r.weight.normalize():f}%" if r.weight is not None else "", align=RIGHT, width=8),
]


class OverviewTab(QWidget):
    """Facts, warnings, key dates (with the standstill worked out), lots, evaluation criteria, notice links."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 8, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        host = QWidget()
        layout = QVBoxLayout(host)
        layout.setContentsMargins(0, 0, 8, 0)
        self.warnings = Notice("")
        layout.addWidget(self.warnings)
        self.facts = QGridLayout()
        self.facts.setHorizontalSpacing(24)
        self.facts.setVerticalSpacing(4)
        layout.addLayout(self.facts)
        self.dates = RecordsTab(DATE_COLUMNS, "tender-dates", "date")
        self.dates.setMinimumHeight(230)
        layout.addWidget(self.dates)
        self.lots = RecordsTab(LOT_COLUMNS, "tender-lots", "lot")
        self.lots.setMinimumHeight(150)
        layout.addWidget(self.lots)
        self.criteria = RecordsTab(CRITERION_COLUMNS, "tender-criteria", "criterion")
        self.criteria.setMinimumHeight(200)
        layout.addWidget(self.criteria)
        self.links = plain_label("", "Muted")
        self.links.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.links)
        layout.addStretch(1)
        scroll.setWidget(host)
        outer.addWidget(scroll)

    def set_data(self, data: TenderViewData) -> None:
        d = data.detail
        self.warnings.label.setText("\n".join(d.warnings))
        self.warnings.setVisible(bool(d.warnings))
        while self.facts.count():
            item = self.facts.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        buyer = d.buyer
        pairs = [
            ("Buyer", buyer.name if buyer else "not recorded"),
            ("Buyer's reference", d.buyer_reference),
            ("Procurement", " — ".join(filter(None, [d.regime.value if d.regime else None, d.process_name]))),
            (
                "Estimated value",
                (format_money(d.estimated_value) if d.estimated_value is not None else "")
                + (f" ({d.value_note})" if d.value_note else ""),
            ),
            ("Term", d.term_text),
            (
                "Status",
                f"{d.status.label}" + (f" since {format_date(d.status_changed_on)}" if d.status_changed_on else ""),
            ),
            ("Owner", d.owner),
            ("Source", d.source.label + (f" ({d.ocid})" if d.ocid else "")),
            ("Notice", d.notice_url or d.notice_id),
            ("Portal", d.portal_url),
            ("CPV codes", d.cpv_codes),
            ("Award basis", d.award_criteria_basis),
            ("Imported", format_instant(d.ocds_imported_at) if d.ocds_imported_at else None),
            (
                "Buyer contact",
                ", ".join(filter(None, [buyer.contact_name, buyer.contact_email, buyer.contact_phone]))
                if buyer
                else None,
            ),
        ]
        shown = [(k, v) for k, v in pairs if v]
        half = (len(shown) + 1) // 2
        for i, (label, value) in enumerate(shown):
            column = 0 if i < half else 2
            row = i if i < half else i - half
            self.facts.addWidget(plain_label(label, "Muted", wrap=False), row, column)
            value_label = plain_label(str(value))
            value_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts.addWidget(value_label, row, column + 1)
        self.facts.setColumnStretch(1, 1)
        self.facts.setColumnStretch(3, 1)
        computed = [
            ts.KeyDateRow(
                0,
                0,
                d.key_dates[0].kind if d.key_dates else None,
                c.title,
                c.on_date,
                None,
                False,  # type: ignore[arg-type]
                c.explanation,
            )
            for c in d.computed_dates
        ]
        self.dates.set_rows(d.key_dates + computed)
        self.dates.note.setText(
            "Standstill is worked out in working days from the award notice date, by the regime's rules "
            "(Settings of the procurement calendar: extra non-working days on the Tenders page)."
        )
        self.lots.set_rows(d.lots)
        self.criteria.set_rows(d.criteria)
        self.criteria.count.setText(
            f"{len(d.criteria)} criteria; weights add up to {d.criteria_weight_total.normalize():f}%"
            if d.criteria
            else "No criteria yet"
        )
        self.links.setText(
            "Notice documents: "
            + "; ".join(
                f"{link.title}{f' ({link.notice_type})' if link.notice_type else ''}: {link.url or 'no web address'}"
                for link in d.links
            )
            if d.links
            else ""
        )


class QuestionsTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        llayout = QVBoxLayout(left)
        llayout.setContentsMargins(0, 0, 6, 0)
        bar = QHBoxLayout()
        self.add_button = QPushButton(icon("add"), "Add question")
        self.edit_button = QPushButton(icon("edit"), "Edit")
        self.delete_button = QPushButton(icon("danger"), "Delete")
        for button in (self.add_button, self.edit_button, self.delete_button):
            bar.addWidget(button)
        bar.addStretch(1)
        llayout.addLayout(bar)
        from federation_desk.ui.models.table_model import RowTableModel

        self.model: RowTableModel[ts.QuestionRow] = RowTableModel(QUESTION_COLUMNS, self)
        self.table = DataTable(self.model, "tender-questions", "Questions")
        llayout.addWidget(self.table, 1)
        self.summary = plain_label("", "Muted")
        llayout.addWidget(self.summary)
        splitter.addWidget(left)
        self.editor = AnswerEditor()
        splitter.addWidget(self.editor)
        splitter.setSizes([520, 640])
        layout.addWidget(splitter, 1)

    def set_rows(self, rows: list[ts.QuestionRow], keep: int | None) -> None:
        # The reset clears the selection for a moment: the view handles the selection once, afterwards.
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        try:
            self._set_rows(rows, keep)
        finally:
            selection.blockSignals(False)

    def _set_rows(self, rows: list[ts.QuestionRow], keep: int | None) -> None:
        self.model.set_rows(rows)
        answered = sum(1 for r in rows if r.is_answered)
        over = sum(1 for r in rows if r.is_over_limit)
        final = sum(1 for r in rows if r.status.value == "final")
        self.summary.setText(
            f"{answered} of {len(rows)} answered, {final} final" + (f", {over} over the limit" if over else "")
        )
        if keep is not None and self.table.select_where(lambda r: r.id == keep):
            return
        if rows and self.table.selected_row() is None:
            self.table.selectRow(0)


class TenderView(QWidget):
    """One tender. ``show_tender(id)`` loads it; the page reloads it when tenders change."""

    back_requested = Signal()
    loaded = Signal()
    deleted = Signal(object)  # the Changes of a deleted tender
    bid_pack_ready = Signal(object)

    TABS = (
        "overview",
        "questions",
        "matrix",
        "documents",
        "clarifications",
        "tasks",
        "bid",
        "pricing",
        "outcome",
        "history",
    )

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tender_id: int | None = None
        self.data: TenderViewData | None = None
        self.load_job: Any = None
        self.pack_job: Any = None
        self.delete_check_job: Any = None
        self.delete_job: Any = None
        self.preview: Any = None
        self._select_question: int | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.back_button = QPushButton("‹ All tenders")
        self.back_button.setAccessibleName("Back to all tenders")
        top.addWidget(self.back_button)
        top.addStretch(1)
        self.delete_button = QPushButton(icon("danger"), "Delete tender ...")
        self.delete_button.setAccessibleName("Delete this tender and everything recorded for it")
        self.delete_button.setToolTip("Delete this tender with its questions, answers, dates and other records")
        self.delete_button.setProperty("needs", "federation")  # tenders are federation records (access control)
        self.delete_button.setEnabled(False)  # until the tender has loaded
        top.addWidget(self.delete_button)
        self.edit_button = QPushButton(icon("edit"), "Edit")
        self.edit_button.setAccessibleName("Edit the tender's details")
        self.pack_button = QPushButton(icon("print"), "Bid pack ...")
        self.pack_button.setAccessibleName("Check and build the bid pack")
        self.pack_button.setProperty("primary", True)
        top.addWidget(self.edit_button)
        top.addWidget(self.pack_button)
        layout.addLayout(top)
        self.title = plain_label("", "PageTitle")
        self.title.setAccessibleName("Tender")
        layout.addWidget(self.title)
        self.subtitle = plain_label("", "PageSubtitle")
        layout.addWidget(self.subtitle)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Tender sections")
        self.overview = OverviewTab()
        self.questions = QuestionsTab()
        self.matrix = MatrixTab()
        self.documents = RecordsTab(
            document_columns({}),
            "tender-documents",
            "document",
            "The documents checklist. Insurance lines are checked against the insurance "
            "schedule on the submission date; other lines need a file.",
        )
        self.clarifications = RecordsTab(CLARIFICATION_COLUMNS, "tender-clarifications", "clarification")
        self.tasks = RecordsTab(TASK_COLUMNS, "tender-tasks", "task")
        self.bid = BidNoBidTab(ts.bid_threshold_percent())
        self.pricing = RecordsTab(price_columns({}), "tender-pricing", "pricing line")
        self.outcome = OutcomeTab()
        self.history_host = QWidget()
        QVBoxLayout(self.history_host).setContentsMargins(0, 0, 0, 0)
        self.history: HistoryView | None = None
        for widget, title, tip in (
            (self.overview, "Overview and dates", "The tender's details, key dates, lots and evaluation criteria"),
            (self.questions, "Questions", "Questions and the answer editor"),
            (self.matrix, "Compliance matrix", "Each requirement, what meets it, and whether it is valid on the day"),
            (self.documents, "Documents", "The documents checklist and its evidence"),
            (self.clarifications, "Clarifications", "The clarification log"),
            (self.tasks, "Tasks", "Tasks for the bid team"),
            (self.bid, "Bid/no-bid", "The bid/no-bid assessment and decision"),
            (self.pricing, "Pricing", "The pricing schedule"),
            (self.outcome, "Outcome", "Outcome and lessons: the result, scores and feedback, lessons learned"),
            (self.history_host, "History", "Every change to this tender and its parts"),
        ):
            index = self.tabs.addTab(widget, title)
            self.tabs.setTabToolTip(index, tip)
        layout.addWidget(self.tabs, 1)
        self._wire()

    # -- wiring ---------------------------------------------------------------------------------------------------
    def _wire(self) -> None:
        self.back_button.clicked.connect(self._back)
        self.edit_button.clicked.connect(self.edit_tender)
        self.delete_button.clicked.connect(self.delete_tender)
        self.pack_button.clicked.connect(self.check_bid_pack)
        o = self.overview
        o.dates.add_requested.connect(lambda: self._dialog(KeyDateDialog, None))
        o.dates.edit_requested.connect(lambda r: r.id and self._dialog(KeyDateDialog, r))
        o.dates.delete_requested.connect(
            lambda r: r.id and self._delete(ts.delete_key_date, r, f"the date '{r.title}'")
        )
        o.lots.add_requested.connect(lambda: self._dialog(LotDialog, None))
        o.lots.edit_requested.connect(lambda r: self._dialog(LotDialog, r))
        o.lots.delete_requested.connect(lambda r: self._delete(ts.delete_lot, r, f"lot {r.number}"))
        o.criteria.add_requested.connect(lambda: self._dialog(CriterionDialog, None, lots=True))
        o.criteria.edit_requested.connect(lambda r: self._dialog(CriterionDialog, r, lots=True))
        o.criteria.delete_requested.connect(lambda r: self._delete(ts.delete_criterion, r, f"the criterion '{r.name}'"))
        q = self.questions
        q.add_button.clicked.connect(lambda: self._dialog(QuestionDialog, None, lots=True))
        q.edit_button.clicked.connect(
            lambda: (r := q.table.selected_row()) and self._dialog(QuestionDialog, r, lots=True)
        )
        q.delete_button.clicked.connect(
            lambda: (r := q.table.selected_row()) and self._delete(ts.delete_question, r, f"question {r.number}")
        )
        q.table.row_activated.connect(lambda r: self._dialog(QuestionDialog, r, lots=True))
        q.table.selectionModel().selectionChanged.connect(self._question_selected)
        q.editor.save_requested.connect(self.save_answer)
        q.editor.insert_requested.connect(self.insert_from_library)
        q.editor.save_to_library_requested.connect(self.save_to_library)
        q.editor.revisions_requested.connect(self.show_revisions)
        self.matrix.go_to.connect(self.go_to)
        d = self.documents
        d.add_requested.connect(lambda: self._dialog(RequiredDocumentDialog, None))
        d.edit_requested.connect(lambda r: self._dialog(RequiredDocumentDialog, r))
        d.delete_requested.connect(lambda r: self._delete(ts.delete_required_document, r, f"'{r.name}'"))
        d.add_button_("Attach file ...", "attach", self.attach_file)
        d.add_button_("Remove file", "danger", self.remove_file)
        d.add_button_("Open file", "open", self.open_file)
        d.add_button_("Add standard checklist", "add", self.add_checklist)
        c = self.clarifications
        c.add_requested.connect(lambda: self._dialog(ClarificationDialog, None))
        c.edit_requested.connect(lambda r: self._dialog(ClarificationDialog, r))
        c.delete_requested.connect(lambda r: self._delete(ts.delete_clarification, r, "the clarification"))
        t = self.tasks
        t.add_requested.connect(lambda: self._dialog(TaskDialog, None))
        t.edit_requested.connect(lambda r: self._dialog(TaskDialog, r))
        t.delete_requested.connect(lambda r: self._delete(ts.delete_task, r, f"the task '{r.title}'"))
        t.add_button_("Mark done / not done", "good", self.toggle_task)
        p = self.pricing
        p.add_requested.connect(lambda: self._dialog(PriceLineDialog, None, lots=True))
        p.edit_requested.connect(lambda r: self._dialog(PriceLineDialog, r, lots=True))
        p.delete_requested.connect(lambda r: self._delete(ts.delete_price_line, r, f"'{r.item}'"))
        self.bid.save_requested.connect(self.save_bid)
        self.bid.defaults_requested.connect(
            lambda: self.tender_id and self.ctx.ops.run_write(ts.ensure_bid_scores, self.tender_id, parent=self)
        )
        self.outcome.save_requested.connect(self.save_outcome)
        self.tabs.currentChanged.connect(self._tab_changed)

    # -- loading --------------------------------------------------------------------------------------------------
    def show_tender(self, tender_id: int, tab: str | None = None) -> None:
        if self.tender_id != tender_id:
            self.data = None
            self.delete_button.setEnabled(False)
            self.title.setText("Loading ...")
            self.subtitle.setText("")
            self.history = None
        self.tender_id = tender_id
        if tab in self.TABS:
            self.tabs.setCurrentIndex(self.TABS.index(tab))
        self.reload()

    def reload(self) -> None:
        if self.tender_id is None:
            return
        tender_id = self.tender_id
        self.load_job = self.ctx.ops.run_query(
            load_view,
            tender_id,
            on_done=self._show,
            on_error=lambda exc: self._load_failed(tender_id, exc),
            parent=self,
            key=f"tender-{tender_id}",
        )

    def _load_failed(self, tender_id: int, exc: BaseException) -> None:
        if tender_id != self.tender_id:
            return  # no longer shown (deleted here, or another tender opened): nothing to tell
        errors.show_error(self, exc)

    def _show(self, data: TenderViewData) -> None:
        if data.detail.id != self.tender_id:
            return
        self.data = data
        self.delete_button.setEnabled(True)
        d = data.detail
        self.title.setText(f"{d.reference}  {d.title}")
        due = d.submission_date
        parts = [
            d.status.label,
            d.buyer.name if d.buyer else None,
            f"submission {format_date(due)}" if due else "no submission date yet",
        ]
        self.subtitle.setText(" · ".join(p for p in parts if p))
        self.overview.set_data(data)
        keep = self._select_question
        if keep is None and self.questions.table.selected_row() is not None:
            keep = self.questions.table.selected_row().id
        self._select_question = None
        self.questions.set_rows(d.questions, keep)
        self._question_selected()
        self.matrix.set_rows(data.matrix, due)
        by_id = {m.target_id: m for m in data.matrix if m.kind in ("Document", "Insurance") and m.target_id}
        self.documents.model.columns = document_columns(by_id)
        self.documents.set_rows(d.documents)
        self.clarifications.set_rows(d.clarifications)
        self.tasks.set_rows(d.tasks)
        self.bid.set_data(d)
        self.pricing.model.columns = price_columns({lot.id: lot.number for lot in d.lots})
        self.pricing.set_rows(d.price_lines)
        self.pricing.count.setText(
            f"{len(d.price_lines)} lines, total {format_money(d.pricing_total, pence=True)}" if d.price_lines else ""
        )
        self.outcome.set_data(d.outcome)
        if self.history is not None:
            self.history.load()
        self.loaded.emit()

    def _tab_changed(self, index: int) -> None:
        if self.TABS[index] == "history" and self.data is not None:
            if self.history is None:
                d = self.data.detail
                related = [
                    ("tender_question", [q.id for q in d.questions]),
                    ("tender_key_date", [k.id for k in d.key_dates]),
                    ("required_document", [x.id for x in d.documents]),
                    ("clarification", [x.id for x in d.clarifications]),
                    ("tender_task", [x.id for x in d.tasks]),
                    ("bid_score", [x.id for x in d.bid_scores]),
                    ("price_line", [x.id for x in d.price_lines]),
                    ("evaluation_criterion", [x.id for x in d.criteria]),
                    ("tender_lot", [x.id for x in d.lots]),
                ]
                if d.outcome:
                    related.append(("tender_outcome", [d.outcome.id]))
                self.history = HistoryView(self.ctx, "tender", d.id, related, self.history_host)
                self.history_host.layout().addWidget(self.history)
            self.history.load()

    def _back(self) -> None:
        if self._confirm_discard():
            self.back_requested.emit()

    # -- generic editing ------------------------------------------------------------------------------------------
    def _dialog(self, cls: Any, row: Any, lots: bool = False) -> None:
        if self.data is None or self.tender_id is None:
            return
        if lots:
            extra: tuple[Any, ...] = (self.data.detail.lots,)
            if cls is QuestionDialog:
                numbers = [q.number for q in self.data.detail.questions]
                next_number = str(len(numbers) + 1)
                while next_number in numbers:
                    next_number = str(int(next_number) + 1)
                dialog = cls(self.ctx.ops, self.tender_id, self.data.detail.lots, row, next_number, self)
            else:
                dialog = cls(self.ctx.ops, self.tender_id, *extra, row, self)
        else:
            dialog = cls(self.ctx.ops, self.tender_id, row, self)
        self.last_dialog = dialog
        dialog.exec()

    def confirm(self, question: str) -> bool:
        answer = QMessageBox.question(self, "Federation Desk", question)
        return answer == QMessageBox.StandardButton.Yes

    def _delete(self, fn: Any, row: Any, what: str) -> None:
        if self.confirm(f"Delete {what}? The history keeps a record of it."):
            self.ctx.ops.run_write(fn, row.id, row.version, parent=self)

    def edit_tender(self) -> None:
        if self.data is not None:
            TenderDialog.ask(self.ctx.ops, self.data.buyers, self.data.processes, self.data.detail, "", self)

    def delete_tender(self) -> Any:
        """Count what goes with the tender, ask (Cancel is the default), then delete it on a worker."""
        if self.data is None or self.tender_id is None:
            return None
        self.delete_check_job = self.ctx.ops.run_query(
            ts.count_tender_contents, self.tender_id, on_done=self._confirm_delete, parent=self
        )
        return self.delete_check_job

    def _confirm_delete(self, contents: ts.TenderContents) -> None:
        if self.data is None or contents.id != self.tender_id:
            return
        self.delete_job = None
        if not self.confirm_delete(contents.question, contents.consequences):
            return
        # The version this screen was loaded with: a change made since then is refused as a stale edit.
        self.delete_job = self.ctx.ops.run_write(
            ts.delete_tender,
            contents.id,
            self.data.detail.version,
            on_done=self._deleted,
            parent=self,
            label="Deleting the tender ...",
        )

    def confirm_delete(self, question: str, consequences: str) -> bool:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Delete tender")
        box.setTextFormat(Qt.TextFormat.PlainText)  # titles are people's text
        box.setText(question)
        box.setInformativeText(consequences)
        informative = box.findChild(QLabel, "qt_msgbox_informativelabel")
        if informative is not None:  # contract references are people's text too
            informative.setTextFormat(Qt.TextFormat.PlainText)
        grid = box.layout()
        if isinstance(grid, QGridLayout):  # wider than Qt's default, so a long title fits on a line or two
            width = QSpacerItem(480, 0, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed)
            grid.addItem(width, grid.rowCount(), 0, 1, grid.columnCount())
        delete = box.addButton("Delete tender", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        self.last_dialog = box
        box.exec()
        return box.clickedButton() is delete

    def _deleted(self, changes: Any) -> None:
        self.tender_id = None
        self.data = None
        self.delete_button.setEnabled(False)
        self.questions.editor.set_question(None)  # its question is gone: nothing left to save or discard
        window = self.window()
        if hasattr(window, "statusBar"):
            window.statusBar().showMessage(changes.message, 6000)
        self.deleted.emit(changes)
        self.back_requested.emit()

    def go_to(self, tab: str, target_id: Any) -> None:
        """Open a tab (and select a record there): the links of the pre-flight check and the matrix."""
        if tab in self.TABS:
            self.tabs.setCurrentIndex(self.TABS.index(tab))
        if target_id is None:
            return
        if tab == "questions":
            self.questions.table.select_where(lambda r: r.id == target_id)
        elif tab == "documents":
            self.documents.table.select_where(lambda r: r.id == target_id)

    # -- questions and answers ------------------------------------------------------------------------------------
    def _question_selected(self, *_args: Any) -> None:
        row = self.questions.table.selected_row()
        editor = self.questions.editor
        if row is None:
            if editor.question is None or not editor.is_dirty:
                editor.set_question(None)
            return
        if editor.question is not None and editor.question.id == row.id:
            if not editor.is_dirty:
                editor.set_question(row)
            elif (row.answer or "") == editor._loaded_text:
                editor.question = row  # our own save came back while typing went on: keep the text, take the version
            return
        if editor.question is not None and editor.is_dirty and not self._confirm_discard():
            self.questions.table.select_where(lambda r: r.id == editor.question.id)  # type: ignore[union-attr]
            return
        editor.set_question(row)

    def _confirm_discard(self) -> bool:
        editor = self.questions.editor
        if editor.question is None or not editor.is_dirty:
            return True
        box = QMessageBox(self)
        box.setWindowTitle("Unsaved answer")
        box.setText(f"The answer to question {editor.question.number} has changes that are not saved.")
        save = box.addButton("Save", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        if box.clickedButton() is save:
            self.save_answer()
            return True
        return box.clickedButton() is discard

    def save_answer(self) -> None:
        editor = self.questions.editor
        q = editor.question
        if q is None:
            return
        self._select_question = q.id
        library_id = getattr(editor, "inserted_library_id", None)
        self.answer_job = self.ctx.ops.run_write(
            ts.save_answer,
            q.id,
            editor.text,
            q.version,
            editor.status.currentData(),
            library_id,
            on_done=self._answer_saved,
            on_error=self._answer_failed,
            parent=self,
        )

    def _answer_saved(self, changes: Any) -> None:
        editor = self.questions.editor
        editor.inserted_library_id = None  # type: ignore[attr-defined]
        editor._loaded_text = editor.text  # saved: nothing to discard while the page reloads
        if editor.question is not None:
            editor.question = ts.QuestionRow(**{**editor.question.__dict__, "status": editor.status.currentData()})
        window = self.window()
        if hasattr(window, "statusBar"):
            window.statusBar().showMessage(changes.message, 6000)

    def _answer_failed(self, exc: BaseException) -> None:
        from federation_desk.errors import StaleEditError

        if isinstance(exc, StaleEditError):
            box = QMessageBox(self)
            box.setIcon(QMessageBox.Icon.Warning)
            box.setWindowTitle(exc.title)
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.setText(exc.message)
            box.setInformativeText("Your text stays in the editor: copy it, then reload to see the other version.")
            box.exec()
            return
        errors.show_error(self, exc)

    def insert_from_library(self) -> None:
        editor = self.questions.editor
        if self.data is None or editor.question is None:
            return
        chosen = InsertFromLibraryDialog.ask(self.data.library, self.data.today, editor.rule, self)
        if chosen is not None:
            editor.insert_text(chosen.body)
            editor.inserted_library_id = chosen.id  # type: ignore[attr-defined]

    def save_to_library(self) -> None:
        editor = self.questions.editor
        if editor.question is None:
            return
        dialog = SaveToLibraryDialog(self.ctx.ops, editor.question, editor.text, self)
        self.last_dialog = dialog
        dialog.exec()

    def show_revisions(self) -> None:
        editor = self.questions.editor
        if editor.question is None:
            return

        def show(rows: list[ts.RevisionRow]) -> None:
            dialog = RevisionsDialog(rows, self)
            self.last_dialog = dialog
            if dialog.exec() and dialog.chosen is not None:
                editor.editor.setPlainText(dialog.chosen.text)

        self.ctx.ops.run_query(ts.list_revisions, editor.question.id, on_done=show, parent=self)

    # -- documents ------------------------------------------------------------------------------------------------
    def attach_file(self) -> None:
        row = self.documents.table.selected_row()
        if row is None:
            QMessageBox.information(self, "Attach a file", "Choose a line of the checklist first.")
            return
        path, _ = QFileDialog.getOpenFileName(
            self,
            f"Evidence for {row.name}",
            str(Path.home()),
            "Documents (*.pdf *.png *.jpg *.jpeg *.docx *.xlsx);;All files (*)",
        )
        if path:
            self.attach_path(row, Path(path))

    def attach_path(self, row: ts.RequiredDocumentRow, path: Path) -> Any:
        def attach(session: Any, row_id: int, version: int, file_path: Path) -> Any:
            from federation_desk.services.documents import read_upload

            filename, data = read_upload(file_path)
            return ts.attach_evidence(session, row_id, version, filename, data)

        self.attach_job = self.ctx.ops.run_write(
            attach, row.id, row.version, path, parent=self, label="Storing the file ..."
        )
        return self.attach_job

    def remove_file(self) -> None:
        row = self.documents.table.selected_row()
        if row is not None and row.document_id is not None and self.confirm(f"Remove the file from '{row.name}'?"):
            self.ctx.ops.run_write(ts.detach_evidence, row.id, row.version, parent=self)

    def open_file(self) -> None:
        row = self.documents.table.selected_row()
        if row is None or row.document_id is None:
            return
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        from federation_desk.paths import data_dir
        from federation_desk.services.documents import export_document

        def opened(path: Path) -> None:
            if row.media_type == "application/pdf":
                from federation_desk.ui.pdf_view import PdfPreviewDialog

                self.preview = PdfPreviewDialog.show_pdf(path, row.name, self)
            else:
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

        self.ctx.ops.run_query(export_document, row.document_id, data_dir() / "opened", on_done=opened, parent=self)

    def add_checklist(self) -> None:
        if self.tender_id is not None:
            self.ctx.ops.run_write(ts.add_standard_checklist, self.tender_id, parent=self)

    def toggle_task(self) -> None:
        row = self.tasks.table.selected_row()
        if row is not None:
            self.ctx.ops.run_write(ts.set_task_done, row.id, row.version, not row.done, today(), parent=self)

    # -- bid/no-bid and outcome -----------------------------------------------------------------------------------
    def save_bid(self, entries: Any, decision: Any, reason: str) -> None:
        if self.data is None:
            return
        self.ctx.ops.run_write(
            ts.save_bid_assessment,
            self.data.detail.id,
            self.data.detail.version,
            entries,
            decision,
            reason,
            today(),
            parent=self,
        )

    def save_outcome(self, form: ts.OutcomeForm) -> None:
        if self.data is None:
            return
        version = self.data.detail.outcome.version if self.data.detail.outcome else None
        self.ctx.ops.run_write(ts.save_outcome, self.data.detail.id, form, version, today(), parent=self)

    # -- the bid pack ---------------------------------------------------------------------------------------------
    def check_bid_pack(self) -> None:
        if self.tender_id is None or not self._confirm_discard():
            return
        self.preflight_job = self.ctx.ops.run_query(
            bp.preflight,
            self.tender_id,
            today(),
            on_done=self._preflight_done,
            parent=self,
            label="Checking the bid ...",
        )

    def _preflight_done(self, check: bp.Preflight) -> None:
        dialog = PreflightDialog(check, lambda problem: self.go_to(problem.tab, problem.target_id), self)
        self.last_dialog = dialog
        if dialog.exec() and check.ok:
            self.build_bid_pack()

    def build_bid_pack(self, target: Path | None = None) -> Any:
        from federation_desk.reports.bid_pack import build_bid_pack

        if self.data is None:
            return None
        target = target or bid_packs_folder() / bp.bid_pack_filename(self.data.detail.reference)
        self.pack_button.setEnabled(False)
        self.pack_job = self.ctx.ops.run_job(
            build_bid_pack,
            self.data.detail.id,
            target,
            on_done=self._pack_done,
            on_error=self._pack_failed,
            label="Building the bid pack ...",
            parent=self,
        )
        return self.pack_job

    def _pack_done(self, built: Any) -> None:
        from federation_desk.ui.pdf_view import PdfPreviewDialog

        self.pack_button.setEnabled(True)
        self.last_pack = built
        title = f"Bid pack {self.data.detail.reference if self.data else ''}"
        self.preview = PdfPreviewDialog.show_pdf(built.path, title, self)
        self.bid_pack_ready.emit(built)

    def _pack_failed(self, exc: BaseException) -> None:
        self.pack_button.setEnabled(True)
        if isinstance(exc, bp.BidPackBlocked):
            self._preflight_done(exc.preflight)
            return
        errors.show_error(self, exc)
