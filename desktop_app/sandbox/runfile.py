"""The Sandbox's run file (``<state>.server.json``, mode 0600: url, pid, admin token) and the admin
tokens of the servers this process runs. Both sides read these: the server writes them, the admin
client (``connectors/sandbox_admin.py``) looks its token up here, so the Sandbox never imports the
app's side of the wire.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from desktop_app.config.system import process_alive

TOKEN_HEADER = "X-Sandbox-Admin"  # the header the admin API reads its token from
_TOKENS: dict[str, str] = {}  # base URL → admin token, for Sandboxes served by this process
_TOKENS_LOCK = threading.Lock()


def runfile_path(db_path: Path) -> Path:
    return Path(db_path).with_name(Path(db_path).stem + ".server.json")


def running_server_info(db_path: Path) -> dict | None:
    """``{"url", "pid", "admin_token"}`` of a Sandbox serving ``db_path`` now, or None (missing or stale)."""
    try:
        info = json.loads(runfile_path(db_path).read_text(encoding="utf-8"))
        pid, url = int(info["pid"]), str(info["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not process_alive(pid):
        return None
    token = info.get("admin_token")
    return {"url": url, "pid": pid, "admin_token": token if isinstance(token, str) else None}


def running_server_url(db_path: Path) -> str | None:
    """The URL of a Sandbox serving ``db_path`` right now, or None (missing or stale file)."""
    info = running_server_info(db_path)
    return info["url"] if info else None


def register_token(base_url: str, token: str) -> None:
    with _TOKENS_LOCK:
        _TOKENS[base_url.rstrip("/")] = token


def forget_token(base_url: str) -> None:
    with _TOKENS_LOCK:
        _TOKENS.pop(base_url.rstrip("/"), None)


def registered_token(base_url: str) -> str | None:
    with _TOKENS_LOCK:
        return _TOKENS.get(base_url.rstrip("/"))
