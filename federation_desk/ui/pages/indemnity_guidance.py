"""The "Guidance" tab: each kind of policy with the legal minimum, what buyers commonly ask for and the source,
loaded from reference data and editable (the federation's edits survive upgrades)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from federation_desk.services import indemnity as ind
from federation_desk.services.money import format_money
from federation_desk.ui.icons import icon
from federation_desk.ui.models.table_model import RIGHT, Column, RowTableModel
from federation_desk.ui.widgets.common import plain_label
from federation_desk.ui.widgets.forms import FormDialog
from federation_desk.ui.widgets.money import MoneyField
from federation_desk.ui.widgets.table import DataTable

GUIDANCE_COLUMNS: list[Column[ind.PolicyTypeRow]] = [
    Column("Type", lambda r: r.name, sort_key=lambda r: (r.sort_order, r.name), width=27),
    Column("Compulsory", lambda r: "Yes, by law" if r.compulsory else "No", width=11),
    Column(
        "Legal minimum",
        lambda r: format_money(r.statutory_minimum, empty="none"),
        sort_key=lambda r: r.statutory_minimum,
        align=RIGHT,
        width=13,
    ),
    Column(
        "Commonly asked",
        lambda r: format_money(r.typical_minimum, empty="set by the buyer"),
        sort_key=lambda r: r.typical_minimum,
        align=RIGHT,
        width=15,
    ),
    Column("Every holder needs it", lambda r: "Yes" if r.expected_of_holders else "", width=10),
    Column("Source", lambda r: r.source or "", tooltip=lambda r: r.source, width=60),
]


INSURER_COLUMNS: list[Column[ind.InsurerRow]] = [
    Column("Name", lambda r: r.name, width=26),
    Column("Kind", lambda r: r.kind[:1].upper() + r.kind[1:], width=31),
    Column("Note", lambda r: r.note or "", tooltip=lambda r: r.note, width=60),
]


class GuidanceTab(QWidget):
    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        bar = QHBoxLayout()
        bar.addWidget(
            plain_label(
                "What each kind of policy is for, the legal minimum and what buyers commonly ask. The checks and "
                "the timeline use these figures.",
                "Muted",
            ),
            1,
        )
        self.edit_button = QPushButton(icon("edit"), "Edit guidance")
        self.edit_button.setAccessibleName("Edit the selected policy type's guidance")
        bar.addWidget(self.edit_button)
        layout.addLayout(bar)
        self.model: RowTableModel[ind.PolicyTypeRow] = RowTableModel(GUIDANCE_COLUMNS, self)
        self.table = DataTable(self.model, "indemnity-guidance", "Policy type guidance")
        self.table.setMinimumHeight(self.table.verticalHeader().defaultSectionSize() * 7 + 8)
        layout.addWidget(self.table, 1)
        self.description = plain_label("", None)
        self.description.setAccessibleName("About the selected policy type")
        layout.addWidget(self.description)
        layout.addSpacing(8)
        layout.addWidget(
            plain_label(
                "Insurers, medical defence organisations and state schemes offered in the editors (you can also type "
                "any other name there):",
                "Muted",
            )
        )
        self.insurer_model: RowTableModel[ind.InsurerRow] = RowTableModel(INSURER_COLUMNS, self)
        self.insurers = DataTable(self.insurer_model, "indemnity-insurers", "Insurer catalogue")
        layout.addWidget(self.insurers, 1)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.table.row_activated.connect(self.edit)
        self.edit_button.clicked.connect(lambda: self.edit(self.table.selected_row()))

    def show_data(self, data: ind.IndemnityData) -> None:
        selected = self.table.selected_row()
        self.model.set_rows(data.policy_types)
        if selected is None or not self.table.select_where(lambda r: r.id == selected.id):
            self.table.selectRow(0)
        self.insurer_model.set_rows(data.insurers)
        self._selected()

    def _selected(self, *_args: Any) -> None:
        row = self.table.selected_row()
        self.edit_button.setEnabled(row is not None)
        self.description.setText(f"{row.name}: {row.description}" if row is not None and row.description else "")

    def edit(self, row: ind.PolicyTypeRow | None) -> None:
        if row is not None:
            PolicyTypeDialog.ask(self.ctx.ops, row, self)


class PolicyTypeDialog(FormDialog):
    def __init__(self, ops: Any, row: ind.PolicyTypeRow, parent: QWidget | None = None) -> None:
        super().__init__(f"Guidance: {row.name}", ops, parent)
        self.row = row
        self.statutory = self.add_field(
            "statutory_minimum",
            "&Legal minimum",
            MoneyField(row.statutory_minimum, "statutory_minimum", "The legal minimum"),
            "Leave empty where the law sets none",
        )
        self.typical = self.add_field(
            "typical_minimum",
            "&Commonly asked",
            MoneyField(row.typical_minimum, "typical_minimum", "What buyers commonly ask"),
        )
        self.expected = self.add_field(
            "expected_of_holders", "&Every holder", QCheckBox("Show on every holder's timeline, held or not")
        )
        self.expected.setChecked(row.expected_of_holders)
        description = QPlainTextEdit(row.description or "")
        description.setTabChangesFocus(True)
        description.setFixedHeight(90)
        self.description = self.add_field("description", "&About", description)

    def collect(self) -> ind.PolicyTypeForm:
        return ind.PolicyTypeForm(
            statutory_minimum=self.statutory.text(),
            typical_minimum=self.typical.text(),
            expected_of_holders=self.expected.isChecked(),
            description=self.description.toPlainText(),
        )

    def save_call(self, form: ind.PolicyTypeForm) -> tuple[Any, tuple[Any, ...]]:
        return ind.save_policy_type, (form, self.row.id, self.row.version)

    @classmethod
    def ask(cls, ops: Any, row: ind.PolicyTypeRow, parent: QWidget | None) -> bool:
        return cls(ops, row, parent).exec() == FormDialog.DialogCode.Accepted
