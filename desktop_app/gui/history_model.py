"""Sync History (R28): one row per run, read-only; the Skipped column carries an export icon.
Awaiting: customers sent a confirmation email by a double opt-in list, not in the list yet."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt

from desktop_app.gui.resources import icon
from desktop_app.gui.table_model import Index, ListTableModel

TIME, STATUS, TOTAL, ADDED, UPDATED, AWAITING, SKIPPED, DURATION, DETAILS = range(9)
HEADERS = ("Sync time", "Status", "Total", "Added", "Updated", "Awaiting", "Skipped", "Duration", "Details")
STATUS_LABELS = {"completed": "Completed", "failed": "Failed", "cancelled": "Cancelled",
                 "deferred": "Deferred", "running": "Running", "interrupted": "Interrupted",
                 "needs_decision": "Needs your decision"}


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def format_time(value) -> str:
    return value.astimezone().strftime("%d %b %Y, %H:%M:%S") if value else "—"


def run_details(run) -> str:
    if run.error:
        return run.error
    if run.status == "deferred" and run.resume_at:
        return f"Resumes after {format_time(run.resume_at)}"
    if run.status == "needs_decision":
        return "The list sends confirmation emails: accept double opt-in or choose another list"
    return f"{run.kind.capitalize()} run, {run.trigger}" if run.kind else ""


class HistoryModel(ListTableModel):
    headers = HEADERS

    def set_runs(self, runs: Sequence) -> None:
        self.beginResetModel()
        self._items = list(runs)
        self.endResetModel()

    def run_at(self, row: int):
        return self._items[row]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not self.valid_row(index):
            return None
        run, col = self._items[index.row()], index.column()
        c = run.counts
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return (format_time(run.started_at), STATUS_LABELS.get(run.status, run.status.capitalize()),
                    str(c.total), str(c.added), str(c.updated), str(c.awaiting), str(c.skipped),
                    format_duration(run.duration_seconds), run_details(run))[col]
        if role == Qt.ItemDataRole.DecorationRole and col == SKIPPED and c.skipped:
            return icon("export")
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == SKIPPED and c.skipped:
                return "Export skipped records (double-click or press Enter)"
            if col == AWAITING:
                return "Sent a confirmation email (double opt-in); they join the list after confirming"
            if col in (STATUS, DETAILS) and run.error:
                return run.error
        if role == Qt.ItemDataRole.TextAlignmentRole and TOTAL <= col <= SKIPPED:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
