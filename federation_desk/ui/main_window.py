"""The main window: a shell only. Navigation, a page stack (pages are created on first visit), menus, status bar.

It imports nothing heavy: the window paints first, then the database opens on a worker and pages load their data
on workers of their own.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

# Only what the first paint needs is imported here. Dialog, menu and shortcut classes are imported where they are
# used: importing a PySide6 class builds its Python enums, and the Qt namespace alone costs 20-40 ms.
from PySide6.QtCore import QByteArray, QEvent, QObject, QSize, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from federation_desk import APP_NAME, __version__
from federation_desk.ui import settings
from federation_desk.ui.bus import bus
from federation_desk.ui.icons import app_icon, icon
from federation_desk.ui.qt_compat import settle_long_lived

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent

    from federation_desk.ui.actions import Actions
    from federation_desk.ui.context import AppContext


class PageSpec(NamedTuple):
    key: str
    title: str
    icon_name: str
    factory: str | None  # "module:Class", or None while the module is not available yet
    purpose: str


PAGES: tuple[PageSpec, ...] = (
    PageSpec(
        "dashboard",
        "Dashboard",
        "dashboard",
        "federation_desk.ui.pages.dashboard:DashboardPage",
        "What needs attention today",
    ),
    PageSpec(
        "organisation",
        "Organisation",
        "organisation",
        "federation_desk.ui.pages.organisation:OrganisationPage",
        "Member practices, sites, hubs and PCNs",
    ),
    PageSpec(
        "staff",
        "Staff",
        "staff",
        "federation_desk.ui.pages.staff:StaffPage",
        "Staff records, registrations, DBS checks, right to work, training and appraisals",
    ),
    PageSpec(
        "rota",
        "Rota",
        "rota",
        "federation_desk.ui.pages.rota:RotaPage",
        "Sessions across sites and hubs, assignments and Enhanced Access",
    ),
    PageSpec(
        "indemnity",
        "Indemnity",
        "indemnity",
        "federation_desk.ui.pages.indemnity:IndemnityPage",
        "Clinicians' indemnity cover and organisation insurance",
    ),
    PageSpec(
        "tenders",
        "Tenders",
        "tenders",
        "federation_desk.ui.pages.tenders:TendersPage",
        "Procurement opportunities, answers and bid packs",
    ),
    PageSpec(
        "contracts",
        "Contracts",
        "contracts",
        "federation_desk.ui.pages.contracts:ContractsPage",
        "Won contracts, obligations, KPIs and compliance reports",
    ),
    PageSpec(
        "reports",
        "Reports",
        "reports",
        "federation_desk.ui.pages.reports:ReportsPage",
        "Every PDF and Excel report in one place",
    ),
    PageSpec(
        "audit",
        "Audit log",
        "history",
        "federation_desk.ui.pages.audit_log:AuditLogPage",
        "Every change to the federation's records: who, when, before and after",
    ),
    PageSpec(
        "settings",
        "Settings",
        "settings",
        "federation_desk.ui.pages.settings_page:SettingsPage",
        "Preferences and the database in use",
    ),
)


def page_shortcut(index: int) -> str:
    """Ctrl+1 ... Ctrl+9, then Ctrl+0 for the tenth page."""
    return f"Ctrl+{index + 1}" if index < 9 else "Ctrl+0" if index == 9 else ""


# Buttons that change federation-wide records on pages that do not say so themselves (the foundation's pages).
FEDERATION_ONLY_BUTTONS = frozenset({"Add a practice", "Add a PCN", "Edit the selected PCN", "Edit federation details"})
# First words of buttons that change something, for pages that do not declare it (property "needs").
CHANGE_VERBS = frozenset(
    {
        "add",
        "new",
        "edit",
        "delete",
        "remove",
        "import",
        "attach",
        "assign",
        "publish",
        "reopen",
        "save",
        "upload",
        "record",
        "approve",
        "generate",
        "auto-fill",
        "fill",
        "mark",
        "renew",
        "archive",
        "detach",
        "change",
        "create",
        "duplicate",
        "unassign",
        "book",
        "cancel session",
        "accept",
        "withdraw",
    }
)


def button_needs(button: Any) -> str | None:
    """What a button needs: "federation" (federation-wide change), "practice" (any change) or None (reads)."""
    declared = button.property("needs")
    if declared in ("federation", "practice"):
        return str(declared)
    name = button.accessibleName() or ""
    text = button.text().replace("&", "").strip()
    if name in FEDERATION_ONLY_BUTTONS or text in FEDERATION_ONLY_BUTTONS:
        return "federation"
    first = text.split(" ")[0].casefold() if text else ""
    return "practice" if first in CHANGE_VERBS else None


def open_and_sign_in(location: str, password: str | None = None) -> Any:
    """Open a database and work out who is signed in (worker thread). ``location`` holds no password; a server's
    password comes from ``password`` or the keyring and lives only in memory."""
    from sqlalchemy.exc import ProgrammingError

    from federation_desk.services.access import establish, explain_refusal
    from federation_desk.services.connections import connectable, is_server_location
    from federation_desk.services.startup import open_database

    target = connectable(location, password) if is_server_location(location) else location
    login = location
    try:
        result = open_database(target)
    except ProgrammingError as exc:
        from sqlalchemy.engine import make_url

        if is_server_location(location):
            login = make_url(location).username or location
        refusal = explain_refusal(exc, login)
        if refusal is None:
            raise
        raise refusal from None
    try:
        access = establish(result.database)
    except Exception:
        result.database.dispose()
        raise
    return result, access


class _FirstPaint(QObject):
    """Reports the first paint of the window (for the start-up benchmark)."""

    painted = Signal()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self.painted.emit)
        return False


class MainWindow(QMainWindow):
    database_ready = Signal()

    def __init__(self, ctx: AppContext | None = None) -> None:
        super().__init__()
        self._ctx = ctx
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(app_icon())
        self.setAccessibleName(APP_NAME)
        self.pages: dict[str, Any] = {}
        self._open_pool = QThreadPool()
        self._open_pool.setMaxThreadCount(1)
        self._open_worker: Any = None

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        nav_panel = QWidget()
        nav_panel.setObjectName("NavPanel")
        nav_panel.setFixedWidth(210)
        nav_layout = QVBoxLayout(nav_panel)
        nav_layout.setContentsMargins(0, 0, 0, 8)
        title = QLabel(APP_NAME)
        title.setObjectName("AppTitle")
        nav_layout.addWidget(title)
        self.nav = QListWidget()
        self.nav.setObjectName("Navigation")
        self.nav.setAccessibleName("Modules")
        self.nav.setIconSize(QSize(20, 20))
        for i, spec in enumerate(PAGES):
            item = QListWidgetItem(icon(spec.icon_name), spec.title)
            item.setToolTip(f"{spec.purpose} ({page_shortcut(i)})")
            self.nav.addItem(item)
        nav_layout.addWidget(self.nav, 1)
        row.addWidget(nav_panel)
        self.stack = QStackedWidget()
        self.stack.setAccessibleName("Page")
        for _spec in PAGES:
            self.stack.addWidget(QWidget())  # placeholders until each page is first shown
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.db_label = QLabel("Opening database ...")
        self.db_label.setAccessibleName("Open database")
        self.statusBar().addPermanentWidget(self.db_label)

        self.actions_: Actions | None = None
        # Menu titles paint with the window; their actions and shortcuts are added right after the first paint.
        self.file_menu = self.menuBar().addMenu("&File")
        self.view_menu = self.menuBar().addMenu("&View")
        self.help_menu = self.menuBar().addMenu("&Help")
        self.nav.currentRowChanged.connect(self._show_row)
        bus().navigate.connect(self.navigate)

        self.resize(1280, 800)
        geometry = settings.store().value("window/geometry")
        if isinstance(geometry, QByteArray | bytes) and geometry:
            self.restoreGeometry(QByteArray(geometry))
        self._first_paint = _FirstPaint(self)
        self.installEventFilter(self._first_paint)
        self.first_painted = self._first_paint.painted
        self.first_painted.connect(self._build_menus)

    @property
    def ctx(self) -> AppContext:
        """Created on first use, after the first paint (it brings the worker and operations machinery)."""
        if self._ctx is None:
            from federation_desk.ui.context import AppContext as _AppContext

            self._ctx = _AppContext()
        return self._ctx

    @property
    def database(self) -> Any:
        """The open database, or None (without creating the context)."""
        return None if self._ctx is None else self._ctx.database

    # -- menus ------------------------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        if self.actions_ is not None:
            return
        from PySide6.QtGui import QKeySequence, QShortcut

        from federation_desk.ui.actions import ActionId, Actions

        self.actions_ = a = Actions(self)
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self.focus_search)
        file_menu = self.file_menu
        file_menu.addAction(
            a.add(
                ActionId.NEW_DATABASE,
                "&New local database ...",
                self.new_database,
                QKeySequence.StandardKey.New,
                "new",
                "Create an empty database file",
            )
        )
        file_menu.addAction(
            a.add(
                ActionId.OPEN_DATABASE,
                "&Open database ...",
                self.open_database_dialog,
                QKeySequence.StandardKey.Open,
                "open",
                "Open a database file",
            )
        )
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addAction(
            a.add(
                ActionId.NEW_DEMO,
                "New &demo federation ...",
                self.new_demo,
                None,
                "dashboard",
                "Create a database holding the demo federation, to explore",
            )
        )
        self._add_access_actions(file_menu)
        file_menu.addSeparator()
        file_menu.addAction(a.add(ActionId.QUIT, "E&xit", self.close, QKeySequence.StandardKey.Quit))
        view = self.view_menu
        for i, spec in enumerate(PAGES):
            action = view.addAction(icon(spec.icon_name), spec.title)
            action.setShortcut(QKeySequence(page_shortcut(i)))
            action.triggered.connect(lambda _c=False, key=spec.key: self.show_page(key))
        view.addSeparator()
        view.addAction(a.add(ActionId.FIND, "&Find in this page", self.focus_search))
        view.addAction(a.add(ActionId.REFRESH, "&Refresh", self.refresh, QKeySequence.StandardKey.Refresh, "refresh"))
        help_menu = self.help_menu
        help_menu.addAction(a.add(ActionId.ABOUT, f"&About {APP_NAME}", self.about))

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = settings.RECENT_DATABASES.get()
        if not recent:
            self.recent_menu.addAction("(none yet)").setEnabled(False)
        for location in recent:
            action = self.recent_menu.addAction(location)
            action.triggered.connect(lambda _c=False, loc=location: self.open_database(loc))

    # -- pages ------------------------------------------------------------------------------------------------
    def page_index(self, key: str) -> int:
        return next(i for i, spec in enumerate(PAGES) if spec.key == key)

    def show_page(self, key: str) -> None:
        if key not in {spec.key for spec in PAGES}:
            key = "dashboard"
        self.nav.setCurrentRow(self.page_index(key))

    def navigate(self, key: str, arg: object = None) -> None:
        """Show a page; a sub-key (``"staff/expiry"``) or an argument goes to the page's ``navigate_to``."""
        key, _, sub = key.partition("/")
        self.show_page(key)
        page = self.pages.get(key)
        target = sub or arg
        if page is not None and target not in (None, "") and hasattr(page, "navigate_to"):
            page.navigate_to(target)

    def current_key(self) -> str:
        row = self.nav.currentRow()
        return PAGES[row].key if row >= 0 else "dashboard"

    def page(self, key: str) -> Any:
        """The page for ``key``, creating it on first use."""
        if key in self.pages:
            return self.pages[key]
        index = self.page_index(key)
        spec = PAGES[index]
        if spec.factory is None:
            from federation_desk.ui.pages.unavailable import UnavailablePage

            page = UnavailablePage(self.ctx, spec.key, spec.title, spec.icon_name, spec.purpose)
        else:
            module_name, class_name = spec.factory.split(":")
            page = getattr(importlib.import_module(module_name), class_name)(self.ctx)
        old = self.stack.widget(index)
        self.stack.insertWidget(index, page)
        self.stack.removeWidget(old)
        old.deleteLater()
        self.pages[key] = page
        self._apply_access_to_page(page)
        settle_long_lived()  # a page, once made, stays for the session, as do the modules it imported
        return page

    def _show_row(self, row: int) -> None:
        if row < 0:
            return
        key = PAGES[row].key
        if self.database is None and key not in self.pages:
            self.stack.setCurrentIndex(row)  # the placeholder; the page is built once the database is open
            return
        page = self.page(key)
        self.stack.setCurrentWidget(page)
        page.activate()
        settings.LAST_PAGE.set(key)

    def focus_search(self) -> None:
        page = self.pages.get(self.current_key())
        if page is None or not page.focus_search():
            self.statusBar().showMessage("This page has no search box.", 3000)

    def refresh(self) -> None:
        page = self.pages.get(self.current_key())
        if page is not None and self.database is not None:
            page.reload()

    # -- databases --------------------------------------------------------------------------------------------
    def open_database(self, location: str, then_page: str | None = None, password: str | None = None) -> None:
        """Open (and on SQLite upgrade) a database on a worker; the window stays responsive meanwhile.

        ``location`` never holds a password (it is remembered in the settings): a server's password comes from the
        keyring, or from ``password`` when the person has just typed it.
        """
        self.db_label.setText(f"Opening {location} ...")
        self.statusBar().showMessage("Opening the database ...")

        def job(_progress: Any) -> Any:
            return open_and_sign_in(location, password)

        from federation_desk.ui.workers import Worker

        worker = Worker(job)
        worker.signals.finished.connect(lambda result: self._database_opened(location, result, then_page))
        worker.signals.failed.connect(lambda exc: self._open_failed(exc, location, then_page, password))
        self._open_worker = worker
        worker.start_in(self._open_pool)

    def _database_opened(self, location: str, opened: Any, then_page: str | None) -> None:
        result, access = opened
        old = self.database
        self._set_access(access)
        self.ctx.set_database(result.database)
        if old is not None and old is not result.database:
            from federation_desk.services.access import release

            release(old)
        settings.remember_database(location)
        self.db_label.setText(f"Database: {result.database.location.display}")
        self.db_label.setToolTip(result.database.location.display)
        message = "Database opened."
        if result.upgraded and result.backup:
            message = f"Database upgraded to this version; a copy of the old one is in {result.backup}."
        self.statusBar().showMessage(message, 8000)
        bus().database_opened.emit(result.database)
        settle_long_lived()  # what opening the database imported stays for good: keep full collections short
        self.show_page(then_page or self.current_key())
        self._show_row(self.nav.currentRow())
        self.database_ready.emit()

    def _database_failed(self, exc: BaseException) -> None:
        from federation_desk.ui import errors

        self.db_label.setText("No database open")
        self.statusBar().clearMessage()
        errors.show_error(self, exc)

    def new_database(self) -> None:
        from PySide6.QtWidgets import QFileDialog, QMessageBox

        path, _ = QFileDialog.getSaveFileName(
            self, "New local database", str(Path.home() / "federation.sqlite"), "Federation Desk database (*.sqlite)"
        )
        if path:
            if Path(path).exists():
                QMessageBox.warning(self, "File exists", "Choose a new file name: that file already exists.")
                return
            self.open_database(path)

    def open_database_dialog(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(
            self, "Open database", str(Path.home()), "Federation Desk database (*.sqlite);;All files (*)"
        )
        if path:
            self.open_database(path)

    def new_demo(self) -> None:
        from PySide6.QtWidgets import QFileDialog, QMessageBox

        path, _ = QFileDialog.getSaveFileName(
            self,
            "Save the demo federation as",
            str(Path.home() / "demo-federation.sqlite"),
            "Federation Desk database (*.sqlite)",
        )
        if not path:
            return
        if Path(path).exists():
            QMessageBox.warning(self, "File exists", "Choose a new file name: that file already exists.")
            return
        self.statusBar().showMessage("Building the demo federation ...")

        def job(progress: Any) -> str:
            from federation_desk.services.demo import build_demo
            from federation_desk.services.startup import open_database

            opened = open_database(path)
            try:
                build_demo(opened.database, progress=progress)
            finally:
                opened.database.dispose()
            return path

        from federation_desk.ui.workers import Worker

        worker = Worker(job)
        worker.signals.finished.connect(lambda p: self.open_database(p, "dashboard"))
        worker.signals.failed.connect(self._database_failed)
        self._open_worker = worker
        worker.start_in(self._open_pool)

    def about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"{APP_NAME} {__version__}\nThe shared back office of a GP practice federation.\n"
            f"Python {sys.version.split()[0]}",
        )

    # -- shared server, roles, backup, erasure ----------------------------------------------------------------
    access: Any = None  # services.access.Access of the person signed in to the open database

    def _add_access_actions(self, menu: Any) -> None:
        from PySide6.QtGui import QAction

        def action(text: str, handler: Any, icon_name: str, tip: str) -> Any:
            item = QAction(icon(icon_name), text, self)
            item.setStatusTip(tip)
            item.setToolTip(tip)
            item.triggered.connect(lambda _checked=False: handler())
            menu.addAction(item)
            return item

        menu.addSeparator()
        self.connect_action = action(
            "&Connect to the federation server ...",
            self.connect_to_server,
            "database",
            "Work on the federation's shared database, with your own login",
        )
        menu.addSeparator()
        self.backup_action = action(
            "&Back up database ...", self.backup_database, "save", "Write the whole database to one file"
        )
        self.restore_action = action(
            "Res&tore a backup ...", self.restore_backup, "open", "Put a backup into a new, empty database"
        )
        self.erase_action = action(
            "Erase a former staff member's personal data ...",
            self.erase_personal_data,
            "danger",
            "After the retention period: remove their personal data, keep history under a pseudonym",
        )
        self._apply_access_to_actions()

    def _set_access(self, access: Any) -> None:
        from federation_desk.services.access import Capability

        self.access = access
        if not hasattr(self, "user_label"):
            self.user_label = QLabel("")
            self.user_label.setAccessibleName("Signed in as")
            self.statusBar().addPermanentWidget(self.user_label)
        self.user_label.setText(f"Signed in as {access.summary}")
        self.user_label.setToolTip(access.note or f"Role: {access.role.label}")
        for i, spec in enumerate(PAGES):
            hidden = spec.key == "audit" and not access.can(Capability.VIEW_AUDIT_LOG)
            self.nav.item(i).setHidden(hidden)
        if self.nav.currentRow() >= 0 and self.nav.item(self.nav.currentRow()).isHidden():
            self.show_page("dashboard")
        self._apply_access_to_actions()
        for page in self.pages.values():
            self._apply_access_to_page(page)

    def _apply_access_to_actions(self) -> None:
        if not hasattr(self, "backup_action"):
            return
        access = self.access
        if access is None:  # no database yet: only Restore makes sense (and the access rules are not imported yet,
            # which keeps SQLAlchemy out of the first paint)
            for item in (self.backup_action, self.restore_action, self.erase_action):
                item.setVisible(True)
                item.setEnabled(item is self.restore_action)
            return
        from federation_desk.services.access import Capability

        for item, capability in (
            (self.backup_action, Capability.BACKUP),
            (self.restore_action, Capability.RESTORE),
            (self.erase_action, Capability.ERASE_PERSONAL_DATA),
        ):
            allowed = access.can(capability)
            item.setVisible(allowed)
            item.setEnabled(allowed)

    def _apply_access_to_page(self, page: Any) -> None:
        """Hide what the signed-in role may not do: the page decides if it can (``apply_access``), else its
        buttons that change records are hidden for a viewer, and federation-wide ones for a practice manager."""
        access = self.access
        if access is None:
            return
        if hasattr(page, "apply_access"):
            page.apply_access(access)
            return
        from PySide6.QtWidgets import QAbstractButton

        from federation_desk.services.access import Capability

        may_change = access.can(Capability.EDIT_PRACTICE_RECORDS)
        may_change_federation = access.can(Capability.EDIT_FEDERATION_RECORDS)
        # A page whose records are all federation-wide (tenders) says so once for every button that changes one.
        federation_page = page.property("change_needs") == "federation"
        for button in page.findChildren(QAbstractButton):
            needs = button_needs(button)
            if needs is None:
                continue
            if federation_page and needs == "practice" and button.property("needs") is None:
                needs = "federation"
            allowed = may_change if needs == "practice" else may_change_federation
            if not allowed:
                button.setVisible(False)
                button.setProperty("hidden_for_role", True)
            elif button.property("hidden_for_role"):
                button.setVisible(True)
                button.setProperty("hidden_for_role", False)

    def _open_failed(self, exc: BaseException, location: str, then_page: str | None, password: str | None) -> None:
        from federation_desk.services.connections import (
            ConnectionProfile,
            explain_connection_error,
            is_server_location,
        )

        if not is_server_location(location) or type(exc).__name__ != "OperationalError":
            self._database_failed(exc)
            return
        check = explain_connection_error(exc, ConnectionProfile.from_location(location))
        if check.problem in ("password needed", "wrong password"):
            from federation_desk.ui.dialogs.connection import PasswordDialog

            reason = check.message if password is not None or check.problem == "wrong password" else ""
            typed = PasswordDialog.ask(location, reason, self)
            if typed:
                self.open_database(location, then_page, typed)
                return
        from federation_desk.errors import DatabaseUnavailable

        self._database_failed(DatabaseUnavailable(check.message, check.advice))

    def first_run(self, local_location: str, then_page: str | None = None) -> None:
        """The first start on this computer: a local file, or the federation's server."""
        from federation_desk.ui.dialogs.first_run import SERVER, FirstRunDialog

        if FirstRunDialog.ask(local_location, self) == SERVER and self.connect_to_server(then_page):
            return
        self.open_database(local_location, then_page)

    def connect_to_server(self, then_page: str | None = None) -> bool:
        from federation_desk.ui.dialogs.connection import ConnectionDialog

        chosen = ConnectionDialog.ask(self)
        if chosen is None:
            return False
        location, password = chosen
        self.open_database(location, then_page, password)
        return True

    def backup_database(self) -> None:
        from federation_desk.services.backup import backup_database
        from federation_desk.ui.dialogs.backup import ask_backup_path

        if self.database is None:
            return
        path = ask_backup_path(self, self.database)
        if path is None:
            return
        self.statusBar().showMessage("Backing up the database ...")
        self.backup_job = self.ctx.ops.run_job(
            backup_database,
            path,
            on_done=lambda result: self.statusBar().showMessage(result.message, 15000),
            label="Backing up the whole database ...",
            parent=self,
        )

    def restore_backup(self) -> None:
        from federation_desk.ui.dialogs.backup import RestoreDialog
        from federation_desk.ui.dialogs.connection import load_profiles

        location = RestoreDialog.ask(load_profiles(), self)
        if location is None:
            return
        from PySide6.QtWidgets import QMessageBox

        answer = QMessageBox.question(self, "Backup restored", f"The backup was restored into {location}. Open it now?")
        if answer == QMessageBox.StandardButton.Yes:
            self.open_database(location)

    def erase_personal_data(self) -> None:
        from federation_desk.ui.dialogs.erase import EraseDialog

        if self.database is not None:
            EraseDialog.ask(self.ctx.ops, self)

    # -- lifecycle --------------------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        settings.store().setValue("window/geometry", self.saveGeometry())
        settings.LAST_PAGE.set(self.current_key())
        settings.store().sync()
        if self._ctx is not None:
            self._ctx.ops.wait(5000)
        super().closeEvent(event)


HEAVY_MODULES = ("sqlalchemy", "alembic", "keyring", "reportlab", "pypdf", "openpyxl", "ortools")


def bench_hook(window: MainWindow, app: QApplication, started: float) -> None:
    """FEDERATION_DESK_BENCH=first-paint|dashboard: print when reached and quit (tests/bench)."""
    target = os.environ.get("FEDERATION_DESK_BENCH")
    if not target:
        return

    def report(name: str) -> None:
        # Also which heavy libraries were loaded by then: none should be before the first paint.
        loaded = ",".join(m for m in HEAVY_MODULES if m in sys.modules) or "-"
        print(f"BENCH {name} {time.perf_counter() - started:.4f} heavy={loaded}", flush=True)
        app.quit()

    if target == "first-paint":
        window.first_painted.connect(lambda: report("first-paint"))
    elif target == "dashboard":

        def hook_dashboard() -> None:
            page = window.page("dashboard")
            page.loaded.connect(lambda: report("dashboard"))

        window.database_ready.connect(hook_dashboard)
