"""Wizard page Map your fields (R15): the grid; Initiate stays disabled while a row is invalid."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWizardPage

from desktop_app.domain.mapping import MappingRow
from desktop_app.gui.mapping_grid import MappingGrid
from desktop_app.gui.mapping_model import MappingModel


class MappingPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Map your fields")
        self.setSubTitle("Choose which Zoho Books field fills which Zoho Campaigns field. Tick New field "
                         "to create a Campaigns field named after the Books field.")
        self.layout_ = QVBoxLayout(self)
        self.placeholder = QLabel("Loading the fields…")
        self.layout_.addWidget(self.placeholder)
        self.model: MappingModel | None = None
        self.grid: MappingGrid | None = None

    def initializePage(self) -> None:
        wizard = self.wizard()
        if self.model is not None or wizard.data is None:
            return
        data = wizard.data
        existing = {" ".join(f.display_name.split()).casefold() for f in data.campaigns_fields}
        rows = [
            # a field created by an earlier Initiate exists now: map to it instead of creating it again
            MappingRow(r.books_key, r.campaigns_field,
                       r.new_field and " ".join(r.campaigns_field.split()).casefold() not in existing,
                       r.locked)
            for r in wizard.initial_rows
        ]
        self.model = MappingModel(data.books_fields, data.campaigns_fields, rows, self)
        self.grid = MappingGrid(self.model, self)
        self.placeholder.hide()
        self.layout_.addWidget(self.grid, 1)
        self.model.problems_changed.connect(self.completeChanged)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.model is not None and self.model.is_valid()
