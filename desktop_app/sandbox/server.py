"""``SandboxServer``: the Sandbox on 127.0.0.1, in a background thread or in the foreground.

The state file is reused as it is unless ``reset=True`` or explicitly requested seed parameters
(``customers``, ``seed``) differ from the ones it was seeded with. ``None`` (the default) means
"whatever the file has", 1500 customers / seed 42 for a new file, so starting the GUI never
wipes a Sandbox someone seeded with other numbers. While running, the
server's URL and pid are written next to the state file (``sandbox.server.json``) so the CLI can
reach it; the file is removed on stop, and a stale one (dead pid) is ignored.

The admin API (``/_sandbox/…``) needs a token generated when the server is made
(``admin_token``); it is kept in the run file (mode 0600, like the state file) and registered
with ``SandboxAdmin`` for this process, so only the user's own processes can drive the Sandbox.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from desktop_app.config.files import private_dir, private_sqlite, write_private
from desktop_app.domain.wire import Endpoints
from desktop_app.sandbox.app import SandboxApp
from desktop_app.sandbox.contract import CONTRACTS, env_contract
from desktop_app.sandbox.runfile import (  # noqa: F401  (running_server_* re-exported)
    forget_token,
    register_token,
    runfile_path,
    running_server_info,
    running_server_url,
)
from desktop_app.sandbox.seed import SeedParams, ensure_signup_list, seed
from desktop_app.sandbox.state import State

log = logging.getLogger(__name__)
DEFAULT_CUSTOMERS = 1500
DEFAULT_SEED = 42


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: benchmarks make 100k calls on a few connections
    server_version = "ZohoSandbox/1.0"
    disable_nagle_algorithm = True  # headers and body go out at once; no 40 ms delayed-ACK stalls

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > 10_000_000:
            self.send_error(400, "Bad Content-Length")
            return
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        answer = self.server.app.handle(self.command, self.path, headers, body)  # type: ignore[attr-defined]
        if answer.drop:
            self.close_connection = True
            return
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        # One write for headers and body (end_headers() would flush the headers on their own).
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD":
            self._headers_buffer.append(answer.body)
        self.flush_headers()

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = _serve

    def log_message(self, format: str, *args) -> None:  # the call log records calls; URLs may carry tokens
        pass


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


class SandboxServer:
    def __init__(
        self,
        db_path: Path,
        *,
        port: int = 0,
        customers: int | None = None,
        seed: int | None = None,
        limits: str = "on",
        latency_ms: int = 0,
        owner_email: str | None = None,
        reset: bool = False,
        fault_rate: float = 0.0,
        timeout_seconds: float = 30.0,
        contract: str | None = None,
    ) -> None:
        env_contract()  # a bad DESKTOP_APP_SANDBOX_CONTRACT stops the start (ValueError), never a guess
        if contract is not None and contract not in CONTRACTS:
            raise ValueError("contract must be strict or lenient")
        self.db_path = Path(db_path)
        self._port = int(port)
        self.admin_token = secrets.token_urlsafe(32)
        private_dir(self.db_path.parent)
        private_sqlite(self.db_path)  # 0600 before SQLite creates it (and its -wal/-shm)
        self.state = State(self.db_path)
        try:
            self._prepare(customers, seed, reset, owner_email)
            if contract is not None:
                self.state.update_settings(contract=contract)
            self.app = SandboxApp(
                self.state,
                limits=limits,
                latency_ms=latency_ms,
                base_url=lambda: self.url,
                fault_seed=seed or 0,
                timeout_seconds=timeout_seconds,
                admin_token=self.admin_token,
            )
            if fault_rate:
                from desktop_app.sandbox.faults import parse_rule

                self.app.faults.add(parse_rule({"kind": "5xx", "rate": fault_rate}))
        except BaseException:
            self.state.close()
            raise
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def _prepare(
        self, customers: int | None, seed_: int | None, reset: bool, owner_email: str | None
    ) -> None:
        had = self.state.meta("seed_params")
        want = SeedParams(
            customers if customers is not None else (had or {}).get("customers", DEFAULT_CUSTOMERS),
            seed_ if seed_ is not None else (had or {}).get("seed", DEFAULT_SEED),
        )
        if reset or had != {"customers": want.customers, "seed": want.seed}:
            seed(self.state, want)
        else:
            ensure_signup_list(self.state)
        if owner_email is not None:
            self.state.update_settings(campaigns_owner_email=owner_email)

    # ------------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the Sandbox is not started")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints.for_server(self.url)

    # ------------------------------------------------------------------ life cycle

    def _bind(self) -> None:
        if self._httpd is not None:
            raise RuntimeError("the Sandbox is already started")
        self._httpd = _HTTPServer(("127.0.0.1", self._port), _Handler)
        self._httpd.app = self.app  # type: ignore[attr-defined]
        self.app.stopping.clear()
        register_token(self.url, self.admin_token)
        write_private(runfile_path(self.db_path), json.dumps(
            {"url": self.url, "pid": os.getpid(), "admin_token": self.admin_token}))
        log.info("Sandbox listening on %s (state %s)", self.url, self.db_path)

    def start(self) -> SandboxServer:
        """Listen and serve on a daemon thread; returns once the socket accepts connections."""
        self._bind()
        assert self._httpd is not None
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until ``stop()`` (from another thread) or Ctrl-C."""
        if self._httpd is None:
            self._bind()
        assert self._httpd is not None
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._close()

    def stop(self) -> None:
        """Stop serving, wake sleeping faults, join the thread, close the state file."""
        self.app.stopping.set()
        httpd = self._httpd
        if httpd is not None and self._thread is not None:
            httpd.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        elif httpd is not None and threading.current_thread() is not threading.main_thread():
            httpd.shutdown()  # serve_forever() in another thread closes the rest
            return
        self._close()

    def _close(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            forget_token(f"http://127.0.0.1:{httpd.server_address[1]}")
            httpd.server_close()
            with contextlib.suppress(FileNotFoundError):
                runfile_path(self.db_path).unlink()
        if getattr(self, "_closed", False):
            return
        self._closed = True
        self.state.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
