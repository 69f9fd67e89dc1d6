"""The application layer: the ``AppService`` façade over its use cases (accounts, sync
configuration, runs and history, the Sandbox host, the client factory), the views it returns and
``describe``, the one translator of failures for the CLI and the window.

The names are loaded on first use (PEP 562): the window imports ``describe`` and the views
before it is on screen, and the façade (SQLAlchemy, Alembic, requests, keyring) after.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_HOMES = {
    "ServiceError": "errors", "describe": "errors", "AppService": "facade", "SANDBOX_LIMITS": "sandbox_host",
    **{name: "views" for name in ("NEEDS_DECISION", "ConnectionInfo", "ConsentView", "InitiatePreview",
                                  "NotificationView", "RunView", "SyncView", "owner_warning")},
}

__all__ = ["NEEDS_DECISION", "SANDBOX_LIMITS", "AppService", "ConnectionInfo", "ConsentView", "InitiatePreview",
           "NotificationView", "RunView", "ServiceError", "SyncView", "describe", "owner_warning"]

if TYPE_CHECKING:
    from desktop_app.app.errors import ServiceError, describe
    from desktop_app.app.facade import AppService
    from desktop_app.app.sandbox_host import SANDBOX_LIMITS
    from desktop_app.app.views import (
        NEEDS_DECISION,
        ConnectionInfo,
        ConsentView,
        InitiatePreview,
        NotificationView,
        RunView,
        SyncView,
        owner_warning,
    )


assert sorted(__all__) == sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'desktop_app.app' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"desktop_app.app.{home}"), name)
    globals()[name] = value
    return value
