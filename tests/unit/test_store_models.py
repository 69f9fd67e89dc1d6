"""Store: every table round-trips through a real SQLite file; one connection, one sync; cascades."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import StatementError

from desktop_app.config import app_paths
from desktop_app.store import repo
from desktop_app.store.db import Database, open_app_database
from desktop_app.store.models import (
    Base,
    Connection,
    ContactLink,
    FieldMapping,
    Notification,
    Run,
    SkippedRecord,
    Sync,
)
from tests.store_helpers import links_for

T0 = datetime(2024, 3, 5, 4, 30, tzinfo=UTC)
IST = timezone(timedelta(hours=5, minutes=30))


@pytest.fixture
def db(tmp_path):
    database = Database.open(tmp_path / "data" / "app.db")
    yield database
    database.close()


def make_connection(**over) -> Connection:
    values = dict(kind="sandbox", data_center="US", accounts_url="http://127.0.0.1:1",
                  books_url="http://127.0.0.1:1/books/v3", campaigns_url="http://127.0.0.1:1/api/v1.1",
                  client_id="1000.SANDBOXCLIENT", org_id="600001", org_name="Acme", org_time_zone="Asia/Kolkata",
                  books_owner_email="owner@acme.test", campaigns_owner_email="owner@acme.test",
                  user_email="owner@acme.test", gdpr_enabled=True, secret_key="refresh_token/1", created_at=T0)
    values.update(over)
    return Connection(**values)


def make_sync(connection_id: int, **over) -> Sync:
    values = dict(connection_id=connection_id, list_key="LK1", list_name="Customers",
                  subscription_type="double_opt_in", topic_ids=["t1", "t2"], lawful_basis="consent",
                  update_empty=False, schedule_spec="daily 02:00", paused=False, mapping_version=1,
                  mapping_fingerprint="abc", created_at=T0, updated_at=T0)
    values.update(over)
    return Sync(**values)


def seeded(db: Database) -> tuple[int, int]:
    with db.session() as s:
        conn = repo.save_connection(s, make_connection())
        sync = repo.create_sync(s, make_sync(conn.id))
        return conn.id, sync.id


# ---------------------------------------------------------------------- engine set-up


def test_wal_foreign_keys_and_busy_timeout_are_on(db):
    with db.session() as s:
        conn = s.connection()
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL: commits survive a power cut


def test_open_app_database_uses_the_app_data_folder(app_home):
    database = open_app_database(app_paths())
    try:
        assert database.path == app_paths().db_path
        assert database.path.is_relative_to(app_home) and database.path.exists()
    finally:
        database.close()


def test_write_session_rolls_back_on_error(db):
    with pytest.raises(RuntimeError), db.session() as s:
        repo.save_connection(s, make_connection())
        raise RuntimeError("boom")
    with db.session() as s:
        assert repo.get_connection(s) is None


def test_read_session_does_not_wait_for_a_writer_and_discards_changes(db):
    seeded(db)
    with db.session() as writer:  # holds the write lock (BEGIN IMMEDIATE) …
        repo.get_sync(writer).list_name = "Renamed"
        writer.flush()
        with db.read_session() as reader:  # … yet a reader on another connection still reads
            sync = repo.get_sync(reader)
            assert sync.list_name == "Customers"
            sync.paused = True  # discarded
    with db.read_session() as reader:
        sync = repo.get_sync(reader)
        assert (sync.list_name, sync.paused) == ("Renamed", False)


def test_sessions_from_several_threads(db):
    _, sync_id = seeded(db)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(20):
                with db.session() as s:
                    repo.upsert_links(s, sync_id, [{"books_contact_id": f"{n}-{i}", "in_list": True}])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(ContactLink)) == 80


# ---------------------------------------------------------------------- no secrets


def test_no_column_can_hold_a_token_or_secret():
    offenders = [f"{table.name}.{column.name}" for table in Base.metadata.tables.values()
                 for column in table.columns
                 if ("token" in column.name.lower() or "secret" in column.name.lower())
                 and column.name != "secret_key"]
    assert offenders == []
    assert "secret_key" in Base.metadata.tables["connection"].columns  # the keyring entry's NAME


# ---------------------------------------------------------------------- datetimes


def test_aware_datetimes_come_back_as_utc(db):
    with db.session() as s:
        repo.save_connection(s, make_connection(created_at=datetime(2024, 3, 5, 10, 0, tzinfo=IST)))
    with db.read_session() as s:
        created = repo.get_connection(s).created_at
    assert created == T0 and created.tzinfo == UTC


def test_naive_datetime_is_refused(db):
    with pytest.raises(StatementError, match="naive"), db.session() as s:
        repo.save_connection(s, make_connection(created_at=datetime(2024, 3, 5, 4, 30)))


# ---------------------------------------------------------------------- connection and sync


def test_connection_round_trip_and_only_one(db):
    conn_id, _ = seeded(db)
    with db.read_session() as s:
        conn = repo.get_connection(s)
        columns = [c.key for c in Connection.__table__.columns]
        got = {c: getattr(conn, c) for c in columns}
    expected = make_connection()
    assert got == {c: conn_id if c == "id" else getattr(expected, c) for c in columns}
    with pytest.raises(repo.AlreadyConnected, match="already connected"), db.session() as s:
        repo.save_connection(s, make_connection(org_id="2"))
    # Editing the one connection is fine, also through a detached copy.
    conn.org_name = "Acme Ltd"
    with db.session() as s:
        repo.save_connection(s, conn)
    with db.read_session() as s:
        assert repo.get_connection(s).org_name == "Acme Ltd"


def test_unknown_connection_kind_is_refused(db):
    with pytest.raises(repo.StoreError, match="connection kind"), db.session() as s:
        repo.save_connection(s, make_connection(kind="crm"))


def test_sync_round_trip_only_one_and_update(db):
    _, sync_id = seeded(db)
    with db.read_session() as s:
        sync = repo.get_sync(s)
        assert (sync.id, sync.topic_ids, sync.lawful_basis, sync.needs_full, sync.watermark) == (
            sync_id, ["t1", "t2"], "consent", True, None)
    with pytest.raises(repo.SyncExists, match="only one sync"), db.session() as s:
        repo.create_sync(s, make_sync(sync.connection_id, list_key="LK2"))
    later = T0 + timedelta(days=1)
    with db.session() as s:
        repo.update_sync(s, repo.get_sync(s), now=later, paused=True, watermark=T0, topic_ids=["t3"],
                         needs_full=False)
    with db.read_session() as s:
        sync = repo.get_sync(s)
        assert (sync.paused, sync.watermark, sync.topic_ids, sync.needs_full, sync.updated_at) == (
            True, T0, ["t3"], False, later)
    with pytest.raises(repo.StoreError, match="Cannot change"), db.session() as s:
        repo.update_sync(s, repo.get_sync(s), id=5)


def test_mapping_replace_keeps_created_flag_and_order(db):
    seeded(db)
    with db.session() as s:
        sync = repo.get_sync(s)
        repo.replace_mapping(s, sync, [("email", "Contact Email", False, True),
                                       ("cf_tier", "Tier", True, False)])
        for row in repo.mapping_rows(s, sync):
            if row.campaigns_field == "Tier":
                row.field_created = True
    with db.session() as s:
        sync = repo.get_sync(s)
        repo.replace_mapping(s, sync, [("cf_tier", "Tier", True, False), ("email", "Contact Email", False, True),
                                       ("first_name", "First Name", False, False)])
    with db.read_session() as s:
        rows = [(r.position, r.books_field, r.campaigns_field, r.new_field, r.locked, r.field_created)
                for r in repo.mapping_rows(s, repo.get_sync(s))]
    assert rows == [(0, "cf_tier", "Tier", True, False, True), (1, "email", "Contact Email", False, True, False),
                    (2, "first_name", "First Name", False, False, False)]


# ---------------------------------------------------------------------- state table


def test_upsert_links_inserts_then_updates_only_named_columns(db):
    _, sync_id = seeded(db)
    with db.session() as s:
        assert repo.upsert_links(s, sync_id, [
            {"books_contact_id": "1", "email_key": "a@x.test", "email": "A@x.test", "values_hash": "h1",
             "campaigns_status": "active", "in_list": True, "last_modified": T0, "last_synced_at": T0,
             "last_run_id": 7},
            {"books_contact_id": "2", "email_key": "b@x.test", "in_list": False},
        ]) == 2
    with db.session() as s:
        repo.upsert_links(s, sync_id, [{"books_contact_id": "1", "values_hash": "h2"}])
    with db.read_session() as s:
        links = links_for(s, sync_id, ["1", "2", "3"])
        assert set(links) == {"1", "2"}
        one = links["1"]
        assert (one.email, one.values_hash, one.campaigns_status, one.in_list, one.last_modified,
                one.last_run_id) == ("A@x.test", "h2", "active", True, T0, 7)
        assert repo.link_by_email_key(s, sync_id, "b@x.test").books_contact_id == "2"
        assert repo.link_by_email_key(s, sync_id, "nobody@x.test") is None
        assert repo.linked_email_keys(s, sync_id) == {"a@x.test"}


def test_opt_in_mode_and_gdpr_answer(db):
    seeded(db)
    with db.read_session() as s:
        sync = repo.get_sync(s)
        assert (sync.opt_in_mode, sync.gdpr) == ("unknown", None)
    with db.session() as s:
        repo.set_opt_in_mode(s, repo.get_sync(s), "double_accepted", now=T0 + timedelta(days=1))
        repo.set_gdpr(s, repo.get_sync(s), False)
    with db.read_session() as s:
        sync = repo.get_sync(s)
        assert (sync.opt_in_mode, sync.gdpr) == ("double_accepted", False)
    with pytest.raises(repo.StoreError, match="opt-in mode"), db.session() as s:
        repo.set_opt_in_mode(s, repo.get_sync(s), "double")
    with pytest.raises(repo.StoreError, match="GDPR"), db.session() as s:
        repo.set_gdpr(s, repo.get_sync(s), "yes")


def test_a_new_list_forgets_awaiting_confirmations_and_the_opt_in_mode_but_not_states(db):
    _, sync_id = seeded(db)
    with db.session() as s:
        repo.set_opt_in_mode(s, repo.get_sync(s), "double_accepted")
        repo.upsert_links(s, sync_id, [
            {"books_contact_id": "1", "email_key": "a@x.test", "campaigns_status": "awaiting", "in_list": False},
            {"books_contact_id": "2", "email_key": "b@x.test", "campaigns_status": "dnm", "in_list": False},
            {"books_contact_id": "3", "email_key": "c@x.test", "campaigns_status": "active", "in_list": True,
             "values_hash": "h"},
        ])
        assert repo.awaiting_count(s, sync_id) == 1
    with db.session() as s:
        repo.reset_links_for_new_list(s, sync_id)
    with db.read_session() as s:
        links = links_for(s, sync_id, ["1", "2", "3"])
        assert [(links[c].campaigns_status, links[c].in_list, links[c].values_hash) for c in "123"] == [
            (None, False, None), ("dnm", False, None), ("active", False, None)]
        assert repo.get_sync(s).opt_in_mode == "unknown" and repo.awaiting_count(s, sync_id) == 0


def test_suppressed_addresses_are_remembered_newest_state_first(db):
    _, sync_id = seeded(db)
    with db.session() as s:
        assert repo.remember_suppressed(s, sync_id, [("a@x.test", "dnm"), ("b@x.test", "spam"), ("", "dnm")],
                                        run_id=3, now=T0) == 2
        repo.remember_suppressed(s, sync_id, [("a@x.test", "unsub")], now=T0)
    with db.read_session() as s:
        assert repo.suppressed_addresses(s, sync_id, ["a@x.test", "b@x.test", "c@x.test"]) == {
            "a@x.test": "unsub", "b@x.test": "spam"}
    with pytest.raises(repo.StoreError, match="suppression status"), db.session() as s:
        repo.remember_suppressed(s, sync_id, [("a@x.test", "active")])


def test_upsert_links_refuses_unknown_columns(db):
    _, sync_id = seeded(db)
    with pytest.raises(repo.StoreError, match="Unknown state columns: colour"), db.session() as s:
        repo.upsert_links(s, sync_id, [{"books_contact_id": "1", "colour": "red"}])
    with pytest.raises(repo.StoreError, match="books_contact_id"), db.session() as s:
        repo.upsert_links(s, sync_id, [{"email": "a@x.test"}])


def test_upsert_links_ten_thousand_rows(db):
    _, sync_id = seeded(db)
    rows = [{"books_contact_id": str(i), "email_key": f"c{i}@x.test", "values_hash": "v1", "in_list": True,
             "last_synced_at": T0} for i in range(10_000)]
    with db.session() as s:
        assert repo.upsert_links(s, sync_id, rows) == 10_000
    with db.session() as s:
        repo.upsert_links(s, sync_id, ({**r, "values_hash": "v2"} for r in rows))
    with db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(ContactLink)) == 10_000
        assert s.scalar(select(func.count()).select_from(ContactLink).where(ContactLink.values_hash == "v2")) \
            == 10_000
        assert len(links_for(s, sync_id, [str(i) for i in range(0, 10_000, 3)])) == 3334


# ---------------------------------------------------------------------- runs, skipped, notifications


def test_run_lifecycle_with_checkpoint_and_watermarks(db):
    _, sync_id = seeded(db)
    with db.session() as s:
        repo.update_sync(s, repo.get_sync(s), watermark=T0)
        run = repo.start_run(s, repo.get_sync(s), kind="incremental", trigger="scheduled", now=T0)
        run_id = run.id
    with db.session() as s:
        run = repo.interrupted_run(s, sync_id)
        assert run.id == run_id and run.watermark_start == T0 and run.list_name == "Customers"
        run.checkpoint = {"stage": "write", "after": "000123", "pages": [1, 2]}
        run.added, run.total, run.phase, run.calls_books, run.estimated_total = 5, 9, "write", 3, 120
    with db.read_session() as s:
        run = s.get(Run, run_id)
        assert run.checkpoint == {"stage": "write", "after": "000123", "pages": [1, 2]}
        assert (run.added, run.total, run.phase, run.calls_books, run.calls_campaigns, run.estimated_total) == (
            5, 9, "write", 3, 0, 120)
        assert run.awaiting == 0
    end = T0 + timedelta(minutes=5)
    with db.session() as s:
        repo.finish_run(s, s.get(Run, run_id), status="deferred", now=end, resume_at=end + timedelta(hours=1),
                        error_code="DAILY_LIMIT", error_message="The daily API limit is reached.")
    with db.read_session() as s:
        run = s.get(Run, run_id)
        assert (run.status, run.finished_at, run.resume_at, run.checkpoint["after"]) == (
            "deferred", end, end + timedelta(hours=1), "000123")
        assert repo.interrupted_run(s, sync_id) is None
    with db.session() as s:
        repo.finish_run(s, s.get(Run, run_id), status="completed", now=end, watermark_end=end)
    with db.read_session() as s:
        run = repo.latest_run(s, sync_id)
        assert (run.id, run.status, run.checkpoint, run.resume_at, run.watermark_end, run.error_code) == (
            run_id, "completed", None, None, end, None)
    with pytest.raises(repo.StoreError, match="final run status"), db.session() as s:
        repo.finish_run(s, s.get(Run, run_id), status="running")
    with db.session() as s:  # a double opt-in list waits for the user's decision
        run = s.get(Run, run_id)
        run.checkpoint, run.awaiting, run.total = None, 1, 1
        repo.finish_run(s, s.get(Run, run_id), status="needs_decision", now=end, error_message="Decide.")
    with db.read_session() as s:
        run = s.get(Run, run_id)
        assert (run.status, run.awaiting, run.checkpoint, run.resume_at) == ("needs_decision", 1, None, None)
    with pytest.raises(repo.StoreError, match="run trigger"), db.session() as s:
        repo.start_run(s, repo.get_sync(s), kind="full", trigger="cron")


def test_runs_for_is_newest_first_and_limited(db):
    _, sync_id = seeded(db)
    with db.session() as s:
        ids = [repo.start_run(s, repo.get_sync(s), kind="full", trigger="manual", now=T0).id for _ in range(3)]
    with db.read_session() as s:
        assert [r.id for r in repo.runs_for(s, sync_id, 2)] == ids[::-1][:2]
        assert [r.id for r in repo.runs_for(s, None)] == ids[::-1]
        assert repo.latest_run(s, sync_id + 1) is None


def test_skipped_records_bulk_and_cascade_with_their_run(db):
    seeded(db)
    with db.session() as s:
        run_id = repo.start_run(s, repo.get_sync(s), kind="full", trigger="cli", now=T0).id
        assert repo.add_skipped(s, run_id, [
            {"books_contact_id": "9", "name": "Bob", "email": None, "reason_code": "no_email",
             "reason_message": "No email address."},
            {"books_contact_id": "4", "name": "Ann", "email": "ann@", "reason_code": "invalid_email",
             "reason_message": "The email address is not valid."},
        ], now=T0) == 2
        assert repo.add_skipped(s, run_id, []) == 0
    with db.read_session() as s:
        rows = [(r.books_contact_id, r.name, r.email, r.reason_code, r.created_at) for r in repo.skipped_for(s, run_id)]
    assert rows == [("9", "Bob", None, "no_email", T0), ("4", "Ann", "ann@", "invalid_email", T0)]
    with db.session() as s:
        s.delete(s.get(Run, run_id))
    with db.read_session() as s:
        assert repo.skipped_for(s, run_id) == []


def test_notifications_unread_and_mark_read(db):
    _, sync_id = seeded(db)
    with db.session() as s:
        run_id = repo.start_run(s, repo.get_sync(s), kind="full", trigger="initiate", now=T0).id
        first = repo.add_notification(s, Notification(run_id=run_id, sync_id=sync_id, level="info",
                                                      title="Sync completed", body="3 added.")).id
        repo.add_notification(s, Notification(level="error", title="Sync failed", body="Books is down.",
                                              created_at=T0))
    with db.session() as s:
        assert [n.title for n in repo.unread_notifications(s)] == ["Sync failed", "Sync completed"]
        repo.mark_read(s, first)
        repo.mark_read(s, 999)  # unknown id: nothing happens
    with db.session() as s:
        assert [n.title for n in repo.unread_notifications(s)] == ["Sync failed"]
        repo.mark_all_read(s)
    with db.read_session() as s:
        assert repo.unread_notifications(s) == []
        note = s.get(Notification, first)
        assert (note.run_id, note.sync_id, note.read, note.created_at.tzinfo) == (run_id, sync_id, True, UTC)
    with pytest.raises(repo.StoreError, match="notification level"), db.session() as s:
        repo.add_notification(s, Notification(level="debug", title="x", body="y"))


# ---------------------------------------------------------------------- disable: keep or delete history


def test_deleting_the_connection_keeps_history_but_drops_the_sync_state(db):
    _, sync_id = seeded(db)
    with db.session() as s:
        sync = repo.get_sync(s)
        repo.replace_mapping(s, sync, [("email", "Contact Email", False, True)])
        repo.upsert_links(s, sync_id, [{"books_contact_id": "1", "in_list": True}])
        run_id = repo.start_run(s, sync, kind="full", trigger="initiate", now=T0).id
        repo.add_skipped(s, run_id, [{"books_contact_id": "2", "reason_code": "no_email",
                                      "reason_message": "No email address."}])
        repo.add_notification(s, Notification(run_id=run_id, sync_id=sync_id, level="info", title="t", body="b"))
    with db.session() as s:
        repo.delete_connection(s)
    with db.read_session() as s:
        assert repo.get_connection(s) is None and repo.get_sync(s) is None
        for model in (FieldMapping, ContactLink):
            assert s.scalar(select(func.count()).select_from(model)) == 0
        run = s.get(Run, run_id)
        assert (run.sync_id, run.list_name) == (None, "Customers")  # history kept, named
        assert len(repo.skipped_for(s, run_id)) == 1
        note = repo.unread_notifications(s)[0]
        assert (note.run_id, note.sync_id) == (run_id, None)
    with db.session() as s:
        repo.delete_history(s)
    with db.read_session() as s:
        for model in (Run, SkippedRecord, Notification):
            assert s.scalar(select(func.count()).select_from(model)) == 0
    # A new connection may be made after disabling.
    seeded(db)


def test_foreign_keys_are_enforced(db):
    with pytest.raises(Exception, match="FOREIGN KEY"), db.session() as s:
        s.add(make_sync(connection_id=42))
        s.flush()


def test_compact_gives_back_the_pages_a_big_staging_freed(tmp_path):
    from desktop_app.store.db import Database

    database = Database.open(tmp_path / "app.db")
    try:
        with database.session() as s:
            s.execute(text("CREATE TABLE filler (x TEXT)"))
            s.execute(text("INSERT INTO filler SELECT hex(randomblob(500)) FROM "
                           "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000) "
                           "SELECT i FROM n)"))
        with database.session() as s:
            s.execute(text("DELETE FROM filler"))
        def checkpoint() -> None:  # fold the WAL into the file, outside any transaction
            raw = database.engine.raw_connection()
            try:
                raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()

        checkpoint()
        before = (tmp_path / "app.db").stat().st_size
        assert database.compact()
        checkpoint()
        assert (tmp_path / "app.db").stat().st_size < before / 2
    finally:
        database.close()
