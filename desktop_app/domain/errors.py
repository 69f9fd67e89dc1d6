"""The error base every layer's failures share, and the one translator to a person's sentence.

Each failure a person may see is an ``AppError``: a ``title`` (a dialog's title, a status line's
lead), a ``message`` (one sentence saying what happened and what to do), a ``kind`` — REFUSED
(nothing was done: a precondition), FAILED (something went wrong) or DEFERRED (it continues
later) — and for DEFERRED the one ``resume_at``. ``describe(exc)`` turns *any* exception into
that shape (the CLI's exit code and the window's dialog both come from it); an exception that
is not an AppError is a bug: "Something unexpected went wrong" (``unexpected``: the caller logs
the traceback; the domain does no I/O).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ErrorKind(StrEnum):
    REFUSED = "refused"  # nothing was done: a precondition does not hold (exit 2)
    FAILED = "failed"  # something went wrong (exit 1)
    DEFERRED = "deferred"  # it continues later, at ``resume_at`` (exit 3)


class AppError(Exception):
    """A failure with a sentence a person can act on."""

    title: str = "Cannot continue"
    kind: ErrorKind = ErrorKind.FAILED

    def __init__(self, message: str, *, title: str | None = None, kind: ErrorKind | None = None,
                 resume_at: datetime | None = None) -> None:
        super().__init__(message)
        self._message = message
        if title:
            self.title = title
        if kind is not None:
            self.kind = ErrorKind(kind)
        self.resume_at = resume_at

    @property
    def message(self) -> str:
        return self._message

    def __str__(self) -> str:
        return self._message


class DatabaseError(AppError):
    """The app's database cannot be used; the message says why and what to do (store/db.py)."""

    title = "The app's database cannot be used"


class DamagedDatabase(DatabaseError):
    """The file is damaged (SQLite: "malformed", "not a database")."""

    title = "The app's database is damaged"


class DiskFull(DatabaseError):
    """A write failed because the disk (or the user's quota) is full."""

    title = "The disk is full"


class ReadOnlyDatabase(DatabaseError):
    """A write was refused: the database file (or its folder) is read-only."""

    title = "The app's database is read-only"
    kind = ErrorKind.REFUSED


class DatabaseBusy(DatabaseError):
    """Another writer held the database longer than the busy timeout."""

    title = "The app's database is busy"


@dataclass(frozen=True)
class Described:
    title: str
    message: str
    kind: ErrorKind
    resume_at: datetime | None = None
    unexpected: bool = False  # a bug: the caller logs the traceback


UNEXPECTED_TITLE = "Something went wrong"


def describe(exc: BaseException, *, log_hint: str = "details are in the log file") -> Described:
    """Any exception → what a person is told. Never a traceback."""
    if isinstance(exc, AppError):
        return Described(exc.title, exc.message, exc.kind, exc.resume_at)
    if isinstance(exc, OSError):
        what = exc.strerror or str(exc)
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        return Described("File problem", f"{what}{where}. Check the folder exists and you may write to it.",
                         ErrorKind.FAILED)
    return Described(UNEXPECTED_TITLE, f"Something unexpected went wrong ({type(exc).__name__}); {log_hint}.",
                     ErrorKind.FAILED, unexpected=True)
