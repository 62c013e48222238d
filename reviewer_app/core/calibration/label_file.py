"""A reviewer's calibration decisions from a labels JSON (the format of `labels_io`, as `export
--format json` writes it and `import` reads it), for reviewers who label in another tool.

Each entry belongs to the session's call whose audio it names. With a `segment` that is one of the
call's findings: "confirmed" confirms it (or moves it, when the bounds, category or role differ),
"rejected" rejects it. Without one, an entry is matched by overlap to a finding of its category not
yet decided in the file (as `evaluate` matches): confirmed / rejected as above; an "added" entry, and
a confirmed one that matches no finding, is a segment the reviewer adds; a rejected one that matches
none says nothing about the session and is left out. `reviewed` entries are ignored.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from reviewer_app.core.calibration.sessions import SessionCall, SessionData
from reviewer_app.core.calibration.units import Decision, Finding
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.evaluate import match_segments
from reviewer_app.core.messages import show_name

SAME_S = 1e-3


@dataclass
class CallDecisions:
    confirm: list[int] = field(default_factory=list)
    reject: list[int] = field(default_factory=list)
    edit: list[Decision] = field(default_factory=list)
    add: list[Decision] = field(default_factory=list)


def decisions_from_label_file(engine: Engine, data: SessionData, path: str | Path) -> dict[int, CallDecisions]:
    """Call id -> the decisions the file holds for it (only calls the file names)."""
    from reviewer_app.core.exchange.library import resolve_call
    from reviewer_app.core.labels_io import read_label_file

    path = Path(path)
    entries = [e for e in read_label_file(path) if "start" in e]
    by_call: dict[int, list[dict]] = {}
    calls: dict[str, int] = {}
    for e in entries:
        if e["audio"] not in calls:
            try:
                found = resolve_call(engine, e["audio"])
            except ReviewerError:
                found = None
            if found is None or found.id not in data.summary.call_ids:
                raise ReviewerError(f"{show_name(path)} entry {e['n'] + 1}: {show_name(e['audio'])} is not a call "
                                    f"of calibration session {data.summary.id}")
            calls[e["audio"]] = found.id
        by_call.setdefault(calls[e["audio"]], []).append(e)
    return {call_id: _decisions(data.call(call_id), found, path) for call_id, found in by_call.items()}


def _decisions(call: SessionCall, entries: list[dict], path: Path) -> CallDecisions:
    findings = {f.segment_id: f for f in call.findings}
    out = CallDecisions()
    decided: set[int] = set()
    loose = []
    for e in entries:
        segment_id = e.get("segment")
        if segment_id is None or e["status"] == "added":
            loose.append(e)
            continue
        if segment_id not in findings:
            raise ReviewerError(f"{show_name(path)} entry {e['n'] + 1}: segment {segment_id} is not a finding of "
                                f"call {call.call_id} in this session")
        if segment_id in decided:
            raise ReviewerError(f"{show_name(path)} entry {e['n'] + 1}: segment {segment_id} is decided twice")
        decided.add(segment_id)
        _decide(out, findings[segment_id], e)
    open_findings = [f for f in call.findings if f.segment_id not in decided]
    matchable = [e for e in loose if e["status"] != "added"]
    pairs = match_segments(matchable, [{"start": f.start, "end": f.end, "category": f.category}
                                       for f in open_findings])
    matched = {i: open_findings[j] for i, j in pairs}
    for i, e in enumerate(matchable):
        if i in matched:
            _decide(out, matched[i], e)
        elif e["status"] == "confirmed":
            out.add.append(Decision(None, "add", e["start"], e["end"], e["role"], e["category"]))
    out.add += [Decision(None, "add", e["start"], e["end"], e["role"], e["category"])
                for e in loose if e["status"] == "added"]
    return out


def _decide(out: CallDecisions, finding: Finding, e: dict) -> None:
    if e["status"] == "rejected":
        out.reject.append(finding.segment_id)
        return
    same = (abs(e["start"] - finding.start) <= SAME_S and abs(e["end"] - finding.end) <= SAME_S
            and e["category"] == finding.category and e["role"] == finding.role)
    if same:
        out.confirm.append(finding.segment_id)
    else:
        out.edit.append(Decision(finding.segment_id, "edit", e["start"], e["end"], e["role"], e["category"]))
