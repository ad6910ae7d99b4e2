"""The per-practice expiry digest, read back: one section per practice with its counts, names printed literally,
bookmarks per practice, "Page x of y"; one PDF per practice; the Excel version; and the command line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from federation_desk.cli import main
from federation_desk.db.session import Database
from federation_desk.reports.expiry_digest import expiry_digest_pdf, expiry_digests_per_practice
from federation_desk.services import staff as st
from tests.conftest import FIXED_TODAY
from tests.pdf import normalise, outline_titles, page_texts


def test_every_practice_digest_in_one_pdf(demo_db: Database, tmp_path: Path) -> None:
    with demo_db.session() as s:
        digests = st.practice_digests(s, FIXED_TODAY, 60)
    path = expiry_digest_pdf(demo_db, tmp_path / "digest.pdf", on=FIXED_TODAY)
    pages = page_texts(path)
    text = normalise(" ".join(pages))
    assert len(digests.digests) == 12
    assert "Staff compliance digest" in pages[0] and "Northdale Health Federation" in pages[0]
    assert pages[-1].strip().endswith(f"Page {len(pages)} of {len(pages)}")
    titles = outline_titles(path)
    for d in digests.digests:
        assert f"{d.name} ({d.ods_code})" in titles
        assert f"{len(d.expired)} items have expired" in text or f"{len(d.expired)} item has expired" in text
    # The awkward names print literally wherever they have something to chase.
    chased = {r.staff_name for d in digests.digests for r in d.rows}
    for name in chased & {"Alex <b> O'Neil & Sons", "Łukasz Wiśniewski", "Zoë Brontë-Smith", "Thảo Nguyễn"}:
        assert normalise(name) in text
    first = digests.digests[0]
    row = first.expired[0]
    assert normalise(row.staff_name) in text and row.expires_on is not None


def test_one_practice_one_file_each_and_excel(demo_db: Database, tmp_path: Path) -> None:
    with demo_db.session() as s:
        digests = st.practice_digests(s, FIXED_TODAY, 30)
    one = digests.digests[1]
    path = expiry_digest_pdf(demo_db, tmp_path / "one.pdf", one.practice_id, 30, FIXED_TODAY)
    text = normalise(" ".join(page_texts(path)))
    assert one.name in text and "Expiring in the next 30 days" in text
    assert all(d.name not in text for d in digests.digests if d.name != one.name and d.name not in one.name)
    written = expiry_digests_per_practice(demo_db, tmp_path / "each", 30, FIXED_TODAY)
    assert len(written) == 12 and all(p.exists() and p.name.startswith("expiry-digest-Y9") for p in written)
    book = load_workbook(st.export_digest_xlsx(digests, tmp_path / "digest.xlsx"))
    assert book.sheetnames[0] == "Summary" and len(book.sheetnames) == 13
    summary = book["Summary"]
    assert summary["A3"].value == "Practice" and summary.max_row == 3 + 12
    sheet = book[one.ods_code]
    assert sheet.max_row == 3 + len(one.rows)
    assert {sheet.cell(row=i, column=3).value for i in range(4, sheet.max_row + 1)} <= {
        "Expired",
        "Missing",
        "Expiring",
        "Valid",
    }


def test_the_command_line_writes_the_digest(demo_path: Path, tmp_path: Path, capsys: object) -> None:
    out = tmp_path / "cli-digest.pdf"
    assert main(["--db", str(demo_path), "report", "expiry-digest", "--out", str(out), "--practice", "y91000"]) == 0
    assert out.exists() and "Wrote" in capsys.readouterr().out  # type: ignore[attr-defined]
    assert main(["--db", str(demo_path), "report", "expiry-digest", "--out", str(tmp_path / "x.doc")]) == 1
    assert "should end in .pdf or .xlsx" in capsys.readouterr().err  # type: ignore[attr-defined]
    assert main(["--db", str(demo_path), "report", "expiry-digest", "--out", str(out), "--practice", "Z99999"]) == 1
    assert "No practice has the ODS code" in capsys.readouterr().err  # type: ignore[attr-defined]
    assert main(["--db", str(demo_path), "staff", "list", "--status", "action"]) == 0
    listed = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "people." in listed and ("expired" in listed or "missing" in listed)


def test_digest_dates_are_for_the_day_asked(demo_db: Database) -> None:
    with demo_db.session() as s:
        later = st.practice_digests(s, date(2027, 6, 1), 60)
        now = st.practice_digests(s, FIXED_TODAY, 60)
    assert sum(len(d.expired) for d in later.digests) > sum(len(d.expired) for d in now.digests)
