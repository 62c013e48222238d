"""core.review.changes: every review write says what it changed (no Qt, a real database)."""
from __future__ import annotations

from reviewer_app.core.review import changes
from reviewer_app.core.review.commands import Add, Delete, EditTurnText, SetStatus
from tests.core.test_review_commands import session  # noqa: F401  (the fixture)


def test_a_write_returns_the_segments_it_changed_and_the_call_as_stored(session):  # noqa: F811
    ids = [s.id for s in session.segments]
    change = changes.apply(session, SetStatus(ids[1], "rejected"))
    assert isinstance(change, changes.SegmentsChanged) and change.call_id == session.call_id
    assert [s.id for s in change.changed] == [ids[1]] and change.changed[0].status == "rejected"
    assert change.removed == () and change.call.review_status == "in_review"
    assert change.call.problem_counts.get("overtalk", 0) == 0  # a rejected finding is not counted


def test_add_delete_and_undo_name_their_rows(session):  # noqa: F811
    add = Add(session.call_id, 33.0, 35.5, "repetition", "agent")
    change = changes.apply(session, add)
    assert [s.id for s in change.changed] == [add.segment_id]
    change = changes.apply(session, add, "undo")
    assert change.removed == (add.segment_id,) and change.changed == ()
    first = session.segments[0].id
    change = changes.apply(session, Delete(first))
    assert change.removed == (first,)


def test_a_turn_edit_is_a_transcript_change(session):  # noqa: F811
    change = changes.apply(session, EditTurnText(0, "thank you for calling acme"))
    assert change == changes.TranscriptChanged(session.call_id, 0, change.call)
    assert change.call is not None


def test_mark_reviewed_carries_the_new_summary(session):  # noqa: F811
    change = changes.mark_reviewed(session)
    assert change.call.review_status == "reviewed" and change.changed == ()
