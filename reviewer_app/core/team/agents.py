"""The agent dashboard as plain data: per agent the score trend, problem mix, talk share, speech rate,
dead-air and overtalk share. The GUI plots it; reports.dashboard prints it.

    meta = load_metadata(engine, pattern=r"(?P<agent>[a-z]+)_\\d+\\.wav")   # or csv_path=...
    board = build_dashboard(engine, meta)
    for agent in board.agents: agent.trend, agent.category_shares, agent.talk_share, ...
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from statistics import fmean

from sqlalchemy import Engine

from reviewer_app.core.domain import CATEGORIES
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.exchange.library import iter_records
from reviewer_app.core.settings import Settings
from reviewer_app.core.storage import repository
from reviewer_app.core.team.metadata import CallMeta, from_csv, from_pattern
from reviewer_app.core.team.metrics import CallMetrics, call_metrics


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return fmean(values) if values else None


@dataclass
class AgentStats:
    agent: str
    team: str | None
    calls: list[CallMetrics] = field(default_factory=list)  # by date

    @property
    def n_calls(self) -> int:
        return len(self.calls)

    @property
    def mean_score(self) -> float:
        return fmean(c.score for c in self.calls)

    @property
    def trend(self) -> list[tuple[date, float]]:
        """Mean score per day, oldest first (calls without a date are left out)."""
        days: dict[date, list[int]] = {}
        for c in self.calls:
            if c.date is not None:
                days.setdefault(c.date, []).append(c.score)
        return [(d, fmean(s)) for d, s in sorted(days.items())]

    @property
    def score_change(self) -> float | None:
        """Mean score of the last day minus that of the first (None with fewer than two days)."""
        trend = self.trend
        return trend[-1][1] - trend[0][1] if len(trend) > 1 else None

    @property
    def category_counts(self) -> dict[str, int]:
        total: Counter = Counter()
        for c in self.calls:
            total.update(c.categories)
        return {cat: total[cat] for cat in CATEGORIES if total[cat]}

    @property
    def category_shares(self) -> dict[str, float]:
        counts = self.category_counts
        n = sum(counts.values())
        return {cat: k / n for cat, k in counts.items()} if n else {}

    @property
    def problems_per_call(self) -> float:
        return sum(self.category_counts.values()) / self.n_calls

    @property
    def talk_share(self) -> float | None:
        return _mean(c.talk_share for c in self.calls)

    @property
    def speech_rate(self) -> tuple[float | None, str]:
        """Mean agent speech rate and its unit (the unit most of the agent's calls use)."""
        units = Counter(c.rate_unit for c in self.calls if c.speech_rate is not None)
        if not units:
            return None, "wpm"
        unit = units.most_common(1)[0][0]
        return _mean(c.speech_rate for c in self.calls if c.rate_unit == unit), unit

    @property
    def duration_s(self) -> float:
        return sum(c.duration_s for c in self.calls)

    @property
    def dead_air_share(self) -> float:
        return sum(c.dead_air_s for c in self.calls) / self.duration_s if self.duration_s else 0.0

    @property
    def overtalk_share(self) -> float:
        return sum(c.overtalk_s for c in self.calls) / self.duration_s if self.duration_s else 0.0


@dataclass
class Dashboard:
    agents: list[AgentStats]  # by team, then agent
    unassigned: list[CallMetrics]  # calls the metadata did not name an agent for

    @property
    def calls(self) -> list[CallMetrics]:
        return [c for a in self.agents for c in a.calls]

    @property
    def date_range(self) -> tuple[date, date] | None:
        days = [c.date for c in self.calls if c.date is not None]
        return (min(days), max(days)) if days else None

    @property
    def teams(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for a in self.agents:
            out.setdefault(a.team or "", []).append(a.agent)
        return out


def load_metadata(engine: Engine, *, pattern: str | None = None, csv_path: str | Path | None = None
                  ) -> dict[int, CallMeta]:
    """Call metadata by call id from a CSV and/or a file-name pattern (the CSV wins where both name a call)."""
    if pattern is None and csv_path is None:
        raise ReviewerError("agents need a file-name pattern or a metadata CSV")
    calls = repository.list_calls(engine)
    meta = from_pattern(calls, pattern) if pattern else {}
    if csv_path is not None:
        meta.update(from_csv(calls, csv_path))
    return meta


def build_dashboard(engine: Engine, meta: dict[int, CallMeta], settings: Settings | None = None) -> Dashboard:
    settings = settings or Settings()
    agents: dict[str, AgentStats] = {}
    unassigned = []
    for record in iter_records(engine):
        m = meta.get(record.summary.id)
        metrics = call_metrics(record, settings, m)
        if m is None or not m.agent:
            unassigned.append(metrics)
            continue
        stats = agents.setdefault(m.agent, AgentStats(m.agent, m.team))
        stats.team = stats.team or m.team
        stats.calls.append(metrics)
    for stats in agents.values():
        stats.calls.sort(key=lambda c: (c.date or date.min, c.call_id))
    ordered = sorted(agents.values(), key=lambda a: (a.team or "~", a.agent))
    return Dashboard(ordered, unassigned)
