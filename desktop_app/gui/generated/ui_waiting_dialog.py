# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'waiting_dialog.ui'
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
    QLabel, QProgressBar, QSizePolicy, QVBoxLayout,
    QWidget)

class Ui_WaitingDialog(object):
    def setupUi(self, WaitingDialog):
        if not WaitingDialog.objectName():
            WaitingDialog.setObjectName(u"WaitingDialog")
        WaitingDialog.setMinimumSize(QSize(440, 160))
        self.layout = QVBoxLayout(WaitingDialog)
        self.layout.setObjectName(u"layout")
        self.message = QLabel(WaitingDialog)
        self.message.setObjectName(u"message")
        self.message.setWordWrap(True)

        self.layout.addWidget(self.message)

        self.busy = QProgressBar(WaitingDialog)
        self.busy.setObjectName(u"busy")
        self.busy.setMaximum(0)
        self.busy.setTextVisible(False)

        self.layout.addWidget(self.busy)

        self.buttons = QDialogButtonBox(WaitingDialog)
        self.buttons.setObjectName(u"buttons")
        self.buttons.setStandardButtons(QDialogButtonBox.Cancel)

        self.layout.addWidget(self.buttons)


        self.retranslateUi(WaitingDialog)

        QMetaObject.connectSlotsByName(WaitingDialog)
    # setupUi

    def retranslateUi(self, WaitingDialog):
        WaitingDialog.setWindowTitle(QCoreApplication.translate("WaitingDialog", u"Waiting for Zoho sign-in", None))
        self.message.setText(QCoreApplication.translate("WaitingDialog", u"Your web browser has opened the Zoho sign-in page. Sign in there and approve access; this window closes by itself when you are done.", None))
#if QT_CONFIG(accessibility)
        self.busy.setAccessibleName(QCoreApplication.translate("WaitingDialog", u"Waiting", None))
#endif // QT_CONFIG(accessibility)
    # retranslateUi

