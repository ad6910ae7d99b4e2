"""Editors for a contract and for one of its obligations (the obligation's settings change with its type)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from federation_desk.domain.contracts import Direction, ObligationType, ReportingFrequency
from federation_desk.services import contracts as cs
from federation_desk.services.money import format_money
from federation_desk.services.validators import collect
from federation_desk.ui.widgets.common import plain_label
from federation_desk.ui.widgets.forms import DateField, FormDialog, choice_combo, field_text


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


class CheckList(QListWidget):
    """A short list of checkable choices (practices, PCNs, rota services): ``checked()`` gives their data."""

    def __init__(self, items: Sequence[tuple[str, Any]], checked: Sequence[Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        wanted = set(checked)
        for label, value in items:
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, value)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if value in wanted else Qt.CheckState.Unchecked)
            self.addItem(item)
        rows = min(max(len(items), 2), 6)
        self.setFixedHeight(rows * (self.fontMetrics().height() + 8) + 6)

    def checked(self) -> list[Any]:
        return [
            self.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.count())
            if self.item(i).checkState() == Qt.CheckState.Checked
        ]

    def set_checked(self, values: Sequence[Any]) -> None:
        wanted = set(values)
        for i in range(self.count()):
            item = self.item(i)
            state = Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in wanted else Qt.CheckState.Unchecked
            item.setCheckState(state)


def inline_fields(dialog: FormDialog, row_label: str, fields: Sequence[tuple[str, str, QWidget, str]]) -> None:
    """Several fields on one row of the form, each with its own caption, hint and error line (so a tall form fits
    on a laptop screen). ``fields``: (name, caption, widget, hint)."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(12)
    for name, caption, widget, hint in fields:
        widget.setAccessibleName(caption.replace("&", ""))
        column = QVBoxLayout()
        column.setSpacing(2)
        if caption:
            label = QLabel(caption)
            label.setBuddy(widget)
            column.addWidget(label)
        column.addWidget(widget)
        if hint:
            column.addWidget(plain_label(hint, "Muted", wrap=False))
        error = plain_label("", "FieldError")
        error.setVisible(False)
        column.addWidget(error)
        column.addStretch(1)
        layout.addLayout(column, 1)
        dialog.fields[name] = widget
        dialog._field_errors[name] = error
    dialog.form.addRow(row_label, row)


class _TallForm(FormDialog):
    """A form dialog that grows to show every row in full (wrapped hints and error lines included)."""

    def fit_height(self) -> None:
        layout = self.layout()
        layout.activate()
        needed = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else -1
        needed = max(needed, layout.totalSizeHint().height())
        if self.height() < needed:
            self.resize(self.width(), needed)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.fit_height()

    def show_problems(self, err: Any) -> None:
        super().show_problems(err)
        self.fit_height()


class ContractDialog(_TallForm):
    def __init__(
        self, ops: Any, choices: cs.EditorChoices, row: cs.ContractRow | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__("Edit contract" if row else "Add a contract", ops, parent)
        self.row = row
        self.setMinimumWidth(760)
        self.reference = self.add_field(
            "reference", "&Reference", QLineEdit(field_text(row and row.reference)), "For example NDHF-EA-2025"
        )
        self.title_edit = self.add_field("title", "&Title", QLineEdit(field_text(row and row.title)))
        self.commissioner = QLineEdit(field_text(row and row.commissioner))
        self.contact = QLineEdit(field_text(row and row.commissioner_contact))
        inline_fields(
            self,
            "&Commissioner",
            [
                ("commissioner", "", self.commissioner, "The ICB, PCN or council"),
                ("commissioner_contact", "", self.contact, "Contact (optional)"),
            ],
        )
        service = QPlainTextEdit(field_text(row and row.service))
        service.setTabChangesFocus(True)
        service.setFixedHeight(48)
        self.service = self.add_field("service", "&Service", service)
        self.start = DateField(row.start_date if row else None)
        self.end = DateField(row.end_date if row else None)
        self.value = QLineEdit(format_money(row.value) if row and row.value is not None else "")
        inline_fields(
            self,
            "&Term and value",
            [
                ("start_date", "Starts", self.start, ""),
                ("end_date", "Ends", self.end, ""),
                ("value", "Value (whole term)", self.value, "e.g. £1,840,000 or £1.84m"),
            ],
        )
        self.frequency = self.add_field(
            "reporting_frequency",
            "Re&porting",
            choice_combo([(f.label, f) for f in ReportingFrequency], row.reporting_frequency if row else None),
            "Monthly (2026-09), quarterly (2026-Q3: July to September) or yearly (2026/27: April to March)",
        )
        self.tender = self.add_field(
            "tender_id",
            "Won from &tender",
            choice_combo(
                [("(not from a tender)", None)] + [(t.label, t.id) for t in choices.tenders], row and row.tender_id
            ),
        )
        self.practices = CheckList([(p.label, p.id) for p in choices.practices], row.practice_ids if row else ())
        self.services = CheckList(
            [(f"{n} ({code})", code) for code, n in choices.services], row.service_codes if row else ()
        )
        inline_fields(
            self,
            "&Delivered by",
            [
                ("practice_ids", "Practices", self.practices, "None ticked: every practice"),
                ("service_codes", "Rota services", self.services, "None ticked: all their work"),
            ],
        )
        self.manager = self.add_field(
            "contract_manager", "Contract &manager", QLineEdit(field_text(row and row.contract_manager))
        )
        notes = QPlainTextEdit(field_text(row and row.notes))
        notes.setTabChangesFocus(True)
        notes.setFixedHeight(44)
        self.notes = self.add_field("notes", "&Notes", notes)

    def collect(self) -> cs.ContractForm:
        start, end = collect(
            lambda: self.start.date_value("start_date", "The start date"),
            lambda: self.end.date_value("end_date", "The end date"),
        )
        return cs.ContractForm(
            reference=self.reference.text(),
            title=self.title_edit.text(),
            commissioner=self.commissioner.text(),
            start_date=start,  # type: ignore[arg-type]
            end_date=end,  # type: ignore[arg-type]
            reporting_frequency=self.frequency.currentData(),
            service=self.service.toPlainText(),
            value=self.value.text(),
            tender_id=self.tender.currentData(),
            service_codes=" ".join(self.services.checked()),
            practice_ids=tuple(self.practices.checked()),
            contract_manager=self.manager.text(),
            commissioner_contact=self.contact.text(),
            notes=self.notes.toPlainText(),
        )

    def save_call(self, form: cs.ContractForm) -> tuple[Any, tuple[Any, ...]]:
        return cs.save_contract, (form, self.row.id if self.row else None, self.row.version if self.row else None)

    @classmethod
    def ask(cls, ops: Any, choices: cs.EditorChoices, row: cs.ContractRow | None, parent: QWidget | None) -> bool:
        return cls(ops, choices, row, parent).exec() == FormDialog.DialogCode.Accepted


class ObligationDialog(_TallForm):
    """An obligation: what is measured (its type and settings), the unit, direction, target and RAG thresholds."""

    def __init__(
        self,
        ops: Any,
        contract_id: int,
        choices: cs.EditorChoices,
        row: cs.ObligationRow | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Edit obligation" if row else "Add an obligation", ops, parent)
        self.contract_id = contract_id
        self.row = row
        self.choices = choices
        self.specs = cs.type_specs()
        self.setMinimumWidth(620)
        self.template = None
        if row is None:
            self.template = self.add_field(
                "template",
                "Start from a &template",
                choice_combo(
                    [("(none: fill in below)", None)] + [(f"{t.family}: {t.name}", t) for t in choices.templates], None
                ),
                "Fills in the library's figures; change them to the contract's own",
            )
            self.template.currentIndexChanged.connect(self._apply_template)
        self.name = self.add_field("name", "&Name", QLineEdit(field_text(row and row.name)))
        kind = row.obligation_type if row else ObligationType.MANUAL_KPI
        self.kind = self.add_field(
            "obligation_type", "&Measured from", choice_combo([(t.label, t) for t in ObligationType], kind)
        )
        self.method = plain_label("", "Muted")
        self.form.addRow("", self.method)
        self.unit = QComboBox()
        self.unit.setEditable(True)
        self.unit.addItems(list(cs.UNITS))
        self.unit.setCurrentText(row.unit if row else cs.PERCENT)
        self.direction = choice_combo(
            [(d.label, d) for d in Direction], row.direction if row else Direction.HIGHER_IS_BETTER
        )
        self.schedule = QLineEdit(field_text(row and row.schedule_ref))
        inline_fields(
            self,
            "&Unit",
            [
                ("unit", "", self.unit, ""),
                ("direction", "", self.direction, ""),
                ("schedule_ref", "", self.schedule, "Contract reference"),
            ],
        )
        self.target = QLineEdit(_number(row.target) if row else "")
        self.green = QLineEdit(_number(row.green_threshold) if row else "")
        self.amber = QLineEdit(_number(row.amber_threshold) if row else "")
        inline_fields(
            self,
            "T&hresholds",
            [
                ("target", "Target", self.target, ""),
                ("green_threshold", "Green at", self.green, "or better"),
                ("amber_threshold", "Amber at", self.amber, "or better; worse is red"),
            ],
        )
        description = QPlainTextEdit(field_text(row and row.description))
        description.setTabChangesFocus(True)
        description.setFixedHeight(44)
        self.description = self.add_field("description", "Descri&ption", description)
        params = row.parameters if row else {}
        self.param_widgets: dict[str, QWidget] = {}
        self._param_rows: dict[str, tuple[ObligationType, ...]] = {}
        for p, kinds in self._all_params():
            widget = self._param_widget(p, params.get(p.key, p.default))
            self.add_field(f"param:{p.key}", p.label, widget, p.hint)
            self.param_widgets[p.key] = widget
            self._param_rows[p.key] = kinds
        self.active = self.add_field("active", "Acti&ve", QCheckBox("Report this obligation"))
        self.active.setChecked(row.active if row else True)
        self.kpi_template_code = row.kpi_template_code if row else None
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._show_params()

    # -- parameters -------------------------------------------------------------------------------------------
    def _all_params(self) -> list[tuple[cs.ParamSpec, tuple[ObligationType, ...]]]:
        seen: dict[str, tuple[cs.ParamSpec, list[ObligationType]]] = {}
        for kind, spec in self.specs.items():
            for p in spec.params:
                seen.setdefault(p.key, (p, []))[1].append(kind)
        return [(p, tuple(kinds)) for p, kinds in seen.values()]

    def _param_widget(self, p: cs.ParamSpec, value: Any) -> QWidget:
        if p.kind == "bool":
            box = QCheckBox()
            box.setChecked(bool(value if value is not None else p.default))
            return box
        if p.kind == "choice":
            choices = cs.policy_choices() if p.key == "policy_type" else p.choices
            return choice_combo([(label, code) for code, label in choices], value if value is not None else p.default)
        if p.kind == "money":
            from decimal import Decimal

            return QLineEdit(format_money(Decimal(str(value))) if value else "")
        if p.kind == "practice_or_federation":
            return choice_combo([("The federation", None)] + [(c.label, c.id) for c in self.choices.practices], value)
        if p.kind == "pcns":
            return CheckList([(c.label, c.id) for c in self.choices.pcns], value or [])
        raise ValueError(p.kind)

    def _param_value(self, key: str) -> Any:
        widget = self.param_widgets[key]
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if isinstance(widget, QComboBox):
            return widget.currentData()
        if isinstance(widget, CheckList):
            return widget.checked()
        if isinstance(widget, QLineEdit):
            return widget.text()
        return None

    def _show_params(self) -> None:
        kind = self.kind.currentData()
        for key, kinds in self._param_rows.items():
            container = self.param_widgets[key].parentWidget()
            self.form.setRowVisible(container, kind in kinds)
        spec = self.specs[kind]
        self.method.setText(spec.method)

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        if self.row is None:  # a new obligation: the type's usual unit, direction and thresholds
            spec = self.specs[kind]
            self.unit.setCurrentText(spec.unit)
            self.direction.setCurrentIndex(self.direction.findData(spec.direction))
            self.target.setText(_number(spec.target))
            self.green.setText(_number(spec.green))
            self.amber.setText(_number(spec.amber))
        self._show_params()
        self.fit_height()

    def _apply_template(self) -> None:
        template = self.template.currentData() if self.template is not None else None
        if template is None:
            self.kpi_template_code = None
            return
        self.kind.setCurrentIndex(self.kind.findData(template.obligation_type))
        self.name.setText(template.name)
        self.unit.setCurrentText(template.unit)
        self.direction.setCurrentIndex(self.direction.findData(template.direction))
        self.target.setText(_number(template.target))
        self.green.setText(_number(template.green_threshold))
        self.amber.setText(_number(template.amber_threshold))
        self.description.setPlainText(template.description or "")
        self.kpi_template_code = template.code

    # -- saving -----------------------------------------------------------------------------------------------
    def collect(self) -> cs.ObligationForm:
        kind = self.kind.currentData()
        parameters = {p.key: self._param_value(p.key) for p in self.specs[kind].params}
        return cs.ObligationForm(
            name=self.name.text(),
            obligation_type=kind,
            unit=self.unit.currentText(),
            direction=self.direction.currentData(),
            target=self.target.text(),
            green_threshold=self.green.text(),
            amber_threshold=self.amber.text(),
            parameters=parameters,
            schedule_ref=self.schedule.text(),
            description=self.description.toPlainText(),
            kpi_template_code=self.kpi_template_code,
            active=self.active.isChecked(),
        )

    def save_call(self, form: cs.ObligationForm) -> tuple[Any, tuple[Any, ...]]:
        return cs.save_obligation, (
            self.contract_id,
            form,
            self.row.id if self.row else None,
            self.row.version if self.row else None,
        )

    @classmethod
    def ask(
        cls,
        ops: Any,
        contract_id: int,
        choices: cs.EditorChoices,
        row: cs.ObligationRow | None,
        parent: QWidget | None,
    ) -> bool:
        return cls(ops, contract_id, choices, row, parent).exec() == FormDialog.DialogCode.Accepted
