"""What differs per operating system, in one place: file locks, whether a process lives, whether a
window can open. Everything else of the app is the same code on Linux, macOS and Windows.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

WINDOWS = os.name == "nt"


# ---------------------------------------------------------------------- file locks (store/lock.py)

if WINDOWS:  # pragma: no cover - exercised on Windows only
    import msvcrt

    # Windows locks are mandatory byte ranges: lock one byte well past the pid text, so other
    # processes can still read who holds the lock.
    _LOCK_OFFSET = 4096

    def try_lock(fd: int) -> bool:
        """Take the exclusive lock of this open file without waiting; False when another holds it."""
        os.lseek(fd, _LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
        finally:
            os.lseek(fd, 0, os.SEEK_SET)

    def unlock(fd: int) -> None:
        os.lseek(fd, _LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def try_lock(fd: int) -> bool:
        """Take the exclusive lock of this open file without waiting; False when another holds it."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False

    def unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


# ---------------------------------------------------------------------- processes

# Windows: OpenProcess access right, GetExitCodeProcess's "still running", "access denied".
_QUERY_LIMITED_INFORMATION = 0x1000
_STILL_ACTIVE = 259
_ACCESS_DENIED = 5


def process_alive(pid: int, *, windows: bool = WINDOWS, kernel32=None) -> bool:
    """Whether a process with this id runs now. On Windows ``os.kill(pid, 0)`` would send it
    Ctrl-C (signal 0 is CTRL_C_EVENT there), so the process is asked about through kernel32."""
    if pid <= 0:
        return False
    if windows:
        return _windows_alive(pid, kernel32)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: it exists
    except OSError:
        return False
    return True


def _windows_alive(pid: int, kernel32=None) -> bool:
    import ctypes

    if kernel32 is None:  # pragma: no cover - Windows only
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        last_error = ctypes.get_last_error
    else:  # the tests' stand-in
        last_error = kernel32.GetLastError
    handle = kernel32.OpenProcess(_QUERY_LIMITED_INFORMATION, False, pid)
    if not handle:
        return last_error() == _ACCESS_DENIED  # denied: it exists (another user's)
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True  # it exists; its state could not be read
        return code.value == _STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


# ---------------------------------------------------------------------- the display

def no_display(env: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """On Linux and the BSDs, a window needs X11 or Wayland (or a platform chosen explicitly, e.g.
    QT_QPA_PLATFORM=offscreen); without one Qt aborts (exit 134) and says why only in the log.
    Windows and macOS always have their own."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if platform.startswith(("win", "darwin", "cygwin")):
        return False
    return not (env.get("QT_QPA_PLATFORM") or env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))
