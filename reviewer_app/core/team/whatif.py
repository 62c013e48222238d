"""Threshold what-if: before applying new rule settings, count what they would add and remove.

The rules run again on every stored call with the new settings
(pipeline.redetect: audio decoded and measured again, no ASR) and their
findings are compared with the stored ones from the same kind of source
(`rule:...`), each as the detector first found it: a reviewer's own relabelling (new bounds,
another category or role) is no effect of the settings, so the comparison is of rule findings
under the old and the new settings only. A new and a stored finding are the same when category and role
agree and they overlap by at least 30% of the shorter (as in evaluation).

Reviewers' judgements make the counts readable: a removed finding a reviewer
had rejected is a fix; one a reviewer had confirmed is a loss; an added one
where a reviewer had added a label by hand is a find. Nothing is written to
the database.
"""
from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from reviewer_app.core.domain import CATEGORIES, Segment
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.evaluate import overlaps_enough
from reviewer_app.core.progress import Cancelled, CancelToken, Progress
from reviewer_app.core.settings import Settings
from reviewer_app.core.storage import repository
from reviewer_app.core.storage.repository import StoredSegment


@dataclass
class CategoryChange:
    category: str
    kept: int = 0
    added: int = 0
    removed: int = 0
    removed_rejected: int = 0  # removed, and a reviewer had rejected it: the change agrees with reviewers
    removed_confirmed: int = 0  # removed, though a reviewer had confirmed it
    added_found_by_reviewer: int = 0  # added where a reviewer had added a label by hand

    @property
    def net(self) -> int:
        return self.added - self.removed


@dataclass
class CallChange:
    call_id: int
    path: str
    score_before: int
    score_after: int
    grade_before: str
    grade_after: str
    added: int
    removed: int
    score_of_record: int | None = None  # the stored score (after review), as the library shows it


@dataclass
class WhatIfResult:
    categories: dict[str, CategoryChange] = field(default_factory=dict)
    calls: list[CallChange] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one line each: call and why

    @property
    def added(self) -> int:
        return sum(c.added for c in self.categories.values())

    @property
    def removed(self) -> int:
        return sum(c.removed for c in self.categories.values())

    @property
    def grade_changes(self) -> int:
        return sum(1 for c in self.calls if c.grade_before != c.grade_after)


def _match(new: list[Segment], old: list[StoredSegment]) -> tuple[list[Segment], list[StoredSegment], int]:
    """(new ones with no stored match, stored ones with no new match, matched pairs)."""
    pairs = sorted(
        ((min(n.end, o.end) - max(n.start, o.start), i, j) for i, n in enumerate(new) for j, o in enumerate(old)
         if n.category == o.category and n.role == o.role and overlaps_enough((n.start, n.end), (o.start, o.end))),
        reverse=True)
    used_n, used_o = set(), set()
    for _, i, j in pairs:
        if i not in used_n and j not in used_o:
            used_n.add(i)
            used_o.add(j)
    return ([n for i, n in enumerate(new) if i not in used_n], [o for j, o in enumerate(old) if j not in used_o],
            len(used_n))


def compare_call(new: list[Segment], stored: list[StoredSegment], into: dict[str, CategoryChange]) -> tuple[int, int]:
    """Add one call's differences to the per-category counts; return (added, removed)."""
    kinds = {"rule"} | {s.source.split(":", 1)[0] for s in new}
    old = [s for s in stored if s.source.split(":", 1)[0] in kinds]
    by_hand = [s for s in stored if s.status == "added"]
    added, removed, _ = _match(new, old)
    for cat in {s.category for s in new} | {s.category for s in old}:
        change = into.setdefault(cat, CategoryChange(cat))
        change.kept += sum(1 for s in new if s.category == cat) - sum(1 for s in added if s.category == cat)
    for seg in added:
        change = into[seg.category]
        change.added += 1
        if any(h.category == seg.category and overlaps_enough((h.start, h.end), (seg.start, seg.end))
               for h in by_hand):
            change.added_found_by_reviewer += 1
    for seg in removed:
        change = into[seg.category]
        change.removed += 1
        change.removed_rejected += seg.status == "rejected"
        change.removed_confirmed += seg.status == "confirmed"
    return len(added), len(removed)


def as_predicted(engine: Engine, call_id: int) -> list[StoredSegment]:
    """The call's live segments with the bounds, category and role the detector gave them (the audit
    log's first `before` of each one a reviewer changed); their review status as it is now."""
    from dataclasses import replace

    from reviewer_app.core.storage.labels import LabelStore

    first: dict[int, dict] = {}
    for event in LabelStore(engine).events(call_id):
        if event.segment_id is not None and event.segment_id not in first and event.before:
            first[event.segment_id] = event.before
    out = []
    for seg in repository.load_segments(engine, call_id):
        snap = first.get(seg.id)
        if snap and seg.source != "reviewer":
            try:
                seg = replace(seg, start=float(snap["start"]), end=float(snap["end"]),
                              category=str(snap["category"]), role=str(snap["role"]))
            except (KeyError, TypeError, ValueError):
                pass
        out.append(seg)
    return out


def what_if(engine: Engine, settings: Settings, cancel: CancelToken | None = None
            ) -> Generator[Progress, None, WhatIfResult]:
    """Yield Progress per call; return the per-category and per-call changes."""
    from reviewer_app.core.pipeline import redetect

    cancel = cancel or CancelToken()
    settings.validate()
    result = WhatIfResult()
    calls = repository.list_calls(engine)
    for n, call in enumerate(calls):
        yield Progress(n, len(calls), f"{Path(call.path).name}: re-running the rules")
        cancel.raise_if_cancelled()
        if not Path(call.path).is_file():
            result.skipped.append(f"{call.path}: audio file not found")
            continue
        analysis = repository.load_analysis(engine, call.sha256)
        try:
            new, score = redetect(call.path, analysis.transcript, analysis.language, settings)
        except (Cancelled, KeyboardInterrupt):
            raise
        except ReviewerError as exc:
            result.skipped.append(str(exc) if call.path in str(exc) else f"{call.path}: {exc}")
            continue
        except Exception as exc:  # one call's failure is one line; the others still run
            result.skipped.append(f"{call.path}: {type(exc).__name__}: {exc}")
            continue
        added, removed = compare_call(new, as_predicted(engine, call.id), result.categories)
        # the detector's score under the old settings against the one under the new: a reviewer's own
        # relabelling is no effect of the settings; the score of record is shown beside them
        result.calls.append(CallChange(call.id, call.path, call.detector_score, score.value, call.detector_grade,
                                       score.grade, added, removed, call.score_value))
    order = {c: i for i, c in enumerate(CATEGORIES)}
    result.categories = dict(sorted(result.categories.items(), key=lambda kv: order.get(kv[0], 99)))
    yield Progress(len(calls), len(calls), "done")
    return result
