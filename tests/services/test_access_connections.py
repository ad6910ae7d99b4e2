"""Connection profiles, passwords in the keyring only, and connection tests whose failures read as advice.

The keyring is an in-memory backend installed for the test (never keyrings.alt, which writes a plain file). The
failures are real: a closed port, a missing database, and a private PostgreSQL cluster started for this module that
insists on passwords and encryption (skipped where one cannot be started).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError
from sqlalchemy import create_engine, text

from federation_desk.errors import ValidationError
from federation_desk.services import connections as c
from tests.conftest import PG_URL, _pg_available


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps passwords in this process's memory only (tests)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.passwords:
            raise PasswordDeleteError("not found")
        del self.passwords[(service, username)]


@contextmanager
def keyring_backend(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    """Use ``backend`` as the keyring for a while (tests never touch the real one, nor keyrings.alt)."""
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    with keyring_backend(MemoryKeyring()) as ring:
        yield ring  # type: ignore[misc]


@pytest.fixture
def no_keyring() -> Iterator[None]:
    with keyring_backend(fail.Keyring()):
        yield


def _profile(**changes: Any) -> c.ConnectionProfile:
    base = {"name": "Federation server", "host": "127.0.0.1", "port": 5432, "database": "test", "user": "postgres"}
    base.update(changes)
    return c.ConnectionProfile(**base)


def test_a_profile_is_validated_and_never_holds_a_password() -> None:
    profile = c.validate_profile(c.ProfileForm("", " db.federation.nhs.uk ", "5433", "federation", "pat.a", "require"))
    assert profile == c.ConnectionProfile(
        "federation on db.federation.nhs.uk", "db.federation.nhs.uk", 5433, "federation", "pat.a", "require"
    )
    assert profile.location == "postgresql://pat.a@db.federation.nhs.uk:5433/federation?sslmode=require"
    assert c.ConnectionProfile.from_dict(profile.to_dict()) == profile
    assert "password" not in profile.to_dict()
    assert c.ConnectionProfile.from_location(profile.location, profile.name) == profile
    with pytest.raises(ValidationError) as err:
        c.validate_profile(c.ProfileForm("x", "<b>server</b>", "ninety", "", "pat a", "sometimes"))
    fields = {p.field for p in err.value.problems}
    assert fields == {"host", "port", "database", "user", "sslmode"}
    assert "not a port" in " ".join(err.value.for_field("port"))


def test_passwords_go_to_the_keyring_only(memory_keyring: MemoryKeyring) -> None:
    profile = _profile(user="pat", host="db.example")
    c.save_password(profile, "Pässwörd-ŁÓ 1!")
    assert memory_keyring.passwords == {("Federation Desk", "pat@db.example:5432/test"): "Pässwörd-ŁÓ 1!"}
    assert c.get_password(profile) == "Pässwörd-ŁÓ 1!"
    url = c.connectable(profile.location)
    assert "Pässwörd" in c.url_with_password(profile.location, "Pässwörd-ŁÓ 1!").password  # type: ignore[operator]
    assert url != profile.location and "db.example" in url
    c.forget_password(profile)
    assert c.get_password(profile) is None
    c.forget_password(profile)  # forgetting twice is fine


def test_without_a_keyring_the_password_is_refused_not_stored_elsewhere(no_keyring: None, tmp_path: Path) -> None:
    profile = _profile(user="pat")
    with pytest.raises(c.KeyringUnavailable) as err:
        c.save_password(profile, "secret-that-goes-nowhere")
    assert "no password store" in err.value.message
    assert "Credential Manager" in err.value.what_to_do
    assert "secret-that-goes-nowhere" not in str(err.value)
    assert c.get_password(profile) is None
    assert c.connectable(profile.location) == c.url_with_password(profile.location, None).render_as_string(False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_server_unreachable_reads_as_advice() -> None:
    check = c.test_connection(_profile(port=_free_port()), "pw", timeout=3)
    assert not check.ok and check.problem == "unreachable"
    assert "could not reach a database server at 127.0.0.1" in check.message
    assert "network" in check.advice


def test_unknown_host_reads_as_advice() -> None:
    check = c.test_connection(_profile(host="no-such-server.invalid"), "pw", timeout=3)
    assert check.problem == "unreachable" and "no-such-server.invalid" in check.message


@pytest.mark.postgres
def test_database_missing_and_ssl_unsupported_read_as_advice() -> None:
    if _pg_available():
        pytest.skip(str(_pg_available()))
    check = c.test_connection(_profile(database="no_such_federation"), None)
    assert check.problem == "database missing" and "no database called 'no_such_federation'" in check.message
    check = c.test_connection(_profile(sslmode="require"), None)  # the test server has SSL switched off
    assert check.problem == "ssl unsupported" and "does not offer encrypted" in check.message


@pytest.mark.postgres
def test_a_ready_federation_database_says_who_you_will_be(pg_schema: Any) -> None:
    """A login whose default schema is a set-up federation database learns which role it will work with."""
    from federation_desk.db import server_setup
    from federation_desk.db.engine import create_engine_for, parse_location
    from federation_desk.db.session import Database
    from federation_desk.domain.users import AppUser, UserRole
    from tests.db.test_rls import drop_logins

    login, prefix = f"fdt_pat_{uuid.uuid4().hex[:8]}", f"fdt{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    engine = create_engine_for(parse_location(pg_schema.url))
    try:
        profile = _profile(user=login)
        with admin.connect() as conn:
            conn.execute(text(f'CREATE ROLE "{login}" LOGIN'))
            conn.execute(text(f'ALTER ROLE "{login}" SET search_path TO "{pg_schema.name}"'))
        empty = c.test_connection(profile, None)
        assert (empty.ok, empty.schema_state) == (False, "empty") and "db init-server" in empty.advice
        server_setup.init_server(engine, prefix)
        with Database(parse_location(pg_schema.url), actor="setup", engine=engine).unit_of_work() as s:
            s.add(AppUser(login=login, display_name="Pat Example", role=UserRole.VIEWER))
            s.add(AppUser(login="ada", display_name="Ada", role=UserRole.ADMINISTRATOR))
        with engine.begin() as conn:
            server_setup.sync_login_groups(conn, login, UserRole.VIEWER)
        ready = c.test_connection(profile, None)
        assert ready.ok and ready.schema_state == "ready" and ready.server_version.startswith("1")
        assert ready.signed_in_as == "Pat Example (Viewer)"
    finally:
        engine.dispose()
        drop_logins(admin, [login], prefix)
        admin.dispose()


# ---- a strict private server: passwords and encryption required ------------------------------------------------


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


@pytest.fixture(scope="module")
def strict_server() -> Iterator[tuple[int, str]]:
    """A throw-away PostgreSQL cluster that accepts only encrypted connections with a correct password."""
    bindir = _pg_bin()
    if bindir is None or shutil.which("openssl") is None:
        pytest.skip("needs the PostgreSQL server binaries and openssl to start a private cluster")
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: cannot start a private cluster")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    folder = Path(tempfile.mkdtemp(prefix="fd-strict-pg-"))
    os.chmod(folder, 0o755)
    data = folder / "data"
    port = _free_port()
    password = "Correct-Horse-42"
    (folder / "pw").write_text(password)
    keys = ["-keyout", str(folder / "server.key"), "-out", str(folder / "server.crt")]
    subprocess.run(
        ["openssl", "req", "-new", "-x509", "-days", "2", "-nodes", "-subj", "/CN=localhost", *keys],
        check=True,
        capture_output=True,
    )
    os.chmod(folder / "server.key", 0o600)
    if as_postgres:
        shutil.chown(folder, "postgres")
        for f in ("pw", "server.key", "server.crt"):
            shutil.chown(folder / f, "postgres")
    try:
        auth = ["-U", "fdadmin", "--auth=scram-sha-256", "--pwfile", str(folder / "pw")]
        subprocess.run(
            [*as_postgres, str(bindir / "initdb"), "-D", str(data), *auth],
            check=True,
            capture_output=True,
        )
        with (data / "postgresql.conf").open("a") as fh:
            fh.write(
                f"\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{folder}'\n"
                f"ssl = on\nssl_cert_file = '{folder / 'server.crt'}'\nssl_key_file = '{folder / 'server.key'}'\n"
            )
        (data / "pg_hba.conf").write_text(
            "hostnossl all all 127.0.0.1/32 reject\nhostssl all all 127.0.0.1/32 scram-sha-256\n"
        )
        subprocess.run(
            [*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "start"],
            check=True,
            capture_output=True,
            timeout=60,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"could not start a private PostgreSQL cluster: {exc}")
    try:
        yield port, password
    finally:
        subprocess.run(
            [*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(folder, ignore_errors=True)


def test_wrong_password_reads_as_advice(strict_server: tuple[int, str]) -> None:
    port, password = strict_server
    profile = _profile(port=port, database="postgres", user="fdadmin", sslmode="require")
    check = c.test_connection(profile, "not-the-password")
    assert check.problem == "wrong password"
    assert check.message == f"The server at 127.0.0.1:{port} did not accept the password for fdadmin."
    assert "Caps Lock" in check.advice and "not-the-password" not in check.text
    missing = c.test_connection(profile, None)
    assert missing.problem in {"password needed", "wrong password"}
    good = c.test_connection(profile, password)
    assert good.problem == "schema" and good.schema_state == "empty"  # connected: the database is not set up


def test_ssl_required_reads_as_advice(strict_server: tuple[int, str]) -> None:
    port, password = strict_server
    check = c.test_connection(_profile(port=port, database="postgres", user="fdadmin", sslmode="disable"), password)
    assert check.problem == "ssl required"
    assert "accepts only encrypted (SSL) connections" in check.message
    assert "Always encrypt" in check.advice
