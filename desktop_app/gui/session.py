"""One running window: controller + main window + scheduler (+ tray when one exists).

``GuiSession`` is what ``app.main`` starts and what the GUI tests drive, so both run the same code.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from desktop_app.gui.controller import Controller
from desktop_app.gui.main_thread_gc import MainThreadGc
from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.scheduler import Scheduler

if TYPE_CHECKING:  # asyncio comes with qasync, after the window's first paint (B5)
    import asyncio

log = logging.getLogger(__name__)


class GuiSession:
    def __init__(self, service, *, use_tray: bool | None = None, recheck_ms: int | None = None,
                 minimized: bool = False) -> None:
        self.service = service
        self.minimized = minimized
        self.controller = Controller(service)
        has_tray = QSystemTrayIcon.isSystemTrayAvailable() if use_tray is None else use_tray
        self.window = MainWindow(self.controller, has_tray=has_tray)
        kwargs = {"recheck_ms": recheck_ms} if recheck_ms else {}
        self.scheduler = Scheduler(self.controller, **kwargs)
        self.tray = None
        if has_tray:
            from desktop_app.gui.tray import Tray

            self.tray = Tray(self.controller)
            self.tray.open_requested.connect(self.window.bring_to_front)
            self.tray.sync_now_requested.connect(
                lambda: self.controller.jobs.spawn(self.window.flows.sync_now()))
            self.tray.pause_requested.connect(
                lambda paused: self.controller.jobs.spawn(self.window.flows.set_paused(paused)))
            self.tray.quit_requested.connect(self.window.quit_now)
            self.tray.icon.messageClicked.connect(lambda: self.window.show_detail())
        self.window.quit_requested.connect(lambda: self.quit_event.set())
        self.gc = MainThreadGc(self.window)
        self.gc.start()

    @functools.cached_property
    def quit_event(self) -> asyncio.Event:
        import asyncio

        return asyncio.Event()

    def show(self) -> None:
        """The window (and the tray icon) on screen and painted: ``app.main`` calls it before it
        imports the event loop, and the first service call (which may build the service:
        app.DeferredService) comes after it."""
        if self.window.isVisible() or (self.tray is not None and self.tray.icon.isVisible()):
            return
        if self.tray is not None:
            self.tray.show()
        if not (self.minimized and self.tray is not None):  # at login: the tray only (without one, the window)
            self.window.show()
        QApplication.processEvents()

    async def start(self, *, schedule: bool = True) -> None:
        self.show()
        try:
            await self.controller.refresh()
        except Exception as exc:
            self.controller.report(exc)
        if self.controller.connection is not None and self.controller.sync is not None:
            self.window.show_detail()
        try:
            read_only = await self.controller.call(self.service.read_only_reason)
        except Exception as exc:
            self.controller.report(exc)
        else:
            if read_only:  # views work; say once why nothing can change
                self.window.set_status(read_only)
        self.gc.settle()  # start-up's objects (imports, the service) leave the GUI thread's collections
        if schedule:
            self.scheduler.start()

    def handle_message(self, message: str) -> None:
        """From a second launch (single instance)."""
        self.window.bring_to_front()
        if message == "sync-now":
            self.controller.jobs.spawn(self.window.flows.sync_now())

    async def shutdown(self) -> None:
        self.scheduler.stop()
        self.controller.cancel_run()
        if self.window.flows.dialog is not None:  # a flow waiting on a dialog ends as "cancelled"
            self.window.flows.dialog.reject()
        await self.controller.jobs.drain()
        await self.controller.jobs.call(self.service.close)  # after every service call before it
        self.controller.jobs.close()
        self.gc.stop()
        if self.tray is not None:
            self.tray.hide()
        # Closed last: closing the last window may quit the application (and stop the loop).
        self.window.allow_close = True
        self.window.close()
        self.window.deleteLater()
