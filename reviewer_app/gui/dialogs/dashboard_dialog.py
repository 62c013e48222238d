"""The agent dashboard window: who handled each call (file-name pattern or metadata CSV), a table per
agent, the score trend and the habits plots, and Save PDF.

The figures come from core.team.agents (built on the team lane); the plots are
drawn by core.reports.charts on the GUI thread, and the PDF on the drawing lane
(matplotlib's object API on Agg; the window installed the reports' style at
start, so drawing a report changes nothing global).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
)

from reviewer_app.core.settings import Settings
from reviewer_app.core.team.metadata import PATTERN_PRESETS
from reviewer_app.gui.ops import Lane, Ops
from reviewer_app.gui.theme import GRADE_COLORS
from reviewer_app.gui.widgets.dashboard_charts import ChartCanvas, draw_habits, draw_trend
from reviewer_app.gui.widgets.tables import read_only_table

DEFAULT_PATTERN = r"(?P<date>\d{4}-\d{2}-\d{2})_(?P<team>[A-Za-z]+)_(?P<agent>[A-Za-z]+)_"
COLUMNS = ("Agent", "Team", "Calls", "Mean score", "Change", "Talk share", "Speech rate", "Dead air", "Overtalk",
           "Problems / call")


def _pct(x: float | None) -> str:
    return "" if x is None else f"{100 * x:.0f}%" if x >= 0.1 else f"{100 * x:.1f}%"


def agent_rows(board) -> list[list[str]]:
    rows = []
    for a in board.agents:
        rate, unit = a.speech_rate
        change = a.score_change
        rows.append([a.agent, a.team or "", str(a.n_calls), f"{a.mean_score:.1f}",
                     "" if change is None else f"{change:+.1f}", _pct(a.talk_share),
                     "" if rate is None else f"{rate:.0f} {unit}", _pct(a.dead_air_share), _pct(a.overtalk_share),
                     f"{a.problems_per_call:.1f}"])
    return rows


class DashboardDialog(QDialog):
    pdfWritten = Signal(str)  # the PDF's path

    def __init__(self, engine, settings: Settings, ops: Ops, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Agent dashboard")
        self.setModal(False)
        self.resize(1280, 900)
        self.engine, self.settings, self.ops = engine, settings, ops
        self.board = None
        layout = QVBoxLayout(self)

        source = QHBoxLayout()
        source.addWidget(QLabel("Agents from:"))
        self.use_pattern = QRadioButton("file-name pattern")
        self.use_pattern.setChecked(True)
        self.pattern_edit = QLineEdit(DEFAULT_PATTERN)
        self.pattern_edit.setToolTip("A regular expression searched in each call's path, with a named group "
                                     "(?P<agent>…) and optional (?P<team>…) and (?P<date>…)")
        self.presets = QComboBox()
        self.presets.addItem("Presets…")
        self.presets.addItems(list(PATTERN_PRESETS))
        self.presets.setToolTip("Common ways call files name their agent")
        self.presets.activated.connect(self._preset)
        self.use_csv = QRadioButton("metadata CSV")
        self.csv_edit = QLineEdit()
        self.csv_edit.setPlaceholderText("CSV with agent, team, date and sha256 or path columns")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_csv)
        self.show_button = QPushButton("Show")
        self.show_button.setDefault(True)
        self.show_button.clicked.connect(self.refresh)
        self.pdf_button = QPushButton("Save PDF…")
        self.pdf_button.clicked.connect(lambda: self.save_pdf())
        self.pdf_button.setEnabled(False)
        for w, stretch in ((self.use_pattern, 0), (self.pattern_edit, 3), (self.presets, 0), (self.use_csv, 0),
                           (self.csv_edit, 2),
                           (browse, 0), (self.show_button, 0), (self.pdf_button, 0)):
            source.addWidget(w, stretch)
        layout.addLayout(source)
        self.pattern_edit.textEdited.connect(lambda _t: self.use_pattern.setChecked(True))
        self.csv_edit.textEdited.connect(lambda _t: self.use_csv.setChecked(True))
        self.pattern_edit.returnPressed.connect(self.refresh)

        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)

        self.table = read_only_table(COLUMNS, row_height=24)
        self.trend = ChartCanvas(4.2)
        self.habits = ChartCanvas(7.5)
        overview = QSplitter(Qt.Orientation.Vertical)
        overview.addWidget(self.table)
        overview.addWidget(self.trend)
        overview.setSizes([220, 520])
        for canvas in (self.trend, self.habits):
            canvas.figure.text(0.5, 0.5, "Choose how agents are found (a file-name pattern or a CSV), then Show.",
                               ha="center", va="center", color="#777777", fontsize=11)
        self.tabs = QTabWidget()
        self.tabs.addTab(overview, "Agents and score trend")
        self.tabs.addTab(self.habits, "Problems, talk and pace")
        layout.addWidget(self.tabs, 1)

    # --- prompts (tests replace this) --------------------------------------------------------

    def ask_pdf_path(self) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the dashboard as PDF", str(Path.home() / "dashboard.pdf"),
                                              "PDF (*.pdf)")
        return path or None

    def _preset(self, index: int) -> None:
        if index > 0:
            self.pattern_edit.setText(PATTERN_PRESETS[self.presets.itemText(index)])
            self.use_pattern.setChecked(True)
            self.refresh()

    def _browse_csv(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Call metadata CSV", self.csv_edit.text(),
                                              "CSV (*.csv);;All files (*)")
        if path:
            self.csv_edit.setText(path)
            self.use_csv.setChecked(True)

    # --- data ------------------------------------------------------------------------------------

    def refresh(self) -> None:
        from reviewer_app.core.team.agents import build_dashboard, load_metadata

        pattern = self.pattern_edit.text().strip() if self.use_pattern.isChecked() else None
        csv_path = self.csv_edit.text().strip() if self.use_csv.isChecked() else None
        if not pattern and not csv_path:
            self._error("Give a file-name pattern with (?P<agent>…) or a metadata CSV.")
            return
        engine, settings = self.engine, self.settings

        def build(_cancel):
            meta = load_metadata(engine, pattern=pattern, csv_path=csv_path)
            return build_dashboard(engine, meta, settings)

        self.show_button.setEnabled(False)
        self.status.setStyleSheet("")
        self.status.setText("Reading the library…")
        self.ops.query(build, lane=Lane.TEAM, owner=self, on_success=self.show_board,
                       on_failure=lambda f: self._error(f.message),
                       on_done=lambda: self.show_button.setEnabled(True))

    def _error(self, message: str) -> None:
        self.status.setStyleSheet("color: #b00020; font-weight: bold;")
        self.status.setText(message)

    def show_board(self, board) -> None:
        self.board = board
        left_out = f"; {len(board.unassigned)} call(s) without an agent left out" if board.unassigned else ""
        if not board.agents:
            self.pdf_button.setEnabled(False)
            example = f" (for example {Path(board.unassigned[0].path).name})" if board.unassigned else ""
            how = "the CSV names none of the stored calls" if self.use_csv.isChecked() else \
                f"no stored call's path matches the pattern{example}"
            self._error(f"Nothing to show: {how}, so no call has an agent{left_out}. Choose a preset that fits "
                        "your file names, or a metadata CSV with agent and sha256 or path columns.")
            self.table.setRowCount(0)
            for canvas in (self.trend, self.habits):
                canvas.figure.clear()
                canvas.draw_idle()
            return
        span = board.date_range
        when = f", {span[0]:%Y-%m-%d} to {span[1]:%Y-%m-%d}" if span else ""
        self.status.setStyleSheet("")
        self.status.setText(f"{len(board.agents)} agent(s), {len(board.calls)} call(s){when}{left_out}.")
        rows = agent_rows(board)
        self.table.setRowCount(len(rows))
        for r, (agent, row) in enumerate(zip(board.agents, rows)):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if c == 3:
                    grade = ("high" if agent.mean_score >= self.settings.score.high_min else
                             "medium" if agent.mean_score >= self.settings.score.medium_min else "low")
                    item.setForeground(QBrush(QColor(GRADE_COLORS[grade])))
                self.table.setItem(r, c, item)
        draw_trend(self.trend, board, self.settings)
        draw_habits(self.habits, board, self.settings)
        self.pdf_button.setEnabled(True)

    def save_pdf(self, path: str | None = None) -> bool:
        """Draw the dashboard's PDF on the drawing lane; the status says it is being written, then
        where it went (pdfWritten) or why it could not be (naming the file)."""
        if self.board is None or not self.board.agents:
            return False
        path = path or self.ask_pdf_path()
        if not path:
            return False
        from reviewer_app.core.reports.dashboard import write_dashboard_pdf

        board, settings = self.board, self.settings

        def written(pdf) -> None:
            self.status.setStyleSheet("")
            self.status.setText(f"Wrote {pdf}")
            self.pdfWritten.emit(str(pdf))

        self.pdf_button.setEnabled(False)
        self.status.setStyleSheet("")
        self.status.setText(f"Writing {Path(path).name}…")
        self.ops.run(lambda _c: write_dashboard_pdf(board, path, settings), lane=Lane.DRAWING, owner=self,
                     on_success=written, on_failure=lambda f: self._error(f"{path}: cannot write the PDF ({f})"),
                     on_done=lambda: self.pdf_button.setEnabled(self.board is not None and bool(self.board.agents)))
        return True
