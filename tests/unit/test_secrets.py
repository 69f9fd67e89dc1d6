"""SecretStore: keyring when it works, else a 0600 file with one warning; PKCE helpers."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import stat
import threading

import keyring.backend
import keyring.backends.fail
import keyring.backends.null
import pytest
from keyring.errors import InitError, NoKeyringError, PasswordDeleteError

from desktop_app import config
from desktop_app.connectors import secrets as secrets_mod
from desktop_app.connectors.auth import code_challenge, new_code_verifier, new_state
from desktop_app.connectors.secrets import FILE_BACKEND, SecretStore


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.data.get((service, username))

    def set_password(self, service, username, password):
        self.data[(service, username)] = password

    def delete_password(self, service, username):
        if self.data.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


class LockedKeyring(MemoryKeyring):
    def set_password(self, service, username, password):
        raise InitError("Prompt dismissed")

    def get_password(self, service, username):
        raise InitError("Prompt dismissed")


class HangingKeyring(MemoryKeyring):
    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def set_password(self, service, username, password):
        self.release.wait(5)


@pytest.fixture
def paths():
    return config.app_paths().ensure()


@pytest.fixture(autouse=True)
def fresh_warning(monkeypatch):
    monkeypatch.setattr(secrets_mod, "_warned", False)


def test_keyring_backend_used_when_it_works(paths):
    ring = MemoryKeyring()
    store = SecretStore(paths, backend=ring)
    store.set("refresh_token", "1000.abc")
    assert ring.data[("desktop-app", "refresh_token")] == "1000.abc"
    assert store.get("refresh_token") == "1000.abc"
    assert store.backend_name.endswith("MemoryKeyring")
    assert not paths.secrets_file.exists()
    store.delete("refresh_token")
    assert store.get("refresh_token") is None
    store.delete("refresh_token")  # deleting twice is fine


@pytest.mark.parametrize("backend", [keyring.backends.fail.Keyring(), keyring.backends.null.Keyring(),
                                     LockedKeyring()])
def test_unusable_backend_falls_back_to_0600_file_with_one_warning(paths, backend, caplog, capsys):
    caplog.set_level(logging.WARNING)
    store = SecretStore(paths, backend=backend)
    store.set("refresh_token", "1000.secret-value")
    store.set("client_secret", "cs-value")
    assert store.backend_name == FILE_BACKEND
    mode = stat.S_IMODE(os.stat(paths.secrets_file).st_mode)
    assert mode == 0o600
    assert store.get("refresh_token") == "1000.secret-value"
    # A second store in the same process does not warn again.
    SecretStore(paths, backend=backend).set("x", "y")
    warnings = [r for r in caplog.records if "keyring" in r.getMessage().lower()]
    assert len(warnings) == 1
    told = capsys.readouterr().err  # the user is told where the sign-in lives, once
    assert told.count("No usable system keyring") == 1 and str(paths.secrets_file) in told
    assert "secret-value" not in caplog.text and "cs-value" not in caplog.text
    store.delete("refresh_token")
    assert store.get("refresh_token") is None
    assert store.get("client_secret") == "cs-value"


def test_no_keyring_error_from_default_backend_falls_back(paths, monkeypatch):
    class Raising(MemoryKeyring):
        def set_password(self, *a):
            raise NoKeyringError("no backend")

    store = SecretStore(paths, backend=Raising())
    store.set("t", "v")
    assert store.backend_name == FILE_BACKEND and store.get("t") == "v"


def test_hanging_keyring_times_out_to_file(paths):
    ring = HangingKeyring()
    store = SecretStore(paths, backend=ring, timeout=0.2)
    try:
        store.set("t", "v")
        assert store.backend_name == FILE_BACKEND
        assert store.get("t") == "v"
    finally:
        ring.release.set()


def test_world_readable_file_is_repaired_on_read(paths):
    store = SecretStore(paths, backend=keyring.backends.fail.Keyring())
    store.set("t", "v")
    os.chmod(paths.secrets_file, 0o644)
    assert store.get("t") == "v"
    assert stat.S_IMODE(os.stat(paths.secrets_file).st_mode) == 0o600


def test_secret_in_file_still_found_when_keyring_works_later(paths):
    SecretStore(paths, backend=keyring.backends.fail.Keyring()).set("t", "from-file")
    store = SecretStore(paths, backend=MemoryKeyring())
    assert store.get("t") == "from-file"  # never silently lost
    store.set("t", "new")
    assert store.get("t") == "new"
    assert "from-file" not in paths.secrets_file.read_text()


def test_corrupt_file_is_a_clear_error(paths):
    store = SecretStore(paths, backend=keyring.backends.fail.Keyring())
    paths.secrets_file.write_text("{broken")
    os.chmod(paths.secrets_file, 0o600)
    with pytest.raises(secrets_mod.SecretStoreError, match="reconnect"):
        store.get("t")


def test_empty_secret_refused(paths):
    with pytest.raises(secrets_mod.SecretStoreError):
        SecretStore(paths, backend=MemoryKeyring()).set("t", "")


def test_pkce_s256_matches_rfc7636():
    # RFC 7636 appendix B example.
    assert code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == \
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    v = new_code_verifier()
    assert 43 <= len(v) <= 128
    expected = base64.urlsafe_b64encode(hashlib.sha256(v.encode()).digest()).rstrip(b"=").decode()
    assert code_challenge(v) == expected
    assert new_state() != new_state()
