"""Facts of the wire both sides share — the app's connectors and the Sandbox that plays Zoho:
the services' base paths, a connection's three base URLs, the loopback redirect and the
Sandbox's one registered OAuth client. Pure data."""

from __future__ import annotations

from dataclasses import dataclass

BOOKS_PATH = "/books/v3"
CAMPAIGNS_PATH = "/api/v1.1"


@dataclass(frozen=True)
class Endpoints:
    """The three base URLs a connection uses (R6)."""

    accounts: str
    books: str  # e.g. https://www.zohoapis.com/books/v3
    campaigns: str  # e.g. https://campaigns.zoho.com/api/v1.1

    @classmethod
    def for_server(cls, root: str) -> Endpoints:
        """All three services on one host, as the Sandbox serves them."""
        root = root.rstrip("/")
        return cls(root, root + BOOKS_PATH, root + CAMPAIGNS_PATH)


# Loopback redirect receiver: fixed ports registered with the OAuth client, tried in order
# (reference §1.2 [INF]: Zoho needs an exact redirect URI match, so no random port).
REDIRECT_PORTS: tuple[int, ...] = (53682, 53683, 53684)
REDIRECT_PATH = "/callback"


def redirect_uri(port: int) -> str:
    return f"http://127.0.0.1:{port}{REDIRECT_PATH}"


# The Sandbox's one registered client; real Zoho uses the user's own client id (and secret from
# DESKTOP_APP_CLIENT_SECRET or a prompt, kept in the keyring).
SANDBOX_CLIENT_ID = "1000.SANDBOXCLIENT"
SANDBOX_CLIENT_SECRET = "sandbox-secret"
