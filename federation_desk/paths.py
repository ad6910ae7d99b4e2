"""Where things live: the user's data folders (platformdirs) and the files shipped in ``resources``.

Shipped files are reached only through :func:`resource`, which uses ``importlib.resources`` so the same code works
from a source checkout, an installed wheel and a PyInstaller bundle.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

from federation_desk import APP_ID, ORG_NAME


@cache
def _dirs() -> Any:
    from platformdirs import PlatformDirs  # imported on first use: the window paints before this is needed

    return PlatformDirs(appname=APP_ID, appauthor=ORG_NAME, roaming=False)


@cache
def _package_root() -> Path:
    from importlib import resources

    return Path(str(resources.files("federation_desk")))


def data_dir_override() -> Path | None:
    """FEDERATION_DESK_DATA_DIR: one folder for the data, the logs and the settings (a portable copy, a test, a
    benchmark), instead of the person's own folders."""
    override = os.environ.get("FEDERATION_DESK_DATA_DIR")
    return Path(override) if override else None


def data_dir() -> Path:
    """The per-user data folder (on Windows: %LOCALAPPDATA%\\FederationDesk\\FederationDesk)."""
    override = data_dir_override()
    path = override or Path(_dirs().user_data_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    override = data_dir_override()
    path = override / "logs" if override else Path(_dirs().user_log_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def backup_dir() -> Path:
    path = data_dir() / "backups"
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_database_path() -> Path:
    return data_dir() / "federation.sqlite"


def resource(*parts: str) -> Path:
    """Path of a file shipped in ``federation_desk/resources``.

    ``resource("icons", "staff.svg")``. Raises FileNotFoundError naming the missing file.
    """
    path = _package_root().joinpath("resources", *parts)
    if not path.exists():
        raise FileNotFoundError(f"Federation Desk is missing its file resources/{'/'.join(parts)}; reinstall it.")
    return path
