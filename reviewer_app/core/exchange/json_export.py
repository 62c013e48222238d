"""JSON: one `<stem>.json` per call, the `analyze --out` layout plus the review state.

`segments` holds what stands after review (predictions not rejected, and
human labels), each with its status, reviewer and note, so the folder works
as `--pred` (or, for reviewed calls, `--truth`) of `reviewer-app evaluate`.
`rejected_segments` and `predictions` (as the detector first found them) are
kept beside it.
"""
from __future__ import annotations

import json
from pathlib import Path

from reviewer_app.core.analysis_json import analysis_to_dict, segment_to_dict, write_json_atomic
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.exchange.library import HUMAN_STATUSES, CallRecord, Label, unique_stems
from reviewer_app.core.storage.repository import StoredSegment


def _stored_dict(seg: StoredSegment) -> dict:
    return {**segment_to_dict(seg.segment), "id": seg.id, "status": seg.status,
            "reviewer": seg.reviewer, "note": seg.note}


def record_to_dict(record: CallRecord) -> dict:
    data = analysis_to_dict(record.analysis)
    data["call_id"] = record.summary.id
    data["review_status"] = record.summary.review_status
    c = record.summary  # the score of record, with the detector's beside it
    data["detector_score"] = data["score"]
    data["score"] = {"value": c.score_value, "grade": c.score_grade, "deductions": dict(c.deductions),
                     "source": c.score_source}
    data["segments"] = [_stored_dict(s) for s in record.findings]
    data["rejected_segments"] = [_stored_dict(s) for s in record.rejected]
    data["predictions"] = [segment_to_dict(s) for s in record.predictions]
    return data


def export(records: list[CallRecord], out_dir: Path) -> list[Path]:
    stems = unique_stems(records)
    paths = []
    for r in records:
        path = out_dir / f"{stems[r.summary.id]}.json"
        write_json_atomic(path, record_to_dict(r))
        paths.append(path)
    return paths


def read_labels(path: Path) -> tuple[str, list[Label]]:
    """(sha256, human labels) from an exported call."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        labels = [Label(float(s["start"]), float(s["end"]), s["category"], s["role"])
                  for s in data["segments"] if s.get("status") in HUMAN_STATUSES]
        return data["audio"]["sha256"], sorted(labels)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReviewerError(f"{path}: not a reviewer-app call export ({exc})") from None
