"""The one shared review state: selected segment, playhead, visible window.

Views never call each other: the table, the signal views and the transcript
each set and follow this object's values through its signals.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from reviewer_app.core.review.viewport import Viewport


class ReviewState(QObject):
    segmentSelected = Signal(int)  # segment id, -1 for none
    playheadMoved = Signal(float)  # seconds
    viewportChanged = Signal(object)  # Viewport

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._segment: int | None = None
        self._playhead = 0.0
        self._viewport: Viewport | None = None
        self.hide_rejected = False  # Hide rejected findings: the views leave them out

    @property
    def selected(self) -> int | None:
        return self._segment

    @property
    def playhead(self) -> float:
        return self._playhead

    @property
    def viewport(self) -> Viewport | None:
        return self._viewport

    def select(self, segment_id: int | None) -> None:
        segment_id = None if segment_id is None or segment_id < 0 else int(segment_id)
        if segment_id != self._segment:
            self._segment = segment_id
            self.segmentSelected.emit(-1 if segment_id is None else segment_id)

    def set_playhead(self, t: float) -> None:
        if t != self._playhead:
            self._playhead = float(t)
            self.playheadMoved.emit(self._playhead)

    def set_viewport(self, viewport: Viewport | None) -> None:
        if viewport != self._viewport:
            self._viewport = viewport
            if viewport is not None:
                self.viewportChanged.emit(viewport)

    def reset(self, duration: float | None) -> None:
        """A new call: nothing selected, playhead at 0, the whole call in view."""
        self.select(None)
        self.set_playhead(0.0)
        self._viewport = None
        if duration and duration > 0:
            self.set_viewport(Viewport.whole(duration))
