"""Issue 10 items 7 and 8: private files, a loopback receiver nobody can abort, a Sandbox admin API
behind a token, and one clear sentence for a full disk, a damaged, read-only or malformed file.

A full disk is simulated by raising OSError(ENOSPC) in the log handler's stream and an SQLite
"database or disk is full" at the commit (no tmpfs: tests may run without root). When the tests
run as root, chmod 0444 does not stop writes, so the read-only test then also tells the database
its file is not writable (the open itself is still SQLite's real read-only mode).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import sqlite3
import stat
import threading
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from desktop_app import config
from desktop_app.connectors.errors import AuthError
from desktop_app.connectors.limiter import Limiter, restore_usage
from desktop_app.connectors.sandbox_admin import SandboxAdmin, SandboxAdminError, forget_token
from desktop_app.connectors.signin import LoopbackReceiver
from desktop_app.sandbox.server import runfile_path
from desktop_app.store import db as store_db
from tests.integration.sync_helpers import connect_and_create, run_cli


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# ---------------------------------------------------------------------- privacy


def test_folders_0700_and_files_0600_after_connect_and_a_run(app_home, capsys):
    paths = config.app_paths()
    # Left by an older version: open folders and files are made private on start.
    for d in (paths.data_dir, paths.config_dir, paths.log_dir):
        d.mkdir(parents=True, mode=0o755)
        os.chmod(d, 0o755)
    paths.settings_path.write_text("{}", encoding="utf-8")
    os.chmod(paths.settings_path, 0o644)
    old_log = paths.log_dir / "desktop-app.log.1"
    old_log.write_text("old\n", encoding="utf-8")
    os.chmod(old_log, 0o644)

    from desktop_app.sandbox import SandboxServer

    srv = SandboxServer(paths.sandbox_db_path, customers=120, seed=42, limits="off").start()
    try:
        connect_and_create(capsys)  # connect sandbox + sync create + its first run
        assert mode(runfile_path(paths.sandbox_db_path)) == 0o600
        info = json.loads(runfile_path(paths.sandbox_db_path).read_text(encoding="utf-8"))
        assert info["admin_token"] == srv.admin_token
        for companion in ("-wal", "-shm"):
            live = paths.data_dir / f"desktop-app.db{companion}"
            if live.exists():
                assert mode(live) == 0o600, live
    finally:
        srv.stop()
    for d in (paths.data_dir, paths.config_dir, paths.log_dir):
        assert mode(d) == 0o700, d
    files = [paths.db_path, paths.log_file, old_log, paths.settings_path, paths.sandbox_db_path]
    for f in files:
        assert f.exists() and mode(f) == 0o600, f
    for f in [*paths.data_dir.iterdir(), *paths.config_dir.iterdir(), *paths.log_dir.iterdir()]:
        assert mode(f) == 0o600, f


# ---------------------------------------------------------------------- loopback receiver


def test_a_wrong_state_gets_an_error_page_and_the_receiver_keeps_waiting():
    receiver = LoopbackReceiver("the-right-state", ports=(0,))
    answers: list[tuple[int, str]] = []

    def intruder_then_browser():
        for params in ({"code": "evil", "state": "wrong"}, {"code": "evil"}, {"error": "access_denied"}):
            r = requests.get(receiver.redirect_uri, params=params, timeout=5)
            answers.append((r.status_code, r.text))
        requests.get(receiver.redirect_uri, params={"code": "good", "state": "the-right-state"}, timeout=5)

    t = threading.Thread(target=intruder_then_browser)
    t.start()
    callback = receiver.wait(timeout=10)
    t.join()
    assert callback.code == "good"
    assert [s for s, _ in answers] == [400, 400, 400]
    assert all("does not belong to the sign-in" in text for _, text in answers)


def test_only_wrong_states_end_in_the_timeout():
    receiver = LoopbackReceiver("s", ports=(0,))
    t = threading.Thread(target=lambda: requests.get(receiver.redirect_uri, params={"code": "x", "state": "no"},
                                                     timeout=5))
    t.start()
    with pytest.raises(AuthError, match="in time"):
        receiver.wait(timeout=1.5)
    t.join()


# ---------------------------------------------------------------------- Sandbox admin token


def test_the_admin_api_needs_the_token_the_zoho_paths_do_not(sandbox):
    url = f"{sandbox.url}/_sandbox/stats"
    for headers in ({}, {"X-Sandbox-Admin": "wrong"}):
        r = requests.get(url, headers=headers, timeout=10)
        assert r.status_code == 401 and "token" in r.json()["error"]
    assert requests.get(url, headers={"X-Sandbox-Admin": sandbox.admin_token}, timeout=10).status_code == 200
    assert SandboxAdmin(sandbox.url).health()["ok"]  # this process started it: the registry knows it
    with pytest.raises(SandboxAdminError, match="401"):
        SandboxAdmin(sandbox.url, token="wrong").health()
    # A Zoho path answers its own (OAuth) error, never the admin 401.
    r = requests.get(f"{sandbox.url}/books/v3/organizations", timeout=10)
    assert "X-Sandbox-Admin" not in r.text
    run_file = runfile_path(sandbox.db_path)
    assert mode(run_file) == 0o600
    forget_token(sandbox.url)  # like another process of the user's: only the run file knows it
    assert SandboxAdmin(sandbox.url, run_file=run_file).health()["ok"]
    with pytest.raises(SandboxAdminError, match="401"):
        SandboxAdmin(sandbox.url).health()


def test_each_start_has_its_own_token(sandbox_factory):
    a, b = sandbox_factory(), sandbox_factory()
    assert a.admin_token != b.admin_token and len(a.admin_token) >= 32
    assert requests.get(f"{a.url}/_sandbox/health", headers={"X-Sandbox-Admin": b.admin_token},
                        timeout=10).status_code == 401


# ---------------------------------------------------------------------- disk full


def test_a_full_disk_in_the_log_prints_no_traceback(app_home, capsys):
    paths = config.app_paths()
    config.setup_logging(paths)
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "baseFilename", "") == str(paths.log_file))
    try:
        logging.getLogger("test").warning("first line")

        class Full:
            def write(self, _text):
                raise OSError(errno.ENOSPC, "No space left on device")

            def flush(self):
                pass

            def tell(self):
                return 0

            def seek(self, *_args):
                return 0

            def close(self):
                pass

        handler.stream.close()  # the real file, replaced by a full disk
        handler.stream = Full()
        logging.getLogger("test").error("this cannot be written")
        assert isinstance(handler.failed, OSError) and handler.failed.errno == errno.ENOSPC
        err = capsys.readouterr().err
        assert "Traceback" not in err and "Logging error" not in err
        logging.getLogger("test").warning("room again")  # reopens the file
        assert "room again" in paths.log_file.read_text(encoding="utf-8")
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


def test_a_full_disk_at_the_commit_is_one_sentence(app_sandbox, capsys, monkeypatch):
    assert run_cli("connect", "sandbox") == 0
    capsys.readouterr()

    def full(self):
        raise sa_exc.OperationalError("COMMIT", {}, sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr(Session, "commit", full)
    assert run_cli("status") == 1
    err = capsys.readouterr().err
    assert "is full" in err and "free some space" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


# ---------------------------------------------------------------------- damaged database


def test_a_damaged_database_names_the_backup_and_how_to_restore(app_home, capsys):
    paths = config.app_paths().ensure()
    store_db.Database.open(paths.db_path).close()
    backup = paths.data_dir / "desktop-app.db.bak-0003"
    backup.write_bytes(paths.db_path.read_bytes())
    data = bytearray(paths.db_path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # wreck the schema page, keep the header
    paths.db_path.write_bytes(bytes(data))
    assert run_cli("status") == 1
    err = capsys.readouterr().err
    assert "damaged" in err and str(backup) in err and "copy the backup" in err
    assert "Something unexpected" not in err and "Traceback" not in err


def test_garbage_bytes_say_damaged_and_that_there_is_no_backup(app_home, capsys):
    paths = config.app_paths().ensure()
    paths.db_path.write_bytes(os.urandom(8192))
    assert run_cli("history") == 1
    err = capsys.readouterr().err
    assert "damaged" in err and "no backup copy" in err and "Traceback" not in err


# ---------------------------------------------------------------------- read-only database


def test_a_read_only_database_still_shows_status_and_history(app_sandbox, capsys, monkeypatch):
    connect_and_create(capsys)
    paths = config.app_paths()
    os.chmod(paths.db_path, 0o444)
    if os.geteuid() == 0:  # root writes through 0444: tell the check what a user would meet
        monkeypatch.setattr(store_db, "_is_read_only", lambda path: path == paths.db_path)
    try:
        assert run_cli("status", "--json") == 0
        captured = capsys.readouterr()
        assert json.loads(captured.out)["sync"]["list_name"] == "Books customers"
        assert "read-only" in captured.err and str(paths.db_path) in captured.err
        assert run_cli("history", "--json") == 0
        assert len(json.loads(capsys.readouterr().out)) == 1
        db = store_db.Database.open(paths.db_path)
        try:
            assert db.read_only
            with pytest.raises(store_db.ReadOnlyDatabase, match="read-only"), db.session() as s:
                from desktop_app.store import models

                s.add(models.Notification(level="info", title="t", body="b", created_at=datetime.now(UTC)))
        finally:
            db.close()
    finally:
        os.chmod(paths.db_path, 0o600)


# ---------------------------------------------------------------------- malformed files


def test_a_malformed_settings_file_is_a_warning_naming_it(app_home, capsys):
    paths = config.app_paths().ensure()
    paths.settings_path.write_bytes(b"\x00\xffnot json{")
    config._WARNED.clear()
    assert config.load_settings(paths) == {}
    err = capsys.readouterr().err
    assert str(paths.settings_path) in err and "warning" in err
    assert paths.settings_path.read_bytes() == b"\x00\xffnot json{"  # left for the user to fix


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.wall0 = datetime(2025, 1, 1, tzinfo=UTC)

    def __call__(self) -> float:
        return self.t

    def wall(self) -> datetime:
        return self.wall0 + timedelta(seconds=self.t - 1000.0)


def test_a_malformed_usage_file_means_unknown_usage_and_is_never_overwritten_blind(tmp_path, capsys):
    path = tmp_path / "api-usage.json"
    path.write_bytes(b'{"scale": 1.0, "calls": {"campaigns.listsubscribe": ')  # truncated mid-write
    clock = Clock()
    os.utime(path, (clock.wall().timestamp(), clock.wall().timestamp()))
    limiter = Limiter(clock=clock, wall=clock.wall, sleep=lambda s: None)
    config._WARNED.clear()
    assert restore_usage(limiter, path) is False
    err = capsys.readouterr().err
    assert str(path) in err and "unknown" in err
    damaged = tmp_path / "api-usage.json.damaged"
    assert damaged.read_bytes().startswith(b'{"scale"') and not path.exists()
    # Unknown usage: the minute window is waited out once, then calls go through.
    wait = limiter.try_acquire("campaigns.listsubscribe")
    assert 0 < wait <= 3600
    clock.t += 3601
    assert limiter.try_acquire("campaigns.listsubscribe") == 0
    assert damaged.exists() and mode(damaged) == 0o600


def test_a_malformed_usage_file_warns_in_the_cli(app_sandbox, capsys):
    connect_and_create(capsys, run=False)
    usage = config.app_paths().data_dir / "api-usage.json"
    usage.write_text("[garbage", encoding="utf-8")
    config._WARNED.clear()
    assert run_cli("sync", "run") == 0
    err = capsys.readouterr().err
    assert f"The API usage file {usage}" in err
    assert (usage.parent / "api-usage.json.damaged").read_text(encoding="utf-8") == "[garbage"
