"""The compliance requirements editor: the reference data shipped with the app (with its sources) made the
federation's own. Warning lead times and re-check intervals per kind of item, refresher periods per training
level, and the training each role needs. Every change is audited; edited figures are marked as local policy."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from federation_desk.errors import StaleEditError, ValidationError
from federation_desk.services import compliance as comp
from federation_desk.services.dates import format_date
from federation_desk.ui import errors
from federation_desk.ui.icons import icon
from federation_desk.ui.models.table_model import RIGHT, Column, RowTableModel
from federation_desk.ui.widgets.common import plain_label
from federation_desk.ui.widgets.table import DataTable


def _source(row: Any) -> str:
    bits = [row.source or ""]
    if row.source_date:
        bits.append(f"({format_date(row.source_date)})")
    if row.confidence:
        bits.append(f"[{row.confidence}]")
    return " ".join(b for b in bits if b)


TYPE_COLUMNS: list[Column[comp.ItemTypeRow]] = [
    Column("Kind of item", lambda r: r.kind.label, sort_key=lambda r: list(comp.ItemKind).index(r.kind), width=26),
    Column("Warn (days before)", lambda r: str(r.lead_days), align=RIGHT, width=10),
    Column(
        "Re-check (months)",
        lambda r: "" if r.interval_months is None else str(r.interval_months),
        align=RIGHT,
        width=10,
    ),
    Column("Source", _source, tooltip=lambda r: f"{_source(r)}\n\n{r.notes or ''}".strip(), width=60),
]
LEVEL_COLUMNS: list[Column[comp.LevelRow]] = [
    Column("Subject", lambda r: r.subject, sort_key=lambda r: 0, width=34),  # keeps the catalogue's order
    Column("Level", lambda r: r.name or "single level", width=12),
    Column(
        "Refresher (months)",
        lambda r: "once" if r.refresher_months is None else str(r.refresher_months),
        align=RIGHT,
        width=10,
    ),
    Column("Source", _source, tooltip=_source, width=60),
]


class RequirementsDialog(QDialog):
    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Compliance requirements")
        self.resize(1060, 640)
        self.settings: comp.ReferenceSettings | None = None
        self.job: Any = None
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                "These figures came with Federation Desk, each with its source, date and confidence (V primary "
                "source, S secondary, U not verified). Change them to your federation's policy: changed figures are "
                "marked as local policy, and every change is in the audit trail. Statuses everywhere follow at once.",
                "Muted",
            )
        )
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self._build_types()
        self._build_levels()
        self._build_roles()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    # -- the three tabs ----------------------------------------------------------------------------------------
    def _build_types(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.type_model: RowTableModel[comp.ItemTypeRow] = RowTableModel(TYPE_COLUMNS, self)
        self.type_table = DataTable(self.type_model, "requirements-types", "Kinds of item")
        self.type_table.setSortingEnabled(False)
        layout.addWidget(self.type_table, 1)
        form = QHBoxLayout()
        self.lead = QLineEdit()
        self.lead.setAccessibleName("Warning lead time in days")
        self.interval = QLineEdit()
        self.interval.setAccessibleName("Re-check interval in months")
        self.save_type_button = QPushButton(icon("save"), "Save")
        form.addWidget(plain_label("Warn this many days before expiry:", wrap=False))
        form.addWidget(self.lead)
        form.addWidget(plain_label("Re-check every (months, blank for none):", wrap=False))
        form.addWidget(self.interval)
        form.addWidget(self.save_type_button)
        layout.addLayout(form)
        self.type_problem = plain_label("", "FieldError")
        layout.addWidget(self.type_problem)
        self.type_table.selectionModel().selectionChanged.connect(self._type_selected)
        self.save_type_button.clicked.connect(self.save_type)
        self.tabs.addTab(page, "Lead times and re-checks")

    def _build_levels(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.level_model: RowTableModel[comp.LevelRow] = RowTableModel(LEVEL_COLUMNS, self)
        self.level_table = DataTable(self.level_model, "requirements-levels", "Training levels")
        self.level_table.setSortingEnabled(False)
        layout.addWidget(self.level_table, 1)
        form = QHBoxLayout()
        self.refresher = QLineEdit()
        self.refresher.setAccessibleName("Refresher period in months")
        self.save_level_button = QPushButton(icon("save"), "Save")
        form.addWidget(plain_label("Refresher period (months, blank: done once):", wrap=False))
        form.addWidget(self.refresher)
        form.addWidget(self.save_level_button)
        form.addStretch(1)
        layout.addLayout(form)
        self.level_problem = plain_label("", "FieldError")
        layout.addWidget(self.level_problem)
        self.level_table.selectionModel().selectionChanged.connect(self._level_selected)
        self.save_level_button.clicked.connect(self.save_level)
        self.tabs.addTab(page, "Training refresher periods")

    def _build_roles(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        top = QHBoxLayout()
        self.role = QComboBox()
        self.role.setAccessibleName("Role")
        self.role.setMinimumWidth(260)
        top.addWidget(plain_label("Role:", wrap=False))
        top.addWidget(self.role)
        top.addStretch(1)
        self.save_role_button = QPushButton(icon("save"), "Save this role's training")
        top.addWidget(self.save_role_button)
        layout.addLayout(top)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        host = QWidget()
        self.role_form = QFormLayout(host)
        scroll.setWidget(host)
        layout.addWidget(scroll, 1)
        self.role_combos: dict[int, QComboBox] = {}
        self.role.currentIndexChanged.connect(self._fill_role)
        self.save_role_button.clicked.connect(self.save_role)
        self.tabs.addTab(page, "Training each role needs")

    # -- loading -------------------------------------------------------------------------------------------------
    def load(self) -> Any:
        self.job = self.ctx.ops.run_query(comp.reference_settings, on_done=self._show, parent=self)
        return self.job

    def _show(self, settings: comp.ReferenceSettings) -> None:
        self.settings = settings
        self.type_model.set_rows(settings.item_types)
        self.level_model.set_rows(settings.levels)
        current = self.role.currentData()
        self.role.blockSignals(True)
        self.role.clear()
        for rid, name in settings.roles:
            self.role.addItem(name, rid)
        self.role.setCurrentIndex(max(0, self.role.findData(current)))
        self.role.blockSignals(False)
        self._fill_role()

    def _type_selected(self, *_args: Any) -> None:
        row = self.type_table.selected_row()
        if row is not None:
            self.lead.setText(str(row.lead_days))
            self.interval.setText("" if row.interval_months is None else str(row.interval_months))

    def _level_selected(self, *_args: Any) -> None:
        row = self.level_table.selected_row()
        if row is not None:
            self.refresher.setText("" if row.refresher_months is None else str(row.refresher_months))

    def _fill_role(self, *_args: Any) -> None:
        while self.role_form.rowCount():
            self.role_form.removeRow(0)
        self.role_combos = {}
        if self.settings is None or self.role.currentData() is None:
            return
        for req in self.settings.requirements.get(self.role.currentData(), []):
            combo = QComboBox()
            combo.setAccessibleName(f"Level of {req.subject} needed")
            combo.addItem("Not needed", None)
            for number, name in req.levels:
                combo.addItem(name if len(req.levels) > 1 else "Needed", number)
            combo.setCurrentIndex(max(0, combo.findData(req.level)))
            self.role_form.addRow(req.subject, combo)
            self.role_combos[req.subject_id] = combo

    # -- saving --------------------------------------------------------------------------------------------------
    def _write(self, fn: Any, *args: Any, problem: Any = None) -> Any:
        def failed(exc: BaseException) -> None:
            if isinstance(exc, ValidationError | StaleEditError) and problem is not None:
                problem.setText(exc.message)
                if isinstance(exc, StaleEditError):
                    self.load()
            else:
                errors.show_error(self, exc)

        if problem is not None:
            problem.setText("")
        self.job = self.ctx.ops.run_write(fn, *args, on_done=lambda _r: self.load(), on_error=failed, parent=self)
        return self.job

    def save_type(self) -> Any:
        row = self.type_table.selected_row()
        if row is None:
            return None
        return self._write(
            comp.save_item_type, row.id, self.lead.text(), self.interval.text(), row.version, problem=self.type_problem
        )

    def save_level(self) -> Any:
        row = self.level_table.selected_row()
        if row is None:
            return None
        return self._write(comp.save_refresher, row.id, self.refresher.text(), row.version, problem=self.level_problem)

    def save_role(self) -> Any:
        role_id = self.role.currentData()
        if role_id is None:
            return None
        levels = {sid: combo.currentData() for sid, combo in self.role_combos.items()}
        return self._write(comp.save_role_requirements, role_id, levels)

    @classmethod
    def ask(cls, ctx: Any, parent: QWidget | None = None) -> None:
        dialog = cls(ctx, parent)
        dialog.load()
        dialog.exec()
