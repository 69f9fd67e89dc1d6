"""Wizard page Schedule (R14): presets in the user's local zone, with the next three run times."""

from __future__ import annotations

from datetime import UTC, datetime, time

from PySide6.QtCore import QTime
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QTimeEdit, QWizardPage

from desktop_app import config
from desktop_app.domain.schedule import INTERVAL_HOURS, WEEKDAY_NAMES, Schedule, next_runs

PRESETS: tuple[tuple[str, str], ...] = (
    *((("Every hour" if h == 1 else f"Every {h} hours"), f"every-{h}h") for h in INTERVAL_HOURS),
    ("Daily", "daily"),
    ("Weekly", "weekly"),
)


class SchedulePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Schedule")
        self.setSubTitle("When the sync runs. The first sync starts as soon as you initiate it.")
        self.zone = config.local_zone()
        self.preset = QComboBox()
        self.preset.setAccessibleName("Sync frequency")
        for label, key in PRESETS:
            self.preset.addItem(label, key)
        self.at = QTimeEdit(QTime(9, 0))
        self.at.setDisplayFormat("HH:mm")
        self.at.setAccessibleName("Time of day")
        self.weekday = QComboBox()
        self.weekday.setAccessibleName("Weekday")
        for name in WEEKDAY_NAMES:
            self.weekday.addItem(name)
        self.preview = QLabel()
        self.preview.setObjectName("nextRuns")
        self.preview.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("&Frequency:", self.preset)
        form.addRow("&At:", self.at)
        form.addRow("&On:", self.weekday)
        form.addRow("Next runs:", self.preview)
        self.preset.setCurrentIndex(self.preset.findData("daily"))
        self.preset.currentIndexChanged.connect(self._update)
        self.at.timeChanged.connect(self._update)
        self.weekday.currentIndexChanged.connect(self._update)
        self._update()

    def value(self) -> Schedule:
        key = self.preset.currentData()
        at = time(self.at.time().hour(), self.at.time().minute())
        if key == "daily":
            return Schedule.daily(at)
        if key == "weekly":
            return Schedule.weekly(self.weekday.currentIndex(), at)
        return Schedule.every(int(key.removeprefix("every-").removesuffix("h")))

    def set_value(self, schedule: Schedule) -> None:
        key = schedule.spec if schedule.kind == "interval" else schedule.kind
        self.preset.setCurrentIndex(max(0, self.preset.findData(key)))
        if schedule.at is not None:
            self.at.setTime(QTime(schedule.at.hour, schedule.at.minute))
        if schedule.weekday is not None:
            self.weekday.setCurrentIndex(schedule.weekday)

    def next_three(self, now: datetime | None = None) -> list[datetime]:
        return next_runs(self.value(), now or datetime.now(UTC), self.zone, 3)

    def _update(self, *_: object) -> None:
        key = self.preset.currentData()
        self.at.setEnabled(key in ("daily", "weekly"))
        self.weekday.setEnabled(key == "weekly")
        runs = self.next_three()
        self.preview.setText("\n".join(r.strftime("%a %d %b %Y, %H:%M %Z") for r in runs))
