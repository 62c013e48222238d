"""Audacity label tracks: one `<stem>.txt` per call, a `start<TAB>end<TAB>label` line per region.

Import the file into Audacity next to the audio (File > Import > Labels), fix
the regions, export it again (File > Export > Export Labels) and import it
here. Labels read `category [role]`; a bare category gets its default role.
Lines beginning with a backslash (Audacity's spectral-selection lines) and
point labels (no duration) are skipped.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.exchange.apply import ImportReport, apply_labels
from reviewer_app.core.exchange.library import (
    CallRecord,
    Label,
    call_for_stem,
    default_role,
    label_text,
    parse_label_text,
    unique_stems,
    write_text,
)
from reviewer_app.core.storage import repository
from reviewer_app.core.storage.repository import CallSummary

WHICH = ("findings", "human", "predictions")


def track_text(items) -> str:
    """Label-track text for segments or Labels, sorted by start."""
    rows = sorted(items, key=lambda s: (s.start, s.end, s.category))
    return "".join(f"{s.start:.6f}\t{s.end:.6f}\t{label_text(s)}\n" for s in rows)


def export(records: list[CallRecord], out_dir: Path, which: str = "findings") -> list[Path]:
    """`findings`: what stands after review; `human`: the human labels of reviewed calls (only those
    calls get a file, since importing a track rejects what it leaves out); `predictions`: the detector's."""
    if which not in WHICH:
        raise ReviewerError(f"audacity export: which must be one of {', '.join(WHICH)}")
    if which == "human":
        records = [r for r in records if r.reviewed]
    stems = unique_stems(records)
    paths = []
    for r in records:
        items = {"findings": r.findings, "human": r.human_labels, "predictions": r.predictions}[which]
        paths.append(write_text(out_dir / f"{stems[r.summary.id]}.txt", track_text(items)))
    return paths


def parse_track(text: str, roles: tuple[str, ...], where: str = "labels") -> list[Label]:
    labels = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("\\"):
            continue
        parts = line.split("\t")
        try:
            start, end = float(parts[0]), float(parts[1])
        except (IndexError, ValueError):
            raise ReviewerError(f"{where}:{n}: not an Audacity label line ({line.strip()[:60]!r})") from None
        if end <= start:
            continue  # a point label marks a moment, not a region
        text_part = parts[2] if len(parts) > 2 else ""
        try:
            category, role = parse_label_text(text_part, default_role="")
        except ReviewerError as exc:
            raise ReviewerError(f"{where}:{n}: {exc}") from None
        labels.append(Label(start, end, category, role or default_role(category, roles)))
    return sorted(labels)


def import_track(engine: Engine, path: Path, reviewer: str, *, call: CallSummary | None = None,
                 reject_missing: bool = True) -> ImportReport:
    """Apply one label-track file to its call (by default the call whose file stem it carries)."""
    path = Path(path)
    call = call or call_for_stem(engine, path.stem)
    analysis = repository.load_analysis(engine, call.sha256)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReviewerError(f"{path}: cannot read the label track ({exc})") from None
    labels = parse_track(text, analysis.audio.roles, str(path))
    return apply_labels(engine, call.id, labels, reviewer, reject_missing=reject_missing)
