"""The user's time zone, for schedules (R14)."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping

from desktop_app.config.paths import app_paths
from desktop_app.config.settings import load_settings

log = logging.getLogger(__name__)


def local_zone(env: Mapping[str, str] | None = None):
    """The user's IANA time zone (DST-aware), for schedules (R14).

    ``TZ`` wins (the process was started with it); then the settings file's ``time_zone`` (the
    user's override); then the system's zone through ``tzlocal`` (``/etc/localtime`` on Linux,
    the system settings on macOS, the registry mapped to IANA on Windows, where a fixed offset
    would drift an hour at each DST change); a fixed offset is the last resort, logged.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    env = os.environ if env is None else env
    candidates: list[str] = []
    if env.get("TZ"):
        candidates.append(env["TZ"].lstrip(":"))
    zone = load_settings(app_paths(env)).get("time_zone")
    if isinstance(zone, str) and zone.strip():
        candidates.append(zone.strip())
    system = _system_zone_name()
    if system:
        candidates.append(system)
    for name in candidates:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    from datetime import datetime

    log.warning("No IANA time zone found; schedules use a fixed UTC offset")
    return datetime.now().astimezone().tzinfo


def _system_zone_name() -> str | None:
    import tzlocal

    with warnings.catch_warnings():  # tzlocal warns (and guesses UTC) when nothing is configured
        warnings.simplefilter("ignore")
        try:
            return tzlocal.get_localzone_name()
        except Exception as exc:  # an unreadable or unknown configuration: the next candidate
            log.info("the system time zone could not be read: %s", exc)
            return None
