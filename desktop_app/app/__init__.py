"""The application layer: the ``AppService`` façade over its use cases (accounts, sync
configuration, runs and history, the Sandbox host, the client factory), the views it returns and
``describe``, the one translator of failures for the CLI and the window."""

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

__all__ = ["NEEDS_DECISION", "SANDBOX_LIMITS", "AppService",
           "ConnectionInfo", "ConsentView", "InitiatePreview", "NotificationView", "RunView",
           "ServiceError", "SyncView", "describe", "owner_warning"]
