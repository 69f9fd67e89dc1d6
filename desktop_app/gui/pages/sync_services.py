"""Sync Services (R2, R1): the Zoho Books card, whose action shows on hover or keyboard focus, and
on a first start the Sandbox offer next to "Connect Zoho"."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_app.gui.pages.common import heading, page_layout
from desktop_app.gui.resources import pixmap


class BooksCard(QFrame):
    """The Zoho Books tile: "Associate New Account" or, when connected, "Active Syncs"."""

    activated = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("booksCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Zoho Books")
        self.setFixedSize(300, 200)
        logo = QLabel()
        logo.setPixmap(pixmap("books", 56))
        logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = heading("Zoho Books", 1.2)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption = QLabel("Sync customers as contacts")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.action = QPushButton("Associate New Account")
        self.action.setObjectName("booksCardAction")
        self.action.clicked.connect(self.activated)
        self.action.installEventFilter(self)
        self.action.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(logo)
        layout.addWidget(self.title)
        layout.addWidget(self.caption)
        layout.addWidget(self.action)
        layout.addStretch(1)  # the hidden action leaves no gap between title and caption

    def set_connected(self, connected: bool) -> None:
        self.action.setText("Active Syncs" if connected else "Associate New Account")
        self.action.setAccessibleName(self.action.text())
        self.caption.setText("Connected" if connected else "Sync customers as contacts")

    def reveal(self, shown: bool) -> None:
        self.action.setVisible(shown or self.action.hasFocus())

    def enterEvent(self, event) -> None:
        self.reveal(True)
        super().enterEvent(event)

    def leaveEvent(self, event) -> None:
        self.reveal(False)
        super().leaveEvent(event)

    def focusInEvent(self, event) -> None:  # keyboard users get the action too
        self.reveal(True)
        super().focusInEvent(event)

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.activated.emit()
            return
        super().keyPressEvent(event)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.action and event.type() == QEvent.Type.FocusOut and not self.underMouse():
            self.action.setVisible(False)
        return False


class SyncServicesPage(QWidget):
    associate_requested = Signal()
    active_syncs_requested = Signal()
    sandbox_requested = Signal()
    zoho_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = page_layout(self)
        layout.addWidget(heading("Sync Services"))
        intro = QLabel("Keep a Zoho Campaigns mailing list filled with the customers of a Zoho Books "
                       "organization. Hover over Zoho Books, or select it with Tab, to begin.")
        intro.setWordWrap(True)
        layout.addWidget(intro)

        self.first_start = QFrame()
        self.first_start.setObjectName("firstStart")
        self.first_start.setFrameShape(QFrame.Shape.StyledPanel)
        offer = QVBoxLayout(self.first_start)
        offer.addWidget(heading("New here? Try it without an account", 1.15))
        text = QLabel("The sample organization is a built-in Zoho Books organization and Zoho Campaigns "
                      "account on this computer: the whole sync works with it, nothing leaves your machine.")
        text.setWordWrap(True)
        offer.addWidget(text)
        buttons = QHBoxLayout()
        self.try_sandbox = QPushButton("&Try with the sample organization")
        self.try_sandbox.setObjectName("trySandbox")
        self.try_sandbox.setDefault(True)
        self.connect_zoho = QPushButton("Connect &Zoho")
        self.connect_zoho.setObjectName("connectZoho")
        self.try_sandbox.clicked.connect(self.sandbox_requested)
        self.connect_zoho.clicked.connect(self.zoho_requested)
        buttons.addWidget(self.try_sandbox)
        buttons.addWidget(self.connect_zoho)
        buttons.addStretch(1)
        offer.addLayout(buttons)
        layout.addWidget(self.first_start)

        self.card = BooksCard()
        self.card.activated.connect(self._card_activated)
        row = QHBoxLayout()
        row.addWidget(self.card)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)
        self.connected = False

    def set_connection(self, info) -> None:
        self.connected = info is not None
        self.card.set_connected(self.connected)
        self.first_start.setVisible(not self.connected)

    def _card_activated(self) -> None:
        (self.active_syncs_requested if self.connected else self.associate_requested).emit()
