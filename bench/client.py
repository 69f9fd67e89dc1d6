"""The measured client, one fresh process per invocation (run by bench/common.py ``client``).

    client.py setup                       connect the Sandbox + create the sync (no run)
    client.py run [--profile FILE]        one sync run through AppService, as the CLI does it
    client.py bare --calls FILE           the floor: replay HTTP calls with a plain requests.Session

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


def run(profile: str | None) -> None:
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
    outcome = svc.run_sync(trigger="cli")
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
           "db_bytes": paths.db_path.stat().st_size if paths.db_path.exists() else None})


def bare(calls_file: str, base_url: str) -> None:
    """Issue the recorded calls one by one: request, status, JSON decode. No engine logic."""
    import requests

    from desktop_app.connectors.sandbox_admin import SandboxAdmin

    calls = json.loads(Path(calls_file).read_text())
    code = SandboxAdmin(base_url).selfclient_code()
    token = requests.post(f"{base_url}/oauth/v2/token", data={
        "grant_type": "authorization_code", "client_id": config.SANDBOX_CLIENT_ID,
        "client_secret": config.SANDBOX_CLIENT_SECRET, "code": code}, timeout=30).json()["access_token"]
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    session = requests.Session()
    errors = 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for c in calls:
        resp = session.request(c["method"], base_url + c["path"], params=c["params"], headers=headers,
                               timeout=(5, 30))
        body = resp.json()
        if resp.status_code != 200 or (isinstance(body, dict) and body.get("status") == "error"):
            errors += 1
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    _emit({"calls": len(calls), "errors": errors, "cpu": cpu, "wall": wall})


def main() -> None:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="what", required=True)
    setup_p = sub.add_parser("setup")
    setup_p.add_argument("--wide", action="store_true", help="map every field simulate edits")
    r = sub.add_parser("run")
    r.add_argument("--profile", default=None)
    b = sub.add_parser("bare")
    b.add_argument("--calls", required=True)
    b.add_argument("--url", required=True)
    args = p.parse_args()
    if args.what == "setup":
        setup(args.wide)
    elif args.what == "run":
        run(args.profile)
    else:
        bare(args.calls, args.url)


if __name__ == "__main__":
    main()
