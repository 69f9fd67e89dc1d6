"""The window (PySide6): a thin client of ``desktop_app.app.AppService``.

All blocking work goes through ``jobs.JobRunner`` (qasync's executor), never the GUI thread.
"""

from desktop_app.gui.pyside_refcount import install as _install_refcount_fix

# Before any window code runs: PySide6 6.12 loses a reference to True on every signal emit,
# which aborts the interpreter after enough emits (see pyside_refcount.py).
PYSIDE_PATCHES = _install_refcount_fix()
