"""The mapping grid's model and view: refusals shown on the row, New field rules, locked Email row."""

from __future__ import annotations

from PySide6.QtCore import Qt

from desktop_app.domain.mapping import (
    BOOKS_STANDARD_FIELDS,
    CAMPAIGNS_STANDARD_FIELDS,
    MappingRow,
    default_mapping,
    validate_mapping,
)
from desktop_app.gui.mapping_grid import MappingGrid
from desktop_app.gui.mapping_model import BOOKS, CAMPAIGNS, NEW, STATUS, MappingModel


def make_model(rows=None) -> MappingModel:
    return MappingModel(BOOKS_STANDARD_FIELDS, CAMPAIGNS_STANDARD_FIELDS, rows)


def test_model_passes_qt_model_tester(qapp, qtmodeltester):
    model = make_model()
    model.add_row()
    qtmodeltester.check(model)


def test_default_rows_are_valid_and_email_is_locked():
    model = make_model()
    assert model.is_valid()
    assert model.rows() == default_mapping()
    email = model.index(0, BOOKS)
    assert not (model.flags(email) & Qt.ItemFlag.ItemIsEditable)
    assert not model.setData(model.index(0, CAMPAIGNS), "First Name")
    assert not model.remove_row(0)
    assert model.rows()[0].locked


def test_a_campaigns_field_mapped_twice_is_refused_on_the_row():
    model = make_model()
    row = model.add_row()
    assert model.setData(model.index(row, BOOKS), "contact_name")
    assert model.setData(model.index(row, CAMPAIGNS), "First Name")
    assert not model.is_valid()
    status = model.data(model.index(row, STATUS))
    assert "already mapped on row 2" in status
    assert model.data(model.index(1, STATUS)) == "Ready"


def test_incompatible_types_are_refused_with_the_reason():
    # an Integer Campaigns field cannot take a Books text value
    from desktop_app.domain.mapping import CampaignsField, FieldType

    fields = (*CAMPAIGNS_STANDARD_FIELDS, CampaignsField("Score", "score", FieldType.INTEGER, custom=True))
    model = MappingModel(BOOKS_STANDARD_FIELDS, fields)
    row = model.add_row()
    model.setData(model.index(row, BOOKS), "company_name")
    model.setData(model.index(row, CAMPAIGNS), "Score")
    assert "cannot go into “Score”" in model.data(model.index(row, STATUS))


def test_new_field_only_when_no_same_named_campaigns_field():
    model = make_model()
    row = model.add_row()
    model.setData(model.index(row, BOOKS), "company_name")  # Campaigns has "Company Name"
    assert not model.new_field_allowed(row)
    assert not (model.flags(model.index(row, NEW)) & Qt.ItemFlag.ItemIsEnabled)
    assert not model.setData(model.index(row, NEW), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    model.setData(model.index(row, BOOKS), "billing_address.city")  # "BillingCity" does not exist
    assert model.new_field_allowed(row)
    # the view passes a plain int (2) when it toggles the check box
    assert model.setData(model.index(row, NEW), 2, Qt.ItemDataRole.CheckStateRole)
    assert model.rows()[row] == MappingRow("billing_address.city", "BillingCity", new_field=True)
    assert model.is_valid()
    assert not (model.flags(model.index(row, CAMPAIGNS)) & Qt.ItemFlag.ItemIsEditable)
    # the new field's name follows the Books field
    model.setData(model.index(row, BOOKS), "billing_address.zip")
    assert model.rows()[row].campaigns_field == "BillingZip"


def test_unknown_target_asks_to_tick_new_field():
    model = make_model([*default_mapping(), MappingRow("website", "Site Address")])
    assert "tick New field" in model.data(model.index(3, STATUS))


def test_model_problems_match_the_domain():
    rows = [*default_mapping(), MappingRow("mobile", "Last Name")]
    model = make_model(rows)
    assert model.problems() == validate_mapping(rows, BOOKS_STANDARD_FIELDS, CAMPAIGNS_STANDARD_FIELDS)


def test_grid_adds_and_removes_rows_with_buttons(qtbot):
    model = make_model()
    grid = MappingGrid(model)
    qtbot.addWidget(grid)
    qtbot.mouseClick(grid.add_button, Qt.MouseButton.LeftButton)
    assert model.rowCount() == 4
    assert "need attention" in grid.summary.text()
    assert not grid.remove_button(0).isEnabled()
    qtbot.mouseClick(grid.remove_button(3), Qt.MouseButton.LeftButton)
    assert model.rowCount() == 3
    assert grid.summary.text() == "All rows are ready."


def test_grid_combo_editor_commits_a_books_field(qtbot):
    model = make_model()
    grid = MappingGrid(model)
    qtbot.addWidget(grid)
    grid.show()
    index = model.index(1, BOOKS)
    grid.view.setCurrentIndex(index)
    grid.view.edit(index)
    from PySide6.QtWidgets import QComboBox

    combo = grid.view.findChild(QComboBox)
    assert combo is not None and combo.accessibleName() == "Zoho Books field"
    combo.setCurrentIndex(combo.findData("contact_name"))
    combo.activated.emit(combo.currentIndex())
    assert model.rows()[1].books_key == "contact_name"
