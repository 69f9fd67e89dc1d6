"""The Map-your-fields grid as a table model (R15): Books field → Campaigns field, New field,
the row's problem (from the domain's ``validate_mapping``), and a remove column."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import QModelIndex, Qt, Signal

from desktop_app.domain.mapping import (
    BooksField,
    CampaignsField,
    MappingRow,
    RowProblem,
    default_mapping,
    new_field_name,
    validate_mapping,
)
from desktop_app.gui.resources import icon
from desktop_app.gui.table_model import Index, ListTableModel

BOOKS, CAMPAIGNS, NEW, STATUS, REMOVE = range(5)
HEADERS = ("Zoho Books field", "Zoho Campaigns field", "New field", "Status", "")


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


class MappingModel(ListTableModel):
    problems_changed = Signal()
    headers = HEADERS

    def __init__(self, books_fields: Sequence[BooksField], campaigns_fields: Sequence[CampaignsField],
                 rows: Sequence[MappingRow] | None = None, parent=None) -> None:
        super().__init__(parent)
        self.books_fields = list(books_fields)
        self.campaigns_fields = list(campaigns_fields)
        self._books = {f.key: f for f in self.books_fields}
        self._campaigns = {_norm(f.display_name) for f in self.campaigns_fields}
        self._items: list[MappingRow] = list(rows if rows is not None else default_mapping())
        self._problems: dict[int, str] = {}
        self._revalidate(emit=False)

    # ------------------------------------------------------------------ public API

    def rows(self) -> tuple[MappingRow, ...]:
        return tuple(self._items)

    def problems(self) -> list[RowProblem]:
        return [RowProblem(i, m) for i, m in sorted(self._problems.items())]

    def is_valid(self) -> bool:
        return not self._problems

    def books_label(self, key: str) -> str:
        field = self._books.get(key)
        return field.label if field else key

    def new_field_allowed(self, row: int) -> bool:
        """New field is offered only when no Campaigns field has the Books field's name."""
        r = self._items[row]
        field = self._books.get(r.books_key)
        if field is None or r.locked:
            return False
        return _norm(new_field_name(field)) not in self._campaigns and _norm(field.label) not in self._campaigns

    def add_row(self) -> int:
        used = {r.books_key for r in self._items}
        key = next((f.key for f in self.books_fields if f.key not in used), "")
        at = len(self._items)
        self.beginInsertRows(QModelIndex(), at, at)
        self._items.append(MappingRow(key, ""))
        self.endInsertRows()
        self._revalidate()
        return at

    def remove_row(self, row: int) -> bool:
        if not 0 <= row < len(self._items) or self._items[row].locked:
            return False
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._items[row]
        self.endRemoveRows()
        self._revalidate()
        return True

    def set_rows(self, rows: Sequence[MappingRow]) -> None:
        self.beginResetModel()
        self._items = list(rows)
        self.endResetModel()
        self._revalidate()

    # ------------------------------------------------------------------ Qt model

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not self.valid_row(index):
            return None
        row, col = self._items[index.row()], index.column()
        problem = self._problems.get(index.row())
        display = role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole)
        if col == BOOKS:
            if display:
                return self.books_label(row.books_key) if row.books_key else "Choose a Books field"
            if role == Qt.ItemDataRole.EditRole:
                return row.books_key
            if role == Qt.ItemDataRole.DecorationRole and row.locked:
                return icon("lock")
            if role == Qt.ItemDataRole.ToolTipRole and row.locked:
                return "Email → Contact Email is mandatory and cannot be changed or removed."
        elif col == CAMPAIGNS:
            if display:
                return row.campaigns_field or "Choose a Campaigns field"
            if role == Qt.ItemDataRole.EditRole:
                return row.campaigns_field
            if role == Qt.ItemDataRole.ToolTipRole and row.new_field:
                return "Created in Zoho Campaigns at Initiate, named after the Books field."
        elif col == NEW:
            if role == Qt.ItemDataRole.CheckStateRole:
                return Qt.CheckState.Checked if row.new_field else Qt.CheckState.Unchecked
            if role == Qt.ItemDataRole.AccessibleTextRole:
                return "New field" + (" (ticked)" if row.new_field else "")
            if role == Qt.ItemDataRole.ToolTipRole and not self.new_field_allowed(index.row()):
                return "A Zoho Campaigns field with this name already exists; map to it instead."
        elif col == STATUS:
            if display or role == Qt.ItemDataRole.ToolTipRole:
                return problem or "Ready"
            if role == Qt.ItemDataRole.DecorationRole and problem:
                return icon("warning")
        elif col == REMOVE and role == Qt.ItemDataRole.ToolTipRole:
            return "This row cannot be removed." if row.locked else "Remove this row"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        row = self._items[index.row()]
        if row.locked:
            return base
        col = index.column()
        if col == BOOKS or (col == CAMPAIGNS and not row.new_field):
            return base | Qt.ItemFlag.ItemIsEditable
        if col == NEW:
            flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable
            if self.new_field_allowed(index.row()) or row.new_field:
                flags |= Qt.ItemFlag.ItemIsEnabled
            return flags
        return base

    def setData(self, index: Index, value, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or not (self.flags(index) & Qt.ItemFlag.ItemIsEnabled):
            return False
        r, col = index.row(), index.column()
        row = self._items[r]
        if row.locked:
            return False
        if col == BOOKS and role == Qt.ItemDataRole.EditRole:
            key = str(value)
            if key not in self._books:
                return False
            row = replace(row, books_key=key)
            if row.new_field:  # the new field follows the Books field's name
                row = replace(row, campaigns_field=new_field_name(self._books[key]))
                if not self._allowed_for(key):
                    row = replace(row, new_field=False)
        elif col == CAMPAIGNS and role == Qt.ItemDataRole.EditRole and not row.new_field:
            row = replace(row, campaigns_field=str(value))
        elif col == NEW and role == Qt.ItemDataRole.CheckStateRole:
            ticked = Qt.CheckState(value) == Qt.CheckState.Checked  # views pass 0/2 as int
            if ticked and not self.new_field_allowed(r):
                return False
            field = self._books.get(row.books_key)
            name = new_field_name(field) if (ticked and field) else ("" if row.new_field else row.campaigns_field)
            row = replace(row, new_field=ticked, campaigns_field=name)
        else:
            return False
        self._items[r] = row
        self.dataChanged.emit(self.index(r, 0), self.index(r, len(HEADERS) - 1))
        self._revalidate()
        return True

    # ------------------------------------------------------------------ internals

    def _allowed_for(self, key: str) -> bool:
        field = self._books[key]
        return _norm(new_field_name(field)) not in self._campaigns and _norm(field.label) not in self._campaigns

    def _revalidate(self, emit: bool = True) -> None:
        found = validate_mapping(self._items, self.books_fields, self.campaigns_fields)
        problems: dict[int, str] = {}
        for p in found:
            problems.setdefault(p.row, p.message)
        changed = problems != self._problems
        self._problems = problems
        if emit and changed and self._items:
            self.dataChanged.emit(self.index(0, STATUS), self.index(len(self._items) - 1, STATUS))
        if emit:
            self.problems_changed.emit()
