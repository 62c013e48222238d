"""The learned model's view of the open call: the model lane under the waveforms and, under the
segment table, the selected finding's details (why the model flagged it, any disagreement).

The track comes with the call's stored analysis (the session loads it; the model is never run
here). The lane follows the shared viewport; the details pane follows the selection.
"""
from __future__ import annotations

from PySide6.QtCore import QObject

from reviewer_app.gui.context import WindowViews
from reviewer_app.gui.widgets.finding_details import FindingDetails
from reviewer_app.gui.widgets.model_lane import ModelLane


def _insert_after(anchor, widget) -> None:
    """Put `widget` right after `anchor` in the layout that holds it."""
    layout = anchor.parentWidget().layout()
    layout.insertWidget(layout.indexOf(anchor) + 1, widget)


class ModelView(QObject):
    def __init__(self, calls, state, controller, views: WindowViews, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.calls, self.state, self.controller = calls, state, controller
        self.lane = ModelLane()
        self.lane.setVisible(False)
        self.details = FindingDetails()
        _insert_after(views.signal_view, self.lane)
        _insert_after(views.segment_table, self.details)
        calls.opening.connect(self.forget)
        calls.sessionShown.connect(self.show_call)
        state.viewportChanged.connect(self.lane.set_viewport)
        state.segmentSelected.connect(self.show_selected)
        controller.segmentsChanged.connect(lambda _change: self.show_selected(self.state.selected))

    def forget(self) -> None:
        self.lane.set_track(None, 1.0)
        self.details.show_segment(None)

    def show_call(self) -> None:
        session = self.controller.session
        if session is None:
            return
        analysis = session.analysis
        self.lane.set_track(analysis.model_track, analysis.audio.duration_s)
        if self.state.viewport is not None:
            self.lane.set_viewport(self.state.viewport)
        self.show_selected(self.state.selected)

    def show_selected(self, segment_id: int | None) -> None:
        session = self.controller.session
        seg = session.get(segment_id) if session is not None and segment_id is not None and segment_id >= 0 else None
        self.details.show_segment(seg)
