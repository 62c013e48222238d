"""Whisper encoder states per channel: captured during transcription, pooled (cached on disk by
model/encoder_cache.py).

The model's speech branch reads the frozen Whisper encoder's output. Running the
encoder a second time would cost about half the transcription on CPU (base,
int8, 2 cores, the 101 s stereo call SNG0072: 3.5 s of encoder against 7.4 s of
transcription), while capturing costs ~2% (7.5 s), so the states are
*captured* while faster-whisper transcribes: `EncoderCapture` wraps the model's
`encode`, its feature extractor and faster-whisper's VAD call, recording only
for the thread that activated it.

How times map back. With `vad_filter=True` faster-whisper concatenates the VAD
speech chunks and encodes 30 s windows of that concatenation at a `seek`
(in 10 ms mel frames); encoder frame j of a window is 20 ms of concatenated
audio at (seek + 2 j) * 10 ms. The seek of each encode call is found by
matching the window's first mel columns against the full feature matrix; the
concatenated time is mapped back to the call's time through the VAD chunks
(as faster-whisper's own SpeechTimestampsMap does). States are averaged into
100 ms frames of the original timeline; frames outside VAD speech stay zero
with `covered` False. Where a window cannot be placed it is dropped (counted
in `unmatched`), never guessed.

`compute_states` produces the same kind of states without transcribing
(VAD, concatenation, consecutive 30 s windows): used for calls analysed before
capture existed, for another encoder than the ASR model, and for the generated
training corpus.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

HOP_S = 0.1  # pooled state frame
MEL_HOP_S = 0.01  # Whisper's mel frame
ENCODER_STRIDE = 2  # mel frames per encoder output frame (20 ms)
WINDOW_FRAMES = 3000  # mel frames per 30 s encoder window
SAMPLE_RATE = 16000
_MATCH_COLUMNS = 8  # mel columns compared to place an encoded window


@dataclass(frozen=True, eq=False)
class EncoderStates:
    model: str  # the encoder's model name, e.g. "whisper-base"
    states: np.ndarray  # (frames, dim) float16, one frame per HOP_S of the call
    covered: np.ndarray  # (frames,) bool: the encoder saw speech there
    source: str = "captured"  # captured | computed
    hop_s: float = HOP_S

    @property
    def dim(self) -> int:
        return int(self.states.shape[1])


def frames_for(duration_s: float) -> int:
    return max(1, int(np.ceil(duration_s / HOP_S - 1e-9)))


def empty_states(model: str, dim: int, duration_s: float, source: str = "captured") -> EncoderStates:
    n = frames_for(duration_s)
    return EncoderStates(model, np.zeros((n, dim), np.float16), np.zeros(n, bool), source)


# --- capture during transcription -------------------------------------------------


@dataclass
class _Recorder:
    model: object
    features: np.ndarray | None = None
    chunks: list[dict] | None = None
    windows: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (seek, (frames, dim))
    unmatched: int = 0
    _last_seek: int = -1

    def on_features(self, features: np.ndarray) -> None:
        if self.features is None:
            self.features = features

    def on_encode(self, mel: np.ndarray, output) -> None:
        if self.features is None:
            self.unmatched += 1
            return
        mel = mel[0] if mel.ndim == 3 else mel
        seek = _find_seek(self.features, mel, self._last_seek)
        if seek is None:
            self.unmatched += 1
            return
        self._last_seek = seek
        self.windows.append((seek, _to_numpy(output)[0]))


_local = threading.local()
_install_lock = threading.Lock()


class _FeatureTap:
    """Stands in for the model's feature extractor; records what it returns."""

    def __init__(self, inner) -> None:
        self._inner = inner

    def __call__(self, *args, **kwargs):
        features = self._inner(*args, **kwargs)
        rec = getattr(_local, "recorder", None)
        if rec is not None:
            rec.on_features(features)
        return features

    def __getattr__(self, name):
        return getattr(self._inner, name)


def _install(model) -> None:
    """Wrap `model.encode` and its feature extractor once; both only record for an active recorder."""
    with _install_lock:
        if getattr(model, "_reviewer_encoder_tap", False):
            return
        import faster_whisper.transcribe as fwt

        original_encode = model.encode

        def encode(features):
            output = original_encode(features)
            rec = getattr(_local, "recorder", None)
            if rec is not None and rec.model is model:
                rec.on_encode(np.asarray(features), output)
            return output

        model.encode = encode
        model.feature_extractor = _FeatureTap(model.feature_extractor)
        if not getattr(fwt.get_speech_timestamps, "_reviewer_tap", False):
            original_vad = fwt.get_speech_timestamps

            def get_speech_timestamps(*args, **kwargs):
                chunks = original_vad(*args, **kwargs)
                rec = getattr(_local, "recorder", None)
                if rec is not None:
                    rec.chunks = [dict(c) for c in chunks]
                return chunks

            get_speech_timestamps._reviewer_tap = True
            fwt.get_speech_timestamps = get_speech_timestamps
        model._reviewer_encoder_tap = True


class EncoderCapture:
    """Records one channel's encoder states while faster-whisper transcribes it.

    Activate it around every call into faster-whisper (the transcribe call and
    each step of its segment generator): `with cap.active(): ...`.
    """

    def __init__(self, model, model_name: str) -> None:
        _install(model)
        self._recorder = _Recorder(model)
        self.model_name = model_name

    @contextmanager
    def active(self):
        previous = getattr(_local, "recorder", None)
        _local.recorder = self._recorder
        try:
            yield self
        finally:
            _local.recorder = previous

    @property
    def unmatched(self) -> int:
        return self._recorder.unmatched

    def states(self, duration_s: float) -> EncoderStates:
        rec = self._recorder
        if rec.windows:
            dim = int(rec.windows[0][1].shape[-1])
            rec.model._reviewer_encoder_dim = dim
        else:
            dim = encoder_dim(rec.model)
        content = 0 if rec.features is None else rec.features.shape[-1] - 1
        return _pool(rec.windows, rec.chunks, content, duration_s, dim, self.model_name, "captured")


def _find_seek(full: np.ndarray, mel: np.ndarray, after: int) -> int | None:
    """Mel frame at which `mel` (a padded window) starts inside `full`, or None."""
    n = full.shape[-1]
    k = min(_MATCH_COLUMNS, mel.shape[-1], n)
    if k == 0:
        return None
    candidates = np.flatnonzero(full[0] == mel[0, 0])
    found = [int(c) for c in candidates
             if c + k <= n and np.array_equal(full[:, c:c + k], mel[:, :k])]
    if not found:
        return None
    later = [c for c in found if c > after]  # faster-whisper's seek only moves forward
    return later[0] if later else found[0]


def _to_numpy(output) -> np.ndarray:
    try:
        return np.array(output, dtype=np.float32)
    except (TypeError, ValueError, RuntimeError):  # a StorageView on the GPU
        import torch

        return torch.as_tensor(output, device="cuda").float().cpu().numpy()


def _pool(windows, chunks, content_frames: int, duration_s: float, dim: int,
          model_name: str, source: str) -> EncoderStates:
    """Average encoder frames into HOP_S frames of the call's own timeline."""
    n = frames_for(duration_s)
    total = np.zeros((n, dim), np.float64)
    count = np.zeros(n, np.int64)
    starts, offsets = _chunk_map(chunks)
    for seek, out in windows:
        valid = max(0, min(WINDOW_FRAMES, content_frames - seek) // ENCODER_STRIDE)
        if valid == 0 or out.shape[1] != dim:
            continue
        t = (seek + ENCODER_STRIDE * np.arange(valid) + 1) * MEL_HOP_S  # centres, concatenated time
        if starts is not None:
            idx = np.clip(np.searchsorted(starts, t, side="right") - 1, 0, len(starts) - 1)
            t = t + offsets[idx]
        bins = np.floor(t / HOP_S).astype(np.int64)
        keep = (bins >= 0) & (bins < n)
        np.add.at(total, bins[keep], out[:valid][keep])
        np.add.at(count, bins[keep], 1)
    covered = count > 0
    states = np.zeros((n, dim), np.float16)
    states[covered] = (total[covered] / count[covered, None]).astype(np.float16)
    return EncoderStates(model_name, states, covered, source)


def _chunk_map(chunks) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Start of each VAD chunk in concatenated seconds, and the silence removed before it."""
    if chunks is None:
        return None, None
    if not chunks:
        return np.zeros(1), np.zeros(1)
    starts, offsets, concat, removed, previous_end = [], [], 0, 0, 0
    for c in chunks:
        removed += c["start"] - previous_end
        previous_end = c["end"]
        starts.append(concat / SAMPLE_RATE)
        offsets.append(removed / SAMPLE_RATE)
        concat += c["end"] - c["start"]
    return np.asarray(starts), np.asarray(offsets)


# --- computing without transcription ----------------------------------------------


def encoder_dim(model) -> int:
    """The encoder's state width (512 for base, 384 for tiny)."""
    cached = getattr(model, "_reviewer_encoder_dim", None)
    if cached is None:
        from faster_whisper.audio import pad_or_trim

        mel = model.feature_extractor(np.zeros(SAMPLE_RATE // 10, np.float32))
        cached = int(_to_numpy(model.encode(pad_or_trim(mel))).shape[-1])
        model._reviewer_encoder_dim = cached
    return cached


def compute_states(model, model_name: str, samples_16k: np.ndarray, duration_s: float) -> EncoderStates:
    """States as transcription would capture them: VAD speech, concatenated, 30 s windows."""
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.vad import VadOptions, collect_chunks, get_speech_timestamps

    x = np.ascontiguousarray(samples_16k, dtype=np.float32)
    dim = encoder_dim(model)
    if x.size < SAMPLE_RATE // 10:
        return empty_states(model_name, dim, duration_s, "computed")
    chunks = get_speech_timestamps(x, VadOptions())
    if not chunks:
        return empty_states(model_name, dim, duration_s, "computed")
    audio = np.concatenate(collect_chunks(x, chunks)[0])
    features = model.feature_extractor(audio)
    content = features.shape[-1] - 1
    windows = []
    for seek in range(0, content, WINDOW_FRAMES):
        size = min(WINDOW_FRAMES, content - seek)
        windows.append((seek, _to_numpy(model.encode(pad_or_trim(features[:, seek:seek + size])))[0]))
    return _pool(windows, chunks, content, duration_s, dim, model_name, "computed")
