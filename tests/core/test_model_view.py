"""The model's view of a call: why it flagged a window (branch, word and frame ablation), its stored
probability track, and the findings where it and the rules disagree."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from reviewer_app.core.analysis_json import segment_to_dict
from reviewer_app.core.asr.encoder_states import EncoderStates, frames_for
from reviewer_app.core.domain import ModelTrack, Segment
from reviewer_app.core.model.batching import CallInputs, make_batch
from reviewer_app.core.model.call_features import CallFeatures, ChannelFeatures, n_frames
from reviewer_app.core.model.disagreement import find_disagreements, mark_disagreements
from reviewer_app.core.model.explain import branch_shares, explain_windows, word_groups
from reviewer_app.core.model.network import (
    N_MELS,
    PROSODY_FEATURES,
    WINDOW_CATEGORIES,
    ModelConfig,
    ProblemSegmentModel,
    window_probabilities,
)
from reviewer_app.core.model.predict import GRID_S, TRACK_HOP_S, category_means, track_from_means
from reviewer_app.core.model.windows import Window, tokenize
from reviewer_app.core.settings import Settings
from reviewer_app.core.storage import model_tracks, repository
from reviewer_app.core.storage.db import open_database
from reviewer_app.core.team.queue import review_queue
from tests.core.test_storage import make_analysis

DURATION = 80.0
WORDS = "please hold the line while I check your account details today".split()
LOUD = "poor_audio"  # learned from the prosody branch's energy row alone
PHRASE = "forbidden_phrase"  # learned from the word "refund" alone


def synthetic_call(seed: int = 0):
    """One channel of noise; every fourth 2 s window is loud (prosody energy), every third one says
    "refund". Mel and speech states are the same noise everywhere, so they carry nothing."""
    rng = np.random.default_rng(seed)
    n = n_frames(DURATION)
    mel = rng.normal(0, 1, (N_MELS, n)).astype(np.float16)
    prosody = rng.normal(0, 0.3, (len(PROSODY_FEATURES), n)).astype(np.float32)
    windows, loud, phrase = [], [], []
    for k, start in enumerate(np.arange(0.0, DURATION, 2.0)):
        f0, f1 = int(start / 0.02), int((start + 2.0) / 0.02)
        is_loud, says = k % 4 == 1, k % 3 == 2
        prosody[0, f0:f1] += 2.5 if is_loud else -1.0
        words = list(rng.choice(WORDS, 4))
        if says:
            words.insert(2, "refund")
        windows.append(Window(0, "both", float(start), float(start) + 2.0, "slide", tokenize(" ".join(words))))
        loud.append(is_loud)
        phrase.append(says)
    speech = EncoderStates("test", rng.normal(0, 1, (frames_for(DURATION), 16)).astype(np.float16),
                           np.ones(frames_for(DURATION), bool))
    features = CallFeatures("c" * 64, DURATION, [ChannelFeatures("both", mel, prosody.astype(np.float16))])
    return CallInputs(features, [speech]), windows, np.array(loud), np.array(phrase)


@pytest.fixture(scope="module")
def trained():
    """A small model (the default cross-attention fusion) trained for a few seconds on the synthetic call."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # faster than fighting other processes for the cores
    torch.manual_seed(0)
    inputs, windows, loud, phrase = synthetic_call()
    model = ProblemSegmentModel(ModelConfig(speech_dim=16, d_model=16, token_dim=16, attention_heads=2, dropout=0.0))
    batch = make_batch([(inputs, w) for w in windows], 16)
    cols = [WINDOW_CATEGORIES.index(LOUD), WINDOW_CATEGORIES.index(PHRASE)]
    target = torch.tensor(np.stack([loud, phrase], 1), dtype=torch.float32)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(40):
        opt.zero_grad()
        logits = model(batch)["categories"][:, cols]
        torch.nn.functional.binary_cross_entropy_with_logits(logits, target).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        probs = window_probabilities(model(batch)).numpy()
    assert (probs[loud, cols[0]] > 0.8).all() and (probs[~loud, cols[0]] < 0.2).all()
    assert (probs[phrase, cols[1]] > 0.8).all() and (probs[~phrase, cols[1]] < 0.2).all()
    yield model, inputs, windows, loud, phrase
    torch.set_num_threads(threads)


def test_the_branch_carrying_the_signal_gets_the_largest_share(trained):
    model, inputs, windows, loud, phrase = trained
    targets = [(w, LOUD) for w, is_loud in zip(windows, loud) if is_loud][:3]
    targets += [(w, PHRASE) for w, says in zip(windows, phrase) if says][:3]
    explained = explain_windows(model, inputs, targets)
    for (window, category), e in zip(targets, explained):
        assert e.category == category and e.window == (window.start, window.end)
        assert sum(e.shares.values()) == pytest.approx(1.0, abs=1e-6)
        assert set(e.shares) == {"spectrogram", "prosody", "speech", "text"}
        expected = "prosody" if category == LOUD else "text"
        assert max(e.shares, key=e.shares.get) == expected, e.shares
        assert e.shares[expected] > 0.5
    phrase_words = [w for e in explained if e.category == PHRASE for w, _ in e.words]
    assert phrase_words.count("refund") == 3  # the word that mattered is named every time
    summary = explained[-1].summary()
    assert summary.startswith("text ") and "refund" in summary
    for e in explained:  # the stretch that mattered most lies in the window explained
        assert all(e.window[0] <= start < end <= e.window[1] for start, end, _ in e.frames)


def test_shares_of_no_drop_are_zero_and_words_group_their_tokens():
    assert branch_shares({"prosody": -0.1, "text": 0.0}) == {"prosody": 0.0, "text": 0.0}
    assert branch_shares({"prosody": 0.3, "text": 0.1, "speech": -0.2}) == pytest.approx(
        {"prosody": 0.75, "text": 0.25, "speech": 0.0})
    groups = word_groups(tokenize("not my problem, unbelievable"))
    assert [w for w, _ in groups] == ["not", "my", "problem,", "unbelievable"]
    assert sorted(p for _, ps in groups for p in ps) == list(range(len(tokenize("not my problem, unbelievable"))))


def _track_from(probs_by_window: list[tuple[Window, float]], duration: float) -> ModelTrack:
    windows = [w for w, _ in probs_by_window]
    probs = np.zeros((len(windows), len(WINDOW_CATEGORIES)), np.float32)
    probs[:, WINDOW_CATEGORIES.index("overtalk")] = [p for _, p in probs_by_window]
    return track_from_means(category_means(windows, probs, duration, ("customer", "agent")), "v9", 0.5)


def test_the_track_keeps_each_half_second_peak_and_survives_storage(db_url):
    windows = [(Window(0, "customer", 0.0, 2.0, "slide"), 0.2), (Window(1, "agent", 1.0, 3.0, "slide"), 0.9),
               (Window(1, "agent", 4.0, 6.0, "slide"), 0.6)]
    track = _track_from(windows, 7.0)
    assert track.hop_s == TRACK_HOP_S and track.values.shape == (len(track.rows), 14)
    overtalk = track.row("overtalk", "both")  # both channels' windows averaged
    assert overtalk[:2] == pytest.approx([0.2, 0.2]) and overtalk[2:4] == pytest.approx([0.55, 0.55])
    assert overtalk[4:6] == pytest.approx([0.9, 0.9]) and overtalk[6:8] == pytest.approx([0.0, 0.0])
    assert overtalk[8:12] == pytest.approx([0.6] * 4) and overtalk[12:] == pytest.approx([0.0, 0.0])
    assert track.row("dead_air", "both").max() == 0 and track.row("fast_speech", "agent") is not None
    assert GRID_S * 5 == pytest.approx(TRACK_HOP_S)

    track.disagreements = [{"start": 4.0, "end": 6.0, "role": "both", "category": "overtalk", "found_by": "model",
                            "score": 0.6, "reason": "the model found overtalk (p=0.60); no rule did"}]
    engine = open_database(db_url)  # SQLite and PostgreSQL
    analysis = make_analysis()
    analysis.model_track = track
    call_id = repository.save_analysis(engine, analysis)
    stored = model_tracks.load_track(engine, call_id)
    assert stored.rows == track.rows and stored.model_version == "v9" and stored.threshold == 0.5
    assert np.allclose(stored.values, track.values, atol=1e-3)  # float16
    assert stored.disagreements == track.disagreements
    assert repository.load_analysis(engine, analysis.audio.sha256).model_track.rows == track.rows
    analysis.model_track = None  # analysed again without the model: no stale track
    repository.save_analysis(engine, analysis)
    assert model_tracks.load_track(engine, call_id) is None
    engine.dispose()


def test_disagreements_are_marked_stored_and_ranked_first(tmp_path):
    track = _track_from([(Window(0, "customer", 20.0, 22.0, "slide"), 0.1),
                         (Window(1, "agent", 20.0, 22.0, "slide"), 0.1)], 61.25)
    rules = [Segment(10.0, 17.5, "both", "dead_air", 1.0, "rule:dead_air", "7.5 s of silence"),
             Segment(20.1, 21.7, "both", "overtalk", 0.8, "rule:overtalk", "1.6 s")]
    model = [Segment(10.5, 17.0, "both", "dead_air", 0.97, "model:v9", "p=0.97"),
             Segment(30.0, 31.0, "agent", "forbidden_phrase", 0.7, "model:v9", "p=0.70")]
    spans = find_disagreements(rules, model, track)
    assert [(d["category"], d["found_by"]) for d in spans] == [("overtalk", "rules"), ("forbidden_phrase", "model")]
    assert spans[0]["reason"] == "the rule found overtalk; the model did not (p≤0.10, threshold 0.50)"
    merged = mark_disagreements(rules + model[1:], spans)
    assert [s.details for s in merged][0] is None
    assert merged[1].details == {"disagreement": spans[0]["reason"]}
    assert merged[2].details == {"disagreement": "the model found forbidden_phrase (p=0.70); no rule did"}
    assert segment_to_dict(merged[1])["details"] == merged[1].details and "details" not in segment_to_dict(merged[0])

    engine = open_database(f"sqlite:///{tmp_path / 'lib.sqlite3'}")
    analysis = make_analysis(segments=merged)
    analysis.model_track = track
    call_id = repository.save_analysis(engine, analysis)
    stored = {s.category: s for s in repository.load_segments(engine, call_id)}
    assert stored["overtalk"].details == merged[1].details and stored["dead_air"].details is None
    queue = review_queue(engine, "mixed", limit=3)
    # both ahead of everything else, the least certain first (0.70 before 0.80)
    assert [(q.strategy, q.category) for q in queue[:2]] == [("disagreement", "forbidden_phrase"),
                                                             ("disagreement", "overtalk")]
    assert queue[1].reason == spans[0]["reason"]
    engine.dispose()


@pytest.mark.slow
def test_a_real_call_keeps_the_models_view_and_explains_its_findings(tmp_path):
    """calls_en (evaluation only): the analysis carries the bundled model's track, stored with the call;
    its findings, explained, carry shares that sum to 1 and the summary in their evidence."""
    from tests.conftest import shared

    from reviewer_app.core.model.explain import explain_segments
    from reviewer_app.core.model.inputs import inputs_from_audio
    from reviewer_app.core.model.predict import predict_call
    from reviewer_app.core.model.registry import load_active
    from reviewer_app.core.pipeline import analyze, redetect_stored, run_to_end

    audio = shared("calls_en", "SNG0072.wav")
    settings = Settings()
    settings.asr.model = "tiny.en"
    engine = open_database(f"sqlite:///{tmp_path / 'lib.sqlite3'}")
    analysis = run_to_end(analyze(audio, settings, db=engine))
    track = analysis.model_track
    assert track is not None and analysis.timings_s["model"] > 0
    assert track.values.shape == (len(track.rows), int(np.ceil(analysis.audio.duration_s / TRACK_HOP_S)))
    assert {c for c, _ in track.rows} == set(WINDOW_CATEGORIES)
    flagged = [s for s in analysis.segments if (s.details or {}).get("disagreement")]
    assert all(any(d["reason"] == s.details["disagreement"] for d in track.disagreements) for s in flagged)
    call_id = repository.save_analysis(engine, analysis)
    stored = model_tracks.load_track(engine, call_id)
    assert np.allclose(stored.values, track.values, atol=1e-3) and stored.disagreements == track.disagreements
    again = redetect_stored(engine, analysis.audio.sha256, settings)  # "Re-run rules": the model's view again
    assert again.model_track is not None and np.allclose(again.model_track.values, track.values, atol=0.02)

    loaded = load_active(engine)
    view = predict_call(loaded, inputs_from_audio(str(audio), analysis.audio.sha256, loaded.config.encoder_model,
                                                  settings), analysis.transcript, settings)
    assert view.segments, "the bundled model finds something on this call"
    explained = explain_segments(loaded.model, view, view.segments)
    for seg in explained:
        e = seg.details["explain"]
        assert sum(e["shares"].values()) == pytest.approx(1.0, abs=0.01) or not any(e["shares"].values())
        assert seg.evidence.endswith(e["summary"]) and e["window"][0] < seg.end and e["window"][1] > seg.start
    engine.dispose()
