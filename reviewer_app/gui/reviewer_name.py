"""Who is reviewing: the name every label change is written in.

On first start (no settings file yet) the window asks for it, with the OS
user name as the default, and keeps it in the settings file. The status bar
shows it; a click on it changes it. `reviewer-app gui --reviewer NAME`
overrides it for that run (the file is left as it is). The dialog is opened
window-modal with `open()`: nothing waits on it.
"""
from __future__ import annotations

import getpass
import os

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QInputDialog, QLineEdit

from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.settings import save_settings


def os_user_name() -> str:
    try:
        return getpass.getuser() or "reviewer"
    except (KeyError, OSError):
        return os.environ.get("USER") or os.environ.get("USERNAME") or "reviewer"


class _Clicks(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            self.window.ask_reviewer_name()
            return True
        return False


class ReviewerNameActions:
    """MainWindow's part for the reviewer name (a mixin, like ReviewActions)."""

    def _build_reviewer(self) -> None:
        self.reviewer_dialog: QInputDialog | None = None
        self.reviewer_label.setCursor(Qt.CursorShape.PointingHandCursor)
        self.reviewer_label.setToolTip("The name your label changes are recorded under: click to change it")
        self._reviewer_clicks = _Clicks(self)
        self.reviewer_label.installEventFilter(self._reviewer_clicks)

    def ask_reviewer_name(self, first_start: bool = False) -> QInputDialog:
        if self.reviewer_dialog is not None:
            self.reviewer_dialog.close()
        dialog = QInputDialog(self)
        dialog.setObjectName("reviewer_name")
        dialog.setWindowTitle("Who is reviewing?")
        dialog.setLabelText(("Welcome. " if first_start else "")
                            + "Your name, as your label changes will be recorded under it:")
        dialog.setInputMode(QInputDialog.InputMode.TextInput)
        dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
        dialog.setTextValue(os_user_name() if first_start else self.settings.reviewer.name)
        dialog.textValueSelected.connect(self.set_reviewer_name)
        dialog.open()
        self.reviewer_dialog = dialog
        return dialog

    def set_reviewer_name(self, name: str) -> None:
        name = " ".join(str(name).split())
        if not name:
            self.show_error("The reviewer name cannot be empty; it was not changed.")
            return
        self.settings.reviewer.name = name
        try:
            save_settings(self.settings, self.settings_path)
        except (OSError, ReviewerError) as exc:
            self.show_error(f"Reviewer name set for this session, but not saved: {exc}")
        self.update_reviewer_label()
        self.show_info(f"Reviewing as {name}.")
