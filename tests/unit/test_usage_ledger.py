"""The shared API usage ledger (store/usage.py) on a real SQLite file: every call is recorded
before it is sent, seen by every other limiter ("process") on the same file, locks included."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from desktop_app.connectors.errors import Locked
from desktop_app.connectors.limiter import Limiter, allowed_calls, restore_usage
from desktop_app.domain.limits import LIMITS, unknown_usage
from desktop_app.store.db import Database
from desktop_app.store.models import ApiUse
from desktop_app.store.usage import SqlUsageLedger

FAMILY = "campaigns.listsubscribe"


class Clock:
    """One wall clock for every limiter and ledger of a test; each limiter has its own monotonic
    clock (as a process does), derived from the wall."""

    def __init__(self) -> None:
        self.wall0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
        self.t = 0.0

    def wall(self) -> datetime:
        return self.wall0 + timedelta(seconds=self.t)

    def epoch(self) -> float:
        return self.wall().timestamp()

    def limiter(self, ledger: SqlUsageLedger, offset: float = 0.0, **kw) -> Limiter:
        return Limiter(clock=lambda: self.t + offset, wall=self.wall, sleep=self.sleep, ledger=ledger, **kw)

    def sleep(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "app.sqlite3"
    Database.open(path).close()
    return path


def _fill_minute(lim: Limiter, clock: Clock) -> int:
    """The minute window's budget, at the limiter's pace (its waits slept through)."""
    start = clock.t
    for _ in range(allowed_calls(500, FAMILY)):
        lim.acquire(FAMILY)
    assert clock.t - start < 60
    return allowed_calls(500, FAMILY)


def test_a_second_process_sees_every_call_of_the_first_and_waits(db_path):
    clock = Clock()
    first = clock.limiter(SqlUsageLedger(db_path, wall=clock.epoch))
    _fill_minute(first, clock)
    # The first process dies here (kill -9: nothing saved on the way out). A second one starts.
    second = clock.limiter(SqlUsageLedger(db_path, wall=clock.epoch), offset=1234.0)
    wait = second.try_acquire(FAMILY)
    assert 0 < wait <= 60
    clock.sleep(60)
    assert second.try_acquire(FAMILY) == 0


def test_each_call_is_in_the_database_before_acquire_returns(db_path):
    clock = Clock()
    ledger = SqlUsageLedger(db_path, wall=clock.epoch)
    lim = clock.limiter(ledger)
    reader = Database.open(db_path)
    try:
        for n in range(1, 6):
            lim.acquire(FAMILY)
            with reader.read_session() as s:
                assert s.scalar(select(func.count()).select_from(ApiUse).where(ApiUse.family == FAMILY)) == n
    finally:
        reader.close()


def test_two_live_limiters_interleaved_never_exceed_a_window_together(db_path):
    clock = Clock()
    a = clock.limiter(SqlUsageLedger(db_path, wall=clock.epoch))
    b = clock.limiter(SqlUsageLedger(db_path, wall=clock.epoch), offset=50.0)
    taken = 0
    for i in range(3000):
        lim = a if i % 3 else b
        if lim.try_acquire(FAMILY) == 0:
            taken += 1
        clock.sleep(0.05)
    reader = Database.open(db_path)
    with reader.read_session() as s:
        at = sorted(s.scalars(select(ApiUse.at).where(ApiUse.family == FAMILY)))
    reader.close()
    assert len(at) == taken and taken > 1000
    allowed = allowed_calls(500, FAMILY)
    worst = max(sum(1 for t in at[i:] if t < start + 60) for i, start in enumerate(at))
    assert worst <= allowed
    assert worst >= allowed - 5  # and the window is really used, not left half empty


def test_a_lock_seen_by_one_process_is_respected_by_the_others(db_path):
    clock = Clock()
    a = clock.limiter(SqlUsageLedger(db_path, wall=clock.epoch))
    b = clock.limiter(SqlUsageLedger(db_path, wall=clock.epoch), offset=7.0)
    a.hold(FAMILY, clock.wall() + timedelta(minutes=30))
    with pytest.raises(Locked) as info:
        b.try_acquire(FAMILY)
    assert info.value.resume_at == clock.wall() + timedelta(minutes=30)
    assert b.try_acquire("campaigns.lists") == 0  # only that API is locked
    clock.sleep(30 * 60 + 1)
    assert b.try_acquire(FAMILY) == 0


def test_unknown_usage_is_waited_out_once_by_every_process(db_path):
    clock = Clock()
    ledger = SqlUsageLedger(db_path, wall=clock.epoch)
    ledger.record([unknown_usage(clock.epoch())])
    later = clock.limiter(SqlUsageLedger(db_path, wall=clock.epoch))
    assert 0 < later.try_acquire(FAMILY) <= 3600  # its hour window counts as full
    assert 0 < later.try_acquire("books", "org") <= 60
    clock.sleep(3601)  # the longest window short of a day (listsubscribe's hour)
    assert later.try_acquire(FAMILY) == 0


def test_the_older_versions_usage_file_is_taken_in_once_and_removed(db_path, tmp_path):
    clock = Clock()
    path = tmp_path / "api-usage.json"
    hourly = allowed_calls(12_500, FAMILY)
    path.write_text(json.dumps({"scale": 1.0, "calls": {FAMILY: {"": [[clock.epoch() - 600, hourly]]}},
                                "locks": {}}), encoding="utf-8")
    first = clock.limiter(SqlUsageLedger(db_path, wall=clock.epoch))
    assert restore_usage(first, path) is True and not path.exists()
    other = clock.limiter(SqlUsageLedger(db_path, wall=clock.epoch), offset=3.0)
    assert other.try_acquire(FAMILY) > 60  # the hour is spent, for every process


def test_another_scale_is_another_world(db_path):
    clock = Clock()
    fast = clock.limiter(SqlUsageLedger(db_path, scale=60, wall=clock.epoch), scale=60)
    for _ in range(allowed_calls(500, FAMILY)):
        fast.acquire(FAMILY)
    normal = clock.limiter(SqlUsageLedger(db_path, wall=clock.epoch))
    assert normal.try_acquire(FAMILY) == 0


def test_processes_racing_on_one_file_stay_within_every_window(db_path, tmp_path):
    """Real processes, real clocks (windows of one second: scale 60), one file."""
    script = textwrap.dedent(f"""
        import sys, time
        from desktop_app.connectors.limiter import Limiter
        from desktop_app.store.usage import SqlUsageLedger
        lim = Limiter(scale=60, ledger=SqlUsageLedger({str(db_path)!r}, scale=60))
        end = time.monotonic() + 2.5
        n = 0
        while time.monotonic() < end:
            lim.acquire({FAMILY!r})
            n += 1
        print(n)
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
             for _ in range(3)]
    counts = [int(p.communicate(timeout=60)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    reader = Database.open(db_path)
    with reader.read_session() as s:
        at = sorted(s.scalars(select(ApiUse.at).where(ApiUse.family == FAMILY, ApiUse.scale == 60)))
    reader.close()
    assert len(at) == sum(counts)
    window = LIMITS[FAMILY].windows[0].seconds / 60
    worst = max(sum(1 for t in at[i:i + 600] if t < start + window) for i, start in enumerate(at))
    assert worst <= allowed_calls(500, FAMILY)
    assert min(counts) > 0  # every process got calls


def test_a_process_killed_after_filling_the_hour_leaves_the_hour_spent_for_the_next(db_path):
    """Pacing keeps a restart inside the minute window by itself; the hour (and day) windows
    need the ledger: the next process must wait for the hour the dead one used up."""
    clock = Clock()
    first = clock.limiter(SqlUsageLedger(db_path, wall=clock.epoch))
    for _ in range(allowed_calls(12_500, FAMILY)):
        first.acquire(FAMILY)
    assert clock.t < 3600
    clock.sleep(120)  # the dead process's minute windows are long over
    second = clock.limiter(SqlUsageLedger(db_path, wall=clock.epoch), offset=99.0)
    assert second.try_acquire(FAMILY) > 60  # waits for the hour, not a minute
    alone = Limiter(clock=lambda: clock.t, wall=clock.wall, sleep=clock.sleep)
    assert alone.try_acquire(FAMILY) == 0  # without the ledger it would have gone over
