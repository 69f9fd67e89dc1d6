"""A cross-process lock so two processes never run the sync at once (R31).

``flock`` (POSIX) / ``msvcrt.locking`` (Windows; both in ``config/system.py``) on a lock file: the
OS releases it when the holding process dies, even by kill -9, so a crash never leaves a stale
lock behind.
"""

from __future__ import annotations

import os
from pathlib import Path

from desktop_app.config.system import try_lock as _try_lock
from desktop_app.config.system import unlock as _unlock
from desktop_app.domain.errors import AppError, ErrorKind


class AlreadyRunning(AppError):
    title = "A sync is already running"
    kind = ErrorKind.REFUSED

    def __init__(self, holder: str | None = None) -> None:
        who = f" (process {holder})" if holder else ""
        super().__init__(f"Another sync run is in progress{who}; wait for it to finish.")


class RunLock:
    """Non-blocking: ``acquire()`` says whether we got it; as a context manager it raises AlreadyRunning.

    Each instance opens its own file description, so two instances exclude each other across
    processes and also across threads of one process (flock is per open file description).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if not _try_lock(fd):
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())  # only for the message; the OS lock is what counts
        self._fd = fd
        return True

    def holder(self) -> str | None:
        try:
            return self.path.read_text(encoding="ascii").strip() or None
        except OSError:
            return None

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            _unlock(fd)
        finally:
            os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> RunLock:
        if not self.acquire():
            raise AlreadyRunning(self.holder())
        return self

    def __exit__(self, *exc) -> None:
        self.release()
