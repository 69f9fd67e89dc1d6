"""Where the app keeps its files: platform folders (``platformdirs``; ``DESKTOP_APP_HOME`` moves
all of them), made private on first use."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from desktop_app.config.files import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, chmod_private, private_dir

APP_NAME = "desktop-app"
APP_AUTHOR = "desktop-app"
APP_DISPLAY_NAME = "Books → Campaigns Sync"
# The reverse-DNS application id (launchd labels; the desktop entry and AppStream id follow it).
APP_ID = "io.github.desktop_app.BooksCampaignsSync"

ENV_HOME = "DESKTOP_APP_HOME"
ENV_ACCOUNTS_URL = "DESKTOP_APP_ACCOUNTS_URL"
ENV_BOOKS_URL = "DESKTOP_APP_BOOKS_URL"
ENV_CAMPAIGNS_URL = "DESKTOP_APP_CAMPAIGNS_URL"
ENV_CLIENT_SECRET = "DESKTOP_APP_CLIENT_SECRET"
ENV_LOG_LEVEL = "DESKTOP_APP_LOG_LEVEL"


@dataclass(frozen=True)
class AppPaths:
    data_dir: Path
    config_dir: Path
    log_dir: Path

    @property
    def db_path(self) -> Path:
        return self.data_dir / "desktop-app.db"

    @property
    def sandbox_db_path(self) -> Path:
        return self.data_dir / "sandbox.db"

    @property
    def run_lock_path(self) -> Path:
        return self.data_dir / "sync-run.lock"

    @property
    def settings_path(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def secrets_file(self) -> Path:
        """Fallback secret store when no OS keyring works (mode 0600)."""
        return self.config_dir / "secrets.json"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "desktop-app.log"

    def ensure(self) -> AppPaths:
        """Create the folders 0700; folders and files made by an older version become private too."""
        for d in (self.data_dir, self.config_dir, self.log_dir):
            private_dir(d)
            key = str(d)
            if key in _SWEPT:
                continue
            _SWEPT.add(key)
            with contextlib.suppress(OSError):
                for entry in d.iterdir():
                    if entry.is_dir() and not entry.is_symlink():
                        chmod_private(entry, PRIVATE_DIR_MODE)
                    elif entry.is_file() and not entry.is_symlink():
                        chmod_private(entry, PRIVATE_FILE_MODE)
        return self


_SWEPT: set[str] = set()  # folders whose existing files were made private in this process


def app_paths(env: Mapping[str, str] | None = None) -> AppPaths:
    """The app's folders; ``DESKTOP_APP_HOME=DIR`` puts data, config and logs under DIR."""
    env = os.environ if env is None else env
    home = env.get(ENV_HOME)
    if home:
        root = Path(home).expanduser()
        return AppPaths(root / "data", root / "config", root / "logs")
    return AppPaths(
        Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)),
        Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)),
        Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR)),
    )
