"""One rater's labels on a call, and the units several raters' labels are matched into.

The model's findings shown in a session are the first units: a reviewer who confirms a finding, or
corrects its bounds within its category, says "present" for that unit; one who rejects it says
"absent". What a rater adds (and a finding moved to another category) is matched by overlap to the
units of the same category the rater has not yet marked, as `evaluate` matches predictions to
truth (30% of the shorter segment, largest overlap first); what matches none becomes a new unit.
Every rater is then "present" or "absent" on every unit: the items the kappas are computed on.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from reviewer_app.core.domain import Segment
from reviewer_app.core.evaluate import match_segments

MODEL = "model"  # the model, counted as one more rater
ADDED_SCORE = 1.0  # a segment a reviewer adds counts in full in their call score (as in the library)


@dataclass(frozen=True)
class Span:
    start: float
    end: float
    role: str
    category: str

    def as_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "role": self.role, "category": self.category}


@dataclass(frozen=True)
class Finding:
    """One of the model's findings as shown in a session (a snapshot of the library's segment)."""

    segment_id: int
    start: float
    end: float
    role: str
    category: str
    score: float  # the model's confidence: hidden from a reviewer until they submit
    source: str
    evidence: str

    @property
    def span(self) -> Span:
        return Span(self.start, self.end, self.role, self.category)


@dataclass(frozen=True)
class Decision:
    """confirm / reject / edit a finding (segment_id), or add a segment (segment_id None)."""

    segment_id: int | None
    decision: str
    start: float | None = None
    end: float | None = None
    role: str | None = None
    category: str | None = None
    row_id: int | None = None  # its row in calibration_decisions (an added segment is named by it)

    @property
    def span(self) -> Span | None:
        if self.start is None or self.end is None or self.role is None or self.category is None:
            return None
        return Span(self.start, self.end, self.role, self.category)


@dataclass(frozen=True)
class RaterLabels:
    """What one rater says is on a call: the findings they keep (with their bounds) and other segments."""

    kept: dict[int, Span]
    extra: tuple[Span, ...]

    def spans(self) -> list[Span]:
        return [*self.kept.values(), *self.extra]


def model_labels(findings: Sequence[Finding]) -> RaterLabels:
    return RaterLabels({f.segment_id: f.span for f in findings}, ())


def reviewer_labels(findings: Sequence[Finding], decisions: Iterable[Decision]) -> RaterLabels:
    """A finding without a decision counts as rejected (a submitted review has none)."""
    decisions = list(decisions)
    by_id = {d.segment_id: d for d in decisions if d.segment_id is not None}
    kept: dict[int, Span] = {}
    extra: list[Span] = []
    for f in findings:
        d = by_id.get(f.segment_id)
        if d is None or d.decision == "reject":
            continue
        span = d.span if d.decision == "edit" and d.span is not None else f.span
        if span.category == f.category:
            kept[f.segment_id] = span
        else:
            extra.append(span)
    extra += [d.span for d in decisions if d.decision == "add" and d.span is not None]
    return RaterLabels(kept, tuple(extra))


def scored_segments(findings: Sequence[Finding], labels: RaterLabels) -> list[Segment]:
    """A rater's labels as segments to score: kept findings with the model's confidence, others in full."""
    confidence = {f.segment_id: f.score for f in findings}
    out = [Segment(s.start, s.end, s.role, s.category, confidence[i], "", "") for i, s in labels.kept.items()]
    return out + [Segment(s.start, s.end, s.role, s.category, ADDED_SCORE, "", "") for s in labels.extra]


@dataclass
class Unit:
    """One stretch of one category on a call that at least one rater (or the model) marked."""

    call_id: int
    category: str
    start: float
    end: float
    segment_id: int | None  # the finding it is, when it is one
    spans: dict[str, Span] = field(default_factory=dict)  # each rater who marked it, with their bounds
    raters: tuple[str, ...] = ()

    def present(self, rater: str) -> bool:
        return rater in self.spans

    def ratings(self, raters: Sequence[str] | None = None) -> list[bool]:
        return [self.present(r) for r in (raters or self.raters)]

    @property
    def unanimous(self) -> bool:
        return len(set(self.ratings())) <= 1


def build_units(call_id: int, findings: Sequence[Finding], labels: dict[str, RaterLabels]) -> list[Unit]:
    """The units of one call rated by `labels` (rater name -> labels), raters in the order given."""
    units = [Unit(call_id, f.category, f.start, f.end, f.segment_id) for f in findings]
    for rater, rated in labels.items():
        for unit in units:
            if unit.segment_id is not None and unit.segment_id in rated.kept:
                unit.spans[rater] = rated.kept[unit.segment_id]
        free = [u for u in units if rater not in u.spans]
        extra = list(rated.extra)
        pairs = match_segments([s.as_dict() for s in extra],
                               [{"start": u.start, "end": u.end, "category": u.category} for u in free])
        matched = set()
        for i, j in pairs:
            free[j].spans[rater] = extra[i]
            matched.add(i)
        for i, span in enumerate(extra):
            if i not in matched:
                units.append(Unit(call_id, span.category, span.start, span.end, None, {rater: span}))
    names = tuple(labels)
    for unit in units:
        unit.raters = names
    return units


def majority(unit: Unit, reviewers: Sequence[str]) -> bool:
    """Whether more than half of `reviewers` marked the unit; a tie follows the model."""
    votes = sum(unit.present(r) for r in reviewers)
    if 2 * votes == len(reviewers):
        return unit.present(MODEL)
    return 2 * votes > len(reviewers)
