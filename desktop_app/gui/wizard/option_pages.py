"""Wizard pages Subscription type (R10), Topics (R11), Lawful basis (R12), Update empty (R13)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QRadioButton,
    QVBoxLayout,
    QWizardPage,
)

from desktop_app.domain.settings import LawfulBasis, SubscriptionType
from desktop_app.gui.wizard import ids


class SubscriptionPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Subscription type")
        self.setSubTitle("How the synced contacts may be contacted.")
        self.marketing = QRadioButton("&Marketing — contacts receive marketing campaigns")
        self.non_marketing = QRadioButton("&Non-marketing — transactional messages only "
                                          "(do not count towards the plan's contact limit)")
        self.group = QButtonGroup(self)
        self.group.addButton(self.marketing)
        self.group.addButton(self.non_marketing)
        self.marketing.setChecked(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.marketing)
        layout.addWidget(self.non_marketing)
        layout.addStretch(1)

    def value(self) -> SubscriptionType:
        return SubscriptionType.MARKETING if self.marketing.isChecked() else SubscriptionType.NON_MARKETING

    def set_value(self, value: SubscriptionType) -> None:
        (self.marketing if value is SubscriptionType.MARKETING else self.non_marketing).setChecked(True)


class TopicsPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Topics")
        self.setSubTitle("Select the topics to associate with the synced contacts.")
        self.topics = QListWidget()
        self.topics.setSpacing(3)  # rows readable at a glance, not packed edge to edge
        self.topics.setAccessibleName("Topics")
        self.why = QLabel()
        self.why.setWordWrap(True)
        self.why.setObjectName("topicsExplanation")
        layout = QVBoxLayout(self)
        layout.addWidget(self.why)
        layout.addWidget(self.topics, 1)
        self._filled = False

    def initializePage(self) -> None:
        wizard = self.wizard()
        if self._filled or wizard.data is None:
            return
        self._filled = True
        topics = wizard.data.topics
        for t in topics:
            item = QListWidgetItem(t.name)
            item.setData(Qt.ItemDataRole.UserRole, t.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if t.id in wizard.initial_topic_ids
                               else Qt.CheckState.Unchecked)
            self.topics.addItem(item)
        enabled = len(topics) > 1
        self.topics.setEnabled(enabled)
        if enabled:
            self.why.setText("Tick the topics the contacts are interested in (optional).")
        else:
            self.why.setText(f"Topics can be chosen only when your Zoho Campaigns account has more than "
                             f"one topic; it has {len(topics)}. Create topics in Zoho Campaigns to use them.")

    def value(self) -> tuple[str, ...]:
        if not self.topics.isEnabled():
            return ()
        return tuple(self.topics.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.topics.count())
                     if self.topics.item(i).checkState() == Qt.CheckState.Checked)

    def nextId(self) -> int:
        data = self.wizard().data
        return ids.LAWFUL_BASIS if data is not None and data.gdpr_enabled else ids.UPDATE_EMPTY


class LawfulBasisPage(QWizardPage):
    """Shown only when GDPR is on in Zoho Campaigns."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Lawful basis for communication")
        self.setSubTitle("GDPR is on in your Zoho Campaigns account: say why you may contact these people.")
        self.basis = QComboBox()
        self.basis.setAccessibleName("Lawful basis")
        self.basis.addItem("Not specified", None)
        for b in LawfulBasis:
            self.basis.addItem(b.label, b.value)
        form = QFormLayout(self)
        form.addRow("&Lawful basis:", self.basis)

    def value(self) -> LawfulBasis | None:
        data = self.basis.currentData()
        return LawfulBasis(data) if data else None

    def set_value(self, value: str | None) -> None:
        self.basis.setCurrentIndex(max(0, self.basis.findData(value)))


class UpdateEmptyPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Update empty field value")
        self.setSubTitle("What happens when a value is removed in Zoho Books.")
        self.update_empty = QCheckBox("&Update empty field values")
        note = QLabel("On: a value cleared in Zoho Books is cleared in Zoho Campaigns too.\n"
                      "Off: an empty Zoho Books value never overwrites a Zoho Campaigns value.")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.update_empty)
        layout.addWidget(note)
        layout.addStretch(1)
