"""The week-grid PDF read back: landscape, every site and day, names printed literally, vacancies marked."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pypdf import PdfReader

from federation_desk.db.session import Database
from federation_desk.reports.rota_grid import week_grid_pdf
from tests.pdf import normalise, page_texts
from tests.services.test_rota import MON, assign, build_world, one_off


def test_week_grid_pdf_reads_back(sqlite_db: Database, tmp_path: Path) -> None:
    w = build_world(sqlite_db)
    a = one_off(sqlite_db, w, MON, "18:30", "20:00", needed="2")
    assign(sqlite_db, a, w.gp)
    night = one_off(sqlite_db, w, MON + timedelta(days=2), "22:00", "08:00", service=w.visits, site=w.site_id)
    assign(sqlite_db, night, w.gp2)
    path = week_grid_pdf(sqlite_db, tmp_path / "grid.pdf", MON)
    reader = PdfReader(str(path))
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # landscape
    text = normalise(" ".join(page_texts(path)))
    assert "Rota: week beginning 07/12/2026" in text
    for day in ("Mon 07/12/2026", "Sun 13/12/2026"):
        assert day in text
    assert "Test Hub" in text and "Main Street Surgery" in text
    assert "Amelia Shah" in text and "Zoë Brontë-Smith" in text
    assert "22:00-08:00 (+1)" in text and "VACANT" in text
    assert "1 vacant" in text and "Page 1 of" in text
