"""Each rater's agreement with the outcome, session after session: is a reviewer converging on the team?

The reference of a session is what the lead adopted (a reviewer's labels, or the majority's); a
session not adopted yet is compared with its majority (the consensus). Per rater: the share of the
session's units rated as the reference rates them, Cohen's kappa with it, and the distance of their
call scores from the reference's (mean absolute difference; the majority's score of a call is the
median of the reviewers' scores).

The trend is blind like the report: an open session whose report is refused to the asker
(sessions.report_refusal) is left out of their trend, and counted, so it cannot be read from there.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from reviewer_app.core.calibration.reliability import cohen_kappa, observed_agreement
from reviewer_app.core.calibration.sessions import MAJORITY, SessionData, list_sessions, load_session, report_refusal
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


@dataclass(frozen=True)
class Trend:
    points: list[TrendPoint]
    left_out: int  # open sessions with a complete review whose report is hidden from the asker


def trend(engine: Engine, viewer: str | None) -> Trend:
    """The points of every session `viewer` may read the report of, oldest session first; an open
    session whose report is refused to them (report_refusal) is left out and counted if it has points."""
    points, left_out = [], 0
    for s in list_sessions(engine):
        if report_refusal(s, viewer):
            left_out += any(s.complete(r) for r in s.reviewers)
            continue
        points += session_trend(load_session(engine, s.id))
    return Trend(points, left_out)
