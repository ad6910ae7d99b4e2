"""Fixtures of the bundle smoke tests: the PyInstaller bundle (built once per session) and a demo database that the
bundled command line made."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bundle.build import Bundle, build_bundle, run


@pytest.fixture(scope="session")
def bundle() -> Bundle:
    return build_bundle()


@pytest.fixture(scope="session")
def bundle_scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder outside the checkout for the bundled programs' home, settings, data and output."""
    return tmp_path_factory.mktemp("bundle")


@pytest.fixture(scope="session")
def bundled_demo(bundle: Bundle, bundle_scratch: Path) -> Path:
    """A fresh demo federation written by the bundled command line (so its migrations ran frozen)."""
    path = bundle_scratch / "demo.sqlite"
    result = run(bundle.cli, "--db", str(path), "demo", scratch=bundle_scratch)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Demo federation written to" in result.stdout
    return path
