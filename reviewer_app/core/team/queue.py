"""What to review next, so reviewers spend their time where the model learns most.

Strategies (only calls not yet marked reviewed, and only findings nobody has judged):

- `disagreement`: findings two sources disagree on. Rule vs model: a finding
  the analysis marked (details["disagreement"]: the model runs on every
  category, see model/disagreement.py), or, in a call where both rules
  (`rule:...`) and the model (`model:...`) reported a category, a finding of
  one that the other has nothing overlapping for.
  Transcript vs silence: dead air with transcribed words inside it (either the
  silence or the words are wrong). Most words first, then least certain.
- `uncertain`: the least certain findings, score closest to 0.5 (the model's
  probability, or a rule's margin over its threshold); model findings first
  on a tie.
- `lowest`: the calls with the lowest scores.
- `random`: a random sample of calls (seeded, so a team can share a sample).
- `mixed` (default): disagreements first, then uncertain findings, then the
  lowest-scoring calls, each call and finding once.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import Engine

from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.evaluate import overlaps_enough
from reviewer_app.core.storage import repository
from reviewer_app.core.storage.repository import CallSummary, StoredSegment

STRATEGIES = ("mixed", "disagreement", "uncertain", "lowest", "random")


@dataclass(frozen=True)
class QueueItem:
    call_id: int
    path: str
    reason: str
    strategy: str
    segment_id: int | None = None  # None: review the whole call
    category: str | None = None
    start: float | None = None
    end: float | None = None

    @property
    def key(self) -> tuple[int, int | None]:
        return self.call_id, self.segment_id


def _item(call: CallSummary, seg: StoredSegment | None, reason: str, strategy: str) -> QueueItem:
    if seg is None:
        return QueueItem(call.id, call.path, reason, strategy)
    return QueueItem(call.id, call.path, reason, strategy, seg.id, seg.category, seg.start, seg.end)


def _open_calls(engine: Engine) -> list[CallSummary]:
    return [c for c in repository.list_calls(engine) if c.review_status != "reviewed"]


def _unjudged(engine: Engine, call: CallSummary) -> list[StoredSegment]:
    return [s for s in repository.load_segments(engine, call.id) if s.status == "predicted"]


def _kind(seg: StoredSegment) -> str:
    return seg.source.split(":", 1)[0]


def disagreements(engine: Engine, calls: list[CallSummary]) -> list[QueueItem]:
    found: list[tuple[tuple, QueueItem]] = []
    for call in calls:
        segments = repository.load_segments(engine, call.id)
        live = [s for s in segments if s.status != "rejected"]
        unjudged = [s for s in segments if s.status == "predicted"]
        words = None
        for seg in unjudged:
            if seg.category == "dead_air":
                if words is None:
                    analysis = repository.load_analysis(engine, call.sha256)
                    words = [w for t in analysis.transcript for w in t.words] if analysis else []
                inside = [w for w in words if seg.start <= (w.start + w.end) / 2 <= seg.end]
                if inside:
                    said = " ".join(w.word for w in inside[:8]) + (" …" if len(inside) > 8 else "")
                    reason = f"{len(inside)} transcribed word(s) inside dead air: {said!r}"
                    found.append(((0, -len(inside)), _item(call, seg, reason, "disagreement")))
            flagged = (seg.details or {}).get("disagreement")
            if flagged:  # marked by the analysis, which ran the model also where the rule decides
                found.append(((1, abs(seg.score - 0.5)), _item(call, seg, flagged, "disagreement")))
                continue
            other = "rule" if _kind(seg) == "model" else "model" if _kind(seg) == "rule" else None
            if other is None:
                continue
            same = [s for s in live if s.category == seg.category]
            if not any(_kind(s) == other for s in same):
                continue  # the other source did not look at this category in this call
            if not any(_kind(s) == other and overlaps_enough((s.start, s.end), (seg.start, seg.end)) for s in same):
                reason = f"{_kind(seg)} found {seg.category} ({seg.score:.2f}), {other} did not"
                found.append(((1, abs(seg.score - 0.5)), _item(call, seg, reason, "disagreement")))
    return [item for _, item in sorted(found, key=lambda f: f[0])]


def uncertain(engine: Engine, calls: list[CallSummary]) -> list[QueueItem]:
    found = []
    for call in calls:
        for seg in _unjudged(engine, call):
            reason = f"{seg.source} score {seg.score:.2f}, closest to 0.5"
            found.append(((abs(seg.score - 0.5), _kind(seg) != "model", seg.start),
                          _item(call, seg, reason, "uncertain")))
    return [item for _, item in sorted(found, key=lambda f: f[0])]


def lowest(calls: list[CallSummary]) -> list[QueueItem]:
    ordered = sorted(calls, key=lambda c: (c.score_value, c.id))
    return [_item(c, None, f"score {c.score_value} ({c.score_grade})", "lowest") for c in ordered]


def random_sample(calls: list[CallSummary], limit: int, seed: int | None) -> list[QueueItem]:
    picked = random.Random(seed).sample(calls, min(limit, len(calls)))
    return [_item(c, None, "random sample", "random") for c in picked]


def review_queue(engine: Engine, strategy: str = "mixed", limit: int = 20, seed: int | None = None) -> list[QueueItem]:
    """Up to `limit` things to review, best first."""
    if strategy not in STRATEGIES:
        raise ReviewerError(f"unknown queue strategy {strategy!r}: use one of {', '.join(STRATEGIES)}")
    if limit < 1:
        raise ReviewerError("the queue limit must be at least 1")
    calls = _open_calls(engine)
    if strategy == "random":
        return random_sample(calls, limit, seed)
    if strategy == "lowest":
        return lowest(calls)[:limit]
    if strategy == "uncertain":
        return uncertain(engine, calls)[:limit]
    if strategy == "disagreement":
        return disagreements(engine, calls)[:limit]
    out: list[QueueItem] = []
    seen_segments, seen_calls = set(), set()
    for item in disagreements(engine, calls) + uncertain(engine, calls) + lowest(calls):
        if item.segment_id is not None and item.segment_id in seen_segments:
            continue
        if item.segment_id is None and item.call_id in seen_calls:
            continue
        if item.segment_id is not None:
            seen_segments.add(item.segment_id)
        seen_calls.add(item.call_id)
        out.append(item)
        if len(out) == limit:
            break
    return out
