"""The one label-import algorithm: every importer (labels JSON, Label Studio, Audacity, TextGrid) reads
its file into CallPlans, and apply_plans puts them in the library.

An import is all-or-nothing. The readers check the whole file first (syntax, categories, roles,
times: finite, 0 <= start < end, end within the call plus a small tolerance; see limits.py); a
bad entry raises a ReviewerError naming the file and the entry and nothing is written. Then
apply_plans makes every change of every call in ONE transaction with bulk statements (a segment
UPDATE, a segment INSERT and an audit-event INSERT, each executemany), so a failure or a killed
process leaves the library as it was.

Each entry says what the reviewer decided about a stretch of the call: `confirmed` (the finding
stands; an exchange-format label is this), `rejected` (the finding is wrong) or `added` (a
finding the detector missed). Per call, against its live segments:

1. Exact: an entry matching a segment (same category and role, both bounds within TOLERANCE_S)
   is that segment. Already in the state the entry asks for (confirmed / edited / added for a
   confirmed or added entry, rejected for a rejected one): unchanged. Otherwise it is confirmed
   or rejected.
2. Overlap: a confirmed or rejected entry with no exact match takes the unused segment of its
   category that overlaps it by at least 30% of the shorter of the two (evaluate.overlaps_enough;
   the same role first, then the larger overlap). Confirmed: that segment is moved to the
   entry's bounds and role (status "edited"; an added one stays "added"). Rejected: it is
   rejected.
3. Otherwise the entry is added (a rejected one is added as rejected, so the negative is on
   record). An `added` entry never takes an overlapping segment: it is the reviewer's own.
4. `reject_missing` (the exchange formats: a file is the reviewer's whole judgement of the
   call): a segment no entry used is rejected, or deleted if a reviewer had added it.
5. `mark_reviewed`: the call is marked reviewed.

Conflicts. A file records when it was exported (`exported_at`; each format has its place for
it), and the formats that can carry them (Label Studio, labels JSON) also give each label's
segment id and version. A segment that another reviewer changed after that time, or past that
version (the audit log says who, when and from which version), is never touched by the import:
the entry or the rejection that would have changed it is left out and reported as a conflict
naming that reviewer, and the rest applies. A file with neither is applied against the library
as it is now. (A version check needs no clock; the time check covers segments the file never
saw, such as one another reviewer added after the export.)

Importing the same file twice changes nothing the second time.
"""
from __future__ import annotations

import bisect
import math
import operator
from collections import defaultdict
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from reviewer_app.core.errors import ReviewerError

from reviewer_app.core.evaluate import overlaps_enough
from reviewer_app.core.messages import show_name
from reviewer_app.core.progress import CancelToken, Progress
from reviewer_app.core.storage.db import writer
from reviewer_app.core.storage.labels import BulkWriter, _check_reviewer
from reviewer_app.core.storage.models import CallRow, LabelEventRow, SegmentRow, utcnow
from reviewer_app.core.storage.repository import CallSummary, refresh_problem_counts, refresh_score_of_record

TOLERANCE_S = 0.002  # formats round times to the millisecond
STATUSES = ("confirmed", "rejected", "added")
HUMAN = ("confirmed", "edited", "added")
CHUNK = 5000  # rows per bulk statement, and how often progress is reported
MAX_CONFLICT_LINES = 50

_SNAPSHOT = ("start", "end", "role", "category", "score", "source", "evidence", "status", "reviewer", "note",
             "version")
_UPDATED = ("start", "end", "role", "status", "reviewer", "version", "updated_at", "deleted_at")


@dataclass(frozen=True)
class Entry:
    """One reviewer decision about a stretch of a call, as a file states it."""

    start: float
    end: float
    category: str
    role: str
    status: str = "confirmed"
    where: str = field(default="", compare=False)  # "labels.txt line 3", for messages
    segment: int | None = field(default=None, compare=False)  # the stored segment it was exported from
    version: int | None = field(default=None, compare=False)  # and that segment's version then


ENTRY_ORDER = operator.attrgetter("start", "end", "category", "role", "status")  # sorted(entries, key=ENTRY_ORDER)


@dataclass
class CallPlan:
    """What one file (or one Label Studio task) says about one call."""

    call: CallSummary
    entries: list[Entry]
    where: str  # the file (and task), for messages
    reject_missing: bool = False
    mark_reviewed: bool = False
    exported_at: datetime | None = None


@dataclass
class ImportReport:
    calls: int = 0
    confirmed: int = 0
    edited: int = 0
    added: int = 0
    rejected: int = 0
    deleted: int = 0
    unchanged: int = 0
    reviewed: int = 0  # calls marked reviewed
    analysed: int = 0  # audio files analysed first (labels JSON)
    conflicts: list[str] = field(default_factory=list)  # one line each: left as another reviewer made it
    problems: list[str] = field(default_factory=list)  # one line each: warnings that changed nothing

    @property
    def applied(self) -> int:
        return self.confirmed + self.edited + self.added + self.rejected + self.deleted

    @property
    def errors(self) -> list[str]:
        return self.problems

    def describe(self) -> str:
        text = (f"{self.calls} call(s): {self.confirmed} confirmed, {self.edited} edited, {self.added} added, "
                f"{self.rejected} rejected, {self.deleted} deleted, {self.unchanged} unchanged")
        if self.reviewed:
            text += f", {self.reviewed} marked reviewed"
        if self.analysed:
            text += f", {self.analysed} analysed first"
        if self.conflicts:
            text += f"; {len(self.conflicts)} conflict(s) left as the other reviewer made them"
        return text


def check_plans(plans: Iterable[CallPlan]) -> None:
    """Every entry within its call (limits.time_problem); one ReviewerError naming the first bad one."""
    from reviewer_app.core.exchange.limits import MAX_LABELS, time_problem

    bad, total = [], 0
    for plan in plans:
        total += len(plan.entries)
        for e in plan.entries:
            problem = time_problem(e.start, e.end, plan.call.duration_s)
            if problem:
                bad.append(f"{e.where or plan.where}: {problem}")
    if bad:
        more = f" (and {len(bad) - 1} more bad entries; nothing was imported)" if len(bad) > 1 else \
            " (nothing was imported)"
        raise ReviewerError(bad[0] + more)
    if total > MAX_LABELS:
        raise ReviewerError(f"{total} labels in one import is over the limit of {MAX_LABELS}: split the file")


class _Planner:
    """The algorithm of the module docstring for one call, on its segment rows (dicts), in memory."""

    def __init__(self, plan: CallPlan, rows: list[dict], conflicted: dict[int, tuple[str, str, datetime]],
                 report: ImportReport) -> None:
        self.plan, self.rows, self.conflicted, self.report = plan, rows, conflicted, report
        self.used: set[int] = set()
        self.changes: list[tuple[dict, str, dict]] = []  # (row, action, new values)
        self.inserts: list[dict] = []
        self.exact: dict[tuple, list[dict]] = defaultdict(list)
        self.by_category: dict[str, list[dict]] = defaultdict(list)
        for r in rows:
            if not (math.isfinite(r["start"] * 1000) and math.isfinite(r["end"])):
                continue  # a stored segment no file can match (imports refuse such times now)
            self.exact[(r["category"], r["role"], round(r["start"] * 1000))].append(r)
            self.by_category[r["category"]].append(r)
        self.starts: dict[str, list[float]] = {}
        self.longest: dict[str, float] = {}
        for cat, segs in self.by_category.items():
            segs.sort(key=lambda r: (r["start"], r["id"]))
            self.starts[cat] = [r["start"] for r in segs]
            self.longest[cat] = max(r["end"] - r["start"] for r in segs)

    def _exact(self, e: Entry) -> list[dict]:
        key = round(e.start * 1000)
        out = []
        for k in range(key - 3, key + 4):
            for r in self.exact.get((e.category, e.role, k), ()):
                if r["id"] not in self.used and abs(r["start"] - e.start) <= TOLERANCE_S \
                        and abs(r["end"] - e.end) <= TOLERANCE_S:
                    out.append(r)
        return out

    def _overlapping(self, e: Entry) -> list[dict]:
        segs = self.by_category.get(e.category)
        if not segs:
            return []
        starts = self.starts[e.category]
        lo = bisect.bisect_left(starts, e.start - self.longest[e.category])
        hi = bisect.bisect_left(starts, e.end)
        return [r for r in segs[lo:hi] if r["id"] not in self.used
                and overlaps_enough((r["start"], r["end"]), (e.start, e.end))]

    def _conflict(self, r: dict, what: str) -> bool:
        """True (and reported) when another reviewer changed `r` after the export: leave it."""
        hit = self.conflicted.get(r["id"])
        if hit is None:
            return False
        who, action, at = hit
        self.used.add(r["id"])
        if len(self.report.conflicts) < MAX_CONFLICT_LINES:
            self.report.conflicts.append(
                f"{self.plan.where}: segment {r['id']} ({r['category']} [{r['role']}] "
                f"{r['start']:.3f}-{r['end']:.3f} s) was changed by {show_name(who, 60)} at {at:%Y-%m-%d %H:%M:%S} "
                f"UTC ({action}) after this file was exported; left as {show_name(who, 60)} made it, not {what}")
        elif len(self.report.conflicts) == MAX_CONFLICT_LINES:
            self.report.conflicts.append("... more conflicts not listed")
        return True

    def _change(self, r: dict, action: str, **values) -> None:
        self.used.add(r["id"])
        self.changes.append((r, action, values))

    def run(self) -> None:
        entries = sorted(set(self.plan.entries), key=ENTRY_ORDER)
        left = []
        for e in entries:  # 1. exact matches
            matches = self._exact(e)
            if not matches:
                left.append(e)
                continue
            wanted = ("rejected",) if e.status == "rejected" else HUMAN
            done = [r for r in matches if r["status"] in wanted]
            r = (done or matches)[0]
            if done:
                self.used.add(r["id"])
                self.report.unchanged += 1
            elif not self._conflict(r, e.status):
                status = "rejected" if e.status == "rejected" else "confirmed"
                self._change(r, "reject" if status == "rejected" else "confirm", status=status)
                setattr(self.report, status, getattr(self.report, status) + 1)
        for e in left:  # 2. overlaps, 3. additions
            candidates = [] if e.status == "added" else self._overlapping(e)
            if candidates:
                r = max(candidates, key=lambda r: (r["role"] == e.role,
                                                   min(r["end"], e.end) - max(r["start"], e.start), -r["id"]))
                if self._conflict(r, e.status):
                    continue
                if e.status == "rejected":
                    if r["status"] == "rejected":
                        self.used.add(r["id"])
                        self.report.unchanged += 1
                    else:
                        self._change(r, "reject", status="rejected")
                        self.report.rejected += 1
                else:
                    self._change(r, "edit", start=e.start, end=e.end, role=e.role,
                                 status="added" if r["status"] == "added" else "edited")
                    self.report.edited += 1
                continue
            status = "rejected" if e.status == "rejected" else "added"
            self.inserts.append(dict(start=e.start, end=e.end, role=e.role, category=e.category, status=status))
            setattr(self.report, status, getattr(self.report, status) + 1)
        if self.plan.reject_missing:  # 4.
            for r in self.rows:
                if r["id"] in self.used or r["status"] == "rejected":
                    continue
                if self._conflict(r, "rejected or deleted"):
                    continue
                if r["status"] == "added":
                    self._change(r, "delete", deleted_at=True)
                    self.report.deleted += 1
                else:
                    self._change(r, "reject", status="rejected")
                    self.report.rejected += 1


def _conflicts_since(s: Session, plans: list[CallPlan], reviewer: str) -> dict[int, tuple[str, str, datetime]]:
    """Segment id -> (reviewer, action, time) of the last change another reviewer made after its plan's
    export time, or from (or past) the version its entry was exported at."""
    out: dict[int, tuple[str, str, datetime]] = {}
    columns = (LabelEventRow.segment_id, LabelEventRow.reviewer, LabelEventRow.action, LabelEventRow.at,
               LabelEventRow.before)
    others = (LabelEventRow.reviewer != reviewer, LabelEventRow.segment_id.is_not(None))
    for plan in plans:
        if plan.exported_at is not None:
            for seg_id, who, action, at, _ in s.execute(
                    select(*columns).where(LabelEventRow.call_id == plan.call.id, LabelEventRow.at > plan.exported_at,
                                           *others).order_by(LabelEventRow.id)):
                out[seg_id] = (who, action, at)
        versions = {e.segment: e.version for e in plan.entries if e.segment is not None and e.version is not None}
        ids = sorted(versions)
        for i in range(0, len(ids), 500):
            for seg_id, who, action, at, before in s.execute(
                    select(*columns).where(LabelEventRow.call_id == plan.call.id,
                                           LabelEventRow.segment_id.in_(ids[i:i + 500]), *others)
                    .order_by(LabelEventRow.id)):
                if isinstance(before, dict) and isinstance(before.get("version"), int) \
                        and before["version"] >= versions[seg_id]:
                    out[seg_id] = (who, action, at)
    return out


def apply_plans(engine: Engine, plans: list[CallPlan], reviewer: str,
                cancel: CancelToken | None = None) -> Generator[Progress, None, ImportReport]:
    """Apply checked plans in one transaction (a generator of Progress; returns the ImportReport)."""
    reviewer = _check_reviewer(reviewer)
    cancel = cancel or CancelToken()
    report = ImportReport()
    table = SegmentRow.__table__
    total = sum(len(p.entries) for p in plans) or 1
    merged: dict[int, CallPlan] = {}
    for p in plans:  # two tasks or files for one call: one plan, the stricter options
        if p.call.id in merged:
            m = merged[p.call.id]
            m.entries = m.entries + p.entries
            m.reject_missing |= p.reject_missing
            m.mark_reviewed |= p.mark_reviewed
            if p.exported_at is not None and (m.exported_at is None or p.exported_at < m.exported_at):
                m.exported_at = p.exported_at
        else:
            merged[p.call.id] = CallPlan(p.call, list(p.entries), p.where, p.reject_missing, p.mark_reviewed,
                                         p.exported_at)
    plans = list(merged.values())
    yield Progress(0, total, "checking the library")
    with Session(writer(engine)) as s, s.begin():
        now = utcnow()
        calls = {c.id: c for c in s.scalars(select(CallRow).where(CallRow.id.in_(list(merged)))
                                             .with_for_update())}
        rows_by_call: dict[int, list[dict]] = defaultdict(list)
        columns = [table.c[k] for k in ("id", "call_id") + _SNAPSHOT]
        query = select(*columns).where(table.c.call_id.in_(list(merged)), table.c.deleted_at.is_(None))
        if engine.dialect.name != "sqlite":
            query = query.with_for_update()
        for row in s.execute(query).mappings():
            rows_by_call[row["call_id"]].append(dict(row))
        conflicted = _conflicts_since(s, plans, reviewer)
        updates, events, inserts = [], [], []
        changed_calls: dict[int, tuple[str, datetime]] = {}
        matched = shown = 0
        for plan in plans:
            cancel.raise_if_cancelled()
            if plan.call.id not in calls:
                raise ReviewerError(f"{plan.where}: call {plan.call.id} is no longer in the library")
            planner = _Planner(plan, rows_by_call[plan.call.id], conflicted, report)
            planner.run()
            matched += len(plan.entries)
            if matched - shown >= CHUNK:  # a line per CHUNK labels, not per call, on a plain log
                shown = matched
                yield Progress(0.3 * matched, total, f"matching labels: {matched} of {total}")
            report.calls += 1
            for r, action, values in planner.changes:
                new = dict(r)
                new.update(values)
                new["deleted_at"] = now if values.get("deleted_at") else None
                new.update(reviewer=reviewer, version=r["version"] + 1, updated_at=now)
                updates.append({"_id": r["id"], **{k: new[k] for k in _UPDATED}})
                events.append(dict(call_id=plan.call.id, segment_id=r["id"], reviewer=reviewer, at=now, action=action,
                                   before=_snapshot(r), after=None if action == "delete" else _snapshot(new)))
            for values in planner.inserts:
                inserts.append(dict(call_id=plan.call.id, score=1.0, source="reviewer", evidence="", reviewer=reviewer,
                                    note=None, version=1, created_at=now, updated_at=now, deleted_at=None, **values))
            call = calls[plan.call.id]
            status, updated = call.review_status, call.updated_at
            touched = bool(planner.changes or planner.inserts)
            if touched and status == "new":
                status, updated = "in_review", now
            if plan.mark_reviewed and status != "reviewed":
                events.append(dict(call_id=call.id, segment_id=None, reviewer=reviewer, at=now, action="review",
                                   before={"review_status": status}, after={"review_status": "reviewed"}))
                status, updated = "reviewed", now
                report.reviewed += 1
            if touched:
                updated = now
            if (status, updated) != (call.review_status, call.updated_at):
                changed_calls[call.id] = (status, updated)
        rows = len(updates) + 2 * len(inserts) + len(events)  # an inserted segment gets its "add" event too
        work = (rows or 1) / 0.7  # matching was the first 30%
        bulk = BulkWriter(s, engine.dialect.name, _UPDATED)
        done = 0.3 * work
        for i in range(0, len(updates), CHUNK):
            cancel.raise_if_cancelled()
            bulk.update_segments(updates[i:i + CHUNK])
            done += len(updates[i:i + CHUNK])
            yield Progress(done, work, f"applying labels: {round(done - 0.3 * work)} of {rows} rows")
        for i in range(0, len(inserts), CHUNK):
            cancel.raise_if_cancelled()
            batch = inserts[i:i + CHUNK]
            for values, new_id in zip(batch, bulk.insert_segments(batch), strict=True):
                events.append(dict(call_id=values["call_id"], segment_id=new_id, reviewer=reviewer, at=now,
                                   action="add", before=None, after={k: values[k] for k in _SNAPSHOT}))
            done += len(batch)
            yield Progress(done, work, f"applying labels: {round(done - 0.3 * work)} of {rows} rows")
        for i in range(0, len(events), CHUNK):
            cancel.raise_if_cancelled()
            bulk.insert_events(events[i:i + CHUNK])
            done += len(events[i:i + CHUNK])
            yield Progress(done, work, f"applying labels: {round(done - 0.3 * work)} of {rows} rows")
        s.expire_all()  # the call rows are read again below, after the raw statements
        for call in s.scalars(select(CallRow).where(CallRow.id.in_(list(merged)))):
            pending = changed_calls.get(call.id)
            if pending:
                call.review_status, call.updated_at = pending
            refresh_problem_counts(s, call)
            refresh_score_of_record(s, call)
        yield Progress(work, work, "committing")
    yield Progress(work, work, "labels imported")
    return report


def _snapshot(row: dict) -> dict:
    return {k: row[k] for k in _SNAPSHOT}
