"""Where the app keeps its files, which Zoho hosts it talks to, and how it logs.

One place for: platform folders (``platformdirs``; ``DESKTOP_APP_HOME`` moves all of them),
the Zoho data-center table, the base-URL overrides of SPEC R6 and rotating file logging.
No Qt here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import logging.handlers
import os
import re
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "desktop-app"
APP_AUTHOR = "desktop-app"
APP_DISPLAY_NAME = "Books → Campaigns Sync"

ENV_HOME = "DESKTOP_APP_HOME"
ENV_ACCOUNTS_URL = "DESKTOP_APP_ACCOUNTS_URL"
ENV_BOOKS_URL = "DESKTOP_APP_BOOKS_URL"
ENV_CAMPAIGNS_URL = "DESKTOP_APP_CAMPAIGNS_URL"
ENV_CLIENT_SECRET = "DESKTOP_APP_CLIENT_SECRET"
ENV_LOG_LEVEL = "DESKTOP_APP_LOG_LEVEL"

BOOKS_PATH = "/books/v3"
CAMPAIGNS_PATH = "/api/v1.1"


# --------------------------------------------------------------------------- folders

# The folders hold customers' names and emails, tokens and logs: only the user may read them.
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed; the folder itself ends up 0700."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    _chmod(path, PRIVATE_DIR_MODE)
    return path


def private_file(path: Path, *, create: bool = False) -> Path:
    """Make an existing file 0600 (``create=True``: create it empty, 0600, when missing)."""
    path = Path(path)
    if create and not path.exists():
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    _chmod(path, PRIVATE_FILE_MODE)
    return path


def private_sqlite(path: Path, *, create: bool = True) -> Path:
    """An SQLite file and its -wal/-shm/-journal companions, 0600 (SQLite gives new companions
    the main file's mode, so creating the main file 0600 first is enough for the future)."""
    private_file(path, create=create)
    for suffix in ("-wal", "-shm", "-journal"):
        private_file(Path(f"{path}{suffix}"))
    return path


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` atomically with ``text``; the file is 0600 from its first byte."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        _chmod(tmp, PRIVATE_FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _chmod(path: Path, mode: int) -> None:
    if os.name == "nt":  # pragma: no cover - Windows keeps per-user folders private by ACL
        return
    try:
        if stat.S_IMODE(path.stat().st_mode) != mode:
            os.chmod(path, mode)
    except FileNotFoundError:
        pass
    except OSError as exc:  # not ours (another user's file, a read-only mount): say so, go on
        logging.getLogger(__name__).warning("could not make %s private: %s", path, exc)


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
                        _chmod(entry, PRIVATE_DIR_MODE)
                    elif entry.is_file() and not entry.is_symlink():
                        _chmod(entry, PRIVATE_FILE_MODE)
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


USER_LOG = "desktop_app.user"  # warnings the user must see: the log and stderr (see setup_logging)
_WARNED: set[tuple[str, str]] = set()


def warn_user(message: str, *, once_key: str | None = None) -> None:
    """A warning for the user: written to the log and to stderr (the CLI shows it; once per key)."""
    if once_key is not None:
        key = (once_key, message)
        if key in _WARNED:
            return
        _WARNED.add(key)
    logger = logging.getLogger(USER_LOG)
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        logger.addHandler(_StderrHandler())
    logger.warning(message)


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


# --------------------------------------------------------------------------- data centers


@dataclass(frozen=True)
class DataCenter:
    code: str
    name: str
    accounts_url: str
    api_domain: str  # Books lives at {api_domain}/books/v3
    campaigns_url: str  # host only; the API is under /api/v1.1

    @property
    def books_base(self) -> str:
        return self.api_domain + BOOKS_PATH

    @property
    def campaigns_base(self) -> str:
        return self.campaigns_url + CAMPAIGNS_PATH


# reference/zoho-api-facts.md §1.1 and §3.1. UK's API domain and the CA/SA/UK Campaigns hosts are
# [INF] there: if one is wrong, this table is the only place to change (or override per R6).
DATA_CENTERS: dict[str, DataCenter] = {
    dc.code: dc
    for dc in (
        DataCenter("US", "United States", "https://accounts.zoho.com", "https://www.zohoapis.com",
                   "https://campaigns.zoho.com"),
        DataCenter("EU", "Europe", "https://accounts.zoho.eu", "https://www.zohoapis.eu",
                   "https://campaigns.zoho.eu"),
        DataCenter("IN", "India", "https://accounts.zoho.in", "https://www.zohoapis.in",
                   "https://campaigns.zoho.in"),
        DataCenter("AU", "Australia", "https://accounts.zoho.com.au", "https://www.zohoapis.com.au",
                   "https://campaigns.zoho.com.au"),
        DataCenter("JP", "Japan", "https://accounts.zoho.jp", "https://www.zohoapis.jp",
                   "https://campaigns.zoho.jp"),
        DataCenter("CA", "Canada", "https://accounts.zohocloud.ca", "https://www.zohoapis.ca",
                   "https://campaigns.zohocloud.ca"),
        DataCenter("SA", "Saudi Arabia", "https://accounts.zoho.sa", "https://www.zohoapis.sa",
                   "https://campaigns.zoho.sa"),
        DataCenter("UK", "United Kingdom", "https://accounts.zoho.uk", "https://www.zohoapis.uk",
                   "https://campaigns.zoho.uk"),
        DataCenter("CN", "China", "https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn",
                   "https://campaigns.zoho.com.cn"),
    )
}


def data_center(code: str) -> DataCenter:
    try:
        return DATA_CENTERS[code.upper()]
    except KeyError:
        raise ValueError(
            f"Unknown data center {code!r}; choose one of {', '.join(DATA_CENTERS)}"
        ) from None


def data_center_for_accounts_server(url: str) -> DataCenter | None:
    """The DC whose accounts server is ``url`` (the OAuth callback's ``accounts-server``)."""
    url = url.rstrip("/").lower()
    for dc in DATA_CENTERS.values():
        if dc.accounts_url == url:
            return dc
    return None


@dataclass(frozen=True)
class Endpoints:
    """The three base URLs a connection uses (R6)."""

    accounts: str
    books: str  # e.g. https://www.zohoapis.com/books/v3
    campaigns: str  # e.g. https://campaigns.zoho.com/api/v1.1

    @classmethod
    def for_server(cls, root: str) -> Endpoints:
        """All three services on one host, as the Sandbox serves them."""
        root = root.rstrip("/")
        return cls(root, root + BOOKS_PATH, root + CAMPAIGNS_PATH)


_URL = re.compile(r"^https?://[^\s/]+(/[^\s]*)?$")


def resolve_endpoints(dc_code: str, env: Mapping[str, str] | None = None,
                      settings: Mapping[str, object] | None = None) -> Endpoints:
    """Endpoints of a data center, with overrides: environment first, then the settings file."""
    env = os.environ if env is None else env
    settings = settings or {}
    dc = data_center(dc_code)
    chosen = {"accounts": dc.accounts_url, "books": dc.books_base, "campaigns": dc.campaigns_base}
    for key, var in (("accounts", ENV_ACCOUNTS_URL), ("books", ENV_BOOKS_URL),
                     ("campaigns", ENV_CAMPAIGNS_URL)):
        value = env.get(var) or settings.get(f"{key}_url")
        if value:
            value = str(value).rstrip("/")
            if not _URL.match(value):
                raise ValueError(f"{var} must be an http(s) URL, got {value!r}")
            chosen[key] = value
    return Endpoints(**chosen)


# --------------------------------------------------------------------------- logging

_LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(threadName)s] %(message)s"


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """The app's log file: created 0600, and a failing write (disk full, folder gone) never
    prints logging's traceback to the user; the error the app itself meets says what happened."""

    failed: OSError | None = None

    def _open(self):
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE_MODE)
        _chmod(Path(self.baseFilename), PRIVATE_FILE_MODE)
        return open(fd, self.mode, encoding=self.encoding, errors=self.errors)

    def doRollover(self) -> None:
        super().doRollover()
        for n in range(1, self.backupCount + 1):
            _chmod(Path(f"{self.baseFilename}.{n}"), PRIVATE_FILE_MODE)

    def handleError(self, record: logging.LogRecord) -> None:
        exc = sys.exc_info()[1]
        self.failed = exc if isinstance(exc, OSError) else self.failed
        # Drop the broken stream so the next record tries to reopen (the disk may have room again).
        stream, self.stream = self.stream, None
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.close()


class _StderrHandler(logging.StreamHandler):
    """User warnings on the current ``sys.stderr`` (looked up per record); never a traceback."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(logging.Formatter("desktop-app: warning: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        pass


def setup_logging(paths: AppPaths, level: str | int | None = None, *, console: bool = False) -> Path:
    """Rotating file log in the platform log folder (5 × 1 MB). Safe to call twice."""
    paths.ensure()
    level = level or os.environ.get(ENV_LOG_LEVEL, "INFO")
    root = logging.getLogger()
    root.setLevel(level)
    target = str(paths.log_file)
    have = [h for h in root.handlers if getattr(h, "baseFilename", None) == target]
    if not have:
        handler = PrivateRotatingFileHandler(
            paths.log_file, maxBytes=1_000_000, backupCount=5, encoding="utf-8", delay=True
        )
        handler.setFormatter(logging.Formatter(_LOG_FORMAT))
        root.addHandler(handler)
    if console and not any(isinstance(h, logging.StreamHandler) and not hasattr(h, "baseFilename")
                           for h in root.handlers):
        stream = logging.StreamHandler()
        stream.setLevel(logging.WARNING)
        stream.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        root.addHandler(stream)
    # requests/urllib3 log full URLs at DEBUG, which may carry query-string tokens: keep them quiet.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    user = logging.getLogger(USER_LOG)
    if not any(isinstance(h, _StderrHandler) for h in user.handlers):
        user.addHandler(_StderrHandler())
    return paths.log_file


# --------------------------------------------------------------------------- OAuth client facts

# Loopback redirect receiver: fixed ports registered with the OAuth client, tried in order
# (reference §1.2 [INF]: Zoho needs an exact redirect URI match, so no random port).
REDIRECT_PORTS: tuple[int, ...] = (53682, 53683, 53684)
REDIRECT_PATH = "/callback"


def redirect_uri(port: int) -> str:
    return f"http://127.0.0.1:{port}{REDIRECT_PATH}"


# The Sandbox's one registered client; real Zoho uses the user's own client id (and secret from
# DESKTOP_APP_CLIENT_SECRET or a prompt, kept in the keyring).
SANDBOX_CLIENT_ID = "1000.SANDBOXCLIENT"
SANDBOX_CLIENT_SECRET = "sandbox-secret"


# --------------------------------------------------------------------------- time zone


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
