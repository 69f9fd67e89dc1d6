"""Associate New Account (R2): the Sandbox or a Zoho data center + API client, then Continue."""

from __future__ import annotations

import os

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)

from desktop_app.config import DATA_CENTERS, ENV_CLIENT_SECRET
from desktop_app.gui.pages.common import heading, page_layout


class AssociatePage(QWidget):
    continue_requested = Signal()
    back_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = page_layout(self)
        layout.addWidget(heading("Associate Zoho Books"))
        note = QLabel("Your Zoho Campaigns account and Zoho Books organization must be registered under the "
                      "same email address. Only one Zoho Books organization can be connected at a time.")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.sandbox = QRadioButton("The &sample organization (Sandbox, no account or browser needed)")
        self.zoho = QRadioButton("My &Zoho account (sign in with the system browser)")
        group = QButtonGroup(self)
        group.addButton(self.sandbox)
        group.addButton(self.zoho)
        self.sandbox.setChecked(True)
        layout.addWidget(self.sandbox)
        layout.addWidget(self.zoho)

        self.zoho_box = QGroupBox("Zoho sign-in")
        form = QFormLayout(self.zoho_box)
        self.dc = QComboBox()
        for code in sorted(DATA_CENTERS):
            self.dc.addItem(code, code)
        self.dc.setCurrentIndex(self.dc.findData("US"))
        self.client_id = QLineEdit()
        self.client_id.setPlaceholderText("1000.XXXXXXXXXXXX")
        self.client_secret = QLineEdit(os.environ.get(ENV_CLIENT_SECRET, ""))
        self.client_secret.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("&Data center:", self.dc)
        form.addRow("Client &ID:", self.client_id)
        form.addRow("Client s&ecret:", self.client_secret)
        layout.addWidget(self.zoho_box)
        self.zoho.toggled.connect(self.zoho_box.setEnabled)
        self.zoho_box.setEnabled(False)

        buttons = QHBoxLayout()
        self.back = QPushButton("&Back")
        self.continue_ = QPushButton("&Continue")
        self.continue_.setObjectName("associateContinue")
        self.continue_.setDefault(True)
        self.back.clicked.connect(self.back_requested)
        self.continue_.clicked.connect(self.continue_requested)
        buttons.addWidget(self.back)
        buttons.addStretch(1)
        buttons.addWidget(self.continue_)
        layout.addLayout(buttons)
        layout.addStretch(1)

    def use_sandbox(self, sandbox: bool) -> None:
        (self.sandbox if sandbox else self.zoho).setChecked(True)
