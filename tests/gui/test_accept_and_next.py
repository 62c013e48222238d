"""Faster review on the real window and database: C / R decide and move on to the next finding (and play
it); a setting turns that off; N / P bring any finding whole into view with a margin."""
from __future__ import annotations

from PySide6.QtCore import Qt

from reviewer_app.core.storage import find_call, load_segments


def _press(qtbot, window, key):
    window.activateWindow()
    qtbot.keyClick(window.focusWidget() or window, key)


def _settle(qtbot, window):
    qtbot.waitUntil(lambda: window.ops.idle, timeout=20_000)


def _status(window):
    return {s.id: s.status for s in load_segments(window.engine, window.controller.session.call_id)}


def test_confirm_and_reject_move_on_and_play_the_next(qtbot, opened):
    w = opened
    w.settings.reviewer.advance_after_decision = True
    ids = [s.id for s in w.controller.session.segments]
    _press(qtbot, w, Qt.Key.Key_N)
    assert w.state.selected == ids[0]
    _press(qtbot, w, Qt.Key.Key_C)
    assert w.state.selected == ids[1]
    if w.calls.audio is not None:
        seg = w.controller.session.get(ids[1])
        assert w.player.playing and w.player.region[0] == seg.start
    _press(qtbot, w, Qt.Key.Key_R)
    assert w.state.selected == ids[2]
    _settle(qtbot, w)
    assert _status(w)[ids[0]] == "confirmed" and _status(w)[ids[1]] == "rejected"
    call = find_call(w.engine, w.controller.session.call.sha256)
    assert call.score_source == "reviewed"  # the score of record follows the decisions
    _press(qtbot, w, Qt.Key.Key_R)  # the last one: decided, the selection stays
    assert w.state.selected == ids[2]
    _settle(qtbot, w)
    assert _status(w)[ids[2]] == "rejected"


def test_the_setting_turns_it_off(qtbot, opened):
    w = opened
    ids = [s.id for s in w.controller.session.segments]
    w.state.select(ids[0])
    _press(qtbot, w, Qt.Key.Key_C)
    assert w.state.selected == ids[0]
    _settle(qtbot, w)
    assert _status(w)[ids[0]] == "confirmed"


def test_next_and_previous_fit_the_finding_in_view(qtbot, opened):
    w = opened
    segs = w.controller.session.segments
    w.state.set_viewport(w.state.viewport.set(0.0, 2.0))  # zoomed far in, away from every finding
    for i, seg in enumerate(segs):
        _press(qtbot, w, Qt.Key.Key_N)
        vp = w.state.viewport
        assert w.state.selected == seg.id
        assert vp.start < seg.start and seg.end < vp.end, (i, vp, seg)  # whole, with a margin
        assert seg.end - seg.start >= 0.03 * vp.span  # and not too thin to judge
    w.state.set_viewport(w.state.viewport.whole_call())
    _press(qtbot, w, Qt.Key.Key_P)
    seg = w.controller.session.get(w.state.selected)
    vp = w.state.viewport
    assert vp.start < seg.start and seg.end < vp.end


def test_the_score_of_record_uses_the_window_s_weights(qtbot, opened):
    """A custom weight in the settings is the one the stored score of record is computed with."""
    w = opened
    w.settings.score.weights["forbidden_phrase"] = 40.0
    with qtbot.waitSignal(w.callReady, timeout=20_000):
        w.open_call(find_call(w.engine, w.library_model.call_at(0).sha256))
    dead = next(s for s in w.controller.session.segments if s.category == "dead_air")
    w.controller.reject(dead.id)
    _settle(qtbot, w)
    call = find_call(w.engine, w.controller.session.call.sha256)
    assert call.deductions.get("forbidden_phrase") == 25  # 40 × score, capped at max_per_category
