"""Frame features on synthetic signals with known answers, and on the noisy fixture."""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest

from reviewer_app.core.audio.decode import decode_audio
from reviewer_app.core.audio.features import FrameFeatures, frame_count, frame_features, log_mel

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def sine(freq: float, rate: int, seconds: float = 1.0, amp: float = 0.5) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * freq * np.arange(int(rate * seconds)) / rate)).astype(np.float32)


@pytest.mark.parametrize("rate", [8000, 16000, 44100])
@pytest.mark.parametrize("freq", [150.0, 220.0])
def test_pitch_of_a_tone(rate: int, freq: float) -> None:
    f = frame_features(sine(freq, rate), rate)
    voiced = f.pitch_hz[f.pitch_hz > 0]
    assert voiced.size >= 0.9 * f.n_frames
    assert np.median(voiced) == pytest.approx(freq, rel=0.03)
    assert np.all(np.abs(voiced - freq) <= 0.03 * freq)


def test_pitch_of_a_voice_like_tone_with_no_fundamental() -> None:
    """Telephone bands cut the fundamental; the harmonics still give 120 Hz, not 240 or 60."""
    rate = 8000
    t = np.arange(rate) / rate
    x = sum(0.05 * np.sin(2 * np.pi * 120 * k * t + k) for k in range(3, 20)).astype(np.float32)
    f = frame_features(x, rate)
    assert np.median(f.pitch_hz[f.pitch_hz > 0]) == pytest.approx(120, rel=0.03)


def test_noise_and_silence_are_unvoiced() -> None:
    rate = 8000
    noise = np.random.default_rng(0).normal(0, 0.1, rate).astype(np.float32)
    assert (frame_features(noise, rate).pitch_hz > 0).mean() < 0.05
    silent = frame_features(np.zeros(rate, np.float32), rate)
    assert not silent.pitch_hz.any()
    assert np.all(silent.energy_db == -120.0)


def test_energy_of_a_half_scale_sine_is_minus_9_dbfs() -> None:
    f = frame_features(sine(1000, 16000, amp=0.5), 16000)
    assert np.all(np.abs(f.energy_db - 20 * math.log10(0.5 / math.sqrt(2))) < 0.05)  # -9.03 dBFS


def test_clipping_fraction_of_a_clipped_sine() -> None:
    x = np.clip(sine(173.3, 8000, seconds=2.0, amp=2.0), -1.0, 1.0)
    f = frame_features(x, 8000)
    expected = 1 - (2 / math.pi) * math.asin(0.99 / 2.0)  # share of the period with |2 sin| >= 0.99
    assert float(f.clipped.mean()) == pytest.approx(expected, abs=0.01)
    assert float(f.clipped.mean()) == pytest.approx(float(np.mean(np.abs(x) >= 0.99)), abs=1e-4)
    assert not frame_features(sine(200, 8000, amp=0.5), 8000).clipped.any()


def test_flatness_tells_noise_from_tone() -> None:
    rate = 8000
    noise = np.random.default_rng(1).normal(0, 0.1, rate).astype(np.float32)
    assert np.median(frame_features(noise, rate).flatness) > 0.4
    assert np.median(frame_features(sine(440, rate), rate).flatness) < 0.05


@pytest.mark.parametrize(("rate", "n"), [(8000, 8000), (8000, 8001), (11025, 12345), (16000, 1601), (44100, 4410)])
def test_every_array_has_ceil_n_over_hop_frames(rate: int, n: int) -> None:
    x = np.random.default_rng(2).normal(0, 0.1, n).astype(np.float32)
    f = frame_features(x, rate)
    expected = math.ceil(n / (0.01 * rate))
    assert frame_count(n, rate) == expected
    assert isinstance(f, FrameFeatures) and f.hop_s == 0.01
    for arr in (f.energy_db, f.pitch_hz, f.flatness, f.clipped):
        assert arr.shape == (expected,) and arr.dtype == np.float32
    assert log_mel(x, rate).shape == (64, expected)
    assert f.frame_times()[-1] == pytest.approx((expected - 1) * 0.01)


def test_log_mel_puts_a_tone_in_the_right_band() -> None:
    rate = 16000
    mel = log_mel(sine(1000, rate), rate, n_mels=40)
    assert mel.dtype == np.float32 and mel.min() >= -120.0
    band = int(np.argmax(mel[:, 50]))
    mel_of = lambda f: 2595 * math.log10(1 + f / 700)  # noqa: E731
    expected = mel_of(1000) / mel_of(rate / 2) * 41 - 1
    assert abs(band - expected) <= 1.5
    assert mel[band, 50] == pytest.approx(-6 - 20 * math.log10(2), abs=3)  # 0.5 amplitude: about -12 dB


def test_rejects_multichannel_input() -> None:
    with pytest.raises(ValueError, match="one channel"):
        frame_features(np.zeros((2, 100), np.float32), 8000)


def test_two_minutes_of_8khz_is_fast() -> None:
    rate = 8000
    rng = np.random.default_rng(3)
    x = (0.2 * np.sin(2 * np.pi * 140 * np.arange(120 * rate) / rate) * (rng.random(120 * rate) > 0.5)).astype(np.float32)
    frame_features(x[:rate], rate)  # warm up
    start = time.perf_counter()
    f = frame_features(x, rate)
    elapsed = time.perf_counter() - start
    assert f.n_frames == 12000
    assert elapsed < 0.5, f"frame_features took {elapsed:.2f} s for 2 min"


def test_noisy_mono_fixture_shows_its_faults() -> None:
    audio = decode_audio(FIXTURES / "call_noisy_mono.wav")
    truth = json.loads((FIXTURES / "call_noisy_mono.truth.json").read_text(encoding="utf-8"))
    f = frame_features(audio.samples[0], audio.sample_rate)
    times = f.frame_times()
    faults = {s["kind"]: s for s in truth["segments"] if s["category"] == "poor_audio"}
    assert set(faults) == {"clipping", "noise", "dropout"}

    def inside(kind: str) -> np.ndarray:
        return (times >= faults[kind]["start"] + 0.02) & (times < faults[kind]["end"] - 0.02)

    clean = times < truth["utterances"][0]["end"]
    assert f.clipped[inside("clipping")].mean() > 0.02 > f.clipped[clean].max()
    assert np.median(f.flatness[inside("noise")]) > 2 * np.median(f.flatness[clean])
    assert np.all(f.energy_db[inside("dropout")] == -120.0)
    drop = faults["dropout"]
    outside = (times + 0.01 <= drop["start"] - 0.01) | (times >= drop["end"] + 0.01)
    assert np.all(f.energy_db[outside] > -90.0)  # line noise: silence is never digital zero
