"""``desktop-app`` with no command: the window, on a qasync event loop (R33)."""

from __future__ import annotations

import logging
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Callable

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, QtMsgType, qInstallMessageHandler
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
    if mode in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
        # Qt aborts after a fatal message (a display it cannot reach): say why where it was started.
        print(f"desktop-app: Qt: {message}", file=sys.stderr, flush=True)


def _excepthook(exc_type, exc, tb) -> None:
    log.error("unhandled exception:\n%s", "".join(traceback.format_exception(exc_type, exc, tb)))
    if QApplication.instance() is not None:
        box = QMessageBox(QMessageBox.Icon.Critical, "Something went wrong",
                          f"An unexpected error happened ({exc_type.__name__}). {LOG_HINT}")
        box.open()


# A session end (logout sends SIGTERM, then SIGHUP to the terminal's children), `kill`, `systemctl stop`
# and Ctrl-C: a running sync stops at the next batch boundary, is recorded cancelled, and the window
# quits cleanly. The next run continues from the checkpoint.
STOP_SIGNALS = tuple(s for s in (getattr(signal, n, None) for n in ("SIGINT", "SIGTERM", "SIGHUP"))
                     if s is not None)


class StopSignals(QObject):
    """Python signal handlers run only when the interpreter gets control; Qt's event loop sits in C++.
    The wakeup fd (a socket pair) wakes a QSocketNotifier at once; a slow tick is the fallback."""

    def __init__(self, on_stop: Callable[[int], None], parent: QObject | None = None,
                 signals: tuple = STOP_SIGNALS) -> None:
        super().__init__(parent)
        self.on_stop = on_stop
        self.received: list[int] = []
        self._previous = {sig: signal.signal(sig, self._handle) for sig in signals}
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        try:
            self._old_wakeup = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        except ValueError:  # not the main thread: rely on the tick
            self._old_wakeup = None
        self.notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self.notifier.activated.connect(self._drain)
        self.tick = QTimer(self)
        self.tick.setInterval(500)
        self.tick.timeout.connect(lambda: None)  # lets pending Python handlers run
        self.tick.start()

    def _handle(self, signum, frame) -> None:
        first = not self.received
        self.received.append(signum)
        log.info("received %s: %s", signal.Signals(signum).name,
                 "stopping any run at the next batch, then quitting" if first else "already stopping")
        if first:
            self.on_stop(signum)

    def _drain(self, *_args) -> None:
        try:
            while self._reader.recv(512):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def close(self) -> None:
        self.tick.stop()
        self.notifier.setEnabled(False)
        if self._old_wakeup is not None:
            signal.set_wakeup_fd(self._old_wakeup)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._reader.close()
        self._writer.close()


def install_stop_signals(session) -> StopSignals:
    """Cancel a running sync (it stops at the next batch, recorded cancelled) and end the session."""

    def stop_now() -> None:
        c = session.controller
        c.run_started.connect(c.cancel_run)  # a scheduled run starting during the shutdown stops too
        c.cancel_run()
        session.quit_event.set()

    def stop(_signum: int) -> None:
        QTimer.singleShot(0, stop_now)  # on the event loop, not inside whatever the handler interrupted

    return StopSignals(stop)


class DeferredService:
    """The ``AppService``, built on first use. The window is shown first (its widgets need only
    Qt and the domain), then the first call imports SQLAlchemy, Alembic, requests and keyring and
    opens the database: the window paints in about a third of the time it took to import them."""

    def __init__(self, paths: config.AppPaths) -> None:
        self._paths = paths
        self._service = None
        self._lock = threading.Lock()

    @property
    def built(self) -> bool:
        return self._service is not None

    def __getattr__(self, name: str):
        with self._lock:
            if self._service is None:
                from desktop_app.app import AppService

                self._service = AppService(self._paths)
        return getattr(self._service, name)


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName(config.APP_NAME)
    app.setApplicationDisplayName(config.APP_DISPLAY_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(DESKTOP_FILE)
    app.setWindowIcon(icon("app"))
    return app


def main(args=None) -> int:
    from desktop_app.gui.session import GuiSession

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
    session = GuiSession(DeferredService(paths), minimized=bool(getattr(args, "minimized", False)))
    instance.message_received.connect(session.handle_message)
    app.setQuitOnLastWindowClosed(session.tray is None)
    session.show()  # painted before the event loop (asyncio, qasync) and the service are imported

    import asyncio

    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    stop_signals = install_stop_signals(session)

    async def run() -> None:
        await session.start()
        await session.quit_event.wait()
        await session.shutdown()

    try:
        with loop:
            loop.run_until_complete(run())
    finally:
        stop_signals.close()
        instance.close()
    if stop_signals.received:
        log.info("quit after %s", signal.Signals(stop_signals.received[0]).name)
    return 0
