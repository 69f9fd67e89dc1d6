"""The one SQLite file: engine set-up (WAL, foreign keys, busy timeout, BEGIN IMMEDIATE),
automatic Alembic migration on open (with a backup copy first), and short sessions.

Thread use: the ``Database`` object is shared; each thread opens its own short session per
unit of work (``session()`` to write, ``read_session()`` to read without taking the write lock).

Failures say what happened in one sentence: a damaged file (``DamagedDatabase``: names the
newest backup copy and how to put it back), a full disk (``DiskFull``), a read-only file: then
the database opens read-only (``read_only``): reading works, a write raises ``ReadOnlyDatabase``.
The file and its -wal/-shm companions are private (0600).
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from desktop_app import config
from desktop_app.config import AppPaths
from desktop_app.config.system import WINDOWS
from desktop_app.domain.errors import (
    DamagedDatabase,
    DatabaseBusy,
    DatabaseError,
    DiskFull,
    ReadOnlyDatabase,
)

__all__ = [
    "DamagedDatabase",
    "Database",
    "DatabaseBusy",
    "DatabaseError",
    "DiskFull",
    "ReadOnlyDatabase",
    "classify",
    "migrate",
    "open_app_database",
]

log = logging.getLogger(__name__)

# A plain folder next to this file (setuptools package-data ships it in the wheel), so no
# alembic.ini is needed anywhere.
MIGRATIONS = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 10_000
_READ_TX = "desktop_app_read_only"  # execution option: begin a deferred (read) transaction


def backups_of(path: Path) -> list[Path]:
    """The copies made before upgrades (``<name>.bak-<revision>``), newest first."""
    path = Path(path)
    found = [p for p in path.parent.glob(f"{path.name}.bak-*") if p.is_file()]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def restore_advice(path: Path) -> str:
    """How to put the newest backup copy back (or start afresh when there is none)."""
    path = Path(path)
    copies = backups_of(path)
    if copies:
        restore = (f"The newest backup copy is {copies[0]}: close the app, move {path.name} (and any "
                   f"{path.name}-wal / -shm next to it) away, copy the backup to {path} and start again.")
    else:
        restore = (f"There is no backup copy of it: close the app, move {path.name} (and any -wal / -shm "
                   "next to it) away and start again to create a new one (then connect and create the sync again).")
    return restore


def damaged_message(path: Path) -> str:
    return f"The app's database {path} is damaged: it could not be opened or upgraded. {restore_advice(path)}"


def disk_full_message(path: Path) -> str:
    return (f"The disk holding {Path(path).parent} is full: free some space and try again (what was saved "
            "before is kept).")


def busy_message(path: Path) -> str:
    return (f"The app's database {path} stayed busy (another program, or another copy of the app, is "
            "writing to it); try again in a moment.")


def read_only_message(path: Path) -> str:
    return (f"The app's database {path} is read-only, so nothing can be changed or run; make the file and its "
            "folder writable again (for example chmod u+w) and try again.")


_DAMAGED = ("malformed", "not a database", "file is encrypted", "disk image")
_FULL = ("database or disk is full", "disk is full", "no space left")
_READ_ONLY = ("readonly database", "read-only database", "attempt to write a readonly")
_BUSY = ("database is locked", "database is busy", "database table is locked")


def classify(exc: BaseException, path: Path) -> DatabaseError | None:
    """Our sentence for an SQLite failure (damaged, disk full, read-only), or None for the others."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or any(k in text for k in _FULL):
        return DiskFull(disk_full_message(path))
    if any(k in text for k in _READ_ONLY):
        return ReadOnlyDatabase(read_only_message(path))
    if any(k in text for k in _DAMAGED):
        return DamagedDatabase(damaged_message(path))
    if any(k in text for k in _BUSY):
        return DatabaseBusy(busy_message(path))
    return None


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
            raise DamagedDatabase(f"{path} is not a database of this app (not an SQLite file): it is damaged or "
                                  "belongs to another program. " + restore_advice(path))


def make_engine(path: Path, *, read_only: bool = False, synchronous: str = "FULL") -> Engine:
    """An engine on the app's file. ``synchronous``: FULL (a commit survives a power cut, R24) for
    the app's own sessions; the usage ledger uses NORMAL (survives the process, no fsync per call)."""
    if synchronous not in ("FULL", "NORMAL"):
        raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
    if read_only:
        url = f"sqlite:///file:{path.resolve()}?mode=ro&uri=true"
    else:
        url = f"sqlite:///{path}"
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        if not read_only:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # FULL: a commit survives a power cut too (R24); one fsync per batch is cheap.
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        if conn.get_execution_options().get(_READ_TX) or read_only:
            conn.exec_driver_sql("BEGIN")  # WAL readers never wait for the writer
        else:
            # Take the write lock up front: two writers never deadlock on a lock upgrade.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    def __init__(self, path: Path, engine: Engine, *, read_only: bool = False) -> None:
        self.path = path
        self.engine = engine
        self.read_only = read_only
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(engine.execution_options(**{_READ_TX: True}),
                                           expire_on_commit=False, autoflush=False)

    @classmethod
    def open(cls, path: Path) -> Database:
        path = Path(path)
        if not path.parent.exists():
            config.private_dir(path.parent)
        try:
            _check_sqlite_file(path)
        except DatabaseError:
            raise
        except OSError as exc:
            raise DatabaseError(f"The database {path} cannot be read ({exc.strerror or exc}).") from exc
        if _is_read_only(path):
            return cls._open_read_only(path)
        try:
            config.private_sqlite(path)  # 0600 from its first byte; SQLite copies the mode to -wal/-shm
        except OSError as exc:
            raise classify(exc, path) or DatabaseError(
                f"The database {path} could not be created ({exc.strerror or exc}).") from exc
        engine = make_engine(path)
        try:
            migrate(engine, path)
        except DatabaseError:
            engine.dispose()
            raise
        except Exception as exc:
            engine.dispose()
            known = classify(exc, path)
            if isinstance(known, ReadOnlyDatabase):
                return cls._open_read_only(path)
            if known is not None:
                raise known from exc
            raise DatabaseError(f"The database {path} could not be opened or upgraded ({exc}).") from exc
        config.private_sqlite(path, create=False)
        return cls(path, engine)

    @classmethod
    def _open_read_only(cls, path: Path) -> Database:
        """Open for reading only: ``status``, ``history`` and the window's views keep working."""
        engine = make_engine(path, read_only=True)
        try:
            cfg = alembic_config()
            head = ScriptDirectory.from_config(cfg).get_current_head()
            current = current_revision(engine)
        except Exception as exc:
            engine.dispose()
            known = classify(exc, path)
            if known is not None and not isinstance(known, ReadOnlyDatabase):
                raise known from exc
            raise DatabaseError(f"The database {path} is read-only and could not be read ({exc}).") from exc
        if current != head:
            engine.dispose()
            raise ReadOnlyDatabase(f"The app's database {path} is read-only and needs an upgrade for this version "
                                   "of the app; make the file and its folder writable (for example chmod u+w) "
                                   "and start again.")
        config.warn_user(f"The app's database {path} is read-only: you can look at the sync and its history, "
                         "but nothing can be changed or run until the file is writable again.",
                         once_key="read-only-db")
        return cls(path, engine, read_only=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on error."""
        if self.read_only:
            with self._read_only_session() as session:
                yield session
            return
        session = self._sessions()
        try:
            yield session
            session.commit()
        except sa_exc.DBAPIError as exc:
            session.rollback()
            known = classify(exc, self.path)
            if known is None:
                raise
            log.error("database error: %s", exc)
            raise known from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def _read_only_session(self) -> Iterator[Session]:
        session = self._read_sessions()
        try:
            yield session
            if session.new or session.dirty or session.deleted:
                raise ReadOnlyDatabase(read_only_message(self.path))
        except sa_exc.DBAPIError as exc:
            raise (classify(exc, self.path) or exc) from exc
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
        except sa_exc.DBAPIError as exc:
            known = classify(exc, self.path)
            if known is None:
                raise
            raise known from exc
        finally:
            session.close()  # ends the transaction without writing; unlike rollback(), keeps loaded values

    def compact(self) -> bool:
        """VACUUM: give the disk back the pages a big run's staging freed. Best effort: a reader
        in another process makes it wait (busy timeout) and then skip; nothing is lost either way."""
        if self.read_only:
            return False
        raw = self.engine.raw_connection()
        try:
            raw.driver_connection.execute("VACUUM")
            return True
        except sqlite3.Error as exc:
            log.info("database not compacted: %s", exc)
            return False
        finally:
            raw.close()

    def close(self) -> None:
        self.engine.dispose()


def _is_read_only(path: Path) -> bool:
    """The file exists and this process may not write it (or its folder, which SQLite needs for -wal)."""
    if WINDOWS or not path.exists():  # pragma: no cover - Windows: the write open tells
        return False
    return not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK)


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
        config.private_file(backup)
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
    config.private_file(target, create=True)
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
