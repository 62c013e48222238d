"""Fuzzing the decoder: mutated headers and bodies end in a clean AudioError or a correct result."""
from __future__ import annotations

import io
import os
import struct
import wave

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewer_app.core.audio.decode import decode_audio
from reviewer_app.core.errors import AudioError

# The default run replays the same cases every time (CI stays reproducible);
# FUZZ_EXPLORE=1 FUZZ_CASES=4000 searches new ones.
FUZZ_CASES = int(os.environ.get("FUZZ_CASES", 400))
DERANDOMIZE = not os.environ.get("FUZZ_EXPLORE")


def _valid_wav(channels: int = 2, rate: int = 8000, seconds: float = 0.3) -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    tone = (0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes(np.repeat(tone[:, None], channels, axis=1).tobytes())
    return buf.getvalue()


SEED = _valid_wav()

mutation = st.one_of(
    # overwrite bytes anywhere in the 44-byte header
    st.lists(st.tuples(st.integers(0, 43), st.integers(0, 255)), min_size=1, max_size=8).map(
        lambda flips: ("flip", flips)),
    # plausible-but-wrong header fields: channels, rate, byte rate, block align, bits, chunk sizes
    st.tuples(st.sampled_from([4, 22, 24, 28, 32, 34, 40]), st.integers(0, 2**32 - 1)).map(
        lambda f: ("field", f)),
    st.integers(0, len(SEED)).map(lambda n: ("truncate", n)),
    st.binary(min_size=0, max_size=256).map(lambda b: ("append", b)),
)


def _apply(kind_value) -> bytes:
    kind, value = kind_value
    data = bytearray(SEED)
    if kind == "flip":
        for pos, byte in value:
            data[pos] = byte
    elif kind == "field":
        offset, number = value
        size = 2 if offset in (22, 32, 34) else 4
        data[offset:offset + size] = struct.pack("<H" if size == 2 else "<I", number % (1 << (8 * size)))
    elif kind == "truncate":
        del data[value:]
    else:
        data += value
    return bytes(data)


@settings(max_examples=FUZZ_CASES, deadline=5000, derandomize=DERANDOMIZE,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation)
def test_mutated_wav_gives_a_clean_error_or_sound_audio(tmp_path, kind_value):
    path = tmp_path / "fuzz.wav"
    path.write_bytes(_apply(kind_value))
    try:
        audio = decode_audio(path)
    except AudioError as err:
        message = str(err)
        assert message.startswith(str(path)) and "\n" not in message and len(message) < 400
        return
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 2
    assert 1 <= audio.channels <= 2 and audio.sample_rate > 0
    assert np.isfinite(audio.samples).all() and np.abs(audio.samples).max() <= 1.0 + 1e-6
    assert audio.duration_s >= 0.1


@settings(max_examples=FUZZ_CASES // 4, deadline=5000, derandomize=DERANDOMIZE,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(min_size=0, max_size=4096))
def test_random_bytes_never_crash_the_decoder(tmp_path, blob):
    path = tmp_path / "random.mp3"
    path.write_bytes(blob)
    try:
        audio = decode_audio(path)
    except AudioError:
        return
    assert np.isfinite(audio.samples).all()
