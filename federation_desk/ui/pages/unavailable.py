"""The page shown for a module that this version does not have yet: says so plainly."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from federation_desk.ui.pages.base import Page
from federation_desk.ui.widgets.common import Notice, PageHeader, plain_label


class UnavailablePage(Page):
    def __init__(
        self, ctx: Any, key: str, title: str, icon_name: str, purpose: str, parent: QWidget | None = None
    ) -> None:
        self.key = key
        self.title = title
        self.icon_name = icon_name
        super().__init__(ctx, parent)
        self.layout_.addWidget(PageHeader(title, purpose))
        self.layout_.addWidget(
            Notice(
                f"The {title} module is not available in this version of Federation Desk yet. Nothing is "
                "missing from your data: when the module arrives in an update, it will appear here."
            )
        )
        self.layout_.addWidget(plain_label(""))
        self.layout_.addStretch(1)
