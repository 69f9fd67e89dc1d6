"""The embedded Sandbox, as the app uses it: find the one serving this state file or start one,
and the endpoints of a connection (Sandbox or Zoho's data centers)."""

from __future__ import annotations

from desktop_app import config
from desktop_app.app.context import Context

# The app's embedded Sandbox runs its limits 20× faster than Zoho's (same shape), so the demo's
# first sync takes seconds while the limiter is still exercised. The limiter follows the
# Sandbox's own setting (read from its stats), so a Sandbox started with other limits works too.
SANDBOX_LIMITS = "scale=20"


class SandboxHost:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._server = None  # in-process SandboxServer, when we started one
        self._url: str | None = None

    def url(self) -> str:
        """A running Sandbox: one recorded by `desktop-app sandbox serve`, else one started here."""
        with self.ctx.lock:
            if self._url:
                return self._url
            from desktop_app.sandbox import SandboxServer
            from desktop_app.sandbox.server import running_server_url

            url = running_server_url(self.ctx.paths.sandbox_db_path)
            if url is None:
                # customers/seed None: keep whatever the state file was seeded with.
                self._server = SandboxServer(self.ctx.paths.sandbox_db_path, customers=None, seed=None,
                                             limits=SANDBOX_LIMITS).start()
                url = self._server.url
            self._url = url
            return url

    def limits(self, url: str) -> tuple[bool, float]:
        """(enabled, scale) of the Sandbox at ``url`` (its own setting; ours for an old one)."""
        from desktop_app.connectors.sandbox_admin import SandboxAdmin
        from desktop_app.domain.limits import parse_limits_mode

        try:
            mode = (SandboxAdmin(url).stats().get("config") or {}).get("limits", SANDBOX_LIMITS)
            return parse_limits_mode(str(mode))
        except Exception:  # an old Sandbox without the field: assume ours
            return parse_limits_mode(SANDBOX_LIMITS)

    def endpoints(self, kind: str, dc: str | None) -> config.Endpoints:
        if kind == "sandbox":
            return config.Endpoints.for_server(self.url())
        return config.resolve_endpoints(dc or "US", self.ctx.env, config.load_settings(self.ctx.paths))

    def simulate(self, changes: int) -> int:
        from desktop_app.connectors.sandbox_admin import SandboxAdmin

        changed = SandboxAdmin(self.url()).simulate(changes)
        return len(changed) if isinstance(changed, list | tuple) else int(changed)

    def close(self) -> None:
        with self.ctx.lock:
            if self._server is not None:
                self._server.stop()
                self._server = None
