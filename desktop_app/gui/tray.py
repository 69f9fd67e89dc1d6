"""The system tray (R30): Open, Sync now, Pause/Resume, Quit; tooltip with last and next run; a
message when a run ends (clicking it opens the Configuration view). Only built when a tray exists."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from desktop_app import config
from desktop_app.gui.errors import describe_outcome
from desktop_app.gui.history_model import format_time
from desktop_app.gui.resources import icon


class Tray(QObject):
    open_requested = Signal()
    sync_now_requested = Signal()
    pause_requested = Signal(bool)
    quit_requested = Signal()

    def __init__(self, controller, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.icon = QSystemTrayIcon(icon("app"), self)
        menu = QMenu()
        self.menu = menu
        menu.addAction("&Open").triggered.connect(self.open_requested)
        self.sync_now = menu.addAction("&Sync now")
        self.sync_now.triggered.connect(self.sync_now_requested)
        self.pause = menu.addAction("&Pause Sync")
        self.pause.triggered.connect(lambda: self.pause_requested.emit(not self._paused))
        menu.addSeparator()
        menu.addAction("&Quit").triggered.connect(self.quit_requested)
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(lambda reason: reason == QSystemTrayIcon.ActivationReason.Trigger
                                    and self.open_requested.emit())
        self.icon.messageClicked.connect(self.open_requested)
        self._paused = False
        controller.sync_changed.connect(self._sync_changed)
        controller.run_started.connect(lambda: self.icon.setIcon(icon("sync")))
        controller.run_finished.connect(self._run_finished)
        self._sync_changed(None)

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def _sync_changed(self, sync) -> None:
        self._paused = bool(sync and sync.paused)
        self.pause.setText("&Resume Sync" if self._paused else "&Pause Sync")
        self.pause.setEnabled(sync is not None)
        self.sync_now.setEnabled(sync is not None)
        if sync is None:
            tip = f"{config.APP_DISPLAY_NAME}: no sync set up"
        else:
            last = format_time(sync.last_run.started_at) if sync.last_run else "never"
            nxt = "paused" if sync.paused else (format_time(sync.next_run_at) if sync.next_run_at else "soon")
            tip = f"{config.APP_DISPLAY_NAME}\nLast run: {last}\nNext run: {nxt}"
        self.icon.setToolTip(tip)

    def _run_finished(self, outcome) -> None:
        self.icon.setIcon(icon("app"))
        if outcome is not None:
            decide = outcome.status == "needs_decision"
            self.icon.showMessage("Sync needs your decision" if decide else f"Sync {outcome.status}",
                                  describe_outcome(outcome),
                                  QSystemTrayIcon.MessageIcon.Warning if decide
                                  else QSystemTrayIcon.MessageIcon.Information, 8000)
