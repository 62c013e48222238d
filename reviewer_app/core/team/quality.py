"""Speech-data quality mode, for teams cleaning recordings for ASR training.

Each stored clip is rated from its analysis, without decoding it again:

- noise: share of the clip inside the other poor-audio findings (noise, low level, crackle, and
  the learned model's findings, which name no kind);
- clipping: share inside clipping or saturation findings, plus each digital dropout;
- silence: share of the clip where nobody speaks (no transcript turn);
- repetition: repetition findings (a stuck loop or a stutter spoils a transcript).

Every poor_audio finding that stands after review counts (the same findings the
reviewer sees); rejected findings do not count. The quality score is 100 minus the penalties
below; high from HIGH_MIN, medium from MEDIUM_MIN, low under. The clean clips
are the high ones. ASR confidence (mean word probability) is reported beside,
not scored.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean

from sqlalchemy import Engine

from reviewer_app.core import intervals
from reviewer_app.core.exchange.csv_export import escape_cell
from reviewer_app.core.atomic import write_bytes_atomic
from reviewer_app.core.exchange.library import CallRecord, iter_records

NOISE_WEIGHT = 100.0  # points per unit share of the clip (a fully noisy clip loses 100)
CLIPPING_WEIGHT = 150.0  # clipping ruins training audio faster than noise
DROPOUT_POINTS = 5.0
SILENCE_FREE = 0.4  # this much silence costs nothing (pauses, breaths)
SILENCE_WEIGHT = 100.0  # points per unit share of silence beyond SILENCE_FREE
REPETITION_POINTS = 10.0
HIGH_MIN, MEDIUM_MIN = 80.0, 50.0


@dataclass(frozen=True)
class ClipQuality:
    call_id: int
    path: str
    sha256: str
    duration_s: float
    noise_share: float
    clipping_share: float
    dropouts: int
    silence_share: float
    repetitions: int
    asr_confidence: float | None
    score: float
    grade: str

    @property
    def reasons(self) -> list[str]:
        """What cost points, worst first, one short phrase each."""
        costs = [(NOISE_WEIGHT * self.noise_share, f"noise {100 * self.noise_share:.0f}%"),
                 (CLIPPING_WEIGHT * self.clipping_share, f"clipping {100 * self.clipping_share:.0f}%"),
                 (DROPOUT_POINTS * self.dropouts, f"{self.dropouts} dropout(s)"),
                 (SILENCE_WEIGHT * max(0.0, self.silence_share - SILENCE_FREE),
                  f"silence {100 * self.silence_share:.0f}%"),
                 (REPETITION_POINTS * self.repetitions, f"{self.repetitions} repetition(s)")]
        return [text for cost, text in sorted(costs, key=lambda c: -c[0]) if cost >= 0.5]


def _share(record: CallRecord, keep) -> float:
    spans = intervals.merge((s.start, s.end) for s in record.findings if keep(s))
    duration = record.analysis.audio.duration_s
    return min(1.0, intervals.total(spans) / duration) if duration > 0 else 0.0


def _is_clipping(evidence: str) -> bool:
    return "clipping" in evidence or "saturation" in evidence or "clipped" in evidence


def _is_dropout(evidence: str) -> bool:
    return "dropout" in evidence and not _is_clipping(evidence)


def rate_clip(record: CallRecord) -> ClipQuality:
    def poor(kind):
        return lambda s: s.category == "poor_audio" and kind(s.evidence.lower())

    a = record.analysis
    duration = a.audio.duration_s
    clipping = _share(record, poor(_is_clipping))
    noise = _share(record, poor(lambda e: not _is_clipping(e) and not _is_dropout(e)))
    dropouts = sum(1 for s in record.findings if s.category == "poor_audio" and _is_dropout(s.evidence.lower()))
    speech = intervals.total(intervals.merge((t.start, t.end) for t in a.transcript))
    silence = max(0.0, 1.0 - speech / duration) if duration > 0 else 1.0
    repetitions = sum(1 for s in record.findings if s.category == "repetition")
    probs = [w.prob for t in a.transcript for w in t.words]
    penalty = (NOISE_WEIGHT * noise + CLIPPING_WEIGHT * clipping + DROPOUT_POINTS * dropouts
               + SILENCE_WEIGHT * max(0.0, silence - SILENCE_FREE) + REPETITION_POINTS * repetitions)
    score = max(0.0, 100.0 - penalty)
    grade = "high" if score >= HIGH_MIN else "medium" if score >= MEDIUM_MIN else "low"
    return ClipQuality(record.summary.id, record.summary.path, record.summary.sha256, duration, noise, clipping,
                       dropouts, silence, repetitions, fmean(probs) if probs else None, round(score, 1), grade)


def rank_clips(engine: Engine) -> list[ClipQuality]:
    """Every stored clip, best first."""
    return sorted((rate_clip(r) for r in iter_records(engine)), key=lambda q: (-q.score, q.path))


COLUMNS = ["path", "sha256", "grade", "score", "duration_s", "noise_share", "clipping_share", "dropouts",
           "silence_share", "repetitions", "asr_confidence"]


def write_clip_list(clips: Iterable[ClipQuality], path: str | Path, grades: Iterable[str] = ("high",)) -> Path:
    """The clips of the given grades: a CSV with their figures when `path` ends in .csv, else one path a line."""
    path = Path(path)
    chosen = [c for c in clips if c.grade in set(grades)]
    if path.suffix.lower() != ".csv":
        write_bytes_atomic(path, "".join(f"{c.path}\n" for c in chosen).encode("utf-8", "surrogateescape"))
        return path
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for c in chosen:
        writer.writerow([escape_cell(c.path), c.sha256, c.grade, c.score, round(c.duration_s, 3),
                         round(c.noise_share, 4), round(c.clipping_share, 4), c.dropouts, round(c.silence_share, 4), c.repetitions,
                         "" if c.asr_confidence is None else round(c.asr_confidence, 4)])
    write_bytes_atomic(path, buffer.getvalue().encode("utf-8-sig"))
    return path
