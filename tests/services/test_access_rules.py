"""Roles enforced by the services layer (the SQLite way): reads filtered, writes refused in plain English.

``build_world`` makes two practices with staff, a federation employee, a hub, indemnity cover (a table that inherits
its practice scope through ``staff_id``), an attached certificate and users for every role; the PostgreSQL
row-level security tests use it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from federation_desk.db import guards
from federation_desk.db.session import Database, load_for_edit
from federation_desk.domain.audit import AuditEntry
from federation_desk.domain.documents import Document, DocumentLink
from federation_desk.domain.indemnity import IndemnityCover, IndemnityProvider
from federation_desk.domain.organisation import Federation, Practice, Site, SiteKind
from federation_desk.domain.staff import EmploymentType, Role, StaffMember
from federation_desk.domain.users import AppUser, UserRole
from federation_desk.errors import NotFound, NotPermitted
from federation_desk.services import access, documents
from federation_desk.services import organisation as org

PDF = b"%PDF-1.4\n% a certificate\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@dataclass
class World:
    practice_a: int
    practice_b: int
    staff_a: int
    staff_b: int
    staff_fed: int
    hub: int
    cover_a: int
    cover_b: int
    doc_a: int
    doc_b: int
    logins: dict[str, str]


def build_world(db: Database, suffix: str = "") -> World:
    """Two practices and everything the access tests need. Logins get ``suffix`` (unique per run on a server)."""
    logins = {
        "admin": f"admin{suffix}",
        "manager": f"manager{suffix}",
        "pm_a": f"pm_a{suffix}",
        "pm_b": f"pm_b{suffix}",
        "viewer": f"viewer{suffix}",
    }
    with db.unit_of_work() as s:
        role = s.scalars(select(Role).where(Role.is_clinical.is_(True)).order_by(Role.id)).first()
        assert role is not None
        s.add(Federation(name="Riverside GP Federation"))
        a = Practice(ods_code="A81001", name="Ashfield Surgery")
        b = Practice(ods_code="B82002", name="Łukasz <b>Bridge</b> Practice")
        s.add_all([a, b])
        s.flush()
        hub = Site(name="Central hub", kind=SiteKind.HUB)
        s.add_all([hub, Site(name="Ashfield main", kind=SiteKind.PRACTICE, practice_id=a.id)])
        s.add(Site(name="Bridge main", kind=SiteKind.PRACTICE, practice_id=b.id))
        people = []
        for given, practice in (("Amira", a.id), ("Bogdan", b.id), ("Fen", None)):
            person = StaffMember(
                given_name=given,
                family_name="Example",
                role_id=role.id,
                employer_practice_id=practice,
                employment_type=EmploymentType.EMPLOYED,
                email=f"{given.lower()}@example.nhs.uk",
            )
            s.add(person)
            people.append(person)
        s.flush()
        covers = []
        for person in people[:2]:
            cover = IndemnityCover(
                staff_id=person.id,
                provider=next(iter(IndemnityProvider)),
                membership_number=f"M{person.id:05d}",
                start_date=date(2026, 1, 1),
                end_date=date(2026, 12, 31),
            )
            s.add(cover)
            covers.append(cover)
        s.flush()
        doc_a, _ = documents.store_document(s, "cert-a.pdf", PDF + b"a", attach_to=("staff_member", people[0].id))
        doc_b, _ = documents.store_document(s, "cert-b.pdf", PDF + b"b", attach_to=("staff_member", people[1].id))
        s.add_all(
            [
                AppUser(login=logins["admin"], display_name="Ada Admin", role=UserRole.ADMINISTRATOR),
                AppUser(login=logins["manager"], display_name="Mo Manager", role=UserRole.MANAGER),
                AppUser(login=logins["pm_a"], display_name="Pat A", role=UserRole.PRACTICE_MANAGER, practice_id=a.id),
                AppUser(login=logins["pm_b"], display_name="Pam B", role=UserRole.PRACTICE_MANAGER, practice_id=b.id),
                AppUser(login=logins["viewer"], display_name="Vic Viewer", role=UserRole.VIEWER),
            ]
        )
        s.flush()
        return World(
            a.id,
            b.id,
            people[0].id,
            people[1].id,
            people[2].id,
            hub.id,
            covers[0].id,
            covers[1].id,
            doc_a,
            doc_b,
            logins,
        )


@pytest.fixture
def world_path(tmp_path: Path) -> tuple[Path, World]:
    from federation_desk.services.startup import open_database

    path = tmp_path / "federation.sqlite"
    db = open_database(path, actor="setup").database
    try:
        world = build_world(db)
    finally:
        db.dispose()
    return path, world


def signed_in(path: Path, login: str) -> tuple[Database, access.Access]:
    db = Database.open(str(path), actor=login)
    return db, access.establish(db)


@pytest.fixture
def as_user(world_path: tuple[Path, World]):  # type: ignore[no-untyped-def]
    opened: list[Database] = []

    def sign_in(key: str) -> tuple[Database, access.Access]:
        path, world = world_path
        db, acc = signed_in(path, world.logins[key])
        opened.append(db)
        return db, acc

    yield sign_in
    for db in opened:
        access.release(db)
        db.dispose()


def test_roles_are_resolved_from_the_login(as_user, world_path) -> None:  # type: ignore[no-untyped-def]
    _path, world = world_path
    _db, pm = as_user("pm_a")
    assert (pm.role, pm.practice_id, pm.practice_name) == (
        UserRole.PRACTICE_MANAGER,
        world.practice_a,
        "Ashfield Surgery",
    )
    assert pm.summary == "Pat A (Practice manager, Ashfield Surgery)"
    assert pm.can(access.Capability.EDIT_PRACTICE_RECORDS)
    assert not pm.can(access.Capability.VIEW_AUDIT_LOG)
    _db, admin = as_user("admin")
    assert admin.role is UserRole.ADMINISTRATOR and all(admin.can(c) for c in access.Capability)
    _db, viewer = as_user("viewer")
    assert not any(viewer.can(c) for c in access.Capability)


def test_an_unlisted_person_on_a_managed_file_only_reads(world_path) -> None:  # type: ignore[no-untyped-def]
    path, _world = world_path
    db, acc = signed_in(path, "somebody-else")
    try:
        assert acc.role is UserRole.VIEWER
        assert "not listed" in acc.note
        with pytest.raises(NotPermitted, match="viewer role"), db.unit_of_work() as s:
            org.save_pcn(s, org.PcnForm(code="U12345", name="New PCN"))
    finally:
        access.release(db)
        db.dispose()


def test_a_file_with_no_users_is_administered_by_whoever_opens_it(sqlite_db: Database) -> None:
    acc = access.establish(sqlite_db)
    try:
        assert acc.role is UserRole.ADMINISTRATOR and not acc.managed
    finally:
        access.release(sqlite_db)


def test_practice_manager_reads_only_their_practice_and_federation_rows(as_user, world_path) -> None:  # type: ignore[no-untyped-def]
    _path, world = world_path
    db, _acc = as_user("pm_a")
    with db.session() as s:
        assert [p.id for p in org.list_practices(s)] == [world.practice_a]
        sites = {r.name for r in org.list_sites(s)}
        assert sites == {"Central hub", "Ashfield main"}
        staff = set(s.scalars(select(StaffMember.id)))
        assert staff == {world.staff_a, world.staff_fed}
        # Inherited scope: indemnity cover belongs to a member of staff.
        assert set(s.scalars(select(IndemnityCover.id))) == {world.cover_a}
        # Documents and attachments follow the record they are attached to.
        assert set(s.scalars(select(Document.id))) == {world.doc_a}
        assert {(link.entity_id) for link in s.scalars(select(DocumentLink))} == {world.staff_a}
        assert s.get(StaffMember, world.staff_b) is None
        # The audit trail shows only entries about records they can see.
        rows = set(s.execute(select(AuditEntry.table_name, AuditEntry.row_id)).all())
        assert ("staff_member", str(world.staff_a)) in rows
        assert ("staff_member", str(world.staff_b)) not in rows
        assert ("indemnity_cover", str(world.cover_b)) not in rows
        # Counts and joins are filtered too.
        assert s.scalar(select(func.count(StaffMember.id))) == 2
        joined = s.execute(select(StaffMember.given_name, Practice.name).join(Practice)).all()
        assert joined == [("Amira", "Ashfield Surgery")]


def test_practice_manager_changes_only_their_own_records(as_user, world_path) -> None:  # type: ignore[no-untyped-def]
    _path, world = world_path
    db, _acc = as_user("pm_a")
    with db.unit_of_work() as s:
        person = load_for_edit(s, StaffMember, world.staff_a, None)
        person.phone = "01234 567890"
    with pytest.raises(NotPermitted, match="only Ashfield Surgery's records"), db.unit_of_work() as s:
        person = load_for_edit(s, StaffMember, world.staff_a, None)
        person.employer_practice_id = world.practice_b  # moving someone to another practice
    with pytest.raises(NotPermitted), db.unit_of_work() as s:
        load_for_edit(s, StaffMember, world.staff_fed, None).phone = "01234 000000"  # a federation employee
    with pytest.raises(NotFound), db.unit_of_work() as s:
        load_for_edit(s, StaffMember, world.staff_b, None)  # cannot even see it
    with pytest.raises(NotPermitted), db.unit_of_work() as s:
        s.add(
            StaffMember(
                given_name="New",
                family_name="Person",
                role_id=1,
                employer_practice_id=world.practice_b,
                employment_type=EmploymentType.LOCUM,
            )
        )
    with pytest.raises(NotPermitted, match="federation-wide"), db.unit_of_work() as s:
        org.save_pcn(s, org.PcnForm(code="U99999", name="Another PCN"))
    # Inherited scope: cover for one's own staff can change, cover pointing at another practice's staff cannot.
    with db.unit_of_work() as s:
        load_for_edit(s, IndemnityCover, world.cover_a, None).category = "GP principal"
    with pytest.raises(NotPermitted), db.unit_of_work() as s:
        load_for_edit(s, IndemnityCover, world.cover_a, None).staff_id = world.staff_b
    # Bulk statements only reach their own rows.
    with db.unit_of_work() as s:
        s.execute(update(StaffMember).values(preferred_name="Bulk"))
    # Attachments: to their own records only.
    with db.unit_of_work() as s:
        documents.store_document(s, "more.pdf", PDF + b"c", attach_to=("staff_member", world.staff_a))
    with pytest.raises(NotPermitted), db.unit_of_work() as s:
        documents.store_document(s, "sneaky.pdf", PDF + b"d", attach_to=("staff_member", world.staff_fed))
    # Nothing of practice B changed.
    other = Database.open(str(_path), actor="check")
    try:
        with other.session() as s:
            b = s.get(StaffMember, world.staff_b)
            assert b is not None and b.preferred_name is None
            assert s.get(StaffMember, world.staff_a).preferred_name == "Bulk"  # type: ignore[union-attr]
            assert s.get(StaffMember, world.staff_fed).preferred_name is None  # type: ignore[union-attr]
            assert s.get(IndemnityCover, world.cover_a).category == "GP principal"  # type: ignore[union-attr]
            assert s.scalar(select(func.count(Document.id))) == 3
    finally:
        other.dispose()


def test_viewer_changes_nothing(as_user, world_path) -> None:  # type: ignore[no-untyped-def]
    _path, world = world_path
    db, _acc = as_user("viewer")
    with db.session() as s:
        assert s.scalar(select(func.count(StaffMember.id))) == 3  # reads everything
    for attempt in (
        lambda s: setattr(load_for_edit(s, StaffMember, world.staff_a, None), "phone", "0"),
        lambda s: org.save_pcn(s, org.PcnForm(code="U12345", name="X")),
        lambda s: s.execute(update(Practice).values(name="X")),
        lambda s: documents.store_document(s, "x.pdf", PDF + b"v", attach_to=("staff_member", world.staff_a)),
    ):
        with pytest.raises(NotPermitted, match="viewer role"), db.unit_of_work() as s:
            attempt(s)


def test_manager_changes_everything_but_not_who_may_sign_in(as_user, world_path) -> None:  # type: ignore[no-untyped-def]
    _path, world = world_path
    db, _acc = as_user("manager")
    with db.unit_of_work() as s:
        load_for_edit(s, StaffMember, world.staff_b, None).phone = "01234 111111"
        org.save_pcn(s, org.PcnForm(code="U12345", name="Manager's PCN"))
    with pytest.raises(NotPermitted, match="Only a federation administrator"), db.unit_of_work() as s:
        access.save_user(s, access.UserForm("newbie", "New Person", UserRole.VIEWER))


def test_the_audit_trail_cannot_be_changed_through_the_app(as_user) -> None:  # type: ignore[no-untyped-def]
    db, _acc = as_user("admin")
    with pytest.raises(NotPermitted, match="append-only"), db.unit_of_work() as s:
        s.execute(update(AuditEntry).values(actor="someone else"))
    with pytest.raises(NotPermitted, match="append-only"), db.unit_of_work() as s:
        entry = s.scalars(select(AuditEntry)).first()
        s.delete(entry)


def test_scope_graph_covers_declared_and_inherited_tables() -> None:
    graph = guards.build_scope_graph()
    assert graph.scopes["staff_member"].column == "employer_practice_id"
    assert graph.scopes["practice"].column == "id"
    # Declared on other modules' tables, and inherited by tables that point at staff.
    assert graph.scopes["indemnity_cover"].parents == (("staff_id", "staff_member"),)
    for model in graph.models.values():
        if getattr(model, "__practice_scope__", None):
            assert model.__tablename__ in graph.scopes
    assert "app_user" not in graph.scopes and "audit_entry" not in graph.scopes
    assert ("indemnity_cover", "certificate_document_id") in graph.document_refs


def test_users_are_managed_by_administrators_and_one_always_remains(as_user) -> None:  # type: ignore[no-untyped-def]
    db, _acc = as_user("admin")
    with db.unit_of_work() as s:
        access.save_user(s, access.UserForm("newbie", "New Person", UserRole.PRACTICE_MANAGER, "a81001"))
    with db.session() as s:
        row = access.find_user(s, "newbie")
        assert row is not None and row.practice_ods == "A81001"
    with pytest.raises(Exception, match="ODS code"), db.unit_of_work() as s:
        access.save_user(s, access.UserForm("other", "Other", UserRole.PRACTICE_MANAGER, "Z99999"))
    with pytest.raises(Exception, match="administrator must remain"), db.unit_of_work() as s:
        row = access.find_user(s, "admin")
        assert row is not None
        access.save_user(s, access.UserForm("admin", "Ada Admin", UserRole.VIEWER), row.id, row.version)
