"""B3 Incremental cost: after a full first sync, 1% of the customers change (Sandbox admin
``simulate``); the next run's Books calls, Campaigns writes and wall time relative to the full run.

Writes are counted in the Sandbox's call log (``json/listsubscribe`` calls after the full run).
``simulate`` edits phone, segment, company, last name or email at random; the sync maps all of
them (``client.py setup --wide``), so every changed customer that can be synced must be written
exactly once; changed customers that are skipped (no or invalid email, …) are not. The table splits
the changed customers by what the run made of them.

    .venv/bin/python bench/b3_incremental.py [--customers 100000] [--percent 1]
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from datetime import UTC, datetime, timedelta

import common

from desktop_app.domain import policy


def measure(customers: int, percent: float) -> dict:
    with common.bench_home() as home, common.SandboxProcess(home, customers, limits="off") as sb:
        common.client(home, "setup", "--wide")
        admin = sb.admin()
        full = common.client(home, "run")
        changes = max(1, math.ceil(customers * percent / 100))
        changed = admin.simulate(changes)
        n1 = admin.last_call_number()
        inc = common.client(home, "run")
        log = [c for c in admin.calls(since=n1) if c["service"] in ("books", "campaigns")]
        writes = [c for c in log if c["path"].endswith("json/listsubscribe")]
    return {"customers": customers, "changed": changed, "full": full, "inc": inc,
            "by_path": Counter(c["path"] for c in log), "writes": len(writes),
            "write_codes": Counter(c["code"] or "0" for c in writes)}


def full_runs_in_a_week(full_every: timedelta = policy.DEFAULT_FULL_EVERY) -> list[str]:
    """The kinds of the seven daily scheduled runs after a first sync, as the policy decides them
    (a run takes minutes, so each starts about 24 h after the one before)."""
    start = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # the first sync (full)
    last_full, kinds = start, []
    for day in range(1, 8):
        now = start + timedelta(days=day, minutes=day % 3)  # a scheduler wakes a little late
        kind = policy.run_kind(force_full=False, needs_full=False, watermark=now - timedelta(days=1),
                               last_full_at=last_full, now=now, full_every=full_every)
        if kind == "full":
            last_full = now
        kinds.append(str(kind))
    return kinds


def report(m: dict) -> None:
    full, inc = m["full"], m["inc"]
    n_changed = len(m["changed"])
    books_calls = sum(v for p, v in m["by_path"].items() if p.startswith("/books/"))
    expected = inc["counts"]["added"] + inc["counts"]["updated"]
    limit = math.ceil(n_changed / 200) + 2
    week = full_runs_in_a_week()
    rows = [
        ["customers", f"{m['customers']:,}", ""],
        ["customers changed (simulate)", f"{n_changed:,}", ""],
        ["incremental run status / kind", f"{inc['status']} / {inc['kind']}", ""],
        ["incremental counts", ", ".join(f"{a} {b:,}" for a, b in inc["counts"].items()), ""],
        ["**Books calls**", f"**{books_calls:,}**", f"full run: {full['calls_books']:,}"],
        ["**Campaigns writes (listsubscribe)**", f"**{m['writes']:,}**",
         f"changed {n_changed:,}; run's added+updated {expected:,}"],
        ["writes == changed?", "yes" if m["writes"] == n_changed else
         f"no ({n_changed - m['writes']:+,} not written)", "see note"],
        ["all Campaigns calls", f"{inc['calls_campaigns']:,}", f"full run: {full['calls_campaigns']:,}"],
        ["wall time (s)", common.fmt(inc["wall"]), f"full run: {common.fmt(full['wall'])}"],
        ["**wall time / full run**", f"**{common.fmt(100 * inc['wall'] / full['wall'], 2)} %**", ""],
        ["client CPU (s)", common.fmt(inc["cpu"]), f"full run: {common.fmt(full['cpu'])}"],
        ["**Books calls allowed** (⌈changes/200⌉ + 2)", f"**{limit:,}**",
         "met" if books_calls <= limit else "NOT met"],
        ["daily runs of a week (policy)", ", ".join(week), f"{week.count('full')} full of 7"],
    ]
    calls = [[p, f"{c:,}"] for p, c in sorted(m["by_path"].items())]
    codes = [[code, f"{c:,}"] for code, c in sorted(m["write_codes"].items())]
    common.print_report(f"B3 Incremental cost ({m['customers']:,} customers, limits off)", [
        common.table("Result", ["measure", "value", "note"], rows),
        common.table("Calls of the incremental run (Sandbox call log)", ["path", "calls"], calls),
        common.table("Answers to the writes", ["code", "writes"], codes),
    ], [
        "The sync maps every field simulate edits (client.py setup --wide), so every changed customer "
        "that can be synced is written exactly once; changed customers that stay skipped (no, invalid or "
        "role email, duplicates) are not written, and customers inside the 10-minute watermark overlap "
        "are read again but left unchanged. writes = added + updated of the run.",
        "A full reconciliation runs at most weekly by default (settings.json full_reconcile_days), so 6 "
        "of 7 daily runs are incremental and cost only their changes.",
    ])
    common.result(b3_books_calls=books_calls, b3_books_limit=limit, b3_writes=m["writes"],
                  b3_changed_syncable=expected, b3_full_runs_in_7_days=week.count("full"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=common.parse_sizes, default=[100_000],
                   help="customers in the Sandbox (e.g. 5000; default 100000)")
    p.add_argument("--percent", type=float, default=1.0, help="share of customers changed (default 1)")
    args = p.parse_args()
    if not 0 < args.percent <= 100:
        p.error("--percent must be in (0, 100]")
    for n in args.customers:
        report(measure(n, args.percent))


if __name__ == "__main__":
    main()
