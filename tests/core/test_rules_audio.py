"""poor_audio and negative_emotion with known answers."""
import re

import numpy as np
import pytest
from rule_builders import (
    channel,
    channel_from_audio,
    context,
    set_span,
    settings,
    sine,
    spans,
    turn,
    words_at,
)

from reviewer_app.core.detect.rules import negative_emotion, poor_audio
from reviewer_app.core.domain import AGENT, BOTH, CUSTOMER, Word


def _poor(*chans, **rules):
    chans = list(chans)
    if len(chans) == 1 and chans[0].role != BOTH:
        other = CUSTOMER if chans[0].role == AGENT else AGENT
        chans.append(channel(other, len(chans[0].energy_db) * 0.01))
    return poor_audio.detect(context(len(chans[0].energy_db) * 0.01, channels=chans), settings(**rules))


# --- poor_audio: clipping -------------------------------------------------------------------

def test_clipped_sine_is_flagged_clean_sine_is_not():
    samples = sine(10.0, 0.5)
    samples[3 * 8000:5 * 8000] *= 4  # amplitude 2.0, clipped at full scale between 3 and 5 s
    [seg] = _poor(channel_from_audio(AGENT, samples, [(0, 10)]))
    assert (seg.start, seg.end, seg.role) == (3.0, 5.0, AGENT)
    assert (seg.category, seg.source) == ("poor_audio", "rule:poor_audio")
    pct = float(re.fullmatch(r"clipping (\d+)% of samples", seg.evidence).group(1))
    assert pct == pytest.approx(65, abs=2)  # |2 sin| >= 1 for 2/3 of the time; 13 of 20 samples at 40 per period
    assert seg.score == 1.0
    assert _poor(channel_from_audio(AGENT, sine(10.0, 0.5), [(0, 10)])) == []


def test_clipping_threshold_and_minimum_length():
    def clipped(frac, start, end):
        return set_span(channel(AGENT, 10, [(0, 10)]), start, end, clipped=frac)

    assert spans(_poor(clipped(0.02, 4.0, 4.25))) == [(4.0, 4.25)]
    assert _poor(clipped(0.02, 4.0, 4.2)) == []  # shorter than clipping_min_s
    assert _poor(clipped(0.01, 4.0, 6.0)) == []  # not over clipping_fraction
    [seg] = _poor(clipped(0.005, 4.0, 6.0), clipping_fraction=0.004)
    assert seg.evidence == "clipping 0.5% of samples"


# --- poor_audio: dropouts -------------------------------------------------------------------

def test_dropout_of_digital_silence_inside_speech():
    samples = sine(10.0, 0.3)
    samples[int(5.0 * 8000):int(5.3 * 8000)] = 0.0
    [seg] = _poor(channel_from_audio(CUSTOMER, samples, [(0, 10)]))
    assert (seg.start, seg.end, seg.role) == (5.0, 5.3, CUSTOMER)
    assert seg.evidence == "dropout: 0.30 s of digital silence"


def test_dropout_length_limits():
    def dropped(start, end):
        return set_span(channel(AGENT, 10, [(0, 10)]), start, end, energy_db=-120.0)

    assert spans(_poor(dropped(5.0, 5.15))) == [(5.0, 5.15)]
    assert spans(_poor(dropped(5.0, 5.02))) == [(5.0, 5.02)]  # packet loss: 20 ms is a dropout (issue 9)
    assert _poor(dropped(5.0, 5.01)) == []  # shorter than dropout_min_s
    assert _poor(dropped(5.0, 5.1), dropout_min_s=0.15) == []
    assert _poor(dropped(3.0, 6.0)) == []  # longer than dropout_max_s: a mute, not a dropout


def test_digital_silence_outside_speech_is_not_a_dropout():
    samples = sine(10.0, 0.3)
    samples[:8000] = 0.0  # file starts with 1 s of digital silence
    samples[int(7.0 * 8000):] = 0.0  # speech ends at 6 s, then 0.5 s gap, then silence to the end
    samples[int(6.0 * 8000):int(6.5 * 8000)] = 0.001  # a quiet tail before the silence, not sudden
    ch = channel_from_audio(AGENT, samples, [(1.0, 6.0)])
    assert [s for s in _poor(ch) if "dropout" in s.evidence] == []


def test_dropout_needs_speech_on_both_sides():
    ch = set_span(channel(AGENT, 20, [(0, 5)]), 12.0, 12.3, energy_db=-120.0)
    assert _poor(ch) == []


# --- poor_audio: level and noise ------------------------------------------------------------

def test_low_level_speech():
    [seg] = _poor(channel(AGENT, 12, [(3, 9)], speech_db=-55, quiet_db=-80))
    assert (seg.start, seg.end) == (3.0, 9.0)
    assert seg.evidence == "low level: speech at -55 dBFS"
    assert _poor(channel(AGENT, 12, [(3, 9)], speech_db=-40, quiet_db=-80)) == []


def test_low_level_too_short_is_dropped():
    assert _poor(channel(AGENT, 12, [(3, 4.5)], speech_db=-55, quiet_db=-80)) == []


def test_low_snr_is_noise():
    # issue 9: the noise also shows while the agent is silent, so around its speech the channel is covered,
    # and on to the call's end: the silence after it carries the same floor as next to the speech
    [seg] = _poor(channel(AGENT, 12, [(2, 8)], speech_db=-40, quiet_db=-45))
    assert (seg.start, seg.end) == (0.0, 12.0)
    assert seg.evidence == ("noise: SNR 5 dB; noise 5 dB below the speech; "
                            "the same noise through the pauses, 5 dB below the speech")
    assert len(_poor(channel(AGENT, 12, [(2, 8)], speech_db=-40, quiet_db=-55))) == 1  # 15 dB SNR is noise (issue 9)
    assert _poor(channel(AGENT, 12, [(2, 8)], speech_db=-40, quiet_db=-60)) == []  # 20 dB is not


def test_high_noise_floor_covers_quiet_time_too():
    [seg] = _poor(channel(CUSTOMER, 12, [(2, 8)], speech_db=-10, quiet_db=-30))
    assert (seg.start, seg.end, seg.role) == (0.0, 12.0, CUSTOMER)
    assert seg.evidence == "noise floor -30 dBFS"


def test_flat_spectrum_speech_is_noisy():
    [seg] = _poor(channel(AGENT, 12, [(2, 8)], flatness=0.7))
    assert (seg.start, seg.end) == (2.0, 8.0)
    assert seg.evidence == "noisy speech: spectral flatness 0.70"


def test_leakage_while_other_side_talks_is_not_noise():
    cust = channel(CUSTOMER, 20, [(0, 8)])
    agent = set_span(channel(AGENT, 20, [(10, 20)]), 0, 8, energy_db=-32.0)  # customer leaking in
    assert poor_audio.detect(context(20, channels=[cust, agent]), settings()) == []


def test_clean_call_has_no_poor_audio():
    cust = channel(CUSTOMER, 30, [(0, 10), (20, 25)])
    agent = channel(AGENT, 30, [(10, 20), (25, 30)])
    assert poor_audio.detect(context(30, channels=[cust, agent]), settings()) == []


def test_poor_audio_mono_role_is_both():
    ch = channel(BOTH, 12, [(3, 9)], speech_db=-55, quiet_db=-80)
    [seg] = poor_audio.detect(context(12, channels=[ch]), settings())
    assert seg.role == BOTH


# --- negative_emotion -----------------------------------------------------------------------

def _speaker(role=AGENT, duration=30.0, stretch=None, loud_db=-13.0, high_hz=250.0):
    ch = channel(role, duration, [(0, duration)], speech_db=-25.0, pitch_hz=150.0)
    if stretch:
        set_span(ch, *stretch, energy_db=loud_db, pitch_hz=high_hz)
    return ch


def _emotion(ch, words=(), role=AGENT, **rules):
    other = channel(CUSTOMER if role == AGENT else AGENT, 30.0)
    turns = [turn(role, list(words))] if words else []
    return negative_emotion.detect(context(30.0, turns, channels=[ch, other]), settings(**rules))


def test_loud_high_pitch_with_lexicon_scores_high():
    words = words_at("this is ridiculous", 10.5, 0.5)
    [seg] = _emotion(_speaker(stretch=(10.0, 13.0)), words)
    assert (seg.start, seg.end, seg.role) == (10.0, 13.0, AGENT)
    assert (seg.category, seg.source, seg.score) == ("negative_emotion", "rule:negative_emotion", 0.9)
    assert seg.evidence == "raised pitch and vocal effort and louder for 3.0 s (lexicon: 'ridiculous')"


def test_lexicon_near_arousal_widens_segment():
    words = words_at("unacceptable", 14.0, 0.8)  # 1 s after the stretch, within 2 s
    [seg] = _emotion(_speaker(stretch=(10.0, 13.0)), words)
    assert (seg.start, seg.end, seg.score) == (10.0, 14.8, 0.9)


def test_arousal_alone_scores_medium():
    [seg] = _emotion(_speaker(stretch=(10.0, 13.0)))
    assert (seg.start, seg.end, seg.score) == (10.0, 13.0, 0.6)
    assert seg.evidence == "raised pitch and vocal effort and louder for 3.0 s"


def test_flat_voice_with_lexicon_scores_low():
    words = words_at("this is ridiculous", 10.5, 0.5)
    [seg] = _emotion(_speaker(), words)
    assert (seg.start, seg.end, seg.score) == (11.5, 12.0, 0.5)
    assert seg.evidence == "lexicon: 'ridiculous'"


def test_flat_voice_no_lexicon_is_nothing():
    assert _emotion(_speaker()) == []


def test_loud_but_not_higher_pitched_is_not_arousal():
    assert _emotion(_speaker(stretch=(10.0, 13.0), high_hz=150.0)) == []


def test_arousal_minimum_duration():
    assert len(_emotion(_speaker(stretch=(10.0, 11.0)))) == 1
    assert _emotion(_speaker(stretch=(10.0, 10.9))) == []


def test_unvoiced_frames_inside_stretch_are_bridged():
    ch = _speaker(stretch=(10.0, 13.0))
    for t in np.arange(10.2, 12.8, 0.5):
        set_span(ch, t, t + 0.1, pitch_hz=0.0)  # short unvoiced gaps
    [seg] = _emotion(ch)
    assert (seg.start, seg.end) == (10.0, 13.0)


def test_customer_emotion_and_chinese_lexicon():
    words = [Word("我要", 10.2, 10.6, 0.9), Word("投诉你们！", 10.6, 11.4, 0.9)]
    [seg] = _emotion(_speaker(role=CUSTOMER, stretch=(10.0, 12.0)), words, role=CUSTOMER)
    assert (seg.role, seg.score) == (CUSTOMER, 0.9) and "'投诉'" in seg.evidence


def test_too_little_speech_for_baseline_only_lexicon():
    ch = channel(AGENT, 30.0, [(10, 13)], speech_db=-25.0)
    set_span(ch, 11.0, 12.5, energy_db=-10.0, pitch_hz=300.0)
    [seg] = _emotion(ch, words_at("this is terrible", 11.0, 0.5))
    assert seg.score == 0.5 and seg.evidence == "lexicon: 'terrible'"
