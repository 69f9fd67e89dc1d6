"""The façade's own refusals, and the one translator of failures for the CLI and the window."""

from __future__ import annotations

import logging
import sys

from desktop_app import config
from desktop_app.domain.errors import AppError, Described, ErrorKind
from desktop_app.domain.errors import describe as describe_error

log = logging.getLogger(__name__)


class ServiceError(AppError):
    """A refusal (by default) or a failure of a use case, with a sentence a person can act on."""

    kind = ErrorKind.REFUSED


def describe(exc: BaseException, *, log_hint: str | None = None) -> Described:
    """What a person is told of any failure, in the CLI and in the window alike.

    Every layer's errors are ``AppError``s (title, message, kind, resume_at); the database
    driver's own failures get the app's sentences here; anything else is a bug, logged with its
    traceback and told as "Something unexpected went wrong".
    """
    hint = log_hint or f"details are in {config.app_paths().log_file}"
    # SQLAlchemy is imported by the store, not here: the window imports this before the database
    # (its first paint does not wait for SQLAlchemy); a driver error means it is loaded already.
    alchemy = sys.modules.get("sqlalchemy.exc")
    if alchemy is not None and isinstance(exc, alchemy.OperationalError):
        from desktop_app.store.db import DatabaseError
        from desktop_app.store.db import classify as classify_db_error

        log.error("database error: %s", exc)
        path = config.app_paths().db_path
        exc = classify_db_error(exc, path) or DatabaseError(
            f"The app's database {path} is busy or cannot be written (is the disk full?); try again, {hint}.")
    described = describe_error(exc, log_hint=hint)
    if described.unexpected:
        log.error("unexpected error", exc_info=exc)
    return described
