"""The second, digit-biased hearing of read-outs (privacy/redecode.py) on generated band-limited
speech with the app's own ASR: a card the first pass does not write as digits is found when the
stretch after the cue is heard again; cue-less ordinary speech is never heard again."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from reviewer_app.core.domain import Turn, Word
from reviewer_app.core.pipeline import analyze
from reviewer_app.core.privacy.redecode import stretches_to_hear
from reviewer_app.core.progress import run_to_end
from reviewer_app.core.settings import Settings
from reviewer_app.core.synth.speech import tools_available

ROOT = Path(__file__).resolve().parents[2]
needs_speech = pytest.mark.skipif(not tools_available(), reason="espeak-ng and sox are needed")


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_pii", ROOT / "benchmarks" / "bench_pii.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_pii", module)  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _benchmark_card(index: int, seed: int, mandarin: bool, folder: Path):
    """The benchmark module, its call `index` of `seed` (built the same way every time, no noise)
    and where that call's card is read out."""
    bench = _bench_module()
    path, truth, _ = bench.build_call(index, seed, mandarin, [], folder)
    return bench, path, next(t for t in truth if t.kind == "card")


def _words(role: str, text: str, start: float) -> Turn:
    words = tuple(Word(w, start + 0.4 * i, start + 0.4 * i + 0.3, 0.9) for i, w in enumerate(text.split()))
    return Turn(role, words[0].start, words[-1].end, text, words)


def test_no_cue_no_second_hearing():
    turns = [_words("agent", "Thank you for calling how can I help", 0.0),
             _words("customer", "We are 2 people for Friday at 7 and it takes 3 to 5 days", 4.0)]
    speech = {"agent": [(0.0, 3.0)], "customer": [(4.0, 10.0)]}
    assert stretches_to_hear(turns, speech, []) == []


def test_a_cue_asks_for_the_answer_after_it_on_the_other_side():
    turns = [_words("agent", "What is the long number on the front", 0.0),
             _words("customer", "It is four free payment eight", 4.0)]
    speech = {"agent": [(0.0, 3.0)], "customer": [(4.0, 9.0), (30.0, 40.0)]}
    stretches = stretches_to_hear(turns, speech, [])
    customer = [s for s in stretches if s.role == "customer" and s.start < 20.0]
    assert len(customer) == 1 and customer[0].start < 4.0 and 9.0 < customer[0].end < 10.0


def test_speech_left_without_words_is_heard_again_while_the_budget_lasts():
    # Customer speech at 30-36 s and 50-53 s came back with no words (cue and digits not heard at all);
    # 60-61 s is too short to ask for anything. The longer stretch goes first when the budget is short.
    turns = [_words("agent", "Thank you for calling how can I help", 0.0),
             _words("customer", "We are 2 people for Friday", 4.0)]
    speech = {"agent": [(0.0, 3.0)], "customer": [(4.0, 6.4), (30.0, 36.0), (50.0, 53.0), (60.0, 61.0)]}
    both = stretches_to_hear(turns, speech, [])
    assert [(s.role, round(s.start, 1), round(s.end, 1)) for s in both] == [
        ("customer", 29.7, 36.3), ("customer", 49.7, 53.3)]
    assert [round(s.start, 1) for s in stretches_to_hear(turns, speech, [], limit=1)] == [29.7]
    sure = [_words("customer", "We are 2 people for Friday", 4.0), _words("customer", "x " * 15, 30.0)]
    assert all(s.start > 40.0 for s in stretches_to_hear(turns[:1] + sure, speech, []))


@needs_speech
@pytest.mark.slow
def test_second_hearing_finds_the_card_the_first_pass_missed(tmp_path):
    # The benchmark's call 12 of seed 27 (benchmarks/bench_pii.py builds it the same way every time):
    # en-gb at 150 wpm through the 300-3400 Hz line and a mu-law codec, and a card read out. (Seed 14's
    # call 18, used before, is now found by the first pass: weak-digit runs count in a cued read-out.)
    bench, path, card = _benchmark_card(12, 27, False, tmp_path)

    def cards(second_hearings: int):
        settings = Settings()
        settings.asr.model = "base"
        settings.asr.language = "en"
        settings.privacy.redact = True
        settings.privacy.second_hearings = second_hearings
        analysis = run_to_end(analyze(path, settings))
        found = [s for s in analysis.pii if s.kind == "card" and s.role == "customer"
                 and s.start < card.end and card.start < s.end]
        return found, analysis

    first, _ = cards(0)
    assert first == []  # the first pass alone does not hear the card as digits
    second, analysis = cards(4)
    assert second, [t.text for t in analysis.transcript]
    assert 0 < analysis.timings_s["pii_second_hearing"] < 60
    text = " ".join(t.text for t in analysis.transcript)
    rng = np.random.default_rng([27, 12])  # the script's draws: an ordinary line, then the card
    rng.choice(bench.EN_ORDINARY)
    card = bench._card(rng)
    assert "[CARD]" in text and card[:4] not in text.replace(" ", ""), (card, text)


def test_an_echo_of_the_prompt_is_no_hearing():
    """Whisper echoes the prompt's digits over speech it cannot make out; six of them in a row mark
    the echo, fewer or other digits do not."""
    from reviewer_app.core.privacy.redecode import _PROMPT_DIGITS, _echoes

    assert _echoes("卡 号 是 6 22 2 0 21 2 0 21 2", _PROMPT_DIGITS["zh"])  # 6222 0212 of the prompt
    assert _echoes("It is 4532 0151 9", _PROMPT_DIGITS["en"])
    assert not _echoes("卡 号 是 六 二 六 八 五 二 九 二", _PROMPT_DIGITS["zh"])  # said in characters: heard
    assert not _echoes("6 25 8 4 19 77 3", _PROMPT_DIGITS["zh"])
    assert not _echoes("4532 7", _PROMPT_DIGITS["en"])


@needs_speech
@pytest.mark.slow
def test_a_mandarin_read_out_whisper_cannot_make_out_is_not_found_by_echoing_the_prompt(tmp_path):
    # The benchmark's call 03 of seed 27: espeak-ng's Mandarin through an 8 kHz mu-law line. With the
    # zh digit prompt Whisper base writes the prompt's own digits over the read-out; none of them may
    # come back as heard.
    from reviewer_app.core.asr.transcribe import load_engine
    from reviewer_app.core.audio.decode import decode_audio
    from reviewer_app.core.audio.signals import channels_16k
    from reviewer_app.core.privacy.redecode import _PROMPT_DIGITS, Stretch, _echoes, hear_again

    _, path, card = _benchmark_card(3, 27, True, tmp_path)
    settings = Settings()
    settings.asr.model = "base"
    engine = load_engine(settings.asr)
    customer = channels_16k(decode_audio(path))[0]
    stretch = Stretch("customer", card.start - 1.5, card.end + 0.8)
    heard = hear_again(engine, customer, stretch, [(card.start - 2.0, card.end + 1.0)], "zh")
    assert not _echoes(" ".join(w.word for w in heard), _PROMPT_DIGITS["zh"]), [w.word for w in heard]
