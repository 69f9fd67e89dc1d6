"""Work around a reference-count bug in PySide6 6.12 on Python 3.11: ``SignalInstance.emit()`` and
``SignalInstance.disconnect()`` return ``True``/``False`` without taking a reference.

Each call therefore steals one reference to the bool. On Python ≤ 3.11 bools are ordinary
refcounted objects, so after enough emits (progress signals, busy flags, every button relay) the
count reaches zero and the interpreter aborts with ``Fatal Python error: bool_dealloc`` — at exit
in the tests, or in the middle of a long run in the app. Python 3.12+ makes bools immortal, so
there it is harmless.

``pyproject.toml`` excludes the leaking release (``PySide6!=6.12.0``; 6.8.3–6.11.3 are clean), so
this guard matters only where someone installed it anyway. ``install()`` is keyed on the versions
(PySide6 6.12.0 on Python ≤ 3.11), never on a refcount probe: a probe misfires when another thread
runs during import. ``refs_lost_per_emit`` stays as the tests' canary.
"""

from __future__ import annotations

import ctypes
import functools
import sys

import PySide6
from PySide6.QtCore import QObject, Signal, SignalInstance

LEAKING_RELEASES = frozenset({"6.12.0"})

_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None
PROBES = 16
_installed = False


class _Probe(QObject):
    ping = Signal()


def _give_back(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        result = method(self, *args, **kwargs)
        if result is True or result is False:
            _incref(result)  # the reference PySide6 returned without owning it
        return result

    return wrapper


def affected(pyside_version: str | None = None, python: tuple[int, int] | None = None) -> bool:
    """Whether this PySide6 release on this Python loses references to True/False."""
    version = pyside_version or PySide6.__version__
    return version in LEAKING_RELEASES and (python or sys.version_info[:2]) < (3, 12)


def install() -> list[str]:
    """Patch the leaking methods (once) on an affected build; returns the names patched."""
    global _installed
    if _installed or not affected():
        return []
    _installed = True
    SignalInstance.emit = _give_back(SignalInstance.emit)
    SignalInstance.disconnect = _give_back(SignalInstance.disconnect)
    return ["emit", "disconnect"]


def refs_lost_per_emit() -> int:
    """How many ``True`` references one emit loses right now (0 once installed on a buggy build)."""
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(PROBES):
        probe.ping.emit()
    return (before - sys.getrefcount(True)) // PROBES
