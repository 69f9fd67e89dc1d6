"""B2 Limit utilisation: with limits scaled up (same shape, windows divided by K) on both sides,
achieved calls per window / allowed calls per window, and the number of lockouts (must be 0).

The Sandbox runs with ``--limits scale=K``; the app's limiter follows the Sandbox's setting (it
reads it from the Sandbox's stats when it builds its clients). Calls per window are counted from
the Sandbox's call-log timestamps: for each endpoint family and each of its windows, the most
calls seen in any sliding window of that length, and the mean rate over the family's busy span
expressed per window. The client's limiter allows documented − calls in flight − RESERVE per window
(``connectors.limiter.allowed_calls``), paced evenly over the shortest window.

Variants (``--variants``, default all): ``plain`` one run; ``restart`` the same run killed with
SIGKILL twice while writing, then run to the end by fresh processes (the shared usage ledger
must still hold the windows); ``two`` the run plus a second app process writing to another
list at full pace through the same ledger. Each reports its windows and lockouts.

    .venv/bin/python bench/b2_limits.py [--customers 20000] [--scale 20] [--variants plain,restart,two]
"""

from __future__ import annotations

import argparse
import random
import signal
import time
from bisect import bisect_right
from collections import defaultdict

import common

from desktop_app.connectors.limiter import RESERVE, in_flight
from desktop_app.domain.limits import CAMPAIGNS_PATH_FAMILY, LIMITS

CAMPAIGNS_PREFIX = "/api/v1.1/"


def family_of(call: dict) -> str | None:
    if call["service"] == "books":
        return "books"
    if call["service"] == "campaigns":
        return CAMPAIGNS_PATH_FAMILY.get(call["path"].removeprefix(CAMPAIGNS_PREFIX))
    return None


def max_in_window(times: list[float], seconds: float) -> int:
    """The most timestamps inside any half-open window (t - seconds, t]."""
    best = 0
    for i, t in enumerate(times):
        # bisect_right: stamps exactly at t - seconds have left the window.
        best = max(best, i - bisect_right(times, t - seconds, 0, i + 1) + 1)
    return best


def _writing(admin, since: int) -> bool:
    return any(c["path"].endswith("json/listsubscribe") for c in admin.calls(since=since)[-50:])


def measure(customers: int, scale: float, variant: str = "plain") -> dict:
    limits = f"scale={scale:g}"
    with common.bench_home() as home, common.SandboxProcess(home, customers, limits=limits) as sb:
        common.client(home, "setup")
        admin = sb.admin()
        n0 = admin.last_call_number()
        t0 = time.perf_counter()
        extra: dict = {}
        if variant == "restart":
            rng, kills = random.Random(7), 0
            for _ in range(2):
                proc = common.client_process(home, "run")
                deadline = time.monotonic() + 120
                while proc.poll() is None and time.monotonic() < deadline and not _writing(admin, n0):
                    time.sleep(0.1)
                time.sleep(rng.uniform(2.0, 8.0))
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
                    kills += 1
            extra["kills"] = kills
            run = common.client(home, "run")
        elif variant == "two":
            stop = home / "stop-other"
            other = common.client_process(home, "hammer", "--list", "Newsletter", "--stop-file", str(stop))
            try:
                run = common.client(home, "run")
            finally:
                stop.touch()
                extra["other"] = common.finish(other, timeout=120)
        else:
            run = common.client(home, "run")
        run["wall"] = time.perf_counter() - t0
        log = admin.calls(since=n0)
        stats = admin.stats()
    times: dict[str, list[float]] = defaultdict(list)
    refused: dict[str, int] = defaultdict(int)
    for c in log:
        fam = family_of(c)
        if fam is None:
            continue
        if c["status"] == 429 or c["code"] == "429":
            refused[fam] += 1  # refused calls are not counted by the server's windows either
            continue
        times[fam].append(float(c["time"]))
    return {"customers": customers, "scale": scale, "variant": variant, "run": run, "times": dict(times),
            "refused": dict(refused), "lockouts": stats.get("lockouts_by_family", {}),
            "server_limits": (stats.get("config") or {}).get("limits"), **extra}


def binding_use(m: dict) -> list[tuple[str, float, float]]:
    """(family, window seconds, peak / documented) of the windows that bind: the family made more
    calls than the window holds, so the limiter had to keep within it."""
    out = []
    for fam, stamps in m["times"].items():
        stamps = sorted(stamps)
        for w in LIMITS[fam].scaled(m["scale"]).windows:
            if len(stamps) > w.calls:
                out.append((fam, w.seconds, max_in_window(stamps, w.seconds) / w.calls))
    return out


def report(m: dict) -> None:
    k = m["scale"]
    rows = []
    for fam, stamps in sorted(m["times"].items()):
        stamps.sort()
        span = stamps[-1] - stamps[0] if len(stamps) > 1 else 0.0
        for w in LIMITS[fam].scaled(k).windows:
            peak = max_in_window(stamps, w.seconds)
            # The mean only says something when the busy span covers at least one whole window.
            mean = f"{len(stamps) / span * w.seconds:,.0f}" if span >= w.seconds else "n/a (span < window)"
            rows.append([fam, f"{w.calls:,} / {w.seconds:g} s", f"{len(stamps):,}",
                         "yes" if len(stamps) > w.calls else "no", f"{peak:,}",
                         f"**{100 * peak / w.calls:.1f} %**", mean, f"{m['refused'].get(fam, 0):,}"])
    lock_rows = [[f, n] for f, n in sorted(m["lockouts"].items())] or [["(none)", 0]]
    total_lockouts = sum(int(n) for n in m["lockouts"].values())
    run = m["run"]
    variant = m["variant"] + (f", {m['kills']} kill -9" if "kills" in m else "") + (
        f", other process sent {m['other']['sent']:,}" if "other" in m else "")
    common.print_report(f"B2 Limit utilisation ({m['customers']:,} customers, limits scale={k:g}, {variant})", [
        common.table("Calls per window (Sandbox call log)",
                     ["family", "documented window (scaled)", "calls", "binds", "peak in any window",
                      "peak / documented", "mean per window", "refused (429)"], rows),
        common.table("Lockouts (Sandbox stats, lockouts_by_family)", ["family", "lockouts"], lock_rows),
        common.table("Run", ["measure", "value"], [
            ["status / kind", f"{run['status']} / {run['kind']}"],
            ["counts", ", ".join(f"{a} {b:,}" for a, b in run["counts"].items())],
            ["wall time (s)", common.fmt(run["wall"])],
            ["Sandbox limits setting", m["server_limits"]],
            ["**lockouts (must be 0)**", f"**{total_lockouts}**"],
        ]),
    ], [
        f"The client's limiter allows itself each documented window minus the calls it may have in flight "
        f"(listsubscribe {in_flight('campaigns.listsubscribe')}, Books {in_flight('books')}) minus a reserve of "
        f"{RESERVE}: 495 of 500 is full use; families with few calls (lists, fields, subscribers) never reach "
        "their windows and show low numbers by design.",
        "Timestamps are the Sandbox's receive times; a window is (t - W, t].",
    ])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=common.parse_sizes, default=[20_000],
                   help="customers in the Sandbox (default 20000: enough to fill the hourly "
                        "listsubscribe window at scale 20)")
    p.add_argument("--scale", type=float, default=20.0, help="divide every window by K (default 20)")
    p.add_argument("--variants", default="plain,restart,two", help="plain, restart, two (comma-separated)")
    args = p.parse_args()
    if args.scale <= 0:
        p.error("--scale must be > 0")
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    for n in args.customers:
        found = {}
        for variant in variants:
            found[variant] = measure(n, args.scale, variant)
            report(found[variant])
        lockouts = {v: sum(int(x) for x in m["lockouts"].values()) for v, m in found.items()}
        uses = [u for m in found.values() for _, _, u in binding_use(m)]
        common.result(b2_min_window_use_pct=100 * min(uses) if uses else 0.0,
                      b2_lockouts=lockouts.get("plain", "n/a"), b2_restart_lockouts=lockouts.get("restart", "n/a"),
                      b2_two_process_lockouts=lockouts.get("two", "n/a"))


if __name__ == "__main__":
    main()
