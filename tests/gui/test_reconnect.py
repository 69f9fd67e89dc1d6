"""R42 in the window: a revoked sign-in shows the Reconnect banner; Reconnect signs in again to the
same organization, keeps the sync and its history, and the next run completes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import requests

from desktop_app.domain import mapping as dmapping
from desktop_app.domain.schedule import Schedule
from desktop_app.domain.settings import SubscriptionType, SyncSettings
from tests.gui.sandbox_session import associate_sandbox, until


def _revoke(svc, url: str) -> None:
    conn = svc.require_connection()
    refresh = svc.secrets.get(conn.secret_key)
    resp = requests.post(f"{url}/oauth/v2/token/revoke", params={"token": refresh}, timeout=30)
    assert resp.json().get("status") == "success", resp.text


def test_banner_reconnect_keeps_the_sync_and_history(session, sandbox, run_in):
    w, c = session.window, session.controller

    async def flow():
        await associate_sandbox(w)
        assert w.reconnect_banner.isHidden()
        lists = await c.call(c.service.lists)
        chosen = next(m for m in lists if m.name == "Books customers")
        settings = SyncSettings(list_key=chosen.key, list_name=chosen.name,
                                subscription_type=SubscriptionType.MARKETING, topic_ids=(), lawful_basis=None,
                                update_empty=False, schedule=Schedule.default(), gdpr=False)
        await c.save_sync(settings, list(dmapping.default_mapping()), editing=False)
        assert (await c.run_now()).status == "completed"
        org_id, sync_id = c.connection.org_id, c.sync.id

        await c.call(_revoke, c.service, sandbox.url)
        failed = await c.run_now()
        assert failed.status == "failed" and "reconnect" in failed.error.lower()
        await until(lambda: not w.reconnect_banner.isHidden(), what="the reconnect banner")
        assert w.reconnect_text.text() == "The Zoho sign-in has expired — Reconnect"
        # Scheduled runs pause until then (the window's scheduler asks is_due).
        assert not await c.is_due(datetime.now(UTC) + timedelta(days=30))

        w.reconnect_button.click()
        await until(lambda: w.reconnect_banner.isHidden(), what="the banner to go")
        assert "Reconnected" in w.status.text()
        assert c.connection.org_id == org_id and not c.connection.needs_reconnect
        assert c.sync is not None and c.sync.id == sync_id
        assert [r.status for r in c.runs] == ["failed", "completed"]

        done = await c.run_now()
        assert done.status == "completed"
        # The failed run is continued, not replaced: one row, completed, saying it was interrupted.
        assert [r.status for r in c.runs] == ["completed", "completed"]
        assert any(n.startswith("Interrupted at") for n in c.runs[0].notes)

    run_in(flow)
