"""The Sandbox is the other side of the wire: nothing under desktop_app/sandbox imports the app's connectors,
engine, store, service or GUI (it may use domain/ and config)."""

from __future__ import annotations

import ast
from pathlib import Path

SANDBOX = Path(__file__).resolve().parents[2] / "desktop_app" / "sandbox"
FORBIDDEN = ("desktop_app.connectors", "desktop_app.engine", "desktop_app.store", "desktop_app.service",
             "desktop_app.gui", "desktop_app.commands", "PySide6")


def test_the_sandbox_imports_nothing_of_the_app_side():
    found = []
    for path in sorted(SANDBOX.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{path.name}: {n}" for n in names if n.startswith(FORBIDDEN)]
    assert not found, found
