"""The library panel: filterable, sortable table of stored calls, import progress and failures."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.gui.models.library_model import CALL_ROLE, COLUMNS, LibraryFilter, LibraryModel


class LibraryPanel(QWidget):
    callActivated = Signal(object)  # CallSummary
    cancelRequested = Signal()

    def __init__(self, model: LibraryModel, parent=None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = LibraryFilter(self)
        self.proxy.setSourceModel(model)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)

        top = QHBoxLayout()
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter: file, grade or problem (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.proxy.set_text)
        self.status_combo = QComboBox()
        for label, value in (("All", ""), ("New", "new"), ("In review", "in_review"), ("Reviewed", "reviewed")):
            self.status_combo.addItem(label, value)
        self.status_combo.currentIndexChanged.connect(
            lambda _i: self.proxy.set_status(self.status_combo.currentData()))
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.status_combo)
        layout.addLayout(top)

        self.import_row = QHBoxLayout()
        layout.addLayout(self.import_row)

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COLUMNS.index("Analysed"), Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 96)  # the file name (its full path on hover): room for status, score, grade
        header.setStretchLastSection(True)
        self.table.activated.connect(self._activated)
        self.table.doubleClicked.connect(self._activated)
        layout.addWidget(self.table, 1)

        self.progress_label = QLabel("")
        self.progress_label.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.file_progress = QProgressBar()
        self.file_progress.setRange(0, 1000)
        self.file_progress.setFormat("this file %p%")
        self.cancel_button = QPushButton("Cancel import")
        self.cancel_button.clicked.connect(self.cancelRequested)
        for w in (self.progress_label, self.progress, self.file_progress, self.cancel_button):
            layout.addWidget(w)
        self.failures_label = QLabel("Failed files:")
        self.failures_label.setStyleSheet("color: #b00020; font-weight: bold;")
        self.failures = QListWidget()
        self.failures.setMaximumHeight(110)
        self.failures.setWordWrap(True)
        layout.addWidget(self.failures_label)
        layout.addWidget(self.failures)
        self.set_importing(False)
        self.failures_label.hide()
        self.failures.hide()

    def add_import_action(self, action) -> None:
        button = QToolButton()
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.import_row.addWidget(button)

    def finish_import_row(self) -> None:
        self.import_row.addStretch(1)

    def _activated(self, index) -> None:
        call = self.proxy.index(index.row(), 0).data(CALL_ROLE)
        if call is not None:
            self.callActivated.emit(call)

    def select_call(self, call_id: int) -> None:
        row = self.model.row_of(call_id)
        if row >= 0:
            index = self.proxy.mapFromSource(self.model.index(row, 0))
            if index.isValid():
                self.table.selectRow(index.row())

    # --- import progress ---------------------------------------------------------------

    def set_importing(self, on: bool) -> None:
        for w in (self.progress_label, self.progress, self.file_progress, self.cancel_button):
            w.setVisible(on)
        if on:
            self.progress.setValue(0)
            self.file_progress.setValue(0)

    def show_progress(self, file_index: int, n_files: int, file_fraction: float, message: str) -> None:
        self.progress.setFormat(f"file {min(file_index + 1, n_files)} of {n_files}")
        self.progress.setValue(int(1000 * (file_index + file_fraction) / max(1, n_files)))
        self.file_progress.setValue(int(1000 * file_fraction))
        self.progress_label.setText(message)

    def show_failures(self, lines: list[str]) -> None:
        self.failures.clear()
        self.failures.addItems(lines)
        self.failures_label.setVisible(bool(lines))
        self.failures.setVisible(bool(lines))
