"""Shared fixtures. Every test gets its own app home, so no test touches the user's folders."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests never reach the OS keyring; connector tests install their own backends.
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

import pytest


@pytest.fixture(autouse=True)
def app_home(tmp_path, monkeypatch):
    """DESKTOP_APP_HOME under the test's tmp dir; no Zoho URL overrides leak in from outside."""
    home = tmp_path / "home"
    monkeypatch.setenv("DESKTOP_APP_HOME", str(home))
    for var in ("DESKTOP_APP_ACCOUNTS_URL", "DESKTOP_APP_BOOKS_URL", "DESKTOP_APP_CAMPAIGNS_URL",
                "DESKTOP_APP_CLIENT_SECRET"):
        monkeypatch.delenv(var, raising=False)
    return home


def pytest_collection_modifyitems(config, items):
    """Each test carries its folder's marker (unit | integration | gui), so a selection like
    ``-m unit`` or ``-m "not slow"`` needs no paths."""
    for item in items:
        parts = item.path.parts
        for kind in ("unit", "integration", "gui"):
            if kind in parts:
                item.add_marker(getattr(pytest.mark, kind))
