"""Decode any common audio file to float32 channels with PyAV.

`decode_audio` keeps the file's native sample rate; `resample` converts one
channel for the ASR model. Every failure is an `AudioError` whose cause is one
readable line: the user sees it as is.
"""
from __future__ import annotations

import errno
import logging
import os
import stat
from dataclasses import dataclass

import av
import av.error
import numpy as np

from reviewer_app.core import checksums
from reviewer_app.core.errors import AudioError

log = logging.getLogger(__name__)

MAX_CHANNELS = 2  # channels analysed; the rest of a multichannel file is ignored
MIN_DURATION_S = 0.1  # shorter files hold nothing to analyse
# Bounds on what a file may claim or hold. A damaged or hostile header (1 Hz, 1 GHz, 65535
# channels) or a small compressed file that expands to days of audio is refused with one line
# before it can take the machine's memory; decoding stops as soon as a bound is passed.
MIN_SAMPLE_RATE = 1_000
MAX_SAMPLE_RATE = 384_000
MAX_SOURCE_CHANNELS = 64
MAX_DURATION_S = 12 * 3600.0
MAX_DECODED_BYTES = 6 << 30  # float32 samples kept (analysed channels x samples x 4 bytes)
FLUSH_SAMPLES = 1 << 18  # raw frames are converted to float32 at least this often (a few MB)

# Integer sample formats and the divisor that maps them to [-1, 1).
_INT_SCALE = {"u8": 128.0, "s16": 32768.0, "s32": 2147483648.0, "s64": 9223372036854775808.0}


@dataclass(frozen=True, eq=False)
class DecodedAudio:
    samples: np.ndarray  # float32, shape (channels, n), at most MAX_CHANNELS rows
    sample_rate: int
    source_channels: int  # channels in the file, may exceed samples.shape[0]
    path: str

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def n_samples(self) -> int:
        return int(self.samples.shape[1])

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.sample_rate


def decode_audio(path: str | os.PathLike[str], max_channels: int = MAX_CHANNELS) -> DecodedAudio:
    """The file's first `max_channels` channels as float32 in [-1, 1], native rate."""
    name = os.fspath(path)
    _check_readable(name)
    try:
        # Bigger WAV packets: far fewer frames to decode on long PCM files.
        container = av.open(name, mode="r", metadata_errors="ignore", options={"max_size": "1048576"})
    except av.error.FFmpegError as exc:
        raise AudioError(name, _open_failure_cause(name, exc)) from None
    except (OSError, ValueError, UnicodeError) as exc:  # anything else the opener throws
        raise AudioError(name, f"cannot open ({_short(exc)})") from None
    with container:
        if not container.streams.audio:
            raise AudioError(name, "not an audio file (it holds no audio stream)")
        stream = container.streams.audio[0]
        expected = _check_declared(name, container, stream, max_channels)
        samples, rate, channels, truncated = _decode_stream(name, container, stream, max_channels, expected)
    if truncated:
        log.warning("%s: decoding stopped early (%s); using the first %.2f s", name, truncated,
                    samples.shape[1] / rate)
    _check_samples(name, samples, rate)
    return DecodedAudio(samples=samples, sample_rate=rate, source_channels=channels, path=name)


def sha256_of_file(path: str | os.PathLike[str], chunk_size: int = 1 << 20) -> str:
    """The call's identity: sha256 of the audio file's bytes (an unreadable file is an AudioError).

    Only a regular file is read: a FIFO or a device (which would block or never end) is refused.
    """
    name = os.fspath(path)
    _check_regular(name)
    try:
        return checksums.sha256_of_file(name, chunk_size)
    except OSError as exc:
        raise AudioError(name, _os_cause(exc)) from None


def resample(samples: np.ndarray, from_sr: int, to_sr: int = 16000) -> np.ndarray:
    """One channel from `from_sr` to `to_sr` Hz (float32), e.g. 8 kHz phone audio for ASR.

    FFmpeg's resampler through PyAV, to 16-bit samples and back to float: exactly
    what faster-whisper's own `decode_audio` feeds Whisper (bit for bit on a 16-bit
    file), so the app transcribes the very samples plain faster-whisper would. Even
    a tiny difference changes Whisper's beam search and with it the transcript.
    It keeps torch off the transcription path.
    """
    x = np.ascontiguousarray(samples, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"resample expects one channel, got shape {x.shape}")
    if x.size == 0:
        return x.copy()
    frame = av.AudioFrame.from_ndarray(x[None, :], format="flt", layout="mono")
    frame.sample_rate = int(from_sr)
    resampler = av.AudioResampler(format="s16", layout="mono", rate=int(to_sr))
    chunks = [f.to_ndarray() for f in resampler.resample(frame)]
    chunks += [f.to_ndarray() for f in resampler.resample(None)]  # flush the filter's tail
    return np.concatenate(chunks, axis=1)[0].astype(np.float32) / np.float32(32768.0)


# --- checks -----------------------------------------------------------------


def _check_regular(name: str) -> os.stat_result:
    """os.stat (which never blocks) and S_ISREG, before anything opens the file."""
    try:
        info = os.stat(name)
    except OSError as exc:
        raise AudioError(name, _os_cause(exc)) from None
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise AudioError(name, "is a directory, not an audio file")
    if not stat.S_ISREG(mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else
                "a character device" if stat.S_ISCHR(mode) else
                "a block device" if stat.S_ISBLK(mode) else
                "a socket" if stat.S_ISSOCK(mode) else "a special file")
        raise AudioError(name, f"is {kind}, not a regular file: give an audio file")
    return info


def _check_readable(name: str) -> None:
    info = _check_regular(name)
    if info.st_size == 0:
        raise AudioError(name, "file is empty")
    try:
        with open(name, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise AudioError(name, _os_cause(exc)) from None


def _check_rate(name: str, rate: int) -> None:
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise AudioError(name, f"sample rate {rate} Hz is outside {MIN_SAMPLE_RATE}..{MAX_SAMPLE_RATE} Hz "
                               "(a damaged header?)")


def _check_channels(name: str, channels: int) -> None:
    if channels > MAX_SOURCE_CHANNELS:
        raise AudioError(name, f"{channels} channels is more than {MAX_SOURCE_CHANNELS} (a damaged header?)")


def _max_samples(rate: int, channels_kept: int) -> int:
    """Samples per channel decoding may reach: MAX_DURATION_S, and MAX_DECODED_BYTES of float32."""
    return min(int(MAX_DURATION_S * rate), MAX_DECODED_BYTES // (4 * max(1, channels_kept)))


def _too_long(name: str, rate: int, channels_kept: int, seconds: float | None = None) -> AudioError:
    limit = _max_samples(rate, channels_kept) / rate
    what = _span(seconds) if seconds is not None else f"more than {_span(limit)}"
    why = (f"at most {_span(MAX_DURATION_S)} is analysed" if limit >= MAX_DURATION_S else
           f"at most {_span(limit)} of {rate} Hz {channels_kept}-channel audio fits in "
           f"{MAX_DECODED_BYTES / (1 << 30):g} GiB")
    return AudioError(name, f"too long to analyse ({what}; {why}); split it first")


def _span(seconds: float) -> str:
    return f"{seconds / 3600:.3g} h" if seconds >= 3600 else f"{seconds:.0f} s"


def _check_declared(name: str, container: av.container.InputContainer,
                    stream: av.audio.stream.AudioStream, max_channels: int) -> int:
    """Refuse what the header claims (rate, channels, duration) before decoding anything.

    Returns the samples per channel the header announces (0: it does not say).
    """
    ctx = stream.codec_context
    if ctx is None:
        return 0  # _decode_stream names it
    rate, channels = int(ctx.sample_rate or 0), int(ctx.channels or 0)
    if rate:
        _check_rate(name, rate)
    _check_channels(name, channels)
    seconds = None
    if stream.duration and stream.time_base:
        seconds = float(stream.duration * stream.time_base)
    elif container.duration:
        seconds = container.duration / 1_000_000
    if rate and seconds is not None:
        kept = min(max_channels, channels or max_channels)
        if seconds * rate > _max_samples(rate, kept):
            raise _too_long(name, rate, kept, seconds)
        return max(0, round(seconds * rate))
    return 0


def _check_samples(name: str, samples: np.ndarray, rate: int) -> None:
    n = samples.shape[1]
    if n == 0:
        raise AudioError(name, "no audio frames (the file holds a header but no samples)")
    if n < MIN_DURATION_S * rate:
        raise AudioError(
            name, f"too short to analyse ({n / rate:.3f} s; at least {MIN_DURATION_S:g} s needed)"
        )
    step = FLUSH_SAMPLES  # checked in slices: a whole-file boolean mask would be a quarter of its size again
    if not all(np.isfinite(samples[:, i:i + step]).all() for i in range(0, n, step)):
        raise AudioError(name, "contains NaN/Inf samples (damaged float audio)")


def _os_cause(exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return "no such file"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EISDIR:
        return "is a directory, not an audio file"
    return exc.strerror or type(exc).__name__


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


def _looks_like_text(name: str) -> bool:
    try:
        with open(name, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # a multibyte letter cut at the end is still text
            return False
    return True


def _open_failure_cause(name: str, exc: av.error.FFmpegError) -> str:
    if isinstance(exc, (av.error.FileNotFoundError,)):
        return "no such file"
    if isinstance(exc, (av.error.PermissionError,)):
        return "permission denied"
    if _looks_like_text(name):
        return "not an audio file (it contains text)"
    with open(name, "rb") as fh:
        head = fh.read(12)
    if head[:4] in (b"RIFF", b"RIFX", b"RF64") and head[8:12] == b"WAVE":
        return f"damaged WAV header ({_ffmpeg_reason(exc)})"
    return f"not an audio file or an unsupported format ({_ffmpeg_reason(exc)})"


def _ffmpeg_reason(exc: av.error.FFmpegError) -> str:
    reason = getattr(exc, "strerror", None) or _short(exc)
    return str(reason).rstrip(".").lower()


# --- decoding ---------------------------------------------------------------


def _decode_stream(
    name: str, container: av.container.InputContainer, stream: av.audio.stream.AudioStream,
    max_channels: int, expected: int = 0,
) -> tuple[np.ndarray, int, int, str]:
    """(samples, rate, source_channels, why decoding stopped early or "").

    `expected` (samples per channel the header announces) sizes the output up front, so a
    long file is decoded into one array instead of pieces joined at the end (twice the memory).
    """
    ctx = stream.codec_context
    if ctx is None:  # FFmpeg found a stream but no decoder for it (e.g. a damaged format field)
        raise AudioError(name, "unsupported or damaged audio encoding (no decoder for it)")
    rate = int(ctx.sample_rate or 0)
    source_channels = int(ctx.channels or 0)
    out = _Growing(name, expected)
    pending: list[np.ndarray] = []  # raw frames of one sample format, converted together
    pending_fmt: tuple[str, bool, int] | None = None
    pending_n = total = 0
    limit = 0
    truncated = ""

    def flush() -> None:
        nonlocal pending_n
        if pending and pending_fmt is not None:
            out.add(_to_float(pending, *pending_fmt, max_channels))
            pending.clear()
        pending_n = 0

    try:
        for frame in container.decode(stream):
            fmt = frame.format
            nch = len(frame.layout.channels)
            _check_channels(name, nch)
            key = (fmt.name.rstrip("p"), fmt.is_planar, nch)
            if key != pending_fmt:
                flush()
                pending_fmt = key
            if not rate:
                rate = int(frame.sample_rate)
            elif frame.sample_rate and frame.sample_rate != rate:
                raise AudioError(name, "sample rate changes inside the file; convert it first")
            if not limit:
                _check_rate(name, rate)
                limit = _max_samples(rate, min(max_channels, nch))
            source_channels = source_channels or nch
            total += frame.samples
            if total > limit:  # stop before the samples past the bound are kept
                raise _too_long(name, rate, min(max_channels, nch))
            pending.append(frame.to_ndarray())
            pending_n += frame.samples
            if pending_n >= FLUSH_SAMPLES:  # the raw frames of every source channel, bounded
                flush()
    except av.error.FFmpegError as exc:
        if not pending and not out.n:
            raise AudioError(name, f"cannot decode audio ({_ffmpeg_reason(exc)})") from None
        truncated = _ffmpeg_reason(exc)
    except (ValueError, TypeError, MemoryError) as exc:
        raise AudioError(name, f"cannot decode audio ({_short(exc)})") from None
    flush()
    if not rate:
        raise AudioError(name, "no audio frames (unknown sample rate)")
    width = min(max_channels, source_channels or max_channels)
    if not out.n:
        return np.zeros((max(1, width), 0), np.float32), rate, source_channels, truncated
    return out.result(), rate, source_channels, truncated


class _Growing:
    """float32 (channels, n) filled chunk by chunk.

    With the length the header announces, one array of that length is filled in place: the
    decoded audio takes its own size in memory, not twice (pieces, then the pieces joined).
    Without it, or past it, the pieces are joined at the end, as before.
    """

    def __init__(self, name: str, expected: int) -> None:
        self.name, self.expected = name, expected
        self.data: np.ndarray | None = None  # the announced-length array, while it holds everything
        self.pieces: list[np.ndarray] = []
        self.width = 0
        self.n = 0

    def add(self, chunk: np.ndarray) -> None:
        if not self.width:
            self.width = chunk.shape[0]
            if self.expected >= chunk.shape[1]:
                try:
                    self.data = np.empty((self.width, self.expected), np.float32)
                except MemoryError:  # a header announcing more than there is: pieces instead
                    self.data = None
        elif chunk.shape[0] != self.width:
            raise AudioError(self.name, "channel count changes inside the file; convert it first")
        end = self.n + chunk.shape[1]
        if self.data is not None and end <= self.data.shape[1]:
            self.data[:, self.n:end] = chunk
        else:
            if self.data is not None:  # longer than announced: what is filled becomes the first piece
                self.pieces.append(self.data[:, : self.n])
                self.data = None
            self.pieces.append(chunk)
        self.n = end

    def result(self) -> np.ndarray:
        if self.data is not None:
            return self.data if self.n == self.data.shape[1] else self.data[:, : self.n].copy()
        return self.pieces[0] if len(self.pieces) == 1 else np.concatenate(self.pieces, axis=1)


def _to_float(frames: list[np.ndarray], fmt: str, planar: bool, nch: int, max_channels: int) -> np.ndarray:
    """Raw frames of one format -> float32 (min(nch, max_channels), n), one pass per channel."""
    if planar:  # each frame is (channels, n)
        raw = frames[0] if len(frames) == 1 else np.concatenate([f[:max_channels] for f in frames], axis=1)
        rows = [raw[c] for c in range(min(nch, max_channels))]
    else:  # each frame is (1, n * channels), channels interleaved
        flat = frames[0].reshape(-1) if len(frames) == 1 else np.concatenate([f.reshape(-1) for f in frames])
        rows = [flat[c::nch] for c in range(min(nch, max_channels))]
    if fmt in ("flt", "dbl"):
        scale, offset = 1.0, 0.0
    elif fmt in _INT_SCALE:
        scale, offset = 1.0 / _INT_SCALE[fmt], (128.0 if fmt == "u8" else 0.0)
    else:
        raise ValueError(f"unsupported sample format {fmt}")
    out = np.empty((len(rows), rows[0].shape[0]), dtype=np.float32)
    for i, row in enumerate(rows):
        if offset:
            np.subtract(row, np.float32(offset), out=out[i], casting="unsafe")
            out[i] *= np.float32(scale)
        else:
            np.multiply(row, np.float32(scale), out=out[i], casting="unsafe")
    return out
