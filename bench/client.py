"""The measured client, one fresh process per invocation (run by bench/common.py ``client``).

    client.py setup                       connect the Sandbox + create the sync (no run)
    client.py run [--profile FILE]        one sync run through AppService, as the CLI does it
    client.py hammer --list N --stop-file F   another app process writing to list N until F exists
    client.py bare --calls FILE [--workers N] [--raw]
                                          a floor: replay HTTP calls with requests (N threads) or http.client

The Sandbox is found through its run file in DESKTOP_APP_HOME. The last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desktop_app import cli, config


def _emit(data: dict) -> None:
    data["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print(json.dumps(data, default=str))


# Every field the Sandbox's `simulate` edits, so each simulated change is a change to send (B3).
WIDE_MAPPING = ("--map", "phone=Phone", "--map", "company_name=Company Name", "--map", "cf_segment=Segment:new")


def setup(wide: bool = False) -> None:
    if cli.main(["connect", "sandbox"]) != 0:
        raise SystemExit("connect sandbox failed")
    if cli.main(["sync", "create", "--list", "Books customers", "--subscription", "marketing", "--yes",
                 "--no-run", *(WIDE_MAPPING if wide else ())]) != 0:
        raise SystemExit("sync create failed")
    _emit({"ok": True})


def run(profile: str | None, full: bool = False, eta_at: int = 0) -> None:
    from desktop_app.app import AppService

    paths = config.app_paths()
    config.setup_logging(paths)  # as the CLI and the GUI do: one INFO line per HTTP call
    svc = AppService(paths)
    svc.connection()  # open the database before the clock starts (both clients do it at start-up)
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    predicted: dict = {}

    def progress(p) -> None:  # the run's ETA once it has planned ``eta_at`` customers (B6)
        if eta_at and not predicted and p.eta is not None and p.done >= eta_at:
            predicted.update(eta=p.eta.timestamp(), at=time.time(), text=p.eta_text, done=p.done)

    outcome = svc.run_sync(trigger="cli", force_full=full, progress=progress)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    last = svc.runs(limit=1)[0]
    svc.close()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    _emit({"status": outcome.status, "kind": outcome.kind, "error": outcome.error,
           "counts": outcome.counts.as_dict(), "cpu": cpu, "wall": wall,
           "user": ru.ru_utime, "system": ru.ru_stime,
           "calls_books": last.calls_books, "calls_campaigns": last.calls_campaigns,
           "db_bytes": paths.db_path.stat().st_size if paths.db_path.exists() else None,
           "resume_at": outcome.resume_at.timestamp() if outcome.resume_at else None, "predicted": predicted})


def hammer(list_name: str, stop_file: str) -> None:
    """Another process of the app writing to ``list_name`` at full pace through the same shared
    usage ledger as the run, until ``stop_file`` exists (B2's two-process variant)."""
    from desktop_app.app import AppService

    paths = config.app_paths()
    svc = AppService(paths)
    _, campaigns = svc.accounts.clients()
    key = next(m.key for m in campaigns.lists() if m.name == list_name)
    sent = errors = 0
    t0 = time.perf_counter()
    while not Path(stop_file).exists():
        try:
            campaigns.subscribe(key, {"Contact Email": f"b2-other-{sent}@example.org"})
        except Exception as exc:  # a refusal or a lock is what B2 looks for: count it, go on
            errors += 1
            if type(exc).__name__ in ("Locked", "DailyCapReached"):
                break
        sent += 1
    svc.close()
    _emit({"sent": sent, "errors": errors, "wall": time.perf_counter() - t0})


def bare(calls_file: str, base_url: str, workers: int = 1, raw: bool = False) -> None:
    """Issue the recorded calls: request, status, JSON decode. No engine logic.

    ``workers`` > 1: that many threads share one session, as the engine's writers do. ``raw``: a
    keep-alive ``http.client`` connection per thread instead of requests. The session is made as
    the product makes it (``environment_session``: proxies resolved once)."""
    import http.client
    import threading
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlencode, urlsplit

    import requests

    from desktop_app.connectors.http import environment_session
    from desktop_app.connectors.sandbox_admin import SandboxAdmin

    calls = json.loads(Path(calls_file).read_text())
    code = SandboxAdmin(base_url).selfclient_code()
    token = requests.post(f"{base_url}/oauth/v2/token", data={
        "grant_type": "authorization_code", "client_id": config.SANDBOX_CLIENT_ID,
        "client_secret": config.SANDBOX_CLIENT_SECRET, "code": code}, timeout=30).json()["access_token"]
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    session = environment_session(base_url)
    where = urlsplit(base_url)
    local = threading.local()

    form = {**headers, "Content-Type": "application/x-www-form-urlencoded"}  # as every Campaigns POST

    def one(c: dict) -> bool:
        sent = form if c["method"] == "POST" else headers
        if raw:
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
            conn.request(c["method"], c["path"] + "?" + urlencode(c["params"], doseq=True), headers=sent)
            resp = conn.getresponse()
            status, body = resp.status, json.loads(resp.read())
        else:
            resp = session.request(c["method"], base_url + c["path"], params=c["params"], headers=sent,
                                   timeout=(5, 30))
            status, body = resp.status_code, resp.json()
        return status != 200 or (isinstance(body, dict) and body.get("status") == "error")

    cpu0, wall0 = time.process_time(), time.perf_counter()
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            errors = sum(pool.map(one, calls))
    else:
        errors = sum(one(c) for c in calls)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    _emit({"calls": len(calls), "errors": errors, "cpu": cpu, "wall": wall})


def main() -> None:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="what", required=True)
    setup_p = sub.add_parser("setup")
    setup_p.add_argument("--wide", action="store_true", help="map every field simulate edits")
    r = sub.add_parser("run")
    r.add_argument("--profile", default=None)
    r.add_argument("--full", action="store_true", help="a full reconciliation")
    r.add_argument("--eta-at", type=int, default=0, help="record the run's ETA once this many customers are done")
    h = sub.add_parser("hammer")
    h.add_argument("--list", required=True)
    h.add_argument("--stop-file", required=True)
    b = sub.add_parser("bare")
    b.add_argument("--calls", required=True)
    b.add_argument("--url", required=True)
    b.add_argument("--workers", type=int, default=1)
    b.add_argument("--raw", action="store_true")
    args = p.parse_args()
    if args.what == "setup":
        setup(args.wide)
    elif args.what == "run":
        run(args.profile, args.full, args.eta_at)
    elif args.what == "hammer":
        hammer(args.list, args.stop_file)
    else:
        bare(args.calls, args.url, args.workers, args.raw)


if __name__ == "__main__":
    main()
