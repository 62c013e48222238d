"""Per-call figures a supervisor reads: the score after review, talk share, speech rate, dead air, overtalk.

The score after review is the score of what stands once reviewers have
judged the call: rejected segments deduct nothing, added ones deduct fully.
On an unreviewed call it equals the detector's score.

Talk share is the agent's share of the time either side speaks (union of
each side's turns), and the speech rate is the agent's words per minute of
its own speaking time (characters per minute for Chinese). Neither exists
for a mono call, where the two sides cannot be told apart.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from reviewer_app.core import intervals
from reviewer_app.core.detect.text import cjk_count, is_chinese
from reviewer_app.core.domain import AGENT, CUSTOMER, CallScore
from reviewer_app.core.exchange.library import CallRecord
from reviewer_app.core.settings import Settings
from reviewer_app.core.team.metadata import CallMeta, call_date


@dataclass(frozen=True)
class CallMetrics:
    call_id: int
    path: str
    date: date | None
    duration_s: float
    score: int  # after review
    grade: str
    agent_talk_s: float | None
    customer_talk_s: float | None
    talk_share: float | None  # agent / (agent + customer), 0..1
    speech_rate: float | None  # agent's words (or Chinese characters) per minute of speaking
    rate_unit: str  # "wpm" | "cpm"
    dead_air_s: float
    overtalk_s: float
    categories: dict[str, int] = field(default_factory=dict)  # segments that stand, per category
    agent: str | None = None
    team: str | None = None

    @property
    def dead_air_share(self) -> float:
        return self.dead_air_s / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def overtalk_share(self) -> float:
        return self.overtalk_s / self.duration_s if self.duration_s > 0 else 0.0


def reviewed_score(record: CallRecord, settings: Settings) -> CallScore:
    """The call's score of record as stored (LabelStore keeps it up to date with every change)."""
    c = record.summary
    return CallScore(c.score_value, c.score_grade, dict(c.deductions))


def _talk(record: CallRecord, role: str) -> float:
    return intervals.total(intervals.merge((t.start, t.end) for t in record.analysis.transcript if t.role == role))


def _category_seconds(record: CallRecord, category: str) -> float:
    """Seconds of the call covered by `category`, counted inside the call only.

    A label stored past the call's end (possible before imports checked it)
    must not turn a share into 1e308 %.
    """
    duration = record.analysis.audio.duration_s
    spans = ((max(0.0, s.start), min(s.end, duration)) for s in record.findings if s.category == category)
    return intervals.total(intervals.merge((a, b) for a, b in spans if b > a))


def speech_rate(record: CallRecord) -> tuple[float | None, str]:
    turns = [t for t in record.analysis.transcript if t.role == AGENT]
    words = [w for t in turns for w in t.words]
    chinese = is_chinese(record.analysis.language, words)
    unit = "cpm" if chinese else "wpm"
    speaking = intervals.total(intervals.merge((t.start, t.end) for t in turns))
    if speaking <= 0:
        return None, unit
    count = sum(cjk_count(t.text) for t in turns) if chinese else sum(len(t.text.split()) for t in turns)
    return 60.0 * count / speaking, unit


def call_metrics(record: CallRecord, settings: Settings, meta: CallMeta | None = None) -> CallMetrics:
    roles = record.analysis.audio.roles
    stereo = AGENT in roles and CUSTOMER in roles
    agent_s = _talk(record, AGENT) if stereo else None
    customer_s = _talk(record, CUSTOMER) if stereo else None
    both = (agent_s or 0.0) + (customer_s or 0.0)
    rate, unit = speech_rate(record) if stereo else (None, "wpm")
    score = reviewed_score(record, settings)
    return CallMetrics(
        call_id=record.summary.id, path=record.summary.path, date=call_date(record.summary, meta),
        duration_s=record.analysis.audio.duration_s, score=score.value, grade=score.grade,
        agent_talk_s=agent_s, customer_talk_s=customer_s,
        talk_share=agent_s / both if stereo and both > 0 else None,
        speech_rate=rate, rate_unit=unit,
        dead_air_s=_category_seconds(record, "dead_air"), overtalk_s=_category_seconds(record, "overtalk"),
        categories=dict(sorted(Counter(s.category for s in record.findings).items())),
        agent=meta.agent if meta else None, team=meta.team if meta else None,
    )
