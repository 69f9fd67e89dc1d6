"""B1 Engine overhead: client CPU per 1,000 customers of a full first sync (limits off), and its
ratio to a bare loop issuing the same HTTP calls (the floor).

The Sandbox runs in its own process; the engine run and the bare loop each run in a fresh client
process, so ``time.process_time()`` there counts the client alone (all its threads). The bare loop
replays the run's own Books list pages and ``json/listsubscribe`` calls (taken from the Sandbox's
call log) one by one on a plain ``requests.Session``: request, status, JSON decode, nothing else.
On replay the writes answer "updated" instead of "added" (same size answer).

    .venv/bin/python bench/b1_engine_overhead.py [--customers 100000] [--profile FILE]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter

import common

FLOOR_PATHS = ("/books/v3/contacts", "/api/v1.1/json/listsubscribe")


def measure(customers: int, profile: str | None = None) -> dict:
    with common.bench_home() as home, common.SandboxProcess(home, customers, limits="off") as sb:
        common.client(home, "setup")
        admin = sb.admin()
        n0 = admin.last_call_number()
        server0 = sb.cpu_seconds()
        run = common.client(home, "run", *(["--profile", profile] if profile else []))
        server_run = (sb.cpu_seconds() or 0) - (server0 or 0)
        log = [c for c in admin.calls(since=n0) if c["service"] in ("books", "campaigns")]
        floor_calls = [{"method": c["method"], "path": c["path"], "params": c["params"]}
                       for c in log if c["path"] in FLOOR_PATHS]
        refused = sum(1 for c in log if c["path"] in FLOOR_PATHS and c["code"] not in ("", "0"))
        calls_file = home / "floor-calls.json"
        calls_file.write_text(json.dumps(floor_calls))
        server1 = sb.cpu_seconds()
        bare = common.client(home, "bare", "--calls", str(calls_file), "--url", sb.url)
        server_bare = (sb.cpu_seconds() or 0) - (server1 or 0)
    return {"customers": customers, "run": run, "bare": bare, "by_path": Counter(c["path"] for c in log),
            "refused_in_run": refused, "server_run": server_run, "server_bare": server_bare,
            "seed_seconds": sb.seed_seconds}


def report(m: dict) -> None:
    n, run, bare = m["customers"], m["run"], m["bare"]
    k = n / 1000
    rows = [
        ["customers", f"{n:,}", ""],
        ["run status / kind", f"{run['status']} / {run['kind']}", ""],
        ["counts", ", ".join(f"{a} {b:,}" for a, b in run["counts"].items()), ""],
        ["HTTP calls (Books / Campaigns)", f"{run['calls_books']:,} / {run['calls_campaigns']:,}",
         f"floor replays {bare['calls']:,}"],
        ["client CPU, engine run (s)", common.fmt(run["cpu"]), f"wall {common.fmt(run['wall'])} s"],
        ["client CPU, bare loop (s)", common.fmt(bare["cpu"]), f"wall {common.fmt(bare['wall'])} s (sequential)"],
        ["**engine CPU per 1,000 customers (s)**", f"**{common.fmt(run['cpu'] / k, 3)}**", ""],
        ["bare-loop CPU per 1,000 customers (s)", common.fmt(bare["cpu"] / k, 3), ""],
        ["**ratio engine / floor**", f"**{common.fmt(run['cpu'] / bare['cpu'])}×**", ""],
        ["engine CPU per HTTP call (ms)", common.fmt(1000 * run["cpu"] / max(1, bare["calls"]), 3),
         "floor: " + common.fmt(1000 * bare["cpu"] / max(1, bare["calls"]), 3)],
        ["Sandbox CPU during run / bare loop (s)", f"{common.fmt(m['server_run'])} / {common.fmt(m['server_bare'])}",
         "separate process"],
        ["client peak RSS, engine / bare (MB)",
         f"{common.fmt(run['maxrss_mb'], 1)} / {common.fmt(bare['maxrss_mb'], 1)}", ""],
    ]
    calls = [[p, f"{c:,}"] for p, c in sorted(m["by_path"].items())]
    common.print_report("B1 Engine overhead (limits off)", [
        common.table("Result", ["measure", "value", "note"], rows),
        common.table("Calls in the Sandbox's log during the run", ["path", "calls"], calls),
    ], [
        "CPU = time.process_time() inside the client process around AppService.run_sync() (all threads); "
        "logging as in the product (one INFO line per call to the rotating log file).",
        f"{m['refused_in_run']:,} of the run's floor calls were refusals (role/invalid address, duplicates); "
        f"the replay got {bare['errors']:,} error answers.",
        "Seeding: " + (f"{m['seed_seconds']:.1f} s" if m["seed_seconds"] else "cached seed file"),
    ])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=common.parse_sizes, default=[100_000],
                   help="customers in the Sandbox (e.g. 5000 or 5k; default 100000)")
    p.add_argument("--profile", default=None, help="write a cProfile of the run (main thread) here")
    args = p.parse_args()
    for n in args.customers:
        report(measure(n, args.profile))


if __name__ == "__main__":
    main()
