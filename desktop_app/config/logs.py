"""How the app logs: a private rotating file, warnings the user must see on stderr once."""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import sys
from pathlib import Path

from desktop_app.config.files import PRIVATE_FILE_MODE, chmod_private
from desktop_app.config.paths import ENV_LOG_LEVEL, AppPaths

USER_LOG = "desktop_app.user"  # warnings the user must see: the log and stderr (see setup_logging)
_WARNED: set[tuple[str, str]] = set()


def warn_user(message: str, *, once_key: str | None = None) -> None:
    """A warning for the user: written to the log and to stderr (the CLI shows it; once per key)."""
    if once_key is not None:
        key = (once_key, message)
        if key in _WARNED:
            return
        _WARNED.add(key)
    logger = logging.getLogger(USER_LOG)
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        logger.addHandler(_StderrHandler())
    logger.warning(message)


_LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(threadName)s] %(message)s"


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """The app's log file: created 0600, and a failing write (disk full, folder gone) never
    prints logging's traceback to the user; the error the app itself meets says what happened."""

    failed: OSError | None = None

    def _open(self):
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE_MODE)
        chmod_private(Path(self.baseFilename), PRIVATE_FILE_MODE)
        return open(fd, self.mode, encoding=self.encoding, errors=self.errors)

    def doRollover(self) -> None:
        super().doRollover()
        for n in range(1, self.backupCount + 1):
            chmod_private(Path(f"{self.baseFilename}.{n}"), PRIVATE_FILE_MODE)

    def handleError(self, record: logging.LogRecord) -> None:
        exc = sys.exc_info()[1]
        self.failed = exc if isinstance(exc, OSError) else self.failed
        # Drop the broken stream so the next record tries to reopen (the disk may have room again).
        stream, self.stream = self.stream, None
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.close()


class _StderrHandler(logging.StreamHandler):
    """User warnings on the current ``sys.stderr`` (looked up per record); never a traceback."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(logging.Formatter("desktop-app: warning: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        pass


def setup_logging(paths: AppPaths, level: str | int | None = None, *, console: bool = False) -> Path:
    """Rotating file log in the platform log folder (5 × 1 MB). Safe to call twice."""
    paths.ensure()
    level = level or os.environ.get(ENV_LOG_LEVEL, "INFO")
    root = logging.getLogger()
    root.setLevel(level)
    target = str(paths.log_file)
    have = [h for h in root.handlers if getattr(h, "baseFilename", None) == target]
    if not have:
        handler = PrivateRotatingFileHandler(
            paths.log_file, maxBytes=1_000_000, backupCount=5, encoding="utf-8", delay=True
        )
        handler.setFormatter(logging.Formatter(_LOG_FORMAT))
        root.addHandler(handler)
    if console and not any(isinstance(h, logging.StreamHandler) and not hasattr(h, "baseFilename")
                           for h in root.handlers):
        stream = logging.StreamHandler()
        stream.setLevel(logging.WARNING)
        stream.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        root.addHandler(stream)
    # requests/urllib3 log full URLs at DEBUG, which may carry query-string tokens: keep them quiet.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    user = logging.getLogger(USER_LOG)
    if not any(isinstance(h, _StderrHandler) for h in user.handlers):
        user.addHandler(_StderrHandler())
    return paths.log_file
