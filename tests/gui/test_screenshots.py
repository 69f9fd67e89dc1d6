"""Screenshots of the real app on a small Sandbox, at a 1280×800 window: every screen, wizard page
and pop-up the README shows.

Under pytest they go to tmp_path (tests never dirty the checkout). To refresh the committed ones:
``DESKTOP_APP_SCREENSHOTS=docs/screenshots .venv/bin/python -m pytest -q tests/gui/test_screenshots.py``
(a relative folder is taken from the repository root).
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from desktop_app.gui.dialogs import DenyDialog, DisclaimerDialog, OrgChooser
from desktop_app.gui.mapping_model import BOOKS, NEW
from desktop_app.gui.pages.detail import CONFIGURATION, HISTORY
from desktop_app.gui.wizard import ids
from tests.gui.sandbox_session import FINISH, NEXT, flush_deletes, new_session, start_sandbox, until

ROOT = Path(__file__).resolve().parents[2]
ENV = "DESKTOP_APP_SCREENSHOTS"
WINDOW = (1280, 800)
WIZARD = (980, 680)
WIZARD_SHOTS = {
    ids.MODULE: "wizard-1-module", ids.LIST: "wizard-2-list", ids.SUBSCRIPTION: "wizard-3-subscription",
    ids.TOPICS: "wizard-4-topics", ids.LAWFUL_BASIS: "wizard-5-lawful-basis",
    ids.UPDATE_EMPTY: "wizard-6-update-empty", ids.SCHEDULE: "wizard-7-schedule", ids.MAPPING: "mapping-grid",
}
EXPECTED = {"sync-services", "associate", "org-chooser", "active-syncs", *WIZARD_SHOTS.values(), "disclaimer",
            "detail-configuration", "detail-history", "settings-apps", "deny-dialog"}


def output_folder(tmp_path: Path) -> Path:
    chosen = os.environ.get(ENV)
    folder = (ROOT / chosen if not Path(chosen).is_absolute() else Path(chosen)) if chosen else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_screenshots_of_every_screen(loop, qapp, tmp_path):
    folder = output_folder(tmp_path)
    # latency: each Sandbox call takes a moment, so the first run can be caught with its progress showing
    server = start_sandbox(customers=60, latency_ms=40)
    session = new_session()
    w, c = session.window, session.controller
    saved: dict[str, tuple[int, int]] = {}

    def shot(widget: QWidget, name: str) -> None:
        qapp.processEvents()
        image = widget.grab()
        assert image.save(str(folder / f"{name}.png")), name
        saved[name] = (image.width(), image.height())

    async def scenario() -> None:
        w.resize(*WINDOW)
        shot(w, "sync-services")  # first start: the Sandbox offer
        w.services.card.reveal(True)
        w.services.card.action.click()
        shot(w, "associate")
        w.associate.continue_.click()
        await until(lambda: isinstance(w.flows.dialog, OrgChooser), what="organization pop-up")
        shot(w.flows.dialog, "org-chooser")
        w.flows.dialog.proceed.click()
        await until(lambda: w.stack.currentWidget() is w.active, what="connected screen")
        shot(w, "active-syncs")

        w.active.add.click()
        wizard = w.flows.wizard
        wizard.resize(*WIZARD)
        for page_id, name in WIZARD_SHOTS.items():
            await until(lambda p=page_id: wizard.currentId() == p, what=name)
            if page_id == ids.LIST:
                page = wizard.list_page
                await until(lambda p=page: p.lists.count() > 0, what="lists loaded")
                if not page.selected():
                    page.lists.setCurrentRow(0)
            elif page_id == ids.SUBSCRIPTION:
                wizard.subscription_page.marketing.setChecked(True)
            elif page_id == ids.TOPICS:
                topics = wizard.topics_page.topics
                topics.item(0).setCheckState(topics.item(0).checkState().Checked)
            elif page_id == ids.LAWFUL_BASIS:
                lawful = wizard.lawful_page
                if lawful.asking:  # no Lawful Basis field (the Sandbox's default, as documented)
                    lawful.gdpr_yes.setChecked(True)
                else:
                    lawful.basis.setCurrentIndex(lawful.basis.findData("consent"))
            elif page_id == ids.SCHEDULE:
                sched = wizard.schedule_page
                sched.preset.setCurrentIndex(sched.preset.findData("every-4h"))
            elif page_id == ids.MAPPING:
                model = wizard.mapping_page.model
                wizard.mapping_page.grid.add_button.click()
                row = model.rowCount() - 1
                model.setData(model.index(row, BOOKS), "billing_address.city")
                # as a user would: leave the Campaigns cell (closing its editor), then tick New field
                wizard.mapping_page.grid.view.setCurrentIndex(model.index(row, NEW))
                model.setData(model.index(row, NEW), 2, 10)  # CheckStateRole, as the view sends it
            shot(wizard, name)
            if page_id != ids.MAPPING:
                wizard.button(NEXT).click()

        wizard.button(FINISH).click()
        await until(lambda: isinstance(w.flows.dialog, DisclaimerDialog), what="disclaimer")
        shot(w.flows.dialog, "disclaimer")
        w.flows.dialog.ui.buttons.accepted.emit()
        # the run in progress if we catch it, else the finished run
        await until(lambda: (c.running and w.detail.bar.value() > 0) or c.last_outcome is not None,
                    what="run progress")
        shot(w, "detail-configuration")
        await until(lambda: c.last_outcome is not None and not c.running, what="first run")

        assert await w.flows.simulate() == 5
        await w.flows.sync_now()
        await until(lambda: len(c.runs) == 2 and not c.running, what="second run")
        assert c.runs[0].counts.updated > 0  # the history shows a run with updates
        w.show_detail(HISTORY)
        shot(w, "detail-history")
        w.detail.tabs.setCurrentIndex(CONFIGURATION)

        w.settings_action.trigger()
        w.settings.search.setText("Zoho Books")
        w.settings.view_details.click()
        shot(w, "settings-apps")
        w.settings.deny.click()
        await until(lambda: isinstance(w.flows.dialog, DenyDialog), what="Deny pop-up")
        shot(w.flows.dialog, "deny-dialog")
        w.flows.dialog.reject()
        await until(lambda: w.flows.dialog is None, what="Deny closed")

    try:
        loop.run_until_complete(session.start(schedule=False))
        loop.run_until_complete(scenario())
    finally:
        loop.run_until_complete(session.shutdown())
        flush_deletes()
        server.stop()

    assert set(saved) == EXPECTED
    for name, size in saved.items():
        image = QImage(str(folder / f"{name}.png"))
        assert (image.width(), image.height()) == size and not image.isNull(), name
    for name in ("sync-services", "active-syncs", "detail-configuration", "detail-history"):
        assert saved[name] == WINDOW, name
