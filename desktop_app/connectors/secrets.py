"""Where refresh tokens and client secrets live (SPEC R5): the OS keyring, else a 0600 file.

keyring calls run in a helper thread with a timeout (a locked keyring once hung for 40 s).
When no usable backend exists (headless Linux without Secret Service: the ``fail`` backend,
``NoKeyringError``, ``InitError``, a timeout) the store uses ``paths.secrets_file``, created
with mode 0600, and logs ONE warning per process. Once a secret went to the file, reads look
there too, so the store never silently loses a secret by switching backends.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import threading
from collections.abc import Callable
from typing import TypeVar

import keyring
import keyring.backend

from desktop_app.config import AppPaths, warn_user
from desktop_app.domain.errors import AppError

log = logging.getLogger(__name__)

KEYRING_TIMEOUT = 10.0
FILE_BACKEND = "file"
_UNUSABLE_BACKENDS = ("keyring.backends.fail", "keyring.backends.null")

_warned = False
_warn_lock = threading.Lock()

T = TypeVar("T")


class SecretStoreError(AppError):
    """The secret could not be stored or read (message safe to show; never holds the secret)."""

    title = "The saved Zoho sign-in cannot be used"


class _KeyringUnusable(Exception):
    pass


def _warn_once(reason: str, path) -> None:
    """Said once per process, in the log and on stderr (the window shows ``SecretStore.backend_name``)."""
    global _warned
    with _warn_lock:
        if _warned:
            return
        _warned = True
    warn_user(f"No usable system keyring ({reason}): your Zoho sign-in is kept in {path}, a file only "
              "you can read. Install and unlock a keyring (GNOME Keyring, KWallet) to keep it there instead.")


def _bounded(fn: Callable[[], T], timeout: float) -> T:
    """Run a keyring call in a daemon thread; a hang becomes _KeyringUnusable."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # any backend failure means "unusable"
            box["error"] = exc

    t = threading.Thread(target=run, name="keyring-call", daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise _KeyringUnusable(f"the keyring did not answer within {timeout:.0f} s")
    if "error" in box:
        exc = box["error"]
        raise _KeyringUnusable(type(exc).__name__)
    return box.get("value")  # type: ignore[return-value]


class SecretStore:
    """``set/get/delete`` secrets by name for one app ``service``."""

    def __init__(self, paths: AppPaths, service: str = "desktop-app", *,
                 backend: keyring.backend.KeyringBackend | None = None,
                 timeout: float = KEYRING_TIMEOUT) -> None:
        self.paths = paths
        self.service = service
        self.timeout = timeout
        self._backend = backend
        self._lock = threading.RLock()
        self.backend_name: str | None = None

    # ------------------------------------------------------------------ backend choice

    def _keyring(self) -> keyring.backend.KeyringBackend | None:
        """The keyring backend while it is usable, else None (and the file from now on)."""
        if self.backend_name == FILE_BACKEND:
            return None
        backend = self._backend or keyring.get_keyring()
        module = type(backend).__module__
        if module.startswith(_UNUSABLE_BACKENDS):
            self._use_file(f"backend {type(backend).__name__}")
            return None
        self.backend_name = f"{module}.{type(backend).__name__}"
        return backend

    def _use_file(self, reason: str) -> None:
        if self.backend_name != FILE_BACKEND:
            self.backend_name = FILE_BACKEND
            _warn_once(reason, self._path)

    # ------------------------------------------------------------------ API

    def set(self, name: str, value: str) -> None:
        if not isinstance(value, str) or not value:
            raise SecretStoreError(f"Refusing to store an empty secret for {name!r}.")
        with self._lock:
            backend = self._keyring()
            if backend is not None:
                try:
                    _bounded(lambda: backend.set_password(self.service, name, value), self.timeout)
                    # A stale copy in the file must not shadow the keyring's.
                    self._file_delete(name)
                    return
                except _KeyringUnusable as exc:
                    self._use_file(str(exc))
            self._file_set(name, value)

    def get(self, name: str) -> str | None:
        with self._lock:
            backend = self._keyring()
            if backend is not None:
                try:
                    value = _bounded(lambda: backend.get_password(self.service, name), self.timeout)
                    if value:
                        return value
                except _KeyringUnusable as exc:
                    self._use_file(str(exc))
            return self._file_get(name)

    def delete(self, name: str) -> None:
        with self._lock:
            backend = self._keyring()
            if backend is not None:
                # PasswordDeleteError (not there) is fine: deleting is idempotent.
                with contextlib.suppress(_KeyringUnusable):
                    _bounded(lambda: backend.delete_password(self.service, name), self.timeout)
            self._file_delete(name)

    # ------------------------------------------------------------------ the 0600 file

    @property
    def _path(self):
        return self.paths.secrets_file

    def _key(self, name: str) -> str:
        return f"{self.service}/{name}"

    def _file_read(self) -> dict[str, str]:
        path = self._path
        try:
            st = path.stat()
        except FileNotFoundError:
            return {}
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            # Someone widened the permissions: take them back before reading.
            log.warning("The secrets file was readable by other users; its permissions were reset to 0600.")
            os.chmod(path, 0o600)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise SecretStoreError("The app's secrets file is unreadable; reconnect the account to "
                                   "store the secrets again.") from None
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _file_write(self, data: dict[str, str]) -> None:
        path = self._path
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def _file_get(self, name: str) -> str | None:
        return self._file_read().get(self._key(name))

    def _file_set(self, name: str, value: str) -> None:
        data = self._file_read()
        data[self._key(name)] = value
        self._file_write(data)

    def _file_delete(self, name: str) -> None:
        if not self._path.exists():
            return
        data = self._file_read()
        if data.pop(self._key(name), None) is not None:
            self._file_write(data)
