"""The benchmark's problem injections (reviewer_app/core/synth) on generated signals, with known answers."""
from __future__ import annotations

import numpy as np
import pytest

from reviewer_app.core.synth import injections as inj
from reviewer_app.core.synth import speech

RATE = 8000


def tone(seconds=1.0, freq=440.0, amp=0.5, rate=RATE):
    t = np.arange(int(seconds * rate)) / rate
    return amp * np.sin(2 * np.pi * freq * t)


def test_db_and_rms():
    assert inj.db_to_gain(-20) == pytest.approx(0.1)
    assert inj.rms(np.full(10, 0.5)) == pytest.approx(0.5)
    assert inj.rms_dbfs(tone(amp=1.0)) == pytest.approx(-3.01, abs=0.01)
    speech_like = np.concatenate([tone(2.0, amp=0.5), np.zeros(3 * RATE)])  # pauses do not dilute
    assert inj.active_rms(speech_like, RATE) == pytest.approx(0.5 / np.sqrt(2), rel=0.02)


def test_hard_clip_applies_gain_then_clips_at_the_ceiling():
    x = tone(amp=0.5)
    y = inj.hard_clip(x, ceiling=0.3, gain_db=6.0)
    assert np.max(np.abs(y)) == pytest.approx(0.3)
    # 0.5 * 2 = 1.0 peak: |sin| >= 0.3 for 1 - 2/pi * asin(0.3) of the time
    expected = 1 - 2 / np.pi * np.arcsin(0.3)
    assert inj.clipped_fraction(y, 0.3) == pytest.approx(expected, abs=0.01)
    assert np.array_equal(inj.hard_clip(x, 1.0), x)  # no gain, under full scale: untouched
    part = inj.hard_clip(x, 0.1, rate=RATE, start_s=0.5, end_s=1.0)
    assert np.array_equal(part[: RATE // 2], x[: RATE // 2])
    assert np.max(np.abs(part[RATE // 2:])) == pytest.approx(0.1)
    with pytest.raises(ValueError):
        inj.hard_clip(x, 0.0)


def test_soft_saturation_keeps_full_scale_and_compresses_without_flat_tops():
    x = np.linspace(-1, 1, 1001)
    y = inj.soft_saturate(x, drive=4.0)
    assert y[-1] == pytest.approx(1.0) and y[0] == pytest.approx(-1.0)
    assert y[750] == pytest.approx(np.tanh(2.0) / np.tanh(4.0))  # x = 0.5
    assert np.all(np.diff(y) > 0)  # strictly increasing: never flat like a hard clip
    assert inj.clipped_fraction(y, 1.0) < 0.01


def test_zeroed_dropout_is_digital_silence_of_the_right_length():
    x = 0.5 + tone(amp=0.2)  # never zero on its own
    y = inj.dropout(x, RATE, start_s=0.25, length_s=0.06, mode="zero")
    zero = np.flatnonzero(y == 0.0)
    assert zero[0] == 2000 and zero.size == 480
    assert np.array_equal(y[:2000], x[:2000]) and np.array_equal(y[2480:], x[2480:])


def test_repeated_frame_dropout_repeats_the_last_frame_received():
    x = np.arange(1000, dtype=float) / 1000
    y = inj.dropout(x, 1000, start_s=0.5, length_s=0.05, mode="repeat", frame_s=0.02)
    assert np.array_equal(y[500:520], x[480:500])
    assert np.array_equal(y[520:540], x[480:500])
    assert np.array_equal(y[540:550], x[480:490])
    assert np.array_equal(y[550:], x[550:])
    stereo = inj.dropout(np.stack([x, -x]), 1000, 0.5, 0.05, mode="repeat")
    assert np.array_equal(stereo[1, 500:520], -x[480:500])


def test_noise_is_added_at_the_requested_snr():
    rng = np.random.default_rng(1)
    x = tone(2.0, amp=0.5)
    ref = inj.rms(x)
    for maker in (inj.white_noise, inj.pink_noise):
        noise = maker(RATE, rng)
        assert inj.rms(noise) == pytest.approx(1.0, rel=0.05)
        y = inj.add_noise(x, noise, snr_db=10.0, rate=RATE, reference_rms=ref)
        assert 20 * np.log10(ref / inj.rms(y - x)) == pytest.approx(10.0, abs=0.05)
    burst = inj.add_noise(x, inj.white_noise(RATE, rng), 0.0, RATE, ref, start_s=0.5, end_s=1.0)
    diff = burst - x
    assert np.all(diff[:4000] == 0) and np.all(diff[8000:] == 0)
    assert inj.rms(diff[4100:7900]) == pytest.approx(ref, rel=0.1)


def test_pink_noise_has_more_low_than_high_energy():
    y = inj.pink_noise(2 ** 16, np.random.default_rng(0))
    power = np.abs(np.fft.rfft(y)) ** 2
    n = power.size
    low, high = power[n // 64: n // 32].mean(), power[n // 2: n].mean()
    assert 10 * np.log10(low / high) > 10  # 1/f: about 15 dB between these octaves


def test_mains_hum_has_its_fundamental_and_harmonics():
    for freq in (50.0, 60.0):
        y = inj.mains_hum(RATE, RATE, freq_hz=freq, harmonics=(1.0, 0.5))
        spectrum = np.abs(np.fft.rfft(y))
        bins = np.argsort(spectrum)[-2:]  # 1 s at RATE: bin k is k Hz
        assert sorted(bins.tolist()) == [int(freq), int(2 * freq)]
        assert spectrum[int(freq)] / spectrum[int(2 * freq)] == pytest.approx(2.0, rel=0.01)
        assert inj.rms(y) == pytest.approx(1.0)


def test_crackle_is_sparse_clicks():
    rng = np.random.default_rng(3)
    y = inj.crackle(RATE * 2, RATE, clicks_per_s=10, rng=rng)
    assert inj.rms(y) == pytest.approx(1.0)
    loud = np.abs(y) > 0.1 * np.max(np.abs(y))
    assert 0.001 < loud.mean() < 0.05  # mostly quiet between clicks
    again = inj.crackle(RATE * 2, RATE, 10, np.random.default_rng(3))
    assert np.array_equal(y, again)  # seeded


def test_level_change_by_db_over_a_span():
    x = np.full(RATE * 2, 0.5)
    y = inj.change_level(x, -40.0, RATE, start_s=0.5, end_s=1.5)
    assert y[6000] == pytest.approx(0.005)
    assert y[100] == 0.5 and y[-100] == 0.5
    assert np.all(np.abs(np.diff(y)) < 0.01)  # ramped, no step
    assert inj.change_level(x, -30.0, RATE)[0] == pytest.approx(0.5 * 10 ** -1.5)


def test_insert_silence_shifts_what_follows():
    x = np.stack([np.ones(100), 2 * np.ones(100)])
    y = inj.insert(x, 0.05, np.zeros(30), rate=1000)
    assert y.shape == (2, 130)
    assert np.all(y[:, 50:80] == 0) and np.all(y[1, 80:] == 2)
    with pytest.raises(ValueError):
        inj.insert(x, 1.0, np.zeros(3), rate=1000)


def test_comfort_noise_and_hold_music_levels():
    rng = np.random.default_rng(5)
    assert inj.rms_dbfs(inj.comfort_noise(RATE, RATE, -60.0, rng)) == pytest.approx(-60.0, abs=0.01)
    music = inj.hold_music(6.0, RATE, rng, dbfs=-20.0)
    assert music.size == 6 * RATE
    assert inj.rms_dbfs(music) == pytest.approx(-20.0, abs=0.01)
    spectrum = np.abs(np.fft.rfft(music[:RATE]))
    peak_hz = np.argmax(spectrum)  # 1 s: bin = Hz; chord tones lie between A3 and two octaves up
    assert 200 <= peak_hz <= 1800


def test_overlay_sets_the_relative_level():
    x = tone(2.0, amp=0.4)
    other = tone(0.5, freq=300.0, amp=1.0)
    y = inj.overlay(x, other, at_s=1.0, rate=RATE, relative_db=-20.0, reference_rms=inj.rms(x))
    added = y - x
    assert np.all(added[:RATE] == 0)
    assert inj.rms(added[RATE:RATE + 4000]) == pytest.approx(inj.rms(x) * 0.1, rel=0.02)
    tail = inj.overlay(x, other, at_s=1.9, rate=RATE, relative_db=0.0, reference_rms=0.1)
    assert tail.shape == x.shape  # cut at the end


def test_loop_repeats_the_stretch():
    x = np.arange(10, dtype=float)
    y = inj.loop(x, 1, start_s=2, end_s=5, times=2)
    assert y.tolist() == [0, 1, 2, 3, 4, 2, 3, 4, 2, 3, 4, 5, 6, 7, 8, 9]


@pytest.mark.skipif(not speech.tools_available(), reason="espeak-ng and sox are not installed")
def test_espeak_and_tempo():
    slow = speech.espeak("the reference number is four five two", "en-us", wpm=140, rate=RATE)
    fast = speech.espeak("the reference number is four five two", "en-gb", wpm=260, rate=RATE)
    assert 0.3 < fast.size / slow.size < 0.8
    assert np.max(np.abs(slow)) > 0.05
    sped = speech.tempo(slow, RATE, 1.5)
    assert sped.size / slow.size == pytest.approx(1 / 1.5, rel=0.02)
    stereo = speech.tempo(np.stack([slow, 0.5 * slow]), RATE, 1.3)
    assert stereo.shape[0] == 2 and stereo.shape[1] == pytest.approx(slow.size / 1.3, rel=0.02)
    assert speech.resample(slow, RATE, 16000).size == pytest.approx(2 * slow.size, abs=2)
