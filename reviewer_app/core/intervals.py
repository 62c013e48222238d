"""Operations on sorted lists of (start, end) intervals in seconds."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from reviewer_app.core.domain import Interval


def merge(intervals: Iterable[Interval], gap: float = 0.0) -> list[Interval]:
    """Union of intervals; neighbours closer than `gap` are joined."""
    out: list[list[float]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if out and start - out[-1][1] <= gap:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """Intersection of two merged interval lists."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if end > start:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def complement(intervals: list[Interval], start: float, end: float) -> list[Interval]:
    """The parts of [start, end] not covered by the merged `intervals`."""
    out: list[Interval] = []
    cursor = start
    for s, e in intervals:
        if s > cursor:
            out.append((cursor, min(s, end)))
        cursor = max(cursor, e)
        if cursor >= end:
            break
    if cursor < end:
        out.append((cursor, end))
    return [(s, e) for s, e in out if e > s]


def total(intervals: Iterable[Interval]) -> float:
    return float(sum(e - s for s, e in intervals))


def drop_shorter_than(intervals: Iterable[Interval], min_len: float) -> list[Interval]:
    return [(s, e) for s, e in intervals if e - s >= min_len]


def from_mask(mask: np.ndarray, hop_s: float) -> list[Interval]:
    """Runs of True frames as intervals; frame i covers [i*hop, (i+1)*hop)."""
    mask = np.asarray(mask, dtype=bool)
    if mask.size == 0:
        return []
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    starts, ends = edges[0::2], edges[1::2]
    return [(float(s * hop_s), float(e * hop_s)) for s, e in zip(starts, ends)]


def to_mask(intervals: Iterable[Interval], n_frames: int, hop_s: float) -> np.ndarray:
    mask = np.zeros(n_frames, dtype=bool)
    for s, e in intervals:
        lo = max(0, int(round(s / hop_s)))
        hi = min(n_frames, int(round(e / hop_s)))
        if hi > lo:
            mask[lo:hi] = True
    return mask
