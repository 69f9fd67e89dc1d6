"""The connected screen and Active Syncs (R2, R7): the connection, the one sync, Add New Sync."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QWidget

from desktop_app.gui.history_model import format_time
from desktop_app.gui.pages.common import heading, page_layout
from desktop_app.gui.resources import icon

ONE_SYNC_TOOLTIP = "Only one sync can be set up. Open it to edit, pause or remove it."


class ActiveSyncsPage(QWidget):
    add_requested = Signal()
    open_requested = Signal()
    back_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = page_layout(self)
        top = QHBoxLayout()
        top.addWidget(heading("Zoho Books — Active Syncs"), 1)
        self.add = QPushButton(icon("add"), "&Add New Sync")
        self.add.setObjectName("addNewSync")
        self.add.clicked.connect(self.add_requested)
        top.addWidget(self.add)
        layout.addLayout(top)
        self.connected = QLabel()
        self.connected.setObjectName("connectedInfo")
        self.connected.setWordWrap(True)
        layout.addWidget(self.connected)
        self.syncs = QListWidget()
        self.syncs.setAccessibleName("Syncs")
        self.syncs.itemActivated.connect(lambda _item: self.open_requested.emit())
        self.syncs.itemClicked.connect(lambda _item: self.open_requested.emit())
        layout.addWidget(self.syncs, 1)
        self.empty = QLabel("No sync yet. Click Add New Sync to choose a list, the schedule and the fields.")
        self.empty.setWordWrap(True)
        # the empty note takes the list's place (and its stretch), so nothing floats mid-page
        layout.addWidget(self.empty, 1, Qt.AlignmentFlag.AlignTop)
        back = QPushButton("&Back to Sync Services")
        back.clicked.connect(self.back_requested)
        row = QHBoxLayout()
        row.addWidget(back)
        row.addStretch(1)
        layout.addLayout(row)

    def set_connection(self, info) -> None:
        if info is None:
            self.connected.setText("")
            return
        kind = "the sample organization (Sandbox)" if info.is_sandbox else f"Zoho ({info.data_center})"
        warning = getattr(info, "owner_warning", None)  # R3: accepted by the user, kept in view
        self.connected.setText(f"Connected to “{info.org_name}” through {kind}, owned by "
                               f"{info.books_owner_email}. You can now add a sync."
                               + (f"\n\nNote: {warning}" if warning else ""))

    def set_sync(self, sync) -> None:
        self.syncs.clear()
        self.empty.setVisible(sync is None)
        self.syncs.setVisible(sync is not None)
        self.add.setEnabled(sync is None)
        self.add.setToolTip(ONE_SYNC_TOOLTIP if sync is not None else "Set up the sync")
        if sync is None:
            return
        state = "Paused" if sync.paused else "Active"
        last = sync.last_run
        last_text = f"last run {format_time(last.started_at)} ({last.status})" if last else "not run yet"
        item = QListWidgetItem(icon("sync"), f"Contacts → {sync.list_name}   ·   {state}   ·   "
                                             f"{sync.schedule_text}   ·   {last_text}")
        self.syncs.addItem(item)
