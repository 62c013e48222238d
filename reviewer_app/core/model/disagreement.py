"""Where the learned model and the rules disagree about a category.

The model runs on every call and every window category, also where its rule decides
(detect/merge.py), so both sources' findings are known. A finding of one source that the
other has nothing overlapping for (same category, a compatible side, an overlap of at least
`evaluate.MIN_OVERLAP` of the shorter) is a disagreement. Each is kept with the model's track
(the window's model lane marks it), and a finding the merge keeps carries it in its details
("disagreement"), which the review queue ranks first (team/queue.py).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from reviewer_app.core.domain import BOTH, WINDOW_CATEGORIES, ModelTrack, Segment
from reviewer_app.core.evaluate import overlaps_enough
from reviewer_app.core.model.windows import BOTH_SIDES

MODEL, RULES = "model", "rules"


def _same_side(category: str, a: str, b: str) -> bool:
    return category in BOTH_SIDES or BOTH in (a, b) or a == b


def _found(seg: Segment, others: list[Segment]) -> bool:
    return any(o.category == seg.category and _same_side(seg.category, seg.role, o.role)
               and overlaps_enough((seg.start, seg.end), (o.start, o.end)) for o in others)


def model_peak(track: ModelTrack, category: str, role: str, start: float, end: float) -> float:
    """The model's highest probability of `category` on `role`'s side between start and end."""
    lo = int(np.floor(start / track.hop_s))
    hi = max(lo + 1, int(np.ceil(end / track.hop_s)))
    peaks = [float(track.values[i, lo:hi].max()) for i, (cat, r) in enumerate(track.rows)
             if cat == category and _same_side(category, role, r) and track.values[i, lo:hi].size]
    return max(peaks, default=0.0)


def _span(seg: Segment, found_by: str, reason: str) -> dict:
    return {"start": seg.start, "end": seg.end, "role": seg.role, "category": seg.category,
            "found_by": found_by, "score": round(float(seg.score), 3), "reason": reason}


def find_disagreements(rule_segments: list[Segment], model_segments: list[Segment],
                       track: ModelTrack) -> list[dict]:
    """Every finding of one source with nothing overlapping from the other, by start time."""
    rules = [s for s in rule_segments if s.category in WINDOW_CATEGORIES]
    model = [s for s in model_segments if s.category in WINDOW_CATEGORIES]
    out = []
    for seg in model:
        if not _found(seg, rules):
            out.append(_span(seg, MODEL, f"the model found {seg.category} (p={seg.score:.2f}); no rule did"))
    for seg in rules:
        if not _found(seg, model):
            peak = model_peak(track, seg.category, seg.role, seg.start, seg.end)
            out.append(_span(seg, RULES, f"the rule found {seg.category}; the model did not "
                                         f"(p≤{peak:.2f}, threshold {track.threshold:.2f})"))
    return sorted(out, key=lambda d: (d["start"], d["category"]))


def mark_disagreements(segments: list[Segment], spans: list[dict]) -> list[Segment]:
    """`segments` with details["disagreement"] set on each one that is a disagreement span."""
    index = {(d["start"], d["end"], d["role"], d["category"], d["found_by"]): d for d in spans}
    out = []
    for seg in segments:
        found_by = MODEL if seg.source.startswith("model:") else RULES
        span = index.get((seg.start, seg.end, seg.role, seg.category, found_by))
        if span is not None:
            seg = replace(seg, details={**(seg.details or {}), "disagreement": span["reason"]})
        out.append(seg)
    return out
