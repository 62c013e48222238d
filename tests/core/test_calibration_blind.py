"""A blind calibration review with the window's own review commands: they write the reviewer's
calibration decisions, never the labels of record, and undo works as in a normal review."""
from __future__ import annotations

import pytest

from reviewer_app.core.calibration.blind_session import ADDED_ID_BASE, BlindReviewSession
from reviewer_app.core.calibration.sessions import blind_view, create_session, load_session, submit
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.review import changes
from reviewer_app.core.review.commands import Add, Delete, Edit, SetNote, SetStatus
from reviewer_app.core.storage.repository import find_call
from tests.core.test_calibration_cli import demo_analysis, library, record_state  # noqa: F401  (fixture)


def test_window_commands_write_the_calibration_review(library):
    db, engine, support, good = library
    session_id = create_session(engine, [support, good], ["ana", "bob"], "lea")
    before = record_state(engine)
    call = find_call(engine, demo_analysis("demo_support_call").audio.sha256)
    blind = BlindReviewSession(engine, call, "ana", session_id)
    f1, f2, f3, f4, f5 = [s.id for s in blind.segments]
    assert {s.status for s in blind.segments} == {"predicted"} and {s.score for s in blind.segments} == {1.0}

    confirm = SetStatus(f1, "confirmed")
    change = changes.apply(blind, confirm)
    assert [(s.id, s.status, s.reviewer) for s in change.changed] == [(f1, "confirmed", "ana")]
    changes.apply(blind, SetStatus(f5, "rejected"))
    move = Edit(f3, {"start": 29.2, "end": 30.9})
    changes.apply(blind, move)
    assert (blind.get(f3).status, blind.get(f3).start) == ("edited", 29.2)
    add = Add(support, 55.0, 58.0, "negative_emotion", "customer")
    changes.apply(blind, add)
    assert add.segment_id > ADDED_ID_BASE and blind.get(add.segment_id).status == "added"

    review = load_session(engine, session_id).reviews[(support, "ana")]
    assert {(d.segment_id, d.decision) for d in review.decisions} == {
        (f1, "confirm"), (f5, "reject"), (f3, "edit"), (None, "add")}
    changes.apply(blind, move, "undo")  # the overtalk's bounds back: undecided again
    changes.apply(blind, add, "undo")
    changes.apply(blind, confirm, "undo")
    assert blind.get(f3).status == "predicted" and blind.get(add.segment_id) is None
    changes.apply(blind, add, "redo")  # the same added segment, under the same id
    assert blind.get(add.segment_id).category == "negative_emotion"
    review = load_session(engine, session_id).reviews[(support, "ana")]
    assert {(d.segment_id, d.decision) for d in review.decisions} == {(f5, "reject"), (None, "add")}

    for refused in (Delete(f2), SetNote(f2, "hmm")):
        with pytest.raises(ReviewerError):
            changes.apply(blind, refused)
    with pytest.raises(ReviewerError, match="submit it from the Calibration panel"):
        blind.mark_reviewed()
    assert record_state(engine) == before  # the labels of record never moved

    # bob cannot see ana's work; after submitting, ana sees the model's confidences
    assert blind_view(engine, session_id, support, "bob").others == {}
    for sid in (f1, f2, f3, f4):
        changes.apply(blind, SetStatus(sid, "confirmed"))
    submit(engine, session_id, "ana", [support])
    blind.refresh()
    assert {s.score for s in blind.segments if s.id < ADDED_ID_BASE} == {0.9}
    with pytest.raises(ReviewerError, match="a submitted review is final"):
        changes.apply(blind, SetStatus(f1, "rejected"))
