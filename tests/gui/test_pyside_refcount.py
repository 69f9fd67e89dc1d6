"""The PySide6 6.12 workaround: signal emits and disconnects no longer eat references to True
(which aborted the interpreter with "bool_dealloc" after a few hundred emits)."""

from __future__ import annotations

import subprocess
import sys
import warnings

from PySide6.QtCore import QObject, Signal

from desktop_app.gui.pyside_refcount import refs_lost_per_emit

MANY_EMITS = """
import os
os.environ["QT_QPA_PLATFORM"] = "offscreen"
import desktop_app.gui  # installs the workaround
from PySide6.QtCore import QObject, Signal

class Source(QObject):
    changed = Signal(bool)

got = []
source = Source()
source.changed.connect(got.append)
for i in range(5000):
    source.changed.emit(i % 2 == 0)
for _ in range(2000):
    source.changed.connect(print)
    source.changed.disconnect(print)
assert len(got) == 5000 and got[:2] == [True, False]
"""


class Source(QObject):
    changed = Signal(bool)


def test_emitting_keeps_every_reference():
    assert refs_lost_per_emit() == 0


def test_emit_and_disconnect_still_behave():
    source, got = Source(), []
    source.changed.connect(got.append)
    assert source.changed.emit(False) is True
    assert got == [False]
    assert source.changed.disconnect(got.append) is True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # PySide6 warns about the failed disconnect
        assert source.changed.disconnect(got.append) is False
    source.changed.emit(True)
    assert got == [False]


def test_thousands_of_emits_exit_cleanly():
    # Without the workaround this process aborts at exit (rc -6, "bool_dealloc").
    proc = subprocess.run([sys.executable, "-c", MANY_EMITS], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_the_guard_is_keyed_on_the_leaking_release_only():
    from desktop_app.gui.pyside_refcount import affected

    assert affected("6.12.0", (3, 11))
    assert not affected("6.12.0", (3, 12))  # immortal bools
    assert not affected("6.11.3", (3, 11)) and not affected("6.12.1", (3, 11))
