"""Work around a reference-count bug in PySide6 6.12 on Python 3.11: ``SignalInstance.emit()`` and
``SignalInstance.disconnect()`` return ``True``/``False`` without taking a reference.

Each call therefore steals one reference to the bool. On Python ≤ 3.11 bools are ordinary
refcounted objects, so after enough emits (progress signals, busy flags, every button relay) the
count reaches zero and the interpreter aborts with ``Fatal Python error: bool_dealloc`` — at exit
in the tests, or in the middle of a long run in the app. Python 3.12+ makes bools immortal, so
there it is harmless.

``install()`` measures whether this PySide6 build has the bug and, only then, wraps the two
methods so the missing reference is added back. A fixed PySide6 (or an immortal-bool Python)
measures no loss and nothing is patched.
"""

from __future__ import annotations

import ctypes
import functools
import sys

from PySide6.QtCore import QObject, Signal, SignalInstance

_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None
PROBES = 16
_installed = False


class _Probe(QObject):
    ping = Signal()


def _noop() -> None:
    pass


def _loses_true_refs(call) -> bool:
    """True if every ``call()`` (which returns ``True``) costs ``True`` one reference."""
    before = sys.getrefcount(True)
    for _ in range(PROBES):
        call()
    return sys.getrefcount(True) == before - PROBES


def _give_back(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        result = method(self, *args, **kwargs)
        if result is True or result is False:
            _incref(result)  # the reference PySide6 returned without owning it
        return result

    return wrapper


def install() -> list[str]:
    """Patch the leaking methods (once); returns the names patched, for the log and tests."""
    global _installed
    if _installed:
        return []
    _installed = True
    probe = _Probe()
    patched: list[str] = []
    if _loses_true_refs(probe.ping.emit):
        SignalInstance.emit = _give_back(SignalInstance.emit)
        patched.append("emit")

    def connect_then_disconnect() -> bool:
        probe.ping.connect(_noop)
        return probe.ping.disconnect(_noop)

    if _loses_true_refs(connect_then_disconnect):
        SignalInstance.disconnect = _give_back(SignalInstance.disconnect)
        patched.append("disconnect")
    return patched


def refs_lost_per_emit() -> int:
    """How many ``True`` references one emit loses right now (0 once installed on a buggy build)."""
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(PROBES):
        probe.ping.emit()
    return (before - sys.getrefcount(True)) // PROBES
