from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from federation_desk import __version__
from federation_desk.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and __version__ in capsys.readouterr().out


def test_demo_upgrade_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "demo.sqlite")
    assert main(["--db", db, "demo", "--practices", "3", "--staff", "30"]) == 0
    assert "3 practices, 30 staff" in capsys.readouterr().out
    assert main(["--db", db, "demo"]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["--db", db, "db", "upgrade"]) == 0
    assert "already up to date" in capsys.readouterr().out
    assert main(["--db", db, "practices", "list"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 4 and "ODS" in out


def test_errors_are_plain_english(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", "mysql://root@localhost/x", "practices", "list"]) == 1
    err = capsys.readouterr().err
    assert "SQLite file or a PostgreSQL server" in err and "Traceback" not in err


def test_snapshot_writes_a_png_of_each_page(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite"
    assert main(["--db", str(db), "demo", "--practices", "3", "--staff", "30"]) == 0
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "federation_desk.cli",
            "--db",
            str(db),
            "snapshot",
            "--out",
            str(tmp_path / "shots"),
            "--pages",
            "dashboard,organisation",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for name in ("dashboard", "organisation"):
        png = tmp_path / "shots" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
