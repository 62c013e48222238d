"""LabelStore's undo helpers and transcript corrections, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from reviewer_app.core.domain import Word
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.storage.db import open_database
from reviewer_app.core.storage.labels import ConflictError, LabelStore
from reviewer_app.core.storage.repository import find_call, load_analysis, load_segments, save_analysis
from tests.core.test_storage import SHA, make_analysis


@pytest.fixture
def stored(db_url):
    engine = open_database(db_url)
    call_id = save_analysis(engine, make_analysis())
    yield engine, call_id
    engine.dispose()


def test_set_status_puts_a_confirmed_segment_back_to_predicted(stored):
    engine, call_id = stored
    labels = LabelStore(engine)
    seg = load_segments(engine, call_id)[0]
    labels.confirm(seg.id, "ann")
    back = labels.set_status(seg.id, "ann", "predicted", expected_version=2)
    assert (back.status, back.version) == ("predicted", 3)
    assert [e.action for e in labels.events(call_id)] == ["confirm", "status"]
    with pytest.raises(ReviewerError, match="unknown segment status 'maybe'"):
        labels.set_status(seg.id, "ann", "maybe")


def test_review_status_can_be_set_back(stored):
    engine, call_id = stored
    labels = LabelStore(engine)
    labels.mark_reviewed(call_id, "ann")
    labels.set_review_status(call_id, "ann", "in_review")
    assert find_call(engine, SHA).review_status == "in_review"
    with pytest.raises(ReviewerError, match="unknown review status"):
        labels.set_review_status(call_id, "ann", "done")


def test_turn_text_edit_is_stored_with_its_words_and_audited(stored):
    engine, call_id = stored
    labels = LabelStore(engine)
    words = [Word("Thanks", 0.5, 0.9, 1.0), Word("for", 0.9, 1.2, 1.0), Word("calling", 1.2, 2.1, 1.0)]
    labels.edit_turn_text(call_id, 0, "Thanks for calling", words, "ann", expected_text="Thank you for calling")
    turn = load_analysis(engine, SHA).transcript[0]
    assert turn.text == "Thanks for calling" and turn.words == tuple(words)
    [event] = labels.events(call_id)
    assert event.action == "turn_edit" and event.before["text"] == "Thank you for calling"
    assert len(event.before["words"]) == 4
    assert find_call(engine, SHA).review_status == "in_review"
    with pytest.raises(ConflictError, match="changed by ann"):
        labels.edit_turn_text(call_id, 0, "Hi", [], "bob", expected_text="Thank you for calling")
    assert load_analysis(engine, SHA).transcript[0].text == "Thanks for calling"
    with pytest.raises(ReviewerError, match="has no turn 9"):
        labels.edit_turn_text(call_id, 9, "x", [], "ann")
