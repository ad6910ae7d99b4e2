"""The "Indemnity" tab of a staff record: the person's own indemnity cover, whether it covers non-NHS work today,
and the certificates. Registered in ``ui/pages/staff_record.STAFF_RECORD_TABS``; built as
``IndemnityTab(ctx, staff_id, parent)`` and filled by :meth:`IndemnityTab.load`."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from federation_desk.services import dates
from federation_desk.services import indemnity as ind
from federation_desk.services.changes import Changes
from federation_desk.services.dates import format_date
from federation_desk.ui.bus import bus
from federation_desk.ui.dialogs import indemnity as dialogs
from federation_desk.ui.icons import icon
from federation_desk.ui.models.table_model import Column, RowTableModel
from federation_desk.ui.pages import indemnity_common as common
from federation_desk.ui.widgets.common import plain_label


class IndemnityTab(QWidget):
    loaded = Signal()

    def __init__(self, ctx: Any, staff_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.staff_id = staff_id
        self.data: ind.StaffCoverData | None = None
        self.today = dates.today()
        self.load_job: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        self.summary = plain_label("Loading ...")
        self.summary.setAccessibleName("Indemnity cover today")
        layout.addWidget(self.summary)
        bar = QHBoxLayout()
        self.count = plain_label("", "Muted")
        bar.addWidget(self.count, 1)
        self.add_button = QPushButton(icon("add"), "Add cover")
        self.add_button.setAccessibleName("Add indemnity cover for this person")
        self.edit_button = QPushButton(icon("edit"), "Edit")
        self.edit_button.setAccessibleName("Edit the selected cover")
        self.renew_button = QPushButton(icon("refresh"), "Renew ...")
        self.renew_button.setAccessibleName("Record the renewal of the selected cover")
        self.attach_button = QPushButton(icon("attach"), "Attach certificate ...")
        self.attach_button.setAccessibleName("Attach a certificate to the selected cover")
        self.open_button = QPushButton(icon("open"), "Open certificate")
        self.open_button.setAccessibleName("Open the selected cover's certificate")
        self.delete_button = QPushButton("Delete")
        self.delete_button.setAccessibleName("Delete the selected cover")
        for b in (
            self.add_button,
            self.edit_button,
            self.renew_button,
            self.attach_button,
            self.open_button,
            self.delete_button,
        ):
            bar.addWidget(b)
        layout.addLayout(bar)
        columns: list[Column[ind.CoverRow]] = [
            Column("Provider", lambda r: r.provider_label, width=8),
            Column("Membership", lambda r: r.membership_number, width=11),
            Column("Category", lambda r: r.category or "", tooltip=lambda r: r.category, width=28),
            Column("Covers", lambda r: r.scope_text, tooltip=lambda r: r.scope_text, width=36),
            Column("Basis", lambda r: r.basis.label, width=18),
            Column("Starts", lambda r: format_date(r.start), sort_key=lambda r: r.start, width=10),
            Column("Ends", lambda r: format_date(r.end), sort_key=lambda r: r.end, width=10),
            Column(
                "Status",
                lambda r: common.cover_state(r, self.today)[0],
                foreground=lambda r: common.status_colour(common.cover_state(r, self.today)[1]),
                tooltip=lambda r: common.cover_state(r, self.today)[2],
                width=15,
            ),
            Column(
                "Certificate",
                lambda r: "Attached" if r.certificate_document_id else "None",
                icon=lambda r: icon("attach") if r.certificate_document_id else None,
                tooltip=lambda r: r.certificate_filename or "No certificate attached: drop the file on this row.",
                width=9,
            ),
        ]
        self.model: RowTableModel[ind.CoverRow] = RowTableModel(columns, self)
        self.table = common.DropTable(self.model, "staff-indemnity", "Indemnity cover")
        layout.addWidget(self.table, 1)
        layout.addWidget(
            plain_label("Drop a certificate file on a row to attach it. Double-click a row to edit it.", "Muted")
        )
        self.add_button.clicked.connect(lambda: self.edit(None))
        self.edit_button.clicked.connect(lambda: self.edit(self.table.selected_row()))
        self.renew_button.clicked.connect(lambda: self.renew(self.table.selected_row()))
        self.attach_button.clicked.connect(lambda: self.attach(self.table.selected_row()))
        self.open_button.clicked.connect(lambda: self.open(self.table.selected_row()))
        self.delete_button.clicked.connect(lambda: self.delete(self.table.selected_row()))
        self.table.row_activated.connect(self.edit)
        self.table.files_dropped.connect(lambda row, files: self.attach(row, files[0]))
        self.table.selectionModel().selectionChanged.connect(self._buttons)
        self.model.modelReset.connect(self._buttons)
        bus().changed.connect(self._on_changes)
        self._buttons()

    def load(self) -> None:
        self.today = dates.today()
        self.load_job = self.ctx.ops.run_query(
            ind.staff_cover, self.staff_id, self.today, on_done=self._show, parent=self, key=f"cover-{self.staff_id}"
        )

    def _show(self, data: ind.StaffCoverData) -> None:
        self.data = data
        selected = self.table.selected_row()
        self.model.set_rows(data.covers)
        if selected is not None:
            self.table.select_where(lambda r: r.id == selected.id)
        elif data.covers:
            self.table.selectRow(0)
        self.summary.setText(data.summary)
        self.summary.setObjectName("" if data.ok_for_non_nhs or not data.clinical else "FieldError")
        self.summary.style().unpolish(self.summary)
        self.summary.style().polish(self.summary)
        self._fit_summary()
        n = len(data.covers)
        self.count.setText(f"{n} cover record{'s' if n != 1 else ''}")
        self._buttons()
        self.loaded.emit()

    def _fit_summary(self) -> None:
        # A wrapped label does not ask its layout for the height of its second line: give it that height.
        self.summary.setMinimumHeight(self.summary.heightForWidth(max(self.width() - 4, 200)))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_summary()

    def _on_changes(self, changes: Changes) -> None:
        if changes.touches("indemnity_cover", "document") and self.data is not None:
            self.load()

    def _buttons(self, *_args: Any) -> None:
        row = self.table.selected_row()
        for b in (self.edit_button, self.renew_button, self.attach_button, self.delete_button):
            b.setEnabled(row is not None)
        self.open_button.setEnabled(row is not None and row.certificate_document_id is not None)

    # -- actions ----------------------------------------------------------------------------------------------
    def _people(self) -> list[tuple[int, str, str]]:
        if self.data is None:
            return []
        return [(self.staff_id, self.data.name, self.data.role)]

    def edit(self, row: ind.CoverRow | None) -> None:
        if self.data is None:
            return
        dialogs.CoverDialog.ask(self.ctx.ops, self._people(), row, self, self.staff_id if row is None else None)

    def renew(self, row: ind.CoverRow | None) -> None:
        if row is not None:
            dialogs.CoverDialog.ask(self.ctx.ops, self._people(), None, self, self.staff_id, renew_from=row)

    def attach(self, row: ind.CoverRow | None, path: str | None = None) -> None:
        if row is None:
            return
        path = path or dialogs.choose_certificate(self)
        if path:
            self.ctx.ops.run_write(ind.attach_certificate, ind.COVER_KIND, row.id, path, row.version, parent=self)

    def open(self, row: ind.CoverRow | None) -> None:
        if row is not None:
            title = f"{row.provider_label} certificate: {row.staff_name}, {row.membership_number}"
            common.open_document(self.ctx, row.certificate_document_id, title, self)

    def delete(self, row: ind.CoverRow | None) -> None:
        if row is None:
            return
        question = (
            f"Delete the {row.provider_label} cover {row.membership_number} ({format_date(row.start)} to "
            f"{format_date(row.end)})? Its certificate stays in the documents store."
        )
        if common.confirm(self, "Delete cover", question):
            self.ctx.ops.run_write(ind.delete_cover, row.id, row.version, parent=self)
