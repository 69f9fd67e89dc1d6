"""Store: Alembic migrations upgrade an older file in place (with a backup), match the models,
and a file from a newer app or a foreign file is refused with a clear error."""

from __future__ import annotations

import sqlite3

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from desktop_app.store import repo
from desktop_app.store.db import Database, DatabaseError, alembic_config
from desktop_app.store.models import Base, Notification, Run
from tests.store_helpers import links_for

T0 = "2024-03-05T04:30:00.000000+00:00"


def head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def revision_of(path) -> str | None:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def build_at(path, revision: str) -> None:
    """A database file as an older app left it: only migrations up to ``revision`` applied."""
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            conn.commit()
    finally:
        engine.dispose()


def fill_0001(path) -> None:
    """Rows as the first schema stores them (no run.calls_*, no notification table)."""
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO connection (id, kind, data_center, accounts_url, books_url, campaigns_url, client_id, "
            "org_id, org_name, books_owner_email, campaigns_owner_email, gdpr_enabled, secret_key, created_at) "
            "VALUES (1, 'sandbox', 'US', 'http://a', 'http://b', 'http://c', 'cid', '6001', 'Acme', "
            "'o@acme.test', 'o@acme.test', 0, 'refresh_token/1', ?)", (T0,))
        conn.execute(
            "INSERT INTO sync (id, connection_id, list_key, list_name, subscription_type, topic_ids, update_empty, "
            "schedule_spec, paused, mapping_version, mapping_fingerprint, created_at, updated_at, watermark, "
            "needs_full) VALUES (1, 1, 'LK', 'Customers', 'double_opt_in', '[\"t1\"]', 0, 'daily 02:00', 0, 1, "
            "'fp', ?, ?, ?, 0)", (T0, T0, T0))
        conn.execute("INSERT INTO contact_link (sync_id, books_contact_id, email_key, in_list) "
                     "VALUES (1, '77', 'a@x.test', 1)")
        conn.execute(
            "INSERT INTO run (id, sync_id, kind, trigger, status, started_at, total, added, updated, unchanged, "
            "skipped, checkpoint, list_name) VALUES (1, 1, 'full', 'manual', 'running', ?, 3, 1, 1, 0, 1, "
            "'{\"stage\": \"write\", \"after\": \"000000000000000000000078\"}', 'Customers')", (T0,))
        for cid in ("77", "78", "79"):  # staged in 0001 (no order column); 77 and 78 were written
            conn.execute("INSERT INTO staged_customer (run_id, contact_id, sort_key, email_key, record) "
                         "VALUES (1, ?, ?, NULL, '{}')", (cid, cid.zfill(24)))
        conn.execute(
            "INSERT INTO skipped_record (run_id, books_contact_id, reason_code, reason_message, created_at) "
            "VALUES (1, '78', 'no_email', 'No email address.', ?)", (T0,))


def test_the_revisions_form_one_line_from_0001():
    script = ScriptDirectory.from_config(alembic_config())
    revisions = [r.revision for r in script.walk_revisions("base", "heads")]
    assert revisions[-1] == "0001" and len(script.get_heads()) == 1 and len(revisions) >= 2


def test_a_new_database_matches_the_models(tmp_path):
    database = Database.open(tmp_path / "app.db")
    try:
        with database.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(context, Base.metadata)
    finally:
        database.close()
    assert diffs == []
    assert revision_of(tmp_path / "app.db") == head()
    assert not list(tmp_path.glob("app.db.bak-*"))  # nothing to back up on a brand-new file


def test_an_old_database_is_upgraded_in_place_with_a_backup(tmp_path):
    path = tmp_path / "app.db"
    build_at(path, "0001")
    fill_0001(path)
    assert "notification" not in inspect(create_engine(f"sqlite:///{path}")).get_table_names()

    database = Database.open(path)
    try:
        assert revision_of(path) == head()
        with database.session() as s:
            assert repo.get_connection(s).org_name == "Acme"
            sync = repo.get_sync(s)
            assert (sync.topic_ids, sync.watermark.isoformat()) == (["t1"], "2024-03-05T04:30:00+00:00")
            assert links_for(s, sync.id, ["77"])["77"].email_key == "a@x.test"
            run = repo.interrupted_run(s, sync.id)
            assert (run.checkpoint, run.calls_books, run.calls_campaigns) == (
                {"stage": "write", "written": 2}, 0, 0)  # 0007: the staging order replaces "after"
            assert s.execute(text("SELECT contact_id, seq FROM staged_customer ORDER BY seq")).all() == [
                ("77", 1), ("78", 2), ("79", 3)]
            assert [r.reason_code for r in repo.skipped_for(s, run.id)] == ["no_email"]
            repo.add_notification(s, Notification(run_id=run.id, level="info", title="t", body="b"))
            run.checkpoint, run.calls_books = None, 4
        with database.read_session() as s:
            assert s.get(Run, 1).calls_books == 4 and len(repo.unread_notifications(s)) == 1
    finally:
        database.close()

    backup = tmp_path / "app.db.bak-0001"
    assert backup.exists()
    assert revision_of(backup) == "0001"
    with sqlite3.connect(backup) as conn:
        assert conn.execute("SELECT org_name FROM connection").fetchone() == ("Acme",)

    # Opening again at head changes nothing and makes no new backup.
    Database.open(path).close()
    assert sorted(p.name for p in tmp_path.glob("app.db.bak-*")) == ["app.db.bak-0001"]


def test_0004_adds_opt_in_awaiting_and_remembers_refused_states(tmp_path):
    path = tmp_path / "app.db"
    build_at(path, "0003")
    fill_0001(path)
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO contact_link (sync_id, books_contact_id, email_key, campaigns_status, in_list, "
                     "last_run_id) VALUES (1, '78', 'b@x.test', 'dnm', 0, 1), (1, '79', 'c@x.test', 'spam', 0, 1), "
                     "(1, '80', 'd@x.test', 'active', 1, 1)")
    database = Database.open(path)
    try:
        with database.session() as s:
            sync = repo.get_sync(s)
            assert (sync.opt_in_mode, sync.gdpr) == ("unknown", None)
            run = s.get(Run, 1)
            assert (run.awaiting, run.total) == (0, 3)
            assert repo.suppressed_addresses(s, sync.id, ["a@x.test", "b@x.test", "c@x.test", "d@x.test"]) == {
                "b@x.test": "dnm", "c@x.test": "spam"}
            repo.set_opt_in_mode(s, sync, "direct")
    finally:
        database.close()
    assert (tmp_path / "app.db.bak-0003").exists()


def test_a_database_from_a_newer_app_is_refused_untouched(tmp_path):
    path = tmp_path / "app.db"
    Database.open(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match="written by a newer version of the app"):
        Database.open(path)
    assert path.read_bytes() == before
    assert revision_of(path) == "9999_future"
    assert not list(tmp_path.glob("app.db.bak-*"))


def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    path = tmp_path / "app.db"
    path.write_bytes(b"this is a text file, not a database\n" * 10)
    with pytest.raises(DatabaseError, match="not an SQLite file"):
        Database.open(path)
    assert path.read_bytes().startswith(b"this is a text file")


def test_a_damaged_sqlite_file_is_refused_with_a_sentence(tmp_path):
    path = tmp_path / "app.db"
    Database.open(path).close()
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # wreck the schema page, keep the header
    path.write_bytes(bytes(data))
    with pytest.raises(DatabaseError, match="could not be opened or upgraded"):
        Database.open(path)


def test_an_unrelated_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    with pytest.raises(DatabaseError, match="not a database of this app"):
        Database.open(path)
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"photos"}


def test_an_empty_file_becomes_a_new_database(tmp_path):
    path = tmp_path / "nested" / "app.db"
    path.parent.mkdir()
    path.touch()
    Database.open(path).close()
    assert revision_of(path) == head()
