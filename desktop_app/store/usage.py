"""The API usage ledger: every call to Zoho, recorded in the app's database *before* it is sent.

Every process of the app (the window, ``sync run``, a cron or systemd timer) shares it, so a
kill -9, a SIGTERM or a second process can never make the next call overshoot a window: what
was recorded is counted, whatever happened after. It implements ``connectors.limiter.UsageLedger``.

One reservation is one short write transaction (``BEGIN IMMEDIATE``: every process's
reservations are serialised): read what the other processes recorded since our last look and
the locks they saw, let the limiter decide, record the call. The ledger has its own connection
pool with ``synchronous=NORMAL``: a commit survives the death of the process (it is in the WAL,
in the OS's cache) without an fsync per call; only a power cut may lose the last calls, which
the next process then treats as unknown usage only if the file says so (it cannot tell).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from desktop_app.domain.limits import Use
from desktop_app.store import db as dbmod
from desktop_app.store.models import ApiLock, ApiUse

log = logging.getLogger(__name__)

# Rows older than this are pruned (the longest documented window is a day).
KEEP_SECONDS = 2 * 86_400.0
USE, LOCK = ApiUse.__tablename__, ApiLock.__tablename__


class SqlUsageLedger:
    """The shared usage of one limiter ``scale`` (rows of another scale are another world).

    One connection, kept (the ledger is called for every API call: ~0.1 ms a reservation),
    used by one thread at a time.
    """

    def __init__(self, path: Path, *, scale: float = 1.0, wall: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.scale = float(scale)
        self._wall = wall
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._engine = dbmod.make_engine(self.path, synchronous="NORMAL")
        self._conn = None  # the kept DB-API connection (opened at first use)
        self._cursor = 0  # the newest row id this process has seen
        self._mutex = threading.Lock()
        self._prune()

    def close(self) -> None:
        with self._mutex:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._engine.dispose()

    # ------------------------------------------------------------------ UsageLedger

    def reserve(self, family: str, key: str,
                admit: Callable[[Sequence[Use], Mapping[str, float]], tuple[float, float]]) -> float:
        with self._mutex, self._write() as cur:
            news = self._news(cur)
            cur.execute(f"SELECT family, until FROM {LOCK} WHERE scale = ? AND until > ?",
                        (self.scale, self._wall()))
            locks = dict(cur.fetchall())
            wait, at = admit(news, locks)
            if wait <= 0:
                cur.execute(f"INSERT INTO {USE} (family, key, scale, at, calls, owner) VALUES (?, ?, ?, ?, 1, ?)",
                            (family, key, self.scale, at, self.owner))
                self._cursor = max(self._cursor, int(cur.lastrowid or 0))
            return wait

    def hold(self, family: str, until: float) -> None:
        with self._mutex, self._write() as cur:
            cur.execute(f"INSERT INTO {LOCK} (family, scale, until) VALUES (?, ?, ?) "
                        "ON CONFLICT (family, scale) DO UPDATE SET until = excluded.until",
                        (family, self.scale, until))

    def record(self, uses: Iterable[Use]) -> int:
        """Add uses seen elsewhere (the legacy usage file, or an unknown-usage marker). Other
        processes see them at their next reservation."""
        rows = [(u.family, u.key, self.scale, u.at, u.calls) for u in uses]
        if rows:
            with self._mutex, self._write() as cur:
                cur.executemany(f"INSERT INTO {USE} (family, key, scale, at, calls, owner) "
                                "VALUES (?, ?, ?, ?, ?, '')", rows)
        return len(rows)

    # ------------------------------------------------------------------ inside

    def _news(self, cur) -> list[Use]:
        horizon = self._wall() - KEEP_SECONDS / self.scale
        cur.execute(f"SELECT id, family, key, at, calls, owner FROM {USE} WHERE id > ? AND scale = ? AND at > ? "
                    "ORDER BY id", (self._cursor, self.scale, horizon))
        found: list[Use] = []
        for row_id, family, key, at, calls, owner in cur.fetchall():
            self._cursor = max(self._cursor, row_id)
            if owner != self.owner:
                found.append(Use(family, key, at, calls))
        return found

    def _prune(self) -> None:
        try:
            with self._mutex, self._write() as cur:
                cur.execute(f"DELETE FROM {USE} WHERE at < ?", (self._wall() - KEEP_SECONDS,))
                cur.execute(f"DELETE FROM {LOCK} WHERE until < ?", (self._wall(),))
        except dbmod.ReadOnlyDatabase:
            pass  # a read-only database cannot run anything either

    @contextmanager
    def _write(self) -> Iterator:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` on the kept connection; SQLite failures in our sentences."""
        try:
            if self._conn is None:
                self._conn = self._engine.raw_connection()
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise dbmod.classify(exc, self.path) or dbmod.DatabaseError(
                f"The API usage in {self.path} could not be read ({exc}).") from exc
        try:
            yield cur
            cur.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                cur.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise dbmod.classify(exc, self.path) or dbmod.DatabaseError(
                    f"The API usage in {self.path} could not be saved ({exc}).") from exc
            raise
        finally:
            cur.close()
