"""CSV for spreadsheets: `calls.csv` (one row per call) and `segments.csv` (one row per live segment).

UTF-8 with a byte-order mark, so Excel shows Chinese text. A text cell that
begins with = + - @ (or a tab or carriage return) is prefixed with ' so a
spreadsheet never runs it as a formula (CSV injection); `unescape_cell`
undoes it when reading back. Numbers are written as numbers.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from reviewer_app.core.domain import CATEGORIES
from reviewer_app.core.exchange.library import CallRecord, Label, write_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

SEGMENT_COLUMNS = ["call_id", "sha256", "path", "start", "end", "duration_s", "role", "category", "score",
                   "source", "status", "reviewer", "note", "evidence"]
CALL_COLUMNS = ["call_id", "sha256", "path", "duration_s", "language", "score", "grade", "detector_score",
                "detector_grade", "score_source", "review_status",
                "analysed_at", *CATEGORIES]


def escape_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def unescape_cell(text: str) -> str:
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS:
        return text[1:]
    return text


def _csv(rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([escape_cell(v) for v in row])
    return buffer.getvalue()


def export(records: list[CallRecord], out_dir: Path) -> list[Path]:
    calls = [CALL_COLUMNS]
    segments = [SEGMENT_COLUMNS]
    for r in records:
        c, a = r.summary, r.analysis
        counts = {cat: sum(1 for s in r.findings if s.category == cat) for cat in CATEGORIES}
        calls.append([c.id, c.sha256, c.path, round(c.duration_s, 3), a.language, c.score_value, c.score_grade,
                      c.detector_score, c.detector_grade, c.score_source,
                      c.review_status, c.analysed_at.isoformat() if c.analysed_at else "",
                      *(counts[cat] for cat in CATEGORIES)])
        for s in r.segments:
            segments.append([c.id, c.sha256, c.path, round(s.start, 3), round(s.end, 3), round(s.duration, 3),
                             s.role, s.category, round(s.score, 3), s.source, s.status, s.reviewer, s.note,
                             s.evidence])
    return [write_text(out_dir / "calls.csv", _csv(calls), "utf-8-sig"),
            write_text(out_dir / "segments.csv", _csv(segments), "utf-8-sig")]


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of an exported CSV, cells unescaped."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [{k: unescape_cell(v) for k, v in row.items()} for row in csv.DictReader(fh)]


def read_labels(path: Path, statuses=("confirmed", "edited", "added")) -> dict[str, list[Label]]:
    """Labels per call sha256 from `segments.csv`, keeping the segments with one of `statuses`."""
    out: dict[str, list[Label]] = {}
    for row in read_rows(path):
        if row["status"] in statuses:
            out.setdefault(row["sha256"], []).append(
                Label(float(row["start"]), float(row["end"]), row["category"], row["role"]))
    return {sha: sorted(labels) for sha, labels in out.items()}
