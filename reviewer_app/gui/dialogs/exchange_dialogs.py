"""File > Export… and File > Import labels…: what to write or read, and where. The window runs the work.

Each dialog only collects a request (`request()`), so the window's handlers and
the tests can run the same export or import without a dialog on screen.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

IMPORT_CHOICES = (
    ("labelstudio", "Label Studio JSON export", "Label Studio export (*.json);;All files (*)"),
    ("audacity", "Audacity label track (.txt, or a folder of them)", "Audacity labels (*.txt);;All files (*)"),
    ("textgrid", "Praat TextGrid (.TextGrid, or a folder of them)", "TextGrid (*.TextGrid *.textgrid);;All files (*)"),
)


@dataclass(frozen=True)
class ExportRequest:
    fmt: str
    folder: str
    only_open_call: bool = False
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ImportRequest:
    fmt: str
    path: str
    call: str | None = None  # apply a single file to this call (id) instead of matching by file name
    reject_missing: bool = True


def _path_row(edit: QLineEdit, *buttons: QPushButton) -> QWidget:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(edit, 1)
    for b in buttons:
        row.addWidget(b)
    return box


def _pick_folder_into(parent: QWidget, edit: QLineEdit, title: str) -> None:
    folder = QFileDialog.getExistingDirectory(parent, title, edit.text())
    if folder:
        edit.setText(folder)


class _RequestDialog(QDialog):
    """A form that collects a request: the subclass fills `form`, then `_finish` adds the error line
    and the buttons; OK is refused with `missing` while `request()` is None."""

    def __init__(self, title: str, height: int, missing: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(640, height)
        self._missing = missing
        self._layout = QVBoxLayout(self)
        self.form = QFormLayout()
        self._layout.addLayout(self.form)

    def _finish(self, ok_text: str) -> None:
        self.error_label = QLabel("")
        self.error_label.setStyleSheet("color: #b00020;")
        self._layout.addWidget(self.error_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self._layout.addWidget(buttons)
        self.format_box.currentIndexChanged.connect(self._format_changed)
        self._format_changed()

    def _format_changed(self, *_args) -> None:
        """Show what the chosen format needs."""

    def request(self):
        raise NotImplementedError

    def accept(self) -> None:
        if self.request() is None:
            self.error_label.setText(self._missing)
            return
        super().accept()


class ExportDialog(_RequestDialog):
    def __init__(self, formats: dict, n_calls: int, open_call: str | None, folder: str = "", parent=None) -> None:
        super().__init__("Export the library", 260, "Choose a folder to export into.", parent)
        form = self.form
        self.format_box = QComboBox()
        for name, (description, _fn) in formats.items():
            self.format_box.addItem(f"{name} — {description}", name)
        form.addRow("Format", self.format_box)
        self.scope_box = QComboBox()
        self.scope_box.addItem(f"The whole library ({n_calls} call{'s' if n_calls != 1 else ''})", False)
        if open_call:
            self.scope_box.addItem(f"Only the open call ({open_call})", True)
        form.addRow("Calls", self.scope_box)
        self.folder_edit = QLineEdit(folder)
        browse = QPushButton("Browse…")
        browse.clicked.connect(lambda: _pick_folder_into(self, self.folder_edit, "Export into folder"))
        form.addRow("Folder", _path_row(self.folder_edit, browse))
        self.prefix_edit = QLineEdit()
        self.prefix_edit.setPlaceholderText('e.g. /data/local-files/?d=  (put before each audio path)')
        self.prefix_label = QLabel("Audio prefix")
        form.addRow(self.prefix_label, self.prefix_edit)
        self.which_box = QComboBox()
        for value, text in (("findings", "findings (what stands after review)"),
                            ("human", "human labels of reviewed calls"), ("predictions", "the detector's predictions")):
            self.which_box.addItem(text, value)
        self.which_label = QLabel("Labels")
        form.addRow(self.which_label, self.which_box)
        self._finish("Export")

    def _format_changed(self, *_args) -> None:
        fmt = self.format_box.currentData()
        for w in (self.prefix_label, self.prefix_edit):
            w.setVisible(fmt == "labelstudio")
        for w in (self.which_label, self.which_box):
            w.setVisible(fmt == "audacity")

    def request(self) -> ExportRequest | None:
        folder = self.folder_edit.text().strip()
        if not folder:
            return None
        fmt = self.format_box.currentData()
        options = {}
        if fmt == "labelstudio" and self.prefix_edit.text().strip():
            options["audio_prefix"] = self.prefix_edit.text().strip()
        if fmt == "audacity":
            options["which"] = self.which_box.currentData()
        return ExportRequest(fmt, folder, bool(self.scope_box.currentData()), options)


class ImportLabelsDialog(_RequestDialog):
    def __init__(self, open_call: tuple[int, str] | None = None, parent=None) -> None:
        super().__init__("Import labels", 250, "Choose a file or folder to import.", parent)
        self._open_call = open_call
        form = self.form
        self.format_box = QComboBox()
        for fmt, text, _filter in IMPORT_CHOICES:
            self.format_box.addItem(text, fmt)
        form.addRow("Format", self.format_box)
        self.path_edit = QLineEdit()
        self.file_button = QPushButton("File…")
        self.folder_button = QPushButton("Folder…")
        self.file_button.clicked.connect(self._pick_file)
        self.folder_button.clicked.connect(
            lambda: _pick_folder_into(self, self.path_edit, "Import labels from folder"))
        form.addRow("From", _path_row(self.path_edit, self.file_button, self.folder_button))
        self.to_open_call = QCheckBox(f"Apply a single file to the open call ({open_call[1]})" if open_call
                                      else "Apply a single file to the open call")
        self.to_open_call.setToolTip("Otherwise each file finds its call by its file name, as exported.")
        form.addRow("", self.to_open_call)
        self.reject_missing = QCheckBox("Reject stored findings the file leaves out")
        self.reject_missing.setChecked(True)
        self.reject_missing.setToolTip("The imported labels are the reviewer's whole judgement of the call.")
        form.addRow("", self.reject_missing)
        self._finish("Import")

    def _format_changed(self, *_args) -> None:
        single_files = self.format_box.currentData() != "labelstudio"
        self.folder_button.setEnabled(single_files)
        self.to_open_call.setEnabled(single_files and self._open_call is not None)
        if not self.to_open_call.isEnabled():
            self.to_open_call.setChecked(False)

    def _pick_file(self) -> None:
        filt = next(f for fmt, _t, f in IMPORT_CHOICES if fmt == self.format_box.currentData())
        path, _ = QFileDialog.getOpenFileName(self, "Import labels from", self.path_edit.text(), filt)
        if path:
            self.path_edit.setText(path)

    def request(self) -> ImportRequest | None:
        path = self.path_edit.text().strip()
        if not path:
            return None
        call = None
        if self.to_open_call.isChecked() and self._open_call is not None and not Path(path).is_dir():
            call = str(self._open_call[0])
        return ImportRequest(self.format_box.currentData(), path, call, self.reject_missing.isChecked())
