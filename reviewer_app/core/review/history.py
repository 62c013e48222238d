"""The audit log as a reviewer reads it: one line per entry saying what changed, from what to what.

Plain Python (no Qt): the window's History panel shows these lines, and each
entry can be reverted through LabelStore.revert (an audited change itself).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reviewer_app.core.review.viewport import mmss
from reviewer_app.core.storage.labels import LabelEvent

_VERBS = {"confirm": "confirmed", "reject": "rejected", "edit": "edited", "add": "added", "delete": "deleted",
          "restore": "restored", "note": "note", "status": "status", "review": "review status",
          "turn_edit": "transcript", "undo": "undo", "revert": "revert"}
_FIELDS = ("status", "category", "role", "start", "end", "note")


@dataclass(frozen=True)
class HistoryLine:
    event_id: int
    at: datetime
    reviewer: str
    action: str  # as stored: confirm, reject, edit, ..., undo, revert
    what: str  # "segment 3 dead_air: status predicted → rejected"
    revertible: bool


def _value(key: str, value) -> str:
    if key in ("start", "end") and isinstance(value, int | float):
        return mmss(float(value), 1)
    return "—" if value in (None, "") else str(value)


def describe(event: LabelEvent) -> str:
    before, after = event.before or {}, event.after or {}
    if event.action == "redact":  # storage/redactions.py: kinds and counts, never the data
        kinds = ", ".join(f"{n} {kind}" for kind, n in after.get("redacted", {}).items())
        return f"call: personal data redacted ({kinds or 'none'})"
    if "turn_index" in before or "turn_index" in after:
        turn = int(before.get("turn_index", after.get("turn_index", 0))) + 1
        return f"turn {turn}: {_quote(before.get('text'))} → {_quote(after.get('text'))}"
    if "review_status" in before or "review_status" in after:
        return f"call: review status {before.get('review_status')} → {after.get('review_status')}"
    snap = after or before
    name = f"segment {event.segment_id} {snap.get('category', '')}".rstrip()
    was_gone, is_gone = (not event.before or before.get("deleted", event.action == "restore"),
                         not event.after or after.get("deleted", False))
    if was_gone and not is_gone:
        where = f" {_value('start', snap.get('start'))}–{_value('end', snap.get('end'))}"
        return f"{name}: {'added' if event.action == 'add' else 'restored'}{where}"
    if is_gone and not was_gone:
        return f"{name}: deleted"
    diffs = [f"{k} {_value(k, before.get(k))} → {_value(k, after.get(k))}"
             for k in _FIELDS if k in before and k in after and before.get(k) != after.get(k)]
    return f"{name}: " + ("; ".join(diffs) if diffs else "no change")


def _quote(text) -> str:
    text = " ".join(str(text or "").split())
    return repr(text if len(text) <= 40 else text[:39] + "…")


def history_lines(events: list[LabelEvent]) -> list[HistoryLine]:
    """Newest first; an entry whose segment is gone (its call re-analysed) cannot be reverted."""
    out = []
    for e in reversed(events):
        text = describe(e)
        if e.action in ("undo", "revert"):
            label = "Undo" if e.action == "undo" else f"Revert of #{(e.after or {}).get('reverts')}"
            text = f"{label}: {text}"
        revertible = e.segment_id is not None or "turn_index" in (e.before or {}) \
            or "review_status" in (e.before or {})
        out.append(HistoryLine(e.id, e.at, e.reviewer, e.action, text, revertible))
    return out
