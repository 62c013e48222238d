"""Review commands against a real database: every change is audited, every undo restores it."""
from pathlib import Path

import pytest

from reviewer_app.core.storage.repository import load_analysis

from reviewer_app.core.audio.decode import sha256_of_file
from reviewer_app.core.domain import AudioInfo, CallAnalysis, CallScore, Segment, Turn, Word
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.review.commands import Add, Delete, Edit, EditTurnText, SetNote, SetStatus
from reviewer_app.core.review.session import ReviewSession
from reviewer_app.core.storage import LabelStore, find_call, load_segments, open_database, save_analysis
from reviewer_app.core.storage.labels import ConflictError


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIELDS = ("start", "end", "role", "category", "status", "note")


def _analysis(path):
    words = tuple(Word(w, 0.5 + 0.3 * i, 0.75 + 0.3 * i, 0.9) for i, w in enumerate("thank you for calling".split()))
    return CallAnalysis(
        AudioInfo(str(path), sha256_of_file(path), 39.86, 8000, 2, ("customer", "agent")), "en",
        [Turn("agent", 0.5, 1.75, "thank you for calling", words)],
        [Segment(15.4, 22.4, "both", "dead_air", 0.9, "rule:dead_air", "silence 7 s"),
         Segment(24.6, 26.8, "both", "overtalk", 0.6, "rule:overtalk", "2.2 s"),
         Segment(29.9, 31.3, "agent", "forbidden_phrase", 1.0, "rule:lexicon", "that's not my problem")],
        CallScore(70, "medium", {}), {}, {"app": "test"})


@pytest.fixture
def session(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    path = FIXTURES / "call_basic.wav"
    analysis = _analysis(path)
    save_analysis(engine, analysis)
    return ReviewSession(engine, find_call(engine, analysis.audio.sha256), "ana")


def _state(session):
    return {s.id: tuple(getattr(s, f) for f in FIELDS) for s in load_segments(session.engine, session.call_id)}


def test_each_command_undoes_to_the_stored_state(session):
    ids = [s.id for s in session.segments]
    original = _state(session)
    commands = [SetStatus(ids[0], "confirmed"), SetStatus(ids[1], "rejected"),
                Edit(ids[2], {"category": "negative_emotion"}), Edit(ids[0], {"start": 15.0, "end": 23.0}),
                SetNote(ids[1], "echo, not overtalk"), Add(session.call_id, 33.0, 35.5, "repetition", "agent"),
                Delete(ids[2])]
    after = []
    for c in commands:
        session.run(c)
        after.append(_state(session))
        assert {s.id for s in session.segments} == set(after[-1])  # the session's copy is the stored one
    assert session.call.review_status == "in_review"
    for c, before in zip(reversed(commands), reversed([original] + after[:-1])):
        c.undo(session)
        assert _state(session) == before
    for c, expected in zip(commands, after):
        c.redo(session)
        assert _state(session) == expected
    added = commands[5].segment_id
    assert session.get(added).status == "added" and session.get(added).source == "reviewer"
    actions = [e.action for e in LabelStore(session.engine).events(session.call_id)]
    assert actions[:7] == ["confirm", "reject", "edit", "edit", "note", "add", "delete"]
    # one audit entry per user action; each undo is one entry labelled "undo"
    assert actions[7:] == ["undo"] * 7 + ["confirm", "reject", "edit", "edit", "note", "restore", "delete"]


def test_nudges_merge_and_undo_restores_status(session):
    sid = session.segments[0].id
    first = Edit(sid, {"start": 15.45}, nudge=True)
    session.run(first)
    second = Edit(sid, {"start": 15.5}, nudge=True)
    session.run(second)
    assert first.merge(second) and first.after == {"start": 15.5}
    assert not first.merge(Edit(sid, {"end": 1.0}, nudge=True))
    first.undo(session)
    seg = session.get(sid)
    assert (seg.start, seg.status) == (15.4, "predicted")


def test_conflict_is_raised_not_overwritten(session):
    sid = session.segments[0].id
    LabelStore(session.engine).reject(sid, "bob", expected_version=1)  # another reviewer
    with pytest.raises(ConflictError, match="bob"):
        session.run(SetStatus(sid, "confirmed"))
    session.refresh()
    assert session.get(sid).status == "rejected"


def test_navigation(session):
    ids = [s.id for s in session.segments]
    assert session.next_id(None, 0.0) == ids[0]
    assert session.next_id(None, 23.0) == ids[1]
    assert session.next_id(ids[0]) == ids[1] and session.next_id(ids[2]) == ids[2]
    assert session.previous_id(ids[1]) == ids[0] and session.previous_id(None, 29.0) == ids[1]


def test_turn_edit_is_stored_audited_and_undone(session):
    command = EditTurnText(0, "thank you very much for calling")
    session.run(command)
    assert session.analysis.transcript[0].text == "thank you very much for calling"
    assert session.index.words[1].word.word == "you"
    stored = load_analysis(session.engine, session.call.sha256).transcript[0]
    assert stored.text == "thank you very much for calling" and [w.word for w in stored.words][2] == "very"
    command.undo(session)
    assert load_analysis(session.engine, session.call.sha256).transcript[0].text == "thank you for calling"
    events = session.store.events(session.call_id)
    assert [(e.action, e.after["text"]) for e in events] == [
        ("turn_edit", "thank you very much for calling"), ("undo", "thank you for calling")]
