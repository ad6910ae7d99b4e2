"""The house rules a machine can check: Qt only in ui/, no QTableWidget, resources only via paths.resource."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "federation_desk"
QT_ALLOWED = ("ui/", "app.py", "__main__.py")


def _python_files() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "migrations/versions" not in p.as_posix()]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_nothing_below_ui_imports_qt() -> None:
    offenders = []
    for path in _python_files():
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith(QT_ALLOWED):
            continue
        if any(name.split(".")[0] in {"PySide6", "shiboken6"} for name in _imports(path)):
            offenders.append(rel)
    assert offenders == [], f"Qt imported below the ui layer: {offenders}"


def test_services_do_not_import_ui_or_reports() -> None:
    offenders = []
    for layer in ("domain", "db", "services"):
        for path in (PACKAGE / layer).rglob("*.py"):
            bad = {n for n in _imports(path) if n.startswith(("federation_desk.ui", "federation_desk.reports"))}
            if bad:
                offenders.append((path.relative_to(PACKAGE).as_posix(), sorted(bad)))
    assert offenders == []


def test_no_item_widgets_for_lists() -> None:
    offenders = [
        p.relative_to(PACKAGE).as_posix()
        for p in _python_files()
        if "QTableWidget" in p.read_text(encoding="utf-8") or "QTreeWidget" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_resources_reached_only_through_paths_resource() -> None:
    offenders = [
        p.relative_to(PACKAGE).as_posix()
        for p in _python_files()
        if "__file__" in p.read_text(encoding="utf-8") or "_MEIPASS" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []
