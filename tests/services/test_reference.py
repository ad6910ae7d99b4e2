"""Reference data: loaded into empty tables on first use, never over the federation's edits; on every later start
one query finds nothing to load and the modules holding the loaders are not even imported."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import delete, event, func, select

from federation_desk.db.session import Database
from federation_desk.domain.contracts import KpiTemplate
from federation_desk.services import reference
from federation_desk.services.startup import open_database


def test_reference_tables_name_every_table_a_loader_fills(tmp_path: Path) -> None:
    """REFERENCE_TABLES must hold exactly the tables the loaders look at (a new loader, or a new table checked by
    one, fails here until it is listed): otherwise the one-query check could skip a table that needs filling."""
    database = Database.open(str(tmp_path / "empty.sqlite"), actor="tester")
    from federation_desk.db import migrate

    migrate.upgrade(database.engine)
    looked_at: set[str] = set()

    def capture(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "count(" in statement.lower():
            looked_at.update(re.findall(r"FROM (\w+)", statement))

    event.listen(database.engine, "before_cursor_execute", capture)
    reference._import_module_loaders()
    with database.unit_of_work() as session:
        for _order, _name, loader in reference._LOADERS:
            loader(session)
    database.dispose()
    assert looked_at == {model.__tablename__ for model in reference.REFERENCE_TABLES}


def test_an_emptied_reference_table_is_filled_again_and_edits_are_kept(database: Database) -> None:
    with database.session() as s:
        assert reference.reference_tables_filled(s)
        templates = s.scalar(select(func.count(KpiTemplate.id)))
    assert templates
    with database.unit_of_work() as s:
        s.execute(delete(KpiTemplate))
        assert not reference.reference_tables_filled(s)
        added = reference.load_reference_data(s)
    assert added["kpi templates"] == templates
    assert all(count == 0 for name, count in added.items() if name != "kpi templates")  # the others kept as edited
    with database.unit_of_work() as s:
        assert reference.load_reference_data(s) == {}


def test_opening_a_prepared_database_imports_no_loader_module(tmp_path: Path) -> None:
    path = tmp_path / "ready.sqlite"
    open_database(path, actor="tester").database.dispose()  # the first start fills the reference tables
    code = (
        "import sys\n"
        "from federation_desk.services.startup import open_database\n"
        f"result = open_database({str(path)!r}, actor='tester')\n"
        "loaded = [m for m in reference_modules if m in sys.modules]\n"
        "print(result.reference_rows_added, loaded)\n"
    )
    code = f"reference_modules = {list(reference.MODULES_WITH_REFERENCE_DATA)!r}\n" + code
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "0 []", out.stderr
