"""Candidate windows, window labels, window scores -> segments, the merge policy, encoder-state pooling."""
from __future__ import annotations

import numpy as np
import pytest

from reviewer_app.core.asr import encoder_states as ec
from reviewer_app.core.model import encoder_cache
from reviewer_app.core.detect.merge import CategoryPolicy, category_policy, merge_segments
from reviewer_app.core.model.network import WINDOW_CATEGORIES
from reviewer_app.core.domain import CATEGORIES, Segment, Turn, Word
from reviewer_app.core.settings import Settings
from reviewer_app.core.model.predict import segments_from_windows
from reviewer_app.core.model.windows import CallLabels, LabelSpan, Window, candidate_windows, window_targets


def no_tokens(text: str) -> tuple[int, ...]:
    return tuple(range(len(text.split())))


def turn(role, start, end, words):
    step = (end - start) / len(words)
    return Turn(role, start, end, " ".join(words),
                tuple(Word(w, start + i * step, start + (i + 0.9) * step, 1.0) for i, w in enumerate(words)))


def test_sliding_windows_cover_each_channel_and_turns_are_cut_at_four_seconds():
    turns = [turn("agent", 1.0, 11.0, [f"w{i}" for i in range(20)]), turn("customer", 2.0, 3.0, ["hi", "there"])]
    windows = candidate_windows(12.5, ("customer", "agent"), turns, no_tokens)
    for ch in (0, 1):
        slides = [w for w in windows if w.channel == ch and w.kind == "slide"]
        assert slides[0].start == 0.0 and slides[-1].end == 12.5
        assert all(b.start - a.start <= 1.0 + 1e-9 for a, b in zip(slides, slides[1:]))
    agent_turns = [w for w in windows if w.channel == 1 and w.kind == "turn"]
    assert len(agent_turns) == 3 and all(w.duration <= 4.0 + 1e-9 for w in agent_turns)
    assert sum(len(w.tokens) for w in agent_turns) == 20
    customer = [w for w in windows if w.channel == 0 and w.kind == "turn"]
    assert len(customer) == 1 and customer[0].tokens == (0, 1)
    # words go to their own channel's windows only
    assert all(len(w.tokens) == 0 for w in windows if w.channel == 0 and w.kind == "slide" and w.start >= 4)


def test_a_two_second_clip_is_one_sliding_window():
    windows = candidate_windows(2.0, ("both",), [turn("both", 0.3, 1.8, ["ich", "bin", "sauer"])], no_tokens)
    assert [(w.kind, w.start) for w in windows] == [("slide", 0.0), ("turn", 0.3)]
    assert windows[0].end == 2.0 and windows[1].end == pytest.approx(1.75)  # the last word's end


def w(ch, role, start, end):
    return Window(ch, role, start, end, "slide")


def test_window_targets_positive_negative_and_unknown():
    cat = WINDOW_CATEGORIES.index
    windows = [w(1, "agent", 0, 2), w(1, "agent", 2, 4), w(1, "agent", 4, 6), w(0, "customer", 0, 2),
               w(1, "agent", 6, 8)]
    labels = CallLabels(reviewed=True, spans=[
        LabelSpan(0.2, 1.9, "agent", "forbidden_phrase", True),  # covers window 0
        LabelSpan(3.7, 4.6, "agent", "forbidden_phrase", True),  # touches windows 1 and 2 without covering
        LabelSpan(6.0, 8.0, "agent", "negative_emotion", False),  # a rejected prediction
        LabelSpan(0.0, 2.0, "both", "dead_air", True),  # a both-sides problem: every channel
    ], unjudged=[LabelSpan(6.5, 7.0, "agent", "repetition", True)])
    targets, known = window_targets(windows, labels)
    fp = cat("forbidden_phrase")
    assert (targets[0, fp], known[0, fp]) == (1, True)
    assert not known[1, fp] and targets[2, fp] == 1 and known[2, fp]  # 0.6 s of a 0.9 s phrase: covered
    assert (targets[3, fp], known[3, fp]) == (0, True)  # the customer said nothing forbidden
    assert known[4, cat("negative_emotion")] and targets[4, cat("negative_emotion")] == 0
    assert not known[4, cat("repetition")]  # untouched prediction: nobody judged it
    assert targets[0, cat("dead_air")] == 1 and targets[3, cat("dead_air")] == 1
    unreviewed, known_u = window_targets(windows, CallLabels(False, labels.spans))
    assert not known_u[3, fp] and known_u[0, fp]


def test_window_scores_become_segments_and_both_sides_categories_average_channels():
    settings = Settings()
    roles = ("customer", "agent")
    windows = [w(ch, r, s, s + 2) for ch, r in enumerate(roles) for s in range(0, 9)]
    probs = np.zeros((len(windows), len(WINDOW_CATEGORIES)), np.float32)
    j_emotion, j_dead = WINDOW_CATEGORIES.index("negative_emotion"), WINDOW_CATEGORIES.index("dead_air")
    for i, win in enumerate(windows):
        if win.channel == 0 and 3 <= win.start <= 4:
            probs[i, j_emotion] = 0.9
        if 1 <= win.start <= 6:
            probs[i, j_dead] = 0.8
    segs = segments_from_windows(windows, probs, 10.0, roles, settings, "model:t")
    emotion = [s for s in segs if s.category == "negative_emotion"]
    assert len(emotion) == 1 and emotion[0].role == "customer"
    assert emotion[0].start >= 3.0 and emotion[0].end <= 6.0 and emotion[0].score == pytest.approx(0.9)
    dead = [s for s in segs if s.category == "dead_air"]
    assert len(dead) == 1 and dead[0].role == "both" and dead[0].end - dead[0].start >= 5.0
    assert all(s.source == "model:t" for s in segs)


def test_policy_needs_enough_labels_and_never_a_worse_model():
    counts = {"negative_emotion": 40, "overtalk": 30, "dead_air": 3, "missing_greeting": 99}
    validation = {"rules": {"overtalk": {"f1": 0.8, "support": 5}, "negative_emotion": {"f1": 0.1, "support": 5}},
                  "new": {"overtalk": {"f1": 0.6, "support": 5}, "negative_emotion": {"f1": 0.9, "support": 5}}}
    policy = category_policy(counts, 20, validation)
    assert set(policy) == set(CATEGORIES)
    assert policy["negative_emotion"].source == "model"
    assert policy["overtalk"].source == "rules" and "below the rule" in policy["overtalk"].reason
    assert policy["dead_air"].source == "rules" and "3 reviewed labels" in policy["dead_air"].reason
    assert policy["missing_greeting"].source == "rules"


def test_merge_takes_each_category_from_its_source():
    def seg(cat, source):
        return Segment(1, 2, "agent", cat, 0.5, source, "")

    policy = {c: CategoryPolicy(c, "model" if c == "negative_emotion" else "rules", 0, "") for c in CATEGORIES}
    merged = merge_segments([seg("negative_emotion", "rule"), seg("overtalk", "rule")],
                            [seg("negative_emotion", "model"), seg("overtalk", "model")], policy)
    assert {(s.category, s.source) for s in merged} == {("negative_emotion", "model"), ("overtalk", "rule")}


def test_encoder_states_map_back_through_the_vad_chunks():
    """Speech at 1-2 s and 5-6 s, concatenated: encoder frames land on those times only."""
    chunks = [{"start": 16000, "end": 32000}, {"start": 80000, "end": 96000}]
    content = 200  # 2 s of concatenated mel frames
    out = np.zeros((1500, 4), np.float32)
    out[:50] = 1.0  # first second of concatenated audio
    out[50:100] = 2.0  # second second
    states = ec._pool([(0, out)], chunks, content, 8.0, 4, "m", "computed")
    assert states.states.shape == (80, 4)
    covered = np.flatnonzero(states.covered)
    assert covered.min() == 10 and covered.max() == 59 and len(covered) == 20
    assert np.allclose(states.states[10:20], 1.0) and np.allclose(states.states[50:60], 2.0)


def test_an_encoded_window_is_placed_by_its_mel_columns():
    rng = np.random.default_rng(0)
    full = rng.normal(size=(80, 7000)).astype(np.float32)
    from faster_whisper.audio import pad_or_trim

    assert ec._find_seek(full, pad_or_trim(full[:, 2480:2480 + 3000]), -1) == 2480
    assert ec._find_seek(full, pad_or_trim(full[:, 6000:]), 2480) == 6000
    assert ec._find_seek(full, rng.normal(size=(80, 3000)).astype(np.float32), -1) is None


def test_state_cache_round_trip_and_damage(tmp_path):
    st = ec.EncoderStates("whisper-x", np.ones((30, 8), np.float16), np.arange(30) % 2 == 0, "computed")
    path = encoder_cache.save_states("ab" * 32, [st, ec.empty_states("whisper-x", 8, 3.0)], cache=tmp_path)
    back = encoder_cache.load_states("ab" * 32, "whisper-x", cache=tmp_path)
    assert len(back) == 2 and np.array_equal(back[0].covered, st.covered) and back[1].covered.sum() == 0
    assert encoder_cache.load_states("ab" * 32, "whisper-y", cache=tmp_path) is None
    path.write_bytes(path.read_bytes()[:50])
    assert encoder_cache.load_states("ab" * 32, "whisper-x", cache=tmp_path) is None
