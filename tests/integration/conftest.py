"""Integration fixtures: a real Sandbox on a free loopback port, one per test.

Seeding happens once per session per (customers, seed) into a template file; each test gets a
copy, so a fresh seeded Sandbox per test costs a file copy.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from desktop_app import config
from desktop_app.config import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from desktop_app.connectors.sandbox_admin import SandboxAdmin
from desktop_app.sandbox import SandboxServer


@pytest.fixture(scope="session")
def sandbox_templates(tmp_path_factory) -> Callable[[int, int], Path]:
    root = tmp_path_factory.mktemp("sandbox-templates")
    made: dict[tuple[int, int], Path] = {}

    def template(customers: int, seed: int) -> Path:
        if (customers, seed) not in made:
            path = root / f"sandbox-{customers}-{seed}.db"
            SandboxServer(path, customers=customers, seed=seed).stop()  # seeds, closes (WAL folded in)
            made[(customers, seed)] = path
        return made[(customers, seed)]

    return template


@pytest.fixture
def sandbox_factory(sandbox_templates, tmp_path) -> Iterator[Callable[..., SandboxServer]]:
    """``sandbox_factory(limits="scale=60", customers=5000, latency_ms=…, …)`` → a started Sandbox."""
    started: list[SandboxServer] = []

    def make(**kwargs) -> SandboxServer:
        kwargs.setdefault("limits", "off")
        customers, seed = kwargs.setdefault("customers", 1500), kwargs.setdefault("seed", 42)
        db = tmp_path / f"sandbox-{len(started)}.db"
        if not kwargs.get("reset"):
            shutil.copyfile(sandbox_templates(customers, seed), db)
        srv = SandboxServer(db, **kwargs).start()
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


@pytest.fixture
def sandbox(sandbox_factory) -> SandboxServer:
    """A started Sandbox: 1500 customers, seed 42, limits off, on a copy of the session template."""
    return sandbox_factory()


@pytest.fixture
def sandbox_admin(sandbox) -> SandboxAdmin:
    return SandboxAdmin(sandbox.url, token=sandbox.admin_token)


def get_tokens(srv: SandboxServer) -> dict:
    """Access + refresh token through a Self Client code (the headless sign-in)."""
    code = SandboxAdmin(srv.url, token=srv.admin_token).selfclient_code()
    resp = requests.post(f"{srv.url}/oauth/v2/token", data={
        "grant_type": "authorization_code", "client_id": SANDBOX_CLIENT_ID,
        "client_secret": SANDBOX_CLIENT_SECRET, "code": code}, timeout=10)
    return resp.json()


@pytest.fixture
def sandbox_token(sandbox) -> str:
    return get_tokens(sandbox)["access_token"]


@pytest.fixture
def auth(sandbox_token) -> dict[str, str]:
    """The Authorization header for the ``sandbox`` fixture's server."""
    return {"Authorization": f"Zoho-oauthtoken {sandbox_token}"}


# --- the app's own Sandbox (sync tests): the CLI and AppService find it through its run file


@pytest.fixture
def app_sandbox(sandbox_templates, app_home):
    """A Sandbox serving the app's own state file (so the app finds it running), limits off."""
    paths = config.app_paths().ensure()
    shutil.copyfile(sandbox_templates(1500, 42), paths.sandbox_db_path)
    srv = SandboxServer(paths.sandbox_db_path, customers=1500, seed=42, limits="off").start()
    yield srv
    srv.stop()


@pytest.fixture
def admin(app_sandbox) -> SandboxAdmin:
    return SandboxAdmin(app_sandbox.url, token=app_sandbox.admin_token)
