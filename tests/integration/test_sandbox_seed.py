"""The seeded demo data: deterministic, with every awkward case a sync must meet; state file reuse."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
import requests

from desktop_app.domain import emails
from desktop_app.domain.skips import SkipReason
from desktop_app.sandbox import SandboxServer
from tests.integration.connector_helpers import admin_headers

from .conftest import get_tokens


def dump(path: Path) -> list:
    db = sqlite3.connect(path)
    try:
        return [db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
                for t in ("customers", "camp_lists", "camp_contacts", "camp_members", "camp_fields", "camp_topics")]
    finally:
        db.close()


def seeded(path: Path, **kwargs) -> Path:
    SandboxServer(path, **kwargs).stop()
    return path


def test_same_seed_same_data_other_seed_other_data(tmp_path, sandbox_templates):
    a = dump(seeded(tmp_path / "a.db", customers=300, seed=7))
    assert a == dump(seeded(tmp_path / "b.db", customers=300, seed=7))
    assert a[0] != dump(seeded(tmp_path / "c.db", customers=300, seed=8))[0]


def test_customers_cover_the_awkward_cases(sandbox_templates):
    db = sqlite3.connect(sandbox_templates(1500, 42))
    rows = db.execute("SELECT email, contact_name, status, custom_json, persons_json FROM customers").fetchall()
    assert len(rows) == 1500
    problems = [emails.check(r[0]).problem for r in rows]
    assert problems.count(SkipReason.NO_EMAIL) > 20
    assert problems.count(SkipReason.INVALID_EMAIL) > 10
    assert problems.count(SkipReason.ROLE_EMAIL) > 10
    by_key: dict[str, set[str]] = {}
    for r in rows:
        if r[0]:
            by_key.setdefault(emails.identity(r[0]), set()).add(r[0])
    dups = [v for v in by_key.values() if len(v) > 1]
    assert dups, "duplicates differing in case/whitespace"
    assert any(not r[1].isascii() for r in rows)
    assert sum(r[2] == "inactive" for r in rows) > 50
    assert any(r[3] == "{}" for r in rows) and any("cf_segment" in r[3] for r in rows)
    assert any(r[4].count("contact_person_id") >= 3 for r in rows)


def test_campaigns_account_has_lists_topics_gdpr_and_bad_states_among_books_customers(sandbox_templates):
    db = sqlite3.connect(sandbox_templates(1500, 42))
    assert db.execute("SELECT COUNT(*) FROM camp_lists").fetchone()[0] >= 3
    assert db.execute("SELECT COUNT(*) FROM camp_topics").fetchone()[0] >= 3
    books = {emails.identity(r[0]) for r in db.execute("SELECT email FROM customers WHERE email<>''")}
    for state in ("unsub", "bounce", "spam", "dnm"):
        keys = {r[0] for r in db.execute("SELECT email_key FROM camp_contacts WHERE status=?", (state,))}
        assert keys & books, state


def test_state_file_is_reused_unless_reset_or_other_seed_parameters(tmp_path):
    path = tmp_path / "s.db"
    with SandboxServer(path, customers=200, limits="off") as srv:
        added = requests.post(f"{srv.url}/_sandbox/customers",
                              headers=admin_headers(srv), json={"contact_name": "Kept"}, timeout=10).json()
    with SandboxServer(path, customers=200) as srv:
        assert requests.get(f"{srv.url}/_sandbox/customers/{added['contact_id']}",
                            headers=admin_headers(srv), timeout=10).status_code == 200
    with SandboxServer(path, customers=None, seed=None) as srv:  # "whatever the file has"
        assert requests.get(f"{srv.url}/_sandbox/customers/{added['contact_id']}",
                            headers=admin_headers(srv), timeout=10).status_code == 200
    with SandboxServer(path, customers=200, reset=True) as srv:
        assert requests.get(f"{srv.url}/_sandbox/customers/{added['contact_id']}",
                            headers=admin_headers(srv), timeout=10).status_code == 404
    with SandboxServer(path, customers=250) as srv:
        assert requests.get(f"{srv.url}/_sandbox/stats",
                            headers=admin_headers(srv), timeout=10).json()["customers"]["total"] == 250


def test_owner_knob_makes_campaigns_owner_differ(tmp_path):
    with SandboxServer(tmp_path / "o.db", customers=50, owner_email="someone.else@example.com") as srv:
        auth = {"Authorization": f"Zoho-oauthtoken {get_tokens(srv)['access_token']}"}
        org = requests.get(f"{srv.url}/books/v3/organizations", headers=auth, timeout=10).json()
        lists = requests.get(f"{srv.url}/api/v1.1/getmailinglists", headers=auth, params={"resfmt": "JSON"},
                             timeout=10).json()
        assert org["organizations"][0]["email"] == "owner@zylker-demo.com"
        assert {d["owner"] for d in lists["list_of_details"]} == {"someone.else@example.com"}
        info = requests.get(f"{srv.url}/oauth/user/info", headers=auth, timeout=10).json()
        assert info["Email"] == "someone.else@example.com"


def test_start_stop_in_process(tmp_path):
    srv = SandboxServer(tmp_path / "t.db", customers=20)
    with pytest.raises(RuntimeError):
        _ = srv.url
    srv.start()
    url = srv.url
    assert srv.port > 0 and requests.get(f"{url}/_sandbox/health",
                                         headers=admin_headers(srv), timeout=10).json()["ok"] is True
    with pytest.raises(RuntimeError):
        srv.start()
    srv.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/_sandbox/health", timeout=2)
    srv.stop()  # twice is harmless


@pytest.mark.slow
def test_seed_100k_customers_timed(tmp_path):
    start = time.perf_counter()
    SandboxServer(tmp_path / "big.db", customers=100_000).stop()
    print(f"\nseeded 100,000 customers in {time.perf_counter() - start:.1f} s")
    db = sqlite3.connect(tmp_path / "big.db")
    assert db.execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 100_000


def test_a_state_file_from_before_signup_forms_and_scopes_is_upgraded_in_place(tmp_path):
    path = seeded(tmp_path / "old.db", customers=60)
    db = sqlite3.connect(path)
    db.execute("DELETE FROM camp_lists WHERE listname='Newsletter (double opt-in)'")
    db.execute("ALTER TABLE camp_lists DROP COLUMN signup_form")
    db.execute("ALTER TABLE tokens DROP COLUMN scopes")
    db.execute("INSERT INTO meta (key, value) VALUES ('settings', '{\"gdpr\": true}')")
    db.commit()
    db.close()
    with SandboxServer(path, customers=60) as srv:
        stats = requests.get(f"{srv.url}/_sandbox/stats", headers=admin_headers(srv), timeout=10).json()
        optin = [s for s in stats["lists"] if s["signup_form"]]
        assert [s["listname"] for s in optin] == ["Newsletter (double opt-in)"]
        assert stats["customers"]["total"] == 60  # not re-seeded
        assert stats["config"]["consent_fields"] is True and "gdpr" not in stats["config"]
        assert "access_token" in get_tokens(srv)
