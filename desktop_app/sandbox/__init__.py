"""The embedded Zoho-compatible Sandbox (SPEC S1–S4): Accounts, Books v3 and Campaigns v1.1 on
127.0.0.1, with its state in one SQLite file and knobs under /_sandbox/ (docs/wire-contract.md).
"""

from desktop_app.sandbox.server import SandboxServer

__all__ = ["SandboxServer"]
