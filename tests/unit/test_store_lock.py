"""Store: the run lock excludes other processes and threads, names the holder, and dies with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from desktop_app.store.lock import AlreadyRunning, RunLock

HOLDER = """
import sys, time
from desktop_app.store.lock import RunLock
lock = RunLock(sys.argv[1])
print("got" if lock.acquire() else "busy", flush=True)
time.sleep(120)
"""


def start_holder(path) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True)
    answer = child.stdout.readline().strip()
    if answer != "got":
        child.kill()
        child.wait()
        child.stdout.close()
        pytest.fail(f"the helper process could not take the lock ({answer or 'no answer'})")
    return child


def wait_until_free(lock: RunLock, attempts: int = 200) -> bool:
    """The kernel drops a dead process's lock as it reaps it; poll instead of assuming when."""
    for _ in range(attempts):
        if lock.acquire():
            return True
        time.sleep(0.05)
    return False


def test_another_process_holding_the_lock_blocks_us_until_it_is_killed(tmp_path):
    path = tmp_path / "data" / "sync-run.lock"
    child = start_holder(path)
    try:
        lock = RunLock(path)
        assert lock.acquire() is False
        assert not lock.held
        assert lock.holder() == str(child.pid)
        with pytest.raises(AlreadyRunning, match=rf"Another sync run is in progress \(process {child.pid}\)"), lock:
            pass  # pragma: no cover - never entered
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert wait_until_free(lock)
    assert lock.held and lock.holder() == str(os.getpid())
    lock.release()


def test_a_released_lock_can_be_taken_by_another_process(tmp_path):
    path = tmp_path / "sync-run.lock"
    with RunLock(path) as lock:
        assert lock.held
        busy = subprocess.run([sys.executable, "-c", HOLDER.replace("time.sleep(120)", ""), str(path)],
                              capture_output=True, text=True, check=True)
        assert busy.stdout.strip() == "busy"
    assert not lock.held
    free = subprocess.run([sys.executable, "-c", HOLDER.replace("time.sleep(120)", ""), str(path)],
                          capture_output=True, text=True, check=True)
    assert free.stdout.strip() == "got"


def test_two_instances_exclude_each_other_across_threads(tmp_path):
    path = tmp_path / "sync-run.lock"
    first = RunLock(path)
    assert first.acquire()
    seen: list[bool] = []
    thread = threading.Thread(target=lambda: seen.append(RunLock(path).acquire()))
    thread.start()
    thread.join()
    assert seen == [False]
    first.release()
    second = RunLock(path)
    assert second.acquire()
    second.release()


def test_release_is_idempotent_and_acquire_by_the_holder_is_true(tmp_path):
    lock = RunLock(tmp_path / "sync-run.lock")
    lock.release()  # not held: nothing happens
    assert lock.acquire() and lock.acquire()
    lock.release()
    lock.release()
    assert not lock.held
    assert RunLock(tmp_path / "sync-run.lock").acquire()


def test_the_context_manager_releases_on_error(tmp_path):
    path = tmp_path / "sync-run.lock"
    with pytest.raises(RuntimeError), RunLock(path):
        raise RuntimeError("run failed")
    other = RunLock(path)
    assert other.acquire()
    other.release()
