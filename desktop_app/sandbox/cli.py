"""``desktop-app sandbox serve | simulate | stats`` (argparse definitions live in desktop_app/cli/parser.py).

``simulate`` and ``stats`` go through a running Sandbox's admin API when one serves the state
file (found via its run file), otherwise they work on the state file directly, seeding it first
when it does not exist yet.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys

from desktop_app.config.paths import ENV_ACCOUNTS_URL, ENV_BOOKS_URL, ENV_CAMPAIGNS_URL, ENV_HOME, app_paths
from desktop_app.domain.wire import SANDBOX_CLIENT_ID
from desktop_app.sandbox import customers as cust
from desktop_app.sandbox.runfile import TOKEN_HEADER, runfile_path, running_server_info
from desktop_app.sandbox.server import SandboxServer
from desktop_app.sandbox.state import State

EXIT_OK, EXIT_REFUSED = 0, 2


def _refuse(message: str) -> int:
    print(f"desktop-app: {message}", file=sys.stderr)
    return EXIT_REFUSED


class _AdminFailed(Exception):
    pass


def _admin_call(running: dict, method: str, path: str, body: dict | None = None) -> dict:
    """One call to the running Sandbox's own admin API (token from its run file)."""
    import urllib.error
    import urllib.request

    data = None if body is None else json.dumps(body).encode("utf-8")
    req = urllib.request.Request(running["url"] + path, data=data, method=method, headers={
        "Content-Type": "application/json", TOKEN_HEADER: running.get("admin_token") or ""})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read().decode("utf-8")).get("error") or str(exc)
        except ValueError:
            message = str(exc)
        raise _AdminFailed(f"The Sandbox refused: {message}") from None
    except (OSError, ValueError) as exc:
        raise _AdminFailed(f"The Sandbox at {running['url']} did not answer ({type(exc).__name__}).") from None


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def serve(args: argparse.Namespace) -> int:
    paths = app_paths().ensure()
    if not 0 <= args.port <= 65535:
        return _refuse("--port must be between 0 and 65535")
    if args.customers is not None and args.customers < 0:
        return _refuse("--customers must be >= 0")
    if not 0 <= args.fault_rate <= 1:
        return _refuse("--fault-rate must be between 0 and 1")
    if args.latency_ms < 0:
        return _refuse("--latency-ms must be >= 0")
    try:
        srv = SandboxServer(
            paths.sandbox_db_path,
            port=args.port,
            customers=args.customers,
            seed=args.seed,
            limits=args.limits,
            latency_ms=args.latency_ms,
            owner_email=args.owner_email,
            reset=args.reset,
            fault_rate=args.fault_rate,
        )
    except ValueError as exc:
        return _refuse(str(exc))
    try:
        srv._bind()
    except OSError as exc:
        srv.stop()
        return _refuse(f"cannot listen on 127.0.0.1:{args.port} ({exc.strerror or exc})")
    e = srv.endpoints
    print(f"Sandbox serving on {srv.url}  (state: {paths.sandbox_db_path})")
    print("Point the app at it with:")
    print(f"  export {ENV_ACCOUNTS_URL}={e.accounts}")
    print(f"  export {ENV_BOOKS_URL}={e.books}")
    print(f"  export {ENV_CAMPAIGNS_URL}={e.campaigns}")
    print(f"  (client id {SANDBOX_CLIENT_ID}; admin API {srv.url}/_sandbox/ with the X-Sandbox-Admin "
          f"token in {runfile_path(paths.sandbox_db_path)}; Ctrl-C stops)", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill PID` stops it as cleanly as Ctrl-C
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        print("Sandbox stopped.")
    return EXIT_OK


def _offline_state() -> State:
    """The state file, seeded with the defaults when it does not exist yet."""
    db = app_paths().ensure().sandbox_db_path
    SandboxServer(db, customers=None, seed=None).stop()  # seeds a missing/empty file, then closes
    return State(db)


def simulate(args: argparse.Namespace) -> int:
    if args.changes < 0:
        return _refuse("--changes must be >= 0")
    db = app_paths().sandbox_db_path
    running = running_server_info(db)
    if running:
        try:
            changed = _admin_call(running, "POST", "/_sandbox/simulate", {"changes": args.changes})["changed"]
        except _AdminFailed as exc:
            return _refuse(str(exc))
    else:
        state = _offline_state()
        try:
            changed = cust.simulate(state, args.changes)
        finally:
            state.close()
    print(f"Changed {len(changed)} customer(s): {', '.join(changed[:10])}{' …' if len(changed) > 10 else ''}")
    return EXIT_OK


def stats(args: argparse.Namespace) -> int:
    db = app_paths().sandbox_db_path
    running = running_server_info(db)
    if running:
        try:
            data = _admin_call(running, "GET", "/_sandbox/stats")
        except _AdminFailed as exc:
            return _refuse(str(exc))
        data["server"] = running["url"]
    else:
        state = _offline_state()
        try:
            data = cust.state_stats(state)
        finally:
            state.close()
        data["server"] = None
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return EXIT_OK
    c = data["customers"]
    print(f"Sandbox state: {db}  ({ENV_HOME} moves it)")
    print(f"Server: {data['server'] or 'not running'}")
    print(f"Customers: {c['total']} (active {c['active']}, inactive {c['inactive']}, "
          f"with email {c['with_email']})")
    for lst in data["lists"]:
        members = ", ".join(f"{k} {v}" for k, v in sorted(lst["members"].items())) or "empty"
        print(f"List {lst['listname']!r} [{lst['listkey'][:12]}…]: {members}")
    for name, n in sorted(data.get("calls_by_endpoint", {}).items()):
        print(f"  {n:>8}  {name}")
    for family, n in sorted(data.get("lockouts_by_family", {}).items()):
        print(f"Lockouts {family}: {n}")
    return EXIT_OK
