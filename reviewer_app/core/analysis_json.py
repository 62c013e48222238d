"""The per-call JSON written by `analyze --out`, and its atomic writer."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from reviewer_app.core.atomic import write_text_atomic
from reviewer_app.core.domain import CallAnalysis, Segment


def segment_to_dict(seg: Segment) -> dict:
    out = {
        "start": round(seg.start, 3), "end": round(seg.end, 3), "role": seg.role, "category": seg.category,
        "score": round(seg.score, 3), "source": seg.source, "evidence": seg.evidence,
    }
    if seg.details:  # a model finding's explanation, a rule/model disagreement
        out["details"] = seg.details
    return out


def analysis_to_dict(analysis: CallAnalysis) -> dict:
    audio = asdict(analysis.audio)
    audio["roles"] = list(analysis.audio.roles)
    return {
        "audio": audio,
        "language": analysis.language,
        "transcript": [
            {
                "role": t.role, "start": t.start, "end": t.end, "text": t.text,
                "words": [{"word": w.word, "start": w.start, "end": w.end, "prob": w.prob} for w in t.words],
            }
            for t in analysis.transcript
        ],
        "segments": [segment_to_dict(s) for s in analysis.segments],
        "score": {
            "value": analysis.score.value, "grade": analysis.score.grade,
            "deductions": dict(analysis.score.deductions),
        },
        "timings_s": dict(analysis.timings_s),
        "versions": dict(analysis.versions),
        "warnings": list(analysis.warnings),
        "analysed_by": dict(analysis.analysed_by),
        "pii": [asdict(p) for p in analysis.pii],  # where personal data was said, never what ([privacy] redact)
    }


def write_json_atomic(path: str | Path, data: dict) -> None:
    """Readers never see half a file."""
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=1))
