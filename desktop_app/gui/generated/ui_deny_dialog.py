# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'deny_dialog.ui'
##
## Created by: Qt User Interface Compiler version 6.12.0
##
## WARNING! All changes made in this file will be lost when recompiling UI file!
################################################################################

from PySide6.QtCore import (QCoreApplication, QDate, QDateTime, QLocale,
    QMetaObject, QObject, QPoint, QRect,
    QSize, QTime, QUrl, Qt)
from PySide6.QtGui import (QBrush, QColor, QConicalGradient, QCursor,
    QFont, QFontDatabase, QGradient, QIcon,
    QImage, QKeySequence, QLinearGradient, QPainter,
    QPalette, QPixmap, QRadialGradient, QTransform)
from PySide6.QtWidgets import (QAbstractButton, QApplication, QDialog, QDialogButtonBox,
    QGroupBox, QLabel, QRadioButton, QSizePolicy,
    QSpacerItem, QVBoxLayout, QWidget)

class Ui_DenyDialog(object):
    def setupUi(self, DenyDialog):
        if not DenyDialog.objectName():
            DenyDialog.setObjectName(u"DenyDialog")
        DenyDialog.setMinimumSize(QSize(540, 380))
        self.layout = QVBoxLayout(DenyDialog)
        self.layout.setObjectName(u"layout")
        self.heading = QLabel(DenyDialog)
        self.heading.setObjectName(u"heading")

        self.layout.addWidget(self.heading)

        self.effects = QLabel(DenyDialog)
        self.effects.setObjectName(u"effects")
        self.effects.setWordWrap(True)

        self.layout.addWidget(self.effects)

        self.historyBox = QGroupBox(DenyDialog)
        self.historyBox.setObjectName(u"historyBox")
        self.historyLayout = QVBoxLayout(self.historyBox)
        self.historyLayout.setObjectName(u"historyLayout")
        self.keepHistory = QRadioButton(self.historyBox)
        self.keepHistory.setObjectName(u"keepHistory")
        self.keepHistory.setChecked(True)

        self.historyLayout.addWidget(self.keepHistory)

        self.deleteHistory = QRadioButton(self.historyBox)
        self.deleteHistory.setObjectName(u"deleteHistory")

        self.historyLayout.addWidget(self.deleteHistory)


        self.layout.addWidget(self.historyBox)

        self.spacer = QSpacerItem(20, 10, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Expanding)

        self.layout.addItem(self.spacer)

        self.buttons = QDialogButtonBox(DenyDialog)
        self.buttons.setObjectName(u"buttons")
        self.buttons.setStandardButtons(QDialogButtonBox.Cancel|QDialogButtonBox.Ok)

        self.layout.addWidget(self.buttons)


        self.retranslateUi(DenyDialog)

        QMetaObject.connectSlotsByName(DenyDialog)
    # setupUi

    def retranslateUi(self, DenyDialog):
        DenyDialog.setWindowTitle(QCoreApplication.translate("DenyDialog", u"Disable the Zoho Books integration", None))
        self.heading.setText(QCoreApplication.translate("DenyDialog", u"Disabling this integration will:", None))
        self.effects.setText(QCoreApplication.translate("DenyDialog", u"\u2022 stop the sync schedule;\n"
"\u2022 remove the sync and its field mapping;\n"
"\u2022 revoke and delete the saved Zoho sign-in;\n"
"\u2022 keep every contact already in Zoho Campaigns.", None))
#if QT_CONFIG(accessibility)
        self.effects.setAccessibleName(QCoreApplication.translate("DenyDialog", u"Effects of disabling", None))
#endif // QT_CONFIG(accessibility)
        self.historyBox.setTitle(QCoreApplication.translate("DenyDialog", u"Sync history", None))
        self.keepHistory.setText(QCoreApplication.translate("DenyDialog", u"&Keep the sync history", None))
        self.deleteHistory.setText(QCoreApplication.translate("DenyDialog", u"&Delete the sync history and skipped records", None))
    # retranslateUi

