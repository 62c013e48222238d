"""How far a session's raters agree: the reviewers who submitted every call, and the model.

Per pair of raters: Cohen's kappa on the units (present / absent), the share of units rated alike,
and segment agreement by overlap as `evaluate` matches segments (F1 of one rater's segments against
the other's: 2 matched / (segments of one + segments of the other)). For all raters: Fleiss' kappa
on the units. Each of these overall and per category. On the call scores: their spread per call and
Krippendorff's alpha (interval). Calls and categories are ranked by disagreement: the share of their
units the raters did not mark unanimously, then (calls) the score range or (categories) the mean
share of units pairs of raters rated alike.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

from reviewer_app.core.calibration.reliability import (
    Spread, cohen_kappa, fleiss_kappa, krippendorff_alpha_interval, observed_agreement, spread,
)
from reviewer_app.core.calibration.sessions import SessionData
from reviewer_app.core.calibration.units import MODEL, Unit, build_units
from reviewer_app.core.domain import CATEGORIES
from reviewer_app.core.evaluate import score_segments

ALL = "all"


@dataclass(frozen=True)
class PairAgreement:
    a: str
    b: str
    kappa: float | None
    observed: float | None  # share of units rated alike
    segment_f1: float | None  # overlap-matched segment agreement; None when neither marked anything


@dataclass(frozen=True)
class CategoryAgreement:
    category: str  # a category, or "all"
    units: int
    split: int  # units the raters did not mark unanimously
    fleiss: float | None
    pairs: tuple[PairAgreement, ...]

    @property
    def disagreement(self) -> float:
        return self.split / self.units if self.units else 0.0

    def pair(self, a: str, b: str) -> PairAgreement | None:
        return next((p for p in self.pairs if {p.a, p.b} == {a, b}), None)

    @property
    def mean_observed(self) -> float | None:
        """The mean over pairs of raters of the share of units they rated alike."""
        values = [p.observed for p in self.pairs if p.observed is not None]
        return sum(values) / len(values) if values else None

    @property
    def mean_segment_f1(self) -> float | None:
        values = [p.segment_f1 for p in self.pairs if p.segment_f1 is not None]
        return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class CallAgreement:
    call_id: int
    path: str
    units: int
    split: int
    scores: dict[str, int]  # every rater who submitted this call (and the model)
    spread: Spread
    split_categories: dict[str, int] = field(default_factory=dict)  # category -> units not unanimous

    @property
    def disagreement(self) -> float:
        return self.split / self.units if self.units else 0.0


@dataclass(frozen=True)
class SessionAgreement:
    session_id: int
    name: str
    raters: tuple[str, ...]  # the model, then the reviewers who submitted every call
    left_out: dict[str, int]  # reviewers who have not submitted every call -> calls they submitted
    overall: CategoryAgreement
    categories: dict[str, CategoryAgreement]  # the categories any rater marked, in CATEGORIES order
    calls: tuple[CallAgreement, ...]
    score_alpha: float | None
    units: tuple[Unit, ...]

    def worst_calls(self, n: int = 5) -> list[CallAgreement]:
        ranked = sorted(self.calls, key=lambda c: (-c.disagreement, -(c.spread.range or 0.0), c.call_id))
        return [c for c in ranked if c.split or (c.spread.range or 0) > 0][:n]

    def worst_categories(self, n: int = 5) -> list[CategoryAgreement]:
        ranked = sorted(self.categories.values(), key=lambda c: (
            -round(c.disagreement, 9), round(c.mean_observed if c.mean_observed is not None else 1.0, 9),
            CATEGORIES.index(c.category)))
        return [c for c in ranked if c.split][:n]


def session_agreement(data: SessionData, include_model: bool = True) -> SessionAgreement:
    reviewers = data.complete_reviewers()
    raters = ([MODEL] if include_model else []) + reviewers
    units: list[Unit] = []
    calls: list[CallAgreement] = []
    segments: dict[str, list[tuple[int, list[dict]]]] = {r: [] for r in raters}
    for call in data.calls:
        labels = {r: data.labels(call, r) for r in raters}
        call_units = build_units(call.call_id, call.findings, labels)
        units += call_units
        for r in raters:
            segments[r].append((call.call_id, [s.as_dict() for s in labels[r].spans()]))
        scores = {MODEL: call.model_score} if include_model else {}
        scores.update({r: review.score for (c, r), review in data.reviews.items()
                       if c == call.call_id and review.submitted and review.score is not None})
        split = [u for u in call_units if not u.unanimous]
        by_category: dict[str, int] = {}
        for u in split:
            by_category[u.category] = by_category.get(u.category, 0) + 1
        calls.append(CallAgreement(call.call_id, call.path, len(call_units), len(split), scores,
                                   spread(list(scores.values())), by_category))
    categories = [c for c in CATEGORIES if any(u.category == c for u in units)]
    per_category = {c: _category(c, [u for u in units if u.category == c], raters, segments) for c in categories}
    alpha_units = [[call.scores.get(r) for r in raters] for call in calls]
    left_out = {r: data.summary.submitted.get(r, 0) for r in data.summary.reviewers if r not in reviewers}
    return SessionAgreement(data.summary.id, data.summary.name, tuple(raters), left_out,
                            _category(ALL, units, raters, segments), per_category, tuple(calls),
                            krippendorff_alpha_interval(alpha_units) if len(raters) >= 2 else None, tuple(units))


def _category(category: str, units: list[Unit], raters: list[str],
              segments: dict[str, list[tuple[int, list[dict]]]]) -> CategoryAgreement:
    pairs = []
    for a, b in combinations(raters, 2):
        ratings_a = [u.present(a) for u in units]
        ratings_b = [u.present(b) for u in units]
        pairs.append(PairAgreement(a, b, cohen_kappa(ratings_a, ratings_b), observed_agreement(ratings_a, ratings_b),
                                   _segment_f1(segments[a], segments[b], category)))
    fleiss = fleiss_kappa([u.ratings(raters) for u in units]) if len(raters) >= 2 else None
    split = sum(1 for u in units if len({u.present(r) for r in raters}) > 1)
    return CategoryAgreement(category, len(units), split, fleiss, tuple(pairs))


def _segment_f1(a: list[tuple[int, list[dict]]], b: list[tuple[int, list[dict]]], category: str) -> float | None:
    """F1 of a's segments against b's, matched per call by overlap (evaluate.score_segments)."""
    matched = count_a = count_b = 0
    for (_, segs_a), (_, segs_b) in zip(a, b):
        if category != ALL:
            segs_a = [s for s in segs_a if s["category"] == category]
            segs_b = [s for s in segs_b if s["category"] == category]
        scores = score_segments(segs_a, segs_b)
        matched += sum(s.true_positives for s in scores.values())
        count_a += len(segs_a)
        count_b += len(segs_b)
    if count_a + count_b == 0:
        return None
    return 2 * matched / (count_a + count_b)
