"""Helpers for GUI tests on a real Sandbox: a small in-process Sandbox the service finds through its
run file, a GuiSession driven on a qasync loop, and the steps most flows start with."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QWizard

from desktop_app import config
from desktop_app.gui.dialogs import DisclaimerDialog, OrgChooser
from desktop_app.gui.wizard import ids


async def until(predicate, timeout: float = 30.0, what: str = "condition") -> None:
    """Let the qasync loop run until ``predicate()`` is true (qtbot.waitUntil can't drive asyncio)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def start_sandbox(**knobs):
    from desktop_app.sandbox import SandboxServer

    paths = config.app_paths().ensure()
    knobs.setdefault("customers", 120)
    knobs.setdefault("limits", "off")
    return SandboxServer(paths.sandbox_db_path, **knobs).start()


def sandbox_admin(server):
    """The admin API of a Sandbox started here, with its token (the admin API refuses others)."""
    from desktop_app.connectors.sandbox_admin import SandboxAdmin

    return SandboxAdmin(server.url, token=server.admin_token)


def new_session():
    from desktop_app.app import AppService
    from desktop_app.gui.session import GuiSession

    return GuiSession(AppService(config.app_paths()), use_tray=False)


def flush_deletes() -> None:
    """Run pending deleteLater()s now, so one test's window is gone before the next test starts."""
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()


NEXT = QWizard.WizardButton.NextButton
FINISH = QWizard.WizardButton.FinishButton


async def associate_sandbox(w) -> None:
    w.services.card.reveal(True)
    w.services.card.action.click()
    assert w.stack.currentWidget() is w.associate
    w.associate.continue_.click()
    await until(lambda: isinstance(w.flows.dialog, OrgChooser), what="organization pop-up")
    chooser = w.flows.dialog
    assert chooser.proceed.isEnabled() and chooser.ui.organizations.count() >= 1
    chooser.proceed.click()
    await until(lambda: w.stack.currentWidget() is w.active, what="connected screen")


async def walk_wizard(w, wizard, *, list_name: str = "Books customers") -> None:
    assert wizard.currentId() == ids.MODULE and wizard.module_page.contacts.isChecked()
    wizard.button(NEXT).click()
    page = wizard.list_page
    await until(lambda: page.lists.count() > 0, what="lists loaded")
    if not page.selected():
        assert not wizard.button(NEXT).isEnabled()  # Next waits for a list
        match = [i for i in range(page.lists.count()) if page.lists.item(i).text().startswith(list_name)]
        page.lists.setCurrentRow(match[0])
    assert wizard.button(NEXT).isEnabled()
    wizard.button(NEXT).click()


def next_to_mapping(wizard, *, gdpr: bool = True) -> None:
    """Next through the remaining pages, answering the GDPR question when the page asks it."""
    while wizard.currentId() != ids.MAPPING:
        if wizard.currentId() == ids.LAWFUL_BASIS and wizard.lawful_page.asking:
            (wizard.lawful_page.gdpr_yes if gdpr else wizard.lawful_page.gdpr_no).setChecked(True)
        before = wizard.currentId()
        wizard.button(NEXT).click()
        assert wizard.currentId() != before, f"Next did nothing on page {before}"


async def accept_disclaimer(w, expected_additions: int | None = None) -> DisclaimerDialog:
    await until(lambda: isinstance(w.flows.dialog, DisclaimerDialog), what="disclaimer")
    dialog = w.flows.dialog
    if expected_additions is not None:
        assert f"add {expected_additions:,} contacts as Marketing" in dialog.ui.summary.text()
    dialog.ui.buttons.accepted.emit()
    return dialog
