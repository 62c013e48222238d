"""Pressing C twice before the first confirm has landed writes one audited confirm, not two.

Another connection holds SQLite's write lock (BEGIN IMMEDIATE) so the first confirm waits on the
write lane; the reviewer presses C again (and R then C for the second segment) meanwhile. When
the lock is released, the audit log holds exactly one change per decision and the undo stack
one step per decision.
"""
from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt

from gui_builders import settle
from reviewer_app.core.storage.labels import LabelStore
from reviewer_app.gui.ops import Lane


def status_events(engine, call_id: int, segment_id: int) -> list:
    return [e for e in LabelStore(engine).events(call_id) if e.segment_id == segment_id]


def test_a_second_c_before_the_first_confirm_lands_is_a_no_op(qtbot, opened, engine, db_url):
    w = opened
    call_id = w.controller.session.call_id
    first, second = (s.id for s in w.controller.session.segments[:2])
    holder = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False)
    w.state.select(first)
    w.activateWindow()
    holder.execute("BEGIN IMMEDIATE")  # another process is writing: the window's writes wait
    try:
        qtbot.keyClick(w, Qt.Key.Key_C)
        qtbot.keyClick(w, Qt.Key.Key_C)  # the first has not landed: the segment is still "predicted" in the session
        w.state.select(second)
        qtbot.keyClick(w, Qt.Key.Key_R)
        qtbot.keyClick(w, Qt.Key.Key_C)  # a change of mind is a real second decision
        qtbot.keyClick(w, Qt.Key.Key_C)
        assert w.controller.session.get(first).status == "predicted"  # nothing has landed yet
        assert w.ops.pending(Lane.WRITE) == 3
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    settle(qtbot, w)
    assert [e.action for e in status_events(engine, call_id, first)] == ["confirm"]
    assert [e.action for e in status_events(engine, call_id, second)] == ["reject", "confirm"]
    assert w.controller.session.get(first).status == "confirmed"
    assert w.controller.session.get(second).status == "confirmed"
    assert w.controller.undo_group.activeStack().count() == 3


def test_undo_before_the_confirm_lands_lets_c_confirm_again(qtbot, opened, engine):
    w = opened
    call_id = w.controller.session.call_id
    sid = w.controller.session.segments[0].id
    w.state.select(sid)
    w.review.do_confirm()
    w.act["undo"].trigger()
    w.review.do_confirm()  # the undo is on its way: C is a new decision, not a repeat
    settle(qtbot, w)
    assert [e.action for e in status_events(engine, call_id, sid)] == ["confirm", "undo", "confirm"]
    assert w.controller.session.get(sid).status == "confirmed"
