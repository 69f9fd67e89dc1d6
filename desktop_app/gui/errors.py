"""Turn any failure into a title and a sentence a person can act on (R34); tracebacks go to the log."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

LOG_HINT = "Details are in the log file (Help → Open log folder)."


def describe(exc: BaseException) -> tuple[str, str]:
    """(title, message) for a dialog or a status line; never a traceback."""
    title = getattr(exc, "title", None)
    message = getattr(exc, "message", None)
    if isinstance(title, str) and isinstance(message, str) and message:
        return title, message
    if isinstance(exc, OSError):
        return "File problem", f"{exc.strerror or exc}. Check the folder exists and you may write to it."
    log.error("unexpected error", exc_info=exc)
    return "Something went wrong", f"An unexpected error happened ({type(exc).__name__}). {LOG_HINT}"
