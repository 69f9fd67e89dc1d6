"""The one SQLite file: engine set-up (WAL, foreign keys, busy timeout, BEGIN IMMEDIATE),
automatic Alembic migration on open (with a backup copy first), and short sessions.

Thread use: the ``Database`` object is shared; each thread opens its own short session per
unit of work (``session()`` to write, ``read_session()`` to read without taking the write lock).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.config import AppPaths

log = logging.getLogger(__name__)

# A plain folder next to this file (setuptools package-data ships it in the wheel), so no
# alembic.ini is needed anywhere.
MIGRATIONS = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 10_000
_READ_ONLY = "desktop_app_read_only"  # execution option: begin a deferred (read) transaction


class DatabaseError(Exception):
    """The database file cannot be used; the message says why and what to do."""


def alembic_config() -> Config:
    """Alembic's configuration, built in code; pass a connection in ``attributes["connection"]``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _check_sqlite_file(path: Path) -> None:
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise DatabaseError(f"{path} is not a database of this app (not an SQLite file). Move it away "
                                "and start the app again to create a new one.")


def _make_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": BUSY_TIMEOUT_MS / 1000,
                                                               "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # FULL: a commit survives a power cut too (R24); one fsync per batch is cheap.
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        if conn.get_execution_options().get(_READ_ONLY):
            conn.exec_driver_sql("BEGIN")  # WAL readers never wait for the writer
        else:
            # Take the write lock up front: two writers never deadlock on a lock upgrade.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(engine.execution_options(**{_READ_ONLY: True}),
                                           expire_on_commit=False, autoflush=False)

    @classmethod
    def open(cls, path: Path) -> Database:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        _check_sqlite_file(path)
        engine = _make_engine(path)
        try:
            migrate(engine, path)
        except DatabaseError:
            engine.dispose()
            raise
        except Exception as exc:
            engine.dispose()
            raise DatabaseError(f"The database {path} could not be opened or upgraded ({exc}).") from exc
        return cls(path, engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A read-only unit of work: never takes the write lock; nothing is written back.

        Objects stay readable after the block (closing detaches without expiring them).
        """
        session = self._read_sessions()
        try:
            yield session
        finally:
            session.close()  # ends the transaction without writing; unlike rollback(), keeps loaded values

    def close(self) -> None:
        self.engine.dispose()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine, path: Path) -> None:
    """Bring the file to the newest schema; refuse a file written by a newer app."""
    cfg = alembic_config()
    script = ScriptDirectory.from_config(cfg)
    head = script.get_current_head()
    current = current_revision(engine)
    if current == head:
        return
    known = {rev.revision for rev in script.walk_revisions()}
    if current is not None and current not in known:
        raise DatabaseError(
            f"This database was written by a newer version of the app (schema {current}). Update the app, "
            "or move the file away to start afresh.")
    if current is not None:
        backup = path.with_name(f"{path.name}.bak-{current}")
        _backup(path, backup)
        log.info("database backed up to %s before upgrading from %s to %s", backup, current, head)
    if current is None and _has_tables(engine):
        raise DatabaseError(f"{path} is an SQLite file but not a database of this app. Move it away and "
                            "start the app again to create a new one.")
    with engine.connect() as conn:
        # SQLite can only rebuild a table (Alembic's batch mode) with foreign keys off: a DROP
        # would cascade into the child tables. The switch is a no-op inside a transaction, so
        # it goes to the driver before Alembic begins; env.py checks the keys before commit.
        raw = conn.connection.dbapi_connection
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            conn.commit()
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


def _has_tables(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(inspect(conn).get_table_names())


def _backup(path: Path, target: Path) -> None:
    """A consistent copy, WAL included (SQLite's online backup)."""
    src = sqlite3.connect(path)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        # One self-contained file (no -wal/-shm companions), easy to copy back by hand.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


def open_app_database(paths: AppPaths) -> Database:
    paths.ensure()
    return Database.open(paths.db_path)
