"""The sync's detail view (R29, R28, R25, R26): Configuration, Field Mapping and Sync History tabs,
Pause/Resume, Edit and Sync now at the top right, live progress with Cancel, and a banner when the
last run stopped at a double opt-in list (accept it, or choose another list)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QWidget,
)

from desktop_app.domain.settings import (
    NO_LAWFUL_BASIS_FIELD,
    NO_SUBSCRIPTION_FIELD,
    LawfulBasis,
    SubscriptionType,
    double_opt_in_explanation,
)
from desktop_app.gui.history_model import SKIPPED, STATUS_LABELS, HistoryModel, format_time
from desktop_app.gui.pages.common import heading, page_layout
from desktop_app.gui.resources import icon

CONFIGURATION, FIELD_MAPPING, HISTORY = range(3)


class DetailPage(QWidget):
    edit_requested = Signal()
    pause_requested = Signal(bool)  # True: pause, False: resume
    sync_now_requested = Signal()
    cancel_requested = Signal()
    export_requested = Signal(int)  # run id
    back_requested = Signal()
    accept_opt_in_requested = Signal()
    choose_list_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = page_layout(self)
        top = QHBoxLayout()
        self.title = heading("Sync")
        top.addWidget(self.title, 1)
        self.sync_now = QPushButton(icon("sync"), "S&ync now")
        self.pause = QPushButton(icon("pause"), "&Pause Sync")
        self.pause.setObjectName("pauseSync")
        self.edit = QPushButton(icon("edit"), "&Edit")
        for b in (self.sync_now, self.pause, self.edit):
            top.addWidget(b)
        layout.addLayout(top)
        self.sync_now.clicked.connect(self.sync_now_requested)
        self.edit.clicked.connect(self.edit_requested)
        self.pause.clicked.connect(lambda: self.pause_requested.emit(not self.paused))

        progress = QHBoxLayout()
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Sync progress")
        self.phase = QLabel()
        self.phase.setObjectName("runPhase")
        self.counts = QLabel()
        self.counts.setObjectName("runCounts")
        self.cancel = QPushButton("&Cancel run")
        self.cancel.clicked.connect(self.cancel_requested)
        progress.addWidget(self.bar, 2)
        progress.addWidget(self.phase, 2)
        progress.addWidget(self.counts, 3)
        progress.addWidget(self.cancel)
        self.progress_row = QWidget()
        self.progress_row.setLayout(progress)
        layout.addWidget(self.progress_row)
        self.progress_row.setVisible(False)
        self.eta = QLabel()  # "about 89,000 writes; Zoho allows 75,000 a day: finishes tomorrow around 10:40"
        self.eta.setObjectName("runEta")
        self.eta.setWordWrap(True)
        self.eta.setVisible(False)
        layout.addWidget(self.eta)

        # needs_decision: the list sends confirmation emails (double opt-in)
        self.decision = QFrame()
        self.decision.setObjectName("decisionBanner")
        self.decision.setFrameShape(QFrame.Shape.StyledPanel)
        self.decision.setStyleSheet("#decisionBanner { background: palette(alternate-base); "
                                    "border: 1px solid #c98a00; border-radius: 4px; }")
        banner = QHBoxLayout(self.decision)
        warning = QLabel()
        warning.setPixmap(icon("warning").pixmap(24, 24))
        self.decision_text = QLabel()
        self.decision_text.setObjectName("decisionText")
        self.decision_text.setWordWrap(True)
        self.accept_opt_in = QPushButton("&Accept double opt-in")
        self.accept_opt_in.setObjectName("acceptDoubleOptIn")
        self.choose_list = QPushButton("Choose another &list")
        self.choose_list.setObjectName("chooseAnotherList")
        banner.addWidget(warning, 0, Qt.AlignmentFlag.AlignTop)
        banner.addWidget(self.decision_text, 1)
        banner.addWidget(self.accept_opt_in)
        banner.addWidget(self.choose_list)
        self.accept_opt_in.clicked.connect(self.accept_opt_in_requested)
        self.choose_list.clicked.connect(self.choose_list_requested)
        layout.addWidget(self.decision)
        self.decision.setVisible(False)

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Sync details")
        self.config = QWidget()
        self.form = QFormLayout(self.config)
        self.form.setHorizontalSpacing(24)
        self.fields: dict[str, QLabel] = {}
        for key in ("Status", "Module", "List", "Subscription type", "Topics", "Lawful basis",
                    "Update empty field value", "Schedule", "Next run", "Last run", "While closed"):
            label = QLabel()
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
            label.setAccessibleName(key)
            self.fields[key] = label
            self.form.addRow(f"{key}:", label)
        self.mapping = QTableWidget(0, 3)
        self.mapping.setHorizontalHeaderLabels(["Zoho Books field", "Zoho Campaigns field", "New field"])
        self.mapping.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.mapping.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.mapping.verticalHeader().setVisible(False)
        self.history_model = HistoryModel(self)
        self.history = QTableView()
        self.history.setObjectName("historyTable")
        self.history.setAccessibleName("Sync history")
        self.history.setModel(self.history_model)
        self.history.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history.verticalHeader().setVisible(False)
        self.history.horizontalHeader().setStretchLastSection(True)
        # activated only: a double-click already emits it (doubleClicked too would ask twice), and so
        # do Enter and, on styles that activate on one click, a single click.
        self.history.activated.connect(self._history_activated)
        self.tabs.addTab(self.config, "&Configuration")
        self.tabs.addTab(self.mapping, "Field &Mapping")
        self.tabs.addTab(self.history, "Sync &History")
        layout.addWidget(self.tabs, 1)
        back = QPushButton("&Back to Active Syncs")
        back.clicked.connect(self.back_requested)
        row = QHBoxLayout()
        row.addWidget(back)
        row.addStretch(1)
        layout.addLayout(row)
        self.paused = False
        self.consent = None  # service.ConsentView once known (None: not read yet)
        self.set_background("")

    # ------------------------------------------------------------------ filling

    def set_sync(self, sync) -> None:
        if sync is None:
            return
        self.paused = sync.paused
        self.title.setText(f"Contacts → {sync.list_name}")
        self.pause.setText("&Resume Sync" if sync.paused else "&Pause Sync")
        self.pause.setIcon(icon("resume" if sync.paused else "pause"))
        self.pause.setAccessibleName("Resume Sync" if sync.paused else "Pause Sync")
        last = sync.last_run
        names = sync.topic_names or sync.topic_ids  # names are kept with the sync (ids: offline, old sync)
        topics = ", ".join(names) or "None"
        values = {
            "Status": "Paused — scheduled runs are stopped" if sync.paused else "Active",
            "Module": "Contacts (Customers in Zoho Books)",
            "List": sync.list_name,
            "Subscription type": self._subscription_text(sync),
            "Topics": topics,
            "Lawful basis": self._lawful_basis_text(sync),
            "Update empty field value": "On" if sync.update_empty else "Off",
            "Schedule": sync.schedule_text,
            "Next run": "Paused" if sync.paused else (format_time(sync.next_run_at) if sync.next_run_at
                                                      else "As soon as possible"),
            "Last run": (f"{format_time(last.started_at)} — {STATUS_LABELS.get(last.status, last.status)}: "
                         f"{last.counts.added} added, {last.counts.updated} updated, "
                         + (f"{last.counts.awaiting} awaiting confirmation, " if last.counts.awaiting else "")
                         + f"{last.counts.skipped} skipped"
                         + (f". {last.error}" if last.error else "")) if last else "Not run yet",
        }
        for key, value in values.items():
            self.fields[key].setText(value)
        self._show_decision(sync)
        self.mapping.setRowCount(len(sync.mapping))
        for r, (m, label) in enumerate(zip(sync.mapping, sync.mapping_labels, strict=True)):
            for c, text in enumerate((label, m.campaigns_field, "Yes" if m.new_field else "")):
                self.mapping.setItem(r, c, QTableWidgetItem(text))

    def set_background(self, sentence: str) -> None:
        """Whether the schedule also runs with the window closed (``desktop-app schedule install``)."""
        if not sentence or sentence.startswith("No background schedule"):  # "": not known yet
            sentence = ("Scheduled runs happen only while this app is open (or in the tray). To run them "
                        "with the app closed: desktop-app schedule install")
        self.fields["While closed"].setText(sentence)

    def _subscription_text(self, sync) -> str:
        if self.consent is not None and not self.consent.can_set_subscription:
            return f"Marketing. {NO_SUBSCRIPTION_FIELD}"
        return SubscriptionType(sync.subscription_type).label

    def _lawful_basis_text(self, sync) -> str:
        if self.consent is not None and not self.consent.can_set_lawful_basis:
            answer = {True: "on", False: "off", None: "not answered"}[sync.gdpr]
            return f"GDPR compliance: {answer} (your answer). {NO_LAWFUL_BASIS_FIELD}"
        return LawfulBasis(sync.lawful_basis).label if sync.lawful_basis else "Not specified"

    def _show_decision(self, sync) -> None:
        needs = bool(getattr(sync, "needs_decision", False))
        self.decision.setVisible(needs)
        if needs:
            awaiting = sync.last_run.counts.awaiting
            sent = (f" {awaiting} customer{' was' if awaiting == 1 else 's were'} sent one already; nobody "
                    "else was written." if awaiting else "")
            self.decision_text.setText(
                f"<b>The last run needs your decision.</b> {double_opt_in_explanation(sync.list_name)}{sent} "
                "Accept double opt-in to send the confirmation emails to every customer, or choose another "
                "list. Scheduled runs wait until you decide.")

    def set_runs(self, runs) -> None:
        self.history_model.set_runs(runs)
        self.history.resizeColumnsToContents()

    def set_running(self, running: bool) -> None:
        self.progress_row.setVisible(running)
        if not running:
            self.eta.setVisible(False)
        self.sync_now.setEnabled(not running)
        self.edit.setEnabled(not running)
        self.accept_opt_in.setEnabled(not running)
        self.choose_list.setEnabled(not running)
        self.cancel.setEnabled(running)
        if running:
            self.bar.setRange(0, 0)
            self.phase.setText("Starting…")
            self.counts.setText("")

    def show_progress(self, progress) -> None:
        self.progress_row.setVisible(True)
        if progress.total:
            self.bar.setRange(0, progress.total)
            self.bar.setValue(min(progress.done, progress.total))
        else:
            self.bar.setRange(0, 0)
        self.phase.setText(progress.phase_label)
        c = progress.counts
        awaiting = f"{c.awaiting:,} awaiting · " if c.awaiting else ""
        self.counts.setText(f"{progress.done:,} done · {c.added:,} added · {c.updated:,} updated · "
                            f"{awaiting}{c.unchanged:,} unchanged · {c.skipped:,} skipped")
        eta = getattr(progress, "eta_text", "")
        if eta:
            self.eta.setText(eta[:1].upper() + eta[1:] + ".")
        self.eta.setVisible(bool(eta))

    def _history_activated(self, index) -> None:
        if index.isValid() and index.column() == SKIPPED:
            run = self.history_model.run_at(index.row())
            if run.counts.skipped:
                self.export_requested.emit(run.id)
