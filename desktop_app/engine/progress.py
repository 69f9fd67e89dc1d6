"""The one progress/cancel protocol shared by the command line and the window.

The engine calls ``progress(Progress(...))`` from whatever thread runs it and polls
``cancel.cancelled`` at batch boundaries; the CLI prints a line, the GUI's job runner turns the
callback into a Qt signal. Nothing here knows about threads or Qt.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from desktop_app.domain.counts import RunCounts
from desktop_app.domain.run import Phase


@dataclass(frozen=True)
class Progress:
    run_id: int
    phase: Phase
    done: int
    total: int | None  # None while unknown
    counts: RunCounts = field(default_factory=RunCounts)
    message: str = ""
    read: int = 0  # Books customers read so far (pages are written as they are read)
    eta: datetime | None = None  # when the run should finish at Zoho's limits (set by app.eta)
    eta_text: str = ""  # the same in words: "about 89,000 writes; Zoho allows 75,000 a day: …"

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.done / self.total)

    @property
    def phase_label(self) -> str:
        return Phase(self.phase).label


ProgressSink = Callable[[Progress], None]


def ignore_progress(_: Progress) -> None:
    return None


class CancelToken:
    """Set from any thread; the engine stops at the next batch boundary."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = "cancelled"

    def cancel(self, reason: str = "cancelled") -> None:
        self.reason = reason
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()
