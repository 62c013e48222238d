"""The library as the exporters see it: one CallRecord per stored call, and labels as plain data.

A CallRecord holds a call's stored analysis, its live segments with their
review state, and what the detector originally predicted (a reviewer's edit
changes a segment's bounds; the audit log keeps the predicted ones).

Human labels are the segments a reviewer confirmed, edited or added. A
rejected or deleted segment is a judgement too (the finding is wrong) but not
a label; an untouched prediction is no label at all.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from reviewer_app.core.domain import BOTH, CATEGORIES, ROLES, CallAnalysis, Segment
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.exchange.apply import Entry
from reviewer_app.core.exchange.limits import time_problem
from reviewer_app.core.messages import show_value
from reviewer_app.core.storage import repository
from reviewer_app.core.storage.labels import LabelStore
from reviewer_app.core.storage.repository import CallSummary, StoredSegment

HUMAN_STATUSES = ("confirmed", "edited", "added")
REVIEWER_SOURCE = "reviewer"


@dataclass(frozen=True, order=True)
class Label:
    """One labelled stretch of a call, as every exchange format carries it."""

    start: float
    end: float
    category: str
    role: str

    def rounded(self, places: int = 3) -> "Label":
        return Label(round(self.start, places), round(self.end, places), self.category, self.role)


@dataclass
class CallRecord:
    summary: CallSummary
    analysis: CallAnalysis
    segments: list[StoredSegment]  # live (not deleted), by start
    predictions: list[Segment]  # what the detector found, before any reviewer change

    @property
    def stem(self) -> str:
        return Path(self.summary.path).stem

    @property
    def human_labels(self) -> list[Label]:
        return sorted(label_of(s) for s in self.segments if s.status in HUMAN_STATUSES)

    @property
    def rejected(self) -> list[StoredSegment]:
        return [s for s in self.segments if s.status == "rejected"]

    @property
    def findings(self) -> list[StoredSegment]:
        """Every live segment that still stands: predictions not rejected, and human labels."""
        return [s for s in self.segments if s.status != "rejected"]

    @property
    def reviewed(self) -> bool:
        """A reviewer has looked at the call (changed a segment or marked it reviewed)."""
        return self.summary.review_status != "new"


def label_of(seg: Segment | StoredSegment) -> Label:
    return Label(float(seg.start), float(seg.end), seg.category, seg.role)


def label_text(label: Label | StoredSegment | Segment) -> str:
    """`category [role]`: readable in Audacity or Praat, and parsed back by parse_label_text."""
    return f"{label.category} [{label.role}]"


_LABEL_TEXT = re.compile(r"^\s*([A-Za-z_ ]+?)\s*(?:\[\s*([A-Za-z]+)\s*\])?\s*$")


def parse_label_text(text: str, default_role: str = BOTH) -> tuple[str, str]:
    """(category, role) from `category [role]` or a bare `category` (role `default_role`)."""
    match = _LABEL_TEXT.match(text)
    category = match.group(1).strip().lower().replace(" ", "_") if match else ""
    if category not in CATEGORIES:
        raise ReviewerError(f"label {show_value(text)} is not a problem category ({', '.join(CATEGORIES)})")
    role = (match.group(2) or default_role).lower()
    if role not in ROLES and role != default_role:
        raise ReviewerError(f"label {show_value(text)}: unknown role {show_value(role)} (use {', '.join(ROLES)})")
    return category, role


WHOLE_CALL_CATEGORIES = ("dead_air", "overtalk")  # about both sides at once: role "both"


def default_role(category: str, roles: tuple[str, ...], channel: int | None = None) -> str:
    """The role of an imported label that names none: `both` on a mono call and for dead air or
    overtalk, else the role of the label's channel, else the agent's (the one being scored)."""
    if len(roles) < 2 or category in WHOLE_CALL_CATEGORIES:
        return BOTH
    if channel is not None and 0 <= channel < len(roles):
        return roles[channel]
    return "agent" if "agent" in roles else roles[0]


def label_entry(at: str, start: float, end: float, text: str, duration_s: float | None,
                roles: tuple[str, ...]) -> Entry:
    """One labelled region of an Audacity or TextGrid file as a confirmed Entry (exchange.apply);
    a ReviewerError starting with `at` (where it stands in the file) when its times or text are wrong."""
    problem = time_problem(start, end, duration_s)
    if problem:
        raise ReviewerError(f"{at}: {problem}")
    try:
        category, role = parse_label_text(text, default_role="")
    except ReviewerError as exc:
        raise ReviewerError(f"{at}: {exc}") from None
    return Entry(start, end, category, role or default_role(category, roles), "confirmed", at)


def channel_of(role: str, roles: tuple[str, ...]) -> int:
    """The audio channel a role speaks on (0 for `both` or a mono call)."""
    return roles.index(role) if role in roles else 0


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write a whole file through a temporary name, so a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding=encoding, newline="")
    tmp.replace(path)
    return path


def call_roles(engine: Engine, call: CallSummary) -> tuple[str, ...]:
    """The channel roles of a stored call (one light query: imports need no more of the analysis)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from reviewer_app.core.storage.models import CallRow

    with Session(engine) as s:
        roles = s.scalar(select(CallRow.roles).where(CallRow.id == call.id))
    if roles is None:
        raise ReviewerError(f"call {call.id} ({call.path}) vanished from the database")
    return tuple(roles)


def load_record(engine: Engine, call: CallSummary) -> CallRecord:
    analysis = repository.load_analysis(engine, call.sha256)
    if analysis is None:
        raise ReviewerError(f"call {call.id} ({call.path}) vanished from the database")
    segments = repository.load_segments(engine, call.id)
    return CallRecord(call, analysis, segments, _predictions(engine, call.id, segments))


def iter_records(engine: Engine, calls: Iterable[CallSummary] | None = None) -> Iterator[CallRecord]:
    """A CallRecord per call (every stored call, oldest first, unless `calls` is given)."""
    for call in repository.list_calls(engine) if calls is None else calls:
        yield load_record(engine, call)


def _predictions(engine: Engine, call_id: int, segments: list[StoredSegment]) -> list[Segment]:
    """The detector's segments as predicted: the audit log's first `before` of a changed one."""
    original: dict[int, dict] = {}
    for event in LabelStore(engine).events(call_id):
        if event.segment_id is not None and event.segment_id not in original and event.before:
            original[event.segment_id] = event.before
    out: dict[int, Segment] = {}
    for seg in segments:
        if seg.source != REVIEWER_SOURCE:
            out[seg.id] = seg.segment
    for seg_id, snap in original.items():
        if snap.get("source") != REVIEWER_SOURCE:
            out[seg_id] = Segment(float(snap["start"]), float(snap["end"]), snap["role"], snap["category"],
                                  float(snap["score"]), snap["source"], snap.get("evidence") or "")
    return sorted(out.values(), key=lambda s: (s.start, s.category, s.end))


def resolve_call(engine: Engine, ref: str) -> CallSummary:
    """A stored call from a call id, a sha256 (or its first 8+ characters) or an audio path.

    A path is matched by its audio's sha256 when the file exists, else by the stored path.
    """
    ref = str(ref).strip()
    calls = repository.list_calls(engine)
    if ref.isdigit():
        for call in calls:
            if call.id == int(ref):
                return call
    path = Path(ref).expanduser()
    if path.is_file():
        from reviewer_app.core.audio.decode import sha256_of_file

        found = repository.find_call(engine, sha256_of_file(path))
        if found is not None:
            return found
    if re.fullmatch(r"[0-9a-fA-F]{8,64}", ref):
        hits = [c for c in calls if c.sha256.startswith(ref.lower())]
        if len(hits) == 1:
            return hits[0]
    by_path = [c for c in calls if c.path == ref or (path.is_absolute() and Path(c.path) == path)]
    if not by_path:
        by_path = [c for c in calls if Path(c.path).name == path.name]
    if len(by_path) == 1:
        return by_path[0]
    if len(by_path) > 1:
        raise ReviewerError(f"{ref}: {len(by_path)} stored calls match; give the call id or sha256")
    raise ReviewerError(f"{ref}: no such call in the library (give a call id, a sha256 or an analysed audio file)")


def unique_stems(records: Iterable[CallRecord]) -> dict[int, str]:
    """A file-name stem per call id: the audio's stem, plus the sha256's first 8 where stems collide."""
    records = list(records)
    counts: dict[str, int] = {}
    for r in records:
        counts[_safe(r.stem)] = counts.get(_safe(r.stem), 0) + 1
    return {r.summary.id: _safe(r.stem) if counts[_safe(r.stem)] == 1 else f"{_safe(r.stem)}-{r.summary.sha256[:8]}"
            for r in records}


def _safe(stem: str) -> str:
    cleaned = re.sub(r"[\\/:*?\"<>|\x00-\x1f]", "_", stem).strip(" .")
    return cleaned or "call"


def call_for_stem(engine: Engine, stem: str) -> CallSummary:
    """The call an exported file named `<stem>.<ext>` belongs to (see unique_stems)."""
    calls = repository.list_calls(engine)
    match = re.fullmatch(r"(.*)-([0-9a-f]{8})", stem)
    if match:
        hits = [c for c in calls if c.sha256.startswith(match.group(2)) and _safe(Path(c.path).stem) == match.group(1)]
        if len(hits) == 1:
            return hits[0]
    hits = [c for c in calls if _safe(Path(c.path).stem) == stem]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        raise ReviewerError(f"{stem}: {len(hits)} calls have this name; name the call explicitly")
    raise ReviewerError(f"{stem}: no call in the library has this file name")
