"""The default training corpus: real permissive speech assembled into two-channel telephone calls (seeded)."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from reviewer_app.core.domain import WINDOW_CATEGORIES
from reviewer_app.core.training import real_corpus
from reviewer_app.core.training.real_speech import RATE, Phrase, Source, load_mono, load_noises, phrases_of
from reviewer_app.core.training.telephone import codec, mulaw, phone_line

from tests.conftest import SHARED_DATA

needs_tools = pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("sox")), reason="espeak-ng/sox")
needs_data = pytest.mark.skipif(not (SHARED_DATA / "asr_en" / "jfk.flac").is_file(), reason="../shared/data absent")


def jfk_phrases() -> list[Phrase]:
    """jfk.flac with its reference transcript's words spread over the speech (no ASR run in a test)."""
    source = Source("asr_en", "jfk.flac", "MIT")
    x = load_mono(SHARED_DATA / "asr_en" / "jfk.flac", None)
    text = ("and so my fellow americans ask not what your country can do for you "
            "ask what you can do for your country").split()
    span = x.size / RATE - 0.5
    words = [{"word": w, "start": 0.3 + k * span / len(text), "end": 0.3 + (k + 0.8) * span / len(text)}
             for k, w in enumerate(text)]
    return phrases_of(source, x, words, "en")


def test_mulaw_keeps_speech_levels_and_quantises():
    x = np.linspace(-0.5, 0.5, 1001)
    y = mulaw(x)
    assert np.max(np.abs(y - x)) < 0.02 and len(np.unique(np.round(y, 9))) <= 256
    with pytest.raises(ValueError, match="unknown codec"):
        codec(x, "opus")


@needs_tools
@needs_data
def test_a_seeded_call_is_the_same_twice_and_looks_like_a_phone_call():
    phrases, noises = jfk_phrases(), load_noises()
    assert phrases and all(p.words for p in phrases)
    a, layout = real_corpus.build_call(np.random.default_rng([0, 1, 3]), phrases, noises)
    b, again = real_corpus.build_call(np.random.default_rng([0, 1, 3]), phrases, noises)
    assert np.array_equal(a, b) and layout == again
    assert a.shape[0] == 2 and a.shape[1] / 8000 > 10  # stereo 8 kHz, customer left, agent right
    assert {t["role"] for t in layout["turns"]} == {"customer", "agent"}
    assert all(s["category"] in WINDOW_CATEGORIES for s in layout["segments"])
    assert all(w["start"] <= w["end"] for t in layout["turns"] for w in t["words"])
    # band-limited: almost no energy above 3.4 kHz
    spectrum = np.abs(np.fft.rfft(a[1])) ** 2
    freqs = np.fft.rfftfreq(a.shape[1], 1 / 8000)
    assert spectrum[freqs > 3600].sum() < 0.01 * spectrum.sum()


@needs_tools
@needs_data
def test_the_corpus_places_every_problem_family_over_a_few_seeded_calls():
    phrases, noises = jfk_phrases(), load_noises()
    found = set()
    for i in range(8):
        _, layout = real_corpus.build_call(np.random.default_rng([0, 1, i]), phrases, noises)
        found |= {s["category"] for s in layout["segments"]}
    assert {"overtalk", "poor_audio", "forbidden_phrase"} <= found


@needs_tools
def test_a_phone_line_is_8_khz_and_seeded():
    x = np.sin(np.arange(RATE) * 2 * np.pi * 1000 / RATE) * 0.3
    y1 = phone_line(x, RATE, "gsm", np.random.default_rng(1))
    y2 = phone_line(x, RATE, "gsm", np.random.default_rng(1))
    assert y1.size == 8000 and np.array_equal(y1, y2)
