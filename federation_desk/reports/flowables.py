"""Flowables that make user text safe and headings that feed the contents page and the PDF outline.

All user text reaches ReportLab through :func:`escape` / :func:`safe_paragraph`: ``<b>`` or ``&`` in a name or an
answer prints literally, never as markup.
"""

from __future__ import annotations

from xml.sax.saxutils import escape as _xml_escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph

from federation_desk.reports.styles import stylesheet


def escape(text: object) -> str:
    """User text as ReportLab paragraph markup: escaped, line breaks kept."""
    if text is None:
        return ""
    value = _xml_escape(str(text))
    return value.replace("\r\n", "\n").replace("\n", "<br/>")


def style(name: str) -> ParagraphStyle:
    return stylesheet()[name]  # type: ignore[return-value]


def safe_paragraph(text: object, style_name: str = "Body") -> Paragraph:
    """A paragraph of user text, printed literally."""
    return Paragraph(escape(text), style(style_name))


def markup_paragraph(markup: str, style_name: str = "Body") -> Paragraph:
    """A paragraph of the report's own markup (bold labels and the like). Pass user text through escape()."""
    return Paragraph(markup, style(style_name))


class Heading(Paragraph):
    """A heading that appears in the contents (``toc_level``) and as a PDF bookmark."""

    def __init__(self, text: str, style_name: str = "H1", toc_level: int | None = 0, key: str | None = None) -> None:
        super().__init__(escape(text), style(style_name))
        self.plain_text = text
        self.toc_level = toc_level
        self.bookmark_key = key
