"""Python's cyclic garbage collector, run on the GUI thread only (qutebrowser's GarbageCollector).

A Qt object that ends up in a reference cycle is freed by whichever thread happens to trigger a
collection: with the sync's run and service threads allocating, that is often not the GUI thread,
and Qt warns "QObject::~QObject: Timers cannot be stopped from another thread" (or worse, for
widgets). Automatic collection is switched off while the window lives; a timer on the GUI thread
collects each generation when its counts pass the usual thresholds.

Once the window has started (the service built, its libraries imported), ``settle`` collects and
then freezes what survives (``gc.freeze``, as Instagram does before forking): a later full
collection walks only what was made since, so the GUI thread's pauses stay short during a run (B4).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class MainThreadGc(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.was_enabled = gc.isenabled()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.collect)

    def start(self) -> None:
        gc.disable()
        self.timer.start()

    def settle(self) -> None:
        """After start-up: collect once, then keep the survivors out of every later collection."""
        gc.collect()
        gc.freeze()

    def stop(self) -> None:
        self.timer.stop()
        gc.unfreeze()
        gc.collect()  # what the window left behind, here on the GUI thread
        if self.was_enabled:
            gc.enable()

    def collect(self) -> int:
        """Collect what the thresholds call for (on the GUI thread); returns objects found."""
        l0, l1, l2 = gc.get_count()
        found = 0
        if l0 > self.threshold[0]:
            found = gc.collect(0)
            if l1 > self.threshold[1]:
                found += gc.collect(1)
                if l2 > self.threshold[2]:
                    found += gc.collect(2)
        return found
