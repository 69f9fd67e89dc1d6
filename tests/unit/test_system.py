"""What differs per OS (config/system.py): a process check that never signals, the display check."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from desktop_app.config import system

pytestmark = pytest.mark.unit


def test_a_process_is_alive_while_it_runs_and_not_after():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert system.process_alive(child.pid) and system.process_alive(os.getpid())
    finally:
        child.kill()
        child.wait()
    assert not system.process_alive(child.pid) and not system.process_alive(0) and not system.process_alive(-1)


class Kernel32:
    """A stand-in for Windows' kernel32: no signal is ever sent, the process is only asked about."""

    def __init__(self, *, exists: bool = True, exit_code: int = 259, error: int = 87) -> None:
        self.exists, self.exit_code, self.error = exists, exit_code, error
        self.closed: list[int] = []

    def OpenProcess(self, access, inherit, pid):
        assert access == 0x1000 and inherit is False
        return 7 if self.exists else 0

    def GetLastError(self):
        return self.error

    def GetExitCodeProcess(self, handle, out):
        out._obj.value = self.exit_code
        return 1

    def CloseHandle(self, handle):
        self.closed.append(handle)


def test_on_windows_the_process_is_asked_through_kernel32_not_signalled():
    running = Kernel32()
    assert system.process_alive(1234, windows=True, kernel32=running) and running.closed == [7]
    assert not system.process_alive(1234, windows=True, kernel32=Kernel32(exit_code=0))  # it has exited
    assert not system.process_alive(1234, windows=True, kernel32=Kernel32(exists=False))  # no such process
    assert system.process_alive(1234, windows=True, kernel32=Kernel32(exists=False, error=5))  # another user's


def test_what_counts_as_no_display():
    assert system.no_display({}, "linux") and system.no_display({"DISPLAY": ""}, "freebsd14")
    assert not system.no_display({"DISPLAY": ":0"}, "linux")
    assert not system.no_display({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert not system.no_display({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not system.no_display({}, "win32") and not system.no_display({}, "darwin")
