"""The one stylesheet every report uses: named paragraph styles and the colours of the house."""

from __future__ import annotations

from functools import lru_cache

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle, StyleSheet1

from federation_desk.reports.fonts import BOLD, ITALIC, REGULAR, register_fonts

BRAND = colors.HexColor("#005EB8")  # NHS blue
BRAND_DARK = colors.HexColor("#003087")
INK = colors.HexColor("#212B32")
MUTED = colors.HexColor("#4C6272")
RULE = colors.HexColor("#D8DDE0")
ZEBRA = colors.HexColor("#F4F6F8")
RAG_COLOURS = {
    "red": colors.HexColor("#D5281B"),
    "amber": colors.HexColor("#FFB81C"),
    "green": colors.HexColor("#007F3B"),
    "grey": colors.HexColor("#768692"),
}
RAG_TEXT = {"red": colors.white, "amber": INK, "green": colors.white, "grey": colors.white}


@lru_cache(maxsize=1)
def stylesheet() -> StyleSheet1:
    register_fonts()
    sheet = StyleSheet1()
    base = ParagraphStyle("Body", fontName=REGULAR, fontSize=10, leading=13.5, textColor=INK, spaceAfter=6)
    sheet.add(base)
    sheet.add(ParagraphStyle("BodySmall", parent=base, fontSize=8.5, leading=11))
    sheet.add(ParagraphStyle("Muted", parent=base, fontSize=8.5, leading=11, textColor=MUTED))
    sheet.add(ParagraphStyle("Italic", parent=base, fontName=ITALIC))
    sheet.add(
        ParagraphStyle(
            "CoverTitle", parent=base, fontName=BOLD, fontSize=26, leading=32, textColor=BRAND_DARK, spaceAfter=14
        )
    )
    sheet.add(ParagraphStyle("CoverSub", parent=base, fontSize=14, leading=19, textColor=MUTED, spaceAfter=8))
    sheet.add(
        ParagraphStyle(
            "H1",
            parent=base,
            fontName=BOLD,
            fontSize=17,
            leading=22,
            textColor=BRAND_DARK,
            spaceBefore=4,
            spaceAfter=10,
        )
    )
    sheet.add(
        ParagraphStyle(
            "H2",
            parent=base,
            fontName=BOLD,
            fontSize=13,
            leading=17,
            textColor=BRAND_DARK,
            spaceBefore=10,
            spaceAfter=6,
        )
    )
    sheet.add(ParagraphStyle("H3", parent=base, fontName=BOLD, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4))
    sheet.add(ParagraphStyle("Cell", parent=base, fontSize=8.5, leading=10.5, spaceAfter=0))
    sheet.add(ParagraphStyle("CellRight", parent=base, fontSize=8.5, leading=10.5, spaceAfter=0, alignment=TA_RIGHT))
    sheet.add(ParagraphStyle("CellCentre", parent=base, fontSize=8.5, leading=10.5, spaceAfter=0, alignment=TA_CENTER))
    sheet.add(
        ParagraphStyle(
            "CellHeader", parent=base, fontName=BOLD, fontSize=8.5, leading=10.5, spaceAfter=0, textColor=colors.white
        )
    )
    sheet.add(ParagraphStyle("TocEntry1", parent=base, fontSize=10.5, leading=15, leftIndent=0, alignment=TA_LEFT))
    sheet.add(ParagraphStyle("TocEntry2", parent=base, fontSize=9.5, leading=13, leftIndent=14, textColor=MUTED))
    return sheet
