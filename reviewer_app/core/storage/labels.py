"""Reviewer labels on segments, with an append-only audit log and stale-edit detection.

Every change is one transaction: the segment row (status, reviewer, version + 1,
updated_at) and one label_events row with the before and after state. Pass
`expected_version` (the version you loaded) to get a ConflictError instead of
overwriting a change another reviewer made in the meantime. Deletion is soft:
`restore` undoes it.

History: `events(call_id)` is the call's audit log; `revert(event_id, ...)` puts back what one
entry changed, itself audited (action "revert"), and only while what that entry changed is still as it
left it (else ConflictError, naming who changed it since). `undo(...)` is the inverse of a change made in
this session, written as one entry with action "undo". One user action is one audit entry.

Many changes as one: `store.joined(session)` is the same store writing through the caller's session,
so every change made with it commits or rolls back with the caller's transaction (each still with its
own audit entry; a change that raises is undone alone, at its savepoint). Calibration adoption uses it.

BulkWriter is the path for many changes in one transaction (label imports): the caller plans
them and checks versions under the write lock; it writes segment rows and audit rows with one
executemany each.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from reviewer_app.core.domain import CATEGORIES, ROLES, SEGMENT_STATUSES, Word
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.messages import show_value
from reviewer_app.core.storage.db import writer
from reviewer_app.core.storage.models import CallRow, LabelEventRow, SegmentRow, TurnRow, WordRow, utcnow

REVIEW_STATUSES = ("new", "in_review", "reviewed")
from reviewer_app.core.settings import ScoreSettings
from reviewer_app.core.storage.repository import (
    StoredSegment,
    _stored,
    refresh_problem_counts,
    refresh_score_of_record,
)

_SNAPSHOT_FIELDS = (
    "start", "end", "role", "category", "score", "source", "evidence",
    "status", "reviewer", "note", "version",
)


class ConflictError(ReviewerError):
    """The segment changed since the caller loaded it."""

    def __init__(self, message: str, segment_id: int | None, expected: int, actual: int,
                 other_reviewer: str | None) -> None:
        super().__init__(message)
        self.segment_id = segment_id
        self.expected = expected
        self.actual = actual
        self.other_reviewer = other_reviewer


@dataclass(frozen=True)
class LabelEvent:
    id: int
    call_id: int
    segment_id: int | None
    reviewer: str
    at: datetime
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class LabelStore:
    """`score_settings`: the weights the score of record is computed with after each change
    (the call's score and grade are updated in the change's transaction)."""

    def __init__(self, engine: Engine, score_settings: ScoreSettings | None = None) -> None:
        self._engine = engine
        self._score = score_settings or ScoreSettings()
        self._session: Session | None = None  # the caller's, when joined

    def joined(self, session: Session) -> LabelStore:
        """This store writing through `session`, inside the transaction the caller began on it (on
        SQLite with `Session(writer(engine))`): nothing is committed until the caller commits, and
        a rollback takes back every change made with it, audit entries included."""
        store = LabelStore(self._engine, self._score)
        store._session = session
        return store

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        """A session to write one change in: a transaction of its own, or a savepoint of the
        caller's transaction when joined."""
        if self._session is not None:
            with self._session.begin_nested():
                yield self._session
            return
        with Session(writer(self._engine)) as s, s.begin():
            yield s

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        """A session to read in: the caller's when joined (it sees the changes not committed yet)."""
        if self._session is not None:
            yield self._session
            return
        with Session(self._engine) as s, s.begin():
            yield s

    def confirm(self, segment_id: int, reviewer: str, *,
                expected_version: int | None = None) -> StoredSegment:
        return self._change(segment_id, reviewer, "confirm", expected_version, status="confirmed")

    def reject(self, segment_id: int, reviewer: str, *,
               expected_version: int | None = None) -> StoredSegment:
        return self._change(segment_id, reviewer, "reject", expected_version, status="rejected")

    def edit(self, segment_id: int, reviewer: str, *, start: float | None = None,
             end: float | None = None, category: str | None = None, role: str | None = None,
             expected_version: int | None = None) -> StoredSegment:
        """Change bounds, category or role; status becomes "edited" (an added one stays "added")."""
        changes = {k: v for k, v in
                   dict(start=start, end=end, category=category, role=role).items()
                   if v is not None}
        if not changes:
            raise ReviewerError(f"edit of segment {segment_id}: give start, end, category or role")
        return self._change(segment_id, reviewer, "edit", expected_version, **changes)

    def set_status(self, segment_id: int, reviewer: str, status: str, *,
                   expected_version: int | None = None) -> StoredSegment:
        """Put a segment in `status` directly: the inverse of confirm, reject or edit (undo)."""
        if status not in SEGMENT_STATUSES:
            raise ReviewerError(f"unknown segment status {status!r}: use one of {', '.join(SEGMENT_STATUSES)}")
        return self._change(segment_id, reviewer, "status", expected_version, status=status)

    def set_note(self, segment_id: int, reviewer: str, note: str | None, *,
                 expected_version: int | None = None) -> StoredSegment:
        """Set the note (an empty note or None clears it); the status is unchanged."""
        return self._change(segment_id, reviewer, "note", expected_version, note=note or None)

    def delete(self, segment_id: int, reviewer: str, *,
               expected_version: int | None = None) -> None:
        self._change(segment_id, reviewer, "delete", expected_version, deleted_at=utcnow())

    def restore(self, segment_id: int, reviewer: str, *,
                expected_version: int | None = None) -> StoredSegment:
        """Undo a delete."""
        return self._change(segment_id, reviewer, "restore", expected_version, deleted_at=None)

    def add(self, call_id: int, reviewer: str, start: float, end: float, category: str,
            role: str, *, note: str | None = None) -> int:
        """A segment the model missed; returns its id."""
        reviewer = _check_reviewer(reviewer)
        _check_segment(start, end, category, role, f"new segment on call {call_id}")
        now = utcnow()
        with self._writing() as s:
            call = _call(s, call_id)
            _check_segment(start, end, category, role, f"new segment on call {call_id}", call.duration_s)
            row = SegmentRow(
                call_id=call_id, start=float(start), end=float(end), role=role,
                category=category, score=1.0, source="reviewer", evidence="", status="added",
                reviewer=reviewer, note=note or None, version=1, created_at=now, updated_at=now,
            )
            s.add(row)
            s.flush()
            _start_review(call)
            refresh_problem_counts(s, call)
            refresh_score_of_record(s, call, self._score)
            s.add(LabelEventRow(call_id=call_id, segment_id=row.id, reviewer=reviewer, at=now,
                                action="add", before=None, after=_snapshot(row)))
            return row.id

    def mark_reviewed(self, call_id: int, reviewer: str) -> None:
        self.set_review_status(call_id, reviewer, "reviewed")

    def set_review_status(self, call_id: int, reviewer: str, status: str) -> None:
        """new / in_review / reviewed; a reviewed call's unflagged time counts as "no problem"."""
        reviewer = _check_reviewer(reviewer)
        if status not in REVIEW_STATUSES:
            raise ReviewerError(f"unknown review status {status!r}: use one of {', '.join(REVIEW_STATUSES)}")
        now = utcnow()
        with self._writing() as s:
            call = _call(s, call_id)
            before = {"review_status": call.review_status}
            call.review_status = status
            call.updated_at = now
            s.flush()
            refresh_score_of_record(s, call, self._score)
            s.add(LabelEventRow(call_id=call_id, segment_id=None, reviewer=reviewer, at=now,
                                action="review", before=before, after={"review_status": status}))

    def edit_turn_text(self, call_id: int, turn_index: int, text: str, words: list[Word], reviewer: str, *,
                       expected_text: str | None = None, action: str = "turn_edit",
                       reverts: int | None = None) -> None:
        """Correct a transcript turn: its text and its words, audited like a label change.

        With `expected_text`, a turn changed meanwhile by someone else raises ConflictError.
        """
        reviewer = _check_reviewer(reviewer)
        now = utcnow()
        with self._writing() as s:
            call = _call(s, call_id)
            turn = s.scalars(select(TurnRow).where(TurnRow.call_id == call_id, TurnRow.turn_index == turn_index)
                             .with_for_update()).one_or_none()
            if turn is None:
                raise ReviewerError(f"call {call_id} has no turn {turn_index}")
            if expected_text is not None and turn.text != expected_text:
                last = s.scalars(select(LabelEventRow).where(LabelEventRow.call_id == call_id,
                                                             LabelEventRow.segment_id.is_(None))
                                 .order_by(LabelEventRow.id.desc()).limit(1)).first()
                who = last.reviewer if last else None
                raise ConflictError(f"turn {turn_index} was changed by {who or 'someone else'} to "
                                    f"{turn.text[:60]!r}: reload and try again", None, 0, 0, who)
            old_words = s.scalars(select(WordRow).where(WordRow.call_id == call_id, WordRow.turn_index == turn_index)
                                  .order_by(WordRow.word_index)).all()
            before = {"turn_index": turn_index, "text": turn.text,
                      "words": [[w.word, w.start, w.end, w.prob] for w in old_words]}
            s.execute(delete(WordRow).where(WordRow.call_id == call_id, WordRow.turn_index == turn_index))
            s.add_all(WordRow(call_id=call_id, turn_index=turn_index, word_index=i, role=turn.role, start=w.start,
                              end=w.end, word=w.word, prob=w.prob) for i, w in enumerate(words))
            turn.text = text
            turn.edited_by = reviewer  # a re-analysis keeps it (repository.save_analysis)
            _start_review(call)
            refresh_score_of_record(s, call, self._score)
            after: dict[str, Any] = {"turn_index": turn_index, "text": text}
            if reverts is not None:
                after["reverts"] = reverts
            s.add(LabelEventRow(call_id=call_id, segment_id=None, reviewer=reviewer, at=now, action=action,
                                before=before, after=after))

    def undo(self, segment_id: int, reviewer: str, *, expected_version: int | None = None,
             deleted: bool | None = None, **fields: Any) -> StoredSegment | None:
        """Put `fields` (start, end, category, role, status, note) back and/or delete or restore the
        segment, in one change audited as "undo". Returns the segment (None when now deleted)."""
        return self._put_back(segment_id, reviewer, "undo", expected_version, fields, deleted)

    def revert(self, event_id: int, reviewer: str, *, expected_version: int | None = None) -> LabelEvent:
        """Undo what audit entry `event_id` changed: a segment's fields, its addition, deletion or
        restoring, a call's review status, or a turn's text. Audited as "revert" (its `after` names the
        reverted entry). Raises ConflictError when what the entry changed has been changed since, or
        when `expected_version` (the segment's version the caller saw) is not the stored one.
        Returns the revert's own audit entry."""
        reviewer = _check_reviewer(reviewer)
        with self._reading() as s:
            target = s.get(LabelEventRow, event_id)
            if target is None:
                raise ReviewerError(f"audit entry {event_id} does not exist")
            call_id, segment_id, before, after, action = (target.call_id, target.segment_id, target.before,
                                                          target.after, target.action)
        if segment_id is None and before and "turn_index" in before:
            return self._revert_turn(event_id, call_id, before, after or {}, reviewer)
        if segment_id is None and before and "review_status" in before:
            return self._revert_review(event_id, call_id, before, after or {}, reviewer)
        if segment_id is None:
            raise ReviewerError(f"audit entry {event_id} ({action}) cannot be reverted: its segment is gone")
        was_deleted = _deleted(before, action, "before")
        now_deleted = _deleted(after, action, "after")
        fields = {k: before[k] for k in _REVERTIBLE if before and after and k in before and before[k] != after.get(k)}
        expected = {k: after[k] for k in fields} if after else {}
        self._put_back(segment_id, reviewer, "revert", expected_version, fields,
                       was_deleted if was_deleted != now_deleted else None,
                       expect=(expected, now_deleted), reverts=event_id)
        return self.events(call_id)[-1]

    def events(self, call_id: int) -> list[LabelEvent]:
        """The call's audit log, oldest first."""
        with self._reading() as s:
            rows = s.scalars(select(LabelEventRow).where(LabelEventRow.call_id == call_id)
                             .order_by(LabelEventRow.id))
            return [LabelEvent(r.id, r.call_id, r.segment_id, r.reviewer, r.at, r.action,
                               r.before, r.after) for r in rows]

    def _put_back(self, segment_id: int, reviewer: str, action: str, expected_version: int | None,
                  fields: dict[str, Any], deleted: bool | None, *,
                  expect: tuple[dict[str, Any], bool] | None = None, reverts: int | None = None
                  ) -> StoredSegment | None:
        reviewer = _check_reviewer(reviewer)
        unknown = set(fields) - set(_REVERTIBLE)
        if unknown:
            raise ReviewerError(f"cannot {action} {', '.join(sorted(unknown))} of segment {segment_id}")
        if "status" in fields and fields["status"] not in SEGMENT_STATUSES:
            raise ReviewerError(f"unknown segment status {fields['status']!r}")
        now = utcnow()
        with self._writing() as s:
            row = _locked_segment(s, segment_id, expected_version)
            if expect is not None:
                values, was_deleted = expect
                if (row.deleted_at is not None) != was_deleted or any(getattr(row, k) != v for k, v in values.items()):
                    raise _conflict(s, row, row.version, changed_since=True)
            _check_segment(fields.get("start", row.start), fields.get("end", row.end),
                           fields.get("category", row.category), fields.get("role", row.role),
                           f"segment {row.id} of call {row.call_id}", _call(s, row.call_id).duration_s)
            before = _snapshot(row)
            if deleted is not None:
                row.deleted_at = now if deleted else None
            call = _write_fields(s, row, fields, reviewer, now)
            refresh_problem_counts(s, call)
            refresh_score_of_record(s, call, self._score)
            after = _snapshot(row)
            if reverts is not None:
                after["reverts"] = reverts
            s.add(LabelEventRow(call_id=row.call_id, segment_id=row.id, reviewer=reviewer, at=now,
                                action=action, before=before, after=after))
            s.flush()
            return None if row.deleted_at is not None else _stored(row)

    def _revert_review(self, event_id: int, call_id: int, before: dict, after: dict, reviewer: str) -> LabelEvent:
        now = utcnow()
        with self._writing() as s:
            call = _call(s, call_id)
            if after.get("review_status") is not None and call.review_status != after["review_status"]:
                raise ConflictError(f"call {call_id} is now {call.review_status}, not {after['review_status']} "
                                    "as that change left it: reload and try again", None, 0, 0, None)
            old = {"review_status": call.review_status}
            call.review_status = before["review_status"]
            call.updated_at = now
            s.flush()
            refresh_score_of_record(s, call, self._score)
            s.add(LabelEventRow(call_id=call_id, segment_id=None, reviewer=reviewer, at=now, action="revert",
                                before=old, after={"review_status": call.review_status, "reverts": event_id}))
        return self.events(call_id)[-1]

    def _revert_turn(self, event_id: int, call_id: int, before: dict, after: dict, reviewer: str) -> LabelEvent:
        if "words" not in before:
            raise ReviewerError(f"audit entry {event_id} does not hold the turn's earlier words")
        words = [Word(w, float(a), float(b), float(p)) for w, a, b, p in before["words"]]
        self.edit_turn_text(call_id, int(before["turn_index"]), before["text"], words, reviewer,
                            expected_text=after.get("text"), action="revert", reverts=event_id)
        return self.events(call_id)[-1]

    def _change(self, segment_id: int, reviewer: str, action: str,
                expected_version: int | None, **changes: Any) -> StoredSegment:
        reviewer = _check_reviewer(reviewer)
        now = utcnow()
        with self._writing() as s:
            row = _locked_segment(s, segment_id, expected_version)
            if (row.deleted_at is not None) != (action == "restore"):
                state = "is already deleted" if row.deleted_at is not None else "is not deleted"
                raise ReviewerError(f"cannot {action} segment {segment_id}: it {state}")
            if action == "edit":
                _check_segment(changes.get("start", row.start), changes.get("end", row.end),
                               changes.get("category", row.category), changes.get("role", row.role),
                               f"segment {row.id} of call {row.call_id}", _call(s, row.call_id).duration_s)
                changes["status"] = "added" if row.status == "added" else "edited"
            before = _snapshot(row)
            call = _write_fields(s, row, changes, reviewer, now)
            if {"status", "category", "deleted_at"} & changes.keys():
                refresh_problem_counts(s, call)
            refresh_score_of_record(s, call, self._score)
            s.add(LabelEventRow(call_id=row.call_id, segment_id=row.id, reviewer=reviewer,
                                at=now, action=action, before=before,
                                after=None if action == "delete" else _snapshot(row)))
            s.flush()
            return _stored(row)


_REVERTIBLE = ("start", "end", "role", "category", "status", "note")


def _snapshot(row: SegmentRow) -> dict[str, Any]:
    return {**{name: getattr(row, name) for name in _SNAPSHOT_FIELDS}, "deleted": row.deleted_at is not None}


def _deleted(snapshot: dict[str, Any] | None, action: str, side: str) -> bool:
    """Whether the segment was deleted before / after an audit entry (entries written before the
    "deleted" key: an add had no segment before, a delete none after, a restore a deleted one before)."""
    if snapshot is None:
        return True
    if "deleted" in snapshot:
        return bool(snapshot["deleted"])
    return action == "restore" and side == "before"


def _call(s: Session, call_id: int) -> CallRow:
    call = s.get(CallRow, call_id)
    if call is None:
        raise ReviewerError(f"call {call_id} does not exist")
    return call


def _start_review(call: CallRow) -> None:
    if call.review_status == "new":
        call.review_status = "in_review"


def _check_reviewer(reviewer: str) -> str:
    if not isinstance(reviewer, str) or not reviewer.strip():
        raise ReviewerError("a label change needs a reviewer name")
    return reviewer.strip()


END_TOLERANCE_S = 0.5  # how far past the call's end a label may reach (players pad the last frame)


def _check_segment(start: float, end: float, category: str, role: str, what: str = "segment",
                   duration_s: float | None = None) -> None:
    """A label's category, role and bounds, or a ReviewerError naming `what` ("segment 17 of call 3")."""
    if category not in CATEGORIES:
        raise ReviewerError(f"unknown category {category!r}: use one of {', '.join(CATEGORIES)}")
    if role not in ROLES:
        raise ReviewerError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    try:
        ok = 0 <= float(start) < float(end) < float("inf")
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ReviewerError(f"{what}: bad bounds {show_value(start)}..{show_value(end)}: need 0 <= start < end")
    if duration_s is not None and float(end) > duration_s + END_TOLERANCE_S:
        raise ReviewerError(f"{what}: ends at {float(end):.2f} s, past the call's end ({duration_s:.2f} s)")


def _write_fields(s: Session, row: SegmentRow, fields: dict[str, Any], reviewer: str, now) -> CallRow:
    """Set a segment's fields as `reviewer`, bump its version, mark its call in review; the call's row."""
    for name, value in fields.items():
        setattr(row, name, float(value) if name in ("start", "end") else value)
    row.reviewer = reviewer
    row.version += 1
    row.updated_at = now
    call = _call(s, row.call_id)
    _start_review(call)
    s.flush()
    return call


def _locked_segment(s: Session, segment_id: int, expected_version: int | None) -> SegmentRow:
    """The segment's row, locked for this transaction; a ConflictError if it moved past `expected_version`."""
    row = s.get(SegmentRow, segment_id, with_for_update=True)
    if row is None:
        raise ReviewerError(f"segment {segment_id} does not exist")
    if expected_version is not None and row.version != expected_version:
        raise _conflict(s, row, expected_version)
    return row


def _conflict(s: Session, row: SegmentRow, expected: int, changed_since: bool = False) -> ConflictError:
    last = s.scalars(select(LabelEventRow).where(LabelEventRow.segment_id == row.id)
                     .order_by(LabelEventRow.id.desc()).limit(1)).first()
    who = last.reviewer if last else row.reviewer
    what = _describe(last) if last else "changed it"
    when = f" at {last.at:%Y-%m-%d %H:%M:%S} UTC" if last else ""
    if changed_since:
        return ConflictError(
            f"segment {row.id} was changed since by {who or 'someone else'}{when} ({what}): "
            f"revert that change first", row.id, expected, row.version, who)
    return ConflictError(
        f"segment {row.id} was changed by {who or 'someone else'}{when} ({what}); "
        f"you had version {expected}, it is now version {row.version}: reload and try again",
        row.id, expected, row.version, who,
    )


def _describe(event: LabelEventRow) -> str:
    verbs = {"confirm": "confirmed it", "reject": "rejected it", "delete": "deleted it",
             "restore": "restored it", "add": "added it", "note": "changed its note",
             "status": f"set its status to {(event.after or {}).get('status')}",
             "undo": "undid a change", "revert": f"reverted change {(event.after or {}).get('reverts')}"}
    if event.action != "edit" or not event.before or not event.after:
        return verbs.get(event.action, event.action)
    diffs = [f"{k} {event.before[k]} -> {event.after[k]}"
             for k in ("start", "end", "category", "role") if event.before[k] != event.after[k]]
    return "edited " + ", ".join(diffs) if diffs else "edited it"


class BulkWriter:
    """The bulk path of label imports (exchange.apply): executemany on the DBAPI cursor of the
    session's connection, inside the caller's transaction, values converted once here.

    SQLAlchemy's per-row parameter processing costs more than SQLite's inserts at 100,000 rows;
    these three statements bind plain values instead: times as SQLite stores them (or naive UTC
    datetimes for PostgreSQL) and JSON as text (cast on PostgreSQL).
    """

    def __init__(self, s: Session, dialect: str, updated: tuple[str, ...]) -> None:
        self.updated = updated  # the segment columns update_segments sets, besides the id
        self.sqlite = dialect == "sqlite"
        self.cursor = s.connection().connection.driver_connection.cursor()
        self.mark = "?" if self.sqlite else "%s"
        self.json_mark = "?" if self.sqlite else "%s::json"
        self._last: tuple = (None, None)

    def time(self, at: datetime | None):
        if at is None:
            return None
        if at is not self._last[0]:  # one import has one time: convert it once
            naive = at.astimezone(UTC).replace(tzinfo=None)
            self._last = (at, naive.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else naive)
        return self._last[1]

    @staticmethod
    def json(value) -> str | None:
        return None if value is None else json.dumps(value)

    def update_segments(self, rows: list[dict]) -> None:
        sets = ", ".join(f'"{k}" = {self.mark}' for k in self.updated)
        self.cursor.executemany(
            f"UPDATE segments SET {sets} WHERE id = {self.mark}",
            [tuple(self.time(r[k]) if k.endswith("_at") else r[k] for k in self.updated) + (r["_id"],)
             for r in rows])

    def insert_segments(self, rows: list[dict]) -> list[int]:
        """Insert the rows; their new ids, in order (the ids are taken under the write lock the
        transaction holds: SQLite's BEGIN IMMEDIATE, PostgreSQL's sequence)."""
        columns = ("call_id", "start", "end", "role", "category", "score", "source", "evidence", "status",
                   "reviewer", "note", "version", "created_at", "updated_at", "deleted_at")
        if self.sqlite:
            self.cursor.execute("SELECT COALESCE(MAX(id), 0) FROM segments")
            first = self.cursor.fetchone()[0] + 1
            ids = list(range(first, first + len(rows)))
        else:
            self.cursor.execute("SELECT nextval(pg_get_serial_sequence('segments', 'id')) "
                                "FROM generate_series(1, %s)", (len(rows),))
            ids = [r[0] for r in self.cursor.fetchall()]
        names = ", ".join(f'"{c}"' for c in ("id",) + columns)
        marks = ", ".join([self.mark] * (len(columns) + 1))
        self.cursor.executemany(
            f"INSERT INTO segments ({names}) VALUES ({marks})",
            [(new_id,) + tuple(self.time(r[c]) if c.endswith("_at") else r[c] for c in columns)
             for new_id, r in zip(ids, rows, strict=True)])
        return ids

    def insert_events(self, rows: list[dict]) -> None:
        marks = ", ".join([self.mark] * 5 + [self.json_mark] * 2)
        self.cursor.executemany(
            "INSERT INTO label_events (call_id, segment_id, reviewer, at, action, before, after) "
            f"VALUES ({marks})",
            [(r["call_id"], r["segment_id"], r["reviewer"], self.time(r["at"]), r["action"], self.json(r["before"]),
              self.json(r["after"])) for r in rows])
