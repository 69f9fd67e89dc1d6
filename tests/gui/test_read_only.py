"""Issue 10 item 7 in the window: a read-only database still shows the sync, its history and
notifications; anything that would write (Run now, Pause) says the database is read-only in one
sentence instead of "Something went wrong", and nothing is lost.

When the tests run as root, chmod 0444 does not stop writes, so the database is then also told its
file is not writable (the open itself is still SQLite's real read-only mode).
"""

from __future__ import annotations

import os

from desktop_app import config
from desktop_app.domain import mapping as dmapping
from desktop_app.domain.schedule import Schedule
from desktop_app.domain.settings import SubscriptionType, SyncSettings
from desktop_app.store import db as store_db
from tests.gui.sandbox_session import flush_deletes, new_session, until


def _prepare() -> None:
    """Connect, create a sync and run it once, the way a user did before the disk turned read-only."""
    from desktop_app.app import AppService

    with AppService(config.app_paths()) as svc:
        org = svc.sign_in_sandbox()[0]
        svc.choose_organization(org.org_id)
        chosen = next(m for m in svc.lists() if m.name == "Books customers")
        settings = SyncSettings(list_key=chosen.key, list_name=chosen.name,
                                subscription_type=SubscriptionType.MARKETING, topic_ids=(), lawful_basis=None,
                                update_empty=False, schedule=Schedule.default(), gdpr=False)
        svc.create_sync(settings, list(dmapping.default_mapping()))
        assert svc.run_sync().status == "completed"


def test_the_window_reads_a_read_only_database(loop, sandbox, monkeypatch):
    _prepare()
    paths = config.app_paths()
    before = paths.db_path.read_bytes()
    os.chmod(paths.db_path, 0o444)
    if os.geteuid() == 0:  # root writes through 0444: tell the check what a user would meet
        monkeypatch.setattr(store_db, "_is_read_only", lambda path: path == paths.db_path)
    session = new_session()
    try:
        loop.run_until_complete(session.start(schedule=False))
        w, c = session.window, session.controller

        async def flow():
            await until(lambda: c.sync is not None and len(c.runs) == 1, what="the sync and its history")
            assert w.stack.currentWidget() is w.detail
            assert w.detail.history_model.rowCount() == 1 and c.runs[0].status == "completed"
            assert "read-only" in w.status.text() and w.last_error is None  # said once, no dialog

            for button in (w.detail.sync_now, w.detail.pause):  # each would write: one sentence each
                w.last_error = None
                button.click()
                await until(lambda: w.last_error is not None, what=f"the answer to {button.text()}")
                title, message = w.last_error
                assert "read-only" in message and str(paths.db_path) in message, message
                assert title != "Something went wrong"
                await until(lambda: not c.running, what="the job to end")
            assert c.sync is not None and not c.sync.paused and len(c.runs) == 1

        loop.run_until_complete(flow())
    finally:
        loop.run_until_complete(session.shutdown())
        flush_deletes()
        os.chmod(paths.db_path, 0o600)
    # Nothing was written (nor lost) while the file was read-only.
    assert paths.db_path.read_bytes() == before
