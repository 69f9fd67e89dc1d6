"""Issue 9 in the window, on the real Sandbox: consent fields the API can (not) set, the GDPR question,
and a double opt-in list stopping the first run for the user's decision (banner, Awaiting column)."""

from __future__ import annotations

from datetime import UTC, datetime

from desktop_app.connectors.sandbox_admin import SandboxAdmin
from desktop_app.domain.settings import GDPR_QUESTION, NO_LAWFUL_BASIS_FIELD, NO_SUBSCRIPTION_FIELD
from desktop_app.gui.dialogs import DisclaimerDialog
from desktop_app.gui.history_model import ADDED, AWAITING, HEADERS, STATUS
from desktop_app.gui.wizard import ids
from tests.gui.sandbox_session import (
    FINISH,
    NEXT,
    accept_disclaimer,
    associate_sandbox,
    next_to_mapping,
    until,
    walk_wizard,
)


def test_without_consent_fields_marketing_only_and_the_gdpr_question(session, run_in):
    w, c = session.window, session.controller

    async def scenario():
        await associate_sandbox(w)
        w.active.add.click()
        wizard = w.flows.wizard
        await walk_wizard(w, wizard)

        # Subscription type: no Subscription Type field → Non-marketing disabled, the plain sentence
        page = wizard.subscription_page
        assert wizard.currentId() == ids.SUBSCRIPTION
        assert page.marketing.isChecked() and not page.non_marketing.isEnabled()
        assert page.note.isVisible() and page.note.text() == NO_SUBSCRIPTION_FIELD
        wizard.button(NEXT).click()
        assert wizard.currentId() == ids.TOPICS
        wizard.button(NEXT).click()

        # Lawful basis: no Lawful Basis field → the GDPR question, and why the basis cannot be set
        lawful = wizard.lawful_page
        assert wizard.currentId() == ids.LAWFUL_BASIS and lawful.asking
        assert lawful.question.text() == GDPR_QUESTION and lawful.note.text() == NO_LAWFUL_BASIS_FIELD
        assert lawful.note.isVisible() and not lawful.basis.isVisible()
        assert not wizard.button(NEXT).isEnabled()
        lawful.gdpr_no.setChecked(True)
        next_to_mapping(wizard, gdpr=False)
        settings = wizard.settings()
        assert settings.subscription_type.value == "marketing" and settings.gdpr is False
        assert settings.lawful_basis is None

        # the disclaimer counts them as Marketing and says why
        wizard.button(FINISH).click()
        await until(lambda: isinstance(w.flows.dialog, DisclaimerDialog), what="disclaimer")
        summary = w.flows.dialog.ui.summary.text()
        assert "as Marketing contacts" in summary and NO_SUBSCRIPTION_FIELD in summary
        w.flows.dialog.ui.buttons.accepted.emit()
        await until(lambda: c.last_outcome is not None and not c.running, what="first run")
        assert c.last_outcome.status == "completed"

        # the Configuration view says the same
        assert NO_SUBSCRIPTION_FIELD in w.detail.fields["Subscription type"].text()
        lawful_text = w.detail.fields["Lawful basis"].text()
        assert "GDPR compliance: off (your answer)" in lawful_text and NO_LAWFUL_BASIS_FIELD in lawful_text
        assert (await c.call(c.service.sync)).gdpr is False

    run_in(scenario)


def test_consent_fields_offer_non_marketing_and_the_bases(session, sandbox, run_in):
    SandboxAdmin(sandbox.url).config(consent_fields=True)
    w, c = session.window, session.controller

    async def scenario():
        await associate_sandbox(w)
        w.active.add.click()
        wizard = w.flows.wizard
        await walk_wizard(w, wizard)
        page = wizard.subscription_page
        assert page.non_marketing.isEnabled() and not page.note.isVisible()
        page.non_marketing.setChecked(True)
        wizard.button(NEXT).click()
        wizard.button(NEXT).click()
        lawful = wizard.lawful_page
        assert wizard.currentId() == ids.LAWFUL_BASIS and not lawful.asking
        assert lawful.basis.isVisible() and not lawful.question.isVisible()
        assert wizard.button(NEXT).isEnabled()  # "Not specified" is allowed
        lawful.basis.setCurrentIndex(lawful.basis.findData("consent"))
        next_to_mapping(wizard)
        settings = wizard.settings()
        assert settings.subscription_type.value == "non-marketing"
        assert settings.lawful_basis.value == "consent" and settings.gdpr is None
        wizard.button(FINISH).click()
        await until(lambda: isinstance(w.flows.dialog, DisclaimerDialog), what="disclaimer")
        assert "Non-marketing" in w.flows.dialog.ui.summary.text()
        assert NO_SUBSCRIPTION_FIELD not in w.flows.dialog.ui.summary.text()
        w.flows.dialog.ui.buttons.accepted.emit()
        await until(lambda: c.last_outcome is not None and not c.running, what="first run")
        assert c.last_outcome.status == "completed", c.last_outcome
        assert w.detail.fields["Subscription type"].text() == "Non-marketing"
        assert w.detail.fields["Lawful basis"].text() == "Consent"

    run_in(scenario)


def test_double_opt_in_list_banner_accept_and_choose_another_list(session, run_in):
    w, c = session.window, session.controller

    async def scenario():
        await associate_sandbox(w)
        w.active.add.click()
        wizard = w.flows.wizard
        await walk_wizard(w, wizard, list_name="Newsletter (double opt-in)")
        next_to_mapping(wizard)
        wizard.button(FINISH).click()
        await accept_disclaimer(w)
        await until(lambda: c.last_outcome is not None and not c.running, what="first run")
        assert c.last_outcome.status == "needs_decision", c.last_outcome
        assert "needs your decision" in w.status.text() and "double opt-in" in w.status.text()

        # the banner, and the history row with its Awaiting column
        detail = w.detail
        await until(lambda: detail.decision.isVisible(), what="decision banner")
        assert "confirmation email" in detail.decision_text.text()
        assert "Newsletter (double opt-in)" in detail.decision_text.text()
        assert "Awaiting" in HEADERS
        hm = detail.history_model
        await until(lambda: hm.rowCount() == 1, what="history row")
        assert hm.index(0, STATUS).data() == "Needs your decision"
        assert (hm.index(0, AWAITING).data(), hm.index(0, ADDED).data()) == ("1", "0")
        assert not await c.is_due(datetime.now(UTC))  # no scheduled run while the decision waits

        # Choose another list: Edit, opened at the list page
        detail.choose_list.click()
        chooser = w.flows.wizard
        assert chooser is not None and chooser.windowTitle() == "Edit Sync"
        assert chooser.currentId() == ids.LIST
        await until(lambda: chooser.list_page.lists.count() > 0, what="lists loaded")
        chooser.reject()
        await until(lambda: w.flows.wizard is None, what="wizard closed")

        # Accept double opt-in: the stored mode changes, the banner goes, the next run sends the rest
        detail.accept_opt_in.click()
        await until(lambda: c.sync.opt_in_mode == "double_accepted", what="accepted")
        assert (await c.call(c.service.sync)).opt_in_mode == "double_accepted"
        assert not detail.decision.isVisible()
        assert "accepted" in w.status.text()
        await w.flows.sync_now()
        assert c.last_outcome.status == "completed", c.last_outcome
        await until(lambda: hm.rowCount() == 2, what="second history row")
        assert int(hm.index(0, AWAITING).data()) > 1 and hm.index(0, ADDED).data() == "0"

    run_in(scenario)


def test_a_disclaimer_from_a_partial_books_read_says_its_counts_are_floors(qtbot):
    from desktop_app.app import InitiatePreview

    partial = DisclaimerDialog(InitiatePreview(5000, 4200, "marketing", True, complete=False))
    qtbot.addWidget(partial)
    text = partial.ui.summary.text()
    assert "at least 4,200 contacts" in text and "at least 5,000 customers" in text
    assert "Only the newest 5,000 customers were read" in text
    whole = DisclaimerDialog(InitiatePreview(1309, 1269, "marketing", True))
    qtbot.addWidget(whole)
    assert "add 1,269 contacts" in whole.ui.summary.text() and "at least" not in whole.ui.summary.text()
