"""The QAction registry, keyed by an enum (Picard's actions), so menus, shortcuts and tests name actions alike."""

from __future__ import annotations

import enum
from collections.abc import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from federation_desk.ui.icons import icon


class ActionId(enum.Enum):
    NEW_DATABASE = "new_database"
    OPEN_DATABASE = "open_database"
    NEW_DEMO = "new_demo"
    QUIT = "quit"
    FIND = "find"
    REFRESH = "refresh"
    ABOUT = "about"


class Actions:
    def __init__(self, parent: QWidget) -> None:
        self._parent = parent
        self._actions: dict[ActionId, QAction] = {}

    def add(
        self,
        action_id: ActionId,
        text: str,
        handler: Callable[[], object],
        shortcut: str | QKeySequence | None = None,
        icon_name: str | None = None,
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self._parent)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if icon_name:
            action.setIcon(icon(icon_name))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: handler())
        self._actions[action_id] = action
        self._parent.addAction(action)
        return action

    def __getitem__(self, action_id: ActionId) -> QAction:
        return self._actions[action_id]
