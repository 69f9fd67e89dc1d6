"""Schedule model, specs and next_runs: DST in three zones, month/year ends, invariants."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from desktop_app.domain.schedule import (
    PRESETS,
    VALID_FORMS,
    Schedule,
    next_run,
    next_runs,
    parse_schedule,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")
KOLKATA = ZoneInfo("Asia/Kolkata")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")  # a 30-minute DST shift


def z(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def utc(runs: list[datetime]) -> list[datetime]:
    return [r.astimezone(UTC) for r in runs]


def local(runs: list[datetime]) -> list[str]:
    return [r.strftime("%Y-%m-%d %H:%M %Z") for r in runs]


# --------------------------------------------------------------------------- specs


@pytest.mark.parametrize(
    ("spec", "schedule", "text"),
    [
        ("every-1h", Schedule.every(1), "Every hour"),
        ("every-2h", Schedule.every(2), "Every 2 hours"),
        ("every-4h", Schedule.every(4), "Every 4 hours"),
        ("every-6h", Schedule.every(6), "Every 6 hours"),
        ("every-12h", Schedule.every(12), "Every 12 hours"),
        ("daily@09:30", Schedule.daily(time(9, 30)), "Daily at 09:30"),
        ("daily@00:00", Schedule.daily(time(0, 0)), "Daily at 00:00"),
        ("weekly@mon@09:30", Schedule.weekly(0, time(9, 30)), "Weekly on Monday at 09:30"),
        ("weekly@sun@23:59", Schedule.weekly(6, time(23, 59)), "Weekly on Sunday at 23:59"),
    ],
)
def test_spec_round_trip_and_description(spec, schedule, text):
    assert parse_schedule(spec) == schedule
    assert schedule.spec == spec
    assert parse_schedule(schedule.spec) == schedule
    assert str(schedule) == spec
    assert schedule.describe() == text


@pytest.mark.parametrize(
    ("spec", "canonical"),
    [
        ("EVERY-4H", "every-4h"),
        (" every-6h ", "every-6h"),
        ("Daily@9:05", "daily@09:05"),
        ("WEEKLY@Fri@07:00", "weekly@fri@07:00"),
        ("weekly@monday@07:00", "weekly@mon@07:00"),
        ("weekly @ tue @ 18:45", "weekly@tue@18:45"),
    ],
)
def test_parse_is_lenient_about_case_and_spaces(spec, canonical):
    assert parse_schedule(spec).spec == canonical


@pytest.mark.parametrize(
    "spec",
    [
        "", "   ", "hourly", "every-3h", "every-0h", "every-24h", "every-1", "every1h", "daily",
        "daily@", "daily@9", "daily@24:00", "daily@09:60", "daily@09:00@mon", "daily@9am",
        "weekly@mon", "weekly@xyz@09:00", "weekly@@09:00", "weekly@mon@25:00", "monthly@1@09:00",
    ],
)
def test_invalid_specs_are_refused_with_the_valid_forms(spec):
    with pytest.raises(ValueError) as err:
        parse_schedule(spec)
    assert VALID_FORMS in str(err.value)
    assert repr(spec) in str(err.value)


def test_none_spec_is_a_clear_error():
    with pytest.raises(ValueError, match="Valid forms"):
        parse_schedule(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("hours", [0, 3, 5, 8, 24, -1, True])
def test_every_accepts_only_the_offered_intervals(hours):
    with pytest.raises(ValueError, match="1, 2, 4, 6 or 12"):
        Schedule.every(hours)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "interval", "every_hours": 3},
        {"kind": "interval", "every_hours": 4, "at": time(9)},
        {"kind": "daily"},
        {"kind": "daily", "at": time(9), "weekday": 1},
        {"kind": "daily", "at": time(9), "every_hours": 4},
        {"kind": "daily", "at": time(9, 0, 30)},
        {"kind": "daily", "at": time(9, tzinfo=UTC)},
        {"kind": "weekly", "at": time(9)},
        {"kind": "weekly", "at": time(9), "weekday": 7},
        {"kind": "monthly", "at": time(9)},
    ],
)
def test_inconsistent_schedules_cannot_be_built(kwargs):
    with pytest.raises(ValueError):
        Schedule(**kwargs)


def test_constructors_accept_text_times_and_weekday_names():
    assert Schedule.daily("07:15") == Schedule.daily(time(7, 15))
    assert Schedule.weekly("wed", "07:15") == Schedule.weekly(2, time(7, 15))
    with pytest.raises(ValueError, match="weekday"):
        Schedule.weekly("someday", "07:15")


def test_default_and_presets():
    assert Schedule.default() == parse_schedule("daily@09:00")
    assert [label for label, _ in PRESETS] == [
        "Every hour", "Every 2 hours", "Every 4 hours", "Every 6 hours", "Every 12 hours",
        "Daily at 09:00", "Weekly on Monday at 09:00",
    ]
    assert [s.spec for _, s in PRESETS][-2:] == ["daily@09:00", "weekly@mon@09:00"]


# --------------------------------------------------------------------------- plain days


def test_interval_fires_on_wall_clock_multiples():
    runs = next_runs(Schedule.every(4), datetime(2026, 6, 10, 9, 15, tzinfo=BERLIN), BERLIN, 4)
    assert local(runs) == [
        "2026-06-10 12:00 CEST", "2026-06-10 16:00 CEST", "2026-06-10 20:00 CEST", "2026-06-11 00:00 CEST",
    ]


def test_runs_are_strictly_after():
    at = datetime(2026, 6, 10, 9, 0, tzinfo=BERLIN)
    assert next_run(Schedule.daily(time(9)), at, BERLIN) == at + timedelta(days=1)
    assert next_run(Schedule.every(1), at, BERLIN) == at + timedelta(hours=1)
    assert next_run(Schedule.every(1), at - timedelta(microseconds=1), BERLIN) == at


def test_results_are_in_the_given_zone_whatever_zone_after_is_in():
    runs = next_runs(Schedule.daily(time(9)), z(2026, 6, 10, 12, 0), KOLKATA, 2)
    assert all(r.tzinfo is KOLKATA for r in runs)
    assert local(runs) == ["2026-06-11 09:00 IST", "2026-06-12 09:00 IST"]
    assert utc(runs)[0] == z(2026, 6, 11, 3, 30)


def test_fixed_offset_tzinfo_works():
    plus5 = timezone(timedelta(hours=5))
    runs = next_runs(Schedule.every(12), z(2026, 1, 1, 0, 0), plus5, 3)
    assert utc(runs) == [z(2026, 1, 1, 7), z(2026, 1, 1, 19), z(2026, 1, 2, 7)]


def test_naive_after_is_refused():
    with pytest.raises(ValueError, match="aware"):
        next_runs(Schedule.default(), datetime(2026, 1, 1, 9, 0), BERLIN)


def test_count():
    after = z(2026, 1, 1)
    assert next_runs(Schedule.every(1), after, BERLIN, 0) == []
    assert len(next_runs(Schedule.every(1), after, BERLIN, 50)) == 50
    assert len(next_runs(Schedule.weekly(3, time(9)), after, BERLIN, 10)) == 10
    assert len(next_runs(Schedule.default(), after, BERLIN)) == 3
    with pytest.raises(ValueError):
        next_runs(Schedule.every(1), after, BERLIN, -1)


# --------------------------------------------------------------------------- month and year ends


@pytest.mark.parametrize("tz", [BERLIN, NEW_YORK, SYDNEY, KOLKATA])
def test_daily_across_month_ends_and_leap_day(tz):
    daily = Schedule.daily(time(9, 0))
    assert local(next_runs(daily, datetime(2027, 1, 31, 10, tzinfo=tz), tz, 2))[:2] == [
        datetime(2027, 2, 1, 9, tzinfo=tz).strftime("%Y-%m-%d %H:%M %Z"),
        datetime(2027, 2, 2, 9, tzinfo=tz).strftime("%Y-%m-%d %H:%M %Z"),
    ]
    leap = [r.date().isoformat() for r in next_runs(daily, datetime(2028, 2, 28, 10, tzinfo=tz), tz, 2)]
    assert leap == ["2028-02-29", "2028-03-01"]
    common = [r.date().isoformat() for r in next_runs(daily, datetime(2027, 2, 28, 10, tzinfo=tz), tz, 1)]
    assert common == ["2027-03-01"]
    april = [r.date().isoformat() for r in next_runs(daily, datetime(2027, 4, 30, 9, tzinfo=tz), tz, 1)]
    assert april == ["2027-05-01"]


@pytest.mark.parametrize("tz", [BERLIN, NEW_YORK, SYDNEY, KOLKATA])
def test_year_end(tz):
    after = datetime(2026, 12, 31, 23, 30, tzinfo=tz)
    assert next_run(Schedule.daily(time(23, 30)), after, tz) == datetime(2027, 1, 1, 23, 30, tzinfo=tz)
    assert next_run(Schedule.daily(time(0, 0)), after, tz) == datetime(2027, 1, 1, 0, 0, tzinfo=tz)
    assert next_runs(Schedule.every(1), after, tz, 2) == [
        datetime(2027, 1, 1, 0, tzinfo=tz), datetime(2027, 1, 1, 1, tzinfo=tz),
    ]
    assert next_run(Schedule.every(12), after, tz) == datetime(2027, 1, 1, 0, tzinfo=tz)


def test_weekly_across_year_end():
    # 2026-12-31 is a Thursday; the next Mondays are 2027-01-04 and 2027-01-11.
    runs = next_runs(Schedule.weekly(0, time(9)), datetime(2026, 12, 29, 12, tzinfo=NEW_YORK), NEW_YORK, 3)
    assert [r.date().isoformat() for r in runs] == ["2027-01-04", "2027-01-11", "2027-01-18"]
    assert all(r.weekday() == 0 and r.hour == 9 for r in runs)
    friday = next_runs(Schedule.weekly("fri", time(18)), datetime(2026, 12, 25, 19, tzinfo=BERLIN), BERLIN, 1)
    assert friday == [datetime(2027, 1, 1, 18, tzinfo=BERLIN)]


# --------------------------------------------------------------------------- DST: spring forward


@pytest.mark.parametrize(
    ("tz", "day", "expected_utc"),
    [
        # Berlin 2026-03-29: 02:00 CET → 03:00 CEST; 02:30 fires at 03:30 CEST.
        (BERLIN, datetime(2026, 3, 29), z(2026, 3, 29, 1, 30)),
        # New York 2026-03-08: 02:00 EST → 03:00 EDT; 02:30 fires at 03:30 EDT.
        (NEW_YORK, datetime(2026, 3, 8), z(2026, 3, 8, 7, 30)),
        # Sydney 2026-10-04: 02:00 AEST → 03:00 AEDT; 02:30 fires at 03:30 AEDT.
        (SYDNEY, datetime(2026, 10, 4), z(2026, 10, 3, 16, 30)),
        # Lord Howe 2026-10-04: 02:00 → 02:30 (+10:30 → +11); 02:15 fires at 02:45.
        (LORD_HOWE, datetime(2026, 10, 4), None),
    ],
)
def test_daily_in_the_spring_gap_is_shifted_by_the_gap(tz, day, expected_utc):
    wall = time(2, 15) if tz is LORD_HOWE else time(2, 30)
    after = day.replace(hour=0, minute=5, tzinfo=tz)
    first, second = next_runs(Schedule.daily(wall), after, tz, 2)
    if expected_utc is not None:
        assert first.astimezone(UTC) == expected_utc
        assert (first.hour, first.minute) == (3, 30)
    else:
        assert (first.hour, first.minute) == (2, 45)
    assert first.date() == day.date()
    assert second.date() == day.date() + timedelta(days=1)
    assert (second.hour, second.minute) == (wall.hour, wall.minute)


@pytest.mark.parametrize(
    ("tz", "sunday"),
    [(BERLIN, datetime(2026, 3, 29)), (NEW_YORK, datetime(2026, 3, 8)), (SYDNEY, datetime(2026, 10, 4))],
)
def test_weekly_in_the_spring_gap(tz, sunday):
    after = sunday.replace(tzinfo=tz) - timedelta(days=2)
    runs = next_runs(Schedule.weekly("sun", time(2, 30)), after, tz, 2)
    assert [(r.date(), r.hour, r.minute) for r in runs] == [
        (sunday.date(), 3, 30),
        (sunday.date() + timedelta(days=7), 2, 30),
    ]


@pytest.mark.parametrize(
    ("tz", "after", "expected"),
    [
        # Berlin: 01:00 CET, then 02:00 is missing → 03:00 CEST (fires once), 04:00 CEST.
        (BERLIN, datetime(2026, 3, 29, 0, 30), [z(2026, 3, 29, 0), z(2026, 3, 29, 1), z(2026, 3, 29, 2)]),
        (NEW_YORK, datetime(2026, 3, 8, 0, 30), [z(2026, 3, 8, 6), z(2026, 3, 8, 7), z(2026, 3, 8, 8)]),
        (SYDNEY, datetime(2026, 10, 4, 0, 30), [z(2026, 10, 3, 15), z(2026, 10, 3, 16), z(2026, 10, 3, 17)]),
    ],
)
def test_hourly_across_spring_forward_keeps_an_hour_apart(tz, after, expected):
    runs = next_runs(Schedule.every(1), after.replace(tzinfo=tz), tz, 3)
    assert utc(runs) == expected
    assert [r.hour for r in runs] == [1, 3, 4]


def test_two_hourly_gap_slot_fires_once_at_the_shifted_time():
    runs = next_runs(Schedule.every(2), datetime(2026, 3, 29, 0, 30, tzinfo=BERLIN), BERLIN, 3)
    assert local(runs) == ["2026-03-29 03:00 CEST", "2026-03-29 04:00 CEST", "2026-03-29 06:00 CEST"]


def test_twelve_hourly_stays_on_the_wall_clock_across_dst():
    spring = next_runs(Schedule.every(12), datetime(2026, 3, 28, 13, tzinfo=BERLIN), BERLIN, 3)
    assert local(spring) == ["2026-03-29 00:00 CET", "2026-03-29 12:00 CEST", "2026-03-30 00:00 CEST"]
    spring_utc = utc(spring)
    assert spring_utc[1] - spring_utc[0] == timedelta(hours=11)  # the short day
    fall = next_runs(Schedule.every(12), datetime(2026, 10, 24, 13, tzinfo=NEW_YORK), NEW_YORK, 3)
    assert [r.hour for r in fall] == [0, 12, 0]


# --------------------------------------------------------------------------- DST: fall back


@pytest.mark.parametrize(
    ("tz", "day", "wall", "first_utc", "next_day_utc"),
    [
        # Berlin 2026-10-25: 03:00 CEST → 02:00 CET; 02:30 happens at 00:30Z and 01:30Z.
        (BERLIN, datetime(2026, 10, 25), time(2, 30), z(2026, 10, 25, 0, 30), z(2026, 10, 26, 1, 30)),
        # New York 2026-11-01: 02:00 EDT → 01:00 EST; 01:30 happens at 05:30Z and 06:30Z.
        (NEW_YORK, datetime(2026, 11, 1), time(1, 30), z(2026, 11, 1, 5, 30), z(2026, 11, 2, 6, 30)),
        # Sydney 2026-04-05: 03:00 AEDT → 02:00 AEST; 02:30 happens at 15:30Z and 16:30Z (Apr 4).
        (SYDNEY, datetime(2026, 4, 5), time(2, 30), z(2026, 4, 4, 15, 30), z(2026, 4, 5, 16, 30)),
    ],
)
def test_daily_in_the_fold_fires_once_at_the_first_occurrence(tz, day, wall, first_utc, next_day_utc):
    after = day.replace(hour=0, minute=5, tzinfo=tz)
    assert utc(next_runs(Schedule.daily(wall), after, tz, 2)) == [first_utc, next_day_utc]
    # Asked between the two occurrences, the second one is not a run.
    between = first_utc + timedelta(minutes=30)
    assert next_run(Schedule.daily(wall), between, tz).astimezone(UTC) == next_day_utc
    weekly = Schedule.weekly(6, wall)  # these days are Sundays
    assert utc(next_runs(weekly, after, tz, 2)) == [first_utc, next_day_utc + timedelta(days=6)]


@pytest.mark.parametrize(
    ("tz", "after", "expected"),
    [
        # Berlin: 02:00 CEST and 02:00 CET both fire, an hour apart.
        (BERLIN, datetime(2026, 10, 25, 1, 30),
         [z(2026, 10, 25, 0), z(2026, 10, 25, 1), z(2026, 10, 25, 2)]),
        (NEW_YORK, datetime(2026, 11, 1, 0, 30),
         [z(2026, 11, 1, 5), z(2026, 11, 1, 6), z(2026, 11, 1, 7)]),
        (SYDNEY, datetime(2026, 4, 5, 1, 30),
         [z(2026, 4, 4, 15), z(2026, 4, 4, 16), z(2026, 4, 4, 17)]),
    ],
)
def test_hourly_across_fall_back_fires_both_occurrences(tz, after, expected):
    runs = next_runs(Schedule.every(1), after.replace(tzinfo=tz), tz, 3)
    assert utc(runs) == expected
    instants = utc(runs)
    assert {b - a for a, b in itertools.pairwise(instants)} == {timedelta(hours=1)}
    assert len({r.utcoffset() for r in runs}) == 2
    # Python compares and subtracts datetimes of one zone by wall time, so the two fold runs look
    # equal unless converted: the reason callers must compare runs in UTC (see the module docstring).
    fold_pair = [r for r in runs if r.hour == runs[1].hour]
    assert len(fold_pair) == 2 and fold_pair[0].timestamp() != fold_pair[1].timestamp()


def test_kolkata_has_no_dst_surprises():
    runs = utc(next_runs(Schedule.every(6), z(2026, 3, 28, 0, 0), KOLKATA, 8))
    assert {r.minute for r in runs} == {30}
    assert {b - a for a, b in itertools.pairwise(runs)} == {timedelta(hours=6)}


# --------------------------------------------------------------------------- invariants


def _transition_windows(tz: ZoneInfo, year: int) -> list[datetime]:
    """Instants around each offset change of ``tz`` in ``year`` (found by hourly scan)."""
    out = []
    t = datetime(year, 1, 1, tzinfo=UTC)
    while t.year == year:
        if t.astimezone(tz).utcoffset() != (t + timedelta(hours=1)).astimezone(tz).utcoffset():
            out.append(t)
        t += timedelta(hours=1)
    return out


@pytest.mark.parametrize("tz", [BERLIN, NEW_YORK, SYDNEY, LORD_HOWE])
@pytest.mark.parametrize("schedule", [s for _, s in PRESETS] + [Schedule.daily(time(2, 30)),
                                                               Schedule.weekly(6, time(2, 0))])
def test_runs_chain_and_never_repeat_around_transitions(tz, schedule):
    transitions = _transition_windows(tz, 2026)
    assert len(transitions) == 2
    for transition in transitions:
        for offset_min in range(-26 * 60, 4 * 60, 97):
            after = transition + timedelta(minutes=offset_min)
            runs = next_runs(schedule, after, tz, 4)
            instants = utc(runs)
            assert len(runs) == 4
            assert instants[0] > after
            assert all(a < b for a, b in itertools.pairwise(instants))
            # Asking again from a run gives the following runs: no slot is lost or invented.
            assert utc(next_runs(schedule, runs[0], tz, 3)) == instants[1:]
            assert all(r.tzinfo is tz for r in runs)
            for r in runs:
                if schedule.kind != "interval":
                    assert r.astimezone(tz).weekday() == schedule.weekday or schedule.kind == "daily"
                else:
                    assert r.minute == 0 or tz is LORD_HOWE


# --------------------------------------------------------------------------- retry after failures


def test_retry_delay_doubles_from_15_minutes_and_stops_at_6_hours():
    from desktop_app.domain.schedule import retry_delay

    minutes = [retry_delay(n) / timedelta(minutes=1) for n in range(0, 9)]
    assert minutes == [0, 15, 30, 60, 120, 240, 360, 360, 360]
    assert retry_delay(10_000) == timedelta(hours=6)  # a long streak stays capped (no overflow)


def test_next_attempt_after_a_completed_run_is_the_next_slot():
    from desktop_app.domain.schedule import next_attempt

    daily = Schedule.daily("09:00")
    ended = z(2026, 3, 2, 8, 10)  # 09:10 Berlin (CET)
    assert next_attempt(daily, ended, 0, BERLIN) == next_run(daily, ended, BERLIN)


def test_failures_back_off_but_never_wait_past_the_next_slot():
    from desktop_app.domain.schedule import next_attempt

    daily = Schedule.daily("09:00")
    ended = z(2026, 3, 2, 8, 10)  # Monday 09:10 Berlin, the day's slot just failed
    waits = [next_attempt(daily, ended, n, BERLIN) - ended for n in range(1, 9)]
    assert waits == [timedelta(minutes=m) for m in (15, 30, 60, 120, 240, 360, 360, 360)]
    # hourly: the 2-hour backoff of a fourth failure is cut at the next hourly slot
    hourly = Schedule.every(1)
    assert next_attempt(hourly, ended, 4, BERLIN).astimezone(UTC) == z(2026, 3, 2, 9, 0)
    # weekly, late on the evening before the slot: the slot (in 20 min) comes before a 1 h retry
    weekly = Schedule.weekly("tue", "09:00")
    before_slot = z(2026, 3, 3, 7, 40)
    assert next_attempt(weekly, before_slot, 3, BERLIN).astimezone(UTC) == z(2026, 3, 3, 8, 0)
    # results are in the user's zone and strictly later than the failure
    got = next_attempt(weekly, ended, 1, BERLIN)
    assert got.tzinfo is BERLIN and got > ended
