"""Connection profiles for the federation's PostgreSQL server, passwords in the OS keyring, and a connection test
whose failures read as advice.

* A :class:`ConnectionProfile` holds the name, host, port, database, login and SSL mode. The screens keep profiles
  in the settings (see ``ui/dialogs/connection.py``); a profile never holds a password.
* Passwords live only in the operating system's keyring (Windows Credential Manager; the Secret Service on Linux)
  through ``keyring``. When there is no usable keyring, :class:`KeyringUnavailable` says so in plain English and the
  password is simply not stored: nothing falls back to a file, the settings or the log.
* :func:`test_connection` connects once (no pool kept) and returns a :class:`ConnectionCheck`: either what the
  person will find (schema state, their role) or what went wrong and what to do (wrong password, server
  unreachable, database missing, SSL required ...).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy.engine import URL, make_url

from federation_desk import APP_NAME
from federation_desk.errors import FederationDeskError, FieldProblem, ValidationError

KEYRING_SERVICE = APP_NAME
DEFAULT_PORT = 5432
SSL_MODES: tuple[tuple[str, str], ...] = (
    ("prefer", "Encrypt if the server offers it"),
    ("require", "Always encrypt"),
    ("verify-full", "Always encrypt and check the server's certificate"),
    ("disable", "Never encrypt"),
)
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.\-]{0,252})$")


class KeyringUnavailable(FederationDeskError):
    title = "Password not saved"


@dataclass(frozen=True)
class ConnectionProfile:
    name: str
    host: str
    port: int = DEFAULT_PORT
    database: str = "federation"
    user: str = ""
    sslmode: str = "prefer"

    @property
    def keyring_key(self) -> str:
        """How the password is filed in the keyring (never the password itself)."""
        return keyring_key(self.user, self.host, self.port, self.database)

    @property
    def location(self) -> str:
        """The address the app opens and remembers: no password, ever."""
        user = quote(self.user, safe="") + "@" if self.user else ""
        query = f"?sslmode={self.sslmode}" if self.sslmode and self.sslmode != "prefer" else ""
        return f"postgresql://{user}{self.host}:{self.port}/{quote(self.database, safe='')}{query}"

    @property
    def display(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.database}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConnectionProfile:
        return cls(
            name=str(data.get("name", "")),
            host=str(data.get("host", "")),
            port=int(data.get("port") or DEFAULT_PORT),
            database=str(data.get("database", "federation")),
            user=str(data.get("user", "")),
            sslmode=str(data.get("sslmode", "prefer")),
        )

    @classmethod
    def from_location(cls, location: str, name: str = "") -> ConnectionProfile:
        url = make_url(location)
        return cls(
            name=name or (url.host or ""),
            host=url.host or "localhost",
            port=url.port or DEFAULT_PORT,
            database=url.database or "",
            user=url.username or "",
            sslmode=str(url.query.get("sslmode", "prefer")),
        )


@dataclass(frozen=True)
class ProfileForm:
    """What the person typed (raw text; :func:`validate_profile` checks it)."""

    name: str
    host: str
    port: str
    database: str
    user: str
    sslmode: str = "prefer"


def validate_profile(form: ProfileForm) -> ConnectionProfile:
    problems: list[FieldProblem] = []
    host = form.host.strip()
    if not host:
        problems.append(FieldProblem("host", "The server's name or address is required (ask your IT support)."))
    elif not _HOST.match(host):
        problems.append(
            FieldProblem("host", f"'{host}' is not a server name or address: use letters, digits, dots and hyphens.")
        )
    port_text = form.port.strip() or str(DEFAULT_PORT)
    port = DEFAULT_PORT
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        problems.append(FieldProblem("port", f"'{form.port.strip()}' is not a port: a number from 1 to 65535."))
    else:
        port = int(port_text)
    database = form.database.strip()
    if not database:
        problems.append(FieldProblem("database", "The database name is required (ask your IT support)."))
    user = form.user.strip()
    if not user:
        problems.append(FieldProblem("user", "Your login (user name on the server) is required."))
    elif any(ch.isspace() for ch in user):
        problems.append(FieldProblem("user", "A login has no spaces."))
    if form.sslmode not in {m for m, _label in SSL_MODES}:
        problems.append(FieldProblem("sslmode", "Choose one of the SSL settings offered."))
    if problems:
        raise ValidationError(problems, "Nothing was saved. Correct the entries marked in red.")
    name = form.name.strip() or f"{database} on {host}"
    return ConnectionProfile(name[:80], host, port, database, user, form.sslmode)


# ---- the keyring ----------------------------------------------------------------------------------------------


def keyring_key(user: str | None, host: str | None, port: int | None, database: str | None) -> str:
    return f"{user or ''}@{host or 'localhost'}:{port or DEFAULT_PORT}/{database or ''}"


def _no_keyring(action: str, exc: BaseException | None = None) -> KeyringUnavailable:
    detail = ""
    if exc is not None and type(exc).__name__ not in ("NoKeyringError",):
        detail = f" (the password store said: {type(exc).__name__})"
    return KeyringUnavailable(
        f"This computer has no password store Federation Desk can use{detail}, so the password was not {action}.",
        "On Windows the password store is Credential Manager; on Linux install and unlock a keyring such as GNOME "
        "Keyring or KWallet. Until then, type the password each time you connect: Federation Desk never keeps it "
        "anywhere else.",
    )


def keyring_available() -> bool:
    """Whether a real password store is there (not the 'fail' backend keyring falls back to)."""
    import keyring
    from keyring.backends import fail

    try:
        backend = keyring.get_keyring()
    except Exception:
        return False
    return not isinstance(backend, fail.Keyring)


def save_password(profile: ConnectionProfile, password: str) -> None:
    """File the password in the OS keyring. Raises KeyringUnavailable (and stores nothing) without one."""
    import keyring
    from keyring.errors import KeyringError

    if not keyring_available():
        raise _no_keyring("saved")
    try:
        keyring.set_password(KEYRING_SERVICE, profile.keyring_key, password)
    except KeyringError as exc:
        raise _no_keyring("saved", exc) from None
    except Exception as exc:  # a backend failing in its own way: still never stored anywhere else
        raise _no_keyring("saved", exc) from None


def get_password(profile: ConnectionProfile) -> str | None:
    """The password filed for this profile, or None (no keyring, or nothing filed)."""
    return password_for_key(profile.keyring_key)


def password_for_key(key: str) -> str | None:
    import keyring

    if not keyring_available():
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, key)
    except Exception:
        return None


def forget_password(profile: ConnectionProfile) -> None:
    import keyring
    from keyring.errors import PasswordDeleteError

    if not keyring_available():
        return
    try:
        keyring.delete_password(KEYRING_SERVICE, profile.keyring_key)
    except PasswordDeleteError:
        pass
    except Exception as exc:
        raise _no_keyring("removed", exc) from None


# ---- addresses ------------------------------------------------------------------------------------------------


def is_server_location(location: str) -> bool:
    return location.strip().lower().startswith(("postgresql://", "postgresql+psycopg://", "postgres://"))


def keyring_key_for_location(location: str) -> str:
    url = make_url(location)
    return keyring_key(url.username, url.host, url.port, url.database)


def url_with_password(location: str, password: str | None) -> URL:
    """The address to connect to, with the password added in memory only (never written or remembered)."""
    url = make_url(location)
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if password:
        url = url.set(password=password)
    return url


def connectable(location: str, password: str | None = None) -> str:
    """What to hand to ``services.startup.open_database``: a server address with the keyring's password added.

    The result holds the password and must not be stored or shown; remember ``location`` instead.
    """
    if not is_server_location(location):
        return location
    url = make_url(location)
    if url.password:
        return location
    password = password if password is not None else password_for_key(keyring_key_for_location(location))
    return url_with_password(location, password).render_as_string(hide_password=False)


# ---- testing a connection -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    problem: str  # "", "wrong password", "password needed", "unreachable", "database missing", "ssl required",
    #              "ssl unsupported", "unknown login", "not allowed", "certificate", "other"
    message: str
    advice: str
    server_version: str = ""
    schema_state: str = ""  # "ready", "empty", "older", "newer"
    signed_in_as: str = ""

    @property
    def text(self) -> str:
        return f"{self.message} {self.advice}".strip()


def _first_line(exc: BaseException) -> str:
    """The line of the driver's message a support person recognises (it never holds the password)."""
    text = str(getattr(exc, "orig", None) or exc)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("(Background")]
    for line in lines:
        if "failed:" in line or "FATAL:" in line:
            return line.removeprefix("connection failed: ")
    return lines[0] if lines else type(exc).__name__


def explain_connection_error(exc: BaseException, profile: ConnectionProfile) -> ConnectionCheck:
    """Turn a failed connection into advice a practice manager can act on."""
    raw = str(getattr(exc, "orig", None) or exc)
    low = raw.lower()
    where = f"{profile.host}:{profile.port}"

    def fail(problem: str, message: str, advice: str) -> ConnectionCheck:
        return ConnectionCheck(False, problem, message, advice)

    if "password authentication failed" in low or "authentication failed" in low:
        return fail(
            "wrong password",
            f"The server at {where} did not accept the password for {profile.user}.",
            "Check the password (and Caps Lock) and type it again. If you have forgotten it, ask your IT support "
            "to reset it.",
        )
    if "no password supplied" in low or "password is required" in low:
        return fail(
            "password needed",
            f"The server at {where} asks for a password for {profile.user}.",
            "Type your password, then test again.",
        )
    if "does not exist" in low and "database" in low:
        return fail(
            "database missing",
            f"The server at {where} has no database called '{profile.database}'.",
            "Check the database name (ask your IT support for it), or ask them to create the federation database "
            "and run 'db init-server'.",
        )
    if "role" in low and "does not exist" in low:
        return fail(
            "unknown login",
            f"The server at {where} has no login called '{profile.user}'.",
            "Check your login name, or ask your IT support to create your login.",
        )
    if "no encryption" in low or ("ssl" in low and "required" in low and "server does not support" not in low):
        return fail(
            "ssl required",
            f"The server at {where} accepts only encrypted (SSL) connections.",
            "Set SSL to 'Always encrypt' and test again.",
        )
    if "server does not support ssl" in low:
        return fail(
            "ssl unsupported",
            f"The server at {where} does not offer encrypted (SSL) connections, and this profile insists on them.",
            "Ask your IT support to switch SSL on at the server. Choose 'Encrypt if the server offers it' only if "
            "they confirm the network between you and the server is private.",
        )
    if "certificate" in low or "ssl error" in low:
        return fail(
            "certificate",
            f"The server at {where} could not prove who it is (its SSL certificate was not accepted).",
            "Ask your IT support to check the server's certificate, or choose 'Always encrypt' without the "
            "certificate check if they tell you to.",
        )
    if "pg_hba.conf" in low or "not permitted to log in" in low or "permission denied for database" in low:
        return fail(
            "not allowed",
            f"The server at {where} does not let {profile.user} connect to '{profile.database}' from this computer.",
            "Ask your IT support to allow your login to connect from this computer.",
        )
    unreachable = (
        "connection refused",
        "could not translate host name",
        "name or service not known",
        "nodename nor servname",
        "timeout expired",
        "timed out",
        "no route to host",
        "network is unreachable",
        "could not connect",
        "connection to server",
        "host is unreachable",
    )
    if any(marker in low for marker in unreachable):
        return fail(
            "unreachable",
            f"Federation Desk could not reach a database server at {where}.",
            "Check the server name and port, that this computer is on the federation's network (or VPN), and that "
            "the server is running. If it still fails, send your IT support this: " + _first_line(exc),
        )
    return fail(
        "other",
        f"The server at {where} refused the connection: {_first_line(exc)}",
        "Send this message to your IT support.",
    )


def test_connection(profile: ConnectionProfile, password: str | None, timeout: int = 5) -> ConnectionCheck:
    """Connect once with these details and report, in plain English, what happened."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from federation_desk.db import migrate

    url = url_with_password(profile.location, password)
    engine = create_engine(
        url, poolclass=NullPool, connect_args={"connect_timeout": timeout, "application_name": f"{APP_NAME} test"}
    )
    try:
        try:
            with engine.connect() as conn:
                version = str(conn.execute(text("SHOW server_version")).scalar())
        except Exception as exc:
            return explain_connection_error(exc, profile)
        try:
            current = migrate.current_revisions(engine)
        except Exception:
            current = set()
        heads = migrate.head_revisions()
        if current == heads:
            state = "ready"
        elif not current:
            state = "empty"
        elif current - _known_revisions():
            state = "newer"
        else:
            state = "older"
        who = ""
        if state == "ready":
            from federation_desk.services.access import resolve_access

            try:
                from sqlalchemy.orm import Session

                with Session(engine) as session:
                    who = resolve_access(session, profile.user).summary
            except FederationDeskError as exc:
                return ConnectionCheck(False, "not allowed", exc.message, exc.what_to_do, version, state)
        message, advice = _schema_advice(state, profile)
        problem = "" if state == "ready" else "schema"
        return ConnectionCheck(state == "ready", problem, message, advice, version, state, who)
    finally:
        engine.dispose()


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from federation_desk.db import migrate

    return {rev.revision for rev in ScriptDirectory.from_config(migrate.alembic_config()).walk_revisions()}


def _schema_advice(state: str, profile: ConnectionProfile) -> tuple[str, str]:
    where = f"'{profile.database}' on {profile.host}"
    if state == "ready":
        return f"Connected to {where}.", ""
    if state == "empty":
        return (
            f"Connected, but {where} has not been set up for Federation Desk.",
            "Ask your IT support to run: federation-desk-cli --db URL db init-server",
        )
    if state == "newer":
        return (
            f"Connected, but {where} was set up by a newer version of Federation Desk.",
            "Install the latest version of Federation Desk.",
        )
    return (
        f"Connected, but {where} needs upgrading to this version of Federation Desk.",
        "Ask your IT support to run: federation-desk-cli --db URL db init-server",
    )
