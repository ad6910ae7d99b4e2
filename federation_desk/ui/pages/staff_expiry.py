"""The expiry list: what lapses in the next 30, 60 or 90 days, grouped by week, with what has already expired
(and, on request, what was never recorded). Each row shows its item type's warning lead time. Exports to Excel;
the per-practice digest (PDF or Excel) for practice managers is produced from here and from the Reports page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from federation_desk.services import compliance as comp
from federation_desk.services import staff as st
from federation_desk.services.dates import today
from federation_desk.ui.icons import icon
from federation_desk.ui.models.staff import ExpiryModel, WeekHeading, group_by_week
from federation_desk.ui.widgets.common import plain_label
from federation_desk.ui.widgets.table import DataTable

HORIZONS = (30, 60, 90)


class ExpiryTab(QWidget):
    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.stale = True
        self.rows: list[comp.ExpiryRow] = []
        self.load_job: Any = None
        self.options: st.StaffOptions | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        bar = QHBoxLayout()
        self.horizon = QComboBox()
        self.horizon.setAccessibleName("Expiring within")
        for days in HORIZONS:
            self.horizon.addItem(f"Next {days} days", days)
        self.practice = QComboBox()
        self.practice.setAccessibleName("Expiry list practice")
        self.practice.addItem("All practices", None)
        self.practice.setMinimumWidth(200)
        self.expired = QCheckBox("Already expired")
        self.expired.setChecked(True)
        self.missing = QCheckBox("Never recorded")
        self.export_button = QPushButton(icon("export"), "Export to Excel ...")
        self.export_button.setAccessibleName("Export the expiry list to Excel")
        self.digest_button = QPushButton(icon("print"), "Practice digest ...")
        self.digest_button.setAccessibleName("Produce the expiry digest for practice managers")
        bar.addWidget(self.horizon)
        bar.addWidget(self.practice, 1)
        bar.addWidget(self.expired)
        bar.addWidget(self.missing)
        bar.addStretch(1)
        bar.addWidget(self.export_button)
        bar.addWidget(self.digest_button)
        layout.addLayout(bar)
        self.summary = plain_label("", "Muted")
        self.summary.setAccessibleName("Expiry summary")
        layout.addWidget(self.summary)
        self.model = ExpiryModel(self)
        self.table = DataTable(self.model, "staff-expiry", "Expiring items")
        self.table.setSortingEnabled(False)
        layout.addWidget(self.table, 1)
        layout.addWidget(
            plain_label(
                "Coloured dates are inside their warning lead time (set per kind of item, e.g. 90 days for "
                "registrations, 30 for training). Double-click a row to open the person's record.",
                "Muted",
            )
        )
        self.horizon.currentIndexChanged.connect(self.load)
        self.practice.currentIndexChanged.connect(self.load)
        self.expired.toggled.connect(self.load)
        self.missing.toggled.connect(self.load)
        self.export_button.clicked.connect(self.export_dialog)
        self.digest_button.clicked.connect(self.digest_dialog)
        self.table.row_activated.connect(self._open)

    def set_options(self, options: st.StaffOptions) -> None:
        self.options = options
        current = self.practice.currentData()
        self.practice.blockSignals(True)
        while self.practice.count() > 1:
            self.practice.removeItem(1)
        for p in options.practices:
            self.practice.addItem(p.label, p.id)
        self.practice.setCurrentIndex(max(0, self.practice.findData(current)))
        self.practice.blockSignals(False)

    def load(self, *_args: Any) -> None:
        self.stale = False
        self.summary.setText("Loading ...")
        self.load_job = self.ctx.ops.run_query(
            _expiry_rows,
            today(),
            self.horizon.currentData(),
            self.expired.isChecked(),
            self.missing.isChecked(),
            self.practice.currentData(),
            on_done=self._show,
            parent=self,
            key="staff-expiry",
        )

    def _show(self, rows: list[comp.ExpiryRow]) -> None:
        self.rows = rows
        entries = group_by_week(rows, today())
        self.table.clearSpans()
        self.model.set_rows(entries)
        for i in self.model.heading_rows():
            self.table.setSpan(i, 0, 1, len(self.model.columns))
        expired = sum(1 for r in rows if r.status is comp.ItemStatus.EXPIRED)
        missing = sum(1 for r in rows if r.status is comp.ItemStatus.MISSING)
        upcoming = len(rows) - expired - missing
        now = sum(1 for r in rows if r.within_lead_time and r.status is not comp.ItemStatus.EXPIRED)
        parts = [f"{upcoming} item{'s' if upcoming != 1 else ''} expire in the next {self.horizon.currentData()} days"]
        parts.append(f"{now} inside their warning lead time")
        if self.expired.isChecked():
            parts.append(f"{expired} already expired")
        if self.missing.isChecked():
            parts.append(f"{missing} never recorded")
        self.summary.setText("; ".join(parts) + ".")

    def _open(self, row: Any) -> None:
        if isinstance(row, WeekHeading):
            return
        page = self.parent()
        while page is not None and not hasattr(page, "open_record"):
            page = page.parent()
        if page is not None:
            page.open_record(row.staff_id)

    # -- export and digest ------------------------------------------------------------------------------------
    def export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export the expiry list", str(Path.home() / "expiry-list.xlsx"), "Excel workbook (*.xlsx)"
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> Any:
        self.export_job = self.ctx.ops.run_query(
            st.export_expiry_list,
            path,
            today(),
            self.horizon.currentData(),
            self.missing.isChecked(),
            self.practice.currentData(),
            label="Exporting ...",
            parent=self,
        )
        return self.export_job

    def digest_dialog(self) -> Any:
        return DigestDialog.ask(self.ctx, self.options, self)


def _expiry_rows(
    session: Any, on: Any, horizon: int, expired: bool, missing: bool, practice_id: int | None
) -> list[comp.ExpiryRow]:
    return comp.expiry_list(
        session, on, horizon, include_expired=expired, include_missing=missing, practice_id=practice_id
    )


class DigestDialog(QDialog):
    """Choose the practice (or all), the period and the format, then produce the digest."""

    def __init__(self, ctx: Any, options: st.StaffOptions | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Expiry digest for practice managers")
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                "The digest lists, per practice, what has expired, what was never recorded and what expires in the "
                "coming weeks, for the practice manager to chase. Choose one practice to send it to its manager, "
                "or all practices (one PDF with a section each, or one file per practice)."
            )
        )
        form = QFormLayout()
        self.practice = QComboBox()
        self.practice.setAccessibleName("Digest practice")
        self.practice.addItem("All practices (one file)", None)
        self.practice.addItem("All practices (one PDF per practice, into a folder)", -1)
        for p in options.practices if options else ():
            self.practice.addItem(f"{p.label} ({p.extra})", p.id)
        self.horizon = QComboBox()
        self.horizon.setAccessibleName("Digest period")
        for days in HORIZONS:
            self.horizon.addItem(f"Next {days} days", days)
        self.horizon.setCurrentIndex(1)
        self.format = QComboBox()
        self.format.setAccessibleName("Digest format")
        self.format.addItem("PDF (preview, print or save)", "pdf")
        self.format.addItem("Excel workbook", "xlsx")
        form.addRow("&Practice", self.practice)
        form.addRow("&Period", self.horizon)
        form.addRow("&Format", self.format)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Produce")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.job: Any = None
        self.preview: Any = None

    def produce(self, target: Path | None = None) -> Any:
        """Produce the chosen digest (``target`` skips the save dialog: a file, or a folder for one per practice)."""
        import tempfile

        practice = self.practice.currentData()
        horizon = self.horizon.currentData()
        kind = self.format.currentData()
        parent = self.parentWidget()
        if practice == -1:
            folder = target or Path(QFileDialog.getExistingDirectory(parent, "Folder for the practice digests") or "")
            if not str(folder):
                return None
            from federation_desk.reports.expiry_digest import expiry_digests_per_practice

            self.job = self.ctx.ops.run_job(
                expiry_digests_per_practice,
                Path(folder),
                horizon,
                label="Producing the digests ...",
                parent=parent,
                on_done=lambda paths: _tell(parent, f"{len(paths)} digests written to {folder}."),
            )
            return self.job
        if kind == "xlsx":
            path = target or Path(
                QFileDialog.getSaveFileName(
                    parent, "Save the digest", str(Path.home() / "expiry-digest.xlsx"), "Excel workbook (*.xlsx)"
                )[0]
                or ""
            )
            if not str(path):
                return None

            def excel(session: Any, progress: Any = None) -> Path:
                digests = st.practice_digests(session, today(), horizon, None if practice is None else [practice])
                return st.export_digest_xlsx(digests, path, progress)

            self.job = self.ctx.ops.run_query(
                excel, label="Producing the digest ...", parent=parent, on_done=lambda p: _tell(parent, f"Saved {p}.")
            )
            return self.job
        from federation_desk.reports.expiry_digest import expiry_digest_pdf

        path = target or Path(tempfile.mkdtemp(prefix="fd-digest-")) / "expiry-digest.pdf"

        def show(p: Path) -> None:
            from federation_desk.ui.pdf_view import PdfPreviewDialog

            self.preview = PdfPreviewDialog.show_pdf(p, "Expiry digest", parent)

        self.job = self.ctx.ops.run_job(
            expiry_digest_pdf, path, practice, horizon, label="Producing the digest ...", parent=parent, on_done=show
        )
        return self.job

    @classmethod
    def ask(cls, ctx: Any, options: st.StaffOptions | None, parent: QWidget | None) -> Any:
        dialog = cls(ctx, options, parent)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.produce()
        return None


def _tell(parent: Any, text: str) -> None:
    window = parent.window() if parent is not None else None
    if window is not None and hasattr(window, "statusBar"):
        window.statusBar().showMessage(text, 8000)


def digest_from_hub(ctx: Any, parent: QWidget | None) -> Any:
    """The Reports page's "Produce": the digest dialog, with the practices read first."""
    return ctx.ops.run_query(
        st.staff_options, on_done=lambda options: DigestDialog.ask(ctx, options, parent), parent=parent
    )


def matrix_from_hub(ctx: Any, parent: QWidget | None) -> Any:
    path, _ = QFileDialog.getSaveFileName(
        parent, "Export the training matrix", str(Path.home() / "training-matrix.xlsx"), "Excel workbook (*.xlsx)"
    )
    if not path:
        return None
    return ctx.ops.run_query(st.export_matrix, Path(path), today(), label="Exporting ...", parent=parent)
