"""Where the settings live: the person's profile, or the data folder a copy was started with."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from federation_desk.ui import settings


@pytest.fixture
def fresh_store() -> Iterator[None]:
    saved = settings._store
    settings._store = None
    try:
        yield
    finally:
        settings._store = saved


def test_a_copy_started_with_a_data_folder_keeps_its_settings_there(
    fresh_store: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qapp: object
) -> None:
    # A benchmark or test run must neither change nor depend on the last page of the copy the person uses
    # (a remembered "contracts" page once kept a start-up benchmark waiting for a dashboard that never came).
    monkeypatch.setenv("FEDERATION_DESK_DATA_DIR", str(tmp_path))
    settings.LAST_PAGE.set("contracts")
    settings.store().sync()
    assert Path(settings.store().fileName()) == tmp_path / "FederationDesk.ini"
    assert "last_page=contracts" in (tmp_path / "FederationDesk.ini").read_text(encoding="utf-8")


def test_without_a_data_folder_the_settings_are_the_profiles(
    fresh_store: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qapp: object
) -> None:
    monkeypatch.delenv("FEDERATION_DESK_DATA_DIR", raising=False)
    assert settings.settings_file() is None
    assert not Path(settings.store().fileName()).is_relative_to(tmp_path)
    assert Path(settings.store().fileName()).name == "FederationDesk.ini"
