"""Audacity label tracks: one `<stem>.txt` per call, a `start<TAB>end<TAB>label` line per region.

Import the file into Audacity next to the audio (File > Import > Labels), fix
the regions, export it again (File > Export > Export Labels) and import it
here. Labels read `category [role]`; a bare category gets its default role.
Lines beginning with a backslash (Audacity's spectral-selection lines) and
point labels (no duration) are skipped, except the export stamp: a point label at 0 reading
`reviewer-app export <UTC time>`, written first by the export and kept by Audacity, that tells
the import which changes were made after the file was exported (exchange.apply: conflicts).

Every line is checked before anything is applied: a line that is not `start<TAB>end[<TAB>label]`,
a time that is not a finite number, an end before its start, an end past the call, a label
that is not `category [role]`: the import is refused naming the file and the line.
"""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.exchange.apply import ENTRY_ORDER, CallPlan, Entry
from reviewer_app.core.exchange.library import (
    CallRecord,
    call_for_stem,
    call_roles,
    label_entry,
    label_text,
    unique_stems,
    write_text,
)
from reviewer_app.core.exchange.limits import check_count, read_bytes, seconds
from reviewer_app.core.messages import show_name, show_value
from reviewer_app.core.storage.models import utcnow
from reviewer_app.core.storage.repository import CallSummary

WHICH = ("findings", "human", "predictions")


STAMP = "reviewer-app export "


def stamp_text(exported_at: datetime) -> str:
    return f"{STAMP}{exported_at.astimezone(UTC).isoformat()}"


def parse_stamp(text: str) -> datetime | None:
    """The export time of a `reviewer-app export <time>` label, or None if `text` is not one."""
    if not text.startswith(STAMP):
        return None
    try:
        at = datetime.fromisoformat(text[len(STAMP):].strip())
    except ValueError:
        raise ReviewerError(f"export stamp {show_value(text)} has no valid time") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def track_text(items, exported_at: datetime | None = None) -> str:
    """Label-track text for segments or Labels, sorted by start (the export stamp first when given)."""
    rows = sorted(items, key=lambda s: (s.start, s.end, s.category))
    head = f"{0:.6f}\t{0:.6f}\t{stamp_text(exported_at)}\n" if exported_at is not None else ""
    return head + "".join(f"{s.start:.6f}\t{s.end:.6f}\t{label_text(s)}\n" for s in rows)


def export(records: list[CallRecord], out_dir: Path, which: str = "findings",
           exported_at: datetime | None = None) -> list[Path]:
    """`findings`: what stands after review; `human`: the human labels of reviewed calls (only those
    calls get a file, since importing a track rejects what it leaves out); `predictions`: the detector's."""
    if which not in WHICH:
        raise ReviewerError(f"audacity export: which must be one of {', '.join(WHICH)}")
    exported_at = exported_at or utcnow()
    if which == "human":
        records = [r for r in records if r.reviewed]
    stems = unique_stems(records)
    paths = []
    for r in records:
        items = {"findings": r.findings, "human": r.human_labels, "predictions": r.predictions}[which]
        paths.append(write_text(out_dir / f"{stems[r.summary.id]}.txt", track_text(items, exported_at)))
    return paths


def parse_track(text: str, roles: tuple[str, ...], where: str = "labels",
                duration_s: float | None = None) -> list[Entry]:
    """The regions of a label track as entries; a ReviewerError naming the first bad line."""
    return read_track_text(text, roles, where, duration_s)[0]


def read_track_text(text: str, roles: tuple[str, ...], where: str = "labels",
                    duration_s: float | None = None) -> tuple[list[Entry], datetime | None]:
    entries, exported_at = [], None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("\\"):
            continue
        at = f"{where} line {n}"
        parts = line.split("\t")
        if len(parts) < 2:
            raise ReviewerError(f"{at}: not an Audacity label line ({show_value(line.strip())})")
        try:
            start, end = seconds(parts[0].strip(), "start"), seconds(parts[1].strip(), "end")
        except ValueError as exc:
            raise ReviewerError(f"{at}: {exc}") from None
        label = parts[2] if len(parts) > 2 else ""
        if end == start:  # a point label marks a moment, not a region; one at 0 may be the stamp
            if start == 0:
                try:
                    exported_at = parse_stamp(label.strip()) or exported_at
                except ReviewerError as exc:
                    raise ReviewerError(f"{at}: {exc}") from None
            continue
        entries.append(label_entry(at, start, end, label, duration_s, roles))
        check_count(len(entries), where)
    return sorted(entries, key=ENTRY_ORDER), exported_at


def read_plan(engine: Engine, path: Path, *, call: CallSummary | None = None,
              reject_missing: bool = True) -> CallPlan:
    """One label-track file as the plan for its call (by default the call whose file stem it carries)."""
    path = Path(path)
    raw = read_bytes(path, "label track")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReviewerError(f"{show_name(path)}: the label track is not UTF-8 text ({exc.reason})") from None
    call = call or call_for_stem(engine, path.stem)
    roles = call_roles(engine, call)
    entries, exported_at = read_track_text(text, roles, show_name(path), call.duration_s)
    return CallPlan(call, entries, show_name(path), reject_missing=reject_missing, exported_at=exported_at)
