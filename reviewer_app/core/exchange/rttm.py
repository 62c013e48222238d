"""RTTM speaker turns: one `<stem>.rttm` per call, a SPEAKER line per transcript turn.

`SPEAKER <file> 1 <start> <duration> <NA> <NA> <role> <NA> <NA>`, times in
seconds with three decimals, as NIST's md-eval and pyannote read it. The file
id is the audio's stem with whitespace replaced (RTTM fields are separated by
spaces).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.exchange.library import CallRecord, unique_stems, write_text


@dataclass(frozen=True, order=True)
class SpeakerTurn:
    start: float
    end: float
    speaker: str
    file_id: str = ""


def file_id(stem: str) -> str:
    return re.sub(r"\s+", "_", stem.strip()) or "call"


def dumps(record: CallRecord, fid: str) -> str:
    turns = sorted((t for t in record.analysis.transcript if t.end > t.start), key=lambda t: (t.start, t.role))
    return "".join(f"SPEAKER {fid} 1 {t.start:.3f} {t.end - t.start:.3f} <NA> <NA> {t.role} <NA> <NA>\n"
                   for t in turns)


def loads(text: str, where: str = "rttm") -> list[SpeakerTurn]:
    """The SPEAKER lines of an RTTM file (other record types are skipped)."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields or fields[0] != "SPEAKER":
            continue
        try:
            start, duration = float(fields[3]), float(fields[4])
            out.append(SpeakerTurn(round(start, 3), round(start + duration, 3), fields[7], fields[1]))
        except (IndexError, ValueError):
            raise ReviewerError(f"{where}:{n}: not an RTTM SPEAKER line") from None
    return sorted(out)


def export(records: list[CallRecord], out_dir: Path) -> list[Path]:
    stems = unique_stems(records)
    return [write_text(out_dir / f"{stems[r.summary.id]}.rttm", dumps(r, file_id(stems[r.summary.id])))
            for r in records]
