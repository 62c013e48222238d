"""Who is reviewing: the name every label change is written in.

On first start (no settings file yet) the window asks for it, with the OS
user name as the default, and keeps it in the settings file. The status bar
shows it; a click on it changes it. `reviewer-app gui --reviewer NAME`
overrides it for that run (the file is left as it is). The dialog is opened
window-modal with `open()`: nothing waits on it. In a blind calibration review the
status bar shows the name that review is recorded under (`act_as`), and a click
says so instead of changing the settings' name.
"""
from __future__ import annotations

import getpass
import os

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QInputDialog, QLabel, QLineEdit

from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.settings import save_settings
from reviewer_app.gui.context import WindowContext


def os_user_name() -> str:
    try:
        return getpass.getuser() or "reviewer"
    except (KeyError, OSError):
        return os.environ.get("USER") or os.environ.get("USERNAME") or "reviewer"


class _Clicks(QObject):
    def __init__(self, feature: "ReviewerName") -> None:
        super().__init__(feature)
        self.feature = feature

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            self.feature.ask_reviewer_name()
            return True
        return False


class ReviewerName(QObject):
    """The reviewer's name in the status bar (`label`), and the dialog that changes it; given the
    window (the dialog's parent), the context and the database's name to show beside it."""

    def __init__(self, window, ctx: WindowContext, db_label: str = "") -> None:
        super().__init__(window)
        self.window, self.ctx, self._db_label = window, ctx, db_label
        self.reviewer_dialog: QInputDialog | None = None
        self.acting_as: str | None = None  # a blind calibration review's reviewer, shown in place of the settings'
        self.label = QLabel()
        self.label.setCursor(Qt.CursorShape.PointingHandCursor)
        self.label.setToolTip("The name your label changes are recorded under: click to change it")
        self._clicks = _Clicks(self)
        self.label.installEventFilter(self._clicks)
        self.update_reviewer_label()

    def update_reviewer_label(self) -> None:
        if self.acting_as:
            self.label.setText(f"Reviewer: {self.acting_as} (blind calibration review)  ·  {self._db_label}")
        else:
            self.label.setText(f"Reviewer: {self.ctx.settings.reviewer.name}  ·  {self._db_label}")

    def act_as(self, name: str | None) -> None:
        """Show `name` as the reviewer while a blind calibration review records under it; None: the settings'."""
        self.acting_as = name or None
        self.update_reviewer_label()

    def ask_reviewer_name(self, first_start: bool = False) -> QInputDialog | None:
        if self.acting_as and not first_start:
            self.ctx.show_info(f"This blind calibration review is recorded as {self.acting_as}: leave it to "
                               "change your reviewer name.")
            return None
        if self.reviewer_dialog is not None:
            self.reviewer_dialog.close()
        dialog = QInputDialog(self.window)
        dialog.setObjectName("reviewer_name")
        dialog.setWindowTitle("Who is reviewing?")
        dialog.setLabelText(("Welcome. " if first_start else "")
                            + "Your name, as your label changes will be recorded under it:")
        dialog.setInputMode(QInputDialog.InputMode.TextInput)
        dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
        dialog.setTextValue(os_user_name() if first_start else self.ctx.settings.reviewer.name)
        dialog.textValueSelected.connect(self.set_reviewer_name)
        dialog.open()
        self.reviewer_dialog = dialog
        return dialog

    def set_reviewer_name(self, name: str) -> None:
        name = " ".join(str(name).split())
        if not name:
            self.ctx.show_error("The reviewer name cannot be empty; it was not changed.")
            return
        self.ctx.settings.reviewer.name = name
        try:
            save_settings(self.ctx.settings, self.ctx.settings_path)
        except (OSError, ReviewerError) as exc:
            self.ctx.show_error(f"Reviewer name set for this session, but not saved: {exc}")
        self.update_reviewer_label()
        self.ctx.show_info(f"Reviewing as {name}.")
