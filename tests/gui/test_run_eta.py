"""The detail view says when a run should finish (R40), and the disclaimer says it before the first run."""

from __future__ import annotations

from desktop_app.app import InitiatePreview
from desktop_app.domain.counts import RunCounts
from desktop_app.domain.run import Phase
from desktop_app.engine.progress import Progress
from desktop_app.gui.dialogs import DisclaimerDialog
from desktop_app.gui.pages.detail import DetailPage

SENTENCE = "about 89,000 writes; Zoho allows 75,000 a day: finishes tomorrow around 10:40"


def test_the_progress_row_shows_the_estimate_and_hides_it_when_the_run_ends(qtbot):
    page = DetailPage()
    qtbot.addWidget(page)
    page.show()
    page.set_running(True)
    page.show_progress(Progress(1, Phase.WRITING, 600, None, RunCounts(added=600), read=800,
                                eta_text=SENTENCE))
    assert page.eta.isVisible() and page.eta.text() == "A" + SENTENCE[1:] + "."
    page.show_progress(Progress(1, Phase.WRITING, 650, None, RunCounts(added=650)))
    assert not page.eta.isVisible()
    page.show_progress(Progress(1, Phase.WRITING, 700, None, RunCounts(added=700), eta_text=SENTENCE))
    page.set_running(False)
    assert not page.eta.isVisible()


def test_the_disclaimer_carries_the_first_sync_s_estimate(qtbot):
    dialog = DisclaimerDialog(InitiatePreview(100_000, 89_000, "marketing", True, True, 89_000,
                                              "At Zoho's API limits: " + SENTENCE + "."))
    qtbot.addWidget(dialog)
    assert dialog.ui.summary.text().endswith("At Zoho's API limits: " + SENTENCE + ".")
