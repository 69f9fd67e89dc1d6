"""The user's time zone, for schedules (R14)."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from desktop_app.config.paths import app_paths
from desktop_app.config.settings import load_settings


def local_zone(env: Mapping[str, str] | None = None):
    """The user's IANA time zone (DST-aware), for schedules (R14).

    ``TZ`` wins; then the ``/etc/localtime`` link; then the settings file's ``time_zone``; a
    fixed offset is the last resort (no DST knowledge), logged once.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    env = os.environ if env is None else env
    candidates: list[str] = []
    if env.get("TZ"):
        candidates.append(env["TZ"].lstrip(":"))
    try:
        target = os.readlink("/etc/localtime")
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    zone = load_settings(app_paths(env)).get("time_zone")
    if isinstance(zone, str):
        candidates.append(zone)
    for name in candidates:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    from datetime import datetime

    logging.getLogger(__name__).warning("No IANA time zone found; schedules use a fixed UTC offset")
    return datetime.now().astimezone().tzinfo
