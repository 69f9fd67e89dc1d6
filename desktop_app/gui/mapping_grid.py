"""The Map-your-fields grid widget: a QTableView on ``MappingModel`` with combo editors, a remove
button per row and "Map more fields"."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.gui.mapping_model import BOOKS, CAMPAIGNS, NEW, REMOVE, STATUS, MappingModel
from desktop_app.gui.resources import icon


class FieldComboDelegate(QStyledItemDelegate):
    """A combo of Books fields (by key) or Campaigns fields (by display name)."""

    def createEditor(self, parent, option, index):
        model: MappingModel = index.model()
        combo = QComboBox(parent)
        if index.column() == BOOKS:
            combo.setAccessibleName("Zoho Books field")
            for f in model.books_fields:
                combo.addItem(f.label, f.key)
        else:
            combo.setAccessibleName("Zoho Campaigns field")
            for f in model.campaigns_fields:
                combo.addItem(f.display_name, f.display_name)
        combo.activated.connect(lambda _=0, c=combo: self.commitData.emit(c))
        return combo

    def setEditorData(self, editor: QComboBox, index) -> None:
        found = editor.findData(index.data(Qt.ItemDataRole.EditRole))
        editor.setCurrentIndex(max(found, 0) if found >= 0 else -1)

    def setModelData(self, editor: QComboBox, model, index) -> None:
        if editor.currentIndex() >= 0:
            model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)


class MappingGrid(QWidget):
    def __init__(self, model: MappingModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.view = QTableView(self)
        self.view.setObjectName("mappingTable")
        self.view.setAccessibleName("Field mapping")
        self.view.setModel(model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.view.verticalHeader().setVisible(False)
        self.view.setWordWrap(True)
        delegate = FieldComboDelegate(self.view)
        self.view.setItemDelegateForColumn(BOOKS, delegate)
        self.view.setItemDelegateForColumn(CAMPAIGNS, delegate)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(BOOKS, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(CAMPAIGNS, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(NEW, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(STATUS, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(REMOVE, QHeaderView.ResizeMode.Fixed)
        self.view.setColumnWidth(BOOKS, 210)
        self.view.setColumnWidth(CAMPAIGNS, 210)
        self.view.setColumnWidth(REMOVE, 36)

        self.add_button = QPushButton(icon("add"), "&Map more fields", self)
        self.add_button.setObjectName("mapMoreFields")
        self.add_button.clicked.connect(self._add)
        self.summary = QLabel(self)
        self.summary.setObjectName("mappingSummary")
        self.summary.setWordWrap(True)

        bottom = QHBoxLayout()
        bottom.addWidget(self.add_button)
        bottom.addWidget(self.summary, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(bottom)

        model.modelReset.connect(self._install_remove_buttons)
        model.rowsInserted.connect(self._install_remove_buttons)
        model.rowsRemoved.connect(self._install_remove_buttons)
        model.problems_changed.connect(self._update_summary)
        self._install_remove_buttons()
        self._update_summary()

    def remove_button(self, row: int) -> QToolButton:
        return self.view.indexWidget(self.model.index(row, REMOVE))

    def _add(self) -> None:
        row = self.model.add_row()
        self.view.setCurrentIndex(self.model.index(row, CAMPAIGNS))
        self.view.scrollToBottom()

    def _install_remove_buttons(self, *_: object) -> None:
        for r, row in enumerate(self.model.rows()):
            button = QToolButton(self.view)
            button.setIcon(icon("lock" if row.locked else "remove"))
            button.setAutoRaise(True)
            button.setEnabled(not row.locked)
            name = self.model.books_label(row.books_key) or f"row {r + 1}"
            button.setAccessibleName(f"Remove the {name} row")
            button.setToolTip("This row cannot be removed." if row.locked else "Remove this row")
            button.clicked.connect(lambda _=False, b=button: self._remove(b))
            self.view.setIndexWidget(self.model.index(r, REMOVE), button)
        self.view.resizeRowsToContents()

    def _remove(self, button: QToolButton) -> None:
        for r in range(self.model.rowCount()):
            if self.view.indexWidget(self.model.index(r, REMOVE)) is button:
                self.model.remove_row(r)
                return

    def _update_summary(self) -> None:
        problems = self.model.problems()
        if problems:
            self.summary.setText(f"{len(problems)} row(s) need attention before you can initiate the sync.")
        else:
            self.summary.setText("All rows are ready.")
        self.view.resizeRowsToContents()

    def current_row(self) -> int:
        index: QModelIndex = self.view.currentIndex()
        return index.row() if index.isValid() else -1
