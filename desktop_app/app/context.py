"""What every use case shares: the app's folders, clock, secrets, the one database and one lock.

The lock guards the lazily built things (the database, the clients, caches) against the
window's worker threads calling the façade at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from desktop_app import config
from desktop_app.connectors.secrets import SecretStore
from desktop_app.store.db import Database, open_app_database, read_only_message


def utc_now() -> datetime:
    return datetime.now(UTC)


class Context:
    def __init__(self, paths: config.AppPaths | None = None, *, secrets: SecretStore | None = None,
                 env: dict[str, str] | None = None, clock: Callable[[], datetime] | None = None) -> None:
        self.paths = (paths or config.app_paths(env)).ensure()
        self.clock = clock or utc_now  # run times and next runs; tests inject one (with the scheduler's)
        self.env = env
        self.secrets = secrets or SecretStore(self.paths)
        self.lock = threading.RLock()
        self._db: Database | None = None

    @property
    def db(self) -> Database:
        with self.lock:
            if self._db is None:
                self._db = open_app_database(self.paths)
            return self._db

    def read_only_reason(self) -> str | None:
        """The sentence saying the database is read-only (views work, nothing can change), or None."""
        return read_only_message(self.paths.db_path) if self.db.read_only else None

    def env_value(self, name: str) -> str:
        return (self.env or {}).get(name, "")

    def close(self) -> None:
        with self.lock:
            if self._db is not None:
                self._db.close()
                self._db = None
