"""The user's settings file (JSON): missing or malformed means defaults, never a crash."""

from __future__ import annotations

import json

from desktop_app.config.logs import warn_user
from desktop_app.config.paths import AppPaths


def load_settings(paths: AppPaths) -> dict:
    """User settings (JSON). Missing means defaults; a malformed file also means defaults, with a
    warning naming the file, never a crash."""
    path = paths.settings_path
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        warn_user(f"The settings file {path} could not be read ({exc.strerror or exc}); using the defaults.",
                  once_key=str(path))
        return {}
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError:
        data = None
    if not isinstance(data, dict):
        warn_user(f"The settings file {path} is not valid JSON (an object of settings); it is ignored and "
                  "the defaults are used. Fix or delete the file.", once_key=str(path))
        return {}
    return data
