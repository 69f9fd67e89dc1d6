"""Private files and folders (0700 / 0600 from their first byte): customers' names and emails,
logs and secrets are never readable by other users of the machine. Standard library only, so
the Sandbox (the other side of the wire) may use it too."""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

from desktop_app.config.system import WINDOWS

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed; the folder itself ends up 0700."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    chmod_private(path, PRIVATE_DIR_MODE)
    return path


def private_file(path: Path, *, create: bool = False) -> Path:
    """Make an existing file 0600 (``create=True``: create it empty, 0600, when missing)."""
    path = Path(path)
    if create and not path.exists():
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    chmod_private(path, PRIVATE_FILE_MODE)
    return path


def private_sqlite(path: Path, *, create: bool = True) -> Path:
    """An SQLite file and its -wal/-shm/-journal companions, 0600 (SQLite gives new companions
    the main file's mode, so creating the main file 0600 first is enough for the future)."""
    private_file(path, create=create)
    for suffix in ("-wal", "-shm", "-journal"):
        private_file(Path(f"{path}{suffix}"))
    return path


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` atomically with ``text``; the file is 0600 from its first byte."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        chmod_private(tmp, PRIVATE_FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def chmod_private(path: Path, mode: int) -> None:
    if WINDOWS:  # pragma: no cover - Windows keeps per-user folders private by ACL
        return
    try:
        if stat.S_IMODE(path.stat().st_mode) != mode:
            os.chmod(path, mode)
    except FileNotFoundError:
        pass
    except OSError as exc:  # not ours (another user's file, a read-only mount): say so, go on
        logging.getLogger(__name__).warning("could not make %s private: %s", path, exc)
