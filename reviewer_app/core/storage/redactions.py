"""Redactions in the call's audit log (label_events, action "redact").

Each redaction is one entry: who, when, how many spans of each kind, and where each span was
(kind, role, start, end, word indices). Never the words or digits themselves: the transcript
stored beside it is already the redacted one. The window reads a call's spans from its latest
redaction entry that is not older than the call's analysis, to hatch them and mute them at playback.
"""
from __future__ import annotations

import getpass
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from reviewer_app.core.domain import PiiSpan
from reviewer_app.core.storage.db import writer
from reviewer_app.core.storage.models import CallRow, LabelEventRow, utcnow

REDACT = "redact"
_SPAN_FIELDS = ("kind", "role", "start", "end", "first", "last", "char_start", "char_end")


def current_user() -> str:
    """Who redacts when no reviewer is named: the account running the analysis."""
    try:
        return getpass.getuser() or "unknown"
    except (KeyError, OSError):
        return "unknown"


def span_to_dict(span: PiiSpan) -> dict:
    return {f: (round(getattr(span, f), 3) if f in ("start", "end") else getattr(span, f)) for f in _SPAN_FIELDS}


def span_from_dict(data: dict) -> PiiSpan:
    return PiiSpan(str(data["kind"]), str(data["role"]), float(data["start"]), float(data["end"]),
                   int(data["first"]), int(data["last"]), int(data.get("char_start", -1)),
                   int(data.get("char_end", -1)))


def entry(spans: Sequence[PiiSpan], source: str) -> dict:
    """What the audit log keeps of a redaction: kinds, counts and places, nothing said."""
    kinds: dict[str, int] = {}
    for span in spans:
        kinds[span.kind] = kinds.get(span.kind, 0) + 1
    return {"redacted": dict(sorted(kinds.items())), "source": source,
            "spans": [span_to_dict(s) for s in spans]}


def record_redaction(s: Session, call_id: int, spans: Sequence[PiiSpan], who: str, at: datetime,
           source: str = "analysis") -> None:
    """Add a redaction entry inside the caller's transaction (nothing when there is no span)."""
    if spans:
        s.add(LabelEventRow(call_id=call_id, segment_id=None, reviewer=who, at=at, action=REDACT,
                            before=None, after=entry(spans, source)))


def record_for_audio(engine: Engine, sha256: str, spans: Sequence[PiiSpan], who: str, source: str) -> bool:
    """Log a redaction of a library call's audio (`reviewer-app redact`); False when the audio is not
    a call in the library."""
    with Session(writer(engine)) as s, s.begin():
        call_id = s.scalars(select(CallRow.id).where(CallRow.sha256 == sha256)).one_or_none()
        if call_id is None:
            return False
        s.add(LabelEventRow(call_id=call_id, segment_id=None, reviewer=who, at=utcnow(), action=REDACT,
                            before=None, after=entry(spans, source)))
        return True


def redaction_entries(engine: Engine, call_id: int) -> list[tuple[str, datetime, dict]]:
    """(who, when, entry) of each redaction of the call, oldest first."""
    with Session(engine) as s:
        rows = s.execute(select(LabelEventRow.reviewer, LabelEventRow.at, LabelEventRow.after)
                         .where(LabelEventRow.call_id == call_id, LabelEventRow.action == REDACT)
                         .order_by(LabelEventRow.id)).all()
    return [(who, at, after or {}) for who, at, after in rows]


def current_spans(engine: Engine, call_id: int) -> list[PiiSpan]:
    """The spans of the call's latest analysis-time redaction, if its stored transcript is redacted."""
    with Session(engine) as s:
        analysed_at = s.scalar(select(CallRow.analysed_at).where(CallRow.id == call_id))
    found = [(at, e) for _, at, e in redaction_entries(engine, call_id) if e.get("source") == "analysis"]
    if not found or analysed_at is None or found[-1][0] < analysed_at:
        return []
    return [span_from_dict(d) for d in found[-1][1].get("spans", [])]
