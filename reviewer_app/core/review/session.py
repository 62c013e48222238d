"""One call under review: its stored analysis, its live segments with their versions,
and every label write, made at once through LabelStore in the reviewer's name.

Plain Python, no Qt: the GUI's controller wraps the commands in QUndoCommands
and turns the session's changes into signals.
"""
from __future__ import annotations

import bisect
from dataclasses import replace

from sqlalchemy import Engine

from reviewer_app.core.domain import CallAnalysis
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.review.commands import Command
from reviewer_app.core.review.transcript import TranscriptIndex, edited_turn
from reviewer_app.core.storage import repository
from reviewer_app.core.storage.labels import LabelStore
from reviewer_app.core.storage.repository import CallSummary, StoredSegment

class ReviewSession:
    def __init__(self, engine: Engine, call: CallSummary, reviewer: str,
                 store: LabelStore | None = None) -> None:
        self.engine = engine
        self.call = call
        self.reviewer = reviewer
        self.store = store or LabelStore(engine)
        analysis = repository.load_analysis(engine, call.sha256)
        if analysis is None:
            raise ReviewerError(f"{call.path}: not in the database any more (sha256 {call.sha256[:12]}…)")
        self.analysis: CallAnalysis = analysis
        self.index = TranscriptIndex(analysis.transcript)
        self.segments: list[StoredSegment] = []
        self.refresh()

    @property
    def call_id(self) -> int:
        return self.call.id

    # --- reading ---------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the segments and the call summary from the database."""
        self.segments = repository.load_segments(self.engine, self.call.id)
        self.refresh_call()

    def refresh_call(self) -> None:
        """Reload the call's summary (review status, problem counts) after a change."""
        summary = repository.find_call(self.engine, self.call.sha256)
        if summary is not None:
            self.call = summary

    def get(self, segment_id: int | None) -> StoredSegment | None:
        if segment_id is None:
            return None
        return next((s for s in self.segments if s.id == segment_id), None)

    def require(self, segment_id: int | None) -> StoredSegment:
        seg = self.get(segment_id)
        if seg is None:
            raise ReviewerError(f"segment {segment_id} is not in this call any more (deleted?); reload")
        return seg

    def row_of(self, segment_id: int | None) -> int:
        return next((i for i, s in enumerate(self.segments) if s.id == segment_id), -1)

    def next_id(self, current: int | None, t: float = 0.0) -> int | None:
        """The segment after `current` (or the first starting at/after `t` when none)."""
        if not self.segments:
            return None
        row = self.row_of(current)
        if row >= 0:
            return self.segments[min(row + 1, len(self.segments) - 1)].id
        starts = [s.start for s in self.segments]
        i = bisect.bisect_left(starts, t)
        return self.segments[min(i, len(self.segments) - 1)].id

    def previous_id(self, current: int | None, t: float = 0.0) -> int | None:
        if not self.segments:
            return None
        row = self.row_of(current)
        if row >= 0:
            return self.segments[max(row - 1, 0)].id
        starts = [s.start for s in self.segments]
        i = bisect.bisect_left(starts, t) - 1
        return self.segments[max(i, 0)].id

    def segments_between(self, t0: float, t1: float) -> list[StoredSegment]:
        return [s for s in self.segments if s.end >= t0 and s.start <= t1]

    # --- writing ---------------------------------------------------------------

    def run(self, command: Command) -> Command:
        command.do(self)
        return command

    def updated(self, seg: StoredSegment) -> None:
        """Put a freshly written segment in place, keeping the list sorted by start."""
        rest = [s for s in self.segments if s.id != seg.id]
        rest.append(seg)
        rest.sort(key=lambda s: (s.start, s.id))
        self.segments = rest

    def removed(self, segment_id: int) -> None:
        self.segments = [s for s in self.segments if s.id != segment_id]

    def mark_reviewed(self) -> None:
        self.store.mark_reviewed(self.call.id, self.reviewer)
        self.refresh()

    def write_turn_text(self, turn_index: int, text: str, *, expected_text: str | None,
                        action: str = "turn_edit") -> None:
        turn = self.analysis.transcript[turn_index]
        new = edited_turn(turn, text)
        self.store.edit_turn_text(self.call.id, turn_index, new.text, list(new.words), self.reviewer,
                                  expected_text=expected_text, action=action)
        transcript = list(self.analysis.transcript)
        transcript[turn_index] = new
        self.analysis = replace(self.analysis, transcript=transcript)
        self.index = TranscriptIndex(transcript)
