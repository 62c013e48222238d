"""Small helpers shared by the rule modules."""
from __future__ import annotations

import numpy as np

from reviewer_app.core.domain import Segment

# Threshold comparisons allow this much float error, so 5.0 s of silence
# computed as 7.3 - 2.3 = 4.999999... still counts as 5.0 s.
EPS = 1e-6


def make_segment(start: float, end: float, role: str, category: str, score: float, evidence: str) -> Segment:
    """A Segment with times rounded to 2 decimals and the score clipped to 0..1."""
    return Segment(
        start=round(float(start), 2),
        end=round(float(end), 2),
        role=role,
        category=category,
        score=round(float(min(1.0, max(0.0, score))), 3),
        source=f"rule:{category}",
        evidence=evidence,
    )


def ramp(value: float, at_half: float, at_full: float) -> float:
    """Score 0.5 when `value` is at the threshold `at_half`, rising linearly to 1.0 at `at_full`.

    Works in either direction (`at_full` may be below `at_half`, e.g. for a level in dB
    that is worse the lower it is).
    """
    if at_full == at_half:
        return 1.0
    frac = (value - at_half) / (at_full - at_half)
    return float(min(1.0, max(0.5, 0.5 + 0.5 * frac)))


def frames(seconds: float, hop_s: float) -> int:
    """Number of whole frames in `seconds`, at least 1."""
    return max(1, int(round(seconds / hop_s)))


def moving_mean(values: np.ndarray, valid: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average of `values` over the `valid` frames only; NaN where none is valid."""
    vals = np.where(valid, values, 0.0).astype(float)
    kernel = np.ones(max(1, width))
    sums = np.convolve(vals, kernel, mode="same")
    counts = np.convolve(valid.astype(float), kernel, mode="same")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1e-12), np.nan)
