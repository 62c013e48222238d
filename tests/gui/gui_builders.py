"""Hand-built analyses of the fixture calls for the GUI tests (no ASR needed)."""
from __future__ import annotations

from pathlib import Path

from reviewer_app.core.audio.decode import sha256_of_file
from reviewer_app.core.domain import AudioInfo, CallAnalysis, CallScore, Segment, Turn, Word

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def words_of(text: str, start: float, end: float) -> tuple[Word, ...]:
    parts = text.split()
    step = (end - start) / len(parts)
    return tuple(Word(w, round(start + i * step, 3), round(start + (i + 1) * step, 3), 0.9)
                 for i, w in enumerate(parts))


def basic_analysis() -> CallAnalysis:
    path = FIXTURES / "call_basic.wav"
    lines = [("agent", 0.5, 3.98, "thank you for calling acme support, how can I help you"),
             ("customer", 4.58, 10.39, "hi, my internet has been down since yesterday, I need it fixed today"),
             ("agent", 10.89, 15.38, "I am sorry to hear that, let me check your line, one moment please"),
             ("agent", 22.38, 26.8, "okay, I see a fault in your area, a technician can come on friday"),
             ("customer", 24.6, 28.93, "no no that is much too late for me I need it working by tomorrow"),
             ("agent", 29.93, 31.31, "look, that's not my problem")]
    turns = [Turn(r, a, b, t, words_of(t, a, b)) for r, a, b, t in lines]
    segments = [Segment(15.38, 22.38, "both", "dead_air", 0.9, "rule:dead_air", "silence 7.0 s"),
                Segment(24.6, 26.8, "both", "overtalk", 0.6, "rule:overtalk", "both talk 2.2 s"),
                Segment(30.2, 31.31, "agent", "forbidden_phrase", 1.0, "rule:lexicon", "\"not my problem\"")]
    return CallAnalysis(AudioInfo(str(path), sha256_of_file(path), 39.86, 8000, 2, ("customer", "agent")),
                        "en", turns, segments, CallScore(71, "medium", {"dead_air": 4}), {}, {"app": "test"})


def mono_analysis() -> CallAnalysis:
    path = FIXTURES / "call_noisy_mono.wav"
    from reviewer_app.core.audio.decode import decode_audio

    duration = decode_audio(path).duration_s
    turns = [Turn("both", 0.5, 2.5, "hello there", words_of("hello there", 0.5, 2.5))]
    segments = [Segment(1.0, 2.0, "both", "poor_audio", 0.7, "rule:poor_audio", "noise")]
    return CallAnalysis(AudioInfo(str(path), sha256_of_file(path), round(duration, 3), 8000, 1, ("both",)), "en",
                        turns, segments, CallScore(98, "high", {}), {}, {"app": "test"})


def settle(qtbot, window, timeout: int = 20_000) -> None:
    """Wait until every background operation of the window (writes included) has landed and its
    callbacks have run."""
    qtbot.waitUntil(lambda: window.ops.idle, timeout=timeout)
