"""Voice activity per channel: VAD finds the speech, crosstalk is not counted as speech."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from reviewer_app.core import intervals as iv
from reviewer_app.core.audio.activity import channel_activity, smooth_activity, speech_intervals
from reviewer_app.core.audio.decode import DecodedAudio, decode_audio
from reviewer_app.core.audio.signals import analyse_channels, channels_16k, is_dual_mono
from reviewer_app.core.settings import RuleSettings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
HOP = 0.01
MARGIN = RuleSettings().crosstalk_margin_db


def precision_recall(pred: list, ref: list, n: int) -> tuple[float, float]:
    p, r = iv.to_mask(pred, n, HOP), iv.to_mask(ref, n, HOP)
    tp = float((p & r).sum())
    return tp / max(int(p.sum()), 1), tp / max(int(r.sum()), 1)


@pytest.fixture(scope="module")
def basic() -> dict:
    audio = decode_audio(FIXTURES / "call_basic.wav")
    truth = json.loads((FIXTURES / "call_basic.truth.json").read_text(encoding="utf-8"))
    pcm = channels_16k(audio)
    signals = analyse_channels(audio, truth["roles"], MARGIN, audio_16k=pcm)
    vad = [speech_intervals(x) for x in pcm]
    return {"audio": audio, "truth": truth, "signals": signals, "vad": vad}


def _spans(truth: dict, role: str) -> list:
    return iv.merge((u["start"], u["end"]) for u in truth["utterances"] if u["role"] == role)


def _segment(truth: dict, category: str) -> dict:
    (seg,) = [s for s in truth["segments"] if s["category"] == category]
    return seg


def test_speech_is_found_where_the_truth_says(basic: dict) -> None:
    n = len(basic["signals"][0].energy_db)
    for sig in basic["signals"]:
        precision, recall = precision_recall(sig.activity, _spans(basic["truth"], sig.role), n)
        assert precision > 0.95 and recall > 0.95, (sig.role, precision, recall)


def test_crosstalk_leak_is_not_counted_as_speech(basic: dict) -> None:
    """The -25 dB leak fools the raw VAD of the other channel; activity drops it."""
    n = len(basic["signals"][0].energy_db)
    for channel, sig in enumerate(basic["signals"]):
        other_only = iv.complement(_spans(basic["truth"], sig.role), 0.0, basic["audio"].duration_s)
        leak = iv.intersect(iv.merge(basic["vad"][channel]), other_only)
        assert iv.total(leak) > 5.0  # the VAD alone hears the other side's leak...
        heard = iv.intersect(sig.activity, iv.merge(s for s in other_only if s[1] - s[0] > 0.5))
        assert iv.total(heard) < 0.3, (sig.role, heard)  # ...activity does not
    assert precision_recall(basic["vad"][0], _spans(basic["truth"], "customer"), n)[0] < 0.8


def test_overtalk_and_dead_air_match_the_layout(basic: dict) -> None:
    customer, agent = (s.activity for s in basic["signals"])
    overtalk = iv.drop_shorter_than(iv.intersect(customer, agent), 1.0)
    truth_ot = _segment(basic["truth"], "overtalk")
    assert len(overtalk) == 1
    assert overtalk[0][0] == pytest.approx(truth_ot["start"], abs=0.3)
    assert overtalk[0][1] == pytest.approx(truth_ot["end"], abs=0.3)
    everyone = iv.merge(customer + agent)
    gaps = iv.drop_shorter_than(iv.complement(everyone, 0.0, basic["audio"].duration_s), 5.0)
    truth_dead = _segment(basic["truth"], "dead_air")
    assert len(gaps) == 1
    assert gaps[0][0] == pytest.approx(truth_dead["start"], abs=0.3)
    assert gaps[0][1] == pytest.approx(truth_dead["end"], abs=0.3)


def test_signals_carry_role_and_equal_frame_counts(basic: dict) -> None:
    customer, agent = basic["signals"]
    assert (customer.role, agent.role) == ("customer", "agent")
    n = len(customer.energy_db)
    assert n == int(np.ceil(basic["audio"].n_samples / (HOP * basic["audio"].sample_rate)))
    for sig in basic["signals"]:
        assert {len(sig.energy_db), len(sig.pitch_hz), len(sig.flatness), len(sig.clipped)} == {n}
    assert not is_dual_mono(basic["audio"].samples)


def test_crosstalk_rule_on_synthetic_levels() -> None:
    n = 300  # 3 s
    both = [[(0.0, 3.0)], [(0.0, 3.0)]]
    loud, leak = np.full(n, -20.0), np.full(n, -45.0)
    assert channel_activity(both, [loud, leak], HOP, 15.0) == [[(0.0, 3.0)], []]
    assert channel_activity(both, [leak, loud], HOP, 15.0) == [[], [(0.0, 3.0)]]
    close = np.full(n, -30.0)  # genuine overtalk: a quieter voice, but within the margin
    assert channel_activity(both, [loud, close], HOP, 15.0) == [[(0.0, 3.0)], [(0.0, 3.0)]]
    mono = channel_activity([[(0.5, 1.0), (1.1, 2.0), (2.5, 2.55)]], [loud], HOP, 15.0)
    assert mono == [[(0.5, 2.0)]]


def test_smoothing_fills_short_gaps_and_drops_short_bursts() -> None:
    spans = [(0.0, 1.0), (1.15, 2.0), (2.5, 2.55), (3.0, 3.5)]
    assert smooth_activity(spans) == [(0.0, 2.0), (3.0, 3.5)]


def test_vad_on_silence_and_noise_finds_nothing() -> None:
    rng = np.random.default_rng(0)
    assert speech_intervals(np.zeros(16000, np.float32)) == []
    assert speech_intervals(rng.normal(0, 0.001, 32000).astype(np.float32)) == []
    assert speech_intervals(np.zeros(0, np.float32)) == []


def test_dual_mono_is_recognised() -> None:
    x = np.random.default_rng(1).normal(0, 0.1, 8000).astype(np.float32)
    assert is_dual_mono(np.stack([x, x]))
    assert not is_dual_mono(np.stack([x, x[::-1]]))


def test_mono_call_uses_vad_as_activity() -> None:
    audio = decode_audio(FIXTURES / "call_noisy_mono.wav")
    truth = json.loads((FIXTURES / "call_noisy_mono.truth.json").read_text(encoding="utf-8"))
    (sig,) = analyse_channels(audio, ["both"], MARGIN)
    spans = iv.merge((u["start"], u["end"]) for u in truth["utterances"])
    precision, recall = precision_recall(sig.activity, spans, len(sig.energy_db))
    assert precision > 0.9 and recall > 0.95


def test_core_audio_does_not_import_qt() -> None:
    code = (
        "import sys, reviewer_app.core.audio.decode, reviewer_app.core.audio.features, "
        "reviewer_app.core.audio.activity, reviewer_app.core.audio.signals; "
        "sys.exit('PySide6' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.skipif(not (SHARED_DATA / "calls_en" / "MUL1423.wav").exists(), reason="shared call data absent")
def test_real_call_activity_and_overtalk() -> None:
    """MUL1423 (8 kHz, left customer, right agent): activity vs the word timings."""
    folder = SHARED_DATA / "calls_en"
    audio = decode_audio(folder / "MUL1423.wav")
    words = json.loads((folder / "MUL1423.json").read_text(encoding="utf-8"))
    signals = analyse_channels(audio, ["customer", "agent"], MARGIN)
    n = len(signals[0].energy_db)
    for sig, speaker in zip(signals, "AB"):
        spans = iv.merge((w["start"], w["end"]) for w in words if w["speaker"] == speaker)
        precision, recall = precision_recall(sig.activity, spans, n)
        assert precision > 0.95 and recall > 0.7, (speaker, precision, recall)
    overtalk = iv.drop_shorter_than(iv.intersect(signals[0].activity, signals[1].activity), 1.0)
    # Only one overlap there is audible for 1 s or more (about 28.7-29.8 s).
    assert len(overtalk) == 1 and 28.0 < overtalk[0][0] < 29.5


def test_decoded_audio_fields() -> None:
    audio = decode_audio(FIXTURES / "call_basic.wav")
    assert isinstance(audio, DecodedAudio)
    assert (audio.channels, audio.source_channels, audio.sample_rate) == (2, 2, 8000)
    assert audio.duration_s == pytest.approx(audio.n_samples / 8000)
