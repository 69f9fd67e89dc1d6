"""The Add New Sync / Edit wizard (R8–R15, R26): a QWizard whose Finish button is "Initiate".

Initiate does not close the wizard by itself: it emits ``initiate_requested``; the flow shows the
disclaimer and saves, then calls ``finish()``. Going back from the disclaimer keeps it open.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import QWizard

from desktop_app.domain.mapping import MappingRow, default_mapping
from desktop_app.domain.schedule import parse_schedule
from desktop_app.domain.settings import SubscriptionType, SyncSettings
from desktop_app.gui.resources import icon
from desktop_app.gui.wizard import ids
from desktop_app.gui.wizard.mapping_page import MappingPage
from desktop_app.gui.wizard.option_pages import LawfulBasisPage, SubscriptionPage, TopicsPage, UpdateEmptyPage
from desktop_app.gui.wizard.schedule_page import SchedulePage
from desktop_app.gui.wizard.source_pages import ListPage, ModulePage


class SyncWizard(QWizard):
    initiate_requested = Signal()

    def __init__(self, controller, editing=None, parent=None, *, start_id: int = ids.MODULE) -> None:
        super().__init__(parent)
        self.controller = controller
        self.editing = editing  # SyncView when editing
        self.data = None  # WizardData once loaded
        self.setWindowTitle("Edit Sync" if editing else "Add New Sync")
        self.setWindowIcon(icon("app"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Initiate")
        self.setMinimumSize(QSize(820, 560))
        self.initial_list_key = editing.list_key if editing else ""
        self.initial_topic_ids = set(editing.topic_ids) if editing else set()
        self.initial_rows = list(editing.mapping) if editing else list(default_mapping())
        self.module_page = ModulePage()
        self.list_page = ListPage()
        self.subscription_page = SubscriptionPage()
        self.topics_page = TopicsPage()
        self.lawful_page = LawfulBasisPage()
        self.update_empty_page = UpdateEmptyPage()
        self.schedule_page = SchedulePage()
        self.mapping_page = MappingPage()
        for page_id, page in ((ids.MODULE, self.module_page), (ids.LIST, self.list_page),
                              (ids.SUBSCRIPTION, self.subscription_page), (ids.TOPICS, self.topics_page),
                              (ids.LAWFUL_BASIS, self.lawful_page), (ids.UPDATE_EMPTY, self.update_empty_page),
                              (ids.SCHEDULE, self.schedule_page), (ids.MAPPING, self.mapping_page)):
            self.setPage(page_id, page)
        self.setStartId(start_id)  # "Choose another list" opens Edit at the list page
        if editing:
            self.subscription_page.set_value(SubscriptionType(editing.subscription_type))
            self.lawful_page.set_value(editing.lawful_basis)
            self.lawful_page.set_gdpr(editing.gdpr)
            self.update_empty_page.update_empty.setChecked(editing.update_empty)
            self.schedule_page.set_value(parse_schedule(editing.schedule_spec))

    def set_data(self, data) -> None:
        self.data = data

    def settings(self) -> SyncSettings:
        chosen = self.list_page.selected()
        basis_field = self.data is not None and self.data.can_set_lawful_basis
        return SyncSettings(
            list_key=chosen.key if chosen else "", list_name=chosen.name if chosen else "",
            subscription_type=self.subscription_page.value(), topic_ids=self.topics_page.value(),
            lawful_basis=self.lawful_page.value() if basis_field else None,
            gdpr=None if basis_field else self.lawful_page.gdpr_answer(),
            update_empty=self.update_empty_page.update_empty.isChecked(),
            schedule=self.schedule_page.value())

    def rows(self) -> tuple[MappingRow, ...]:
        model = self.mapping_page.model
        return model.rows() if model is not None else tuple(self.initial_rows)

    def accept(self) -> None:  # Initiate: the flow decides when the wizard closes
        self.initiate_requested.emit()

    def finish(self) -> None:
        super().accept()
