"""Started where no window can open: one sentence on stderr, not a silent abort (exit 134)."""

from __future__ import annotations

import os
import subprocess
import sys

from desktop_app.cli.exits import EXIT_REFUSED

HIDDEN = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")


def _env(tmp_path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in HIDDEN}
    return {**env, "DESKTOP_APP_HOME": str(tmp_path / "home"), **extra}


def test_no_display_is_said_in_one_sentence_with_the_headless_commands(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "desktop_app"], env=_env(tmp_path), capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == EXIT_REFUSED, proc.stderr
    assert "no display to open the window on" in proc.stderr and "desktop-app sync run" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_display_that_cannot_be_reached_is_said_on_stderr_too(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "desktop_app"], env=_env(tmp_path, DISPLAY=":97"),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "desktop-app: Qt: " in proc.stderr and "platform plugin" in proc.stderr, proc.stderr
