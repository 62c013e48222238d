"""Label files: bring reviewers' labels in from JSON, and write the library's labels out.

The file is a JSON list of entries:

    {"audio": PATH, "start": s, "end": s, "category": ID,
     "status": "confirmed" | "rejected" | "added", "role": "agent" | "customer" | "both"}
    {"audio": PATH, "reviewed": true}

`role` is optional (a mono call has the one role `both`, and so does an entry
without a role). A relative PATH is relative to the label file's folder. Audio
is matched by content (sha256): audio not yet in the library is analysed
first. Importing applies each entry through the audited LabelStore:

* confirmed: the prediction of that category it overlaps (>= 30% of the shorter)
  is confirmed, or edited to the file's bounds when they differ; with none,
  the segment is added.
* rejected: the overlapping prediction is rejected; with none, the segment is
  added and rejected, so the negative is on record.
* added: a reviewer's segment is added.
* reviewed: the call is marked reviewed (after its other entries).

Entries already in the library as given are left alone, so importing the same
file twice changes nothing. Export writes confirmed and edited segments as
"confirmed", added as "added", rejected as "rejected", and reviewed calls.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

from reviewer_app.core.atomic import write_text_atomic
from reviewer_app.core.domain import BOTH, CATEGORIES, ROLES
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.evaluate import overlaps_enough
from reviewer_app.core.progress import CancelToken, Progress
from reviewer_app.core.settings import Settings

STATUSES = ("confirmed", "rejected", "added")
SAME_S = 0.05  # bounds closer than this are the same


@dataclass
class ImportReport:
    applied: int = 0  # label changes made
    unchanged: int = 0  # entries already in the library as given
    reviewed: int = 0  # calls marked reviewed
    analysed: int = 0  # audio files analysed first
    errors: list[str] = field(default_factory=list)  # one line each


def _entry_error(path: Path, i: int, message: str) -> ReviewerError:
    return ReviewerError(f"{path}: entry {i + 1}: {message}")


def read_label_file(path: str | Path) -> list[dict]:
    """Entries with `audio` made absolute; raises ReviewerError naming the entry that is wrong."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReviewerError(f"{path}: label file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReviewerError(f"{path}: not a JSON label file ({exc})") from None
    if not isinstance(data, list):
        raise ReviewerError(f"{path}: a label file is a JSON list of entries")
    out = []
    for i, e in enumerate(data):
        if not isinstance(e, dict) or not isinstance(e.get("audio"), str) or not e["audio"]:
            raise _entry_error(path, i, "needs an 'audio' path")
        audio = Path(e["audio"]).expanduser()
        entry = dict(e, audio=str(audio if audio.is_absolute() else (path.parent / audio).resolve()))
        if "reviewed" in e:
            if e["reviewed"] is not True or set(e) - {"audio", "reviewed"}:
                raise _entry_error(path, i, 'a call entry is {"audio": PATH, "reviewed": true}')
            out.append(entry)
            continue
        unknown = set(e) - {"audio", "start", "end", "category", "status", "role"}
        if unknown:
            raise _entry_error(path, i, f"unknown keys {sorted(unknown)}")
        if e.get("category") not in CATEGORIES:
            raise _entry_error(path, i, f"category {e.get('category')!r} is not one of {', '.join(CATEGORIES)}")
        if e.get("status") not in STATUSES:
            raise _entry_error(path, i, f"status {e.get('status')!r} is not one of {', '.join(STATUSES)}")
        if e.get("role", BOTH) not in ROLES:
            raise _entry_error(path, i, f"role {e.get('role')!r} is not one of {', '.join(ROLES)}")
        try:
            start, end = float(e["start"]), float(e["end"])
        except (KeyError, TypeError, ValueError):
            raise _entry_error(path, i, "needs numeric 'start' and 'end' seconds") from None
        if not 0 <= start < end:
            raise _entry_error(path, i, f"bad bounds {start}..{end}: need 0 <= start < end")
        out.append(dict(entry, start=start, end=end, role=e.get("role", BOTH)))
    return out


def import_labels(engine, path: str | Path, reviewer: str, settings: Settings,
                  cancel: CancelToken | None = None) -> Generator[Progress, None, ImportReport]:
    """Apply a label file to the library (a generator of Progress; returns the ImportReport)."""
    from reviewer_app.core.audio.decode import sha256_of_file
    from reviewer_app.core.batch import analyze_many
    from reviewer_app.core.storage import repository

    cancel = cancel or CancelToken()
    entries = read_label_file(path)
    report = ImportReport()
    by_audio: dict[str, list[dict]] = defaultdict(list)
    for e in entries:
        by_audio[e["audio"]].append(e)
    calls: dict[str, tuple[int, str]] = {}  # audio -> (call id, sha256)
    missing = []
    for audio in by_audio:
        try:
            summary = repository.find_call(engine, sha256_of_file(audio))
        except ReviewerError as exc:  # missing or unreadable: the other files still count
            report.errors.append(str(exc))
            continue
        if summary is None:
            missing.append(audio)
        else:
            calls[audio] = (summary.id, summary.sha256)
    if missing:
        gen = analyze_many(missing, settings, engine, cancel=cancel)
        while True:
            try:
                p = next(gen)
            except StopIteration as stop:
                outcomes = stop.value
                break
            yield Progress(0.8 * p.fraction * len(by_audio), len(by_audio), f"analysing: {p.message}")
        for o in outcomes:
            if o.error:
                report.errors.append(o.error)
            else:
                report.analysed += 1
                calls[o.path] = (repository.find_call(engine, o.analysis.audio.sha256).id,
                                 o.analysis.audio.sha256)
    for n, (audio, items) in enumerate(by_audio.items()):
        cancel.raise_if_cancelled()
        yield Progress(0.8 * len(by_audio) + 0.2 * n, len(by_audio), f"labels of {Path(audio).name}")
        if audio in calls:
            _apply_call(engine, *calls[audio], items, reviewer, report)
    yield Progress(len(by_audio), len(by_audio), "labels imported")
    return report


def _apply_call(engine, call_id: int, sha256: str, items: list[dict], reviewer: str,
                report: ImportReport) -> None:
    from reviewer_app.core.storage import repository
    from reviewer_app.core.storage.labels import LabelStore

    store = LabelStore(engine)
    analysis = repository.load_analysis(engine, sha256)
    mono = analysis is not None and tuple(analysis.audio.roles) == (BOTH,)
    for e in (e for e in items if "reviewed" not in e):
        role = BOTH if mono else e["role"]
        segments = repository.load_segments(engine, call_id)
        same = [s for s in segments if s.category == e["category"] and s.role == role
                and abs(s.start - e["start"]) < SAME_S and abs(s.end - e["end"]) < SAME_S]
        wanted = {"confirmed": ("confirmed", "edited"), "rejected": ("rejected",), "added": ("added",)}[e["status"]]
        if any(s.status in wanted for s in same):
            report.unchanged += 1
            continue
        if e["status"] == "added":
            store.add(call_id, reviewer, e["start"], e["end"], e["category"], role)
            report.applied += 1
            continue
        match = _best_prediction(segments, e, role)
        if e["status"] == "confirmed":
            if match is None:
                store.add(call_id, reviewer, e["start"], e["end"], e["category"], role)
            elif abs(match.start - e["start"]) < SAME_S and abs(match.end - e["end"]) < SAME_S:
                store.confirm(match.id, reviewer, expected_version=match.version)
            else:
                store.edit(match.id, reviewer, start=e["start"], end=e["end"], role=role,
                           expected_version=match.version)
        else:
            if match is None:
                new_id = store.add(call_id, reviewer, e["start"], e["end"], e["category"], role)
                store.reject(new_id, reviewer)
            else:
                store.reject(match.id, reviewer, expected_version=match.version)
        report.applied += 1
    if any("reviewed" in e for e in items):
        store.mark_reviewed(call_id, reviewer)
        report.reviewed += 1


def _best_prediction(segments, e: dict, role: str):
    """The untouched prediction of the entry's category that overlaps it most."""
    best, best_overlap = None, 0.0
    for s in segments:
        if s.status != "predicted" or s.category != e["category"]:
            continue
        if s.role != role and BOTH not in (s.role, role):
            continue
        if not overlaps_enough((s.start, s.end), (e["start"], e["end"])):
            continue
        overlap = min(s.end, e["end"]) - max(s.start, e["start"])
        if overlap > best_overlap:
            best, best_overlap = s, overlap
    return best


def export_labels(engine, path: str | Path) -> int:
    """Write every human label in the library to `path`; returns the number of entries."""
    from reviewer_app.core.storage import repository

    status_out = {"confirmed": "confirmed", "edited": "confirmed", "added": "added", "rejected": "rejected"}
    entries = []
    for call in repository.list_calls(engine):
        for s in repository.load_segments(engine, call.id):
            if s.status in status_out:
                entries.append({"audio": call.path, "start": round(s.start, 3), "end": round(s.end, 3),
                                "category": s.category, "status": status_out[s.status], "role": s.role})
        if call.review_status == "reviewed":
            entries.append({"audio": call.path, "reviewed": True})
    write_text_atomic(path, json.dumps(entries, ensure_ascii=False, indent=1))
    return len(entries)
