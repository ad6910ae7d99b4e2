"""Small shared widgets: search box, page header, dashboard card, a "loading/empty" note."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from federation_desk.ui.icons import icon


def plain_label(text: str = "", object_name: str | None = None, wrap: bool = True) -> QLabel:
    """A label that shows its text literally (user text never becomes rich text by accident)."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    if object_name:
        label.setObjectName(object_name)
    return label


class SearchBox(QLineEdit):
    def __init__(self, placeholder: str, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(placeholder)
        self.setClearButtonEnabled(True)
        self.setAccessibleName(accessible_name)
        self.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.setMinimumWidth(260)


class PageHeader(QWidget):
    def __init__(self, title: str, subtitle: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 6)
        layout.setSpacing(2)
        self.title = plain_label(title, "PageTitle")
        self.subtitle = plain_label(subtitle, "PageSubtitle")
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        self.subtitle.setVisible(bool(subtitle))

    def set_subtitle(self, text: str) -> None:
        self.subtitle.setText(text)
        self.subtitle.setVisible(bool(text))


class Card(QFrame):
    """A dashboard card: title, headline, detail lines, and a button that opens the matching page."""

    open_requested = Signal(str)

    def __init__(
        self, title: str, headline: str, details: Sequence[str], severity: str, page: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("Card")
        self.setProperty("severity", severity)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.setAccessibleName(f"{title}: {headline}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        top = QHBoxLayout()
        top.addWidget(QLabel(pixmap=icon(severity if severity != "info" else "info").pixmap(18, 18)))
        top.addWidget(plain_label(title, "CardTitle"), 1)
        layout.addLayout(top)
        self.headline = plain_label(headline, "CardHeadline")
        layout.addWidget(self.headline)
        self.detail_labels = [plain_label(d, "Muted") for d in details]
        for label in self.detail_labels:
            layout.addWidget(label)
        if page and page != "dashboard":
            button = QPushButton("Open")
            button.setAccessibleName(f"Open {title}")
            button.clicked.connect(lambda: self.open_requested.emit(page))
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(button)
            layout.addLayout(row)


class Notice(QFrame):
    """A banner with a message (and optional action) shown at the top of a page."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.label = plain_label(text)
        layout.addWidget(self.label, 1)
