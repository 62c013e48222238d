"""The model lane: a thin strip under the waveforms with the learned model's probability per
category over the visible time, also where the rules decide.

One row per window category, filled up to the probability in the category's colour; a dashed
line at the threshold; a dark outline around the stretches where the model and the rule disagree.
Hover for the category, each side's probability and the disagreement there. It draws the track
stored with the analysis (core/review/model_lane.py slices it); it never runs the model.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from reviewer_app.core.domain import WINDOW_CATEGORIES, ModelTrack
from reviewer_app.core.review.model_lane import LaneSeries, disagreements_in, hover_text, visible_series
from reviewer_app.core.review.viewport import Viewport
from reviewer_app.gui.theme import BACKGROUND, CATEGORY_COLORS, CATEGORY_LABELS, PLOT_FONT_SIZE
from reviewer_app.gui.widgets.signal_view import LEFT_PX, RIGHT_PX

ROW_PX = 10
TOP_PX = 2
MARK_COLOR = "#111111"


class ModelLane(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFixedHeight(TOP_PX * 2 + ROW_PX * len(WINDOW_CATEGORIES) + 2)
        self._track: ModelTrack | None = None
        self._viewport = Viewport.whole(1.0)
        self.drawn: list[LaneSeries] = []  # what the last paint drew, per category (tests read it)
        self.setToolTip("")

    # --- data -----------------------------------------------------------------------

    def set_track(self, track: ModelTrack | None, duration: float) -> None:
        self._track = track
        self._viewport = Viewport.whole(max(float(duration), 1e-3))
        self.setVisible(track is not None)
        self.update()

    def set_viewport(self, viewport: Viewport) -> None:
        self._viewport = viewport
        self.update()

    @property
    def track(self) -> ModelTrack | None:
        return self._track

    # --- geometry -------------------------------------------------------------------

    def _plot_width(self) -> float:
        return max(1.0, self.width() - LEFT_PX - RIGHT_PX)

    def _x(self, t: float) -> float:
        vp = self._viewport
        return LEFT_PX + (t - vp.start) / max(vp.span, 1e-9) * self._plot_width()

    def _time_at(self, x: float) -> float:
        vp = self._viewport
        return vp.start + (x - LEFT_PX) / self._plot_width() * vp.span

    def _row_top(self, row: int) -> float:
        return TOP_PX + row * ROW_PX

    def row_at(self, y: float) -> int | None:
        row = int((y - TOP_PX) // ROW_PX)
        return row if 0 <= row < len(WINDOW_CATEGORIES) else None

    # --- drawing --------------------------------------------------------------------

    def paintEvent(self, _event) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(BACKGROUND))
        track, vp = self._track, self._viewport
        columns = int(self._plot_width())
        self.drawn = [] if track is None else visible_series(track, vp.start, vp.end, columns)
        font = QFont(self.font())
        font.setPointSizeF(PLOT_FONT_SIZE - 3.5)
        p.setFont(font)
        left, right = LEFT_PX, LEFT_PX + self._plot_width()
        for row, series in enumerate(self.drawn):
            top = self._row_top(row)
            colour = QColor(CATEGORY_COLORS[series.category])
            p.setPen(QColor("#666666"))
            p.drawText(QRectF(0, top - 1, left - 6, ROW_PX + 2), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       CATEGORY_LABELS[series.category])
            p.fillRect(QRectF(left, top, right - left, ROW_PX - 1), QColor("#f0f0f0"))
            fill = QColor(colour)
            fill.setAlphaF(0.85)
            for start, end, value in zip(series.starts, series.ends, series.values):
                x0 = max(left, self._x(start))
                x1 = min(right, self._x(end))
                height = float(value) * (ROW_PX - 1)
                if x1 > x0 and height > 0.2:
                    p.fillRect(QRectF(x0, top + ROW_PX - 1 - height, max(1.0, x1 - x0), height), fill)
            y = top + (ROW_PX - 1) * (1 - track.threshold)
            p.setPen(QPen(QColor("#9a9a9a"), 0.5, Qt.PenStyle.DotLine))
            p.drawLine(QPointF(left, y), QPointF(right, y))
            p.setPen(QPen(QColor(MARK_COLOR), 1.0))
            p.setBrush(Qt.BrushStyle.NoBrush)
            for d in disagreements_in(track, series.category, vp.start, vp.end):
                x0, x1 = max(left, self._x(d["start"])), min(right, self._x(d["end"]))
                p.drawRect(QRectF(x0, top, max(2.0, x1 - x0), ROW_PX - 1))
        if track is not None:
            p.setPen(QColor("#c8c8c8"))
            p.drawRect(QRectF(left, TOP_PX, right - left, ROW_PX * len(WINDOW_CATEGORIES) - 1))
            p.setPen(QColor("#333333"))
            font.setBold(True)
            p.setFont(font)
            p.drawText(QRectF(4, TOP_PX - 1, 40, ROW_PX + 2), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       "Model")
        p.end()

    # --- hover ----------------------------------------------------------------------

    def text_at(self, x: float, y: float) -> str:
        row = self.row_at(y)
        if self._track is None or row is None or not LEFT_PX <= x <= LEFT_PX + self._plot_width():
            return ""
        return hover_text(self._track, WINDOW_CATEGORIES[row], self._time_at(x))

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        pos = event.position()
        text = self.text_at(pos.x(), pos.y())
        if text:
            QToolTip.showText(event.globalPosition().toPoint(), text, self)
        else:
            QToolTip.hideText()
