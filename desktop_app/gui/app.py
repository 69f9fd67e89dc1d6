"""``desktop-app`` with no command: the window, on a qasync event loop (R33)."""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback

from PySide6.QtCore import QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop_app import __version__, config
from desktop_app.gui.errors import LOG_HINT
from desktop_app.gui.resources import icon
from desktop_app.gui.single_instance import SingleInstance, ask_running_instance, server_name

log = logging.getLogger(__name__)
DESKTOP_FILE = "desktop-app"  # matches packaging/desktop-app.desktop


def _qt_to_logging(mode, context, message) -> None:
    level = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
             QtMsgType.QtWarningMsg: logging.WARNING}.get(mode, logging.ERROR)
    logging.getLogger("qt").log(level, "%s", message)


def _excepthook(exc_type, exc, tb) -> None:
    log.error("unhandled exception:\n%s", "".join(traceback.format_exception(exc_type, exc, tb)))
    if QApplication.instance() is not None:
        box = QMessageBox(QMessageBox.Icon.Critical, "Something went wrong",
                          f"An unexpected error happened ({exc_type.__name__}). {LOG_HINT}")
        box.open()


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName(config.APP_NAME)
    app.setApplicationDisplayName(config.APP_DISPLAY_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(DESKTOP_FILE)
    app.setWindowIcon(icon("app"))
    return app


def main(args=None) -> int:
    import qasync

    from desktop_app.gui.session import GuiSession
    from desktop_app.service import AppService

    paths = config.app_paths().ensure()
    config.setup_logging(paths)
    qInstallMessageHandler(_qt_to_logging)
    sys.excepthook = _excepthook
    app = make_application()
    name = server_name(str(paths.data_dir))
    if ask_running_instance(name, "show"):
        log.info("another instance is running; asked it to show itself")
        return 0
    instance = SingleInstance(name)
    instance.listen()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    service = AppService(paths)
    session = GuiSession(service)
    instance.message_received.connect(session.handle_message)
    app.setQuitOnLastWindowClosed(session.tray is None)

    async def run() -> None:
        await session.start()
        await session.quit_event.wait()
        await session.shutdown()

    try:
        with loop:
            loop.run_until_complete(run())
    finally:
        instance.close()
    return 0
