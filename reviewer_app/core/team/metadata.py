"""Who handled a call, in which team, on which day: from the file name or from a CSV of call metadata.

A file-name pattern is a regular expression with a named group `agent` and
optional groups `team` and `date`, searched in the call's stored path (so it
may span folders): `(?P<date>\\d{4}-\\d{2}-\\d{2})/(?P<team>\\w+)_(?P<agent>\\w+)_`.

A metadata CSV has a header row with `agent` (or `agent_id`), optional `team`
and `date`, and `sha256` or `path` (or `file`) to find the call: by sha256,
else by the exact stored path, else by file name. Dates may be 2024-03-01,
2024/03/01, 20240301 or an ISO date-time.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.storage.repository import CallSummary


@dataclass(frozen=True)
class CallMeta:
    agent: str | None = None
    team: str | None = None
    date: date | None = None


def parse_date(text: str | None) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    match = re.fullmatch(r"(\d{4})[-_/.]?(\d{2})[-_/.]?(\d{2})", text)
    try:
        if match:
            return date(*map(int, match.groups()))
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def compile_pattern(pattern: str) -> re.Pattern:
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise ReviewerError(f"file-name pattern {pattern!r}: {exc}") from None
    if "agent" not in regex.groupindex:
        raise ReviewerError(f"file-name pattern {pattern!r} needs a named group (?P<agent>...)")
    return regex


PATTERN_PRESETS = {  # name -> file-name pattern; the dashboard offers them beside a metadata CSV
    "date_team_agent_ in the file name (2026-01-31_sales_ana_…)":
        r"(?P<date>\d{4}-\d{2}-\d{2})_(?P<team>[A-Za-z]+)_(?P<agent>[A-Za-z]+)_",
    "agent = the call's folder (…/ana/call.wav)": r"(?P<agent>[^/\\]+)[/\\][^/\\]+$",
    "team/agent folders (…/sales/ana/call.wav)": r"(?P<team>[^/\\]+)[/\\](?P<agent>[^/\\]+)[/\\][^/\\]+$",
    "agentNN in the file name (agent07)": r"(?P<agent>agent\d+)",
}


def from_pattern(calls: Iterable[CallSummary], pattern: str) -> dict[int, CallMeta]:
    """Metadata for each call whose path the pattern matches, by call id."""
    regex = compile_pattern(pattern)
    out = {}
    for call in calls:
        match = regex.search(call.path)
        if match and match.group("agent"):
            groups = match.groupdict()
            out[call.id] = CallMeta(groups["agent"], groups.get("team") or None, parse_date(groups.get("date")))
    return out


def _column(header: list[str], *names: str) -> str | None:
    lowered = {h.strip().lower(): h for h in header}
    return next((lowered[n] for n in names if n in lowered), None)


def from_csv(calls: Iterable[CallSummary], path: str | Path) -> dict[int, CallMeta]:
    """Metadata for each call a row of the CSV names, by call id."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ReviewerError(f"{path}: cannot read the call metadata ({exc})") from None
    agent_col = _column(header, "agent", "agent_id", "agent id")
    sha_col = _column(header, "sha256", "sha")
    path_col = _column(header, "path", "file", "filename", "audio")
    if agent_col is None or (sha_col is None and path_col is None):
        raise ReviewerError(f"{path}: needs an 'agent' column and a 'sha256' or 'path' column, has {header}")
    team_col, date_col = _column(header, "team"), _column(header, "date", "call_date")
    calls = list(calls)
    by_sha = {c.sha256: c for c in calls}
    by_path = {c.path: c for c in calls}
    by_name: dict[str, list[CallSummary]] = {}
    for c in calls:
        by_name.setdefault(Path(c.path).name, []).append(c)
    out = {}
    for row in rows:
        call = by_sha.get((row.get(sha_col) or "").strip().lower()) if sha_col else None
        if call is None and path_col and row.get(path_col):
            ref = row[path_col].strip()
            named = by_name.get(Path(ref).name, [])
            call = by_path.get(ref) or (named[0] if len(named) == 1 else None)
        agent = (row.get(agent_col) or "").strip()
        if call is not None and agent:
            out[call.id] = CallMeta(agent, (row.get(team_col) or "").strip() or None if team_col else None,
                                    parse_date(row.get(date_col)) if date_col else None)
    return out


def call_date(call: CallSummary, meta: CallMeta | None) -> date | None:
    """The call's day: from its metadata, else the day it was analysed."""
    if meta is not None and meta.date is not None:
        return meta.date
    return call.analysed_at.date() if call.analysed_at else None
