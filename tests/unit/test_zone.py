"""The local time zone: TZ, then the settings override, then the system's (tzlocal), never a crash."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest
import tzlocal

from desktop_app import config

pytestmark = pytest.mark.unit


def _env(tmp_path, **extra: str) -> dict[str, str]:
    return {"DESKTOP_APP_HOME": str(tmp_path / "home"), **extra}


def _set(tmp_path, **settings) -> None:
    paths = config.app_paths(_env(tmp_path)).ensure()
    paths.settings_path.write_text(json.dumps(settings), encoding="utf-8")


def test_tz_wins_then_the_settings_override_then_the_system_zone(tmp_path, monkeypatch):
    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: "Europe/Paris")
    assert config.local_zone(_env(tmp_path)) == ZoneInfo("Europe/Paris")
    _set(tmp_path, time_zone="Asia/Kolkata")
    assert config.local_zone(_env(tmp_path)) == ZoneInfo("Asia/Kolkata")
    assert config.local_zone(_env(tmp_path, TZ=":America/New_York")) == ZoneInfo("America/New_York")


def test_an_unknown_name_falls_through_and_an_unreadable_system_zone_is_no_crash(tmp_path, monkeypatch):
    _set(tmp_path, time_zone="Mars/Olympus_Mons")
    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: "Asia/Tokyo")
    assert config.local_zone(_env(tmp_path, TZ="Nowhere/Else")) == ZoneInfo("Asia/Tokyo")

    def broken():
        raise OSError("no /etc/localtime")

    monkeypatch.setattr(tzlocal, "get_localzone_name", broken)
    zone = config.local_zone(_env(tmp_path))  # a fixed offset, logged: schedules still work
    assert zone is not None
