"""The window's shell without a connection: navigation, first-start offer, card hover/focus,
Help menu, closing without a tray, scheduler timers, single instance."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QEnterEvent
from PySide6.QtWidgets import QApplication

from desktop_app import __version__
from desktop_app.gui.controller import Controller
from desktop_app.gui.main_window import MainWindow
from desktop_app.gui.scheduler import MAX_TIMER_MS, Scheduler, clamp_ms
from desktop_app.gui.single_instance import SingleInstance, ask_running_instance, server_name


@pytest.fixture
def window(qtbot):
    # No service calls happen in these tests: the controller's service is never used.
    w = MainWindow(Controller(None))
    qtbot.addWidget(w)
    w.services.set_connection(None)
    w.show()
    yield w
    w.allow_close = True
    w.close()


def test_first_start_offers_the_sandbox_and_zoho(window):
    assert window.services.first_start.isVisible()
    assert window.services.try_sandbox.text().replace("&", "") == "Try with the sample organization"
    assert window.services.try_sandbox.isDefault()
    assert window.services.connect_zoho.isVisible()


def test_card_shows_its_action_on_hover_and_focus(window, qtbot):
    card = window.services.card
    assert not card.action.isVisible()
    QApplication.sendEvent(card, QEnterEvent(QPointF(5, 5), QPointF(5, 5), QPointF(5, 5)))
    assert card.action.isVisible() and card.action.text() == "Associate New Account"
    QApplication.sendEvent(card, QEvent(QEvent.Type.Leave))
    assert not card.action.isVisible()
    card.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: card.action.isVisible())
    qtbot.keyClick(card, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.associate
    card.set_connected(True)
    assert card.action.text() == "Active Syncs"


def test_connect_zoho_opens_associate_with_zoho_chosen(window, qtbot):
    qtbot.mouseClick(window.services.connect_zoho, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.associate
    assert window.associate.zoho.isChecked() and window.associate.zoho_box.isEnabled()
    qtbot.mouseClick(window.associate.back, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.services


def test_navigation_toolbar_and_settings_search(window, qtbot):
    window.settings_action.trigger()
    assert window.stack.currentWidget() is window.settings
    qtbot.keyClicks(window.settings.search, "books")
    assert window.settings.apps.count() == 1
    window.settings.search.setText("xero")
    assert window.settings.apps.count() == 0 and not window.settings.view_details.isEnabled()
    window.sync_services_action.trigger()
    assert window.stack.currentWidget() is window.services


def test_about_shows_the_version(window):
    window.about_action.trigger()
    assert window.about_box is not None and __version__ in window.about_box.text()
    window.about_box.close()


def test_closing_without_a_tray_asks_whether_to_quit(window, qtbot):
    with qtbot.assertNotEmitted(window.quit_requested):
        window.close()
    assert window.isVisible() and window.quit_box is not None
    window.quit_box.button(window.quit_box.StandardButton.No).click()
    assert window.isVisible()
    window.close()
    with qtbot.waitSignal(window.quit_requested):
        window.quit_box.button(window.quit_box.StandardButton.Yes).click()
    assert not window.isVisible()


def test_closing_with_a_tray_hides_the_window(qtbot):
    w = MainWindow(Controller(None), has_tray=True)
    qtbot.addWidget(w)
    w.show()
    w.close()
    assert not w.isVisible() and w.told_about_tray
    w.allow_close = True


def test_errors_are_sentences_not_tracebacks(window):
    from desktop_app.gui.errors import describe

    title, message = describe(ValueError("boom"))
    assert "Traceback" not in message and "log" in message
    window.controller.report(ValueError("boom"))
    assert window.last_error == (title, message)
    window.error_box.close()


def test_timer_interval_is_clamped_below_qt_limit():
    assert clamp_ms(10 * 365 * 24 * 3600 * 1000) == MAX_TIMER_MS < 2**31 - 1
    assert clamp_ms(-5) == 0


def test_scheduler_sees_a_wall_clock_gap_as_a_wake(qapp, qtbot):
    now = [datetime(2026, 1, 5, 9, 0, tzinfo=UTC)]
    scheduler = Scheduler(Controller(None), clock=lambda: now[0], recheck_ms=1000)
    scheduler.start()
    try:
        assert scheduler.recheck.isActive()
        now[0] += timedelta(seconds=1)
        with qtbot.assertNotEmitted(scheduler.woke):
            scheduler._recheck()
        now[0] += timedelta(hours=3)  # the machine slept
        with qtbot.waitSignal(scheduler.woke, timeout=1000):
            scheduler._recheck()
    finally:
        scheduler.stop()
    assert not scheduler.recheck.isActive()


def test_a_second_launch_asks_the_first_to_show_itself(qapp, qtbot, tmp_path):
    name = server_name(str(tmp_path))
    assert not ask_running_instance(name)  # nobody listens yet
    first = SingleInstance(name)
    assert first.listen()
    second = ("from PySide6.QtCore import QCoreApplication; app = QCoreApplication([]); "
              "from desktop_app.gui.single_instance import ask_running_instance as ask; "
              f"raise SystemExit(0 if ask({name!r}, 'show') else 1)")
    try:
        with qtbot.waitSignal(first.message_received, timeout=10000) as got:
            proc = subprocess.Popen([sys.executable, "-c", second])
        assert got.args == ["show"]
        assert proc.wait(timeout=10) == 0
    finally:
        first.close()
        first.deleteLater()
        qtbot.wait(50)


def test_run_endings_are_sentences_and_needs_decision_says_what_to_do():
    from desktop_app.domain.counts import RunCounts
    from desktop_app.engine.outcome import RunOutcome
    from desktop_app.gui.errors import describe_outcome

    decide = describe_outcome(RunOutcome(1, "needs_decision", "full", RunCounts(awaiting=1), "…"))
    assert "needs your decision" in decide and "Accept double opt-in" in decide and "another list" in decide
    done = describe_outcome(RunOutcome(2, "completed", "full", RunCounts(added=3, skipped=1, awaiting=2)))
    assert done == "Sync completed: 3 added, 0 updated, 2 awaiting confirmation, 1 skipped."
    failed = describe_outcome(RunOutcome(3, "failed", "full", RunCounts(), "The account needs reconnecting."))
    assert failed == "Sync failed: The account needs reconnecting."


def test_the_window_collects_python_garbage_on_the_gui_thread_only(qtbot):
    import gc
    import threading

    from desktop_app.gui.main_thread_gc import MainThreadGc

    collector = MainThreadGc(interval_ms=10)
    collector.start()
    try:
        assert not gc.isenabled()  # no collection triggered by a worker thread's allocations
        collector.settle()  # start-up's survivors frozen: what is made later is still collected
        assert gc.get_freeze_count() > 0
        seen: list[str] = []

        class Cycle:
            def __init__(self) -> None:
                self.me = self

            def __del__(self) -> None:
                seen.append(threading.current_thread().name)

        def make_garbage() -> None:
            for _ in range(5000):
                Cycle()

        worker = threading.Thread(target=make_garbage, name="sync-run")
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: len(seen) >= 5000, timeout=5000)
        assert set(seen) == {threading.main_thread().name}
    finally:
        collector.stop()
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_the_window_paints_before_the_service_and_its_imports_exist(loop, app_home):
    """gui.app.main's start: the window is on screen before SQLAlchemy and the database."""
    from desktop_app import config
    from desktop_app.gui.app import DeferredService
    from desktop_app.gui.session import GuiSession

    painted: list[bool] = []
    service = DeferredService(config.app_paths().ensure())
    session = GuiSession(service, use_tray=False)

    class Watch(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint and not painted:
                painted.append(service.built)
            return False

    watch = Watch()
    session.window.installEventFilter(watch)
    try:
        loop.run_until_complete(session.start(schedule=False))
        assert painted == [False]  # the first paint came before the service was built
        assert service.built and session.controller.connection is None
    finally:
        loop.run_until_complete(session.shutdown())


# The offscreen platform has no tray host; Qt says so when a tray icon is shown (a real tray: Xvfb + a host).
@pytest.mark.qt_log_ignore("No such signal QPlatformNativeInterface::systemTrayWindowChanged")
def test_started_minimized_the_app_sits_in_the_tray_and_without_a_tray_the_window_opens(loop, app_home):
    """``desktop-app --minimized`` (what start at login runs)."""
    from desktop_app import config
    from desktop_app.gui.app import DeferredService
    from desktop_app.gui.session import GuiSession

    for use_tray, visible in ((True, False), (False, True)):
        session = GuiSession(DeferredService(config.app_paths().ensure()), use_tray=use_tray, minimized=True)
        try:
            loop.run_until_complete(session.start(schedule=False))
            assert session.window.isVisible() is visible
            if use_tray:
                assert session.tray.icon.isVisible()
        finally:
            loop.run_until_complete(session.shutdown())
