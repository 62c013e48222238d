"""Whisper encoder states captured while transcribing equal the ones computed on their own, and get cached."""
from __future__ import annotations

import numpy as np

from reviewer_app.core.asr import encoder_states as ec
from reviewer_app.core.model import encoder_cache
from reviewer_app.core.asr.transcribe import load_engine, transcribe_channel
from reviewer_app.core.audio.decode import decode_audio
from reviewer_app.core.audio.signals import channels_16k
from reviewer_app.core.pipeline import analyze, run_to_end
from reviewer_app.core.settings import AsrSettings, Settings
from tests.conftest import FIXTURES
from tests.core.test_training_support import _private_feature_cache  # noqa: F401  (autouse)


def test_captured_states_match_an_encoder_run_of_their_own():
    engine = load_engine(AsrSettings(model="tiny.en"))
    agent = channels_16k(decode_audio(str(FIXTURES / "call_basic.wav")))[1]
    result = run_to_end(transcribe_channel(engine, agent, "agent", [(0.0, agent.size / 16000)], "en",
                                           capture_encoder=True))
    captured = result.encoder_states
    assert result.turns and captured.model == "whisper-tiny.en" and captured.dim == 384
    computed = ec.compute_states(engine.model, "whisper-tiny.en", agent, agent.size / 16000)
    assert captured.states.shape == computed.states.shape
    assert np.array_equal(captured.covered, computed.covered)
    assert 0.2 < captured.covered.mean() < 0.95  # speech only: the dead air stays uncovered
    # the agent's speech after VAD fits one 30 s window: the same encoder input, the same states
    a = captured.states[captured.covered].astype(np.float32)
    b = computed.states[computed.covered].astype(np.float32)
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-9)
    assert np.median(cos) > 0.99
    # words lie where the encoder saw speech
    for w in (w for t in result.turns for w in t.words):
        assert captured.covered[int((w.start + w.end) / 2 / ec.HOP_S)]


def test_analysis_caches_each_channels_encoder_states():
    settings = Settings()
    settings.asr.model = "tiny.en"
    settings.asr.language = "en"
    analysis = run_to_end(analyze(FIXTURES / "call_noisy_mono.wav", settings))
    cached = encoder_cache.load_states(analysis.audio.sha256, "whisper-tiny.en")
    assert cached is not None and len(cached) == 1
    assert cached[0].states.shape[0] == ec.frames_for(analysis.audio.duration_s)
    assert cached[0].covered.any()
    from reviewer_app.core.detect.merge import policy_from_meta, uses_model
    from reviewer_app.core.model.checkpoint import read_meta
    from reviewer_app.core.model.registry import default_checkpoint

    # the bundled model decides the categories it earned on held-out real calls (its metadata's validation)
    earned = uses_model(policy_from_meta(read_meta(default_checkpoint()), settings))
    assert analysis.versions["detector"] == ("rules + model default" if earned else "rules")


def test_analysis_merges_the_model_in_use_and_computes_its_own_encoders_states(tmp_path):
    """The bundled model reads Whisper-base states; a call transcribed with tiny.en gets them computed."""
    from reviewer_app.core.storage.db import open_database

    settings = Settings()
    settings.asr.model = "tiny.en"
    settings.asr.language = "en"
    settings.model.min_labels_per_category = 0  # every window category on the model
    engine = open_database(f"sqlite:///{tmp_path / 'lib.sqlite3'}")
    analysis = run_to_end(analyze(FIXTURES / "call_noisy_mono.wav", settings, db=engine))
    assert analysis.versions["detector"] == "rules + model default", analysis.warnings
    assert not analysis.warnings
    base = encoder_cache.load_states(analysis.audio.sha256, "whisper-base")
    assert base is not None and base[0].dim == 512 and base[0].source == "computed"
    model_cats = {s.category for s in analysis.segments if s.source.startswith("model:")}
    rule_cats = {s.category for s in analysis.segments if s.source.startswith("rule:")}
    assert not model_cats & {"missing_greeting", "missing_closing"}
    assert rule_cats <= {"missing_greeting", "missing_closing"}
