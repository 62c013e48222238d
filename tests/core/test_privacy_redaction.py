"""Redaction of audio and transcripts, on generated speech (espeak-ng, telephone band) with the app's
own ASR: the redacted audio is silent (or a tone) inside the spans and unchanged elsewhere, keeps its
length, rate and channels, and the ASR no longer hears the card; analysis with `[privacy] redact`
stores and exports no personal data; the audit log says who, when and which kinds, never the data."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from reviewer_app.core.audio.decode import decode_audio
from reviewer_app.core.domain import PiiSpan
from reviewer_app.core.privacy.audio_out import write_audio
from reviewer_app.core.privacy.redact import TONE_DBFS, redact_samples, redaction_intervals
from reviewer_app.core.synth.pii_speech import Said, digit_words, pinyin_digits, render_call
from reviewer_app.core.synth.speech import tools_available, write_wav

CARD = "4532015112830366"
CARD_DIGITS_SPOKEN = ("4532", "0151", "1283", "0366", "four five three two")
needs_speech = pytest.mark.skipif(not tools_available(), reason="espeak-ng and sox are needed")


def _rms_db(x: np.ndarray) -> float:
    return 10 * np.log10(float(np.mean(np.square(x, dtype=np.float64))) + 1e-20)


def _english_call(path: Path):
    lines = [("agent", ["Thank you for calling. Can I have the card number please?"]),
             ("customer", ["Sure, it is", Said("card", digit_words(CARD)), "and we are 2 people."]),
             ("agent", ["Thanks. Your order 44729 ships at 3:30 for $12.50."])]
    x, truth = render_call(lines, ("customer", "agent"), voices={"agent": "en-gb", "customer": "en-us"})
    write_wav(path, x, 8000)
    return truth


def _run_cli(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reviewer_app", *args], capture_output=True, text=True,
                          env=env, timeout=600)


def test_redaction_mutes_or_tones_only_the_padded_spans():
    rate = 8000
    rng = np.random.default_rng(0)
    x = (0.2 * rng.standard_normal((2, rate * 10))).astype(np.float32)
    spans = [PiiSpan("card", "customer", 2.0, 3.0, 0, 3), PiiSpan("phone", "agent", 3.2, 4.0, 5, 9)]
    intervals = redaction_intervals(spans, 0.25, 10.0)
    assert intervals == [(1.75, 4.25)]  # padded, and the two joined where the padding meets
    muted = redact_samples(x, rate, intervals, "mute")
    assert muted.shape == x.shape and muted.dtype == np.float32
    inside = slice(int(1.76 * rate), int(4.24 * rate))
    assert np.all(muted[:, inside] == 0.0)  # every channel: a side can leak into the other
    assert np.array_equal(muted[:, :int(1.74 * rate)], x[:, :int(1.74 * rate)])
    assert np.array_equal(muted[:, int(4.26 * rate):], x[:, int(4.26 * rate):])
    toned = redact_samples(x, rate, intervals, "tone")
    assert abs(_rms_db(toned[0, inside]) - (TONE_DBFS - 3.01)) < 0.1  # a sine's RMS is 3 dB under its peak
    assert redaction_intervals([PiiSpan("card", "agent", 9.9, 10.0, 0, 0)], 0.25, 10.0) == [(9.65, 10.0)]


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".mp3"])
def test_written_audio_keeps_length_rate_and_channels(tmp_path, suffix):
    rate = 8000
    t = np.arange(rate * 3) / rate
    x = np.stack([0.3 * np.sin(2 * np.pi * 440 * t), 0.3 * np.sin(2 * np.pi * 660 * t)]).astype(np.float32)
    path = tmp_path / f"out{suffix}"
    write_audio(path, x, rate)
    back = decode_audio(path)
    assert (back.sample_rate, back.channels, back.n_samples) == (rate, 2, x.shape[1])


@needs_speech
def test_redact_command_english(tmp_path, app_env):
    """The CLI on a generated call: the card is gone from audio and transcript, ordinary numbers stay."""
    call = tmp_path / "card_call.wav"
    truth = _english_call(call)
    out = tmp_path / "out"
    done = _run_cli(["redact", str(call), "--out", str(out), "--asr-model", "tiny.en",
                     "--reviewer", "ana", "--db", f"sqlite:///{tmp_path / 'lib.sqlite3'}"], app_env)
    assert done.returncode == 0, done.stderr
    assert "1 card" in done.stdout
    audio_path, json_path = out / "card_call.redacted.wav", out / "card_call.redacted.json"
    original, redacted = decode_audio(call), decode_audio(audio_path)
    assert (redacted.sample_rate, redacted.channels, redacted.n_samples) == \
        (original.sample_rate, original.channels, original.n_samples)
    said = truth[0]  # where the card was read out (customer: channel 0)
    inside = slice(int(said.start * 8000), int(said.end * 8000))
    assert _rms_db(original.samples[0, inside]) > -40
    assert _rms_db(redacted.samples[:, inside]) < -80  # the whole read-out, on both channels
    before = slice(0, int(2.0 * 8000))  # the agent's question is untouched
    assert np.array_equal(redacted.samples[:, before], original.samples[:, before])
    data = json.loads(json_path.read_text())
    text = " ".join(t["text"] for t in data["transcript"])
    assert "[CARD]" in text and not any(d in text for d in CARD_DIGITS_SPOKEN)
    assert data["redacted"] == {"card": 1} and data["pii"][0]["kind"] == "card"
    assert "2 people" in text or "two people" in text  # ordinary numbers are kept
    audit = [json.loads(line) for line in (out / "redactions.jsonl").read_text().splitlines()]
    assert audit[0]["who"] == "ana" and audit[0]["redacted"] == {"card": 1}
    assert not any(d in json.dumps(audit) for d in CARD_DIGITS_SPOKEN[:4])


@needs_speech
@pytest.mark.slow
def test_the_check_hears_the_card_in_the_original_and_not_in_the_redaction(tmp_path):
    from reviewer_app.core.privacy.run import personal_data_heard, redact_file
    from reviewer_app.core.progress import run_to_end
    from reviewer_app.core.settings import Settings

    call = tmp_path / "card_call.wav"
    _english_call(call)
    settings = Settings()
    settings.asr.model = "tiny.en"
    heard = run_to_end(personal_data_heard(call, settings))
    assert [s.kind for s in heard] == ["card"]
    result = run_to_end(redact_file(call, tmp_path / "out", settings))
    assert result.heard_again == [] and result.kinds == {"card": 1}
    assert run_to_end(personal_data_heard(result.audio, settings)) == []


def test_redact_command_fails_with_one_line_naming_the_file(tmp_path, app_env):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF not really audio")
    out = tmp_path / "out"
    done = _run_cli(["redact", str(bad), "--out", str(out)], app_env)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error")]
    assert len(errors) == 1 and "broken.wav" in errors[0]
    assert not list(out.glob("broken.redacted.*"))


@needs_speech
@pytest.mark.slow
def test_redact_command_mandarin(tmp_path, app_env):
    """A card read out in Mandarin (Whisper base, language zh) is redacted and no longer heard."""
    lines = [("agent", ["nin2 hao3, qing3 wen4 nin2 de5 ka3 hao4"]),
             ("customer", ["ka3 hao4 shi4", Said("card", pinyin_digits(CARD)), "wo3 men2 liang3 ge4 ren2"])]
    x, truth = render_call(lines, ("customer", "agent"), mandarin=True, wpm=125)
    call = tmp_path / "zh_call.wav"
    write_wav(call, x, 8000)
    out = tmp_path / "out"
    done = _run_cli(["redact", str(call), "--out", str(out), "--language", "zh"], app_env)
    assert done.returncode == 0, done.stderr
    data = json.loads((out / "zh_call.redacted.json").read_text())
    assert [s["kind"] for s in data["pii"]] == ["card"]
    said, span = truth[0], data["pii"][0]
    assert span["start"] < said.end and said.start < span["end"]
    redacted = decode_audio(out / "zh_call.redacted.wav")
    inside = slice(int(said.start * 8000), int(said.end * 8000))
    assert _rms_db(redacted.samples[:, inside]) < -80


def test_a_phone_number_read_out_on_a_real_call_is_redacted_and_no_longer_heard(tmp_path):
    """Real telephone speech (SpokenWOZ call SNG0072, ../shared/data/calls_en, 8 kHz stereo): the agent
    reads the guesthouse's phone number out ("1223247942" in its word timings, 76.7-81.9 s). Thirty
    seconds around it go through `redact` as the CLI runs it, with the bundled Whisper base: one phone
    span, the read-out muted on the agent's channel, everything else untouched, nothing heard again."""
    from tests.conftest import shared

    from reviewer_app.core.privacy.run import redact_file
    from reviewer_app.core.progress import run_to_end
    from reviewer_app.core.settings import Settings

    source = decode_audio(shared("calls_en", "SNG0072.wav"))
    rate, start = source.sample_rate, 60.0
    excerpt = source.samples[:, int(start * rate):int((start + 30.0) * rate)]
    call = tmp_path / "sng0072_60s.wav"
    write_wav(call, excerpt, rate)
    settings = Settings()
    settings.asr.model = "base"
    result = run_to_end(redact_file(call, tmp_path / "out", settings))
    assert result.kinds == {"phone": 1} and result.heard_again == []
    said = slice(int((76.68 - start) * rate), int((81.91 - start) * rate))
    original, redacted = decode_audio(call), decode_audio(result.audio)
    assert redacted.n_samples == original.n_samples and redacted.channels == 2
    agent = 1  # speaker B, who reads the number out
    assert _rms_db(original.samples[agent, said]) > -45
    silent = np.abs(redacted.samples[agent, said]) < 1e-4
    assert silent.mean() > 0.9, silent.mean()  # (almost) all of the read-out is muted
    before = slice(0, int(10.0 * rate))
    assert np.array_equal(redacted.samples[:, before], original.samples[:, before])
    text = " ".join(t["text"] for t in json.loads(result.transcript.read_text())["transcript"])
    assert "[PHONE]" in text and "3247942" not in text.replace(" ", "").replace("-", ""), text
