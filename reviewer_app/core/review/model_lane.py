"""What the window's model lane shows, computed from a stored ModelTrack (no Qt, no torch).

One row per window category: the model's probability over time, the highest of the category's
rows (a speaker's categories have one row per channel). What a hover says: each side's
probability at that moment, the threshold, and any disagreement with the rule there.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reviewer_app.core.domain import WINDOW_CATEGORIES, ModelTrack
from reviewer_app.core.review.viewport import mmss


@dataclass(frozen=True)
class LaneSeries:
    category: str
    starts: np.ndarray  # start time of each value shown, seconds
    ends: np.ndarray  # its end: start + hop_s, or the end of the hops one pixel column holds
    values: np.ndarray  # probability 0..1 over [start, end)


def category_values(track: ModelTrack, category: str) -> np.ndarray:
    """The category's probability per hop: the highest of its rows (zeros when it has none)."""
    rows = [track.values[i] for i, (cat, _) in enumerate(track.rows) if cat == category]
    if not rows:
        return np.zeros(track.values.shape[1] if track.values.ndim == 2 else 0, np.float32)
    return np.max(np.stack(rows), axis=0)


def visible_series(track: ModelTrack, t0: float, t1: float, columns: int | None = None) -> list[LaneSeries]:
    """Per window category, the values whose hop overlaps [t0, t1). With more hops than `columns`
    (pixel columns), each column's hops become one value, their highest (a peak never disappears)."""
    n = track.values.shape[1]
    lo = max(0, int(np.floor(t0 / track.hop_s)))
    hi = min(n, max(lo, int(np.ceil(t1 / track.hop_s))))
    edges = np.arange(lo, hi + 1)
    if columns and hi - lo > columns:
        edges = np.unique(np.linspace(lo, hi, columns + 1).round().astype(int))
    starts, ends = edges[:-1] * track.hop_s, edges[1:] * track.hop_s
    out = []
    for c in WINDOW_CATEGORIES:
        values = category_values(track, c)[lo:hi]
        if len(starts) != hi - lo and len(values):
            values = np.maximum.reduceat(values, edges[:-1] - lo)
        out.append(LaneSeries(c, starts, ends, values))
    return out


def disagreements_in(track: ModelTrack, category: str, t0: float, t1: float) -> list[dict]:
    return [d for d in track.disagreements if d["category"] == category and d["end"] > t0 and d["start"] < t1]


def hover_text(track: ModelTrack, category: str, t: float) -> str:
    """'negative emotion at 1:32.5: customer 0.81, agent 0.12 (threshold 0.50)' and any disagreement there."""
    i = min(max(0, int(t // track.hop_s)), track.values.shape[1] - 1)
    sides = [f"{role} {track.values[k, i]:.2f}" for k, (cat, role) in enumerate(track.rows) if cat == category]
    text = (f"model: {category.replace('_', ' ')} at {mmss(t, 1)}: {', '.join(sides) or 'no output'} "
            f"(threshold {track.threshold:.2f})")
    for d in disagreements_in(track, category, t, t + 1e-6):
        text += f"\ndisagreement {mmss(d['start'], 1)}–{mmss(d['end'], 1)}: {d['reason']}"
    return text


BRANCH_LABELS = {"spectrogram": "spectrogram", "prosody": "prosody", "speech": "Whisper states", "text": "text"}


def why_lines(details: dict | None) -> list[str]:
    """The details pane's lines for a finding (at most four): why the model flagged it (each branch's
    share with a bar, largest first), the words and the stretch that mattered, and any disagreement
    with the rule. [] when there is nothing to say."""
    details = details or {}
    lines = []
    explain = details.get("explain")
    if explain:
        w0, w1 = explain.get("window", (0.0, 0.0))
        lines.append(f"Why the model flagged it: p={explain.get('probability', 0):.2f} on {mmss(w0, 1)}–{mmss(w1, 1)}")
        ranked = sorted(explain.get("shares", {}).items(), key=lambda kv: -kv[1])
        lines.append("  " + "  ".join(f"{BRANCH_LABELS.get(b, b)} {round(100 * s)}%" + (" " + "█" * round(s * 10)
                                                                                      if round(s * 10) else "")
                                      for b, s in ranked))
        said = []
        if explain.get("words"):
            said.append("words: '" + " ".join(w["word"] for w in explain["words"]) + "'")
        said += [f"most at {mmss(f['start'], 1)}–{mmss(f['end'], 1)}" for f in explain.get("frames") or []]
        if said:
            lines.append("  " + " · ".join(said))
    if details.get("disagreement"):
        lines.append(f"Disagreement: {details['disagreement']}")
    return lines
