# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'disclaimer.ui'
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
    QLabel, QSizePolicy, QSpacerItem, QVBoxLayout,
    QWidget)

class Ui_Disclaimer(object):
    def setupUi(self, Disclaimer):
        if not Disclaimer.objectName():
            Disclaimer.setObjectName(u"Disclaimer")
        Disclaimer.setMinimumSize(QSize(520, 260))
        self.layout = QVBoxLayout(Disclaimer)
        self.layout.setObjectName(u"layout")
        self.heading = QLabel(Disclaimer)
        self.heading.setObjectName(u"heading")

        self.layout.addWidget(self.heading)

        self.summary = QLabel(Disclaimer)
        self.summary.setObjectName(u"summary")
        self.summary.setWordWrap(True)

        self.layout.addWidget(self.summary)

        self.body = QLabel(Disclaimer)
        self.body.setObjectName(u"body")
        self.body.setWordWrap(True)

        self.layout.addWidget(self.body)

        self.spacer = QSpacerItem(20, 10, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Expanding)

        self.layout.addItem(self.spacer)

        self.buttons = QDialogButtonBox(Disclaimer)
        self.buttons.setObjectName(u"buttons")
        self.buttons.setStandardButtons(QDialogButtonBox.Cancel|QDialogButtonBox.Ok)

        self.layout.addWidget(self.buttons)


        self.retranslateUi(Disclaimer)

        QMetaObject.connectSlotsByName(Disclaimer)
    # setupUi

    def retranslateUi(self, Disclaimer):
        Disclaimer.setWindowTitle(QCoreApplication.translate("Disclaimer", u"Disclaimer about auto-upgrade", None))
        self.heading.setText(QCoreApplication.translate("Disclaimer", u"Disclaimer about auto-upgrade", None))
#if QT_CONFIG(accessibility)
        self.summary.setAccessibleName(QCoreApplication.translate("Disclaimer", u"Contacts that would be added", None))
#endif // QT_CONFIG(accessibility)
        self.body.setText(QCoreApplication.translate("Disclaimer", u"If the number of contacts in your Zoho Campaigns account exceeds the contact limit of your plan, your plan may be upgraded automatically to the next edition. Non-marketing contacts do not count towards the limit.", None))
    # retranslateUi

