"""Editors for a tender and its parts: overview, buyer, key dates, lots, criteria, questions, clarifications,
tasks, checklist lines, pricing lines, library answers, extra non-working days. Each saves through the service on a
worker and shows the service's field problems by the fields."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QPlainTextEdit, QWidget

from federation_desk.domain.tenders import (
    CountRule,
    CriterionKind,
    DocumentCategory,
    KeyDateKind,
    QuestionStatus,
    TenderSource,
    TenderStatus,
)
from federation_desk.services import procurement_calendar as pc
from federation_desk.services import tenders as ts
from federation_desk.services.dates import today as london_today
from federation_desk.services.money import format_money
from federation_desk.services.validators import collect
from federation_desk.ui.widgets.common import plain_label
from federation_desk.ui.widgets.forms import DateField, FormDialog, choice_combo, field_text


def _area(text: object = "", height: int = 80) -> QPlainTextEdit:
    box = QPlainTextEdit(field_text(text))
    box.setTabChangesFocus(True)
    box.setFixedHeight(height)
    return box


def _money_text(value: Any) -> str:
    return format_money(value) if value is not None else ""


def _number(value: Any) -> str:
    return "" if value is None else f"{value.normalize():f}" if hasattr(value, "normalize") else str(value)


def _version(row: Any) -> tuple[int | None, int | None]:
    return (row.id, row.version) if row is not None else (None, None)


class TenderDialog(FormDialog):
    def __init__(
        self,
        ops: Any,
        buyers: list[ts.BuyerRow],
        processes: list[ts.ProcessRow],
        detail: ts.TenderDetail | None = None,
        reference: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Edit tender" if detail else "New tender", ops, parent)
        self.setMinimumWidth(640)
        self.detail = detail
        d = detail
        self.reference = self.add_field(
            "reference", "&Reference", QLineEdit(d.reference if d else reference), "Our own reference for it"
        )
        self.title_edit = self.add_field("title", "&Title", QLineEdit(field_text(d and d.title)))
        self.buyer = self.add_field(
            "buyer_id",
            "&Buyer",
            choice_combo(
                [("(not recorded)", None)] + [(b.name, b.id) for b in buyers], d.buyer.id if d and d.buyer else None
            ),
        )
        self.buyer_reference = self.add_field(
            "buyer_reference", "Buyer's re&ference", QLineEdit(field_text(d and d.buyer_reference))
        )
        self.source = self.add_field(
            "source",
            "&Source",
            choice_combo([(s.label, s) for s in TenderSource], d.source if d else TenderSource.DIRECT),
        )
        self.process = self.add_field(
            "process_id",
            "&Procurement",
            choice_combo(
                [("(not known yet)", None)] + [(p.label, p.id) for p in processes], d.process_id if d else None
            ),
            "The regime and process or procedure; it sets how the standstill is counted",
        )
        self.value = self.add_field(
            "estimated_value", "Estimated &value", QLineEdit(_money_text(d and d.estimated_value)), "e.g. £2.5m"
        )
        self.value_note = self.add_field("value_note", "Value &note", QLineEdit(field_text(d and d.value_note)))
        self.term = self.add_field("term_months", "Te&rm (months)", QLineEdit(field_text(d and d.term_months)))
        self.ext_count = self.add_field(
            "extension_count",
            "E&xtensions",
            QLineEdit(field_text(d and d.extension_count)),
            "How many optional extensions",
        )
        self.ext_months = self.add_field(
            "extension_months", "Extension &length (months)", QLineEdit(field_text(d and d.extension_months))
        )
        self.status = self.add_field(
            "status",
            "Stat&us",
            choice_combo([(s.label, s) for s in TenderStatus], d.status if d else TenderStatus.IDENTIFIED),
        )
        self.owner = self.add_field("owner", "&Owner", QLineEdit(field_text(d and d.owner)), "Who leads the bid")
        self.portal = self.add_field("portal_url", "Portal &address", QLineEdit(field_text(d and d.portal_url)))
        self.cpv = self.add_field("cpv_codes", "&CPV codes", QLineEdit(field_text(d and d.cpv_codes)))
        self.description = self.add_field("description", "&Description", _area(d and d.description, 90))
        self.notes = self.add_field("notes", "Notes", _area(d and d.notes, 60))

    def collect(self) -> ts.TenderForm:
        return ts.TenderForm(
            reference=self.reference.text(),
            title=self.title_edit.text(),
            description=self.description.toPlainText(),
            buyer_id=self.buyer.currentData(),
            buyer_reference=self.buyer_reference.text(),
            source=self.source.currentData(),
            process_id=self.process.currentData(),
            estimated_value=self.value.text(),
            value_note=self.value_note.text(),
            term_months=self.term.text(),
            extension_count=self.ext_count.text(),
            extension_months=self.ext_months.text(),
            owner=self.owner.text(),
            portal_url=self.portal.text(),
            cpv_codes=self.cpv.text(),
            notes=self.notes.toPlainText(),
            status=self.status.currentData(),
            regime=None if self.process.currentData() else (self.detail.regime if self.detail else None),
        )

    def save_call(self, form: ts.TenderForm) -> tuple[Any, tuple[Any, ...]]:
        d = self.detail
        return ts.save_tender, (form, d.id if d else None, d.version if d else None)

    @classmethod
    def ask(cls, ops: Any, buyers: Any, processes: Any, detail: Any, reference: str, parent: QWidget | None) -> Any:
        dialog = cls(ops, buyers, processes, detail, reference, parent)
        return dialog.saved_result if dialog.exec() == FormDialog.DialogCode.Accepted else None


class BuyerDialog(FormDialog):
    def __init__(self, ops: Any, row: ts.BuyerRow | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Edit buyer" if row else "Add a buyer", ops, parent)
        self.row = row
        self.name = self.add_field("name", "&Name", QLineEdit(field_text(row and row.name)))
        self.kind = self.add_field(
            "kind", "&Kind", QLineEdit(field_text(row and row.kind)), "ICB, NHS trust, local authority ..."
        )
        self.scheme = self.add_field(
            "identifier_scheme",
            "Identifier &scheme",
            QLineEdit(field_text(row and row.identifier_scheme)),
            "e.g. GB-PPON",
        )
        self.identifier = self.add_field("identifier", "&Identifier", QLineEdit(field_text(row and row.identifier)))
        self.address = self.add_field("address", "&Address", _area(row and row.address, 60))
        self.contact = self.add_field("contact_name", "&Contact", QLineEdit(field_text(row and row.contact_name)))
        self.email = self.add_field("contact_email", "&Email", QLineEdit(field_text(row and row.contact_email)))
        self.phone = self.add_field("contact_phone", "&Telephone", QLineEdit(field_text(row and row.contact_phone)))
        self.website = self.add_field("website", "&Website", QLineEdit(field_text(row and row.website)))

    def collect(self) -> ts.BuyerForm:
        return ts.BuyerForm(
            self.name.text(),
            self.kind.text(),
            self.scheme.text(),
            self.identifier.text(),
            self.address.toPlainText(),
            self.contact.text(),
            self.email.text(),
            self.phone.text(),
            self.website.text(),
        )

    def save_call(self, form: ts.BuyerForm) -> tuple[Any, tuple[Any, ...]]:
        return ts.save_buyer, (form, *_version(self.row))

    @classmethod
    def ask(cls, ops: Any, row: ts.BuyerRow | None, parent: QWidget | None) -> Any:
        dialog = cls(ops, row, parent)
        return dialog.saved_result if dialog.exec() == FormDialog.DialogCode.Accepted else None


class KeyDateDialog(FormDialog):
    def __init__(
        self, ops: Any, tender_id: int, row: ts.KeyDateRow | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__("Edit date" if row else "Add a key date", ops, parent)
        self.tender_id, self.row = tender_id, row
        self.kind = self.add_field(
            "kind",
            "&What",
            choice_combo([(k.label, k) for k in KeyDateKind], row.kind if row else KeyDateKind.SUBMISSION_DEADLINE),
        )
        self.on_date = self.add_field("on_date", "&Date", DateField(row.on_date if row else None))
        self.at_time = self.add_field(
            "at_time", "&Time", QLineEdit(f"{row.at_time:%H:%M}" if row and row.at_time else ""), "e.g. 12:00"
        )
        self.label = self.add_field("label", "&Label", QLineEdit(field_text(row and row.label)), "Optional")
        self.notes = self.add_field("notes", "&Notes", _area(row and row.notes, 50))

    def collect(self) -> ts.KeyDateForm:
        (on,) = collect(lambda: self.on_date.date_value("on_date", "The date"))
        return ts.KeyDateForm(
            self.kind.currentData(), on, self.at_time.text(), self.label.text(), self.notes.toPlainText()
        )  # type: ignore[arg-type]

    def save_call(self, form: ts.KeyDateForm) -> tuple[Any, tuple[Any, ...]]:
        return ts.save_key_date, (self.tender_id, form, *_version(self.row))


class LotDialog(FormDialog):
    def __init__(self, ops: Any, tender_id: int, row: ts.LotRow | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Edit lot" if row else "Add a lot", ops, parent)
        self.tender_id, self.row = tender_id, row
        self.number = self.add_field("number", "&Number", QLineEdit(field_text(row and row.number)))
        self.title_edit = self.add_field("title", "&Title", QLineEdit(field_text(row and row.title)))
        self.value = self.add_field(
            "estimated_value", "Estimated &value", QLineEdit(_money_text(row and row.estimated_value))
        )
        self.bidding = self.add_field("bidding", "We &bid for it", QCheckBox())
        self.bidding.setChecked(row.bidding if row else True)
        self.description = self.add_field("description", "&Description", _area(row and row.description, 70))

    def collect(self) -> ts.LotForm:
        return ts.LotForm(
            self.number.text(),
            self.title_edit.text(),
            self.description.toPlainText(),
            self.value.text(),
            self.bidding.isChecked(),
        )

    def save_call(self, form: ts.LotForm) -> tuple[Any, tuple[Any, ...]]:
        return ts.save_lot, (self.tender_id, form, *_version(self.row))


class CriterionDialog(FormDialog):
    def __init__(
        self,
        ops: Any,
        tender_id: int,
        lots: list[ts.LotRow],
        row: ts.CriterionRow | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Edit criterion" if row else "Add an evaluation criterion", ops, parent)
        self.tender_id, self.row = tender_id, row
        self.kind = self.add_field(
            "kind",
            "&Kind",
            choice_combo([(k.label, k) for k in CriterionKind], row.kind if row else CriterionKind.QUALITY),
        )
        self.name = self.add_field("name", "&Name", QLineEdit(field_text(row and row.name)))
        self.weight = self.add_field("weight", "&Weight (%)", QLineEdit(_number(row and row.weight)))
        self.lot = self.add_field(
            "lot_id",
            "&Lot",
            choice_combo(
                [("All lots", None)] + [(f"Lot {lot.number}", lot.id) for lot in lots], row.lot_id if row else None
            ),
        )
        self.description = self.add_field("description", "&Description", _area(row and row.description, 60))

    def collect(self) -> ts.CriterionForm:
        return ts.CriterionForm(
            self.kind.currentData(),
            self.name.text(),
            self.weight.text(),
            self.description.toPlainText(),
            self.lot.currentData(),
        )

    def save_call(self, form: ts.CriterionForm) -> tuple[Any, tuple[Any, ...]]:
        return ts.save_criterion, (self.tender_id, form, *_version(self.row))


class QuestionDialog(FormDialog):
    def __init__(
        self,
        ops: Any,
        tender_id: int,
        lots: list[ts.LotRow],
        row: ts.QuestionRow | None = None,
        next_number: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Edit question" if row else "Add a question", ops, parent)
        self.setMinimumWidth(620)
        self.tender_id, self.row = tender_id, row
        self.number = self.add_field("number", "&Number", QLineEdit(row.number if row else next_number))
        self.text_edit = self.add_field("text", "&Question", _area(row and row.text, 110), "As the buyer wrote it")
        self.limit = self.add_field(
            "answer_limit", "&Limit", QLineEdit(field_text(row and row.answer_limit)), "Leave empty for no limit"
        )
        self.rule = self.add_field(
            "count_rule",
            "&Counted as",
            choice_combo([(r.label, r) for r in CountRule], row.count_rule if row else CountRule.WORDS),
            "The portal's rule: words, or characters with or without spaces",
        )
        self.weighting = self.add_field("weighting", "&Weighting (%)", QLineEdit(_number(row and row.weighting)))
        self.owner = self.add_field("owner", "&Owner", QLineEdit(field_text(row and row.owner)))
        self.due = self.add_field("due_on", "&Due", DateField(row.due_on if row else None))
        self.status = self.add_field(
            "status",
            "&Status",
            choice_combo([(s.label, s) for s in QuestionStatus], row.status if row else QuestionStatus.NOT_STARTED),
        )
        self.section = self.add_field("section", "S&ection", QLineEdit(field_text(row and row.section)), "Optional")
        self.lot = self.add_field(
            "lot_id",
            "Lo&t",
            choice_combo(
                [("All lots", None)] + [(f"Lot {lot.number}", lot.id) for lot in lots], row.lot_id if row else None
            ),
        )

    def collect(self) -> ts.QuestionForm:
        (due,) = collect(lambda: self.due.date_value("due_on", "The due date"))
        return ts.QuestionForm(
            self.number.text(),
            self.text_edit.toPlainText(),
            self.limit.text(),
            self.rule.currentData(),
            self.weighting.text(),
            self.owner.text(),
            due,
            self.status.currentData(),
            self.section.text(),  # type: ignore[arg-type]
            self.lot.currentData(),
        )

    def save_call(self, form: ts.QuestionForm) -> tuple[Any, tuple[Any, ...]]:
        return ts.save_question, (self.tender_id, form, *_version(self.row))


class ClarificationDialog(FormDialog):
    def __init__(
        self, ops: Any, tender_id: int, row: ts.ClarificationRow | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__("Edit clarification" if row else "Add a clarification", ops, parent)
        self.tender_id, self.row = tender_id, row
        self.number = self.add_field("number", "&Number", QLineEdit(field_text(row and row.number)))
        self.ours = self.add_field("raised_by_us", "Raised by &us", QCheckBox())
        self.ours.setChecked(row.raised_by_us if row else True)
        self.question = self.add_field("question", "&Question", _area(row and row.question, 90))
        self.asked = self.add_field("asked_on", "&Asked", DateField(row.asked_on if row else london_today()))
        self.answer = self.add_field("answer", "Ans&wer", _area(row and row.answer, 90))
        self.answered = self.add_field("answered_on", "Answe&red", DateField(row.answered_on if row else None))

    def collect(self) -> ts.ClarificationForm:
        asked, answered = collect(
            lambda: self.asked.date_value("asked_on", "Asked"),
            lambda: self.answered.date_value("answered_on", "Answered"),
        )
        return ts.ClarificationForm(
            self.question.toPlainText(),
            self.answer.toPlainText(),
            self.number.text(),
            self.ours.isChecked(),
            asked,
            answered,  # type: ignore[arg-type]
        )

    def save_call(self, form: ts.ClarificationForm) -> tuple[Any, tuple[Any, ...]]:
        return ts.save_clarification, (self.tender_id, form, *_version(self.row))


class TaskDialog(FormDialog):
    def __init__(self, ops: Any, tender_id: int, row: ts.TaskRow | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Edit task" if row else "Add a task", ops, parent)
        self.tender_id, self.row = tender_id, row
        self.title_edit = self.add_field("title", "&Task", QLineEdit(field_text(row and row.title)))
        self.owner = self.add_field("owner", "&Owner", QLineEdit(field_text(row and row.owner)))
        self.due = self.add_field("due_on", "&Due", DateField(row.due_on if row else None))
        self.done = self.add_field("done", "D&one", QCheckBox())
        self.done.setChecked(row.done if row else False)
        self.notes = self.add_field("notes", "&Notes", _area(row and row.notes, 60))

    def collect(self) -> ts.TaskForm:
        (due,) = collect(lambda: self.due.date_value("due_on", "The due date"))
        return ts.TaskForm(
            self.title_edit.text(), self.owner.text(), due, self.done.isChecked(), self.notes.toPlainText()
        )  # type: ignore[arg-type]

    def save_call(self, form: ts.TaskForm) -> tuple[Any, tuple[Any, ...]]:
        return ts.save_task, (self.tender_id, form, *_version(self.row), london_today())


INSURANCE_TYPES = [
    "",
    "employers liability",
    "public liability",
    "professional indemnity",
    "clinical negligence scheme",
    "cyber",
]


class RequiredDocumentDialog(FormDialog):
    def __init__(
        self, ops: Any, tender_id: int, row: ts.RequiredDocumentRow | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__("Edit checklist line" if row else "Add a required document", ops, parent)
        self.tender_id, self.row = tender_id, row
        self.name = self.add_field("name", "&Document", QLineEdit(field_text(row and row.name)))
        self.category = self.add_field(
            "category",
            "&Kind",
            choice_combo([(c.label, c) for c in DocumentCategory], row.category if row else DocumentCategory.OTHER),
        )
        self.mandatory = self.add_field("mandatory", "&Mandatory", QCheckBox())
        self.mandatory.setChecked(row.mandatory if row else True)
        self.valid_from = self.add_field("valid_from", "Valid &from", DateField(row.valid_from if row else None))
        self.expires = self.add_field(
            "expires_on", "&Expires", DateField(row.expires_on if row else None), "Checked against the submission date"
        )
        self.reference = self.add_field(
            "reference", "&Version or reference", QLineEdit(field_text(row and row.reference))
        )
        self.append = self.add_field("append_to_pack", "&Append to the bid pack", QCheckBox())
        self.append.setChecked(row.append_to_pack if row else True)
        insurance = QComboBox()
        insurance.setEditable(True)
        insurance.addItems(INSURANCE_TYPES)
        insurance.setCurrentText(field_text(row and row.insurance_type))
        self.insurance = self.add_field(
            "insurance_type",
            "&Insurance held",
            insurance,
            "For insurance: the policy checked in the insurance schedule",
        )
        self.minimum = self.add_field(
            "minimum_limit", "Minimum &limit", QLineEdit(_money_text(row and row.minimum_limit)), "e.g. £10m"
        )
        self.notes = self.add_field("notes", "&Notes", _area(row and row.notes, 50))

    def collect(self) -> ts.RequiredDocumentForm:
        valid_from, expires = collect(
            lambda: self.valid_from.date_value("valid_from", "Valid from"),
            lambda: self.expires.date_value("expires_on", "Expires"),
        )
        return ts.RequiredDocumentForm(
            self.name.text(),
            self.category.currentData(),
            self.mandatory.isChecked(),
            valid_from,
            expires,  # type: ignore[arg-type]
            self.reference.text(),
            self.append.isChecked(),
            self.insurance.currentText(),
            self.minimum.text(),
            self.notes.toPlainText(),
        )

    def save_call(self, form: ts.RequiredDocumentForm) -> tuple[Any, tuple[Any, ...]]:
        return ts.save_required_document, (self.tender_id, form, *_version(self.row))


class PriceLineDialog(FormDialog):
    def __init__(
        self,
        ops: Any,
        tender_id: int,
        lots: list[ts.LotRow],
        row: ts.PriceLineRow | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Edit pricing line" if row else "Add a pricing line", ops, parent)
        self.tender_id, self.row = tender_id, row
        self.item = self.add_field("item", "&Item", QLineEdit(field_text(row and row.item)))
        self.unit = self.add_field("unit", "&Unit", QLineEdit(field_text(row and row.unit)), "session, hour, year ...")
        self.quantity = self.add_field("quantity", "&Quantity", QLineEdit(_number(row.quantity) if row else "1"))
        self.price = self.add_field(
            "unit_price", "Unit &price", QLineEdit(format_money(row.unit_price, pence=True) if row else "")
        )
        self.lot = self.add_field(
            "lot_id",
            "&Lot",
            choice_combo(
                [("All lots", None)] + [(f"Lot {lot.number}", lot.id) for lot in lots], row.lot_id if row else None
            ),
        )
        self.notes = self.add_field("notes", "&Notes", _area(row and row.notes, 50))

    def collect(self) -> ts.PriceLineForm:
        return ts.PriceLineForm(
            self.item.text(),
            self.price.text(),
            self.quantity.text(),
            self.unit.text(),
            self.notes.toPlainText(),
            self.lot.currentData(),
        )

    def save_call(self, form: ts.PriceLineForm) -> tuple[Any, tuple[Any, ...]]:
        return ts.save_price_line, (self.tender_id, form, *_version(self.row))


class LibraryAnswerDialog(FormDialog):
    def __init__(self, ops: Any, row: ts.LibraryRow | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Edit library answer" if row else "Add a library answer", ops, parent)
        self.setMinimumWidth(680)
        self.row = row
        self.title_edit = self.add_field("title", "&Title", QLineEdit(field_text(row and row.title)))
        self.body = self.add_field("body", "&Answer", _area(row and row.body, 220))
        self.tags = self.add_field(
            "tags",
            "Ta&gs",
            QLineEdit(", ".join(row.tags) if row else ""),
            "Separated by commas, e.g. safeguarding, cqc",
        )
        self.owner = self.add_field("owner", "&Owner", QLineEdit(field_text(row and row.owner)))
        self.reviewed = self.add_field(
            "last_reviewed_on", "Last &reviewed", DateField(row.last_reviewed_on if row else london_today())
        )
        self.interval = self.add_field(
            "review_interval_months",
            "Review &every (months)",
            QLineEdit(str(row.review_interval_months) if row else "12"),
        )

    def collect(self) -> ts.LibraryForm:
        (reviewed,) = collect(lambda: self.reviewed.date_value("last_reviewed_on", "Last reviewed"))
        return ts.LibraryForm(
            self.title_edit.text(),
            self.body.toPlainText(),
            self.tags.text(),
            self.owner.text(),
            reviewed,  # type: ignore[arg-type]
            self.interval.text(),
        )

    def save_call(self, form: ts.LibraryForm) -> tuple[Any, tuple[Any, ...]]:
        return ts.save_library_answer, (form, *_version(self.row))


class SaveToLibraryDialog(FormDialog):
    """Keep the answer being edited as a reusable library answer."""

    def __init__(self, ops: Any, question: ts.QuestionRow, text: str, parent: QWidget | None = None) -> None:
        super().__init__("Save the answer to the library", ops, parent)
        self.question, self.text = question, text
        title = " ".join(question.text.split())
        self.title_edit = self.add_field(
            "title", "&Title", QLineEdit(title if len(title) <= 80 else title[:79] + "…"), "How people will find it"
        )
        self.tags = self.add_field("tags", "Ta&gs", QLineEdit(), "Separated by commas")
        words = ts.count_answer(text, CountRule.WORDS)
        self.form.addRow("", plain_label(f"{words:,} words; it will be marked as reviewed today.", "Muted"))

    def collect(self) -> tuple[str, str]:
        return self.title_edit.text(), self.tags.text()

    def save_call(self, form: tuple[str, str]) -> tuple[Any, tuple[Any, ...]]:
        return ts.save_answer_to_library, (self.question.id, form[0], form[1], london_today(), self.text)


class NonWorkingDayDialog(FormDialog):
    def __init__(self, ops: Any, row: pc.NonWorkingDayRow | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Edit non-working day" if row else "Add an extra non-working day", ops, parent)
        self.row = row
        self.day = self.add_field(
            "day", "&Date", DateField(row.day if row else None), "A day off beyond weekends and bank holidays"
        )
        self.reason = self.add_field("reason", "&Reason", QLineEdit(field_text(row and row.reason)))

    def collect(self) -> tuple[date | None, str]:
        (day,) = collect(lambda: self.day.date_value("day", "The date"))
        return day, self.reason.text()  # type: ignore[return-value]

    def save_call(self, form: tuple[date | None, str]) -> tuple[Any, tuple[Any, ...]]:
        return pc.save_non_working_day, (form[0], form[1], *_version(self.row))
