"""Escaping user text before it reaches anything that reads rich text (labels, tooltips)."""

from __future__ import annotations

import html


def escape(text: object) -> str:
    if text is None:
        return ""
    return html.escape(str(text), quote=True).replace("\n", "<br>")


def bold(text: object) -> str:
    return f"<b>{escape(text)}</b>"
