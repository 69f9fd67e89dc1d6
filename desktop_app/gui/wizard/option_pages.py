"""Wizard pages Subscription type (R10), Topics (R11), Lawful basis (R12), Update empty (R13).

Subscription type and lawful basis can be set only as the account's own consent fields (issue 9):
without a Subscription Type field, Non-marketing is disabled and the page says why; without a
Lawful Basis field, the page asks whether GDPR compliance is on instead of offering the bases.
"""

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
    QWidget,
    QWizardPage,
)

from desktop_app.domain.settings import (
    GDPR_QUESTION,
    NO_LAWFUL_BASIS_FIELD,
    NO_SUBSCRIPTION_FIELD,
    LawfulBasis,
    SubscriptionType,
)


def _note(name: str) -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setObjectName(name)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


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
        self.note = _note("subscriptionNote")
        self.note.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.marketing)
        layout.addWidget(self.non_marketing)
        layout.addSpacing(12)
        layout.addWidget(self.note)
        layout.addStretch(1)

    def initializePage(self) -> None:
        data = self.wizard().data
        settable = data is None or data.can_set_subscription
        self.non_marketing.setEnabled(settable)
        self.note.setVisible(not settable)
        if not settable:
            self.note.setText(NO_SUBSCRIPTION_FIELD)
            self.marketing.setChecked(True)

    def value(self) -> SubscriptionType:
        if self.non_marketing.isChecked() and self.non_marketing.isEnabled():
            return SubscriptionType.NON_MARKETING
        return SubscriptionType.MARKETING

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


class LawfulBasisPage(QWizardPage):
    """The bases when the account has a Lawful Basis field (GDPR on); else the GDPR question."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Lawful basis for communication")
        self.basis_box = QWidget()
        self.basis = QComboBox()
        self.basis.setAccessibleName("Lawful basis")
        self.basis.addItem("Not specified", None)
        for b in LawfulBasis:
            self.basis.addItem(b.label, b.value)
        form = QFormLayout(self.basis_box)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Lawful basis:", self.basis)

        self.gdpr_box = QWidget()
        self.question = QLabel(GDPR_QUESTION)
        self.question.setObjectName("gdprQuestion")
        self.question.setWordWrap(True)
        self.gdpr_yes = QRadioButton("&Yes, GDPR compliance is on")
        self.gdpr_no = QRadioButton("N&o, it is off")
        self.gdpr_group = QButtonGroup(self)
        self.gdpr_group.addButton(self.gdpr_yes)
        self.gdpr_group.addButton(self.gdpr_no)
        self.gdpr_group.buttonToggled.connect(lambda *_: self.completeChanged.emit())
        self.note = _note("lawfulBasisNote")
        self.note.setText(NO_LAWFUL_BASIS_FIELD)
        box = QVBoxLayout(self.gdpr_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.question)
        box.addWidget(self.gdpr_yes)
        box.addWidget(self.gdpr_no)
        box.addSpacing(12)
        box.addWidget(self.note)

        layout = QVBoxLayout(self)
        layout.addWidget(self.basis_box)
        layout.addWidget(self.gdpr_box)
        layout.addStretch(1)
        self.asking = False
        self._show(asking=False)

    def _show(self, *, asking: bool) -> None:
        self.asking = asking
        self.basis_box.setVisible(not asking)
        self.gdpr_box.setVisible(asking)
        if asking:
            self.setTitle("GDPR")
            self.setSubTitle("Zoho's API does not say whether GDPR compliance is on in your account.")
        else:
            self.setTitle("Lawful basis for communication")
            self.setSubTitle("GDPR is on in your Zoho Campaigns account: say why you may contact these "
                             "people.")

    def initializePage(self) -> None:
        data = self.wizard().data
        self._show(asking=data is not None and not data.can_set_lawful_basis)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return not self.asking or self.gdpr_answer() is not None

    def value(self) -> LawfulBasis | None:
        if self.asking:
            return None
        data = self.basis.currentData()
        return LawfulBasis(data) if data else None

    def set_value(self, value: str | None) -> None:
        self.basis.setCurrentIndex(max(0, self.basis.findData(value)))

    def gdpr_answer(self) -> bool | None:
        """The answer to the GDPR question (None: not answered, or not asked)."""
        if not self.asking:
            return None
        return True if self.gdpr_yes.isChecked() else False if self.gdpr_no.isChecked() else None

    def set_gdpr(self, value: bool | None) -> None:
        if value is not None:
            (self.gdpr_yes if value else self.gdpr_no).setChecked(True)


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
