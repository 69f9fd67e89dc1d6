"""Settings → Integrations → Apps (R27): search "Zoho Books" → View details → Deny."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.gui.pages.common import heading, page_layout
from desktop_app.gui.resources import icon

APPS = ("Zoho Books",)


class SettingsPage(QWidget):
    deny_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = page_layout(self)
        layout.addWidget(heading("Settings"))
        body = QHBoxLayout()
        self.sections = QListWidget()
        self.sections.setAccessibleName("Settings sections")
        self.sections.setMaximumWidth(220)
        self.sections.addItem("Integrations: Apps")
        self.sections.setCurrentRow(0)
        body.addWidget(self.sections)

        self.stack = QStackedWidget()
        # list of apps with a search field
        apps = QWidget()
        apps_layout = QVBoxLayout(apps)
        self.search = QLineEdit()
        self.search.setObjectName("appSearch")
        self.search.setPlaceholderText("Search apps")
        self.search.setAccessibleName("Search apps")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.apps = QListWidget()
        self.apps.setAccessibleName("Apps")
        self.view_details = QPushButton("&View details")
        self.view_details.setObjectName("viewDetails")
        self.view_details.clicked.connect(self.open_details)
        self.apps.itemActivated.connect(lambda _i: self.open_details())
        self.apps.currentRowChanged.connect(lambda r: self.view_details.setEnabled(r >= 0))
        self.search.textChanged.connect(self._filter)
        apps_layout.addWidget(self.search)
        apps_layout.addWidget(self.apps, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.view_details)
        apps_layout.addLayout(row)
        # details of Zoho Books
        details = QWidget()
        d = QVBoxLayout(details)
        top = QHBoxLayout()
        top.addWidget(heading("Zoho Books", 1.2), 1)
        self.deny = QPushButton("&Deny")
        self.deny.setObjectName("denyIntegration")
        self.deny.clicked.connect(self.deny_requested)
        top.addWidget(self.deny)
        d.addLayout(top)
        self.details_text = QLabel()
        self.details_text.setWordWrap(True)
        d.addWidget(self.details_text)
        back = QPushButton("&Back to apps")
        back.clicked.connect(lambda: self.stack.setCurrentIndex(0))
        d.addWidget(back, 0, Qt.AlignmentFlag.AlignLeft)
        d.addStretch(1)
        self.stack.addWidget(apps)
        self.stack.addWidget(details)
        body.addWidget(self.stack, 1)
        layout.addLayout(body, 1)
        self.connection = None
        self._filter("")

    def set_connection(self, info) -> None:
        self.connection = info
        self._filter(self.search.text())
        if info is None:
            self.details_text.setText("Zoho Books is not connected.")
            self.deny.setEnabled(False)
            self.stack.setCurrentIndex(0)
        else:
            self.details_text.setText(
                f"Zoho Books organization “{info.org_name}” ({info.org_id}) is connected to the Zoho Campaigns "
                f"account of {info.campaigns_owner_email}. Access granted to this app: read customers, "
                "write contacts to one mailing list.")
            self.deny.setEnabled(True)

    def _filter(self, text: str) -> None:
        self.apps.clear()
        for name in APPS:
            if text.strip().casefold() in name.casefold():
                state = "Connected" if self.connection else "Not connected"
                item = QListWidgetItem(icon("books"), f"{name} — {state}")
                self.apps.addItem(item)
        self.apps.setCurrentRow(0 if self.apps.count() else -1)
        self.view_details.setEnabled(self.apps.count() > 0)

    def open_details(self) -> None:
        if self.apps.currentRow() >= 0:
            self.stack.setCurrentIndex(1)
