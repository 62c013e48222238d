"""The training set: what reviewers judged, as labelled windows; split by call.

A call takes part when it is reviewed or has at least one segment a human
judged. Confirmed, edited and added segments are positives; rejected ones are
negatives; the rest of a reviewed call is negative (see model/windows.py).
The validation calls are a share of the labelled calls, drawn per group of
calls with the same positive categories so both sides see every kind; the
windows of one call are never on both sides.
"""
from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import numpy as np

from reviewer_app.core.domain import WINDOW_CATEGORIES
from reviewer_app.core.domain import Turn
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.progress import CancelToken, Progress
from reviewer_app.core.settings import Settings
from reviewer_app.core.storage import repository
from reviewer_app.core.model.batching import CallInputs
from reviewer_app.core.model.windows import (
    CallLabels,
    LabelSpan,
    Window,
    candidate_windows,
    tokenize,
    window_targets,
)

POSITIVE = ("confirmed", "edited", "added")
NEGATIVE = ("rejected",)


@dataclass
class LabelledCall:
    call_id: int
    sha256: str
    path: str
    duration_s: float
    roles: tuple[str, ...]
    language: str
    turns: list[Turn]
    labels: CallLabels

    def positive_categories(self) -> frozenset[str]:
        return frozenset(s.category for s in self.labels.spans if s.positive)


@dataclass(eq=False)
class WindowSet:
    """Labelled windows of some calls; `emotion` is an EMOTIONS index or -1 (unknown)."""

    calls: dict[str, CallInputs] = field(default_factory=dict)  # sha256 -> inputs
    items: list[tuple[str, Window]] = field(default_factory=list)  # (sha256, window)
    targets: np.ndarray = field(default_factory=lambda: np.zeros((0, len(WINDOW_CATEGORIES)), np.float32))
    known: np.ndarray = field(default_factory=lambda: np.zeros((0, len(WINDOW_CATEGORIES)), bool))
    emotion: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def __len__(self) -> int:
        return len(self.items)

    def add(self, sha: str, inputs: CallInputs, windows: list[Window], targets: np.ndarray,
            known: np.ndarray, emotion: np.ndarray | None = None) -> None:
        self.calls[sha] = inputs
        self.items.extend((sha, w) for w in windows)
        self.targets = np.concatenate([self.targets, targets])
        self.known = np.concatenate([self.known, known])
        emo = emotion if emotion is not None else np.full(len(windows), -1, np.int64)
        self.emotion = np.concatenate([self.emotion, emo])

    def batch_items(self, indices) -> list:
        return [(self.calls[self.items[i][0]], self.items[i][1]) for i in indices]

    def positives(self) -> dict[str, int]:
        return {c: int((self.targets[:, j] > 0.5)[self.known[:, j]].sum()) for j, c in enumerate(WINDOW_CATEGORIES)}


def labelled_calls(engine) -> list[LabelledCall]:
    """Every call a reviewer judged, with its labels and transcript (plain data)."""
    out = []
    for call in repository.list_calls(engine):
        segments = repository.load_segments(engine, call.id)
        judged = [s for s in segments if s.status in POSITIVE + NEGATIVE]
        reviewed = call.review_status == "reviewed"
        if not judged and not reviewed:
            continue
        analysis = repository.load_analysis(engine, call.sha256)
        labels = CallLabels(
            reviewed=reviewed,
            spans=[LabelSpan(s.start, s.end, s.role, s.category, s.status in POSITIVE) for s in judged],
            unjudged=[LabelSpan(s.start, s.end, s.role, s.category, True)
                      for s in segments if s.status == "predicted"],
        )
        out.append(LabelledCall(call.id, call.sha256, call.path, call.duration_s,
                                tuple(analysis.audio.roles), analysis.language, analysis.transcript, labels))
    return out


def label_counts(calls: list[LabelledCall]) -> dict[str, int]:
    """Human-judged segments per category (positives and rejections)."""
    counts = Counter(s.category for c in calls for s in c.labels.spans)
    return {cat: counts.get(cat, 0) for cat in sorted(counts)}


def split_by_call(calls: list[LabelledCall], val_fraction: float, seed: int = 0
                  ) -> tuple[list[LabelledCall], list[LabelledCall]]:
    """(train, validation): whole calls, a share of every group of calls with the same positives."""
    if len(calls) < 2:
        raise ReviewerError(f"fine-tuning needs at least 2 labelled calls, found {len(calls)}: "
                            "review more calls first")

    def key(c: LabelledCall) -> str:
        return hashlib.sha256(f"{seed}:{c.sha256}".encode()).hexdigest()

    groups: dict[frozenset, list[LabelledCall]] = defaultdict(list)
    for c in sorted(calls, key=key):
        groups[c.positive_categories()].append(c)
    train, val = [], []
    for _, members in sorted(groups.items(), key=lambda kv: sorted(kv[0])):
        n_val = math.floor(val_fraction * len(members) + 0.5) if len(members) > 1 else 0
        val.extend(members[:n_val])
        train.extend(members[n_val:])
    if not val:  # every group was a single call: move one over
        val.append(train.pop())
    if not train:
        train.append(val.pop())
    return train, val


def build_windows(calls: list[LabelledCall], settings: Settings, encoder_model: str, vocab_size: int,
                  cancel: CancelToken | None = None, stage: str = "features",
                  inputs_for: Callable | None = None) -> Generator[Progress, None, WindowSet]:
    """Labelled windows of `calls`, loading or computing each call's inputs (yields Progress)."""
    from reviewer_app.core.model.inputs import inputs_from_audio

    cancel = cancel or CancelToken()
    load = inputs_for or (lambda c: inputs_from_audio(c.path, c.sha256, encoder_model, settings))
    out = WindowSet()
    for n, call in enumerate(calls):
        cancel.raise_if_cancelled()
        yield Progress(n, len(calls), f"{stage}: call {n + 1} of {len(calls)}")
        try:
            inputs = load(call)
        except (OSError, ReviewerError) as exc:
            raise ReviewerError(f"{call.path}: cannot prepare this call for training ({exc})") from exc
        windows = candidate_windows(inputs.features.duration_s, inputs.features.roles, call.turns,
                                    lambda t: tokenize(t, vocab_size))
        targets, known = window_targets(windows, call.labels)
        keep = known.any(axis=1)
        out.add(call.sha256, inputs, [w for w, k in zip(windows, keep) if k], targets[keep], known[keep])
    yield Progress(len(calls), len(calls), f"{stage}: done")
    return out
