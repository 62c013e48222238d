"""The reviewer's day: open a call, walk its segments from the keyboard, correct them, undo,
redo, close and reopen — and the database holds exactly what the user did."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from gui_builders import settle
from reviewer_app.core.storage import LabelStore, load_segments
from reviewer_app.gui.models.segment_model import COLUMNS

FIELDS = ("start", "end", "role", "category", "status", "note")


def stored(window, call_id=None):
    call_id = call_id or window.controller.session.call_id
    return {s.id: {f: getattr(s, f) for f in FIELDS} for s in load_segments(window.engine, call_id)}


def actions(window, call_id=None):
    call_id = call_id or window.controller.session.call_id
    return [e.action for e in LabelStore(window.engine).events(call_id)]


def press(qtbot, window, key, modifier=Qt.KeyboardModifier.NoModifier):
    window.activateWindow()
    target = window.focusWidget() or window
    qtbot.keyClick(target, key, modifier)


def test_open_shows_call_everywhere(qtbot, opened, calls):
    w = opened
    session = w.controller.session
    assert w.segment_model.rowCount() == 3
    assert w.segment_model.columnCount() == len(COLUMNS)
    assert w.calls.audio is not None and w.calls.audio.samples.shape[0] == 2
    assert w.transcript.document().blockCount() == 6
    assert "Agent" in w.transcript.toPlainText()
    qtbot.waitUntil(lambda: w.calls.first_paint_s is not None, timeout=10_000)
    assert w.windowTitle().startswith("call_basic.wav")
    assert w.state.viewport.is_whole and session.call.review_status == "new"
    assert w.act["confirm"].isEnabled()


def test_keyboard_review_writes_each_decision(qtbot, opened):
    w = opened
    ids = [s.id for s in w.controller.session.segments]
    press(qtbot, w, Qt.Key.Key_N)
    assert w.state.selected == ids[0]
    assert w.player.playing and w.player.region == pytest.approx((15.38, 22.38))
    assert w.segment_table.currentIndex().row() == 0
    press(qtbot, w, Qt.Key.Key_C)
    press(qtbot, w, Qt.Key.Key_N)
    assert w.state.selected == ids[1]
    press(qtbot, w, Qt.Key.Key_R)
    press(qtbot, w, Qt.Key.Key_N)
    press(qtbot, w, Qt.Key.Key_9)  # CATEGORIES[8]
    press(qtbot, w, Qt.Key.Key_P)
    assert w.state.selected == ids[1]
    settle(qtbot, w)  # the writes land in the background, in order
    db = stored(w)
    assert db[ids[0]]["status"] == "confirmed"
    assert db[ids[1]]["status"] == "rejected"
    assert db[ids[2]]["category"] == "negative_emotion" and db[ids[2]]["status"] == "edited"
    assert actions(w) == ["confirm", "reject", "edit"]
    assert {e.reviewer for e in LabelStore(w.engine).events(w.controller.session.call_id)} == {"tester"}
    assert w.library_model.call_at(w.library_model.row_of(w.controller.session.call_id)).review_status == "in_review"
    press(qtbot, w, Qt.Key.Key_Z)  # zoom to segment
    assert w.state.viewport.span == pytest.approx(2.2 * 1.5)


def test_every_correction_undoes_and_redoes(qtbot, opened):
    w = opened
    original = stored(w)
    ids = [s.id for s in w.controller.session.segments]
    w.review.ask_category = lambda pos=None: "repetition"
    w.review.ask_note = lambda current: "customer was on hold"

    w.state.select(ids[0])
    w.review.do_confirm()
    w.state.select(ids[1])
    w.review.do_reject()
    w.review.do_note()
    w.state.select(ids[2])
    press(qtbot, w, Qt.Key.Key_5)  # category missing_greeting
    w.signal_view.boundsEdited.emit(ids[0], 15.0, 23.0)  # what a mouse drag of both edges sends
    w.signal_view.spanDrawn.emit(33.0, 35.0, "agent")  # shift-drag: new span, category asked
    settle(qtbot, w)  # selected once stored
    added = w.state.selected
    assert added not in ids
    w.state.select(ids[2])
    press(qtbot, w, Qt.Key.Key_Delete)
    settle(qtbot, w)
    done = stored(w)
    assert ids[2] not in done and done[added]["status"] == "added" and done[added]["category"] == "repetition"
    assert done[ids[0]]["start"] == 15.0 and done[ids[1]]["note"] == "customer was on hold"
    assert w.segment_model.rowCount() == 3
    log = actions(w)
    assert log == ["confirm", "reject", "note", "edit", "edit", "add", "delete"]

    stack = w.controller.undo_group.activeStack()
    assert stack.count() == 7
    for _ in range(7):
        press(qtbot, w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, w)
    back = stored(w)
    assert set(back) == set(original)  # the added one is deleted again, the deleted one restored
    for sid in original:
        assert back[sid] == original[sid], sid
    assert w.segment_model.rowCount() == 3
    for _ in range(7):
        press(qtbot, w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    settle(qtbot, w)
    assert stored(w) == done
    assert stack.index() == 7


def test_undo_after_closing_and_reopening(qtbot, opened, calls):
    w = opened
    sid = w.controller.session.segments[0].id
    w.state.select(sid)
    w.review.do_reject()
    w.act["nudge_end_right"].trigger()
    w.act["nudge_end_right"].trigger()  # two nudges merge into one undo step
    settle(qtbot, w)
    assert stored(w)[sid]["end"] == pytest.approx(22.48)
    with qtbot.waitSignal(w.callReady, timeout=20_000):
        w.open_call(calls["mono"])
    assert w.controller.undo_group.activeStack().count() == 0
    with qtbot.waitSignal(w.callReady, timeout=20_000):
        w.open_call(calls["basic"])
    stack = w.controller.undo_group.activeStack()
    assert stack.count() == 2
    w.act["undo"].trigger()
    settle(qtbot, w)
    assert stored(w, calls["basic"].id)[sid]["end"] == pytest.approx(22.38)
    w.act["undo"].trigger()
    settle(qtbot, w)
    assert stored(w, calls["basic"].id)[sid]["status"] == "predicted"
    w.review.do_mark_reviewed()
    settle(qtbot, w)
    assert w.controller.session.call.review_status == "reviewed"
    assert actions(w)[-1] == "review"


def test_conflict_is_shown_and_the_call_reloaded(qtbot, opened):
    w = opened
    sid = w.controller.session.segments[0].id
    LabelStore(w.engine).reject(sid, "someone_else")
    w.state.select(sid)
    errors = []
    w.controller.error.connect(errors.append)
    w.review.do_confirm()
    settle(qtbot, w)
    assert errors and "someone_else" in errors[0] and "reload" in errors[0]
    assert "someone_else" in w.statusBar().currentMessage()
    assert w.controller.session.get(sid).status == "rejected"  # reloaded, not overwritten
    assert stored(w)[sid]["status"] == "rejected"
    assert w.controller.undo_group.activeStack().count() == 0
    w.review.do_confirm()  # now at the fresh version it works
    settle(qtbot, w)
    assert stored(w)[sid]["status"] == "confirmed"


def test_keyboard_span_with_marks_and_mute(qtbot, opened):
    w = opened
    w.review.ask_category = lambda pos=None: "dead_air"
    w.review.seek(5.0)
    press(qtbot, w, Qt.Key.Key_I)
    w.review.seek(7.5)
    w.act["solo_customer"].trigger()
    press(qtbot, w, Qt.Key.Key_O)
    settle(qtbot, w)
    new = w.controller.session.get(w.state.selected)
    assert (new.start, new.end, new.role, new.status) == (5.0, 7.5, "customer", "added")
    assert w.player.gains() == [1.0, 0.0]  # customer is the left channel of this call
    w.act["solo_customer"].trigger()
    w.act["mute_agent"].trigger()
    assert w.player.gains() == [1.0, 0.0]


def test_close_call_frees_audio_and_keeps_history(qtbot, opened, calls):
    w = opened
    sid = w.controller.session.segments[0].id
    w.state.select(sid)
    w.review.do_confirm()
    w.close_call()  # its write still lands
    assert w.calls.audio is None and w.controller.session is None and w.player.duration == 0
    assert w.segment_model.rowCount() == 0 and not w.act["confirm"].isEnabled()
    w.review.do_next_segment()  # nothing open: nothing happens
    with qtbot.waitSignal(w.callReady, timeout=20_000):
        w.open_call(calls["basic"])
    w.act["undo"].trigger()
    settle(qtbot, w)
    assert stored(w)[sid]["status"] == "predicted"


def test_undo_that_conflicts_reloads_and_clears_history(qtbot, opened):
    w = opened
    sid = w.controller.session.segments[0].id
    w.state.select(sid)
    w.review.do_confirm()
    settle(qtbot, w)
    LabelStore(w.engine).set_note(sid, "someone_else", "I was here")  # another reviewer, meanwhile
    errors = []
    w.controller.error.connect(errors.append)
    w.act["undo"].trigger()
    settle(qtbot, w)
    assert errors and "someone_else" in errors[0]
    qtbot.waitUntil(lambda: w.controller.undo_group.activeStack().count() == 0, timeout=2000)
    assert stored(w)[sid]["status"] == "confirmed" and stored(w)[sid]["note"] == "I was here"
    assert w.controller.session.get(sid).note == "I was here"  # the window shows what is stored


def test_rerun_rules_keeps_human_labels(qtbot, opened):
    """The real rules run again on the stored transcript (no ASR) with a new lexicon."""
    w = opened
    dead_air = next(s.id for s in w.controller.session.segments if s.category == "dead_air")
    w.state.select(dead_air)
    w.review.do_confirm()
    settle(qtbot, w)
    w.settings.lexicon.forbidden = ["much too late"]  # a new phrase, said by the customer at 0:25
    w._set_session_enabled(True)
    assert w.act["rerun_rules"].isEnabled()
    with qtbot.waitSignal(w.redetector.finished, timeout=60_000):
        w.act["rerun_rules"].trigger()
    qtbot.waitUntil(lambda: any("much too late" in s.evidence for s in w.controller.session.segments),
                    timeout=10_000)
    db = stored(w)
    assert db[dead_air]["status"] == "confirmed"  # the reviewer's judgement survives
    assert [s["category"] for s in db.values()].count("dead_air") == 1  # not found twice
    evidence = {s.id: s.evidence for s in load_segments(w.engine, w.controller.session.call_id)}
    assert not any("not my problem" in e for e in evidence.values())  # the old lexicon's finding is gone
    [found] = [sid for sid, e in evidence.items() if "much too late" in e and db[sid]["category"] == "forbidden_phrase"]
    assert 24 < db[found]["start"] < 29  # (the overtalk there quotes the words too)


def test_missing_audio_still_opens_labels_and_transcript(qtbot, window, engine, tmp_path):
    from dataclasses import replace

    from reviewer_app.core.storage import find_call, save_analysis
    from gui_builders import basic_analysis

    moved = replace(basic_analysis(), audio=replace(basic_analysis().audio, path=str(tmp_path / "gone.wav"),
                                                    sha256="0" * 64))
    save_analysis(engine, moved)
    errors = []
    window.controller.error.connect(errors.append)
    with qtbot.waitSignal(window.callReady, timeout=20_000):
        window.open_call(find_call(engine, "0" * 64))
    assert window.calls.audio is None and window.segment_model.rowCount() == 3
    assert "gone.wav" in window.statusBar().currentMessage() and "no such file" in window.statusBar().currentMessage()
    assert "Audio not available" in window.signal_view._message.get_text()
    window.state.select(window.controller.session.segments[0].id)
    window.review.do_confirm()  # reviewing the labels works without the audio
    settle(qtbot, window)
    assert stored(window)[window.controller.session.segments[0].id]["status"] == "confirmed"
