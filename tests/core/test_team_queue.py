"""The review queue: disagreements first, then the least certain findings, then the lowest scores."""
from __future__ import annotations

import pytest

from reviewer_app.core.domain import Segment
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.storage import repository
from reviewer_app.core.storage.labels import LabelStore
from reviewer_app.core.team.queue import review_queue
from tests.core.test_team_sample_library import library, synthetic_analysis  # noqa: F401 (fixture)


@pytest.fixture
def disputed(library):
    """Two more calls: words inside a dead air, and rules and model disagreeing on overtalk."""
    engine, ids = library
    talk = synthetic_analysis("alice", 5, 0)
    # the agent's 20-40 s turn has words; a dead air over 30-34 s contradicts them
    talk.segments = [Segment(30.0, 34.0, "both", "dead_air", 0.9, "rule:dead_air", "silence 4.0 s")]
    ids["talk"] = repository.save_analysis(engine, talk)
    both = synthetic_analysis("chen", 6, 0)
    both.segments = [s for s in both.segments if s.category != "fast_speech"] + [
        Segment(22.0, 25.0, "both", "overtalk", 0.93, "model:v1", "p=0.93"),  # agrees with the rule
        Segment(45.0, 47.0, "both", "overtalk", 0.61, "model:v1", "p=0.61"),  # the rules found nothing here
    ]
    ids["both"] = repository.save_analysis(engine, both)
    return engine, ids


def test_disagreements_come_first_most_words_first(disputed):
    engine, ids = disputed
    items = review_queue(engine, "disagreement", limit=10)
    assert [(i.call_id, i.category) for i in items] == [(ids["talk"], "dead_air"), (ids["both"], "overtalk")]
    assert "transcribed word(s) inside dead air" in items[0].reason and "'sure sure" in items[0].reason
    assert items[1].start == 45.0 and items[1].reason == "model found overtalk (0.61), rule did not"
    mixed = review_queue(engine, "mixed", limit=4)
    assert [i.strategy for i in mixed] == ["disagreement", "disagreement", "uncertain", "uncertain"]
    assert mixed[2].reason.startswith("model:v1 score 0.52")  # bob's forbidden phrase, the least certain


def test_judged_findings_and_reviewed_calls_leave_the_queue(disputed):
    engine, ids = disputed
    first = review_queue(engine, "disagreement", limit=1)[0]
    LabelStore(engine).reject(first.segment_id, "ana")
    assert [i.call_id for i in review_queue(engine, "disagreement")] == [ids["both"]]
    LabelStore(engine).mark_reviewed(ids["both"], "ana")
    assert review_queue(engine, "disagreement") == []
    assert ids["basic"] not in {i.call_id for i in review_queue(engine, "lowest", limit=50)}  # reviewed


def test_uncertain_lowest_and_random(disputed):
    engine, ids = disputed
    uncertain = review_queue(engine, "uncertain", limit=3)
    scores = [float(i.reason.split("score ")[1].split(",")[0]) for i in uncertain]
    assert scores == sorted(scores, key=lambda s: abs(s - 0.5)) and scores[0] == 0.52
    lowest = review_queue(engine, "lowest", limit=3)
    values = [int(i.reason.split()[1]) for i in lowest]
    assert values == sorted(values) and all(i.segment_id is None for i in lowest)
    one = review_queue(engine, "random", limit=4, seed=7)
    assert one == review_queue(engine, "random", limit=4, seed=7) and len({i.call_id for i in one}) == 4
    with pytest.raises(ReviewerError, match="unknown queue strategy 'best'"):
        review_queue(engine, "best")
