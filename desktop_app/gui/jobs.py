"""The one background mechanism of the window: two worker threads, never the GUI thread.

``await jobs.call(fn, ...)`` runs a blocking call (HTTP, SQLite) on the *service* thread and
resumes on the GUI thread with the result; ``await jobs.call_long(fn, ...)`` runs a long one (a
sync run, a sign-in waiting for the browser) on the *run* thread, so the views stay live
meanwhile. One thread each: the façade sees at most two callers at once, in a known shape,
instead of a pool's arbitrary many. ``busy`` counts running jobs for a busy indicator.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:  # asyncio is imported with qasync, after the window's first paint (B5)
    import asyncio

T = TypeVar("T")
log = logging.getLogger(__name__)


class JobRunner(QObject):
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._running = 0
        self._tasks: set[asyncio.Task] = set()
        self._service = ThreadPoolExecutor(max_workers=1, thread_name_prefix="app-service")
        self._run = ThreadPoolExecutor(max_workers=1, thread_name_prefix="app-run")

    @property
    def busy(self) -> bool:
        return self._running > 0

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` on the service thread (short calls, one after the other)."""
        return await self._on(self._service, fn, *args, **kwargs)

    async def call_long(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` on the run thread (a sync run, a sign-in waiting for a browser)."""
        return await self._on(self._run, fn, *args, **kwargs)

    async def _on(self, executor: ThreadPoolExecutor, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        import asyncio

        loop = asyncio.get_running_loop()
        self._running += 1
        if self._running == 1:
            self.busy_changed.emit(True)
        try:
            return await loop.run_in_executor(executor, functools.partial(fn, *args, **kwargs))
        finally:
            self._running -= 1
            if self._running == 0:
                self.busy_changed.emit(False)

    def close(self) -> None:
        """At shutdown, after ``drain``: the threads end once their current call returns."""
        for executor in (self._service, self._run):
            executor.shutdown(wait=False, cancel_futures=True)

    def spawn(self, coro) -> asyncio.Task:
        """Start a coroutine from a plain Qt slot; keeps a reference so it is not collected."""
        import asyncio

        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait for the spawned tasks (shutdown); those still waiting (a dialog left open) are cancelled."""
        import asyncio

        if not self._tasks:
            return
        _, pending = await asyncio.wait(list(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


class ProgressBridge(QObject):
    """Adapts the engine's plain progress callback (any thread) to a queued Qt signal."""

    progressed = Signal(object)

    def __call__(self, progress: object) -> None:
        self.progressed.emit(progress)
