# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'org_chooser.ui'
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
    QLabel, QListWidget, QListWidgetItem, QSizePolicy,
    QVBoxLayout, QWidget)

class Ui_OrgChooser(object):
    def setupUi(self, OrgChooser):
        if not OrgChooser.objectName():
            OrgChooser.setObjectName(u"OrgChooser")
        OrgChooser.setMinimumSize(QSize(460, 300))
        self.layout = QVBoxLayout(OrgChooser)
        self.layout.setObjectName(u"layout")
        self.intro = QLabel(OrgChooser)
        self.intro.setObjectName(u"intro")
        self.intro.setWordWrap(True)

        self.layout.addWidget(self.intro)

        self.organizations = QListWidget(OrgChooser)
        self.organizations.setObjectName(u"organizations")

        self.layout.addWidget(self.organizations)

        self.details = QLabel(OrgChooser)
        self.details.setObjectName(u"details")
        self.details.setWordWrap(True)

        self.layout.addWidget(self.details)

        self.buttons = QDialogButtonBox(OrgChooser)
        self.buttons.setObjectName(u"buttons")
        self.buttons.setStandardButtons(QDialogButtonBox.Cancel|QDialogButtonBox.Ok)

        self.layout.addWidget(self.buttons)


        self.retranslateUi(OrgChooser)

        QMetaObject.connectSlotsByName(OrgChooser)
    # setupUi

    def retranslateUi(self, OrgChooser):
        OrgChooser.setWindowTitle(QCoreApplication.translate("OrgChooser", u"Choose the Zoho Books organization", None))
        self.intro.setText(QCoreApplication.translate("OrgChooser", u"Choose the Zoho Books organization whose customers you want to sync as contacts.", None))
#if QT_CONFIG(accessibility)
        self.organizations.setAccessibleName(QCoreApplication.translate("OrgChooser", u"Organizations", None))
#endif // QT_CONFIG(accessibility)
    # retranslateUi

