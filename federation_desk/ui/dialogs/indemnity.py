"""Editors for organisation insurance policies and clinicians' own indemnity cover.

Amounts are typed in a :class:`MoneyField` ("£10m" becomes "£10,000,000"); the certificate is chosen with a file
dialog or dropped onto the certificate box, and stored with the record in the same transaction.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDropEvent, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from federation_desk.domain.indemnity import CoverBasis, IndemnityProvider, LimitBasis, PolicyType
from federation_desk.services import indemnity as ind
from federation_desk.services.documents import ACCEPTED_DESCRIPTION
from federation_desk.services.validators import collect
from federation_desk.ui import theme
from federation_desk.ui.icons import icon
from federation_desk.ui.widgets.common import plain_label
from federation_desk.ui.widgets.forms import DateField, FormDialog, choice_combo, field_text
from federation_desk.ui.widgets.money import MoneyField

FILE_FILTER = "Certificates (*.pdf *.png *.jpg *.jpeg *.tif *.tiff *.gif *.docx *.txt);;All files (*)"


def dropped_files(event: QDropEvent | QDragEnterEvent) -> list[str]:
    """Local file paths carried by a drag (files from Explorer, not web links or text)."""
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile() and Path(url.toLocalFile()).is_file()]


def choose_certificate(parent: QWidget | None) -> str | None:
    """The system file dialog; tests replace this function."""
    path, _ = QFileDialog.getOpenFileName(parent, "Choose the certificate", str(Path.home()), FILE_FILTER)
    return path or None


class ElidedLabel(QLabel):
    """A one-line plain-text label that shortens its text in the middle to fit (the whole text is the tooltip)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.full_text = ""

    def set_full_text(self, text: str) -> None:
        self.full_text = text
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideMiddle, max(self.width(), 40)))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()


class CertificateDrop(QFrame):
    """Shows the current certificate and takes a new one by "Choose file ..." or by dropping a file on it."""

    chosen = Signal(str)

    def __init__(self, current: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DropZone")
        self.setAcceptDrops(True)
        self.path: str | None = None
        self.current = current
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        self.label = ElidedLabel()
        layout.addWidget(self.label, 1)
        self.choose_button = QPushButton(icon("attach"), "Choose file ...")
        self.choose_button.setAccessibleName("Choose the certificate file")
        self.choose_button.clicked.connect(self.choose)
        layout.addWidget(self.choose_button)
        self.clear_button = QPushButton("Keep current")
        self.clear_button.setAccessibleName("Do not replace the certificate")
        self.clear_button.clicked.connect(lambda: self.set_path(None))
        layout.addWidget(self.clear_button)
        self._style(False)
        self.set_path(None)

    def _style(self, dragging: bool) -> None:
        c = theme.current()
        border = c.accent if dragging else c.border
        background = c.hover if dragging else c.base
        self.setStyleSheet(
            f"QFrame#DropZone {{ border: 1px dashed {border}; border-radius: 4px; background: {background}; }}"
        )

    def set_path(self, path: str | None) -> None:
        self.path = path
        if path:
            text = f"To attach: {Path(path).name}"
        elif self.current:
            text = f"Current: {self.current} (drop a file to replace it)"
        else:
            text = "No certificate yet: drop the file here"
        self.label.set_full_text(text)
        self.label.setToolTip(path or self.current or f"{ACCEPTED_DESCRIPTION}; up to 25 MB")
        self.clear_button.setVisible(bool(path))
        if path:
            self.chosen.emit(path)

    @property
    def text(self) -> str:
        """The whole message (the label may show it shortened to fit)."""
        return self.label.full_text

    def choose(self) -> None:
        path = choose_certificate(self)
        if path:
            self.set_path(path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_files(event):
            event.acceptProposedAction()
            self._style(True)
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._style(False)

    def dropEvent(self, event: QDropEvent) -> None:
        self._style(False)
        files = dropped_files(event)
        if files:
            self.set_path(files[0])
            event.acceptProposedAction()


def _pair(first: QWidget, second: QWidget, between: str = "") -> QWidget:
    """Two widgets on one form row ("01/04/2026 to 31/03/2027", "£10,000,000 [any one occurrence]")."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(first, 1)
    if between:
        layout.addWidget(plain_label(between, wrap=False))
    layout.addWidget(second, 1)
    return row


class _IndemnityDialog(FormDialog):
    """Shared layout helpers: a period row (start and end, each with its own error), and sizing to content."""

    def add_period(self, start: date | None, end: date | None) -> tuple[DateField, DateField]:
        start_field, end_field = DateField(start), DateField(end)
        start_field.setAccessibleName("Starts")
        end_field.setAccessibleName("Ends (the last day of cover)")
        end_field.setPlaceholderText("last day, dd/mm/yyyy")
        self.add_field("start", "&Period", _pair(start_field, end_field, "to"))
        # Both dates report their problems on the one row.
        self.fields["start"] = start_field
        self.fields["end"] = end_field
        self._field_errors["end"] = self._field_errors["start"]
        return start_field, end_field

    def add_notes(self, text: str) -> QPlainTextEdit:
        notes = QPlainTextEdit(text)
        notes.setTabChangesFocus(True)
        notes.setFixedHeight(46)
        return self.add_field("notes", "N&otes", notes)  # type: ignore[return-value]

    def fit(self) -> None:
        self.resize(max(self.width(), 620), self.sizeHint().height())


class PolicyDialog(_IndemnityDialog):
    """Add, edit or renew an organisation policy."""

    def __init__(
        self,
        ops: Any,
        holders: list[ind.HolderRow],
        insurers: list[ind.InsurerRow],
        row: ind.PolicyRow | None = None,
        parent: QWidget | None = None,
        renew_from: ind.PolicyRow | None = None,
        holder_practice_id: int | None = None,
    ) -> None:
        title = "Edit policy" if row else ("Renew policy" if renew_from else "Add a policy")
        super().__init__(title, ops, parent)
        self.setMinimumWidth(620)
        self.row = row
        base = row or renew_from
        self.holder = self.add_field(
            "holder_practice_id",
            "&Held by",
            choice_combo(
                [(h.name, h.practice_id) for h in holders], base.holder_practice_id if base else holder_practice_id
            ),
        )
        self.policy_type = self.add_field(
            "policy_type",
            "&Type",
            choice_combo(
                [(t.label, t) for t in PolicyType], base.policy_type if base else PolicyType.EMPLOYERS_LIABILITY
            ),
        )
        self.description = self.add_field(
            "description", "&Description", QLineEdit(field_text(base and base.description))
        )
        self.description.setPlaceholderText("What the policy covers, e.g. Directors' and officers'")
        insurer = QComboBox()
        insurer.setEditable(True)
        insurer.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for item in insurers:
            insurer.addItem(item.name)
        insurer.setCurrentText(base.insurer if base else "")
        insurer.lineEdit().setPlaceholderText("Choose or type the insurer")
        self.insurer = self.add_field("insurer", "&Insurer", insurer)
        self.number = self.add_field(
            "policy_number", "Policy &number", QLineEdit(field_text(base and base.policy_number))
        )
        self.limit = MoneyField(base.limit if base else None, "limit", "The limit of indemnity")
        self.limit.setAccessibleName("Limit of indemnity")
        self.limit_basis = choice_combo(
            [(b.label, b) for b in LimitBasis], base.limit_basis if base else LimitBasis.EACH_OCCURRENCE
        )
        self.limit_basis.setAccessibleName("The limit applies")
        self.add_field(
            "limit",
            "&Limit of indemnity",
            _pair(self.limit, self.limit_basis),
            "£10m, 10,000,000 and 10000000.00 all work; empty: no stated limit",
        )
        self.fields["limit"] = self.limit
        self.excess = self.add_field(
            "excess", "E&xcess", MoneyField(base.excess if base else None, "excess", "The excess")
        )
        if renew_from is not None and row is None:
            start: date | None = renew_from.end + timedelta(days=1)
            end: date | None = ind.add_months(start, 12) - timedelta(days=1)
        else:
            start, end = (row.start, row.end) if row else (None, None)
        self.start, self.end = self.add_period(start, end)
        self.abuse = self.add_field(
            "abuse_exclusion", "Abuse e&xclusion", QCheckBox("The policy excludes abuse claims")
        )
        self.abuse.setChecked(bool(base and base.abuse_exclusion))
        self.notes = self.add_notes(field_text(base and base.notes) if row else "")
        self.certificate = self.add_field(
            "certificate", "&Certificate", CertificateDrop(row.certificate_filename if row else None)
        )
        self.policy_type.currentIndexChanged.connect(self._type_changed)
        self._type_changed()
        self.fit()

    def _type_changed(self) -> None:
        ptype = self.policy_type.currentData()
        self.form.setRowVisible(self.description.parentWidget(), ptype is PolicyType.OTHER)
        self.limit.setPlaceholderText(
            "no stated limit" if ptype is PolicyType.CLINICAL_NEGLIGENCE else "e.g. £10,000,000 or £10m"
        )

    def collect(self) -> ind.PolicyForm:
        start, end = collect(
            lambda: self.start.date_value("start", "Starts"),
            lambda: self.end.date_value("end", "Ends"),
        )
        ptype = self.policy_type.currentData()
        return ind.PolicyForm(
            holder_practice_id=self.holder.currentData(),
            policy_type=ptype,
            insurer=self.insurer.currentText(),
            policy_number=self.number.text(),
            limit=self.limit.text(),
            excess=self.excess.text(),
            limit_basis=self.limit_basis.currentData(),
            start=start,  # type: ignore[arg-type]
            end=end,  # type: ignore[arg-type]
            description=self.description.text() if ptype is PolicyType.OTHER else "",
            abuse_exclusion=self.abuse.isChecked(),
            notes=self.notes.toPlainText(),
            certificate_path=self.certificate.path,
        )

    def save_call(self, form: ind.PolicyForm) -> tuple[Any, tuple[Any, ...]]:
        return ind.save_policy, (form, self.row.id if self.row else None, self.row.version if self.row else None)

    @classmethod
    def ask(
        cls,
        ops: Any,
        holders: list[ind.HolderRow],
        insurers: list[ind.InsurerRow],
        row: ind.PolicyRow | None,
        parent: QWidget | None,
        renew_from: ind.PolicyRow | None = None,
        holder_practice_id: int | None = None,
    ) -> bool:
        dialog = cls(ops, holders, insurers, row, parent, renew_from, holder_practice_id)
        return dialog.exec() == FormDialog.DialogCode.Accepted


class CoverDialog(_IndemnityDialog):
    """Add, edit or renew a clinician's own indemnity cover."""

    def __init__(
        self,
        ops: Any,
        clinicians: list[tuple[int, str, str]],
        row: ind.CoverRow | None = None,
        parent: QWidget | None = None,
        staff_id: int | None = None,
        renew_from: ind.CoverRow | None = None,
    ) -> None:
        title = "Edit indemnity cover" if row else ("Renew indemnity cover" if renew_from else "Add indemnity cover")
        super().__init__(title, ops, parent)
        self.setMinimumWidth(620)
        self.row = row
        base = row or renew_from
        chosen = base.staff_id if base else staff_id
        people = [(f"{name} ({role})", sid) for sid, name, role in clinicians]
        if chosen is not None and all(sid != chosen for _l, sid in people) and base is not None:
            people.insert(0, (base.staff_name, base.staff_id))  # someone who has left or is not clinical
        self.staff = self.add_field(
            "staff_id", "&Clinician", choice_combo(([("(choose)", None)] if chosen is None else []) + people, chosen)
        )
        self.staff.setEnabled(row is None and staff_id is None)
        self.provider = choice_combo(
            [(p.label, p) for p in IndemnityProvider], base.provider if base else IndemnityProvider.MDU
        )
        self.provider.setAccessibleName("Provider")
        self.provider_name = QLineEdit(field_text(base and base.provider_name))
        self.provider_name.setPlaceholderText("Name, e.g. RCN or PDA")
        self.provider_name.setAccessibleName("Provider name")
        self.add_field("provider", "&Provider", _pair(self.provider, self.provider_name))
        self.fields["provider_name"] = self.provider_name
        self._field_errors["provider_name"] = self._field_errors["provider"]
        self.number = self.add_field(
            "membership_number", "&Membership number", QLineEdit(field_text(base and base.membership_number))
        )
        self.category = self.add_field("category", "Cate&gory", QLineEdit(field_text(base and base.category)))
        self.category.setPlaceholderText("As the certificate names it, e.g. GP - top-up with private work")
        self.basis = self.add_field(
            "basis",
            "&Basis",
            choice_combo([(b.label, b) for b in CoverBasis], base.basis if base else CoverBasis.OCCURRENCE),
        )
        scope = QWidget()
        column = QVBoxLayout(scope)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        self.non_nhs = QCheckBox("Non-NHS work (private work, reports, medicals)")
        self.non_nhs.setChecked(base.covers_non_nhs if base else True)
        self.regulatory = QCheckBox("Regulatory representation (GMC/NMC/HCPC, inquests, complaints)")
        self.regulatory.setChecked(base.covers_regulatory if base else True)
        self.other_scope = QLineEdit(field_text(base and base.other_scope))
        self.other_scope.setPlaceholderText("Other cover, if any")
        self.other_scope.setAccessibleName("Other cover")
        for w in (self.non_nhs, self.regulatory, self.other_scope):
            column.addWidget(w)
        self.add_field("scope", "Co&vers", scope, "NHS work is covered by CNSGP; own cover is for the rest")
        if renew_from is not None and row is None:
            start: date | None = renew_from.end + timedelta(days=1)
            end: date | None = ind.add_months(start, 12) - timedelta(days=1)
        else:
            start, end = (row.start, row.end) if row else (None, None)
        self.start, self.end = self.add_period(start, end)
        self.notes = self.add_notes(field_text(row and row.notes))
        self.certificate = self.add_field(
            "certificate", "Certi&ficate", CertificateDrop(row.certificate_filename if row else None)
        )
        self.provider.currentIndexChanged.connect(self._provider_changed)
        self._provider_changed()
        self.fit()

    def _provider_changed(self) -> None:
        other = self.provider.currentData() is IndemnityProvider.OTHER
        self.provider_name.setVisible(other)

    def collect(self) -> ind.CoverForm:
        start, end = collect(
            lambda: self.start.date_value("start", "Starts"),
            lambda: self.end.date_value("end", "Ends"),
        )
        return ind.CoverForm(
            staff_id=self.staff.currentData(),
            provider=self.provider.currentData(),
            provider_name=self.provider_name.text(),
            membership_number=self.number.text(),
            category=self.category.text(),
            basis=self.basis.currentData(),
            covers_non_nhs=self.non_nhs.isChecked(),
            covers_regulatory=self.regulatory.isChecked(),
            other_scope=self.other_scope.text(),
            start=start,  # type: ignore[arg-type]
            end=end,  # type: ignore[arg-type]
            notes=self.notes.toPlainText(),
            certificate_path=self.certificate.path,
        )

    def save_call(self, form: ind.CoverForm) -> tuple[Any, tuple[Any, ...]]:
        return ind.save_cover, (form, self.row.id if self.row else None, self.row.version if self.row else None)

    @classmethod
    def ask(
        cls,
        ops: Any,
        clinicians: list[tuple[int, str, str]],
        row: ind.CoverRow | None,
        parent: QWidget | None,
        staff_id: int | None = None,
        renew_from: ind.CoverRow | None = None,
    ) -> bool:
        return cls(ops, clinicians, row, parent, staff_id, renew_from).exec() == FormDialog.DialogCode.Accepted
