"""Speech-data quality view: every clip ranked by quality (core.team.quality), its grade and what cost
points; export the list of clean clips. Double-click opens a clip in the window."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
)

from reviewer_app.core.errors import ReviewerError
from reviewer_app.gui.ops import Lane, Ops
from reviewer_app.gui.theme import GRADE_COLORS
from reviewer_app.gui.widgets.tables import read_only_table

COLUMNS = ("#", "Clip", "Grade", "Score", "Seconds", "Noise", "Clipping", "Dropouts", "Silence", "Repetitions",
           "ASR conf.", "What costs points")
GRADES = ("high", "medium", "low")


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%" if x else "0%"


def clip_cells(n: int, c) -> list[str]:
    return [str(n), Path(c.path).name, c.grade, f"{c.score:.0f}", f"{c.duration_s:.1f}", _pct(c.noise_share),
            _pct(c.clipping_share), str(c.dropouts), _pct(c.silence_share), str(c.repetitions),
            "" if c.asr_confidence is None else f"{c.asr_confidence:.2f}", ", ".join(c.reasons) or "clean"]


class QualityDialog(QDialog):
    clipActivated = Signal(int)  # call id

    def __init__(self, engine, ops: Ops, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Speech-data quality")
        self.setModal(False)
        self.resize(1200, 700)
        self.engine, self.ops = engine, ops
        self.clips: list = []
        layout = QVBoxLayout(self)
        intro = QLabel("Clips ranked by quality for ASR training data: noise, clipping and dropouts, silence "
                       "share and repetitions cost points. High-grade clips are clean.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = read_only_table(COLUMNS, row_height=24, select_rows=True)
        self.table.doubleClicked.connect(self._activated)
        layout.addWidget(self.table, 1)
        self.summary = QLabel("Rating the clips…")
        layout.addWidget(self.summary)
        row = QHBoxLayout()
        row.addWidget(QLabel("Export grades:"))
        self.grade_boxes = {}
        for grade in GRADES:
            box = QCheckBox(grade)
            box.setChecked(grade == "high")
            self.grade_boxes[grade] = box
            row.addWidget(box)
        row.addStretch(1)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.export_button = QPushButton("Export clean list…")
        self.export_button.clicked.connect(lambda: self.export())
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        for b in (self.refresh_button, self.export_button, close):
            row.addWidget(b)
        layout.addLayout(row)

    def ask_list_path(self) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the clip list", str(Path.home() / "clean_clips.csv"),
                                              "CSV with figures (*.csv);;One path a line (*.txt)")
        return path or None

    def refresh(self) -> None:
        from reviewer_app.core.team.quality import rank_clips

        engine = self.engine
        self.refresh_button.setEnabled(False)
        self.summary.setStyleSheet("")
        self.summary.setText("Rating the clips…")
        self.ops.query(lambda _c: rank_clips(engine), lane=Lane.TEAM, owner=self, on_success=self.show_clips,
                       on_failure=lambda f: self._error(f.message),
                       on_done=lambda: self.refresh_button.setEnabled(True))

    def _error(self, message: str) -> None:
        self.summary.setStyleSheet("color: #b00020; font-weight: bold;")
        self.summary.setText(message)

    def show_clips(self, clips: list) -> None:
        self.clips = list(clips)
        self.table.setRowCount(len(self.clips))
        for r, clip in enumerate(self.clips):
            for c, text in enumerate(clip_cells(r + 1, clip)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, clip.call_id)
                if 3 <= c <= 10 or c == 0:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if c == 2:
                    item.setForeground(QBrush(QColor(GRADE_COLORS.get(clip.grade, "#000000"))))
                if c == 1:
                    item.setToolTip(clip.path)
                self.table.setItem(r, c, item)
        counts = {g: sum(1 for c in self.clips if c.grade == g) for g in GRADES}
        self.summary.setStyleSheet("")
        self.summary.setText(f"{len(self.clips)} clip(s): " + ", ".join(f"{n} {g}" for g, n in counts.items()))

    def chosen_grades(self) -> list[str]:
        return [g for g, box in self.grade_boxes.items() if box.isChecked()]

    def export(self, path: str | None = None) -> str | None:
        from reviewer_app.core.team.quality import write_clip_list

        grades = self.chosen_grades()
        if not grades:
            self._error("Tick at least one grade to export.")
            return None
        path = path or self.ask_list_path()
        if not path:
            return None
        try:
            written = write_clip_list(self.clips, path, grades)
        except (OSError, ReviewerError) as exc:
            self._error(f"{path}: cannot write the list ({exc})")
            return None
        n = sum(1 for c in self.clips if c.grade in grades)
        self.summary.setStyleSheet("")
        self.summary.setText(f"Wrote {n} {'/'.join(grades)} clip(s) of {len(self.clips)} to {written}")
        return str(written)

    def _activated(self, index) -> None:
        call_id = self.table.item(index.row(), 0).data(Qt.ItemDataRole.UserRole)
        if call_id is not None:
            self.clipActivated.emit(int(call_id))
