"""Helpers of the connector tests: the Sandbox admin API raw, and signed-in clients."""

from __future__ import annotations

import requests

from desktop_app import config
from desktop_app.connectors.auth import OAuthClient, TokenManager
from desktop_app.connectors.limiter import Limiter
from desktop_app.connectors.session import build_clients
from desktop_app.connectors.signin import sign_in_auto_approve


def admin_headers(srv) -> dict[str, str]:
    """The header that lets a raw request through the Sandbox admin API (/_sandbox/…)."""
    return {"X-Sandbox-Admin": srv.admin_token}


def admin(sandbox, method: str, path: str, body: dict | None = None) -> dict:
    """The Sandbox admin API exactly as docs/wire-contract.md describes it."""
    resp = requests.request(method, f"{sandbox.url}/_sandbox/{path}",
                            headers=admin_headers(sandbox), json=body, timeout=60)
    resp.raise_for_status()
    return resp.json() if resp.content else {}


def oauth_for(sandbox, secret: str = config.SANDBOX_CLIENT_SECRET) -> OAuthClient:
    return OAuthClient(sandbox.endpoints.accounts, config.SANDBOX_CLIENT_ID, secret)


def sandbox_clients(sandbox, limiter: Limiter | None = None, *, with_org: bool = True, **build):
    """(books, campaigns, tokens) signed in to the Sandbox; ``with_org`` picks its organization."""
    oauth = oauth_for(sandbox)
    first = sign_in_auto_approve(oauth)
    tokens = TokenManager(oauth, first.refresh_token, initial=first)
    books, campaigns = build_clients(sandbox.endpoints, "", tokens, limiter=limiter or Limiter(enabled=False),
                                     **build)
    if with_org:
        books.org_id = books.organizations()[0].org_id
    return books, campaigns, tokens


BULK_MAX = 10  # emails per addlistsubscribersinbulk call (documented)


def bulk_add(campaigns, list_key: str, emails) -> int:
    """Add emails only, ≤ 10 per call, through the client's own HTTP layer (the app never uses
    addlistsubscribersinbulk; the Sandbox plays it as documented). Returns the calls made."""
    emails = list(emails)
    for i in range(0, len(emails), BULK_MAX):
        campaigns._post("addlistsubscribersinbulk", {"resfmt": "JSON", "listkey": list_key,
                                                     "emailids": ",".join(emails[i:i + BULK_MAX])},
                        idempotent=True)
    return -(-len(emails) // BULK_MAX)
