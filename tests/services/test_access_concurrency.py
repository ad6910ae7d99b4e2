"""Two people editing the same record: a save based on a stale version is refused and names who saved it and
when; nothing is silently overwritten. Two separate sessions (two desktops), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine

from federation_desk.db import server_setup
from federation_desk.db.engine import parse_location
from federation_desk.db.session import Database
from federation_desk.domain.users import AppUser, UserRole
from federation_desk.errors import StaleEditError
from federation_desk.services import access
from federation_desk.services import organisation as org
from tests.conftest import PG_URL
from tests.db.test_rls import drop_logins


@pytest.fixture
def desktops(database: Database) -> Iterator[tuple[Database, Database, str]]:
    """Priya's and Tom's desktops: their own engines on the same database. On the server each signs in with their
    own login (created for this test, dropped afterwards). Yields (priya, tom, the name Priya's saves carry)."""
    if database.dialect == "sqlite":
        priya, tom = Database(database.location, actor="Priya Shah"), Database(database.location, actor="Tom O'Neill")
        name = "Priya Shah"
        cleanup = None
    else:
        prefix, suffix = f"fdt{uuid.uuid4().hex[:8]}", uuid.uuid4().hex[:8]
        logins = [f"priya_{suffix}", f"tom_{suffix}"]
        server_setup.init_server(database.engine, prefix)
        with database.unit_of_work() as s:
            for login in logins:
                s.add(AppUser(login=login, display_name=login, role=UserRole.MANAGER))
            s.add(AppUser(login=f"admin_{suffix}", display_name="Admin", role=UserRole.ADMINISTRATOR))
        with database.engine.begin() as conn:
            for login in logins:
                server_setup.create_login(conn, login, None)
                server_setup.sync_login_groups(conn, login, UserRole.MANAGER)
        url = database.location.url
        priya = Database(parse_location(url.set(username=logins[0]).render_as_string(False)))
        tom = Database(parse_location(url.set(username=logins[1]).render_as_string(False)))
        name = logins[0]

        def cleanup() -> None:
            admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
            drop_logins(admin, logins, prefix)
            admin.dispose()

    for db in (priya, tom):
        access.establish(db)
    try:
        yield priya, tom, name
    finally:
        for db in (priya, tom):
            access.release(db)
            db.dispose()
        if cleanup is not None:
            cleanup()


def _practice(database: Database) -> org.PracticeRow:
    with database.unit_of_work() as s:
        org.save_practice(s, org.PracticeForm(ods_code="A81001", name="Ashfield Surgery", phone="01234 000001"))
    with database.session() as s:
        return org.list_practices(s)[0]


def test_the_second_save_is_refused_and_names_who_saved_first(
    database: Database, desktops: tuple[Database, Database, str]
) -> None:
    row = _practice(database)
    priya, tom, priya_name = desktops
    # Both opened the practice at the same version; Priya saves first.
    with priya.unit_of_work() as s:
        form = org.PracticeForm(ods_code=row.ods_code, name=row.name, phone="01234 111111")
        org.save_practice(s, form, row.id, row.version)
    with pytest.raises(StaleEditError) as err, tom.unit_of_work() as s:
        form = org.PracticeForm(ods_code=row.ods_code, name="Tom's name", phone="01234 222222")
        org.save_practice(s, form, row.id, row.version)
    assert err.value.changed_by == priya_name and err.value.changed_at is not None
    assert err.value.message.startswith(f"This practice was changed by {priya_name} at ")
    assert "Reload" in err.value.what_to_do
    with database.session() as s:
        saved = org.get_practice(s, row.id)
    assert (saved.name, saved.phone, saved.version) == ("Ashfield Surgery", "01234 111111", row.version + 1)
    # Tom reloads and saves on the latest version: accepted.
    with tom.unit_of_work() as s:
        form = org.PracticeForm(ods_code=row.ods_code, name="Tom's name", phone=saved.phone or "")
        org.save_practice(s, form, row.id, saved.version)


@pytest.mark.postgres
def test_saves_at_the_same_moment_on_the_server(database: Database, desktops: tuple[Database, Database, str]) -> None:
    """Tom reads while Priya's save is in flight; his save waits for hers, then is refused by name."""
    if database.dialect != "postgresql":
        pytest.skip("a local SQLite file has one writer at a time: the race needs a server")
    row = _practice(database)
    priya, tom, priya_name = desktops
    priya_flushed, tom_read = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def tom_saves() -> None:
        try:
            priya_flushed.wait(10)
            with tom.unit_of_work() as s:
                form = org.PracticeForm(ods_code=row.ods_code, name=row.name, phone="01234 222222")
                org.save_practice(s, form, row.id, row.version)  # still sees the old version: Priya has not committed
                tom_read.set()
            outcome["tom"] = "saved"
        except StaleEditError as exc:
            outcome["tom"] = exc
        finally:
            tom_read.set()

    thread = threading.Thread(target=tom_saves)
    thread.start()
    try:
        with priya.unit_of_work() as s:
            form = org.PracticeForm(ods_code=row.ods_code, name=row.name, phone="01234 111111")
            org.save_practice(s, form, row.id, row.version)
            s.flush()
            priya_flushed.set()
            time.sleep(0.5)  # Tom's save is now waiting for this transaction
    finally:
        thread.join(20)
    result = outcome["tom"]
    assert isinstance(result, StaleEditError), result
    assert result.changed_by == priya_name
    with database.session() as s:
        assert org.get_practice(s, row.id).phone == "01234 111111"
