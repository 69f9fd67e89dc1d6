"""Dialogs built on the Designer forms (ui/*.ui → generated/): organization chooser, auto-upgrade
disclaimer (R16), Deny effects with the keep/delete-history choice (R27), waiting for sign-in."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QListWidgetItem, QWidget

from desktop_app.domain.settings import NO_SUBSCRIPTION_FIELD
from desktop_app.gui.generated.ui_deny_dialog import Ui_DenyDialog
from desktop_app.gui.generated.ui_disclaimer import Ui_Disclaimer
from desktop_app.gui.generated.ui_org_chooser import Ui_OrgChooser
from desktop_app.gui.generated.ui_waiting_dialog import Ui_WaitingDialog


def _bold(label) -> None:
    font = QFont(label.font())
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 1.15)
    label.setFont(font)


class OrgChooser(QDialog):
    """Choose the Books organization (R2); Proceed is enabled once one is selected."""

    def __init__(self, organizations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ui = Ui_OrgChooser()
        self.ui.setupUi(self)
        self.proceed = self.ui.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.proceed.setText("&Proceed")
        self.organizations = list(organizations)
        for org in self.organizations:
            item = QListWidgetItem(f"{org.name}  —  {org.email}")
            item.setData(Qt.ItemDataRole.UserRole, org.org_id)
            self.ui.organizations.addItem(item)
        self.ui.organizations.currentRowChanged.connect(self._changed)
        self.ui.buttons.accepted.connect(self.accept)
        self.ui.buttons.rejected.connect(self.reject)
        default = next((i for i, o in enumerate(self.organizations) if o.is_default), 0)
        if self.organizations:
            self.ui.organizations.setCurrentRow(default)
        self._changed(self.ui.organizations.currentRow())

    def _changed(self, row: int) -> None:
        self.proceed.setEnabled(row >= 0)
        if row >= 0:
            org = self.organizations[row]
            self.ui.details.setText(f"Organization ID {org.org_id} · {org.plan_name or 'plan unknown'} · "
                                    f"time zone {org.time_zone or 'unknown'}")

    def chosen_org_id(self) -> str | None:
        row = self.ui.organizations.currentRow()
        return str(self.organizations[row].org_id) if row >= 0 else None


class DisclaimerDialog(QDialog):
    """R16: how many contacts would be added as Marketing, and the plan may be upgraded."""

    def __init__(self, preview, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ui = Ui_Disclaimer()
        self.ui.setupUi(self)
        _bold(self.ui.heading)
        self.ui.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("I &agree, initiate")
        self.ui.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("&Go back")
        if preview.subscription_type == "marketing":
            text = (f"This sync would add {preview.counted(preview.marketing_additions)} contacts as Marketing "
                    f"contacts (from {preview.counted(preview.customers)} customers in Zoho Books).")
        else:
            text = (f"This sync adds contacts as Non-marketing contacts ({preview.counted(preview.customers)} "
                    "customers in Zoho Books), so no Marketing contacts are added.")
        if not preview.complete:
            text += (f" Only the newest {preview.customers:,} customers were read for this count; the first "
                     "sync reads them all.")
        if not getattr(preview, "subscription_settable", True):
            text += " " + NO_SUBSCRIPTION_FIELD
        if preview.eta_text:
            text += "\n\n" + preview.eta_text
        self.ui.summary.setText(text)
        self.ui.buttons.accepted.connect(self.accept)
        self.ui.buttons.rejected.connect(self.reject)


class DenyDialog(QDialog):
    """R27: the effects of disabling, and whether to keep the history."""

    def __init__(self, org_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ui = Ui_DenyDialog()
        self.ui.setupUi(self)
        _bold(self.ui.heading)
        self.ui.heading.setText(f"Disabling the integration with “{org_name}” will:")
        self.go_ahead = self.ui.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.go_ahead.setText("Go &Ahead")
        self.ui.buttons.accepted.connect(self.accept)
        self.ui.buttons.rejected.connect(self.reject)

    @property
    def delete_history(self) -> bool:
        return self.ui.deleteHistory.isChecked()


class WaitingDialog(QDialog):
    """Shown while the system browser does the Zoho sign-in; Cancel stops the loopback wait."""

    def __init__(self, cancel: threading.Event, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ui = Ui_WaitingDialog()
        self.ui.setupUi(self)
        self.cancel_event = cancel
        self.ui.buttons.rejected.connect(self.reject)

    def reject(self) -> None:
        self.cancel_event.set()
        super().reject()
