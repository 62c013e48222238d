"""Run a model over a call's candidate windows and turn window probabilities into segments.

Each window's probability is spread over its span on a 100 ms grid and the
windows covering a moment are averaged: per channel for a speaker's problems,
over both channels for dead air and overtalk (role `both`). Runs above the
threshold become segments (dead air and overtalk keep the rules' minimum
lengths); a segment's score is its highest averaged probability. The same averages,
at their peak per TRACK_HOP_S, are the call's ModelTrack (stored with the analysis).
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import torch

from reviewer_app.core import intervals
from reviewer_app.core.model.network import WINDOW_CATEGORIES, window_probabilities
from reviewer_app.core.domain import BOTH, ModelTrack, Segment
from reviewer_app.core.settings import Settings
from reviewer_app.core.model.batching import CallInputs, make_batch
from reviewer_app.core.model.windows import BOTH_SIDES, Window

GRID_S = 0.1
TRACK_HOP_S = 0.5  # the stored track (the window's model lane)
MIN_SEGMENT_S = 0.3


@contextlib.contextmanager
def inference_threads(device: str):
    """On the CPU, one intra-op thread while the model runs (the previous count after). This model is
    small: on the 5-minute benchmark call, with Whisper's threads and other processes about, two
    OpenMP threads made inference 5x and the explanations' small batches 100x slower than one
    (each operation waits for the other thread to be scheduled)."""
    if not device.startswith("cpu"):
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@torch.no_grad()
def predict_windows(model, items: list[tuple[CallInputs, Window]], device: str = "cpu",
                    batch_size: int = 256) -> np.ndarray:
    """(len(items), len(WINDOW_CATEGORIES)) probabilities."""
    model.eval()
    speech_dim = model.config.speech_dim
    out = []
    with inference_threads(device):
        for lo in range(0, len(items), batch_size):
            batch = make_batch(items[lo:lo + batch_size], speech_dim).to(device)
            with _autocast(device):
                out.append(window_probabilities(model(batch)).float().cpu().numpy())
    if not out:
        return np.zeros((0, len(WINDOW_CATEGORIES)), np.float32)
    return np.concatenate(out)


def _autocast(device: str):
    if device.startswith("cuda"):
        return torch.autocast("cuda", dtype=torch.float16)
    return contextlib.nullcontext()


def _min_length(category: str, settings: Settings) -> float:
    if category == "dead_air":
        return settings.rules.dead_air_min_s
    if category == "overtalk":
        return settings.rules.overtalk_min_s
    return MIN_SEGMENT_S


def category_means(windows: list[Window], probs: np.ndarray, duration_s: float,
                   roles: tuple[str, ...]) -> list[tuple[str, str, np.ndarray]]:
    """(category, role, mean probability on the GRID_S grid) per category and role group."""
    n = max(1, int(np.ceil(duration_s / GRID_S - 1e-9)))
    mono = len(roles) == 1
    out = []
    for j, category in enumerate(WINDOW_CATEGORIES):
        groups = [(BOTH, list(range(len(roles))))] if category in BOTH_SIDES else [
            (BOTH if mono else role, [ch]) for ch, role in enumerate(roles)]
        for role, channels in groups:
            total = np.zeros(n)
            count = np.zeros(n)
            for w, p in zip(windows, probs[:, j]):
                if w.channel in channels:
                    lo = int(round(w.start / GRID_S))
                    hi = max(lo + 1, min(n, int(round(w.end / GRID_S))))
                    total[lo:hi] += p
                    count[lo:hi] += 1
            out.append((category, role, np.where(count > 0, total / np.maximum(count, 1), 0.0)))
    return out


def segments_from_means(means: list[tuple[str, str, np.ndarray]], duration_s: float, settings: Settings,
                        source: str, threshold: float | None = None) -> list[Segment]:
    threshold = settings.model.threshold if threshold is None else threshold
    out: list[Segment] = []
    for category, role, mean in means:
        runs = intervals.from_mask(mean >= threshold, GRID_S)
        for start, end in intervals.drop_shorter_than(runs, _min_length(category, settings) - 1e-6):
            end = min(end, duration_s)
            score = float(mean[int(round(start / GRID_S)):int(round(end / GRID_S))].max())
            out.append(Segment(round(start, 2), round(end, 2), role, category, round(score, 3),
                               source, f"{source}: p={score:.2f}"))
    return sorted(out, key=lambda s: (s.start, s.category))


def segments_from_windows(windows: list[Window], probs: np.ndarray, duration_s: float,
                          roles: tuple[str, ...], settings: Settings, source: str,
                          threshold: float | None = None) -> list[Segment]:
    return segments_from_means(category_means(windows, probs, duration_s, roles), duration_s, settings,
                               source, threshold)


def track_from_means(means: list[tuple[str, str, np.ndarray]], version: str, threshold: float) -> ModelTrack:
    """The compact track: each row's highest mean per TRACK_HOP_S (a peak above the threshold stays above)."""
    per = int(round(TRACK_HOP_S / GRID_S))
    rows, values = [], []
    for category, role, mean in means:
        frames = max(1, int(np.ceil(len(mean) / per)))
        padded = np.zeros(frames * per)
        padded[: len(mean)] = mean
        rows.append((category, role))
        values.append(padded.reshape(frames, per).max(1))
    return ModelTrack(version, TRACK_HOP_S, float(threshold), rows,
                      np.asarray(values, np.float32).reshape(len(rows), -1))


@dataclass(eq=False)
class ModelView:
    """What the model made of one call: its segments (every window category), its track, and
    what explaining a finding needs again (the windows and their probabilities)."""

    segments: list[Segment]
    track: ModelTrack
    windows: list[Window]
    probs: np.ndarray  # (len(windows), len(WINDOW_CATEGORIES))
    inputs: CallInputs


def predict_call(loaded, inputs: CallInputs, turns, settings: Settings, device: str = "cpu") -> ModelView:
    """The model's view of one call (every window category; the merge picks what is used)."""
    from reviewer_app.core.model.windows import candidate_windows, tokenize

    feats = inputs.features
    vocab = loaded.config.vocab_size
    windows = candidate_windows(feats.duration_s, feats.roles, turns, lambda t: tokenize(t, vocab))
    probs = predict_windows(loaded.model, [(inputs, w) for w in windows], device)
    means = category_means(windows, probs, feats.duration_s, feats.roles)
    segments = segments_from_means(means, feats.duration_s, settings, f"model:{loaded.version}")
    track = track_from_means(means, loaded.version, settings.model.threshold)
    return ModelView(segments, track, windows, probs, inputs)


def warm_up() -> None:
    """Import torch and run a tiny network once, so the imports torch makes on first use are paid
    (the pipeline calls this on a thread while Whisper transcribes, not on the model's clock)."""
    from reviewer_app.core.model import network as net

    tiny = net.ProblemSegmentModel(net.ModelConfig(speech_dim=8, vocab_size=16, d_model=8, token_dim=4,
                                                   attention_heads=2))
    one = net.WindowBatch(torch.zeros(1, net.N_MELS, net.MAX_FRAMES), torch.zeros(1, len(net.PROSODY_FEATURES),
                          net.MAX_FRAMES), torch.ones(1, net.MAX_FRAMES, dtype=torch.bool),
                          torch.zeros(1, net.MAX_SPEECH_FRAMES, 8), torch.ones(1, net.MAX_SPEECH_FRAMES, dtype=torch.bool),
                          torch.zeros(1, net.MAX_TOKENS, dtype=torch.long), torch.ones(1, net.MAX_TOKENS, dtype=torch.bool))
    with torch.no_grad():
        tiny.eval()(one)
