"""Editors for a staff record and its items (registrations, Performers List, DBS, right to work, hepatitis B,
training, appraisals, leave). Each saves through a worker; problems show by their fields; a stale save is refused.

"Renew" opens the editor for a new record prefilled from the current one: the earlier record stays as history.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QListWidget, QListWidgetItem, QPlainTextEdit, QWidget

from federation_desk.domain.compliance import (
    DbsLevel,
    DbsWorkforce,
    HepBOutcome,
    LeaveKind,
    LeaveStatus,
    PerformersStatus,
    RegistrationStatus,
    RightToWorkMethod,
)
from federation_desk.domain.staff import EmploymentType, Regulator
from federation_desk.errors import FieldProblem, ValidationError
from federation_desk.services import staff as st
from federation_desk.services.dates import today as london_today
from federation_desk.services.validators import collect
from federation_desk.ui.widgets.forms import DateField, FormDialog


def field_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def combo(items: Sequence[tuple[str, Any]], current: Any = None) -> QComboBox:
    box = QComboBox()
    for label, value in items:
        box.addItem(label, value)
    index = next((i for i, (_l, v) in enumerate(items) if v == current), 0)
    box.setCurrentIndex(index)
    return box


def enum_combo(enum_cls: type[enum.Enum], current: Any = None, blank: str | None = None) -> QComboBox:
    items: list[tuple[str, Any]] = [(blank, None)] if blank is not None else []
    items += [(getattr(m, "label", m.value), m) for m in enum_cls]
    return combo(items, current)


def notes_box(text: str | None) -> QPlainTextEdit:
    box = QPlainTextEdit(text or "")
    box.setTabChangesFocus(True)
    box.setFixedHeight(56)
    return box


class ItemDialog(FormDialog):
    """Base of the item editors: the staff id, the record being corrected (or None for a new one), dates."""

    title_new = "Add"
    title_edit = "Edit"

    def __init__(self, ops: Any, staff_id: int, row: Any = None, renew_from: Any = None, parent: QWidget | None = None):
        title = self.title_edit if row is not None else self.title_new
        if renew_from is not None:
            title = f"Renew: {self.title_new[0].lower()}{self.title_new[1:]}"
        super().__init__(title, ops, parent)
        self.staff_id = staff_id
        self.row = row
        self.source = row if row is not None else renew_from
        self.dates: dict[str, tuple[DateField, str]] = {}

    def value(self, name: str, default: Any = None) -> Any:
        if self.source is None:
            return default
        return self.source.values.get(name, default)

    def date_field(self, name: str, label: str, hint: str = "", keep: bool = True) -> DateField:
        field = DateField(self.value(name) if keep or self.row is not None else None)
        self.add_field(name, label, field, hint)
        self.dates[name] = (field, label.replace("&", ""))
        return field

    def read_dates(self) -> dict[str, date | None]:
        names = list(self.dates)
        values = collect(*[lambda n=n: self.dates[n][0].date_value(n, self.dates[n][1]) for n in names])
        return dict(zip(names, values))  # type: ignore[arg-type]

    def record_args(self) -> tuple[int | None, int | None]:
        return (self.row.id, self.row.version) if self.row is not None else (None, None)

    @classmethod
    def ask(
        cls, ops: Any, staff_id: int, row: Any = None, renew_from: Any = None, parent: QWidget | None = None
    ) -> bool:
        return cls(ops, staff_id, row, renew_from, parent).exec() == FormDialog.DialogCode.Accepted


class RegistrationDialog(ItemDialog):
    title_new = "Add a professional registration"
    title_edit = "Edit registration"

    def __init__(
        self,
        ops: Any,
        staff_id: int,
        row: Any = None,
        renew_from: Any = None,
        parent: QWidget | None = None,
        regulator: Regulator | None = None,
    ) -> None:
        super().__init__(ops, staff_id, row, renew_from, parent)
        regs = [(r.value, r) for r in Regulator if r is not Regulator.NONE]
        self.regulator = self.add_field("regulator", "&Register", combo(regs, self.value("regulator", regulator)))
        self.number = self.add_field(
            "number",
            "&Number",
            QLineEdit(field_text(self.value("number"))),
            "GMC: 7 digits (physician associates A + digits); NMC: e.g. 12A3456E; GPhC: 7 digits; HCPC: e.g. PA123456",
        )
        self.status = self.add_field(
            "status", "&Status on the register", enum_combo(RegistrationStatus, self.value("status"))
        )
        self.registered = self.date_field("registered_on", "Registered &since")
        self.expires = self.date_field(
            "expires_on", "&Renewal date", "When the registration must next be renewed", keep=False
        )
        self.revalidation = self.date_field("revalidation_due", "Re&validation due", "GMC and NMC", keep=False)
        self.checked = self.date_field("checked_on", "Register &checked on", keep=False)
        self.notes = self.add_field("notes", "N&otes", notes_box(self.value("notes")))

    def collect(self) -> st.RegistrationForm:
        d = self.read_dates()
        return st.RegistrationForm(
            regulator=self.regulator.currentData(),
            number=self.number.text(),
            status=self.status.currentData(),
            registered_on=d["registered_on"],
            expires_on=d["expires_on"],
            revalidation_due=d["revalidation_due"],
            checked_on=d["checked_on"],
            notes=self.notes.toPlainText(),
        )

    def save_call(self, form: st.RegistrationForm) -> tuple[Any, tuple[Any, ...]]:
        return st.save_registration, (self.staff_id, form, *self.record_args())


class PerformersDialog(ItemDialog):
    title_new = "Record a Performers List check"
    title_edit = "Edit Performers List check"

    def __init__(self, ops: Any, staff_id: int, row: Any = None, renew_from: Any = None, parent: QWidget | None = None):
        super().__init__(ops, staff_id, row, renew_from, parent)
        self.list_name = self.add_field(
            "list_name", "&List", QLineEdit(field_text(self.value("list_name", "NHS England Medical Performers List")))
        )
        self.status = self.add_field("status", "&Status", enum_combo(PerformersStatus, self.value("status")))
        self.included = self.date_field("included_on", "&Included since")
        self.checked = self.date_field("checked_on", "List &checked on", keep=False)
        if self.row is None:
            self.checked.set_date(london_today())
        self.officer = self.add_field(
            "responsible_officer",
            "&Responsible officer",
            QLineEdit(field_text(self.value("responsible_officer"))),
            "Designated body, usually the NHS England regional medical director",
        )
        self.notes = self.add_field("notes", "N&otes", notes_box(self.value("notes")))

    def collect(self) -> st.PerformersForm:
        d = self.read_dates()
        return st.PerformersForm(
            status=self.status.currentData(),
            checked_on=d["checked_on"],
            included_on=d["included_on"],
            list_name=self.list_name.text(),
            responsible_officer=self.officer.text(),
            notes=self.notes.toPlainText(),
        )

    def save_call(self, form: st.PerformersForm) -> tuple[Any, tuple[Any, ...]]:
        return st.save_performers, (self.staff_id, form, *self.record_args())


class DbsDialog(ItemDialog):
    title_new = "Add a DBS check"
    title_edit = "Edit DBS check"

    def __init__(self, ops: Any, staff_id: int, row: Any = None, renew_from: Any = None, parent: QWidget | None = None):
        super().__init__(ops, staff_id, row, renew_from, parent)
        self.level = self.add_field("level", "&Level", enum_combo(DbsLevel, self.value("level")))
        self.workforce = self.add_field(
            "workforce", "&Workforce", enum_combo(DbsWorkforce, self.value("workforce"), "(not recorded)")
        )
        self.certificate = self.add_field(
            "certificate_number",
            "&Certificate number",
            QLineEdit(field_text(self.value("certificate_number")) if self.row is not None else ""),
            "12 digits, as printed on the certificate",
        )
        self.issued = self.date_field("issued_on", "&Issued on", keep=False)
        self.update_service = self.add_field("update_service", "&Update Service subscriber", QCheckBox())
        self.update_service.setChecked(bool(self.value("update_service", False)))
        self.status_checked = self.date_field("status_checked_on", "Update Service &status check on", keep=False)
        self.result = self.add_field(
            "status_check_result", "Status check &result", QLineEdit(field_text(self.value("status_check_result")))
        )
        self.recheck = self.date_field(
            "recheck_due", "Re-check &due", "Leave empty to use the federation's re-check policy", keep=False
        )
        self.notes = self.add_field("notes", "N&otes", notes_box(self.value("notes")))

    def collect(self) -> st.DbsForm:
        d = self.read_dates()
        return st.DbsForm(
            level=self.level.currentData(),
            issued_on=d["issued_on"],
            certificate_number=self.certificate.text(),
            workforce=self.workforce.currentData(),
            update_service=self.update_service.isChecked(),
            status_checked_on=d["status_checked_on"],
            status_check_result=self.result.text(),
            recheck_due=d["recheck_due"],
            notes=self.notes.toPlainText(),
        )

    def save_call(self, form: st.DbsForm) -> tuple[Any, tuple[Any, ...]]:
        return st.save_dbs, (self.staff_id, form, *self.record_args())


class RightToWorkDialog(ItemDialog):
    title_new = "Record a right to work check"
    title_edit = "Edit right to work check"

    def __init__(self, ops: Any, staff_id: int, row: Any = None, renew_from: Any = None, parent: QWidget | None = None):
        super().__init__(ops, staff_id, row, renew_from, parent)
        self.method = self.add_field("method", "&Method", enum_combo(RightToWorkMethod, self.value("method")))
        self.document = self.add_field(
            "document_type", "&Document", QLineEdit(field_text(self.value("document_type"))), "e.g. UK passport, eVisa"
        )
        self.checked = self.date_field("checked_on", "&Checked on", keep=False)
        self.checked_by = self.add_field("checked_by", "Checked &by", QLineEdit(field_text(self.value("checked_by"))))
        self.share_code = self.add_field(
            "share_code_reference",
            "&Share code",
            QLineEdit(field_text(self.value("share_code_reference")) if self.row is not None else ""),
            "Online checks: 9 characters starting with W",
        )
        self.permission = self.date_field(
            "permission_expires_on",
            "&Permission ends",
            "For time-limited permission (List B group 1, eVisa)",
            keep=False,
        )
        self.follow_up = self.date_field(
            "follow_up_due", "&Follow-up due", "Leave empty to work it out from the method", keep=False
        )
        self.notes = self.add_field("notes", "N&otes", notes_box(self.value("notes")))

    def collect(self) -> st.RightToWorkForm:
        d = self.read_dates()
        return st.RightToWorkForm(
            method=self.method.currentData(),
            checked_on=d["checked_on"],
            document_type=self.document.text(),
            checked_by=self.checked_by.text(),
            share_code_reference=self.share_code.text(),
            permission_expires_on=d["permission_expires_on"],
            follow_up_due=d["follow_up_due"],
            notes=self.notes.toPlainText(),
        )

    def save_call(self, form: st.RightToWorkForm) -> tuple[Any, tuple[Any, ...]]:
        return st.save_right_to_work, (self.staff_id, form, *self.record_args())


class HepatitisBDialog(ItemDialog):
    title_new = "Add a hepatitis B record"
    title_edit = "Edit hepatitis B record"

    def __init__(self, ops: Any, staff_id: int, row: Any = None, renew_from: Any = None, parent: QWidget | None = None):
        super().__init__(ops, staff_id, row, renew_from, parent)
        self.outcome = self.add_field("outcome", "&Outcome", enum_combo(HepBOutcome, self.value("outcome")))
        self.date_field("dose1_on", "&First dose")
        self.date_field("dose2_on", "&Second dose")
        self.date_field("dose3_on", "&Third dose")
        self.date_field("booster_on", "&Booster")
        self.date_field("tested_on", "Blood &test on")
        self.anti_hbs = self.add_field(
            "anti_hbs", "&Anti-HBs (mIU/ml)", QLineEdit(field_text(self.value("anti_hbs"))), "Responder: 10 or more"
        )
        self.date_field("oh_cleared_on", "Occupational &health clearance")
        self.notes = self.add_field("notes", "N&otes", notes_box(self.value("notes")))

    def collect(self) -> st.HepatitisBForm:
        d = self.read_dates()
        return st.HepatitisBForm(
            outcome=self.outcome.currentData(), anti_hbs=self.anti_hbs.text(), notes=self.notes.toPlainText(), **d
        )

    def save_call(self, form: st.HepatitisBForm) -> tuple[Any, tuple[Any, ...]]:
        return st.save_hepatitis_b, (self.staff_id, form, *self.record_args())


class TrainingDialog(ItemDialog):
    title_new = "Record training"
    title_edit = "Edit training record"

    def __init__(
        self,
        ops: Any,
        staff_id: int,
        row: Any = None,
        renew_from: Any = None,
        parent: QWidget | None = None,
        subjects: Sequence[st.Choice] = (),
        subject_id: int | None = None,
        level: int | None = None,
    ) -> None:
        super().__init__(ops, staff_id, row, renew_from, parent)
        self.subjects = list(subjects)
        self.subject = self.add_field(
            "subject_id",
            "&Subject",
            combo(
                [("(choose a subject)", None)] + [(s.label, s.id) for s in self.subjects],
                self.value("subject_id", subject_id),
            ),
        )
        self.level = self.add_field("level", "&Level", QComboBox())
        self.subject.currentIndexChanged.connect(self._fill_levels)
        self._fill_levels()
        wanted = self.value("level", level)
        if wanted is not None:
            i = self.level.findData(wanted)
            if i >= 0:
                self.level.setCurrentIndex(i)
        self.completed = self.date_field("completed_on", "&Completed on", keep=False)
        self.expires = self.date_field(
            "expires_on",
            "Certificate &expiry",
            "Only if the certificate states one; otherwise the refresher period applies",
            keep=False,
        )
        self.hours = self.add_field("hours", "&Hours", QLineEdit(field_text(self.value("hours"))), "e.g. 2.5")
        self.provider = self.add_field("provider", "&Provider", QLineEdit(field_text(self.value("provider"))))
        self.notes = self.add_field("notes", "N&otes", notes_box(self.value("notes")))

    def _fill_levels(self) -> None:
        self.level.clear()
        chosen = next((s for s in self.subjects if s.id == self.subject.currentData()), None)
        levels = [part.split(":", 1) for part in chosen.extra.split("|")] if chosen and chosen.extra else [["1", ""]]
        for number, name in levels:
            self.level.addItem(name or "Single level", int(number))
        self.level.setEnabled(self.level.count() > 1)

    def collect(self) -> st.TrainingForm:
        d = self.read_dates()
        return st.TrainingForm(
            subject_id=self.subject.currentData(),
            completed_on=d["completed_on"],
            level=self.level.currentData() or 1,
            expires_on=d["expires_on"],
            hours=self.hours.text(),
            provider=self.provider.text(),
            notes=self.notes.toPlainText(),
        )

    def save_call(self, form: st.TrainingForm) -> tuple[Any, tuple[Any, ...]]:
        return st.save_training, (self.staff_id, form, *self.record_args())


class AppraisalDialog(ItemDialog):
    title_new = "Record an appraisal"
    title_edit = "Edit appraisal"

    def __init__(self, ops: Any, staff_id: int, row: Any = None, renew_from: Any = None, parent: QWidget | None = None):
        super().__init__(ops, staff_id, row, renew_from, parent)
        self.completed = self.date_field("completed_on", "&Appraisal date", keep=False)
        self.next_due = self.date_field("next_due", "&Next due", "Leave empty for a year later", keep=False)
        self.appraiser = self.add_field("appraiser", "Apprai&ser", QLineEdit(field_text(self.value("appraiser"))))
        self.revalidation = self.add_field("supports_revalidation", "Supports &revalidation", QCheckBox())
        self.notes = self.add_field("notes", "N&otes", notes_box(self.value("notes") if self.row else ""))
        if self.row is not None:
            self.revalidation.setChecked(bool(self.value("supports_revalidation")))

    def collect(self) -> st.AppraisalForm:
        d = self.read_dates()
        return st.AppraisalForm(
            completed_on=d["completed_on"],
            next_due=d["next_due"],
            appraiser=self.appraiser.text(),
            supports_revalidation=self.revalidation.isChecked(),
            notes=self.notes.toPlainText(),
        )

    def save_call(self, form: st.AppraisalForm) -> tuple[Any, tuple[Any, ...]]:
        return st.save_appraisal, (self.staff_id, form, *self.record_args())


class LeaveDialog(ItemDialog):
    title_new = "Add leave or absence"
    title_edit = "Edit leave"

    def __init__(self, ops: Any, staff_id: int, row: Any = None, renew_from: Any = None, parent: QWidget | None = None):
        super().__init__(ops, staff_id, row, renew_from, parent)
        self.kind = self.add_field("kind", "&Kind", enum_combo(LeaveKind, self.value("kind")))
        self.start = self.date_field("start_on", "&First day")
        self.end = self.date_field("end_on", "&Last day", "Inclusive")
        self.status = self.add_field(
            "status", "&Status", enum_combo(LeaveStatus, self.value("status", LeaveStatus.APPROVED))
        )
        self.notes = self.add_field("notes", "N&otes", notes_box(self.value("notes")))

    def collect(self) -> st.LeaveForm:
        d = self.read_dates()
        return st.LeaveForm(
            kind=self.kind.currentData(),
            start_on=d["start_on"],
            end_on=d["end_on"],
            status=self.status.currentData(),
            notes=self.notes.toPlainText(),
        )

    def save_call(self, form: st.LeaveForm) -> tuple[Any, tuple[Any, ...]]:
        return st.save_leave, (self.staff_id, form, *self.record_args())


class StaffDialog(FormDialog):
    """Add or edit a person: names (any Unicode), contact, role, employer, shared-staff details, dates, hours."""

    def __init__(
        self, ops: Any, options: st.StaffOptions, detail: st.StaffDetail | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__("Edit staff record" if detail else "Add a member of staff", ops, parent)
        self.setMinimumWidth(620)
        self.detail = detail
        d = detail
        self.given = self.add_field("given_name", "&Given name", QLineEdit(field_text(d and d.given_name)))
        self.family = self.add_field("family_name", "&Family name", QLineEdit(field_text(d and d.family_name)))
        self.preferred = self.add_field(
            "preferred_name",
            "&Preferred name",
            QLineEdit(field_text(d and d.preferred_name)),
            "What colleagues call them",
        )
        self.number = self.add_field(
            "staff_number",
            "Staff &number",
            QLineEdit(field_text(d and d.staff_number)),
            "Used to match people on import",
        )
        self.role = self.add_field(
            "role_id",
            "&Role",
            combo([("(choose a role)", None)] + [(r.label, r.id) for r in options.roles], d.role_id if d else None),
        )
        self.employment = self.add_field(
            "employment_type",
            "&Employment",
            enum_combo(EmploymentType, d.employment_type if d else EmploymentType.EMPLOYED),
            "Locums are self-employed",
        )
        self.employer = self.add_field(
            "employer_practice_id",
            "Empl&oyer",
            combo(
                [("The federation", None)] + [(f"{p.label} ({p.extra})", p.id) for p in options.practices],
                d.employer_practice_id if d else None,
            ),
        )
        self.host_pcn = self.add_field(
            "host_pcn_id",
            "&Host PCN",
            combo([("(none)", None)] + [(p.label, p.id) for p in options.pcns], d.host_pcn_id if d else None),
            "For shared staff such as ARRS roles",
        )
        practices = QListWidget()
        practices.setFixedHeight(96)
        for p in options.practices:
            item = QListWidgetItem(f"{p.label} ({p.extra})")
            item.setData(Qt.ItemDataRole.UserRole, p.id)
            item.setCheckState(Qt.CheckState.Checked if d and p.id in d.practice_ids else Qt.CheckState.Unchecked)
            practices.addItem(item)
        self.practices = self.add_field("practice_ids", "Works &for", practices, "Practices a shared person works for")
        self.email = self.add_field("email", "E&mail", QLineEdit(field_text(d and d.email)))
        self.phone = self.add_field("phone", "&Telephone", QLineEdit(field_text(d and d.phone)))
        self.start = self.add_field("start_date", "&Start date", DateField(d.start_date if d else None))
        self.leave = self.add_field("leave_date", "&Leaving date", DateField(d.leave_date if d else None))
        self.hours = self.add_field(
            "contracted_hours", "Contracted &hours", QLineEdit(field_text(d and d.contracted_hours)), "Hours a week"
        )
        self.manager = self.add_field(
            "line_manager_id",
            "L&ine manager",
            combo(
                [("(none)", None)] + [(m.label, m.id) for m in options.managers if not d or m.id != d.id],
                d.line_manager_id if d else None,
            ),
        )
        self.opt_out = self.add_field(
            "working_time_opt_out", "&48-hour opt-out signed", QCheckBox(), "Working Time Regulations"
        )
        self.opt_out.setChecked(bool(d and d.working_time_opt_out))

    def _checked_practices(self) -> tuple[int, ...]:
        ids = []
        for i in range(self.practices.count()):
            item = self.practices.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                ids.append(int(item.data(Qt.ItemDataRole.UserRole)))
        return tuple(ids)

    def collect(self) -> st.StaffForm:
        start, leave = collect(
            lambda: self.start.date_value("start_date", "Start date"),
            lambda: self.leave.date_value("leave_date", "Leaving date"),
        )
        if self.role.currentData() is None:
            raise ValidationError([FieldProblem("role_id", "Choose the person's role.")])
        return st.StaffForm(
            given_name=self.given.text(),
            family_name=self.family.text(),
            role_id=self.role.currentData(),
            employment_type=self.employment.currentData(),
            employer_practice_id=self.employer.currentData(),
            staff_number=self.number.text(),
            preferred_name=self.preferred.text(),
            email=self.email.text(),
            phone=self.phone.text(),
            host_pcn_id=self.host_pcn.currentData(),
            practice_ids=self._checked_practices(),
            start_date=start,  # type: ignore[arg-type]
            leave_date=leave,  # type: ignore[arg-type]
            contracted_hours=self.hours.text(),
            line_manager_id=self.manager.currentData(),
            working_time_opt_out=self.opt_out.isChecked(),
        )

    def save_call(self, form: st.StaffForm) -> tuple[Any, tuple[Any, ...]]:
        d = self.detail
        return st.save_staff, (form, d.id if d else None, d.version if d else None)

    @classmethod
    def ask(cls, ops: Any, options: st.StaffOptions, detail: st.StaffDetail | None, parent: QWidget | None) -> Any:
        dialog = cls(ops, options, detail, parent)
        return dialog.saved_result if dialog.exec() == FormDialog.DialogCode.Accepted else None
