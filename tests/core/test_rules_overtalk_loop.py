"""overtalk against leakage, quiet interrupters, backchannels and pauses; looped audio (issue 9).

Generated calls are real speech from espeak-ng put on two channels (8 kHz,
left customer, right agent) with the other side's leak on each channel, then
measured by the app's own audio layer (VAD, coherence crosstalk removal,
features) before the rules run. Real speech for the loop tests comes from
../shared/data/calls_en (skipped when absent).
"""
from __future__ import annotations

import functools

import numpy as np
import pytest
from rule_builders import context, settings, turn, words_at

from reviewer_app.core import intervals as iv
from reviewer_app.core.audio.decode import DecodedAudio, decode_audio
from reviewer_app.core.audio.signals import analyse_channels
from reviewer_app.core.detect import detector
from reviewer_app.core.detect.rules import looped_audio, overtalk
from reviewer_app.core.domain import AGENT, CUSTOMER, Segment
from reviewer_app.core.synth import injections as inj
from reviewer_app.core.synth import speech
from tests.conftest import shared

RATE = 8000
MAIN_DBFS = -20.0
AGENT_TEXT = ("thank you for calling, I can see your account here and the last payment was received on the "
              "third of this month, so the balance shown on your statement should already include it")
pytestmark = pytest.mark.skipif(not speech.tools_available(), reason="espeak-ng and sox are needed")


@functools.lru_cache(maxsize=None)
def say(text: str, voice: str = "en-us", wpm: int = 170) -> np.ndarray:
    return speech.espeak(text, voice=voice, wpm=wpm, rate=RATE)


def at_level(x: np.ndarray, dbfs: float) -> np.ndarray:
    return x * (inj.db_to_gain(dbfs) / inj.active_rms(x, RATE))


def leak_of(x: np.ndarray, db: float, delay_ms: float) -> np.ndarray:
    """`x` as the other microphone hears it: band-limited (FIR), `db` down, `delay_ms` late."""
    taps = np.arange(63) - 31
    lo, hi = 300 / RATE, 3000 / RATE
    h = (2 * hi * np.sinc(2 * hi * taps) - 2 * lo * np.sinc(2 * lo * taps)) * np.hamming(63)
    y = np.convolve(x, h, mode="same") * inj.db_to_gain(db)
    d = int(round(delay_ms * RATE / 1000))
    return np.concatenate([np.zeros(d), y[: y.size - d]])


def stereo_call(agent: np.ndarray, customer: np.ndarray, leak_db: float = -25.0, delay_ms: float = 3.0,
                seed: int = 0) -> list:
    """Each side's own speech plus the other's leak and a -65 dBFS floor; measured by analyse_channels."""
    rng = np.random.default_rng(seed)
    n = max(agent.size, customer.size)
    agent, customer = np.pad(agent, (0, n - agent.size)), np.pad(customer, (0, n - customer.size))
    left = customer + leak_of(agent, leak_db, delay_ms) + rng.normal(0, inj.db_to_gain(-65), n)
    right = agent + leak_of(customer, leak_db, delay_ms) + rng.normal(0, inj.db_to_gain(-65), n)
    audio = DecodedAudio(np.stack([left, right]).astype(np.float32), RATE, 2, "generated.wav")
    return analyse_channels(audio, [CUSTOMER, AGENT], settings().rules.crosstalk_margin_db)


def agent_turn(seconds: float = 12.0) -> np.ndarray:
    """The agent talking from 1 s on, at MAIN_DBFS."""
    x = np.zeros(int(seconds * RATE))
    voice = at_level(say(AGENT_TEXT), MAIN_DBFS)
    x[RATE:RATE + voice.size] = voice[: x.size - RATE]
    return x


def customer_over(pieces: list[tuple[float, np.ndarray]], rel_db: float, seconds: float = 12.0) -> np.ndarray:
    """The customer's pieces placed at the given times, `rel_db` against the agent's speech level."""
    x = np.zeros(int(seconds * RATE))
    for at, piece in pieces:
        x = inj.overlay(x, piece, at, RATE, rel_db, inj.db_to_gain(MAIN_DBFS))
    return x


def found_over(segments: list[Segment], start: float, end: float) -> list[Segment]:
    return [s for s in segments if min(s.end, end) - max(s.start, start) >= 0.5 * min(end - start, s.duration)]


INTERRUPTION = "no wait, that is not what I asked you about"


@pytest.mark.parametrize("rel_db", [0.0, -10.0, -20.0])
def test_interruption_is_overtalk_on_the_interrupters_side(rel_db):
    interruption = say(INTERRUPTION, "en-us+f3")
    length = interruption.size / RATE
    signals = stereo_call(agent_turn(), customer_over([(3.0, interruption)], rel_db))
    segs = overtalk.detect(context(12.0, channels=signals), settings())
    assert [s.role for s in segs] == [CUSTOMER], segs
    [seg] = found_over(segs, 3.0, 3.0 + length)
    assert seg.duration >= 0.8 * length and "customer talks over agent" in seg.evidence


@pytest.mark.parametrize("leak_db,delay_ms", [(-20.0, 2.0), (-25.0, 4.0), (-30.0, 6.0)])
def test_leakage_alone_is_not_overtalk(leak_db, delay_ms):
    signals = stereo_call(agent_turn(), np.zeros(12 * RATE), leak_db, delay_ms)
    customer = signals[0]
    assert iv.total(customer.activity) < 0.3, customer.activity  # the leak is not the customer's speech
    assert overtalk.detect(context(12.0, channels=signals), settings(overtalk_min_s=0.5)) == []


def test_level_alone_would_delete_a_quiet_interrupter():
    """The same -20 dB interruption measured without the audio (level rule only) is lost: coherence matters."""
    from reviewer_app.core.audio.activity import channel_activity, speech_intervals
    from reviewer_app.core.audio.signals import channels_16k

    interruption = say(INTERRUPTION, "en-us+f3")
    signals = stereo_call(agent_turn(), customer_over([(3.0, interruption)], -20.0))
    assert iv.total(iv.intersect(signals[0].activity, [(3.0, 3.0 + interruption.size / RATE)])) > 1.2
    # rebuild the same call to run the level-only rule on it
    n = 12 * RATE
    rng = np.random.default_rng(0)
    agent, customer = agent_turn(), customer_over([(3.0, interruption)], -20.0)
    left = customer + leak_of(agent, -25.0, 3.0) + rng.normal(0, inj.db_to_gain(-65), n)
    right = agent + leak_of(customer, -25.0, 3.0) + rng.normal(0, inj.db_to_gain(-65), n)
    pcm = channels_16k(DecodedAudio(np.stack([left, right]).astype(np.float32), RATE, 2, "x.wav"))
    vad = [speech_intervals(x) for x in pcm]
    level_only = channel_activity(vad, [s.energy_db for s in signals], 0.01, 15.0)
    during = iv.total(iv.intersect(level_only[0], [(3.0, 3.0 + interruption.size / RATE)]))
    assert during < iv.total(iv.intersect(signals[0].activity, [(3.0, 3.0 + interruption.size / RATE)])) - 0.5


@pytest.mark.parametrize("text", ["mm-hm", "yes", "okay"])
@pytest.mark.parametrize("rel_db", [0.0, -10.0])
def test_backchannel_is_not_overtalk(text, rel_db):
    token = say(text, "en-us+f3", wpm=190)
    assert token.size / RATE < 0.9
    signals = stereo_call(agent_turn(), customer_over([(4.0, token)], rel_db))
    heard = turn(CUSTOMER, words_at([text], 4.0, token.size / RATE))
    ctx = context(12.0, [heard], channels=signals)
    assert iv.total(iv.intersect(signals[0].activity, [(3.9, 4.0 + token.size / RATE + 0.1)])) > 0.2  # heard
    assert overtalk.detect(ctx, settings(overtalk_min_s=0.3)) == []
    # the same burst carrying real words is an interruption at that threshold
    words = turn(CUSTOMER, words_at(["no", "stop"], 4.0, token.size / RATE / 2))
    [seg] = overtalk.detect(context(12.0, [words], channels=signals), settings(overtalk_min_s=0.3))
    assert seg.role == CUSTOMER and '"no stop"' in seg.evidence


def test_backchannel_without_words_is_told_by_length():
    token = say("mm-hm", "en-us+f3", wpm=190)
    long = say(INTERRUPTION, "en-us+f3")
    signals = stereo_call(agent_turn(), customer_over([(2.5, token), (6.0, long)], -6.0))
    segs = overtalk.detect(context(12.0, channels=signals), settings(overtalk_min_s=0.3))
    assert [s.role for s in segs] == [CUSTOMER]
    assert found_over(segs, 6.0, 6.0 + long.size / RATE) and not found_over(segs, 2.5, 2.5 + token.size / RATE)


def test_short_pauses_inside_an_interruption_are_joined():
    first, second = say("no no wait", "en-us+f3"), say("listen to me", "en-us+f3")
    pause = 0.35
    second_at = 3.0 + first.size / RATE + pause
    assert first.size / RATE < 1.0 and second.size / RATE < 1.0  # each alone is under overtalk_min_s
    signals = stereo_call(agent_turn(), customer_over([(3.0, first), (second_at, second)], -6.0))
    gaps = iv.complement(iv.merge(signals[0].activity), 3.0, second_at + second.size / RATE)
    assert any(b - a >= 0.2 for a, b in gaps)  # the pause is really there in the activity
    [seg] = overtalk.detect(context(12.0, channels=signals), settings())
    assert seg.role == CUSTOMER
    assert seg.start <= 3.2 and seg.end >= second_at + second.size / RATE - 0.3
    # with no joining the two halves stay apart and each is too short
    assert overtalk.detect(context(12.0, channels=signals), settings(overtalk_join_gap_s=0.05)) == []


# --- looped audio -----------------------------------------------------------------------------------


def mono_agent(x: np.ndarray, rate: int = RATE):
    """The agent's channel alone (silent customer), measured by analyse_channels."""
    audio = DecodedAudio(np.stack([np.zeros_like(x), x]).astype(np.float32), rate, 2, "loop.wav")
    return analyse_channels(audio, [CUSTOMER, AGENT], settings().rules.crosstalk_margin_db)


def loops_in(signals) -> list[Segment]:
    return looped_audio.detect(context(signals[0].frame_times().size * 0.01, channels=signals), settings())


def test_generated_speech_without_a_loop_is_not_flagged():
    x = np.concatenate([np.zeros(RATE), at_level(say(AGENT_TEXT), MAIN_DBFS), np.zeros(RATE)])
    assert loops_in(mono_agent(x)) == []


@pytest.mark.parametrize("seconds", [1.0, 3.0])
def test_generated_loop_is_found(seconds):
    x = np.concatenate([np.zeros(RATE), at_level(say(AGENT_TEXT), MAIN_DBFS), np.zeros(RATE)])
    start = 2.013  # not on a frame boundary
    looped = inj.loop(x, RATE, start, start + seconds, 1)
    [seg] = loops_in(mono_agent(looped))
    assert (seg.role, seg.category, seg.source) == (AGENT, "repetition", "rule:repetition")
    assert seg.start == pytest.approx(start, abs=0.2) and seg.end == pytest.approx(start + 2 * seconds, abs=0.2)
    assert seg.evidence.startswith(f"audio from {start:.1f}-{start + seconds:.1f} s repeats at {start + seconds:.1f} s")


@pytest.fixture(scope="module")
def real_agent():
    audio = decode_audio(shared("calls_en", "MUL1423.wav"))
    return audio


@pytest.mark.parametrize("seconds", [1.0, 3.0])
def test_real_speech_loop_is_found(real_agent, seconds):
    """MUL1423's agent, 37.6-41.9 s is one stretch of speech: loop part of it once."""
    rate = real_agent.sample_rate
    clip = real_agent.samples[1, int(30 * rate):int(50 * rate)].astype(float)
    start = 37.83 - 30.0
    looped = inj.loop(clip, rate, start, start + seconds, 1)
    segs = loops_in(mono_agent(looped, rate))
    assert len(segs) == 1, segs
    [seg] = segs
    assert seg.role == AGENT and seg.start == pytest.approx(start, abs=0.25)
    assert seg.end == pytest.approx(start + 2 * seconds, abs=0.3)
    r = float(seg.evidence.split("r=")[1].rstrip(")"))
    assert r >= settings().rules.looped_audio_min_r


def test_real_calls_have_no_loops():
    for name in ("MUL1423", "SNG0072"):
        audio = decode_audio(shared("calls_en", f"{name}.wav"))
        signals = analyse_channels(audio, [CUSTOMER, AGENT], settings().rules.crosstalk_margin_db)
        assert loops_in(signals) == [], name


def test_text_and_audio_repetition_of_one_stretch_are_one_segment():
    x = np.concatenate([np.zeros(RATE), at_level(say(AGENT_TEXT), MAIN_DBFS), np.zeros(RATE)])
    looped = inj.loop(x, RATE, 2.0, 3.5, 1)
    signals = mono_agent(looped)
    [audio_seg] = loops_in(signals)
    # the text rule hears the phrase twice over the same stretch
    said = turn(AGENT, words_at("the last payment was the last payment was", 2.0, 0.35))
    ctx = context(signals[0].frame_times().size * 0.01, [said], channels=signals)
    reps = [s for s in detector.detect_problems(ctx, settings()) if s.category == "repetition"]
    assert len(reps) == 1, reps
    assert reps[0].start <= audio_seg.start and reps[0].end >= audio_seg.end


def test_merge_keeps_the_stronger_evidence():
    a = Segment(1.0, 3.0, AGENT, "repetition", 0.6, "rule:repetition", "'x y z' said twice")
    b = Segment(2.5, 5.0, AGENT, "repetition", 0.9, "rule:repetition", "audio from 2.5-3.7 s repeats at 3.7 s")
    c = Segment(2.0, 4.0, CUSTOMER, "repetition", 0.7, "rule:repetition", "other side")
    merged = detector.merge_overlapping([a, b, c])
    assert [(s.start, s.end, s.role, s.evidence) for s in merged] == [
        (1.0, 5.0, AGENT, b.evidence), (2.0, 4.0, CUSTOMER, c.evidence)]
