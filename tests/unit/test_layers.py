"""The arrows of the house (docs/architecture.md), read from every module's imports:

- no Qt outside ``gui/``;
- ``domain/`` is pure: the standard library's pure modules and itself, no I/O;
- the Sandbox is the other side of the wire: nothing under ``sandbox/`` imports the app's
  connectors, engine, store, app (the façade), CLI or GUI (it may use ``domain/`` and ``config``);
- ``store/`` and ``connectors/`` know nothing of each other, of the engine or of the front ends;
- the engine knows only the domain and its ports (no connector, no store, no SQL, no HTTP, no front
  end, no Sandbox); the façade (``app/``) knows no front end.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "desktop_app"

APP_SIDE = ("desktop_app.connectors", "desktop_app.engine", "desktop_app.store", "desktop_app.app",
            "desktop_app.gui", "desktop_app.cli")
FRONT_ENDS = ("desktop_app.gui", "desktop_app.cli")
# What the pure domain may import: the standard library's modules without I/O, and itself.
DOMAIN_ALLOWED = ("__future__", "dataclasses", "enum", "typing", "datetime", "collections", "re", "math",
                  "decimal", "unicodedata", "json", "hashlib", "functools", "itertools", "zoneinfo",
                  "string", "desktop_app.domain")
DOMAIN_CALLS_FORBIDDEN = {"open", "print", "input", "exec", "eval"}


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: resolve against the file's package
                base = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-node.level])
                module = f"{base}.{module}" if module else base
            names.append(module)
    return names


def _violations(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    root = PACKAGE / folder if folder else PACKAGE
    files = sorted(root.rglob("*.py")) if folder else sorted(root.glob("*.py"))
    return [f"{p.relative_to(PACKAGE)}: {n}" for p in files for n in _imports(p)
            if any(n == f or n.startswith(f + ".") for f in forbidden)]


def test_the_sandbox_uses_only_the_domain_and_the_apps_folders():
    """The other side of the wire shares the domain (limits, emails, wire facts) and, to serve
    the app's own state file, its folders, private-file helpers and what differs per OS — nothing
    else of the app."""
    allowed = ("desktop_app.domain", "desktop_app.sandbox", "desktop_app.config.paths", "desktop_app.config.files",
               "desktop_app.config.system")
    found = [f for f in _violations("sandbox", ("desktop_app",))
             if not any(f.split(": ")[1] == a or f.split(": ")[1].startswith(a + ".") for a in allowed)]
    assert not found, found


def test_no_qt_outside_the_gui():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "gui" in path.relative_to(PACKAGE).parts:
            continue
        found += [f"{path.relative_to(PACKAGE)}: {n}" for n in _imports(path) if n.split(".")[0] in
                  ("PySide6", "shiboken6", "qasync", "PyQt5", "PyQt6")]
    assert not found, found


def test_the_domain_is_pure():
    found = []
    for path in sorted((PACKAGE / "domain").rglob("*.py")):
        found += [f"{path.name}: import {n}" for n in _imports(path)
                  if not any(n == a or n.startswith(a + ".") for a in DOMAIN_ALLOWED)]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                    node.func.id in DOMAIN_CALLS_FORBIDDEN:
                found.append(f"{path.name}:{node.lineno}: {node.func.id}()")
    assert not found, found


@pytest.mark.parametrize(("folder", "forbidden"), [
    ("sandbox", (*APP_SIDE, "PySide6")),
    ("store", ("desktop_app.connectors", "desktop_app.engine", "desktop_app.app", *FRONT_ENDS)),
    ("connectors", ("desktop_app.store", "desktop_app.engine", "desktop_app.app", *FRONT_ENDS)),
    # The engine talks to Books, Campaigns, its store and its lock through engine/ports.py only.
    ("engine", ("desktop_app.connectors", "desktop_app.store", "desktop_app.app", "desktop_app.sandbox",
                "sqlalchemy", "requests", *FRONT_ENDS)),
    ("app", (*FRONT_ENDS, "PySide6")),  # the façade and its use cases serve both front ends
    ("", FRONT_ENDS),  # config.py (the modules at the top of the package)
], ids=["sandbox", "store", "connectors", "engine", "app", "top-level"])
def test_the_arrows_hold(folder, forbidden):
    found = _violations(folder, forbidden)
    if not folder:  # __main__ is the front door itself
        found = [f for f in found if not f.startswith("__main__.py")]
    assert not found, found
