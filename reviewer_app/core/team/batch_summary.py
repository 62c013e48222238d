"""The summary of a batch run (core.batch.analyze_many outcomes) as rows and totals, for the table
printed at the end of a batch and for the window's import dialog."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import fmean

from reviewer_app.core.batch import FileOutcome


@dataclass(frozen=True)
class BatchRow:
    file: str
    state: str  # analysed | skipped (already analysed) | failed
    duration_s: float | None = None
    score: int | None = None
    grade: str | None = None
    problems: dict[str, int] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class BatchTotals:
    files: int
    analysed: int
    skipped: int
    failed: int
    audio_s: float
    mean_score: float | None
    grades: dict[str, int]
    problems: dict[str, int]


def batch_rows(outcomes: Iterable[FileOutcome]) -> list[BatchRow]:
    rows = []
    for o in outcomes:
        name = Path(o.path).name
        if o.error or o.analysis is None:
            rows.append(BatchRow(name, "failed", error=o.error))
            continue
        a = o.analysis
        counts = dict(sorted(Counter(s.category for s in a.segments).items()))
        rows.append(BatchRow(name, "skipped" if o.skipped else "analysed", a.audio.duration_s, a.score.value,
                             a.score.grade, counts))
    return rows


def batch_totals(rows: list[BatchRow]) -> BatchTotals:
    done = [r for r in rows if r.state != "failed"]
    problems: Counter = Counter()
    for r in done:
        problems.update(r.problems)
    return BatchTotals(
        files=len(rows), analysed=sum(r.state == "analysed" for r in rows),
        skipped=sum(r.state == "skipped" for r in rows), failed=sum(r.state == "failed" for r in rows),
        audio_s=sum(r.duration_s or 0.0 for r in done),
        mean_score=fmean(r.score for r in done) if done else None,
        grades=dict(Counter(r.grade for r in done)), problems=dict(problems.most_common()),
    )
