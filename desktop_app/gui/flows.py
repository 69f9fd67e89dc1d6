"""The window's multi-step flows as coroutines: associate (R2–R4), the wizard and Initiate (R16),
export (R28), pause/resume (R25), Deny (R27), notifications (R17), Simulate activity (S3).

Each flow keeps the dialog it is waiting on in ``self.dialog`` (tests and screenshots use it) and
turns every failure into a sentence through the controller (R34).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

from desktop_app.gui.dialogs_async import ask
from desktop_app.gui.pages.detail import CONFIGURATION, HISTORY

if TYPE_CHECKING:
    from desktop_app.gui.wizard import SyncWizard


class _Dialogs:
    """``desktop_app.gui.dialogs``, imported when the first dialog opens: the wizard and the dialogs
    are not imported before the window's first paint (B5)."""

    def __getattr__(self, name: str):
        from desktop_app.gui import dialogs as module

        return getattr(module, name)


dialogs = _Dialogs()


class Flows:
    def __init__(self, window, controller) -> None:
        self.window = window
        self.controller = controller
        self.dialog: QDialog | None = None
        self.wizard: SyncWizard | None = None

    async def _ask(self, dialog: QDialog) -> int:
        self.dialog = dialog
        try:
            return await ask(dialog)
        finally:
            self.dialog = None

    # ------------------------------------------------------------------ associate (R2–R4)

    async def associate(self, *, sandbox: bool) -> bool:
        c, w = self.controller, self.window
        try:
            if sandbox:
                w.set_status("Starting the sample organization…")
                orgs = await c.sign_in_sandbox()
            else:
                orgs = await self._sign_in_zoho()
                if orgs is None:
                    return False
            chooser = dialogs.OrgChooser(orgs, w)
            if await self._ask(chooser) != QDialog.DialogCode.Accepted or not chooser.chosen_org_id():
                w.set_status("Association cancelled.")
                return False
            org_id = chooser.chosen_org_id()
            warning = await c.owner_warning(org_id)
            if warning and not await self._continue_anyway(warning):  # R3: a warning, the user decides
                w.set_status("Association cancelled.")
                return False
            info = await c.choose_organization(org_id)
        except Exception as exc:
            c.report(exc)
            return False
        w.set_status(f"Connected to “{info.org_name}”.")
        w.show_active()
        return True

    async def reconnect(self) -> bool:
        """R42, the banner's Reconnect: the same sign-in again, for the connected organization; the
        sync, its mapping and history stay. Another organization is refused by the service (R4)."""
        c, w = self.controller, self.window
        conn = c.connection
        if conn is None:
            return False
        try:
            if conn.is_sandbox:
                w.set_status("Signing in to the sample organization again…")
                orgs = await c.call_long(c.service.sign_in_again)
            else:
                orgs = await self._sign_in_again()
                if orgs is None:
                    return False
            if not any(str(o.org_id) == str(conn.org_id) for o in orgs):
                c.error.emit("Another organization",
                             f"The account you signed in with has no organization “{conn.org_name}” "
                             f"({conn.org_id}); sign in with the account that owns it to reconnect.")
                return False
            info = await c.choose_organization(conn.org_id)
        except Exception as exc:
            c.report(exc)
            return False
        w.set_status(f"Reconnected “{info.org_name}”: the sync, its mapping and history are kept.")
        return True

    async def _sign_in_again(self):
        c = self.controller
        cancel = threading.Event()
        waiting = dialogs.WaitingDialog(cancel, self.window)
        self.dialog = waiting
        waiting.open()
        try:
            return await c.call_long(c.service.sign_in_again, cancel=cancel)
        finally:
            was_cancelled = cancel.is_set()
            waiting.done(QDialog.DialogCode.Accepted)
            self.dialog = None
            if was_cancelled:
                self.window.set_status("Sign-in cancelled.")

    async def _continue_anyway(self, warning: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Warning, "Different account owners", warning,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self.window)
        box.setInformativeText("Continue anyway?")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        await self._ask(box)
        yes = box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)
        box.deleteLater()
        return yes

    async def _sign_in_zoho(self):
        c, page = self.controller, self.window.associate
        cancel = threading.Event()
        waiting = dialogs.WaitingDialog(cancel, self.window)
        self.dialog = waiting
        waiting.open()
        try:
            return await c.sign_in_zoho(page.dc.currentData(), page.client_id.text(),
                                        page.client_secret.text(), cancel)
        finally:
            was_cancelled = cancel.is_set()
            waiting.done(QDialog.DialogCode.Accepted)
            self.dialog = None
            if was_cancelled:
                self.window.set_status("Sign-in cancelled.")

    # ------------------------------------------------------------------ wizard (R7–R16, R26)

    def open_wizard(self, *, editing: bool, start_id: int | None = None) -> SyncWizard | None:
        from desktop_app.gui.wizard import SyncWizard, ids

        c = self.controller
        if not editing and c.sync is not None:
            return None  # R7: one sync; the button is disabled anyway
        wizard = SyncWizard(c, editing=c.sync if editing else None, parent=self.window,
                            start_id=ids.MODULE if start_id is None else start_id)
        wizard.initiate_requested.connect(lambda: c.jobs.spawn(self.initiate(wizard)))
        wizard.finished.connect(lambda _r: setattr(self, "wizard", None))
        self.wizard = wizard
        wizard.open()
        return wizard

    async def initiate(self, wizard: SyncWizard) -> bool:
        c, w = self.controller, self.window
        settings, rows = wizard.settings(), wizard.rows()
        wizard.button(wizard.WizardButton.FinishButton).setEnabled(False)
        try:
            problems = await c.validate(settings, rows)
            if problems:
                c.error.emit("Fix the sync settings", " ".join(problems))
                return False
            preview = await c.preview(settings)
            if await self._ask(dialogs.DisclaimerDialog(preview, wizard)) != QDialog.DialogCode.Accepted:
                return False  # back to the mapping page
            await c.save_sync(settings, rows, editing=wizard.editing is not None)
        except Exception as exc:
            c.report(exc)
            return False
        finally:
            wizard.button(wizard.WizardButton.FinishButton).setEnabled(True)
        wizard.finish()
        w.show_detail(CONFIGURATION)
        c.jobs.spawn(c.run_now("initiate"))  # R14: the first sync starts at once
        return True

    # ------------------------------------------------------------------ detail view

    async def sync_now(self) -> None:
        if self.controller.sync is None:
            return
        self.window.show_detail(CONFIGURATION)
        await self.controller.run_now("manual")

    async def accept_double_opt_in(self) -> bool:
        """The detail banner's "Accept double opt-in": the next run sends the confirmation emails."""
        try:
            view = await self.controller.accept_double_opt_in()
        except Exception as exc:
            self.controller.report(exc)
            return False
        self.window.set_status(f"Double opt-in accepted for “{view.list_name}”: the next run sends each new "
                               "customer a confirmation email (press Sync now to start it).")
        return True

    def choose_another_list(self) -> SyncWizard | None:
        """The detail banner's "Choose another list": Edit, opened at the list page."""
        from desktop_app.gui.wizard import ids

        return self.open_wizard(editing=True, start_id=ids.LIST)

    async def set_paused(self, paused: bool) -> None:
        try:
            await self.controller.set_paused(paused)
            self.window.set_status("Sync paused." if paused else "Sync resumed.")
        except Exception as exc:
            self.controller.report(exc)

    async def export_skipped(self, run_id: int) -> int | None:
        # open(), not getSaveFileName(): no nested event loop under qasync. The platform's own dialog
        # where there is one; Qt's widget dialog where there is none (offscreen in the tests).
        dialog = QFileDialog(self.window, "Export skipped records", str(Path.home() / f"skipped-run-{run_id}.csv"),
                             "CSV files (*.csv)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        accepted = await self._ask(dialog) == QDialog.DialogCode.Accepted and dialog.selectedFiles()
        path = Path(dialog.selectedFiles()[0]) if accepted else None
        dialog.deleteLater()  # its file-system model holds a thread; don't leave it to the GC
        if path is None:
            return None
        try:
            count = await self.controller.export_skipped(path, run_id)
        except Exception as exc:
            self.controller.report(exc)
            return None
        self.window.set_status(f"Exported {count} skipped records to {path}.")
        return count

    # ------------------------------------------------------------------ notifications (R17)

    async def open_notification(self, note) -> None:
        w = self.window
        if note.sync_id is not None and self.controller.sync is not None:
            w.show_detail(CONFIGURATION)
        else:
            w.show_detail(HISTORY) if self.controller.sync is not None else w.show_services()
        # The bell is in the window, so the window is already in front (no raise() needed).
        try:
            await self.controller.mark_read(note.id)
        except Exception as exc:
            self.controller.report(exc)

    # ------------------------------------------------------------------ disable (R27)

    async def deny(self) -> bool:
        c = self.controller
        if c.connection is None:
            return False
        dialog = dialogs.DenyDialog(c.connection.org_name, self.window)
        if await self._ask(dialog) != QDialog.DialogCode.Accepted:
            return False
        try:
            await c.disable(dialog.delete_history)
        except Exception as exc:
            c.report(exc)
            return False
        self.window.set_status("The Zoho Books integration is disabled."
                               + (" Its history was deleted." if dialog.delete_history else " Its history is kept."))
        self.window.show_services()
        return True

    # ------------------------------------------------------------------ sandbox (S3)

    async def simulate(self) -> int | None:
        try:
            changed = await self.controller.simulate(5)
        except Exception as exc:
            self.controller.report(exc)
            return None
        self.window.set_status(f"Edited {changed} customers in the sample organization; the next run "
                               "shows them as updates.")
        return changed
