"""The main window: navigation toolbar (Contacts → Sync Services, Settings, bell), the screens in a
stack, Help menu, and error sentences (R34). The multi-step flows live in ``flows.py``."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app import __version__, config
from desktop_app.gui.bell import NotificationBell
from desktop_app.gui.errors import describe_outcome
from desktop_app.gui.flows import Flows
from desktop_app.gui.pages.active_syncs import ActiveSyncsPage
from desktop_app.gui.pages.associate import AssociatePage
from desktop_app.gui.pages.detail import CONFIGURATION, DetailPage
from desktop_app.gui.pages.settings_apps import SettingsPage
from desktop_app.gui.pages.sync_services import SyncServicesPage
from desktop_app.gui.resources import icon


class MainWindow(QMainWindow):
    quit_requested = Signal()

    def __init__(self, controller, *, has_tray: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.has_tray = has_tray
        self.allow_close = False
        self.told_about_tray = False
        self.last_error: tuple[str, str] | None = None
        self.error_box: QMessageBox | None = None
        self.quit_box: QMessageBox | None = None
        self.about_box: QMessageBox | None = None
        self.setWindowTitle(config.APP_DISPLAY_NAME)
        self.setWindowIcon(icon("app"))
        self.resize(1280, 800)
        self.setMinimumSize(QSize(900, 600))

        self.services = SyncServicesPage()
        self.associate = AssociatePage()
        self.active = ActiveSyncsPage()
        self.detail = DetailPage()
        self.settings = SettingsPage()
        self.stack = QStackedWidget()
        for page in (self.services, self.associate, self.active, self.detail, self.settings):
            self.stack.addWidget(page)
        self._build_reconnect_banner()
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.reconnect_banner)
        column.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self._build_toolbar()
        self._build_menus()
        self.status = QLabel()
        self.statusBar().addWidget(self.status, 1)
        self.flows = Flows(self, controller)
        self._wire()

    # ------------------------------------------------------------------ building

    def _build_toolbar(self) -> None:
        bar = QToolBar("Navigation")
        bar.setObjectName("navigation")
        bar.setMovable(False)
        bar.setIconSize(QSize(22, 22))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(bar)
        contacts = QToolButton()
        contacts.setText("&Contacts")
        contacts.setIcon(icon("contacts"))
        contacts.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        contacts.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        contacts.setAccessibleName("Contacts")
        menu = QMenu(contacts)
        self.sync_services_action = menu.addAction(icon("sync"), "&Sync Services")
        self.sync_services_action.setShortcut(QKeySequence("Ctrl+1"))
        contacts.setMenu(menu)
        bar.addWidget(contacts)
        self.addAction(self.sync_services_action)
        self.settings_action = bar.addAction(icon("settings"), "Se&ttings")
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        self.simulate_action = bar.addAction(icon("sandbox"), "Simulate activity")
        self.simulate_action.setToolTip("Sandbox only: edit a few customers so the next run shows updates")
        self.simulate_action.setVisible(False)
        self.bell = NotificationBell()
        bar.addWidget(self.bell)

    def _build_reconnect_banner(self) -> None:
        """R42: shown while Zoho no longer accepts the sign-in; scheduled runs wait until Reconnect."""
        self.reconnect_banner = QFrame()
        self.reconnect_banner.setObjectName("reconnectBanner")
        self.reconnect_banner.setFrameShape(QFrame.Shape.StyledPanel)
        self.reconnect_banner.setStyleSheet("#reconnectBanner { background: palette(alternate-base); "
                                            "border-bottom: 1px solid palette(mid); }")
        row = QHBoxLayout(self.reconnect_banner)
        row.setContentsMargins(12, 8, 12, 8)
        self.reconnect_text = QLabel("The Zoho sign-in has expired — Reconnect")
        self.reconnect_text.setWordWrap(True)
        self.reconnect_text.setToolTip("Zoho no longer accepts the app's sign-in (it expired or was revoked). "
                                       "Sign in again to the same organization: the sync, its mapping and "
                                       "history are kept. Scheduled runs wait until then.")
        self.reconnect_button = QPushButton("&Reconnect")
        self.reconnect_button.setAccessibleName("Reconnect to Zoho")
        row.addWidget(self.reconnect_text, 1)
        row.addWidget(self.reconnect_button)
        self.reconnect_banner.setVisible(False)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.sync_now_action = file_menu.addAction(icon("sync"), "Sync &now")
        self.sync_now_action.setShortcut(QKeySequence("Ctrl+R"))
        file_menu.addSeparator()
        quit_action = file_menu.addAction("&Quit")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.quit_now)
        help_menu = self.menuBar().addMenu("&Help")
        self.about_action = help_menu.addAction(icon("help"), "&About")
        self.log_action = help_menu.addAction("Open &log folder")
        self.about_action.triggered.connect(self.show_about)
        self.log_action.triggered.connect(self.open_log_folder)

    def _wire(self) -> None:
        c, f = self.controller, self.flows
        self.sync_services_action.triggered.connect(self.show_services)
        self.settings_action.triggered.connect(lambda: self.stack.setCurrentWidget(self.settings))
        self.services.associate_requested.connect(lambda: self.show_associate(None))
        self.services.active_syncs_requested.connect(self.show_active)
        self.services.sandbox_requested.connect(lambda: c.jobs.spawn(f.associate(sandbox=True)))
        self.services.zoho_requested.connect(lambda: self.show_associate(False))
        self.associate.back_requested.connect(self.show_services)
        self.associate.continue_requested.connect(
            lambda: c.jobs.spawn(f.associate(sandbox=self.associate.sandbox.isChecked())))
        self.active.add_requested.connect(lambda: f.open_wizard(editing=False))
        self.active.open_requested.connect(lambda: self.show_detail(CONFIGURATION))
        self.active.back_requested.connect(self.show_services)
        self.detail.back_requested.connect(self.show_active)
        self.detail.edit_requested.connect(lambda: f.open_wizard(editing=True))
        self.detail.pause_requested.connect(lambda paused: c.jobs.spawn(f.set_paused(paused)))
        self.detail.sync_now_requested.connect(lambda: c.jobs.spawn(f.sync_now()))
        self.sync_now_action.triggered.connect(lambda: c.jobs.spawn(f.sync_now()))
        self.detail.cancel_requested.connect(c.cancel_run)
        self.detail.export_requested.connect(lambda run_id: c.jobs.spawn(f.export_skipped(run_id)))
        self.detail.accept_opt_in_requested.connect(lambda: c.jobs.spawn(f.accept_double_opt_in()))
        self.detail.choose_list_requested.connect(f.choose_another_list)
        self.settings.deny_requested.connect(lambda: c.jobs.spawn(f.deny()))
        self.reconnect_button.clicked.connect(lambda: c.jobs.spawn(f.reconnect()))
        self.simulate_action.triggered.connect(lambda: c.jobs.spawn(f.simulate()))
        self.bell.notification_chosen.connect(lambda n: c.jobs.spawn(f.open_notification(n)))
        c.connection_changed.connect(self._connection_changed)
        c.sync_changed.connect(self._sync_changed)
        c.runs_changed.connect(self.detail.set_runs)
        c.background_changed.connect(self.detail.set_background)
        c.notifications_changed.connect(self.bell.set_notifications)
        c.progress.connect(self.detail.show_progress)
        c.run_started.connect(lambda: self.detail.set_running(True))
        c.run_finished.connect(self._run_finished)
        c.error.connect(self.show_error)

    # ------------------------------------------------------------------ navigation

    def show_services(self) -> None:
        self.stack.setCurrentWidget(self.services)

    def show_associate(self, sandbox: bool | None) -> None:
        if sandbox is not None:
            self.associate.use_sandbox(sandbox)
        self.stack.setCurrentWidget(self.associate)

    def show_active(self) -> None:
        self.stack.setCurrentWidget(self.active)

    def show_detail(self, tab: int = CONFIGURATION) -> None:
        self.detail.tabs.setCurrentIndex(tab)
        self.stack.setCurrentWidget(self.detail)

    def bring_to_front(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    # ------------------------------------------------------------------ reacting

    def _connection_changed(self, info) -> None:
        self.services.set_connection(info)
        self.active.set_connection(info)
        self.settings.set_connection(info)
        self.simulate_action.setVisible(info is not None and info.is_sandbox)
        self.sync_now_action.setEnabled(info is not None)
        self.reconnect_banner.setVisible(bool(info is not None and info.needs_reconnect))
        if info is None and self.stack.currentWidget() in (self.active, self.detail):
            self.show_services()

    def _sync_changed(self, sync) -> None:
        self.active.set_sync(sync)
        self.detail.consent = self.controller.consent
        self.detail.set_sync(sync)
        if sync is None and self.stack.currentWidget() is self.detail:
            self.show_active()

    def _run_finished(self, outcome) -> None:
        self.detail.set_running(False)
        if outcome is not None:
            self.set_status(describe_outcome(outcome))

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def show_error(self, title: str, message: str) -> None:
        self.last_error = (title, message)
        self.set_status(f"{title}: {message}")
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.error_box = box
        box.open()

    # ------------------------------------------------------------------ help

    def show_about(self) -> None:
        text = (f"<b>{config.APP_DISPLAY_NAME}</b><br>Version {__version__}<br><br>Keeps a Zoho Campaigns "
                "mailing list filled with the customers of a Zoho Books organization.")
        box = QMessageBox(QMessageBox.Icon.NoIcon, f"About {config.APP_DISPLAY_NAME}", text,
                          QMessageBox.StandardButton.Ok, self)
        box.setIconPixmap(icon("app").pixmap(64, 64))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.about_box = box
        box.open()

    def log_folder_url(self) -> QUrl:
        return QUrl.fromLocalFile(str(self.controller.service.paths.log_dir))

    def open_log_folder(self) -> None:
        if not QDesktopServices.openUrl(self.log_folder_url()):
            self.show_error("Cannot open the log folder",
                            f"Open {self.controller.service.paths.log_dir} in your file manager.")

    # ------------------------------------------------------------------ closing (R30)

    def quit_now(self) -> None:
        self.allow_close = True
        self.quit_requested.emit()
        self.close()

    def closeEvent(self, event) -> None:
        if self.allow_close:
            event.accept()
            return
        event.ignore()
        if self.has_tray:
            self.hide()
            if not self.told_about_tray:
                self.told_about_tray = True
                self.set_status("Still running in the system tray.")
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Quit?",
                          "Quit Books → Campaigns Sync? Scheduled syncs run only while the app is open.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.finished.connect(lambda _r: box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)
                            and self.quit_now())
        self.quit_box = box
        box.open()
