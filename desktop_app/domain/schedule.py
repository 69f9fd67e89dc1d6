"""When a sync runs: the schedule model, its text form and the next run times (SPEC R14).

Specs (CLI ``--schedule``, settings storage): ``every-1h`` ``every-2h`` ``every-4h`` ``every-6h``
``every-12h``, ``daily@HH:MM``, ``weekly@mon@HH:MM`` (``mon`` … ``sun``).

Semantics of :func:`next_runs` — all in the user's local zone, never in naive time:

- **Interval** (every N hours) fires at the local wall-clock hours that are multiples of N
  (00:00, 04:00, 08:00, … for N=4), like cron's ``0 */N * * *``; it is anchored to the clock, not
  to the last run, so the app can be restarted without drifting.
- **Daily / weekly** fire at the local HH:MM (weekly: on that local weekday, 0 = Monday).
- **Spring-forward gap** — a wall time that does not exist that day is shifted forward by the
  length of the gap (Europe/Berlin: 02:30 → 03:30 CEST). If that lands on an instant that
  already fires (every-1h: 02:00 → 03:00), it fires once.
- **Fall-back fold** — a wall time that occurs twice fires once, at its first occurrence, for
  daily and weekly schedules. Interval schedules fire at both occurrences (as cron does for
  hour-wildcard jobs): for every-1h the two 02:00 instants are an hour apart, like every
  other pair of runs, so the elapsed spacing is kept.
- Never two runs at the same instant; results are strictly after ``after``, ascending.

Results are aware datetimes in the user's zone, for display. Compare or subtract them in UTC
(``.astimezone(UTC)`` / ``.timestamp()``): Python compares two datetimes of the *same* zone by
wall time, so the two 02:00 runs of a fall-back night would look equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal

INTERVAL_HOURS: tuple[int, ...] = (1, 2, 4, 6, 12)
WEEKDAY_CODES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES: tuple[str, ...] = (
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
)
VALID_FORMS = "every-1h, every-2h, every-4h, every-6h, every-12h, daily@HH:MM or weekly@mon@HH:MM (mon…sun)"

ScheduleKind = Literal["interval", "daily", "weekly"]


def _parse_time(text: str) -> time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a time; write it as HH:MM, e.g. 09:30.")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(f"{text!r} is not a time of day; hours go 00–23 and minutes 00–59.")
    return time(hour, minute)


def _weekday(value: int | str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= 6:
            return value
        raise ValueError(f"Weekday must be 0 (Monday) to 6 (Sunday), got {value}.")
    text = str(value).strip().lower()
    for i, (code, name) in enumerate(zip(WEEKDAY_CODES, WEEKDAY_NAMES, strict=True)):
        if text in (code, name.lower()):
            return i
    raise ValueError(f"{value!r} is not a weekday; use mon, tue, wed, thu, fri, sat or sun.")


@dataclass(frozen=True)
class Schedule:
    kind: ScheduleKind
    every_hours: int | None = None
    at: time | None = None
    weekday: int | None = None  # 0 = Monday, as datetime.weekday()

    def __post_init__(self) -> None:
        if self.kind == "interval":
            if self.every_hours not in INTERVAL_HOURS or self.at is not None or self.weekday is not None:
                raise ValueError(
                    f"An interval schedule runs every 1, 2, 4, 6 or 12 hours, got {self.every_hours!r}."
                )
            return
        if self.kind not in ("daily", "weekly"):
            raise ValueError(f"Unknown schedule kind {self.kind!r}; use interval, daily or weekly.")
        if self.every_hours is not None:
            raise ValueError(f"A {self.kind} schedule has no interval.")
        if not isinstance(self.at, time) or self.at.tzinfo is not None:
            raise ValueError(f"A {self.kind} schedule needs a local time of day (HH:MM).")
        if self.at.second or self.at.microsecond:
            raise ValueError("Schedule times are whole minutes (HH:MM).")
        if self.kind == "daily" and self.weekday is not None:
            raise ValueError("A daily schedule has no weekday.")
        if self.kind == "weekly" and (
            not isinstance(self.weekday, int) or isinstance(self.weekday, bool) or not 0 <= self.weekday <= 6
        ):
            raise ValueError("A weekly schedule needs a weekday from 0 (Monday) to 6 (Sunday).")

    # ----------------------------------------------------------------- constructors

    @classmethod
    def every(cls, hours: int) -> Schedule:
        if isinstance(hours, bool) or hours not in INTERVAL_HOURS:
            raise ValueError(f"A sync can run every 1, 2, 4, 6 or 12 hours, not every {hours!r}.")
        return cls("interval", every_hours=hours)

    @classmethod
    def daily(cls, at: time | str) -> Schedule:
        return cls("daily", at=_parse_time(at) if isinstance(at, str) else at)

    @classmethod
    def weekly(cls, weekday: int | str, at: time | str) -> Schedule:
        return cls("weekly", at=_parse_time(at) if isinstance(at, str) else at, weekday=_weekday(weekday))

    @classmethod
    def default(cls) -> Schedule:
        """Daily at 09:00 local time: once a day, in working hours."""
        return cls.daily(time(9, 0))

    # ----------------------------------------------------------------- text forms

    @property
    def spec(self) -> str:
        """The canonical spec; ``parse_schedule(s.spec) == s``."""
        if self.kind == "interval":
            return f"every-{self.every_hours}h"
        assert self.at is not None
        hhmm = self.at.strftime("%H:%M")
        if self.kind == "daily":
            return f"daily@{hhmm}"
        assert self.weekday is not None
        return f"weekly@{WEEKDAY_CODES[self.weekday]}@{hhmm}"

    def describe(self) -> str:
        if self.kind == "interval":
            return "Every hour" if self.every_hours == 1 else f"Every {self.every_hours} hours"
        assert self.at is not None
        hhmm = self.at.strftime("%H:%M")
        if self.kind == "daily":
            return f"Daily at {hhmm}"
        assert self.weekday is not None
        return f"Weekly on {WEEKDAY_NAMES[self.weekday]} at {hhmm}"

    def __str__(self) -> str:
        return self.spec


def parse_schedule(spec: str) -> Schedule:
    """``every-4h`` | ``daily@09:30`` | ``weekly@mon@09:30`` → Schedule (case and spaces ignored)."""
    text = (spec or "").strip().lower().replace(" ", "")
    try:
        match = re.fullmatch(r"every-(\d{1,2})h", text)
        if match:
            return Schedule.every(int(match.group(1)))
        parts = text.split("@")
        if parts[0] == "daily" and len(parts) == 2:
            return Schedule.daily(_parse_time(parts[1]))
        if parts[0] == "weekly" and len(parts) == 3:
            return Schedule.weekly(_weekday(parts[1]), _parse_time(parts[2]))
    except ValueError as exc:
        raise ValueError(f"Schedule {spec!r} is not valid: {exc} Valid forms: {VALID_FORMS}.") from None
    raise ValueError(f"Schedule {spec!r} is not valid. Valid forms: {VALID_FORMS}.")


PRESETS: list[tuple[str, Schedule]] = [
    (s.describe(), s)
    for s in (
        *(Schedule.every(h) for h in INTERVAL_HOURS),
        Schedule.daily(time(9, 0)),
        Schedule.weekly(0, time(9, 0)),
    )
]


# --------------------------------------------------------------------------- next runs


def _instants(day: date, wall: time, tz: tzinfo) -> list[datetime]:
    """The UTC instants at which local ``day wall`` happens: none → gap-shifted, one, or two (fold)."""
    naive = datetime.combine(day, wall)
    found: list[datetime] = []
    for fold in (0, 1):
        instant = naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        if instant.astimezone(tz).replace(tzinfo=None, fold=0) == naive and instant not in found:
            found.append(instant)
    if found:
        return sorted(found)
    # Gap: PEP 495 maps a missing time with the offsets before and after the transition; the
    # later of the two instants is the wall time moved forward by the gap's length.
    return [max(naive.replace(tzinfo=tz, fold=f).astimezone(UTC) for f in (0, 1))]


def _day_slots(schedule: Schedule, day: date, tz: tzinfo) -> list[datetime]:
    if schedule.kind == "interval":
        assert schedule.every_hours is not None
        slots: list[datetime] = []
        for hour in range(0, 24, schedule.every_hours):
            slots.extend(_instants(day, time(hour), tz))  # both fold occurrences
        return slots
    if schedule.kind == "weekly" and day.weekday() != schedule.weekday:
        return []
    assert schedule.at is not None
    return _instants(day, schedule.at, tz)[:1]  # fold: the first occurrence only


def next_runs(schedule: Schedule, after: datetime, tz: tzinfo, count: int = 3) -> list[datetime]:
    """The next ``count`` run times strictly after ``after`` (aware), as aware datetimes in ``tz``."""
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError("next_runs needs an aware datetime (with a time zone), got a naive one.")
    if count < 0:
        raise ValueError(f"count must be 0 or more, got {count}.")
    if count == 0:
        return []
    after_utc = after.astimezone(UTC)
    # Start a day early: a gap-shifted slot of the previous local day can land after `after`.
    day = after_utc.astimezone(tz).date() - timedelta(days=1)
    found: set[datetime] = set()
    extra_days = None  # once `count` runs are found, look 2 more days for gap-shifted earlier ones
    for _ in range(8 * count + 16):
        found.update(s for s in _day_slots(schedule, day, tz) if s > after_utc)
        day += timedelta(days=1)
        if extra_days is None and len(found) >= count:
            extra_days = 2
        elif extra_days is not None:
            extra_days -= 1
            if extra_days == 0:
                break
    return [s.astimezone(tz) for s in sorted(found)[:count]]


def next_run(schedule: Schedule, after: datetime, tz: tzinfo) -> datetime:
    """The first run strictly after ``after``."""
    return next_runs(schedule, after, tz, count=1)[0]


# --------------------------------------------------------------------------- retry after failures

FIRST_RETRY = timedelta(minutes=15)
MAX_RETRY = timedelta(hours=6)


def retry_delay(failures: int) -> timedelta:
    """How long to wait after ``failures`` scheduled runs failed in a row: 15 min, 30, 1 h, 2 h … 6 h."""
    if failures < 1:
        return timedelta(0)
    # 2**5 × 15 min already passes 6 h: no need to build huge numbers for long streaks.
    return min(FIRST_RETRY * 2 ** min(failures - 1, 5), MAX_RETRY)


def next_attempt(schedule: Schedule, last_run_at: datetime, failures: int, tz: tzinfo) -> datetime:
    """When the sync runs next, after a run that ended at ``last_run_at``.

    ``failures`` counts the runs that failed in a row since the last completed one (0: it
    completed). A failing sync is retried after :func:`retry_delay`, never later than its next
    regular slot, so a fixed problem is picked up by the schedule at the latest.
    """
    slot = next_run(schedule, last_run_at, tz)
    if failures < 1:
        return slot
    retry = (last_run_at.astimezone(UTC) + retry_delay(failures)).astimezone(tz)
    return min(slot, retry, key=lambda d: d.timestamp())
