"""Exit codes of ``desktop-app``, in one place: 0 ok, 1 failed, 2 refused / usage, 3 deferred,
4 needs your decision (a double opt-in list: accept it or choose another list), 128 + N stopped by
signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP)."""

from __future__ import annotations

from desktop_app.domain.errors import AppError, ErrorKind
from desktop_app.domain.run import RunStatus

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REFUSED = 2
EXIT_DEFERRED = 3
EXIT_NEEDS_DECISION = 4
EXIT_INTERRUPTED = 130  # 128 + SIGINT

BY_KIND: dict[ErrorKind, int] = {ErrorKind.FAILED: EXIT_FAILED, ErrorKind.REFUSED: EXIT_REFUSED,
                                 ErrorKind.DEFERRED: EXIT_DEFERRED}

# How a run ended → the exit code of ``sync run`` (cancelled by a signal: 128 + its number).
RUN_EXIT: dict[RunStatus, int] = {RunStatus.COMPLETED: EXIT_OK, RunStatus.FAILED: EXIT_FAILED,
                                  RunStatus.DEFERRED: EXIT_DEFERRED, RunStatus.CANCELLED: EXIT_INTERRUPTED,
                                  RunStatus.NEEDS_DECISION: EXIT_NEEDS_DECISION}


class CommandError(AppError):
    """A refusal (by default) of a command, with a sentence for the user."""

    kind = ErrorKind.REFUSED


def exit_code(kind: ErrorKind) -> int:
    return BY_KIND[ErrorKind(kind)]
