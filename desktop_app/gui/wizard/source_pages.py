"""Wizard pages Module (R8) and List (R9, loaded live with a busy indicator and a retry)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWizardPage,
)

from desktop_app.gui.errors import describe


class ModulePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Module")
        self.setSubTitle("Choose what to sync from Zoho Books.")
        self.contacts = QRadioButton("&Contacts (called Customers in Zoho Books)")
        self.contacts.setChecked(True)
        note = QLabel("All customers of the organization are synced to the All Contacts view of "
                      "Zoho Campaigns. Contacts is the only module that can be synced.")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.contacts)
        layout.addWidget(note)
        layout.addStretch(1)


class ListPage(QWizardPage):
    """Loads everything the wizard needs (lists, topics, GDPR flag, fields) in one worker call."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle("List")
        self.setSubTitle("Select the Zoho Campaigns list to which the contacts are imported.")
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setAccessibleName("Loading lists")
        self.status = QLabel("Loading your Zoho Campaigns lists…")
        self.status.setWordWrap(True)
        self.retry = QPushButton("&Retry")
        self.retry.setVisible(False)
        self.retry.clicked.connect(self.load)
        self.lists = QListWidget()
        self.lists.setSpacing(3)  # rows readable at a glance, not packed edge to edge
        self.lists.setAccessibleName("Mailing lists")
        self.lists.currentItemChanged.connect(lambda *_: self.completeChanged.emit())
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.retry)
        layout = QVBoxLayout(self)
        layout.addWidget(self.busy)
        layout.addLayout(row)
        layout.addWidget(self.lists, 1)
        self.loading = False

    def initializePage(self) -> None:
        if self.wizard().data is None and not self.loading:
            self.load()

    def load(self) -> None:
        self.wizard().controller.jobs.spawn(self._load())

    async def _load(self) -> None:
        wizard = self.wizard()
        self.loading = True
        self.busy.setVisible(True)
        self.retry.setVisible(False)
        self.status.setText("Loading your Zoho Campaigns lists…")
        try:
            data = await wizard.controller.wizard_data()
        except Exception as exc:
            title, message = describe(exc)
            self.status.setText(f"{title}: {message}")
            self.retry.setVisible(True)
            self.retry.setFocus()
            return
        finally:
            self.loading = False
            self.busy.setVisible(False)
        wizard.set_data(data)
        self.lists.clear()
        for m in data.lists:
            item = QListWidgetItem(f"{m.name}  ({m.contacts:,} contacts)")
            item.setData(Qt.ItemDataRole.UserRole, m.key)
            self.lists.addItem(item)
            if m.key == wizard.initial_list_key:
                self.lists.setCurrentItem(item)
        self.status.setText(f"{len(data.lists)} lists in your Zoho Campaigns account."
                            if data.lists else "Your Zoho Campaigns account has no lists; create one there "
                            "and press Retry.")
        self.retry.setVisible(not data.lists)
        self.lists.setFocus()
        self.completeChanged.emit()

    def selected(self):
        item = self.lists.currentItem()
        data = self.wizard().data
        if item is None or data is None:
            return None
        key = item.data(Qt.ItemDataRole.UserRole)
        return next((m for m in data.lists if m.key == key), None)

    def select_key(self, key: str) -> bool:
        for i in range(self.lists.count()):
            if self.lists.item(i).data(Qt.ItemDataRole.UserRole) == key:
                self.lists.setCurrentRow(i)
                return True
        return False

    def isComplete(self) -> bool:
        return self.selected() is not None
