"""The notification bell (R17): unread count on the toolbar; a menu of finished runs; choosing
one opens that sync's Configuration view and marks it read."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from desktop_app.gui.history_model import format_time
from desktop_app.gui.resources import icon

MAX_ENTRIES = 20


class NotificationBell(QToolButton):
    notification_chosen = Signal(object)  # NotificationView

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notificationBell")
        self.setIcon(icon("bell"))
        self.setToolButtonStyle(self.toolButtonStyle().ToolButtonTextBesideIcon)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu_ = QMenu(self)
        self.setMenu(self.menu_)
        self.unread = 0
        self.entries: list = []
        self.set_notifications([], 0)

    def set_notifications(self, notes, unread: int) -> None:
        self.unread = unread
        self.entries = list(notes)[:MAX_ENTRIES]
        self.setText(str(unread) if unread else "")
        label = f"Notifications, {unread} unread" if unread else "Notifications"
        self.setAccessibleName(label)
        self.setToolTip(label)
        self.menu_.clear()
        if not self.entries:
            self.menu_.addAction("No notifications yet").setEnabled(False)
        for note in self.entries:
            mark = "● " if not note.read else ""
            action = self.menu_.addAction(f"{mark}{note.title} — {format_time(note.created_at)}")
            action.setToolTip(note.body)
            action.setStatusTip(note.body)
            action.triggered.connect(lambda _=False, n=note: self.notification_chosen.emit(n))
