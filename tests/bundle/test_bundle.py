"""The PyInstaller bundle, built from installer/federation-desk.spec, started headless as a user's machine would.

The bundled programs run from a folder outside the checkout with an environment of their own (no Python or Qt
variables, their own home, data and settings folders, and no system time-zone database, as on Windows), so they
can only use what the bundle carries.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from federation_desk import __version__
from tests.bundle.build import Bundle, run
from tests.pdf import normalise, page_texts

pytestmark = pytest.mark.slow


def _bundled_modules(bundle: Bundle) -> set[str]:
    from PyInstaller.archive.readers import CArchiveReader

    archive = CArchiveReader(str(bundle.cli))
    pyz = next(name for name in archive.toc if name.endswith(".pyz"))
    return {name for name in archive.open_embedded_archive(pyz).toc if name.startswith("federation_desk")}


def _one(folder: Path, pattern: str) -> Path:
    found = sorted(folder.rglob(pattern))
    assert found, f"the bundle has no {pattern}"
    return found[0]


def test_bundle_carries_every_module_resource_and_migration(bundle: Bundle) -> None:
    """Every module (pages, registries and commands are imported by name), every resource and every Alembic file
    that the package held when the bundle was built (the build's manifest) is in the bundle, unchanged."""
    assert bundle.gui.is_file() and bundle.cli.is_file()
    manifest = bundle.manifest()
    missing = set(manifest["modules"]) - _bundled_modules(bundle)  # type: ignore[call-overload]
    assert not missing, f"modules imported by name at run time would be missing: {sorted(missing)}"
    files: dict[str, str] = manifest["files"]  # type: ignore[assignment]
    for required in (
        "resources/style.qss",
        "resources/icons/app.ico",
        "db/migrations/env.py",
        "db/migrations/script.py.mako",
    ):
        assert required in files, f"the build's manifest lacks {required}"
    shipped = bundle.internal / "federation_desk"
    for name, digest in files.items():
        copy = shipped / name
        assert copy.is_file(), f"the bundle lacks federation_desk/{name}"
        assert hashlib.sha256(copy.read_bytes()).hexdigest() == digest, f"federation_desk/{name} differs in the bundle"

    # Windows has no system time zones or bank-holiday names: the bundle must carry them.
    assert (bundle.internal / "tzdata" / "zoneinfo" / "Europe" / "London").is_file()
    assert (bundle.internal / "holidays" / "locale" / "en_GB" / "LC_MESSAGES" / "GB.mo").is_file()
    # The Qt parts the app uses: PDF view, SVG icons, printing, image formats, headless and desktop platforms.
    for library in ("Qt6Pdf", "Qt6PdfWidgets", "Qt6Svg", "Qt6PrintSupport"):
        _one(bundle.internal, f"*{library}.*")
    plugins = _one(bundle.internal, "platforms").parent
    for plugin in ("platforms/*offscreen*", "imageformats/*qsvg*", "imageformats/*qjpeg*", "iconengines/*qsvgicon*"):
        _one(plugins, plugin)
    _one(plugins, "platforms/*qwindows*" if sys.platform == "win32" else "platforms/*qxcb*")
    # Nothing of the developer's tool chain.
    for tool in ("pytest", "_pytest", "hypothesis", "pytestqt", "ruff"):
        assert not (bundle.internal / tool).exists(), f"{tool} should not be in the bundle"


def test_both_programs_report_the_package_version(bundle: Bundle, bundle_scratch: Path) -> None:
    for program in (bundle.cli, bundle.gui):
        result = run(program, "--version", scratch=bundle_scratch, timeout=60)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"Federation Desk {__version__}"


def test_bundled_cli_writes_the_demo_pdfs_it_has(bundle: Bundle, bundle_scratch: Path, bundled_demo: Path) -> None:
    out = bundle_scratch / "demo-pdfs"
    result = run(bundle.cli, "--db", str(bundled_demo), "demo-pdfs", "--out", str(out), scratch=bundle_scratch)
    assert result.returncode == 0, result.stdout + result.stderr
    written = sorted(out.glob("*.pdf")) if out.exists() else []
    if not written:  # no module has a demo PDF yet: test_selftest_pdf below is the PDF this bundle writes
        assert "no PDF reports yet" in result.stdout
    for pdf in written:
        texts = page_texts(pdf)
        assert texts and any(t.strip() for t in texts), f"{pdf.name} has no readable text"


def test_selftest_pdf_built_and_shown_with_qtpdf(bundle: Bundle, bundle_scratch: Path, bundled_demo: Path) -> None:
    out = bundle_scratch / "selftest"
    result = run(bundle.cli, "--db", str(bundled_demo), "selftest-pdf", "--out", str(out), scratch=bundle_scratch)
    assert result.returncode == 0, result.stdout + result.stderr
    report = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line and "Wrote" not in line)
    # Files are read from inside the bundle, never from the checkout it was built from.
    internal = str(bundle.internal.resolve())
    assert Path(report["Resources"]).resolve().is_relative_to(internal), report["Resources"]
    assert Path(report["Migrations"]).resolve().is_relative_to(internal), report["Migrations"]
    from federation_desk.db import migrate

    assert report["Schema"] == ", ".join(sorted(migrate.head_revisions()))
    assert report["Christmas Day"].endswith("is a bank holiday")

    practices = run(bundle.cli, "--db", str(bundled_demo), "practices", "list", scratch=bundle_scratch)
    assert practices.returncode == 0, practices.stderr
    ods_codes = [line.split()[0] for line in practices.stdout.splitlines()[1:]]
    text = normalise(" ".join(page_texts(out / "selftest.pdf")))
    assert "Federation Desk self-test" in text and f"Federation Desk {__version__}" in text
    assert "Łukasz Ó'Brien-Nowak, £1,250.50, <b>not bold</b> & co." in text
    assert ods_codes and all(code in text for code in ods_codes)
    _assert_not_blank(out / "selftest-preview.png")


def test_bundled_snapshot_draws_the_pages(bundle: Bundle, bundle_scratch: Path, bundled_demo: Path) -> None:
    out = bundle_scratch / "shots"
    result = run(
        bundle.cli,
        *("--db", str(bundled_demo), "snapshot", "--out", str(out), "--pages", "dashboard,organisation"),
        scratch=bundle_scratch,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for page in ("dashboard", "organisation"):
        _assert_not_blank(out / f"{page}.png")


def test_bundled_app_opens_the_demo_and_shows_the_dashboard(
    bundle: Bundle, bundle_scratch: Path, bundled_demo: Path
) -> None:
    """The windowed program itself: starts offscreen, opens the database, fills the dashboard, exits 0."""
    result = run(bundle.gui, "--db", str(bundled_demo), scratch=bundle_scratch, FEDERATION_DESK_BENCH="dashboard")
    assert result.returncode == 0, result.stdout + result.stderr
    assert any(line.startswith("BENCH dashboard ") for line in result.stdout.splitlines()), result.stdout


@pytest.mark.postgres
def test_bundled_cli_sets_up_a_postgresql_database(bundle: Bundle, bundle_scratch: Path, pg_schema: object) -> None:
    """The PostgreSQL driver and its compiled libpq travel in the bundle (desktops open a shared server)."""
    url = pg_schema.url  # type: ignore[attr-defined]
    upgrade = run(bundle.cli, "--db", url, "db", "upgrade", scratch=bundle_scratch)
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    assert "Upgraded" in upgrade.stdout
    listing = run(bundle.cli, "--db", url, "practices", "list", scratch=bundle_scratch)
    assert listing.returncode == 0, listing.stdout + listing.stderr
    assert listing.stdout.splitlines()[0].split()[:2] == ["ODS", "Practice"]


def _assert_not_blank(png: Path) -> None:
    from PIL import Image

    with Image.open(png) as image:
        low, high = image.convert("L").getextrema()
        assert image.width > 100 and image.height > 100, f"{png.name} is only {image.size}"
        assert high - low > 64, f"{png.name} is blank"
