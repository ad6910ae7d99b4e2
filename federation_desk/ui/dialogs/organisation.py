"""Editors for practices, sites, PCNs and the federation's own details."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QLineEdit, QPlainTextEdit, QWidget

from federation_desk.domain.organisation import CqcRating, SiteKind
from federation_desk.services import organisation as org
from federation_desk.services.validators import collect
from federation_desk.ui.widgets.forms import DateField, FormDialog, choice_combo, field_text


class PracticeDialog(FormDialog):
    def __init__(
        self, ops: Any, pcns: list[org.PcnRow], row: org.PracticeRow | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__("Edit practice" if row else "Add a practice", ops, parent)
        self.row = row
        self.ods = self.add_field(
            "ods_code",
            "&ODS code",
            QLineEdit(field_text(row and row.ods_code)),
            "One letter and five digits, e.g. A81001",
        )
        self.name = self.add_field("name", "&Name", QLineEdit(field_text(row and row.name)))
        self.pcn = self.add_field(
            "pcn_id",
            "&PCN",
            choice_combo([("(not in a PCN)", None)] + [(p.name, p.id) for p in pcns], row.pcn_id if row else None),
        )
        self.list_size = self.add_field(
            "list_size", "&List size", QLineEdit(field_text(row and row.list_size)), "Registered patients"
        )
        self.adjusted = self.add_field(
            "adjusted_population",
            "&Adjusted population",
            QLineEdit(field_text(row and row.adjusted_population)),
            "Weighted population used for Enhanced Access targets",
        )
        self.cqc = self.add_field(
            "cqc_location_id", "CQC &location ID", QLineEdit(field_text(row and row.cqc_location_id))
        )
        self.rating = self.add_field(
            "cqc_rating",
            "CQC &rating",
            choice_combo(
                [("(not recorded)", None)] + [(r.label, r) for r in CqcRating], row.cqc_rating if row else None
            ),
        )
        address = QPlainTextEdit(field_text(row and row.address))
        address.setTabChangesFocus(True)
        address.setFixedHeight(64)
        self.address = self.add_field("address", "Add&ress", address)
        self.postcode = self.add_field("postcode", "Post&code", QLineEdit(field_text(row and row.postcode)))
        self.phone = self.add_field("phone", "&Telephone", QLineEdit(field_text(row and row.phone)))
        self.email = self.add_field("email", "&Email", QLineEdit(field_text(row and row.email)))
        self.joined = self.add_field("joined_on", "&Joined the federation", DateField(row.joined_on if row else None))
        self.active = self.add_field("active", "Acti&ve member", QCheckBox())
        self.active.setChecked(row.active if row else True)

    def collect(self) -> org.PracticeForm:
        (joined,) = collect(lambda: self.joined.date_value("joined_on", "Joined the federation"))
        return org.PracticeForm(
            ods_code=self.ods.text(),
            name=self.name.text(),
            pcn_id=self.pcn.currentData(),
            list_size=self.list_size.text(),
            adjusted_population=self.adjusted.text(),
            cqc_location_id=self.cqc.text(),
            cqc_rating=self.rating.currentData(),
            address=self.address.toPlainText(),
            postcode=self.postcode.text(),
            phone=self.phone.text(),
            email=self.email.text(),
            joined_on=joined,
            active=self.active.isChecked(),  # type: ignore[arg-type]
        )

    def save_call(self, form: org.PracticeForm) -> tuple[Any, tuple[Any, ...]]:
        return org.save_practice, (form, self.row.id if self.row else None, self.row.version if self.row else None)

    @classmethod
    def ask(cls, ops: Any, pcns: list[org.PcnRow], row: org.PracticeRow | None, parent: QWidget | None) -> bool:
        return cls(ops, pcns, row, parent).exec() == FormDialog.DialogCode.Accepted


class SiteDialog(FormDialog):
    def __init__(
        self,
        ops: Any,
        practices: list[org.PracticeRow],
        pcns: list[org.PcnRow],
        row: org.SiteRow | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Edit site" if row else "Add a site", ops, parent)
        self.row = row
        self.name = self.add_field("name", "&Name", QLineEdit(field_text(row and row.name)))
        self.kind = self.add_field(
            "kind", "&Type", choice_combo([(k.label, k) for k in SiteKind], row.kind if row else SiteKind.PRACTICE)
        )
        self.practice = self.add_field(
            "practice_id",
            "&Practice",
            choice_combo(
                [("(none: a hub)", None)] + [(f"{p.name} ({p.ods_code})", p.id) for p in practices],
                row.practice_id if row else None,
            ),
            "The practice whose premises these are",
        )
        self.pcn = self.add_field(
            "pcn_id",
            "P&CN",
            choice_combo([("(none)", None)] + [(p.name, p.id) for p in pcns], row.pcn_id if row else None),
            "For a hub: the PCN it serves",
        )
        address = QPlainTextEdit(field_text(row and row.address))
        address.setTabChangesFocus(True)
        address.setFixedHeight(64)
        self.address = self.add_field("address", "Add&ress", address)
        self.postcode = self.add_field("postcode", "Post&code", QLineEdit(field_text(row and row.postcode)))
        hours = QPlainTextEdit(field_text(row and row.opening_hours))
        hours.setTabChangesFocus(True)
        hours.setFixedHeight(56)
        self.hours = self.add_field("opening_hours", "&Opening hours", hours)
        self.active = self.add_field("active", "In &use", QCheckBox())
        self.active.setChecked(row.active if row else True)

    def collect(self) -> org.SiteForm:
        return org.SiteForm(
            name=self.name.text(),
            kind=self.kind.currentData(),
            practice_id=self.practice.currentData(),
            pcn_id=self.pcn.currentData(),
            address=self.address.toPlainText(),
            postcode=self.postcode.text(),
            opening_hours=self.hours.toPlainText(),
            active=self.active.isChecked(),
        )

    def save_call(self, form: org.SiteForm) -> tuple[Any, tuple[Any, ...]]:
        return org.save_site, (form, self.row.id if self.row else None, self.row.version if self.row else None)

    @classmethod
    def ask(
        cls,
        ops: Any,
        practices: list[org.PracticeRow],
        pcns: list[org.PcnRow],
        row: org.SiteRow | None,
        parent: QWidget | None,
    ) -> bool:
        return cls(ops, practices, pcns, row, parent).exec() == FormDialog.DialogCode.Accepted


class PcnDialog(FormDialog):
    def __init__(self, ops: Any, row: org.PcnRow | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Edit PCN" if row else "Add a PCN", ops, parent)
        self.row = row
        self.code = self.add_field("code", "&Code", QLineEdit(field_text(row and row.code)), "U and five digits")
        self.name = self.add_field("name", "&Name", QLineEdit(field_text(row and row.name)))

    def collect(self) -> org.PcnForm:
        return org.PcnForm(code=self.code.text(), name=self.name.text())

    def save_call(self, form: org.PcnForm) -> tuple[Any, tuple[Any, ...]]:
        return org.save_pcn, (form, self.row.id if self.row else None, self.row.version if self.row else None)

    @classmethod
    def ask(cls, ops: Any, row: org.PcnRow | None, parent: QWidget | None) -> bool:
        return cls(ops, row, parent).exec() == FormDialog.DialogCode.Accepted


class FederationDialog(FormDialog):
    def __init__(self, ops: Any, row: org.FederationRow | None, parent: QWidget | None = None) -> None:
        super().__init__("Federation details", ops, parent)
        self.row = row
        self.name = self.add_field("name", "&Name", QLineEdit(field_text(row and row.name)))
        self.legal = self.add_field("legal_name", "&Legal name", QLineEdit(field_text(row and row.legal_name)))
        self.chn = self.add_field(
            "companies_house_number",
            "Companies &House number",
            QLineEdit(field_text(row and row.companies_house_number)),
        )
        self.cqc = self.add_field(
            "cqc_provider_id", "CQC &provider ID", QLineEdit(field_text(row and row.cqc_provider_id))
        )
        self.vat = self.add_field("vat_number", "&VAT number", QLineEdit(field_text(row and row.vat_number)))
        address = QPlainTextEdit(field_text(row and row.address))
        address.setTabChangesFocus(True)
        address.setFixedHeight(64)
        self.address = self.add_field("address", "Registered add&ress", address)
        self.postcode = self.add_field("postcode", "Post&code", QLineEdit(field_text(row and row.postcode)))
        self.phone = self.add_field("phone", "&Telephone", QLineEdit(field_text(row and row.phone)))
        self.email = self.add_field("email", "&Email", QLineEdit(field_text(row and row.email)))
        self.website = self.add_field("website", "&Website", QLineEdit(field_text(row and row.website)))

    def collect(self) -> org.FederationForm:
        return org.FederationForm(
            name=self.name.text(),
            legal_name=self.legal.text(),
            companies_house_number=self.chn.text(),
            cqc_provider_id=self.cqc.text(),
            vat_number=self.vat.text(),
            address=self.address.toPlainText(),
            postcode=self.postcode.text(),
            phone=self.phone.text(),
            email=self.email.text(),
            website=self.website.text(),
        )

    def save_call(self, form: org.FederationForm) -> tuple[Any, tuple[Any, ...]]:
        return org.save_federation, (form, self.row.version if self.row else None)

    @classmethod
    def ask(cls, ops: Any, row: org.FederationRow | None, parent: QWidget | None) -> bool:
        return cls(ops, row, parent).exec() == FormDialog.DialogCode.Accepted
