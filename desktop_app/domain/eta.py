"""When a run will finish under Zoho's documented windows (SPEC R40; issue 12 item 6). Pure.

With real limits a sync's duration is set by the API windows, not by the CPU: a first sync of
100,000 customers needs about 89,000 ``json/listsubscribe`` writes, and Zoho allows 500 a minute,
12,500 an hour and 75,000 a day. ``finish_after`` plays the client's limiter forward in steps of
the shortest window — each step takes what every window still allows after the calls already
made (``recent``) and what this step's earlier steps took, at most the shortest window's budget
(the limiter paces over it) and what the run's own speed allows — until the work is done.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from desktop_app.domain.limits import DAY, HOUR, MINUTE, Window

MAX_DAYS = 400  # beyond this the answer is "not within a year": no loop runs longer


@dataclass(frozen=True)
class Eta:
    work: int  # calls still to make
    seconds: float  # from now until the last of them
    binding: Window | None  # the longest window that held the work back (None: none did)

    def at(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.seconds)


def finish_after(work: int, windows: Sequence[Window], recent: Sequence[float] = (), *,
                 rate: float | None = None) -> Eta:
    """How long ``work`` calls take under ``windows`` (calls allowed per window, as the limiter
    allows itself), after calls made ``recent`` seconds ago, at most ``rate`` calls a second."""
    if work <= 0:
        return Eta(0, 0.0, None)
    if not windows:
        return Eta(work, work / rate if rate else 0.0, None)
    step = min(w.seconds for w in windows)
    per_step = min(w.calls for w in windows if w.seconds == step)
    if rate:
        per_step = min(per_step, max(1.0, rate * step))
    # Per window: the calls counted in it as (step index, calls), and their sum.
    kept = [deque() for _ in windows]
    sums = [0.0] * len(windows)
    for age in sorted(recent, reverse=True):
        index = -math.ceil(age / step) if age > 0 else 0
        for i, w in enumerate(windows):
            if age < w.seconds:
                kept[i].append((index, 1))
                sums[i] += 1
    left, t, binding = float(work), 0, None
    limit_steps = int(MAX_DAYS * DAY / step)
    while left > 0 and t < limit_steps:
        room = per_step
        for i, w in enumerate(windows):
            span = max(1, round(w.seconds / step))
            while kept[i] and kept[i][0][0] <= t - span:
                sums[i] -= kept[i].popleft()[1]
            free = w.calls - sums[i]
            if free < room:
                room = max(0.0, free)
                if binding is None or w.seconds > binding.seconds:
                    binding = w
        take = min(room, left)
        if take > 0:
            for i in range(len(windows)):
                kept[i].append((t, take))
                sums[i] += take
            left -= take
            if left <= 0:
                return Eta(work, t * step + step * take / per_step, binding)
        t += 1
    return Eta(work, math.inf, binding)


def eta_sentence(eta: Eta, now: datetime, zone: tzinfo, *, what: str = "writes", floor: bool = False) -> str:
    """"about 89,000 writes; Zoho allows 75,000 a day: finishes tomorrow around 10:40". ``floor``:
    the work is only known to be at least this ("at least 5,000 writes: … no earlier than …")."""
    if eta.work <= 0 and not floor:
        return "nothing left to write"
    head = f"{'at least' if floor else 'about'} {eta.work:,} {what}"
    if eta.binding is not None and eta.binding.seconds >= HOUR:
        head += f"; Zoho allows {eta.binding.calls:,} {_per(eta.binding.seconds)}"
    if math.isinf(eta.seconds):
        return head + ": not within a year at these limits"
    phrase = finish_phrase(eta.at(now), now, zone, floor=floor)
    return f"{head}: {phrase}"


def finish_phrase(finish: datetime, now: datetime, zone: tzinfo, *, floor: bool = False) -> str:
    """"finishes in 9 min (around 10:40)", "finishes tomorrow around 10:40", "finishes on Tue 8 Dec …";
    ``floor``: "finishes no earlier than 10:40 (in 9 min)", "… no earlier than tomorrow 10:40"."""
    seconds = (finish - now).total_seconds()
    local, today = (finish + timedelta(seconds=30)).astimezone(zone), now.astimezone(zone).date()  # nearest minute
    clock = local.strftime("%H:%M")
    days = (local.date() - today).days
    date = f"{local.strftime('%a')} {local.day} {local.strftime('%b')} "
    day = "" if days == 0 else "tomorrow " if days == 1 else date
    if floor:
        return f"finishes no earlier than {day}{clock}" + (f" (in {_span(seconds)})" if days == 0 else "")
    if seconds < 90:
        return "finishes in about a minute"
    if days == 0:
        return f"finishes in {_span(seconds)} (around {clock})"
    return f"finishes {'tomorrow' if days == 1 else 'on ' + day.strip()} around {clock}"


def _span(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"


def _per(seconds: float) -> str:
    for span, name in ((DAY, "a day"), (HOUR, "an hour"), (MINUTE, "a minute")):
        if math.isclose(seconds, span, rel_tol=0.01):
            return name
    return f"per {_span(seconds)}"
