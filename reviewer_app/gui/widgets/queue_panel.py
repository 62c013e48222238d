"""The review queue panel: what to review next (core.team.queue), by strategy; double-click opens the call
at the segment. The list is read on the team lane; the panel only shows it and reports the pick."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.core.review.viewport import mmss
from reviewer_app.gui.theme import CATEGORY_LABELS
from reviewer_app.gui.widgets.tables import read_only_table

STRATEGY_HELP = {
    "mixed": "disagreements, then uncertain findings, then the lowest scores",
    "disagreement": "rule vs model, or words inside dead air",
    "uncertain": "findings with a score closest to 0.5",
    "lowest": "the calls with the lowest scores",
    "random": "a random sample of calls (seeded)",
}
COLUMNS = ("#", "File", "Category", "When", "Why")
ITEM_ROLE = Qt.ItemDataRole.UserRole + 1


class ReviewQueuePanel(QWidget):
    refreshRequested = Signal(str, int, int)  # strategy, limit, seed
    itemActivated = Signal(object)  # core.team.queue.QueueItem

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        from reviewer_app.core.team.queue import STRATEGIES

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        self.strategy_box = QComboBox()
        for s in STRATEGIES:
            self.strategy_box.addItem(s, s)
            self.strategy_box.setItemData(self.strategy_box.count() - 1, STRATEGY_HELP.get(s, ""),
                                          Qt.ItemDataRole.ToolTipRole)
        self.limit_box = QSpinBox()
        self.limit_box.setRange(1, 500)
        self.limit_box.setValue(20)
        self.limit_box.setPrefix("limit ")
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, 1_000_000)
        self.seed_box.setPrefix("seed ")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.request_refresh)
        self.strategy_box.currentIndexChanged.connect(self._strategy_changed)
        for w in (self.strategy_box, self.limit_box, self.seed_box, self.refresh_button):
            row.addWidget(w)
        row.addStretch(1)
        layout.addLayout(row)
        self.help_label = QLabel("")
        self.help_label.setWordWrap(True)
        self.help_label.setStyleSheet("color: #666;")
        layout.addWidget(self.help_label)
        self.table = read_only_table(COLUMNS, row_height=24, select_rows=True,
                                     selection_mode=QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.doubleClicked.connect(self._activated)
        self.table.activated.connect(self._activated)
        layout.addWidget(self.table, 1)
        self.status = QLabel("Double-click an entry to open the call at that segment.")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self._strategy_changed()

    def _strategy_changed(self, *_args) -> None:
        strategy = self.strategy_box.currentData()
        self.seed_box.setVisible(strategy == "random")
        self.help_label.setText(STRATEGY_HELP.get(strategy, ""))

    def request_refresh(self) -> None:
        self.status.setText("Reading the library…")
        self.refresh_button.setEnabled(False)
        self.refreshRequested.emit(self.strategy_box.currentData(), self.limit_box.value(), self.seed_box.value())

    def set_items(self, items: list) -> None:
        self.refresh_button.setEnabled(True)
        self.table.setRowCount(len(items))
        for r, item in enumerate(items):
            when = "" if item.start is None else f"{mmss(item.start, 1)}–{mmss(item.end, 1)}"
            category = CATEGORY_LABELS.get(item.category, item.category) if item.category else "(whole call)"
            for c, text in enumerate((str(r + 1), Path(item.path).name, category, when, item.reason)):
                cell = QTableWidgetItem(text)
                cell.setData(ITEM_ROLE, item)
                cell.setToolTip(f"{item.path}\n{item.reason}")
                self.table.setItem(r, c, cell)
        self.status.setStyleSheet("")
        self.status.setText(f"{len(items)} to review. Double-click one to open it." if items else
                            "Nothing to review: every call is marked reviewed.")

    def show_error(self, message: str) -> None:
        self.refresh_button.setEnabled(True)
        self.status.setStyleSheet("color: #b00020;")
        self.status.setText(message)

    def item_at(self, row: int):
        cell = self.table.item(row, 0)
        return cell.data(ITEM_ROLE) if cell is not None else None

    def _activated(self, index) -> None:
        item = self.item_at(index.row())
        if item is not None:
            self.itemActivated.emit(item)
