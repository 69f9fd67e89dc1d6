"""B1 Engine overhead: client CPU per 1,000 customers of a full first sync (limits off), and its
ratio to three floors issuing the same HTTP calls.

The Sandbox runs in its own process; the engine run and each floor run in a fresh client process,
so ``time.process_time()`` there counts the client alone (all its threads). A floor replays the
run's own Books list pages and ``json/listsubscribe`` calls (taken from the Sandbox's call log):
request, status, JSON decode, nothing else — sequentially on a ``requests`` session, with the
engine's 4 writer threads on one session, and sequentially on a raw keep-alive ``http.client``
connection. Proxies are resolved once on both sides (``connectors.http.environment_session``).
On replay the writes answer "updated" instead of "added" (same size answer). ``--repeats``
measures each in a fresh Sandbox that many times and reports medians.

    .venv/bin/python bench/b1_engine_overhead.py [--customers 100000] [--repeats 3] [--profile FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import Counter

import common

FLOOR_PATHS = ("/books/v3/contacts", "/api/v1.1/json/listsubscribe")


FLOORS = {"sequential": (), "threaded": ("--workers", "4"), "raw": ("--raw",)}


def measure_once(customers: int, profile: str | None = None) -> dict:
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
        floors = {name: common.client(home, "bare", "--calls", str(calls_file), "--url", sb.url, *extra)
                  for name, extra in FLOORS.items()}
    return {"customers": customers, "run": run, "floors": floors,
            "by_path": Counter(c["path"] for c in log), "refused_in_run": refused, "server_run": server_run,
            "seed_seconds": sb.seed_seconds}


def measure(customers: int, repeats: int = 1, profile: str | None = None) -> dict:
    """``repeats`` fresh measurements; CPU figures are their medians."""
    tries = [measure_once(customers, profile if i == 0 else None) for i in range(repeats)]
    out = dict(tries[0])
    out["repeats"] = repeats
    out["run"] = {**tries[0]["run"], "cpu": statistics.median(t["run"]["cpu"] for t in tries),
                  "wall": statistics.median(t["run"]["wall"] for t in tries), "cpus": [t["run"]["cpu"] for t in tries]}
    out["floors"] = {name: {**tries[0]["floors"][name],
                            "cpu": statistics.median(t["floors"][name]["cpu"] for t in tries),
                            "wall": statistics.median(t["floors"][name]["wall"] for t in tries),
                            "cpus": [t["floors"][name]["cpu"] for t in tries]} for name in FLOORS}
    return out


def report(m: dict) -> None:
    n, run, floors = m["customers"], m["run"], m["floors"]
    k = n / 1000
    seq = floors["sequential"]
    rows = [
        ["customers", f"{n:,}", f"{m['repeats']} fresh measurement(s), medians"],
        ["run status / kind", f"{run['status']} / {run['kind']}", ""],
        ["counts", ", ".join(f"{a} {b:,}" for a, b in run["counts"].items()), ""],
        ["HTTP calls (Books / Campaigns)", f"{run['calls_books']:,} / {run['calls_campaigns']:,}",
         f"floors replay {seq['calls']:,}"],
        ["client CPU, engine run (s)", common.fmt(run["cpu"]),
         f"wall {common.fmt(run['wall'])} s; tries " + ", ".join(common.fmt(c) for c in run["cpus"])],
        ["**engine CPU per 1,000 customers (s)**", f"**{common.fmt(run['cpu'] / k, 3)}**", ""],
    ]
    for name, label in (("threaded", "requests, 4 threads (the engine's writers)"),
                        ("sequential", "requests, sequential"), ("raw", "http.client keep-alive, sequential")):
        f = floors[name]
        rows.append([f"floor: {label} — CPU (s)", common.fmt(f["cpu"]),
                     f"wall {common.fmt(f['wall'])} s; tries " + ", ".join(common.fmt(c) for c in f["cpus"])])
        rows.append([f"**ratio engine / {name} floor**", f"**{common.fmt(run['cpu'] / f['cpu'])}×**", ""])
    rows += [
        ["engine CPU per HTTP call (ms)", common.fmt(1000 * run["cpu"] / max(1, seq["calls"]), 3),
         "threaded floor: " + common.fmt(1000 * floors["threaded"]["cpu"] / max(1, seq["calls"]), 3)],
        ["Sandbox CPU during the run (s)", common.fmt(m["server_run"]), "separate process"],
        ["client peak RSS, engine / sequential floor (MB)",
         f"{common.fmt(run['maxrss_mb'], 1)} / {common.fmt(seq['maxrss_mb'], 1)}", ""],
    ]
    calls = [[p, f"{c:,}"] for p, c in sorted(m["by_path"].items())]
    common.print_report("B1 Engine overhead (limits off)", [
        common.table("Result", ["measure", "value", "note"], rows),
        common.table("Calls in the Sandbox's log during the run", ["path", "calls"], calls),
    ], [
        "CPU = time.process_time() inside the client process around AppService.run_sync() (all threads); "
        "logging as in the product. Goal: engine ≤ 1.3× the threaded floor.",
        f"{m['refused_in_run']:,} of the run's floor calls were refusals (role/invalid address, duplicates); "
        f"the replay got {seq['errors']:,} error answers.",
        "Seeding: " + (f"{m['seed_seconds']:.1f} s" if m["seed_seconds"] else "cached seed file"),
    ])
    common.result(b1_ratio_threaded=run["cpu"] / floors["threaded"]["cpu"],
                  b1_ratio_sequential=run["cpu"] / seq["cpu"], b1_ratio_raw=run["cpu"] / floors["raw"]["cpu"],
                  b1_cpu_per_1000=run["cpu"] / k)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=common.parse_sizes, default=[100_000],
                   help="customers in the Sandbox (e.g. 5000 or 5k; default 100000)")
    p.add_argument("--repeats", type=int, default=3, help="fresh measurements per size (medians)")
    p.add_argument("--profile", default=None, help="write a cProfile of the first run (main thread) here")
    args = p.parse_args()
    for n in args.customers:
        report(measure(n, args.repeats, args.profile))


if __name__ == "__main__":
    main()
