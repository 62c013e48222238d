"""decode_audio: every supported format round-trips; every bad input is one clear AudioError."""
from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import sys
import time
import wave
from pathlib import Path

import av
import numpy as np
import pytest

from reviewer_app.core.audio.decode import DecodedAudio, decode_audio, resample, sha256_of_file
from reviewer_app.core.errors import AudioError


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    """(channels, n) float in [-1, 1] -> 16-bit PCM wav."""
    samples = np.atleast_2d(samples)
    pcm = np.round(np.clip(samples, -1, 32767 / 32768) * 32768).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(samples.shape[0])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.ascontiguousarray(pcm.T).tobytes())
    return path


def write_float_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    data = np.asarray(samples, dtype="<f4").tobytes()
    header = (
        b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 3, 1, rate, rate * 4, 4, 32)
        + b"data" + struct.pack("<I", len(data))
    )
    path.write_bytes(header + data)
    return path


def write_with_pyav(path: Path, samples: np.ndarray, rate: int, codec: str, fmt: str) -> Path:
    layout = "stereo" if samples.shape[0] == 2 else "mono"
    audio_format = av.AudioFormat(fmt)
    if fmt.startswith("s16"):
        data = np.round(samples * 32767).astype(np.int16)
    elif fmt.startswith("s32"):
        data = np.round(samples * 2147483647).astype(np.int32)
    elif fmt.startswith("u8"):
        data = np.round(samples * 127 + 128).astype(np.uint8)
    else:
        data = samples.astype(np.float32)
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        if codec == "vorbis":
            stream.codec_context.options = {"strict": "experimental"}
        stream.format = fmt
        for i in range(0, data.shape[1], 1024):
            chunk = data[:, i:i + 1024]
            arr = chunk if audio_format.is_planar else chunk.T.reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(arr), format=fmt, layout=layout)
            frame.sample_rate = rate
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def chirps(rate: int, seconds: float = 2.0) -> np.ndarray:
    """Two different sweeps, so a swapped or shifted channel cannot correlate."""
    t = np.arange(int(rate * seconds)) / rate
    left = 0.5 * np.sin(2 * np.pi * (300 * t + 300 * t**2))
    right = 0.4 * np.sin(2 * np.pi * (1800 * t - 250 * t**2))
    fade = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.05)
    return np.stack([left * fade, right * fade])


def aligned_corr(decoded: np.ndarray, original: np.ndarray, max_lag: int) -> float:
    """Correlation after removing the codec's delay (found by cross-correlation)."""
    n = original.size
    spec = np.fft.rfft(decoded[: n + max_lag], 2 * (n + max_lag)) * np.conj(np.fft.rfft(original, 2 * (n + max_lag)))
    xc = np.fft.irfft(spec)[: max_lag + 1]
    lag = int(np.argmax(xc))
    seg = decoded[lag:lag + n]
    m = min(seg.size, n)
    return float(np.corrcoef(seg[:m], original[:m])[0, 1])


# --- bad inputs ---------------------------------------------------------------


def _make_bad(kind: str, tmp: Path) -> Path:
    rate = 8000
    tone = 0.3 * np.sin(2 * np.pi * 300 * np.arange(rate) / rate)
    if kind == "empty":
        (p := tmp / "empty.wav").write_bytes(b"")
    elif kind == "random":
        (p := tmp / "random.wav").write_bytes(np.random.default_rng(7).bytes(5000))
    elif kind == "text":
        (p := tmp / "notes.wav").write_text("this is a text file, not audio\n" * 20)
    elif kind == "header_cut":
        full = write_wav(tmp / "full.wav", tone, rate).read_bytes()
        (p := tmp / "cut.wav").write_bytes(full[:30])
    elif kind == "no_frames":
        p = write_wav(tmp / "zero.wav", np.zeros((1, 0)), rate)
    elif kind == "one_sample":
        p = write_wav(tmp / "one.wav", np.array([[0.5]]), rate)
    elif kind == "nan":
        p = write_float_wav(tmp / "nan.wav", np.full(rate, np.nan), rate)
    elif kind == "missing":
        p = tmp / "does not exist.wav"
    elif kind == "directory":
        (p := tmp / "folder.wav").mkdir()
    else:
        raise AssertionError(kind)
    return p


@pytest.mark.parametrize(
    ("kind", "cause"),
    [
        ("empty", "file is empty"),
        ("random", "not an audio file"),
        ("text", "not an audio file (it contains text)"),
        ("header_cut", "damaged WAV header"),
        ("no_frames", "no audio frames"),
        ("one_sample", "too short to analyse"),
        ("nan", "contains NaN/Inf samples"),
        ("missing", "no such file"),
        ("directory", "is a directory"),
    ],
)
def test_bad_input_is_one_clear_audio_error(tmp_path: Path, kind: str, cause: str) -> None:
    path = _make_bad(kind, tmp_path)
    with pytest.raises(AudioError) as info:
        decode_audio(path)
    err = info.value
    assert err.cause.startswith(cause), err.cause
    assert str(err) == f"{path}: {err.cause}"
    assert "\n" not in str(err)
    assert err.__cause__ is None and (err.__context__ is None or err.__suppress_context__)  # no chained noise


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "locked.wav", np.zeros((1, 8000)), 8000)
    path.chmod(0)
    try:
        with pytest.raises(AudioError, match="permission denied"):
            decode_audio(path)
    finally:
        path.chmod(0o644)


def test_truncated_data_decodes_what_is_there(tmp_path: Path) -> None:
    rate = 8000
    full = write_wav(tmp_path / "full.wav", 0.3 * np.sin(np.arange(2 * rate) / 3), rate).read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(full[: 44 + rate * 2])  # header claims 2 s, data holds 1 s
    audio = decode_audio(cut)
    assert audio.sample_rate == rate
    assert audio.duration_s == pytest.approx(1.0, abs=0.01)


# --- good inputs --------------------------------------------------------------

FORMATS = [
    # ext, codec ("sox": written by the sox tool), sample format, rate, minimum correlation
    ("wav", "pcm_s16le", "s16", 8000, 0.999),
    ("wav", "pcm_f32le", "flt", 44100, 0.999),
    ("wav", "pcm_u8", "u8", 11025, 0.99),
    ("wav", "pcm_s24le", "s32", 16000, 0.999),
    ("flac", "flac", "s16", 16000, 0.999),
    ("mp3", "libmp3lame", "s16p", 16000, 0.95),
    ("ogg", "sox", "", 16000, 0.95),  # Vorbis; FFmpeg's own Vorbis encoder is too crude to compare
    ("ogg", "libopus", "s16", 16000, 0.9),
    ("opus", "libopus", "s16", 16000, 0.9),
    ("m4a", "aac", "fltp", 16000, 0.95),
]


@pytest.mark.parametrize(("ext", "codec", "fmt", "rate", "min_corr"), FORMATS, ids=lambda v: str(v))
def test_formats_round_trip(tmp_path: Path, ext: str, codec: str, fmt: str, rate: int, min_corr: float) -> None:
    original = chirps(rate)
    path = tmp_path / f"call.{ext}"
    if codec == "sox":
        if shutil.which("sox") is None:
            pytest.skip("sox is not installed")
        source = write_wav(tmp_path / "source.wav", original, rate)
        subprocess.run(["sox", str(source), str(path)], check=True, capture_output=True)
    else:
        write_with_pyav(path, original, rate, codec, fmt)
    audio = decode_audio(path)
    assert isinstance(audio, DecodedAudio)
    assert audio.samples.dtype == np.float32 and audio.samples.shape[0] == 2
    assert audio.source_channels == 2
    # Opus always decodes at 48 kHz; everything else keeps the file's rate.
    assert audio.sample_rate == (48000 if codec == "libopus" else rate)
    assert audio.duration_s == pytest.approx(2.0, abs=0.1)
    decoded = [resample(audio.samples[c], audio.sample_rate, rate) for c in range(2)]
    max_lag = int(0.1 * rate)
    for c in range(2):
        assert aligned_corr(decoded[c], original[c], max_lag) >= min_corr
    assert abs(aligned_corr(decoded[0], original[1], max_lag)) < 0.5  # channels not swapped


def test_mono_keeps_one_channel(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "mono.wav", chirps(8000)[:1], 8000)
    audio = decode_audio(path)
    assert audio.samples.shape == (1, 16000) and audio.source_channels == 1 and audio.channels == 1


def test_six_channels_keep_the_first_two(tmp_path: Path) -> None:
    rate = 8000
    t = np.arange(rate) / rate
    six = np.stack([0.1 * (k + 1) * np.sin(2 * np.pi * 200 * (k + 1) * t) for k in range(6)])
    audio = decode_audio(write_wav(tmp_path / "surround.wav", six, rate))
    assert audio.source_channels == 6
    assert audio.samples.shape == (2, rate)
    np.testing.assert_allclose(audio.samples, six[:2], atol=1e-4)


def test_non_ascii_path_with_spaces(tmp_path: Path) -> None:
    folder = tmp_path / "Ärger mit dem Kunden"
    folder.mkdir()
    path = write_wav(folder / "appel client — été 2024 客服.wav", chirps(8000), 8000)
    audio = decode_audio(path)
    assert audio.path == str(path) and audio.samples.shape == (2, 16000)
    assert sha256_of_file(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_sample_values_are_exact_for_pcm(tmp_path: Path) -> None:
    values = np.array([[0.0, 0.5, -0.5, -1.0, 32767 / 32768]])
    path = write_wav(tmp_path / "exact.wav", np.repeat(values, 400, axis=1), 8000)
    got = decode_audio(path).samples[0, ::400]
    np.testing.assert_array_equal(got, values[0].astype(np.float32))


def test_sha256_streams_and_reports_missing(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    data = np.random.default_rng(1).bytes(3 * (1 << 20) + 5)
    path.write_bytes(data)
    assert sha256_of_file(path) == hashlib.sha256(data).hexdigest()
    with pytest.raises(AudioError, match="no such file"):
        sha256_of_file(tmp_path / "nope.bin")


def test_resample_to_16k() -> None:
    rate = 8000
    x = np.sin(2 * np.pi * 440 * np.arange(rate) / rate).astype(np.float32)
    y = resample(x, rate)
    assert y.dtype == np.float32 and y.shape == (16000,)
    spectrum = np.abs(np.fft.rfft(y))
    assert np.fft.rfftfreq(y.size, 1 / 16000)[np.argmax(spectrum)] == pytest.approx(440, abs=2)
    assert resample(x, 16000, 16000) is not x


def test_long_file_decodes_fast(tmp_path: Path) -> None:
    rate, seconds = 8000, 600
    rng = np.random.default_rng(0)
    pcm = rng.integers(-3000, 3000, size=(rate * seconds, 2), dtype=np.int16)
    path = tmp_path / "ten_minutes.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    start = time.perf_counter()
    audio = decode_audio(path)
    elapsed = time.perf_counter() - start
    assert audio.samples.shape == (2, rate * seconds)
    np.testing.assert_array_equal(audio.samples[:, :100], pcm[:100].T / np.float32(32768))
    assert elapsed < 1.5, f"10 min of 8 kHz stereo took {elapsed:.2f} s"


def test_permission_error_is_reported_even_as_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The chmod test above is skipped under root; simulate the refusal instead."""
    import reviewer_app.core.audio.decode as decode_module

    path = write_wav(tmp_path / "locked.wav", np.zeros((1, 8000)), 8000)

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    from reviewer_app.core import checksums

    monkeypatch.setattr(decode_module, "open", refuse, raising=False)
    monkeypatch.setattr(checksums, "open", refuse, raising=False)  # where the file hash reads it
    with pytest.raises(AudioError, match="permission denied"):
        decode_audio(path)
    with pytest.raises(AudioError, match="permission denied"):
        sha256_of_file(path)


def test_asr_input_is_bit_identical_to_faster_whisper(tmp_path: Path) -> None:
    """The app transcribes exactly the samples plain faster-whisper would (same WER, not close to it)."""
    from faster_whisper.audio import decode_audio as faster_whisper_decode

    rate = 8000
    rng = np.random.default_rng(3)
    stereo = np.clip(0.3 * rng.standard_normal((2, 3 * rate)), -1, 1)
    path = write_wav(tmp_path / "phone.wav", stereo, rate)
    audio = decode_audio(path)
    ours = [resample(audio.samples[c], audio.sample_rate) for c in range(2)]
    theirs = faster_whisper_decode(str(path), split_stereo=True)
    for c in range(2):
        np.testing.assert_array_equal(ours[c], theirs[c])


# --- hostile files: refused at once, in bounded memory -------------------------

BOUNDED_DECODE = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from reviewer_app.core.audio.decode import decode_audio, sha256_of_file
from reviewer_app.core.errors import AudioError
for step in (decode_audio, sha256_of_file):
    try:
        result = step(sys.argv[1])
    except AudioError as exc:
        print(exc, flush=True)
    else:
        print("read", getattr(result, "shape", result), flush=True)
"""
MEMORY_CAP = 1 << 30  # address space of the decoding process: the import needs ~0.3 GiB


def header_wav(path: Path, rate: int, channels: int = 1, data_bytes: int = 32000) -> Path:
    """A 16-bit PCM WAV header claiming `rate` and `channels`, over `data_bytes` of silence."""
    align = 2 * channels
    path.write_bytes(
        b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, rate, (rate * align) & 0xFFFFFFFF, align, 16)
        + b"data" + struct.pack("<I", data_bytes) + bytes(data_bytes)
    )
    return path


def sparse_wav(path: Path, rate: int, channels: int, seconds: float) -> Path:
    """A real, complete WAV of `seconds` of silence, written as a sparse file (no disk used)."""
    n = int(rate * seconds) * channels * 2
    with open(path, "wb") as fh:
        fh.write(b"RIFF" + struct.pack("<I", min(36 + n, 0xFFFFFFFF)) + b"WAVEfmt "
                 + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16)
                 + b"data" + struct.pack("<I", min(n, 0xFFFFFFFF)))
        fh.truncate(44 + n)
    return path


def decode_in_a_bounded_process(path: Path, timeout: float = 30) -> tuple[list[str], float]:
    """decode_audio and sha256_of_file on `path` in a child with MEMORY_CAP and `timeout`."""
    root = Path(__file__).resolve().parents[2]
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-c", BOUNDED_DECODE.format(limit=MEMORY_CAP), str(path)],
                          capture_output=True, text=True, timeout=timeout, cwd=root,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0 and not done.stderr, done.stderr[-2000:]
    return done.stdout.splitlines(), time.monotonic() - start


@pytest.mark.parametrize(("make", "cause"), [
    (lambda p: header_wav(p / "one_hz.wav", 1), "sample rate 1 Hz is outside 1000..384000 Hz"),
    (lambda p: header_wav(p / "one_ghz.wav", 1_000_000_000),
     "sample rate 1000000000 Hz is outside 1000..384000 Hz"),
    (lambda p: header_wav(p / "low.wav", 999), "sample rate 999 Hz is outside"),
    (lambda p: header_wav(p / "high.wav", 384_001), "sample rate 384001 Hz is outside"),
    (lambda p: header_wav(p / "many.wav", 8000, channels=100, data_bytes=200 * 8000),
     "100 channels is more than 64"),
    (lambda p: header_wav(p / "no_data.wav", 8000, data_bytes=0), "no audio frames"),
    (lambda p: sparse_wav(p / "thirteen_hours.wav", 8000, 2, 13 * 3600),
     "too long to analyse (13 h; at most 12 h is analysed)"),
], ids=["1Hz", "1GHz", "999Hz", "384001Hz", "100ch", "zero_length", "13h"])
def test_absurd_header_is_refused_at_once_in_bounded_memory(tmp_path: Path, make, cause: str) -> None:
    path = make(tmp_path)
    (decoded, hashed), elapsed = decode_in_a_bounded_process(path)
    assert decoded.startswith(f"{path}: {cause}"), decoded
    assert hashed.startswith("read ")  # a regular file: its hash is still computed
    assert elapsed < 20


@pytest.mark.parametrize("rate", [1000, 384_000])
def test_sample_rates_at_the_bounds_decode(tmp_path: Path, rate: int) -> None:
    audio = decode_audio(write_wav(tmp_path / f"{rate}.wav", np.zeros((1, rate // 2)), rate))
    assert audio.sample_rate == rate and audio.n_samples == rate // 2


def test_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    fifo = tmp_path / "call.wav"
    os.mkfifo(fifo)  # nobody writes to it: an open() for reading would block forever
    lines, elapsed = decode_in_a_bounded_process(fifo, timeout=30)
    assert lines == [f"{fifo}: is a FIFO (named pipe), not a regular file: give an audio file"] * 2
    assert elapsed < 20


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_device_is_refused_without_reading_it(device: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"{device} is absent")
    lines, elapsed = decode_in_a_bounded_process(Path(device), timeout=30)
    assert lines == [f"{device}: is a character device, not a regular file: give an audio file"] * 2
    assert elapsed < 20


def _flac_without_length(path: Path, seconds: float, rate: int = 8000) -> Path:
    """A FLAC whose STREAMINFO says "total samples unknown": only decoding finds its length."""
    write_with_pyav(path, chirps(rate, seconds)[:1], rate, "flac", "s16")
    data = bytearray(path.read_bytes())
    assert data[:4] == b"fLaC" and data[4] & 0x7F == 0  # STREAMINFO first
    info = int.from_bytes(data[18:26], "big") & ~((1 << 36) - 1)  # low 36 bits: total samples
    data[18:26] = info.to_bytes(8, "big")
    path.write_bytes(bytes(data))
    with av.open(str(path)) as container:
        assert container.streams.audio[0].duration is None and not container.duration
    return path


def test_decoding_stops_at_the_length_bound_when_the_header_does_not_say(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import reviewer_app.core.audio.decode as decode_module

    path = _flac_without_length(tmp_path / "long.flac", 40.0)
    assert decode_audio(path).duration_s == pytest.approx(40.0, abs=0.01)
    monkeypatch.setattr(decode_module, "MAX_DURATION_S", 30.0)  # a 12 h file in miniature
    with pytest.raises(AudioError, match=r"too long to analyse \(more than 30 s; at most 30 s is analysed\)"):
        decode_audio(path)
    monkeypatch.setattr(decode_module, "MAX_DURATION_S", 12 * 3600.0)
    monkeypatch.setattr(decode_module, "MAX_DECODED_BYTES", 8000 * 20 * 4)  # 20 s of one channel
    with pytest.raises(AudioError, match=r"more than 20 s; at most 20 s of 8000 Hz 1-channel audio fits"):
        decode_audio(path)


def test_declared_length_is_refused_before_decoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import reviewer_app.core.audio.decode as decode_module

    path = write_with_pyav(tmp_path / "long.flac", chirps(8000, 40.0)[:1], 8000, "flac", "s16")
    monkeypatch.setattr(decode_module, "MAX_DURATION_S", 30.0)
    decoded: list[int] = []
    monkeypatch.setattr(decode_module, "_decode_stream", lambda *a: decoded.append(1))
    with pytest.raises(AudioError, match=r"too long to analyse \(40 s; at most 30 s is analysed\)"):
        decode_audio(path)
    assert decoded == []


def test_analyze_refuses_a_one_hertz_header_with_one_line_in_bounded_memory(tmp_path: Path) -> None:
    """The reported case: a 32 KB WAV claiming 1 Hz took 7 GB for 18 s, then an IndexError."""
    import resource

    root = Path(__file__).resolve().parents[2]
    path = header_wav(tmp_path / "one_hz.wav", 1)
    cap = 2 << 30

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "reviewer_app", "analyze", str(path), "--asr-model", "tiny.en",
         "--db", f"sqlite:///{tmp_path / 'lib.sqlite3'}"],
        capture_output=True, text=True, timeout=120, cwd=root, preexec_fn=limit,
        env={**os.environ, "REVIEWER_APP_DATA_DIR": str(tmp_path / "appdata"), "PYTHONPATH": str(root)})
    assert done.returncode == 1, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {path}: sample rate 1 Hz is outside 1000..384000 Hz (a damaged header?)"]
    assert "Traceback" not in done.stderr
    assert time.monotonic() - start < 60


def test_a_long_file_takes_its_own_size_in_memory_not_twice(tmp_path: Path) -> None:
    """The header says how long it is: one array of that length is filled, no pieces joined at the end."""
    import tracemalloc

    rate, seconds = 8000, 600
    path = tmp_path / "ten_minutes.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.random.default_rng(0).integers(-3000, 3000, size=(rate * seconds, 2), dtype=np.int16))
    tracemalloc.start()
    try:
        audio = decode_audio(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert audio.samples.shape == (2, rate * seconds) and audio.samples.flags.c_contiguous
    assert peak < 1.25 * audio.samples.nbytes, f"peak {peak / 1e6:.1f} MB for {audio.samples.nbytes / 1e6:.1f} MB"
