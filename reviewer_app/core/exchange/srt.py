"""SRT subtitles of the transcript: one `<stem>.srt` per call, one cue per turn, `Agent: text`.

Cues are numbered from 1 in start order; overlapping turns (overtalk) give
overlapping cues, which players show stacked. Text is kept on one line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.exchange.library import CallRecord, unique_stems, write_text


@dataclass(frozen=True, order=True)
class Cue:
    start: float
    end: float
    role: str
    text: str


def timestamp(seconds: float) -> str:
    ms = int(round(max(0.0, seconds) * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def parse_timestamp(text: str) -> float:
    match = re.fullmatch(r"\s*(\d+):(\d{2}):(\d{2})[,.](\d{1,3})\s*", text)
    if not match:
        raise ValueError(f"bad SRT time {text!r}")
    h, m, s, ms = match.groups()
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms.ljust(3, "0")) / 1000


def dumps(record: CallRecord) -> str:
    turns = sorted((t for t in record.analysis.transcript if t.text.strip() and t.end > t.start),
                   key=lambda t: (t.start, t.role))
    blocks = []
    for n, t in enumerate(turns, 1):
        text = " ".join(t.text.split())
        blocks.append(f"{n}\n{timestamp(t.start)} --> {timestamp(t.end)}\n{t.role.capitalize()}: {text}\n")
    return "\n".join(blocks)


def loads(text: str, where: str = "srt") -> list[Cue]:
    cues = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        lines = block.strip().split("\n")
        if len(lines) < 2:
            continue
        try:
            start_s, end_s = lines[1].split("-->")
            body = " ".join(lines[2:])
            role, _, spoken = body.partition(": ")
            cues.append(Cue(parse_timestamp(start_s), parse_timestamp(end_s), role.lower(), spoken))
        except ValueError as exc:
            raise ReviewerError(f"{where}: cue {lines[0]!r}: {exc}") from None
    return sorted(cues)


def export(records: list[CallRecord], out_dir: Path) -> list[Path]:
    stems = unique_stems(records)
    return [write_text(out_dir / f"{stems[r.summary.id]}.srt", dumps(r)) for r in records]
