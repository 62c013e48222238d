"""Real Whisper (the bundled multilingual base) on Mandarin speech, silence and noise."""
from __future__ import annotations

import wave

import numpy as np
import pytest

from reviewer_app.core.evaluate import character_error_rate
from reviewer_app.core.pipeline import analyze, run_to_end
from reviewer_app.core.settings import Settings
from tests.conftest import shared


def _analyse(path):
    return run_to_end(analyze(path, Settings()))


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize(
    "name, reference",
    [
        ("wenet_aishell-BAC009S0724W0121.wav", "广州市房地产中介协会分析"),
        ("funasr_asr_example.wav", "欢迎大家来体验达摩院推出的语音识别模型"),
    ],
)
def test_mandarin_is_detected_and_written_in_simplified_characters(name, reference):
    analysis = _analyse(shared("asr_zh", name))
    text = "".join(t.text for t in analysis.transcript)
    assert analysis.language == "zh"
    assert _cjk(text)
    traditional_only = set("廣協會產數據體驗識別語們這個說時點開關現實")
    assert not traditional_only & set(text), text
    cer = character_error_rate(reference, text)
    print(f"{name}: {text} CER {cer:.3f}")
    assert cer < 0.35


def test_line_noise_alone_stays_dead_air(tmp_path):
    """Stereo line noise with no speech: no words may appear, the whole call is dead air."""
    rng = np.random.default_rng(1)
    noise = (rng.normal(0, 0.003, size=(2, 8000 * 25))).clip(-1, 1)
    path = tmp_path / "silent call.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes((noise.T.reshape(-1) * 32767).astype("<i2").tobytes())
    analysis = _analyse(path)
    assert analysis.transcript == []
    dead = [s for s in analysis.segments if s.category == "dead_air"]
    assert len(dead) == 1 and dead[0].end - dead[0].start > 24


@pytest.mark.parametrize("name", ["speechbrain_noise1.wav", "speechbrain_noise3.wav", "speechbrain_noise5.wav"])
def test_real_background_noise_invents_no_speech(name):
    analysis = _analyse(shared("noise_vad", name))
    words = [w.word for t in analysis.transcript for w in t.words]
    assert words == [], words
