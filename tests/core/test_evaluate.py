import json

import pytest

from reviewer_app.core.evaluate import (
    character_error_rate, evaluate_dirs, overlaps_enough, truth_from_words, word_error_rate,
)


def test_overlap_threshold_is_30_percent_of_the_shorter():
    assert overlaps_enough((0, 10), (9, 12))  # 1 s of a 3 s segment = 33%
    assert not overlaps_enough((0, 10), (9.2, 12))  # 0.8 of 2.8 = 28.6%
    assert overlaps_enough((0, 10), (3, 3.3))  # fully inside


def test_evaluate_dirs_counts_per_category(tmp_path):
    truth, pred = tmp_path / "truth", tmp_path / "pred"
    truth.mkdir(), pred.mkdir()
    (truth / "a.json").write_text(json.dumps({"segments": [
        {"start": 10, "end": 16, "category": "dead_air"},
        {"start": 30, "end": 32, "category": "overtalk"},
        {"start": 50, "end": 51.5, "category": "overtalk"},
    ]}))
    (pred / "a.json").write_text(json.dumps({"segments": [
        {"start": 11, "end": 15, "category": "dead_air"},
        {"start": 31.5, "end": 33, "category": "overtalk"},
        {"start": 70, "end": 72, "category": "overtalk"},
        {"start": 80, "end": 82, "category": "fast_speech"},
    ]}))
    scores = evaluate_dirs(truth, pred)
    assert scores["dead_air"].f1 == 1.0
    assert (scores["overtalk"].true_positives, scores["overtalk"].predicted, scores["overtalk"].truth) == (1, 2, 2)
    assert scores["overtalk"].f1 == pytest.approx(0.5)
    assert scores["fast_speech"].precision == 0.0


def test_truth_from_word_timings():
    words = [
        {"speaker": "A", "start": 0.0, "end": 2.0}, {"speaker": "B", "start": 1.0, "end": 2.5},
        {"speaker": "A", "start": 9.0, "end": 10.0}, {"speaker": "B", "start": 9.5, "end": 9.9},
    ]
    truth = truth_from_words(words, 12.0, dead_air_min_s=5.0, overtalk_min_s=1.0)
    assert {"start": 2.5, "end": 9.0, "category": "dead_air", "role": "both"} in truth
    overtalk = [t for t in truth if t["category"] == "overtalk"]
    assert overtalk == [{"start": 1.0, "end": 2.0, "category": "overtalk", "role": "both"}]  # 0.4 s one dropped


def test_error_rates():
    assert word_error_rate(["Hello", "there,", "world"], ["hello", "world"]) == pytest.approx(1 / 3)
    assert word_error_rate(["a", "b"], ["a", "b"]) == 0.0
    assert character_error_rate("广州市房地产", "广州市房地產") == pytest.approx(1 / 6)


def test_role_aware_matching_needs_the_same_role():
    from reviewer_app.core.evaluate import match_segments, score_segments

    truth = [{"start": 10, "end": 14, "category": "poor_audio", "role": "customer"},
             {"start": 30, "end": 31, "category": "overtalk", "role": "both"}]
    pred = [{"start": 10.5, "end": 13, "category": "poor_audio", "role": "agent"},
            {"start": 30.2, "end": 31.5, "category": "overtalk", "role": "both"}]
    assert match_segments(pred, truth) == [(0, 0), (1, 1)]
    assert match_segments(pred, truth, match_role=True) == [(1, 1)]
    by_role = score_segments(pred, truth, match_role=True)
    assert (by_role["poor_audio"].true_positives, by_role["poor_audio"].predicted,
            by_role["poor_audio"].truth) == (0, 1, 1)
    assert by_role["overtalk"].f1 == 1.0
    assert score_segments(pred, truth)["poor_audio"].f1 == 1.0  # without roles: as before


def test_each_truth_segment_is_matched_once_largest_overlap_first():
    from reviewer_app.core.evaluate import match_pairs

    assert match_pairs([(0, 10), (8, 12)], [(9, 12)]) == [(1, 0)]
    assert match_pairs([(0, 10)], [(0, 4), (5, 10)]) == [(0, 1)]  # 5 s of overlap beats 4 s
