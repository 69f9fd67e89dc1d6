"""Helpers for GUI tests on a real Sandbox: a small in-process Sandbox the service finds through its
run file, and a GuiSession driven on a qasync loop."""

from __future__ import annotations

from desktop_app import config


def start_sandbox(**knobs):
    from desktop_app.sandbox import SandboxServer

    paths = config.app_paths().ensure()
    knobs.setdefault("customers", 120)
    knobs.setdefault("limits", "off")
    return SandboxServer(paths.sandbox_db_path, **knobs).start()


def new_session():
    from desktop_app.gui.session import GuiSession
    from desktop_app.service import AppService

    return GuiSession(AppService(config.app_paths()), use_tray=False)
