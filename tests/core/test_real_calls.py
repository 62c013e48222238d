"""Real customer-service calls (SpokenWOZ, ../shared/data/calls_en; skipped when absent).

Ground truth comes from the corpus' word timings: dead air where no one has a word, overtalk where
both speakers are inside words at once; the reference transcript per channel gives the WER.
The calls are read in place, never copied.
"""
from __future__ import annotations

import json

import pytest

from reviewer_app.core.evaluate import CategoryScore, score_segments, truth_from_words, word_error_rate
from reviewer_app.core.pipeline import analyze, run_to_end
from reviewer_app.core.settings import Settings
from tests.conftest import SHARED_DATA

CALLS = ("SNG0072", "MUL1423")
SPEAKER_OF_ROLE = {"customer": "A", "agent": "B"}  # left = customer = A, right = agent = B
DEAD_AIR_MIN_S = 3.0  # the corpus' one long gap is 4.7 s: evaluate below it so there is something to find


def real_call_settings() -> Settings:
    settings = Settings()
    settings.rules.dead_air_min_s = DEAD_AIR_MIN_S
    return settings


@pytest.fixture(scope="module")
def analysed():
    folder = SHARED_DATA / "calls_en"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent (real recordings live in ../shared/data)")
    out = {}
    for name in CALLS:
        words = json.loads((folder / f"{name}.json").read_text())
        analysis = run_to_end(analyze(folder / f"{name}.wav", real_call_settings()))
        out[name] = (analysis, words)
    return out


def _category_scores(analysed, category):
    scores: dict[str, CategoryScore] = {}
    for analysis, words in analysed.values():
        truth = truth_from_words(words, analysis.audio.duration_s, DEAD_AIR_MIN_S, 1.0)
        pred = [{"start": s.start, "end": s.end, "category": s.category} for s in analysis.segments]
        score_segments([p for p in pred if p["category"] == category],
                       [t for t in truth if t["category"] == category], scores)
    return scores[category]


def test_dead_air_against_word_timings(analysed):
    score = _category_scores(analysed, "dead_air")
    print(f"dead_air: {score.as_dict()}")
    assert score.truth >= 1
    assert score.f1 >= 0.6


def test_overtalk_against_word_timings(analysed):
    score = _category_scores(analysed, "overtalk")
    print(f"overtalk: {score.as_dict()}")
    assert score.truth >= 1
    assert score.f1 >= 0.4


@pytest.mark.parametrize("role", ["customer", "agent"])
def test_word_error_rate_per_channel(analysed, role):
    rates = []
    for name, (analysis, words) in analysed.items():
        reference = [w["word"] for w in words if w["speaker"] == SPEAKER_OF_ROLE[role]]
        hypothesis = [w.word for t in analysis.transcript if t.role == role for w in t.words]
        rates.append(word_error_rate(reference, hypothesis))
        print(f"{name} {role}: WER {rates[-1]:.3f} over {len(reference)} words")
    assert max(rates) < 0.45
