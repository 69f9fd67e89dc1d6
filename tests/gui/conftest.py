"""GUI fixtures: a qasync loop around pytest-qt's qapp, and a running GuiSession on a small Sandbox."""

from __future__ import annotations

import asyncio
import gc

import pytest

from tests.gui.sandbox_session import flush_deletes, new_session, start_sandbox


@pytest.fixture(autouse=True)
def _collector_back_on():
    """A window switches Python's automatic GC off while it lives (gui/main_thread_gc.py); a test
    that never shut its session down must not leave it off for the next."""
    yield
    gc.enable()
    gc.collect()


@pytest.fixture
def loop(qapp):
    import qasync

    event_loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    event_loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def run_in(loop):
    def run(coro_fn, *args, timeout: float = 120):
        return loop.run_until_complete(coro_fn(*args))
    return run


@pytest.fixture
def sandbox():
    server = start_sandbox()
    yield server
    server.stop()


@pytest.fixture
def session(loop, sandbox):
    s = new_session()
    loop.run_until_complete(s.start(schedule=False))
    yield s
    loop.run_until_complete(s.shutdown())
    flush_deletes()
