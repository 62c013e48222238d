"""Rejected findings on the real window: dimmed everywhere, hidden from the signal views, the overview and the
table by a toggle; a click on a word (or a span) picks a live finding before a rejected one there."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from reviewer_app.core.storage import load_segments
from tests.gui.test_transcript import word_point


def _settle(qtbot, window):
    qtbot.waitUntil(lambda: window.ops.idle, timeout=20_000)


@pytest.fixture
def overlapped(qtbot, opened):
    """The forbidden phrase rejected, and a longer live finding added over it."""
    w = opened
    forbidden = next(s for s in w.controller.session.segments if s.category == "forbidden_phrase")
    w.controller.reject(forbidden.id)
    added = []
    w.controller.add(forbidden.start - 1.0, forbidden.end + 1.0, "negative_emotion", "agent", then=added.append)
    _settle(qtbot, w)
    assert {s.id: s.status for s in load_segments(w.engine, w.controller.session.call_id)}[forbidden.id] == "rejected"
    return w, forbidden, added[0]


def test_a_click_prefers_the_live_finding(qtbot, overlapped):
    w, forbidden, live = overlapped
    t = (forbidden.start + forbidden.end) / 2
    assert w.signal_view.segment_at(None, t).id == live
    index = w.controller.session.index
    number = next(n for n, ref in enumerate(index.words) if forbidden.start <= ref.word.start <= forbidden.end)
    w.state.select(None)
    qtbot.mouseClick(w.transcript.viewport(), Qt.MouseButton.LeftButton, pos=word_point(w.transcript, number))
    assert w.state.selected == live
    assert w.state.playhead == pytest.approx(index.words[number].word.start, abs=1e-6)  # and it still seeks


def test_hide_rejected_toggle(qtbot, overlapped):
    w, forbidden, live = overlapped
    row = w.controller.session.row_of(forbidden.id)
    assert forbidden.id in {s.id for s in w.signal_view._segments} and not w.segment_table.isRowHidden(row)
    w.act["hide_rejected"].trigger()
    assert forbidden.id not in {s.id for s in w.signal_view._segments}
    assert forbidden.id not in {s.id for s in w.overview._segments}
    assert w.segment_table.isRowHidden(row) and not w.segment_table.isRowHidden(w.controller.session.row_of(live))
    w.act["hide_rejected"].trigger()
    assert forbidden.id in {s.id for s in w.signal_view._segments} and not w.segment_table.isRowHidden(row)
