"""GUI fixtures: a qasync loop around pytest-qt's qapp, and a helper to await a condition."""

from __future__ import annotations

import asyncio

import pytest


@pytest.fixture
def loop(qapp):
    import qasync

    event_loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    event_loop.close()
    asyncio.set_event_loop(None)


async def until(predicate, timeout: float = 30.0, what: str = "condition") -> None:
    """Let the qasync loop run until ``predicate()`` is true (qtbot.waitUntil can't drive asyncio)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
