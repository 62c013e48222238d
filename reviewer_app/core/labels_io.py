"""Label files: bring reviewers' labels in from JSON, and write the library's labels out.

The file is a JSON list of entries:

    {"audio": PATH, "start": s, "end": s, "category": ID,
     "status": "confirmed" | "rejected" | "added", "role": "agent" | "customer" | "both",
     "segment": ID, "version": N}                           (the last two written by the export; optional)
    {"audio": PATH, "reviewed": true}
    {"exported_at": "2026-11-30T05:09:16.123456+00:00"}   (written by the export; optional)

`role` is optional (a mono call has the one role `both`, and so does an entry
without a role). A relative PATH is relative to the label file's folder. Audio
is matched by content (sha256): audio not yet in the library is analysed
first. An audio path must be a regular file (a FIFO or a device is refused
without being opened).

Importing (exchange.import_label_file) is the one label import of exchange.apply (read its docstring for
the rule): the whole file is checked first, and a bad entry (or audio that is
missing or fails to analyse) refuses the import naming the file and the entry;
then every label is applied in one transaction. Entries are decisions about a
stretch: confirmed (the overlapping prediction is confirmed, or moved to the
file's bounds), rejected (it is rejected; with none, the segment is added as
rejected so the negative is on record), added; `reviewed` marks the call
reviewed. A labels JSON never rejects what it leaves out. Changes other
reviewers made after `exported_at` are conflicts, left as they are.

Entries already in the library as given are left alone, so importing the same
file twice changes nothing. Export writes confirmed and edited segments as
"confirmed", added as "added", rejected as "rejected", and reviewed calls.
"""
from __future__ import annotations

import json
from collections.abc import Generator
from datetime import UTC, datetime
from pathlib import Path

from reviewer_app.core.atomic import write_text_atomic
from reviewer_app.core.domain import BOTH, CATEGORIES, ROLES
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.exchange.apply import CallPlan, Entry, ImportReport
from reviewer_app.core.exchange.limits import MAX_LABELS, file_problem, load_json, seconds, time_problem
from reviewer_app.core.messages import show_name, show_value
from reviewer_app.core.progress import CancelToken, Progress, relay, write_here
from reviewer_app.core.settings import Settings

STATUSES = ("confirmed", "rejected", "added")

__all__ = ["ImportReport", "export_labels", "read_label_file", "read_plans"]


def _entry_error(path: Path, i: int, message: str) -> ReviewerError:
    return ReviewerError(f"{show_name(path)} entry {i + 1}: {message}")


def read_label_file(path: str | Path) -> list[dict]:
    """Entries with `audio` made absolute (and `n`, the entry's index); raises ReviewerError naming
    the entry that is wrong. An `exported_at` entry comes back as {"exported_at": datetime}."""
    path = Path(path)
    if not path.exists():
        raise ReviewerError(f"{show_name(path)}: label file not found")
    data = load_json(path, "label file")
    if not isinstance(data, list):
        raise ReviewerError(f"{show_name(path)}: a label file is a JSON list of entries")
    if len(data) > MAX_LABELS:
        raise ReviewerError(f"{show_name(path)}: {len(data)} entries is over the limit of {MAX_LABELS}")
    out = []
    resolved: dict[str, str] = {}  # audio as written -> absolute path
    for i, e in enumerate(data):
        if isinstance(e, dict) and set(e) == {"exported_at"}:
            try:
                at = datetime.fromisoformat(str(e["exported_at"]))
            except ValueError:
                raise _entry_error(path, i, f"exported_at {show_value(e['exported_at'])} is not a time") from None
            out.append({"exported_at": at if at.tzinfo else at.replace(tzinfo=UTC), "n": i})
            continue
        if not isinstance(e, dict) or not isinstance(e.get("audio"), str) or not e["audio"]:
            raise _entry_error(path, i, "needs an 'audio' path")
        audio = resolved.get(e["audio"])
        if audio is None:
            if "\x00" in e["audio"]:
                raise _entry_error(path, i, f"audio path {show_value(e['audio'])} holds a NUL character")
            p = Path(e["audio"]).expanduser()
            audio = resolved[e["audio"]] = str(p if p.is_absolute() else (path.parent / p).resolve())
        entry = dict(e, n=i, audio=audio)
        if "reviewed" in e:
            if e["reviewed"] is not True or set(e) - {"audio", "reviewed"}:
                raise _entry_error(path, i, 'a call entry is {"audio": PATH, "reviewed": true}')
            out.append(entry)
            continue
        unknown = set(e) - {"audio", "start", "end", "category", "status", "role", "segment", "version"}
        if unknown:
            raise _entry_error(path, i, f"unknown keys {show_value(sorted(map(str, unknown)))}")
        if e.get("category") not in CATEGORIES:
            raise _entry_error(path, i, f"category {show_value(e.get('category'))} is not one of {', '.join(CATEGORIES)}")
        if e.get("status") not in STATUSES:
            raise _entry_error(path, i, f"status {show_value(e.get('status'))} is not one of {', '.join(STATUSES)}")
        if e.get("role", BOTH) not in ROLES:
            raise _entry_error(path, i, f"role {show_value(e.get('role'))} is not one of {', '.join(ROLES)}")
        if "start" not in e or "end" not in e:
            raise _entry_error(path, i, "needs numeric 'start' and 'end' seconds")
        try:
            start, end = seconds(e["start"], "start"), seconds(e["end"], "end")
        except ValueError as exc:
            raise _entry_error(path, i, str(exc)) from None
        problem = time_problem(start, end)
        if problem:
            raise _entry_error(path, i, problem)
        ids = [e.get(k) for k in ("segment", "version")]
        if any(x is not None for x in ids) and not all(type(x) is int and 0 < x < 2**62 for x in ids):
            raise _entry_error(path, i, "'segment' and 'version' go together, as positive whole numbers")
        out.append(dict(entry, start=start, end=end, role=e.get("role", BOTH)))
    return out


def read_plans(engine, path: str | Path, settings: Settings, cancel: CancelToken | None = None, *,
               reject_missing: bool = False, run_write=write_here
               ) -> Generator[Progress, None, tuple[list[CallPlan], int]]:
    """The label file as checked plans, one per audio (audio not yet in the library is analysed first,
    stored through `run_write`); returns (plans, files analysed). Any bad entry or audio raises
    ReviewerError and nothing is applied."""
    from reviewer_app.core.audio.decode import sha256_of_file
    from reviewer_app.core.batch import analyze_many
    from reviewer_app.core.exchange.library import call_roles
    from reviewer_app.core.storage import repository

    path = Path(path)
    cancel = cancel or CancelToken()
    entries = read_label_file(path)
    exported_at = next((e["exported_at"] for e in entries if "exported_at" in e), None)
    by_audio: dict[str, list[dict]] = {}
    for e in entries:
        if "audio" in e:
            by_audio.setdefault(e["audio"], []).append(e)
    calls: dict[str, object] = {}
    missing: list[str] = []
    for audio, items in by_audio.items():
        problem = file_problem(audio, "audio")
        if problem is None:
            try:
                found = repository.find_call(engine, sha256_of_file(audio))
            except ReviewerError as exc:
                problem = str(exc)
        if problem:
            raise _entry_error(path, items[0]["n"], problem + " (nothing was imported)")
        if found is None:
            missing.append(audio)
        else:
            calls[audio] = found
    analysed = 0
    if missing:
        outcomes = yield from relay(analyze_many(missing, settings, engine, cancel=cancel, run_write=run_write),
                                    lambda p: Progress(p.fraction, 1, f"analysing: {p.message}"))
        for o in outcomes:
            if o.error:
                raise _entry_error(path, by_audio[o.path][0]["n"],
                                   f"audio could not be analysed ({o.error}); no label was imported")
            analysed += 1
            calls[o.path] = repository.find_call(engine, o.analysis.audio.sha256)
    plans = []
    shown = show_name(path)
    for audio, items in by_audio.items():
        call = calls[audio]
        mono = call_roles(engine, call) == (BOTH,)
        labels = [Entry(e["start"], e["end"], e["category"], BOTH if mono else e["role"], e["status"],
                        f"{shown} entry {e['n'] + 1}", e.get("segment"), e.get("version"))
                  for e in items if "reviewed" not in e]
        plans.append(CallPlan(call, labels, f"{shown} ({show_name(Path(audio).name, 80)})",
                              reject_missing=reject_missing, mark_reviewed=any("reviewed" in e for e in items),
                              exported_at=exported_at))
    return plans, analysed


def export_labels(engine, path: str | Path) -> int:
    """Write every human label in the library to `path`; returns the number of entries."""
    from reviewer_app.core.storage import repository
    from reviewer_app.core.storage.models import utcnow

    status_out = {"confirmed": "confirmed", "edited": "confirmed", "added": "added", "rejected": "rejected"}
    entries: list[dict] = [{"exported_at": utcnow().isoformat()}]  # before reading: see the conflict rule
    for call in repository.list_calls(engine):
        for s in repository.load_segments(engine, call.id):
            if s.status in status_out:
                entries.append({"audio": call.path, "start": round(s.start, 3), "end": round(s.end, 3),
                                "category": s.category, "status": status_out[s.status], "role": s.role,
                                "segment": s.id, "version": s.version})
        if call.review_status == "reviewed":
            entries.append({"audio": call.path, "reviewed": True})
    write_text_atomic(path, json.dumps(entries, ensure_ascii=False, indent=1))
    return len(entries) - 1
