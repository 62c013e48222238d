"""score_call arithmetic, caps and grade boundaries."""
import pytest

from reviewer_app.core.domain import Segment
from reviewer_app.core.scoring import score_call
from reviewer_app.core.settings import ScoreSettings


def seg(category: str, score: float = 1.0) -> Segment:
    return Segment(0.0, 1.0, "agent", category, score, f"rule:{category}", "test")


def test_no_segments_is_perfect():
    result = score_call([], ScoreSettings())
    assert (result.value, result.grade, result.deductions) == (100, "high", {})


def test_weights_times_segment_score():
    # dead_air 4 * (1.0 + 0.5) = 6, overtalk 2 * 1.0 = 2, forbidden 15 * 0.6 = 9
    segs = [seg("dead_air"), seg("dead_air", 0.5), seg("overtalk"), seg("forbidden_phrase", 0.6)]
    result = score_call(segs, ScoreSettings())
    assert result.deductions == {"dead_air": 6, "overtalk": 2, "forbidden_phrase": 9}
    assert result.value == 83 and result.grade == "medium"


def test_category_cap():
    result = score_call([seg("forbidden_phrase")] * 3, ScoreSettings())  # 45 capped at 25
    assert result.deductions == {"forbidden_phrase": 25} and result.value == 75


def test_score_clipped_at_zero():
    cats = ["forbidden_phrase", "missing_greeting", "missing_closing", "negative_emotion", "dead_air"]
    segs = [seg(c) for c in cats for _ in range(10)]
    result = score_call(segs, ScoreSettings())
    assert result.value == 0 and result.grade == "low"
    assert sum(result.deductions.values()) == 125


def test_rounding_half_up_and_zero_deductions_left_out():
    s = ScoreSettings(weights={"overtalk": 2, "repetition": 2})
    # overtalk 2 * 0.25 = 0.5 -> 1 point; repetition 2 * 0.2 = 0.4 -> 0 points, not listed
    result = score_call([seg("overtalk", 0.25), seg("repetition", 0.2)], s)
    assert result.deductions == {"overtalk": 1} and result.value == 99


def test_unknown_or_unweighted_category_deducts_nothing():
    s = ScoreSettings(weights={"dead_air": 4})
    assert score_call([seg("overtalk"), seg("custom")], s).value == 100


@pytest.mark.parametrize(
    ("points", "grade"),
    [(15, "high"), (16, "medium"), (40, "medium"), (41, "low")],
)
def test_grade_boundaries(points, grade):
    # one category weighted 1 per segment: `points` segments take off `points`
    s = ScoreSettings(weights={"dead_air": 1}, max_per_category=100)
    result = score_call([seg("dead_air")] * points, s)
    assert result.value == 100 - points  # 85 high, 84 medium, 60 medium, 59 low
    assert result.grade == grade


def test_custom_grade_thresholds():
    s = ScoreSettings(weights={"dead_air": 10}, high_min=90, medium_min=80)
    assert score_call([seg("dead_air")], s).grade == "high"  # 90
    assert score_call([seg("dead_air")] * 2, s).grade == "medium"  # 80
    assert score_call([seg("dead_air")] * 3, s).grade == "low"  # 70
