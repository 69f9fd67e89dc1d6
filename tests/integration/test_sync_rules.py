"""The sync's rules, end to end on the Sandbox (SPEC R13, R15, R18–R25)."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta

from desktop_app.app import AppService
from desktop_app.connectors.limiter import Limiter
from desktop_app.domain import emails
from desktop_app.engine.progress import CancelToken
from tests.integration.sync_helpers import (
    connect_and_create,
    history,
    list_key,
    members,
    run_cli,
)


def skipped_rows(tmp_path, run_id: int | None = None) -> list[list[str]]:
    out = tmp_path / "skipped.csv"
    argv = ["export-skipped", *([str(run_id)] if run_id else []), "--out", str(out)]
    assert run_cli(*argv) == 0
    return list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))[1:]


def test_every_skip_reason_and_suppressed_contacts_are_never_resubscribed(app_sandbox, admin, capsys, tmp_path):
    # Contacts that are unsubscribed / bounced / spam / do-not-mail anywhere in the account.
    before = {c["email"].casefold(): c["status"] for c in admin.list_contacts(_newsletter(admin))}
    suppressed_before = {e for e, s in before.items() if s != "active"}
    assert suppressed_before, "the seed should hold suppressed contacts"

    connect_and_create(capsys)
    run = history(capsys)[0]
    reasons = {row[3] for row in skipped_rows(tmp_path)}
    assert {"no_email", "invalid_email", "role_email", "duplicate_in_org"} <= reasons
    assert reasons & {"unsubscribed", "bounced", "spam_complaint", "do_not_mail"}
    assert run["counts"]["skipped"] == len(skipped_rows(tmp_path))

    in_list = members(admin, list_key(capsys))
    assert not (set(in_list) & suppressed_before), "a suppressed contact was put in the list"
    # Their state in the account did not change either.
    after = {c["email"].casefold(): c["status"] for c in admin.list_contacts(_newsletter(admin))}
    assert {e: after[e] for e in suppressed_before} == {e: before[e] for e in suppressed_before}


def _newsletter(admin) -> str:
    return _list_by_name(admin, "Newsletter")


def _list_by_name(admin, name: str) -> str:
    return next(item["listkey"] for item in admin.stats()["lists"] if item["listname"] == name)


def test_duplicates_first_by_contact_id_wins(app_sandbox, admin, capsys, tmp_path):
    a = admin.add_customer(contact_name="Dup One", first_name="Dup", last_name="One",
                           email="Dup.Person@Example.org")
    b = admin.add_customer(contact_name="Dup Two", first_name="Dup", last_name="Two",
                           email="  dup.person@example.org ")
    first, second = sorted([a, b], key=lambda c: int(c["contact_id"]))
    connect_and_create(capsys)
    rows = {r[0]: r for r in skipped_rows(tmp_path)}
    assert second["contact_id"] in rows and rows[second["contact_id"]][3] == "duplicate_in_org"
    assert first["contact_id"] not in rows
    contact = members(admin, list_key(capsys))["dup.person@example.org"]
    assert contact["fields"]["Last Name"] == first["last_name"]


def test_incremental_after_changes_reads_one_page_and_writes_only_changes(app_sandbox, admin, capsys):
    connect_and_create(capsys)
    mark = admin.last_call_number()
    assert run_cli("sync", "run") == 0  # nothing changed: nothing written
    calls = admin.calls(since=mark)
    assert not [c for c in calls if c["path"].endswith("json/listsubscribe")]
    assert len([c for c in calls if c["service"] == "books"]) == 1
    run = history(capsys)[0]
    assert run["kind"] == "incremental" and run["counts"]["added"] + run["counts"]["updated"] == 0


def test_update_empty_off_keeps_and_on_clears_campaigns_values(app_sandbox, admin, capsys):
    customer = admin.add_customer(contact_name="Ema Empty", first_name="Ema", last_name="Empty",
                                  email="ema.empty@example.net", phone="+44 20 7946 0000")
    connect_and_create(capsys, "--map", "phone=Phone")
    key = list_key(capsys)
    assert members(admin, key)["ema.empty@example.net"]["fields"]["Phone"] == "+44 20 7946 0000"

    admin.edit_customer(customer["contact_id"], phone="")
    assert run_cli("sync", "run") == 0
    assert members(admin, key)["ema.empty@example.net"]["fields"]["Phone"] == "+44 20 7946 0000"

    assert run_cli("sync", "edit", "--update-empty") == 0
    assert run_cli("sync", "run") == 0
    assert "Phone" not in members(admin, key)["ema.empty@example.net"]["fields"]
    assert history(capsys)[0]["kind"] == "full"  # an update-empty change re-reads everything


def test_email_change_updates_the_linked_contact_and_reports_the_old_address(app_sandbox, admin, capsys):
    customer = admin.add_customer(contact_name="Max Mover", first_name="Max", last_name="Mover",
                                  email="max@old.example.com")
    connect_and_create(capsys)
    admin.edit_customer(customer["contact_id"], email="max@new.example.com")
    assert run_cli("sync", "run") == 0
    run = history(capsys)[0]
    assert run["counts"]["updated"] == 1 and run["counts"]["added"] == 0
    assert any("max@old.example.com" in note and "max@new.example.com" in note for note in run["notes"])
    assert "max@new.example.com" in members(admin, list_key(capsys))


def test_subscription_type_topics_and_lawful_basis_go_to_added_contacts(app_sandbox, admin, capsys):
    admin.config(consent_fields=True)  # the account exposes "Subscription Type" and "Lawful Basis" fields
    assert run_cli("connect", "sandbox") == 0
    capsys.readouterr()
    assert run_cli("topics", "--json") == 0
    topics = [t["id"] for t in json.loads(capsys.readouterr().out)][:2]
    assert len(topics) == 2
    topic_args = [arg for t in topics for arg in ("--topic", t)]
    assert run_cli("sync", "create", "--list", "Books customers", "--lawful-basis", "contract", "--yes",
                   "--no-run", *topic_args) == 0
    assert run_cli("sync", "edit", "--subscription", "non-marketing") == 0
    assert run_cli("sync", "run") == 0
    contacts = list(members(admin, list_key(capsys)).values())
    assert contacts
    assert {c["subscription_type"] for c in contacts} == {"Non-marketing"}
    assert {c["lawful_basis"] for c in contacts} == {"Contract"}
    assert all(set(c["topics"]) >= set(topics) for c in contacts)
    # Contacts the sync created carry its source; ones already in the account keep theirs.
    assert "Zoho Books sync (desktop-app)" in {c["source"] for c in contacts}


def test_new_field_is_created_once_before_the_first_write(app_sandbox, admin, capsys):
    connect_and_create(capsys, "--map", "cf_region=Region:new", run=False)
    assert run_cli("sync", "run") == 0
    assert run_cli("sync", "run", "--full") == 0
    calls = admin.calls()
    creates = [c for c in calls if c["path"].endswith("custom/add")]
    assert len(creates) == 1
    first_write = next(c["n"] for c in calls if c["path"].endswith("json/listsubscribe"))
    assert creates[0]["n"] < first_write
    with_region = [c for c in members(admin, list_key(capsys)).values() if c["fields"].get("Region")]
    assert with_region


def test_plan_limit_skips_the_rest_with_its_reason(app_sandbox, admin, capsys, tmp_path):
    existing = sum(admin.stats()["campaigns_contacts"].values())
    admin.config(plan_contact_limit=existing + 25)
    connect_and_create(capsys)
    run = history(capsys)[0]
    assert run["status"] == "completed"
    rows = skipped_rows(tmp_path)
    assert sum(1 for r in rows if r[3] == "plan_limit") > 900
    assert 25 <= run["counts"]["added"] < 300


def test_one_unknown_code_for_every_contact_fails_the_run_and_skips_nobody(app_sandbox, admin, capsys, tmp_path):
    admin.config(contract="strict")  # a lenient reading ignores an unknown contactinfo key
    connect_and_create(capsys, run=False)
    # A mapping Campaigns cannot take (a field that does not exist there), written behind the
    # validation's back, as if the field had been deleted in Campaigns after the sync was made.
    from sqlalchemy import update

    from desktop_app.store.models import FieldMapping

    with AppService() as svc, svc.db.session() as s:
        s.execute(update(FieldMapping).where(FieldMapping.books_field == "last_name")
                  .values(campaigns_field="Deleted Field"))
    mark = admin.last_call_number()
    assert run_cli("sync", "run") == 1
    run = history(capsys)[0]
    assert run["status"] == "failed" and "910" in run["error"], run
    # Not the contacts' fault: none is skipped as rejected, and the run stopped after five tries.
    assert not [r for r in skipped_rows(tmp_path) if r[3] == "rejected"]
    writes = [c for c in admin.calls(since=mark) if c["path"].endswith("json/listsubscribe")]
    assert len(writes) == 5


def test_faults_at_ten_percent_still_complete_with_nothing_lost(app_sandbox, admin, capsys):
    connect_and_create(capsys, run=False)
    admin.faults(kind="5xx", rate=0.1)
    assert run_cli("sync", "run") == 0
    admin.clear_faults()
    run = history(capsys)[0]
    assert run["status"] == "completed" and run["counts"]["total"] == 1500
    assert run["counts"]["added"] == len(members(admin, list_key(capsys)))
    assert sum(admin.stats()["faults_injected"].values()) > 10


def test_cancel_stops_at_a_batch_boundary_and_the_next_run_finishes(app_sandbox, admin, capsys):
    connect_and_create(capsys, run=False)
    cancel = CancelToken()
    seen = []

    def progress(p):
        seen.append(p)
        if p.phase == "writing" and p.done >= 100:
            cancel.cancel()

    with AppService() as svc:
        outcome = svc.run_sync(progress=progress, cancel=cancel)
    assert outcome.status == "cancelled"
    assert outcome.counts.total % 50 == 0 and 100 <= outcome.counts.total < 1500
    assert run_cli("sync", "run") == 0
    last = history(capsys)[0]
    assert last["status"] == "completed"
    key = list_key(capsys)
    assert len(members(admin, key)) == outcome.counts.added + last["counts"]["added"]


def test_daily_cap_defers_and_the_next_run_resumes_from_the_checkpoint(app_sandbox, admin, capsys):
    # One Books call per customer (a detail-only field) on a Free plan's 1,000-call day.
    connect_and_create(capsys, "--map", "billing_address.city=City", run=False)
    limiter = Limiter(scale=1000, books_plan="free")
    with AppService(limiter=limiter) as svc:
        outcome = svc.run_sync()
    assert outcome.status == "deferred" and outcome.resume_at is not None
    assert "daily" in outcome.error.lower()
    # Before the window resets the run waits (exit 3) and spends no call.
    mark = admin.last_call_number()
    assert run_cli("sync", "run") == 3
    assert not [c for c in admin.calls(since=mark) if c["service"] in ("books", "campaigns")]
    # After it resets, the same run continues from its checkpoint, not from page 1.
    from sqlalchemy import update

    from desktop_app.store.models import Run

    with AppService() as svc, svc.db.session() as s:
        s.execute(update(Run).values(resume_at=datetime.now(UTC) - timedelta(minutes=1)))
    mark = admin.last_call_number()
    assert run_cli("sync", "run") == 0
    pages = [int(c["params"]["page"]) for c in admin.calls(since=mark)
             if c["service"] == "books" and c["path"].endswith("/contacts") and "page" in c["params"]]
    assert pages and min(pages) > 1
    runs = history(capsys)
    assert len(runs) == 1, "a deferred run is resumed, not started again"
    assert runs[0]["status"] == "completed" and runs[0]["counts"]["total"] == 1500


def test_same_sync_twice_and_missing_connection_are_refused(app_sandbox, capsys):
    assert run_cli("sync", "run") == 2
    assert "connect" in capsys.readouterr().err.lower()
    connect_and_create(capsys, run=False)
    assert run_cli("sync", "create", "--list", "Books customers", "--yes") == 2
    assert "already exists" in capsys.readouterr().err
    assert run_cli("connect", "sandbox") == 2
    assert "disable" in capsys.readouterr().err.lower()


def test_gdpr_off_refuses_a_lawful_basis(app_sandbox, admin, capsys):
    admin.config(gdpr=False)
    assert run_cli("connect", "sandbox") == 0
    assert run_cli("sync", "create", "--list", "Books customers", "--lawful-basis", "consent", "--yes") == 2
    assert "GDPR" in capsys.readouterr().err


def test_different_owner_emails_are_a_warning_naming_both(app_sandbox, admin, capsys):
    admin.config(campaigns_owner_email="someone.else@example.com")
    assert run_cli("connect", "sandbox") == 0  # R3: Zoho cannot confirm the Campaigns owner, so never refused
    captured = capsys.readouterr()
    said = captured.out + captured.err
    assert "someone.else@example.com" in said and "owner@zylker-demo.com" in said and "may fail" in said


def test_disable_keeps_or_deletes_history(app_sandbox, admin, capsys):
    connect_and_create(capsys)
    assert run_cli("disable") == 2  # needs --yes
    assert run_cli("disable", "--yes") == 0
    assert len(history(capsys)) == 1
    assert run_cli("status") == 0 and "Not connected" in capsys.readouterr().out
    connect_and_create(capsys)
    assert run_cli("disable", "--yes", "--delete-history") == 0
    assert history(capsys) == []
    assert emails.identity("x@y.zz")  # the contacts stay in Campaigns
    assert members(admin, _list_by_name(admin, "Books customers"))


def test_pause_stops_a_running_run_and_scheduled_runs(app_sandbox, admin, capsys):
    connect_and_create(capsys, run=False)

    def progress(p):
        if p.phase == "writing" and p.done >= 100:
            with AppService() as other:  # as Pause Sync in the window, or `sync pause` in a terminal
                other.pause()

    with AppService() as svc:
        outcome = svc.run_sync(progress=progress)
    assert outcome.status == "cancelled" and outcome.counts.total < 1500
    capsys.readouterr()
    assert run_cli("sync", "run", "--if-due") == 0
    assert "paused" in capsys.readouterr().out
    assert len(history(capsys)) == 1
    assert run_cli("sync", "resume") == 0
    assert run_cli("sync", "run", "--if-due") == 0
    assert "Not due yet" in capsys.readouterr().out  # the schedule's next slot is tomorrow
    # A slot that passed while the sync was paused runs at once after Resume (R25).
    from sqlalchemy import update

    from desktop_app.store.models import Sync

    assert run_cli("sync", "pause") == 0
    with AppService() as svc, svc.db.session() as s:
        s.execute(update(Sync).values(next_run_at=datetime.now(UTC) - timedelta(hours=1)))
    assert run_cli("sync", "run", "--if-due") == 0
    assert len(history(capsys)) == 1
    assert run_cli("sync", "resume") == 0
    assert run_cli("sync", "run", "--if-due") == 0
    runs = history(capsys)
    assert len(runs) == 2 and runs[0]["status"] == "completed" and runs[0]["trigger"] == "scheduled"


def test_invalid_mapping_is_refused_with_the_row_and_reason(app_sandbox, capsys):
    assert run_cli("connect", "sandbox") == 0
    capsys.readouterr()
    # Zoho documents no field types (contact/allfields), so a type clash cannot be seen; a field the
    # account does not have, and a field mapped twice, can.
    code = run_cli("sync", "create", "--list", "Books customers", "--yes", "--map", "created_time=No Such Field",
                   "--map", "company_name=Phone", "--map", "phone=Phone")
    assert code == 2
    err = capsys.readouterr().err
    assert "Row 4" in err and "No Such Field" in err and "Row 6" in err and "Phone" in err
    assert run_cli("sync", "create", "--list", "No such list", "--yes") == 2
    assert "Books customers" in capsys.readouterr().err  # names the lists there are


def test_connect_zoho_with_a_self_client_code_through_url_overrides(sandbox_factory, capsys, monkeypatch):
    """R6 + the headless Zoho path: the same live code talks to any compatible server.

    The Zoho path keeps Zoho's real limits (7.5 writes/s), so this Sandbox is small.
    """
    from desktop_app import config
    from desktop_app.connectors.sandbox_admin import SandboxAdmin

    app_sandbox = sandbox_factory(customers=60)
    admin = SandboxAdmin(app_sandbox.url)

    monkeypatch.setenv(config.ENV_ACCOUNTS_URL, app_sandbox.url)
    monkeypatch.setenv(config.ENV_BOOKS_URL, app_sandbox.endpoints.books)
    monkeypatch.setenv(config.ENV_CAMPAIGNS_URL, app_sandbox.endpoints.campaigns)
    monkeypatch.setenv(config.ENV_CLIENT_SECRET, config.SANDBOX_CLIENT_SECRET)
    code = admin.selfclient_code()
    assert run_cli("connect", "zoho", "--dc", "eu", "--client-id", config.SANDBOX_CLIENT_ID, "--code", code) == 0
    out = capsys.readouterr().out
    assert "Connected" in out and "Sandbox" not in out
    assert run_cli("sync", "create", "--list", "Books customers", "--yes") == 0
    assert history(capsys)[0]["status"] == "completed"
    # The secret and tokens live in the secret store, never in the database.
    db_bytes = config.app_paths().db_path.read_bytes()
    assert config.SANDBOX_CLIENT_SECRET.encode() not in db_bytes


def _skipped_counts() -> tuple[int, int]:
    from sqlalchemy import func, select

    from desktop_app.store.models import SkippedRecord

    with AppService() as svc, svc.db.session() as s:
        return (s.scalar(select(func.count()).select_from(SkippedRecord)) or 0,
                s.scalar(select(func.count(func.distinct(SkippedRecord.books_contact_id)))) or 0)


def test_a_campaigns_lock_mid_batch_defers_and_the_resume_counts_each_customer_once(app_sandbox, admin, capsys):
    connect_and_create(capsys, run=False)
    # Someone else spends the quota: our limiter is off, the Sandbox's limits are on (10× faster),
    # so listsubscribe's window breaks and Campaigns locks it (30 min / 10 = 3 min).
    admin.config(limits="scale=10")
    with AppService(limiter=Limiter(enabled=False)) as svc:
        outcome = svc.run_sync()
    assert outcome.status == "deferred" and "locked" in outcome.error.lower()
    assert 0 < outcome.counts.total < 1500
    # Three minutes later the lock is over: the Sandbox drops it (the injected limiter's lock was
    # never in the shared usage ledger).
    admin.config(limits="off")
    from sqlalchemy import update

    from desktop_app.store.models import Run

    with AppService() as svc, svc.db.session() as s:
        s.execute(update(Run).values(resume_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert run_cli("sync", "run") == 0
    runs = history(capsys)
    assert len(runs) == 1 and runs[0]["counts"]["total"] == 1500
    rows, distinct = _skipped_counts()
    assert rows == distinct == runs[0]["counts"]["skipped"]
    assert runs[0]["counts"]["added"] == len(members(admin, list_key(capsys)))


def test_a_customer_edited_during_a_full_read_is_not_lost(app_sandbox, admin, capsys):
    connect_and_create(capsys)
    with AppService() as svc:
        books, _ = svc.clients()
        oldest = list(books.iter_customer_pages())[-1].customers[-1].contact_id
    edited = []

    def progress(p):
        if p.phase == "reading" and not edited:  # after page 1: the oldest jumps to the front
            edited.append(admin.edit_customer(oldest, first_name="Edited"))

    with AppService() as svc:
        outcome = svc.run_sync(force_full=True, progress=progress)
        from desktop_app.store.models import ContactLink, Run

        with svc.db.session() as s:
            notes = s.get(Run, outcome.run_id).notes or []
            assert s.get(ContactLink, (1, oldest)) is not None
    assert edited and outcome.status == "completed"
    assert outcome.counts.total == 1500
    assert not [n for n in notes if "no longer in Zoho Books" in n]


def test_changing_the_list_writes_everyone_to_the_new_list(app_sandbox, admin, capsys):
    connect_and_create(capsys)
    first = history(capsys)[0]["counts"]
    assert run_cli("sync", "edit", "--list", "Event attendees") == 0
    assert run_cli("sync", "run") == 0
    run = history(capsys)[0]
    assert run["kind"] == "full"
    assert run["counts"]["added"] + run["counts"]["updated"] == first["added"]
    assert len(members(admin, list_key(capsys))) >= first["added"]


def test_cli_failures_are_sentences_not_tracebacks(app_home, capsys):
    from desktop_app import config

    paths = config.app_paths().ensure()
    paths.db_path.write_bytes(b"this is not a database")
    assert run_cli("status") == 1
    err = capsys.readouterr().err
    assert "not a database of this app" in err and "Traceback" not in err


def test_the_books_plan_sets_the_daily_cap_and_an_unknown_plan_gets_the_smallest(app_sandbox, admin, capsys):
    admin.config(books_plan="Ultra Enterprise 2027")
    connect_and_create(capsys, run=False)
    with AppService() as svc:
        svc.clients()
        limiter = svc.client_factory.limiter
        daily = [w for limit in limiter.limits_of("books") for w in limit.windows if w.seconds == 86_400]
        assert [w.calls for w in daily] == [1_000]
    # A connection saved before the plan was kept reads it once, then remembers it.
    from desktop_app.store.models import Connection

    with AppService() as svc:
        with svc.db.session() as s:
            s.query(Connection).update({"books_plan": None})
        admin.config(books_plan="Professional")
        mark = admin.last_call_number()
        svc.clients()
        limits = svc.client_factory.limiter.limits_of("books")
        daily = [w for limit in limits for w in limit.windows if w.seconds == 86_400]
        assert [w.calls for w in daily] == [5_000]
        orgs = [c for c in admin.calls(since=mark) if c["path"].endswith("/organizations")]
        assert len(orgs) == 1
    with AppService() as svc, svc.db.session() as s:
        assert s.query(Connection).one().books_plan.casefold() == "professional"


def test_creating_a_sync_reads_the_accounts_catalogue_once(app_sandbox, admin, capsys):
    """Issue 11: checking the settings, the disclaimer and saving read lists, topics and fields
    once each (they were read three times)."""
    from collections import Counter

    assert run_cli("connect", "sandbox") == 0
    mark = admin.last_call_number()
    assert run_cli("sync", "create", "--list", "Books customers", "--subscription", "marketing", "--yes",
                   "--no-run") == 0
    capsys.readouterr()
    calls = Counter(c["path"].rsplit("/api/v1.1/", 1)[-1] for c in admin.calls(since=mark)
                    if c["service"] == "campaigns")
    assert calls["getmailinglists"] == 1 and calls["topics"] <= 1 and calls["contact/allfields"] <= 1, calls


def test_a_sync_saved_without_topic_names_gets_them_once(app_sandbox, admin, capsys):
    """Topic names live with the sync (one place); an older sync gets them from Campaigns once."""
    from sqlalchemy import update

    from desktop_app.store.models import Sync

    assert run_cli("connect", "sandbox") == 0
    with AppService() as svc:
        topic = svc.topics()[0]
    assert run_cli("sync", "create", "--list", "Books customers", "--topic", topic.id, "--yes", "--no-run") == 0
    capsys.readouterr()
    with AppService() as svc:
        assert svc.sync().topic_names == (topic.name,)
        with svc.db.session() as s:
            s.execute(update(Sync).values(topic_names=None))  # as a sync saved before 0003
    with AppService() as svc:
        assert svc.sync().topic_names == (topic.name,)
    mark = admin.last_call_number()
    with AppService() as svc:
        assert svc.sync().topic_names == (topic.name,)
    assert not [c for c in admin.calls(since=mark) if c["path"].endswith("/topics")]  # kept: read once


def test_a_full_reconciliation_is_weekly_unless_the_setting_says_otherwise(app_sandbox, capsys):
    from desktop_app import config

    connect_and_create(capsys)  # the first run is full
    two_days_later = datetime.now(UTC) + timedelta(days=2)
    with AppService(clock=lambda: two_days_later) as svc:
        assert svc.run_sync().kind == "incremental"  # weekly by default
    settings = config.app_paths().settings_path
    settings.write_text(json.dumps({"full_reconcile_days": 1}), encoding="utf-8")
    with AppService(clock=lambda: two_days_later + timedelta(minutes=5)) as svc:
        assert svc.run_sync().kind == "full"
