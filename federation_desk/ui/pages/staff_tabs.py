"""The HR tabs of a staff record (registered in ``staff_record.STAFF_RECORD_TABS``): details, registrations, DBS
and right to work (with hepatitis B), training, appraisals, leave, documents and history.

Item tables share :class:`ItemSection`: Add, Renew (a new record; the old one stays as history), Edit, Delete, and
evidence: Attach (file dialog, or drop PDF/PNG/JPEG files on a row) and Open.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from federation_desk.domain.compliance import ItemKind
from federation_desk.domain.staff import StaffMember
from federation_desk.services import staff as st
from federation_desk.services.dates import format_date, format_instant, today
from federation_desk.services.documents import export_document, human_size
from federation_desk.ui import errors
from federation_desk.ui.dialogs import staff as dialogs
from federation_desk.ui.icons import icon
from federation_desk.ui.models.staff import docs_column, item_status_column, status_foreground, status_icon
from federation_desk.ui.models.table_model import RIGHT, Column, RowTableModel
from federation_desk.ui.widgets.common import plain_label
from federation_desk.ui.widgets.history import HistoryView
from federation_desk.ui.widgets.table import DataTable

EVIDENCE_FILTER = "Evidence (*.pdf *.png *.jpg *.jpeg);;All files (*)"


def _d(value: Any) -> str:
    return format_date(value)


def open_document(ctx: Any, document_id: int, filename: str, parent: QWidget | None) -> Any:
    """Write the stored file to a temporary folder (on a worker) and open it: PDFs in the preview, pictures with
    the system viewer."""
    folder = Path(tempfile.gettempdir()) / "FederationDesk-documents"

    def opened(path: Path) -> None:
        if path.suffix.lower() == ".pdf":
            from federation_desk.ui.pdf_view import PdfPreviewDialog

            PdfPreviewDialog.show_pdf(path, filename, parent)
        else:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    return ctx.ops.run_query(export_document, document_id, folder, on_done=opened, parent=parent)


class DropTable(DataTable):
    """A table that takes files dropped on a row (evidence for that record)."""

    files_dropped = Signal(list, object)  # paths, the row under the pointer (or None)

    def __init__(self, model: RowTableModel[Any], state_key: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(model, state_key, name, parent)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setDropIndicatorShown(True)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: Any) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        if not event.mimeData().hasUrls():
            super().dropEvent(event)
            return
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        index = self.indexAt(event.position().toPoint())
        row = self.row_model.row_at(index) if index.isValid() else None
        event.acceptProposedAction()
        self.files_dropped.emit(paths, row)


class ItemSection(QWidget):
    """One kind of item: its records (current first, history after), and what can be done with them."""

    def __init__(
        self,
        tab: StaffTab,
        title: str,
        noun: str,
        columns: list[Column[Any]],
        dialog: type[dialogs.ItemDialog],
        rows_of: Callable[[st.StaffItems], Sequence[st.ItemRow]],
        renewable: bool = True,
        dialog_kwargs: Callable[[], dict[str, Any]] | None = None,
        with_status: bool = True,
        kind: ItemKind | None = None,
    ) -> None:
        super().__init__(tab)
        self.tab = tab
        self.noun = noun
        self.dialog = dialog
        self.rows_of = rows_of
        self.dialog_kwargs = dialog_kwargs or dict
        self.kind = kind
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        head = QHBoxLayout()
        head.addWidget(plain_label(title, "CardTitle", wrap=False))
        self.summary = plain_label("", "Muted")
        head.addWidget(self.summary, 1)
        self.add_button = QPushButton(icon("add"), f"Add {noun}")
        self.add_button.setAccessibleName(f"Add a {noun}")
        self.renew_button = QPushButton(icon("refresh"), "Renew ...")
        self.renew_button.setAccessibleName(f"Renew the {noun}: a new record, keeping this one as history")
        self.renew_button.setVisible(renewable)
        self.edit_button = QPushButton(icon("edit"), "Edit")
        self.edit_button.setAccessibleName(f"Edit the selected {noun}")
        self.delete_button = QPushButton("Delete")
        self.delete_button.setAccessibleName(f"Delete the selected {noun}")
        self.attach_button = QPushButton(icon("attach"), "Attach ...")
        self.attach_button.setAccessibleName(f"Attach evidence to the selected {noun}")
        self.attach_button.setToolTip("Attach a PDF, PNG or JPEG; you can also drop files on a row")
        self.open_button = QPushButton(icon("open"), "Open evidence")
        self.open_button.setAccessibleName(f"Open the evidence of the selected {noun}")
        for b in (
            self.add_button,
            self.renew_button,
            self.edit_button,
            self.delete_button,
            self.attach_button,
            self.open_button,
        ):
            head.addWidget(b)
        layout.addLayout(head)
        shown = [item_status_column(), *columns] if with_status else list(columns)
        self.model: RowTableModel[st.ItemRow] = RowTableModel([*shown, docs_column()], self)
        self.table = DropTable(self.model, f"staff-{noun.replace(' ', '-')}", f"{noun.capitalize()} records")
        self.table.setSortingEnabled(False)
        self.table.setMinimumHeight(self.table.verticalHeader().defaultSectionSize() * 4 + 30)
        layout.addWidget(self.table, 1)
        self.add_button.clicked.connect(lambda: self.edit(None))
        self.renew_button.clicked.connect(self.renew)
        self.edit_button.clicked.connect(lambda: self.edit(self.table.selected_row()))
        self.delete_button.clicked.connect(self.delete)
        self.attach_button.clicked.connect(self.attach_dialog)
        self.open_button.clicked.connect(self.open_evidence)
        self.table.row_activated.connect(self.edit)
        self.table.files_dropped.connect(self.attach_files)
        self.table.selectionModel().selectionChanged.connect(self._enable)
        self._enable()

    def set_items(self, items: st.StaffItems) -> None:
        rows = list(self.rows_of(items))
        selected = self.table.selected_row()
        self.model.set_rows(rows)
        needed = self.kind is None or self.kind in items.required
        current = sum(1 for r in rows if r.current)
        history = len(rows) - current
        if not rows:
            self.summary.setText("none recorded" if needed else "not required for this role")
        elif current:
            self.summary.setText(
                f"{history} earlier record{'s' if history != 1 else ''} kept as history" if history else ""
            )
        else:
            self.summary.setText(f"{len(rows)} record{'s' if len(rows) != 1 else ''}")
        if not needed and rows:
            self.summary.setText(self.summary.text() + " (not required for this role)")
        if selected is not None:
            self.table.select_where(lambda r: r.id == selected.id)
        self._enable()

    def _enable(self, *_args: Any) -> None:
        row = self.table.selected_row()
        for b in (self.edit_button, self.delete_button, self.attach_button):
            b.setEnabled(row is not None)
        self.open_button.setEnabled(row is not None and row.documents > 0)
        self.renew_button.setEnabled(bool(self.model.all_rows))

    def _current_or_selected(self) -> st.ItemRow | None:
        return self.table.selected_row() or next((r for r in self.model.all_rows if r.current), None)

    # -- editing ----------------------------------------------------------------------------------------------
    def edit(self, row: st.ItemRow | None) -> bool:
        return self.dialog.ask(self.tab.ctx.ops, self.tab.staff_id, row, None, self, **self.dialog_kwargs())  # type: ignore[call-arg]

    def renew(self) -> bool:
        source = self._current_or_selected()
        return self.dialog.ask(self.tab.ctx.ops, self.tab.staff_id, None, source, self, **self.dialog_kwargs())  # type: ignore[call-arg]

    def delete(self) -> None:
        row = self.table.selected_row()
        if row is None:
            return
        answer = QMessageBox.question(
            self,
            f"Delete this {self.noun}?",
            f"Delete this {self.noun} record? Do this only for a record entered by mistake: to record a renewal, "
            "use Renew so the earlier record stays as history. The audit trail keeps what it held.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_job = self.tab.ctx.ops.run_write(st.delete_item, row.table, row.id, row.version, parent=self)

    # -- evidence ---------------------------------------------------------------------------------------------
    def attach_dialog(self) -> None:
        row = self.table.selected_row()
        if row is None:
            return
        paths, _ = QFileDialog.getOpenFileNames(
            self, f"Attach evidence to this {self.noun}", str(Path.home()), EVIDENCE_FILTER
        )
        if paths:
            self.attach_files(paths, row)

    def attach_files(self, paths: list[str], row: st.ItemRow | None) -> Any:
        target = row or self._current_or_selected()
        if target is None:
            errors.show_error(self, _no_target(self.noun))
            return None
        self.attach_job = self.tab.ctx.ops.run_write(
            st.attach_evidence_files, self.tab.staff_id, (target.table, target.id), paths, parent=self
        )
        return self.attach_job

    def open_evidence(self) -> None:
        row = self.table.selected_row()
        if row is None:
            return

        def chosen(docs: list[st.StaffDocumentRow]) -> None:
            mine = [d for d in docs if (d.entity, d.entity_id) == (row.table, row.id)]
            if len(mine) == 1:
                open_document(self.tab.ctx, mine[0].document.id, mine[0].document.filename, self)
            elif mine:
                menu = QMenu(self)
                for d in mine:
                    menu.addAction(d.document.filename).triggered.connect(
                        lambda _c=False, d=d: open_document(self.tab.ctx, d.document.id, d.document.filename, self)
                    )
                menu.popup(self.open_button.mapToGlobal(self.open_button.rect().bottomLeft()))

        self.tab.ctx.ops.run_query(st.staff_documents, self.tab.staff_id, on_done=chosen, parent=self)


def _no_target(noun: str) -> Exception:
    from federation_desk.errors import ValidationError

    return ValidationError(
        f"There is no {noun} to attach the file to yet.", f"Add the {noun} first, then attach its evidence to it."
    )


class StaffTab(QWidget):
    """A tab that shows the person's items (``staff_items``) in one or more sections."""

    loaded = Signal()

    def __init__(self, ctx: Any, staff_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.staff_id = staff_id
        self.items: st.StaffItems | None = None
        self.sections: list[ItemSection] = []
        self.load_job: Any = None
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 8, 0, 0)

    def section(self, *args: Any, **kwargs: Any) -> ItemSection:
        section = ItemSection(self, *args, **kwargs)
        self.sections.append(section)
        self.layout_.addWidget(section, 1)
        return section

    def load(self) -> None:
        self.load_job = self.ctx.ops.run_query(
            st.staff_items,
            self.staff_id,
            today(),
            on_done=self._show,
            parent=self,
            key=f"{type(self).__name__}-{self.staff_id}",
        )

    def _show(self, items: st.StaffItems) -> None:
        self.items = items
        for section in self.sections:
            section.set_items(items)
        self.show_items(items)
        self.loaded.emit()

    def show_items(self, items: st.StaffItems) -> None:
        """Anything beyond the sections (subclasses)."""


# ---- the tabs ---------------------------------------------------------------------------------------------------


_KIND_ORDER = {kind: i for i, kind in enumerate(ItemKind)}
CHECKLIST_COLUMNS: list[Column[Any]] = [
    Column("Item", lambda i: i.label, sort_key=lambda i: (_KIND_ORDER[i.kind], i.label.casefold()), width=34),
    Column(
        "Status",
        lambda i: i.status.label,
        icon=lambda i: status_icon(i.status),
        foreground=lambda i: status_foreground(i.status),
        width=10,
    ),
    Column("Expires", lambda i: _d(i.expires_on), sort_key=lambda i: i.expires_on, width=10),
    Column("Detail", lambda i: i.detail, tooltip=lambda i: i.detail, width=30),
]


def _details(session: Any, staff_id: int) -> tuple[st.StaffDetail, Any]:
    from federation_desk.services import compliance as comp

    detail = st.get_staff(session, staff_id)
    return detail, comp.evaluate(session, today(), [staff_id]).get(staff_id)


class DetailsTab(QWidget):
    """The person's details, and their staff-file checklist: every item their role needs, with its status."""

    loaded = Signal()

    def __init__(self, ctx: Any, staff_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.staff_id = staff_id
        self.detail: st.StaffDetail | None = None
        self.load_job: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 12, 0, 0)
        body = QHBoxLayout()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        host = QWidget()
        self.grid = QGridLayout(host)
        self.grid.setHorizontalSpacing(24)
        self.grid.setVerticalSpacing(6)
        scroll.setWidget(host)
        scroll.setMinimumWidth(380)
        body.addWidget(scroll, 2)
        checklist = QVBoxLayout()
        checklist.addWidget(plain_label("Staff file checklist", "CardTitle", wrap=False))
        self.checklist_model: RowTableModel[Any] = RowTableModel(CHECKLIST_COLUMNS, self)
        self.checklist = DataTable(self.checklist_model, "staff-checklist", "Staff file checklist")
        self.checklist.setSortingEnabled(False)
        checklist.addWidget(self.checklist, 1)
        self.checklist_note = plain_label("", "Muted")
        checklist.addWidget(self.checklist_note)
        body.addLayout(checklist, 3)
        layout.addLayout(body, 1)
        bar = QHBoxLayout()
        self.edit_button = QPushButton(icon("edit"), "Edit details")
        self.edit_button.setAccessibleName("Edit this person's details")
        self.edit_button.clicked.connect(self.edit)
        bar.addWidget(self.edit_button)
        bar.addStretch(1)
        layout.addLayout(bar)
        self.labels: dict[str, Any] = {}

    def load(self) -> None:
        self.load_job = self.ctx.ops.run_query(
            _details, self.staff_id, on_done=self._show, parent=self, key=f"staff-details-{self.staff_id}"
        )

    def _show(self, result: tuple[st.StaffDetail, Any]) -> None:
        detail, person = result
        self.detail = detail
        self.checklist_model.set_rows(list(person.items) if person else [])
        self.checklist_note.setText(
            "Statuses on today's date. Items come from the role's requirements (reference data)."
            if person
            else "Not a current member of staff, so nothing is checked."
        )
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        locum = " (self-employed)" if detail.employment_type.value == "locum" else ""
        hours = f"{detail.contracted_hours:g} a week" if detail.contracted_hours is not None else ""
        pairs = [
            ("Given name", detail.given_name),
            ("Family name", detail.family_name),
            ("Preferred name", detail.preferred_name),
            ("Staff number", detail.staff_number),
            ("Role", detail.role_name),
            ("Employment", detail.employment_type.label + locum),
            ("Employer", detail.employer),
            ("Host PCN", detail.host_pcn),
            ("Also works for", ", ".join(detail.practices_worked)),
            ("Email", detail.email),
            ("Telephone", detail.phone),
            ("Start date", _d(detail.start_date)),
            ("Leaving date", _d(detail.leave_date)),
            ("Contracted hours", hours),
            ("Line manager", detail.line_manager),
            ("48-hour opt-out", "Signed" if detail.working_time_opt_out else "No"),
        ]
        self.labels = {}
        for i, (label, value) in enumerate(pairs):
            self.grid.addWidget(plain_label(label, "Muted"), i, 0)
            shown = plain_label(value or "not recorded")
            shown.setAccessibleName(label)
            self.labels[label] = shown
            self.grid.addWidget(shown, i, 1)
        self.grid.setColumnStretch(1, 1)
        self.grid.setRowStretch(len(pairs), 1)
        self.loaded.emit()

    def edit(self) -> Any:
        if self.detail is None:
            return None
        detail = self.detail
        self.options_job = self.ctx.ops.run_query(
            st.staff_options,
            on_done=lambda options: dialogs.StaffDialog.ask(self.ctx.ops, options, detail, self),
            parent=self,
        )
        return self.options_job


def _registration_columns() -> list[Column[Any]]:
    return [
        Column("Register", lambda r: r.regulator.value, width=7),
        Column("Number", lambda r: r.number, width=10),
        Column("On the register", lambda r: r.values["status"].label, width=14),
        Column("Renewal date", lambda r: _d(r.expires_on), width=11),
        Column("Revalidation due", lambda r: _d(r.revalidation_due), width=12),
        Column("Checked", lambda r: _d(r.checked_on), width=10),
        Column("Notes", lambda r: r.notes or "", tooltip=lambda r: r.notes, width=18),
    ]


class RegistrationsTab(StaffTab):
    def __init__(self, ctx: Any, staff_id: int, parent: QWidget | None = None) -> None:
        super().__init__(ctx, staff_id, parent)
        self.registrations = self.section(
            "Professional registration",
            "registration",
            _registration_columns(),
            dialogs.RegistrationDialog,
            lambda i: i.registrations,
            kind=ItemKind.REGISTRATION,
        )
        self.performers = self.section(
            "Performers List",
            "Performers List check",
            [
                Column("List", lambda r: r.list_name, width=26),
                Column("Status", lambda r: r.values["status"].label, width=14),
                Column("Checked", lambda r: _d(r.checked_on), width=10),
                Column("Re-check due", lambda r: _d(r.expires_on), width=11),
                Column("Responsible officer", lambda r: r.responsible_officer or "", width=22),
            ],
            dialogs.PerformersDialog,
            lambda i: i.performers,
            kind=ItemKind.PERFORMERS_LIST,
        )


class ChecksTab(StaffTab):
    def __init__(self, ctx: Any, staff_id: int, parent: QWidget | None = None) -> None:
        super().__init__(ctx, staff_id, parent)
        self.dbs = self.section(
            "DBS",
            "DBS check",
            [
                Column("Level", lambda r: r.values["level"].label, width=20),
                Column("Certificate", lambda r: r.certificate_number or "", width=13),
                Column("Issued", lambda r: _d(r.issued_on), width=10),
                Column("Update Service", lambda r: "Yes" if r.update_service else "No", width=8),
                Column("Re-check due", lambda r: _d(r.expires_on), width=11),
            ],
            dialogs.DbsDialog,
            lambda i: i.dbs,
            kind=ItemKind.DBS,
        )
        self.right_to_work = self.section(
            "Right to work",
            "right to work check",
            [
                Column("Method", lambda r: r.values["method"].label, width=30),
                Column("Document", lambda r: r.document_type or "", width=16),
                Column("Checked", lambda r: _d(r.checked_on), width=10),
                Column("Permission ends", lambda r: _d(r.permission_expires_on), width=11),
                Column("Follow-up due", lambda r: _d(r.expires_on) if r.current else "", width=11),
            ],
            dialogs.RightToWorkDialog,
            lambda i: i.right_to_work,
            kind=ItemKind.RIGHT_TO_WORK,
        )
        self.hepatitis_b = self.section(
            "Hepatitis B",
            "hepatitis B record",
            [
                Column("Outcome", lambda r: r.values["outcome"].label, width=18),
                Column(
                    "Doses", lambda r: ", ".join(_d(x) for x in (r.dose1_on, r.dose2_on, r.dose3_on) if x), width=30
                ),
                Column("Tested", lambda r: _d(r.tested_on), width=10),
                Column(
                    "Anti-HBs", lambda r: "" if r.anti_hbs is None else f"{r.anti_hbs} mIU/ml", align=RIGHT, width=9
                ),
                Column("OH clearance", lambda r: _d(r.oh_cleared_on), width=10),
            ],
            dialogs.HepatitisBDialog,
            lambda i: i.hepatitis_b,
            renewable=False,
            kind=ItemKind.HEPATITIS_B,
        )


class TrainingTab(StaffTab):
    """What the role requires with its status, and every training record (newest first)."""

    def __init__(self, ctx: Any, staff_id: int, parent: QWidget | None = None) -> None:
        super().__init__(ctx, staff_id, parent)
        self.subjects: tuple[st.Choice, ...] = ()
        head = QHBoxLayout()
        head.addWidget(plain_label("Required for the role", "CardTitle", wrap=False))
        self.summary = plain_label("", "Muted")
        self.summary.setAccessibleName("Training summary")
        head.addWidget(self.summary, 1)
        self.record_button = QPushButton(icon("add"), "Record completion ...")
        self.record_button.setAccessibleName("Record a completion of the selected subject")
        head.addWidget(self.record_button)
        self.layout_.addLayout(head)
        self.lines_model: RowTableModel[st.TrainingLine] = RowTableModel(
            [
                Column("Subject", lambda r: r.subject, width=40),
                Column("Level needed", lambda r: r.required_label, width=12),
                Column(
                    "Status",
                    lambda r: r.status.label,
                    icon=lambda r: status_icon(r.status),
                    foreground=lambda r: status_foreground(r.status),
                    width=12,
                ),
                Column("Completed", lambda r: _d(r.completed_on), sort_key=lambda r: r.completed_on, width=10),
                Column(
                    "Expires",
                    lambda r: _d(r.expires_on) or ("no refresher" if r.completed_on else ""),
                    sort_key=lambda r: r.expires_on,
                    width=11,
                ),
                Column("Detail", lambda r: r.detail, width=20),
            ],
            self,
        )
        self.lines = DataTable(self.lines_model, "staff-training-lines", "Training required for the role")
        self.layout_.addWidget(self.lines, 2)
        self.hours = plain_label("", "Muted")
        self.hours.setAccessibleName("Safeguarding hours")
        self.layout_.addWidget(self.hours)
        self.records = self.section(
            "Training records",
            "training record",
            [
                Column("Subject", lambda r: self._subject_name(r.subject_id), width=40),
                Column("Level", lambda r: str(r.level), align=RIGHT, width=5),
                Column("Completed", lambda r: _d(r.completed_on), width=10),
                Column("Certificate expiry", lambda r: _d(r.values["expires_on"]), width=12),
                Column("Hours", lambda r: "" if r.hours is None else f"{r.hours:g}", align=RIGHT, width=6),
                Column("Provider", lambda r: r.provider or "", width=16),
            ],
            dialogs.TrainingDialog,
            lambda i: i.training,
            renewable=False,
            dialog_kwargs=lambda: {"subjects": self.subjects},
        )
        self.record_button.clicked.connect(self.record_selected)
        self.lines.row_activated.connect(self.record_line)

    def _subject_name(self, subject_id: int) -> str:
        return next((s.label for s in self.subjects if s.id == subject_id), "")

    def load(self) -> None:
        def with_options(session: Any, staff_id: int, on: Any) -> tuple[Any, Any]:
            return st.staff_options(session).subjects, st.staff_items(session, staff_id, on)

        self.load_job = self.ctx.ops.run_query(
            with_options, self.staff_id, today(), on_done=self._show_both, parent=self, key=f"training-{self.staff_id}"
        )

    def _show_both(self, result: tuple[Any, st.StaffItems]) -> None:
        self.subjects = result[0]
        self._show(result[1])

    def show_items(self, items: st.StaffItems) -> None:
        lines = list(items.training_lines)
        self.lines_model.set_rows(lines)
        required = [x for x in lines if x.required_level is not None]
        ok = sum(1 for x in required if x.status.ok)
        self.summary.setText(f"{ok} of {len(required)} in date")
        self.hours.setText(
            "  ".join(
                f"{name}: {hours:g} of {expected:g} hours in the last 3 years."
                if expected
                else f"{name}: {hours:g} hours."
                for name, hours, expected in items.safeguarding_hours
            )
        )

    def record_selected(self) -> bool:
        return self.record_line(self.lines.selected_row())

    def record_line(self, line: st.TrainingLine | None) -> bool:
        return dialogs.TrainingDialog.ask(
            self.ctx.ops,
            self.staff_id,
            None,
            None,
            self,
            subjects=self.subjects,
            subject_id=line.subject_id if line else None,
            level=line.required_level if line else None,
        )  # type: ignore[call-arg]


class AppraisalsTab(StaffTab):
    def __init__(self, ctx: Any, staff_id: int, parent: QWidget | None = None) -> None:
        super().__init__(ctx, staff_id, parent)
        self.appraisals = self.section(
            "Appraisals",
            "appraisal",
            [
                Column("Appraisal date", lambda r: _d(r.completed_on), width=12),
                Column("Next due", lambda r: _d(r.expires_on) or _d(r.next_due), width=11),
                Column("Appraiser", lambda r: r.appraiser or "", width=28),
                Column("Supports revalidation", lambda r: "Yes" if r.supports_revalidation else "", width=10),
                Column("Notes", lambda r: r.notes or "", tooltip=lambda r: r.notes, width=20),
            ],
            dialogs.AppraisalDialog,
            lambda i: i.appraisals,
            renewable=False,
            kind=ItemKind.APPRAISAL,
        )


class LeaveTab(StaffTab):
    def __init__(self, ctx: Any, staff_id: int, parent: QWidget | None = None) -> None:
        super().__init__(ctx, staff_id, parent)
        self.leave = self.section(
            "Leave and absence",
            "leave",
            [
                Column("From", lambda r: _d(r.start_on), sort_key=lambda r: -r.start_on.toordinal(), width=10),
                Column("Kind", lambda r: r.values["kind"].label, width=16),
                Column("To", lambda r: _d(r.end_on), width=10),
                Column("Days", lambda r: str((r.end_on - r.start_on).days + 1), align=RIGHT, width=5),
                Column("Status", lambda r: r.values["status"].label, width=10),
                Column("Notes", lambda r: r.notes or "", tooltip=lambda r: r.notes, width=20),
            ],
            dialogs.LeaveDialog,
            lambda i: i.leave,
            renewable=False,
            with_status=False,  # leave has no compliance status; evidence (a fit note, say) still attaches
        )


DOCUMENT_COLUMNS: list[Column[st.StaffDocumentRow]] = [
    Column("File", lambda r: r.document.filename, width=30),
    Column("Attached to", lambda r: r.attached_to, width=26),
    Column("Kind", lambda r: r.document.media_type.split("/")[-1].upper(), width=6),
    Column(
        "Size",
        lambda r: human_size(r.document.size_bytes),
        sort_key=lambda r: r.document.size_bytes,
        align=RIGHT,
        width=8,
    ),
    Column(
        "Added", lambda r: format_instant(r.document.uploaded_at), sort_key=lambda r: r.document.uploaded_at, width=16
    ),
    Column("By", lambda r: r.document.uploaded_by, width=14),
]


class DocumentsTab(QWidget):
    """Every document attached to the person or any of their items; attach to the record itself, open any."""

    loaded = Signal()

    def __init__(self, ctx: Any, staff_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.staff_id = staff_id
        self.load_job: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        bar = QHBoxLayout()
        self.summary = plain_label("", "Muted")
        bar.addWidget(self.summary, 1)
        self.attach_button = QPushButton(icon("attach"), "Attach to the staff record ...")
        self.attach_button.setAccessibleName("Attach a document to the staff record")
        self.open_button = QPushButton(icon("open"), "Open")
        self.open_button.setAccessibleName("Open the selected document")
        bar.addWidget(self.attach_button)
        bar.addWidget(self.open_button)
        layout.addLayout(bar)
        self.model: RowTableModel[st.StaffDocumentRow] = RowTableModel(DOCUMENT_COLUMNS, self)
        self.table = DropTable(self.model, "staff-documents", "Documents")  # type: ignore[arg-type]
        layout.addWidget(self.table, 1)
        layout.addWidget(plain_label("Drop PDF, PNG or JPEG files here to attach them to the staff record.", "Muted"))
        self.attach_button.clicked.connect(self.attach_dialog)
        self.open_button.clicked.connect(lambda: self.open(self.table.selected_row()))
        self.table.row_activated.connect(self.open)
        self.table.files_dropped.connect(lambda paths, _row: self.attach_files(paths))

    def load(self) -> None:
        self.load_job = self.ctx.ops.run_query(
            st.staff_documents, self.staff_id, on_done=self._show, parent=self, key=f"staff-docs-{self.staff_id}"
        )

    def _show(self, rows: list[st.StaffDocumentRow]) -> None:
        self.model.set_rows(rows)
        self.summary.setText(f"{len(rows)} document{'s' if len(rows) != 1 else ''}" if rows else "No documents yet.")
        self.loaded.emit()

    def attach_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Attach to the staff record", str(Path.home()), EVIDENCE_FILTER)
        if paths:
            self.attach_files(paths)

    def attach_files(self, paths: list[str]) -> Any:
        self.attach_job = self.ctx.ops.run_write(
            st.attach_evidence_files, self.staff_id, (StaffMember.__tablename__, self.staff_id), paths, parent=self
        )
        return self.attach_job

    def open(self, row: st.StaffDocumentRow | None) -> None:
        if row is not None:
            open_document(self.ctx, row.document.id, row.document.filename, self)


class HistoryTab(QWidget):
    """Who changed what and when: the staff record and every item of theirs, from the audit trail."""

    loaded = Signal()

    def __init__(self, ctx: Any, staff_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.staff_id = staff_id
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.view: HistoryView | None = None
        self._layout = layout

    def load(self) -> None:
        def related(session: Any, staff_id: int) -> list[tuple[str, list[int]]]:
            from sqlalchemy import select

            from federation_desk.domain.documents import DocumentLink
            from federation_desk.domain.staff import StaffPractice

            targets = st.item_targets(session, staff_id)
            tables: dict[str, list[int]] = {}
            for table, rid in targets[1:]:
                tables.setdefault(table, []).append(rid)
            tables["staff_practice"] = list(
                session.scalars(select(StaffPractice.id).where(StaffPractice.staff_id == staff_id))
            )
            by_table: dict[str, list[int]] = {}
            for table, rid in targets:
                by_table.setdefault(table, []).append(rid)
            links: list[int] = []
            for table, ids in by_table.items():
                links += session.scalars(
                    select(DocumentLink.id).where(DocumentLink.entity == table, DocumentLink.entity_id.in_(ids))
                ).all()
            tables["document_link"] = links
            return list(tables.items())

        self.load_job = self.ctx.ops.run_query(related, self.staff_id, on_done=self._show, parent=self)

    def _show(self, related: list[tuple[str, list[int]]]) -> None:
        if self.view is not None:
            self.view.deleteLater()
        self.view = HistoryView(self.ctx, StaffMember.__tablename__, self.staff_id, related, self)
        self._layout.addWidget(self.view)
        self.view.load()
        self.view.load_job.signals.ended.connect(self.loaded.emit)
