"""Each rater's agreement with the outcome, session after session: is a reviewer converging on the team?

The reference of a session is what the lead adopted (a reviewer's labels, or the majority's); a
session not adopted yet is compared with its majority (the consensus). Per rater: the share of the
session's units rated as the reference rates them, Cohen's kappa with it, and the distance of their
call scores from the reference's (mean absolute difference; the majority's score of a call is the
median of the reviewers' scores).
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from reviewer_app.core.calibration.reliability import cohen_kappa, observed_agreement
from reviewer_app.core.calibration.sessions import MAJORITY, SessionData, list_sessions, load_session
from reviewer_app.core.calibration.units import MODEL, build_units, majority


@dataclass(frozen=True)
class TrendPoint:
    session_id: int
    session_name: str
    created_at: datetime
    reference: str  # "adopted: ana", "adopted: majority" or "consensus"
    rater: str
    agreement: float | None  # share of units rated as the reference
    kappa: float | None
    score_gap: float | None  # mean |score - reference score| over the session's calls


def session_trend(data: SessionData) -> list[TrendPoint]:
    """One point per rater (the model first) of one session; none before a reviewer has submitted all."""
    reviewers = data.complete_reviewers()
    if not reviewers:
        return []
    summary = data.summary
    source = summary.adopted_from if summary.state == "adopted" else MAJORITY
    if source != MAJORITY and source not in reviewers:
        source = MAJORITY  # adopted from a reviewer whose review is no longer complete: fall back
    reference = f"adopted: {summary.adopted_from}" if summary.state == "adopted" else "consensus"
    raters = [MODEL, *reviewers]
    ratings: dict[str, list[bool]] = {r: [] for r in raters + [MAJORITY]}
    gaps: dict[str, list[float]] = {r: [] for r in raters}
    for call in data.calls:
        labels = {r: data.labels(call, r) for r in raters}
        for unit in build_units(call.call_id, call.findings, labels):
            for r in raters:
                ratings[r].append(unit.present(r))
            ratings[MAJORITY].append(majority(unit, reviewers))
        scores = {r: data.reviews[(call.call_id, r)].score for r in reviewers}
        scores[MODEL] = call.model_score
        target = statistics.median(scores[r] for r in reviewers) if source == MAJORITY else scores[source]
        for r in raters:
            gaps[r].append(abs(scores[r] - target))
    truth = ratings[source]
    return [TrendPoint(summary.id, summary.name, summary.created_at, reference, r,
                       observed_agreement(ratings[r], truth), cohen_kappa(ratings[r], truth),
                       sum(gaps[r]) / len(gaps[r]) if gaps[r] else None) for r in raters]


def trend(engine: Engine) -> list[TrendPoint]:
    """Every session's points, oldest session first."""
    return [p for s in list_sessions(engine) for p in session_trend(load_session(engine, s.id))]
