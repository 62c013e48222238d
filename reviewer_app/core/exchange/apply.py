"""Apply imported human labels to a stored call, through the LabelStore (audit log, reviewer name).

The imported labels are taken as the reviewer's whole judgement of the call:

1. a label matching a stored segment (same category and role, bounds within
   TOLERANCE_S) confirms it; one already confirmed, edited or added is left
   as it is;
2. a label overlapping a segment of the same category moves that segment to
   the label's bounds and role (status "edited");
3. any other label is added;
4. with `reject_missing`, a stored segment no label matched is rejected (a
   reviewer-added one is deleted): the reviewer removed that region.

Every change passes the version it read, so a segment another reviewer changed
meanwhile raises ConflictError instead of being overwritten. Importing the
same labels twice changes nothing the second time.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields

from sqlalchemy import Engine

from reviewer_app.core.exchange.library import HUMAN_STATUSES, Label
from reviewer_app.core.storage import repository
from reviewer_app.core.storage.labels import LabelStore
from reviewer_app.core.storage.repository import StoredSegment

TOLERANCE_S = 0.002  # formats round times to the millisecond


@dataclass
class ImportReport:
    calls: int = 0
    confirmed: int = 0
    edited: int = 0
    added: int = 0
    rejected: int = 0
    deleted: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)  # one line each: what could not be imported

    def __iadd__(self, other: "ImportReport") -> "ImportReport":
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    def describe(self) -> str:
        return (f"{self.calls} call(s): {self.confirmed} confirmed, {self.edited} edited, {self.added} added, "
                f"{self.rejected} rejected, {self.deleted} deleted, {self.unchanged} unchanged")


def _same(label: Label, seg: StoredSegment) -> bool:
    return (label.category == seg.category and label.role == seg.role
            and abs(label.start - seg.start) <= TOLERANCE_S and abs(label.end - seg.end) <= TOLERANCE_S)


def _overlap(label: Label, seg: StoredSegment) -> float:
    return min(label.end, seg.end) - max(label.start, seg.start)


def apply_labels(engine: Engine, call_id: int, labels: Iterable[Label], reviewer: str, *,
                 reject_missing: bool = True, mark_reviewed: bool = False) -> ImportReport:
    """Make the call's human labels those given; see the module docstring. Returns what changed."""
    store = LabelStore(engine)
    report = ImportReport(calls=1)
    segments = repository.load_segments(engine, call_id)
    pending = sorted(set(labels))
    used: set[int] = set()

    left: list[Label] = []
    for label in pending:
        match = next((s for s in segments if s.id not in used and _same(label, s)), None)
        if match is None:
            left.append(label)
            continue
        used.add(match.id)
        if match.status in HUMAN_STATUSES:
            report.unchanged += 1
        else:
            store.confirm(match.id, reviewer, expected_version=match.version)
            report.confirmed += 1

    for label in left:
        candidates = [s for s in segments if s.id not in used and s.category == label.category
                      and _overlap(label, s) > 0]
        if candidates:
            seg = max(candidates, key=lambda s: (_overlap(label, s), s.role == label.role))
            used.add(seg.id)
            store.edit(seg.id, reviewer, start=label.start, end=label.end, role=label.role,
                       expected_version=seg.version)
            report.edited += 1
        else:
            store.add(call_id, reviewer, label.start, label.end, label.category, label.role)
            report.added += 1

    if reject_missing:
        for seg in segments:
            if seg.id in used or seg.status == "rejected":
                continue
            if seg.status == "added":
                store.delete(seg.id, reviewer, expected_version=seg.version)
                report.deleted += 1
            else:
                store.reject(seg.id, reviewer, expected_version=seg.version)
                report.rejected += 1
    if mark_reviewed:
        store.mark_reviewed(call_id, reviewer)
    return report
