"""The whole point-and-click flow on the real Sandbox (R2–R4, R7–R17, R25–R29): associate, the
wizard with every step, mapping edits, New field, disclaimer, run, bell, history, export,
pause/resume, edit, simulate, disable; and a heartbeat proving the GUI thread never blocks."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from desktop_app.gui.dialogs import DenyDialog, DisclaimerDialog, OrgChooser
from desktop_app.gui.history_model import ADDED, SKIPPED, STATUS, TOTAL, UPDATED
from desktop_app.gui.mapping_model import BOOKS, NEW
from desktop_app.gui.mapping_model import STATUS as MAP_STATUS
from desktop_app.gui.pages.detail import CONFIGURATION, HISTORY
from desktop_app.gui.wizard import ids
from tests.gui.sandbox_session import (
    FINISH,
    NEXT,
    accept_disclaimer,
    associate_sandbox,
    new_session,
    next_to_mapping,
    start_sandbox,
    until,
    walk_wizard,
)


def test_associate_wizard_run_history_export_pause_edit_disable(session, run_in, tmp_path):
    w, c = session.window, session.controller

    async def scenario():
        assert w.services.first_start.isVisible()
        await associate_sandbox(w)
        assert "Zylker" in w.active.connected.text() and not w.services.first_start.isVisible()
        assert w.simulate_action.isVisible()
        # R4: a second association is refused with what to do
        await w.flows.associate(sandbox=True)
        assert w.last_error[0] == "Already connected" and "disable the current integration" in w.last_error[1]
        w.error_box.close()
        w.last_error = None

        # ---- the wizard, every step
        assert w.active.add.isEnabled()
        w.active.add.click()
        wizard = w.flows.wizard
        await walk_wizard(w, wizard)
        assert wizard.currentId() == ids.SUBSCRIPTION
        wizard.subscription_page.marketing.setChecked(True)
        wizard.button(NEXT).click()
        assert wizard.currentId() == ids.TOPICS
        topics = wizard.topics_page.topics
        assert topics.isEnabled() and topics.count() >= 3  # the Sandbox has more than one topic
        topics.item(0).setCheckState(topics.item(0).checkState().Checked)
        topic_name = topics.item(0).text()
        wizard.button(NEXT).click()
        # the Sandbox (like real Zoho, as documented) shows no Lawful Basis field: the page asks
        lawful = wizard.lawful_page
        assert wizard.currentId() == ids.LAWFUL_BASIS and lawful.asking
        assert lawful.question.isVisible() and not lawful.basis.isVisible()
        assert not wizard.button(NEXT).isEnabled()  # the question needs an answer
        lawful.gdpr_yes.setChecked(True)
        assert wizard.button(NEXT).isEnabled()
        wizard.button(NEXT).click()
        assert wizard.currentId() == ids.UPDATE_EMPTY
        wizard.button(NEXT).click()
        assert wizard.currentId() == ids.SCHEDULE
        sched = wizard.schedule_page
        sched.preset.setCurrentIndex(sched.preset.findData("every-4h"))
        assert len(sched.preview.text().splitlines()) == 3
        assert not sched.at.isEnabled()
        wizard.button(NEXT).click()
        assert wizard.currentId() == ids.MAPPING

        # ---- mapping grid: a refusal blocks Initiate, New field creates the Campaigns field
        model, grid = wizard.mapping_page.model, wizard.mapping_page.grid
        assert model.rowCount() == 3 and wizard.button(FINISH).isEnabled()
        grid.add_button.click()
        dup = model.rowCount() - 1
        model.setData(model.index(dup, BOOKS), "contact_name")
        model.setData(model.index(dup, 1), "First Name")
        assert "already mapped" in model.data(model.index(dup, MAP_STATUS))
        assert not wizard.button(FINISH).isEnabled()
        grid.remove_button(dup).click()
        assert wizard.button(FINISH).isEnabled()
        grid.add_button.click()
        row = model.rowCount() - 1
        model.setData(model.index(row, BOOKS), "billing_address.city")
        assert model.setData(model.index(row, NEW), 2, 10)  # CheckStateRole, as the view sends it
        assert wizard.button(FINISH).isEnabled()
        settings = wizard.settings()
        assert settings.lawful_basis is None and settings.gdpr is True and settings.schedule.spec == "every-4h"
        preview = await c.call(c.service.preview_initiate, settings)

        # ---- Initiate → disclaimer (Go back keeps the wizard) → accept → first run → Configuration
        wizard.button(FINISH).click()
        await until(lambda: isinstance(w.flows.dialog, DisclaimerDialog), what="disclaimer")
        w.flows.dialog.ui.buttons.rejected.emit()
        await until(lambda: w.flows.dialog is None and wizard.isVisible(), what="back to the wizard")
        assert c.sync is None
        wizard.button(FINISH).click()
        await accept_disclaimer(w, preview.marketing_additions)
        await until(lambda: c.last_outcome is not None and not c.running, what="first run")
        assert w.stack.currentWidget() is w.detail and w.detail.tabs.currentIndex() == CONFIGURATION
        outcome = c.last_outcome
        assert outcome.status == "completed"
        assert "BillingCity" in {f.display_name for f in await c.call(c.service.campaigns_fields)}
        await until(lambda: w.detail.history_model.rowCount() == 1, what="history row")
        hm = w.detail.history_model
        counts = outcome.counts
        assert [hm.index(0, col).data() for col in (TOTAL, ADDED, UPDATED, SKIPPED)] == \
            [str(counts.total), str(counts.added), str(counts.updated), str(counts.skipped)]
        assert hm.index(0, STATUS).data() == "Completed" and counts.added > 0 and counts.skipped > 0
        assert not w.active.add.isEnabled() and "Only one sync" in w.active.add.toolTip()
        assert w.detail.fields["Topics"].text() == topic_name  # the name, not the Campaigns id

        # ---- bell → Configuration view, marked read
        assert w.bell.unread == 1 and w.bell.text() == "1"
        w.show_services()
        w.bell.menu_.actions()[0].trigger()
        await until(lambda: w.bell.unread == 0, what="notification read")
        assert w.stack.currentWidget() is w.detail and w.detail.tabs.currentIndex() == CONFIGURATION

        # ---- export skipped records: double-click the Skipped cell (its export icon) → save dialog
        w.detail.tabs.setCurrentIndex(HISTORY)
        cell = w.detail.history.visualRect(hm.index(0, SKIPPED))
        assert not hm.index(0, SKIPPED).data(Qt.ItemDataRole.DecorationRole).isNull()  # the icon is there
        viewport = w.detail.history.viewport()
        # a real double-click is press, release, double-click, release (the view checks the press)
        QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=cell.center())
        QTest.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=cell.center())
        await until(lambda: isinstance(w.flows.dialog, QFileDialog), what="save dialog")
        dlg = w.flows.dialog
        assert [d for d in w.findChildren(QFileDialog) if d.isVisible()] == [dlg]  # asked once, not twice
        dlg.setDirectory(str(tmp_path))
        dlg.selectFile("skipped.csv")
        dlg.accept()
        target = Path(dlg.selectedFiles()[0])
        assert target.parent == tmp_path
        await until(lambda: target.exists() or w.last_error is not None, what="CSV written")
        assert w.last_error is None, w.last_error
        raw = target.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert len(rows) - 1 == counts.skipped

        # ---- pause / resume
        w.detail.pause.click()
        await until(lambda: c.sync.paused, what="paused")
        assert w.detail.pause.text().replace("&", "") == "Resume Sync"
        assert w.detail.fields["Status"].text().startswith("Paused")
        w.detail.pause.click()
        await until(lambda: not c.sync.paused, what="resumed")

        # ---- simulate activity, then edit (prefilled) → mapping → Initiate → the run shows updates
        assert await w.flows.simulate() == 5
        w.detail.edit.click()
        wizard = w.flows.wizard
        assert wizard.windowTitle() == "Edit Sync"
        await walk_wizard(w, wizard)
        assert wizard.list_page.selected().key == c.sync.list_key
        next_to_mapping(wizard)
        assert wizard.lawful_page.gdpr_yes.isChecked()  # prefilled from the stored answer
        assert wizard.schedule_page.value().spec == "every-4h"
        assert any(r.books_key == "billing_address.city" and not r.new_field for r in wizard.rows())
        wizard.button(FINISH).click()
        await accept_disclaimer(w)
        await until(lambda: len(c.runs) == 2 and not c.running, what="second run")
        # the incremental run read the simulated customers (whether they count as updated depends on
        # which fields the Sandbox edited and which are mapped)
        assert c.runs[0].status == "completed" and c.runs[0].counts.total >= 5

        # ---- disable: Settings → Integrations → Apps → search → View details → Deny → keep history
        w.settings_action.trigger()
        w.settings.search.setText("Zoho Books")
        w.settings.view_details.click()
        w.settings.deny.click()
        await until(lambda: isinstance(w.flows.dialog, DenyDialog), what="Deny pop-up")
        deny = w.flows.dialog
        assert "keep every contact already in Zoho Campaigns" in deny.ui.effects.text().replace("\n", " ")
        assert deny.ui.keepHistory.isChecked()
        deny.go_ahead.click()
        await until(lambda: c.connection is None, what="disabled")
        assert w.stack.currentWidget() is w.services and w.services.first_start.isVisible()
        assert len(await c.call(c.service.runs)) == 2  # history kept

    run_in(scenario)


def test_disable_deleting_history(session, run_in):
    w, c = session.window, session.controller

    async def scenario():
        await associate_sandbox(w)
        w.active.add.click()
        wizard = w.flows.wizard
        await walk_wizard(w, wizard)
        next_to_mapping(wizard)
        wizard.button(FINISH).click()
        await accept_disclaimer(w)
        await until(lambda: c.last_outcome is not None and not c.running, what="first run")
        w.settings_action.trigger()
        w.settings.view_details.click()
        w.settings.deny.click()
        await until(lambda: isinstance(w.flows.dialog, DenyDialog), what="Deny pop-up")
        w.flows.dialog.ui.deleteHistory.setChecked(True)
        w.flows.dialog.go_ahead.click()
        await until(lambda: c.connection is None, what="disabled")
        assert await c.call(c.service.runs) == []

    run_in(scenario)


def test_different_owners_warn_and_ask_continue_anyway(loop, run_in):
    """R3 (issue 9): a different owner is a warning, not a refusal; No cancels, Yes connects."""
    server = start_sandbox(owner_email="someone.else@example.com")
    s = new_session()
    try:
        loop.run_until_complete(s.start(schedule=False))
        w, c = s.window, s.controller

        async def warned() -> QMessageBox:
            w.services.try_sandbox.click()
            await until(lambda: isinstance(w.flows.dialog, OrgChooser), what="organization pop-up")
            w.flows.dialog.proceed.click()
            await until(lambda: isinstance(w.flows.dialog, QMessageBox), what="the owner warning")
            box = w.flows.dialog
            assert box.informativeText() == "Continue anyway?"
            assert "someone.else@example.com" in box.text() and "owner@zylker-demo.com" in box.text()
            assert "may fail" in box.text()
            assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
            return box

        async def scenario():
            (await warned()).button(QMessageBox.StandardButton.No).click()
            await until(lambda: w.flows.dialog is None, what="warning closed")
            await until(lambda: "cancelled" in w.status.text(), what="cancelled")
            assert c.connection is None and w.last_error is None
            (await warned()).button(QMessageBox.StandardButton.Yes).click()
            await until(lambda: w.stack.currentWidget() is w.active, what="connected screen")

        run_in(scenario)
        assert w.last_error is None
        info = c.connection
        assert info is not None and info.owner_warning and "someone.else@example.com" in info.owner_warning
        assert "someone.else@example.com" in w.active.connected.text()  # the accepted warning stays in view
    finally:
        loop.run_until_complete(s.shutdown())
        server.stop()


def test_gui_thread_keeps_running_during_a_slow_run(loop, run_in):
    server = start_sandbox(customers=12, latency_ms=200)
    s = new_session()
    ticks: list[bool] = []
    heartbeat = QTimer()
    heartbeat.setInterval(20)
    heartbeat.timeout.connect(lambda: ticks.append(s.controller.running))
    try:
        loop.run_until_complete(s.start(schedule=False))
        w, c = s.window, s.controller

        async def scenario():
            await associate_sandbox(w)
            w.active.add.click()
            wizard = w.flows.wizard
            await walk_wizard(w, wizard)
            next_to_mapping(wizard)
            wizard.button(FINISH).click()
            await accept_disclaimer(w)
            await until(lambda: c.running, what="run started")
            heartbeat.start()
            await until(lambda: c.last_outcome is not None and not c.running, what="run finished")
            heartbeat.stop()

        run_in(scenario)
        during = sum(ticks)
        # each Sandbox call takes 200 ms, so a blocked GUI thread would let almost no tick through
        assert during >= 20, f"only {during} heartbeats while the run was going"
        assert c.last_outcome.status == "completed"
    finally:
        heartbeat.stop()
        loop.run_until_complete(s.shutdown())
        server.stop()
