"""Praat TextGrid (ooTextFile, long format): an IntervalTier per role with the transcript, and the problems.

Every IntervalTier tiles the whole call, 0 to its duration, with empty
intervals between the labelled ones, as Praat requires. Problems that overlap
cannot share a tier, so they spill over into `problems 2`, `problems 3`, ...
(and overlapping turns of one role into `agent 2`, ...). A problem reads
`category [role]`.

The reader takes the long or the short text format (it reads the values in
order and skips the `name =` words), so a TextGrid saved back by Praat
imports too.

The export adds a point tier `reviewer-app export` whose one mark is the UTC time of the
export; the import uses it to find changes made since (exchange.apply: conflicts). The reader
never believes a size the file claims beyond what its text holds, and every interval of a
problems tier is checked (finite, ordered, within the call) before anything is applied.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.exchange.apply import ENTRY_ORDER, CallPlan, Entry
from reviewer_app.core.exchange.limits import END_TOLERANCE_S, check_count, read_bytes
from reviewer_app.core.messages import show_name, show_value
from reviewer_app.core.storage.models import utcnow
from reviewer_app.core.exchange.library import (
    CallRecord,
    call_for_stem,
    call_roles,
    label_entry,
    label_text,
    unique_stems,
    write_text,
)
from reviewer_app.core.storage.repository import CallSummary

PROBLEMS_TIER = "problems"
EXPORT_TIER = "reviewer-app export"

Interval = tuple[float, float, str]


@dataclass
class Tier:
    name: str
    intervals: list[Interval] = field(default_factory=list)  # (xmin, xmax, text), tiling xmin..xmax
    kind: str = "IntervalTier"
    points: list[tuple[float, str]] = field(default_factory=list)  # a TextTier's (time, mark)


@dataclass
class TextGrid:
    xmin: float
    xmax: float
    tiers: list[Tier]

    def tier(self, name: str) -> Tier:
        for t in self.tiers:
            if t.name == name:
                return t
        raise KeyError(name)


def layers(items: list[Interval]) -> list[list[Interval]]:
    """Split intervals into as few lists as possible with no overlap inside a list (by start)."""
    out: list[list[Interval]] = []
    for item in sorted(items):
        for layer in out:
            if layer[-1][1] <= item[0]:
                layer.append(item)
                break
        else:
            out.append([item])
    return out or [[]]


def tile(items: list[Interval], xmax: float) -> list[Interval]:
    """Non-overlapping intervals with empty ones filled in, covering 0..xmax exactly."""
    out: list[Interval] = []
    cursor = 0.0
    for start, end, text in sorted(items):
        start, end = max(start, cursor), min(end, xmax)
        if end <= start:
            continue
        if start > cursor:
            out.append((cursor, start, ""))
        out.append((start, end, text))
        cursor = end
    if cursor < xmax or not out:
        out.append((cursor, xmax, ""))
    return out


def _tiers(name: str, items: list[Interval], xmax: float) -> list[Tier]:
    return [Tier(name if i == 0 else f"{name} {i + 1}", tile(layer, xmax))
            for i, layer in enumerate(layers(items))]


def textgrid_for(record: CallRecord, exported_at: datetime | None = None) -> TextGrid:
    a = record.analysis
    # a label stored past the call's end (before imports refused them) must not stretch the grid to 1e308
    limit = a.audio.duration_s + END_TOLERANCE_S
    xmax = max([a.audio.duration_s] + [t.end for t in a.transcript if t.end <= limit]
               + [s.end for s in record.findings if s.end <= limit])
    tiers: list[Tier] = []
    for role in a.audio.roles:
        turns = [(t.start, t.end, t.text.strip()) for t in a.transcript
                 if (t.role == role or len(a.audio.roles) == 1) and t.end > t.start]
        tiers += _tiers(role, turns, xmax)
    tiers += _tiers(PROBLEMS_TIER, [(s.start, s.end, label_text(s)) for s in record.findings], xmax)
    if exported_at is not None:
        tiers.append(Tier(EXPORT_TIER, kind="TextTier", points=[(0.0, exported_at.astimezone(UTC).isoformat())]))
    return TextGrid(0.0, xmax, tiers)


def _q(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _num(x: float) -> str:
    return repr(round(float(x), 6))


def dumps(grid: TextGrid) -> str:
    lines = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "",
             f"xmin = {_num(grid.xmin)} ", f"xmax = {_num(grid.xmax)} ", "tiers? <exists> ",
             f"size = {len(grid.tiers)} ", "item []: "]
    for i, tier in enumerate(grid.tiers, 1):
        lines += [f"    item [{i}]:", f"        class = {_q(tier.kind)} ", f"        name = {_q(tier.name)} ",
                  f"        xmin = {_num(grid.xmin)} ", f"        xmax = {_num(grid.xmax)} ",
                  ]
        if tier.kind == "TextTier":
            lines.append(f"        points: size = {len(tier.points)} ")
            for j, (time, mark) in enumerate(tier.points, 1):
                lines += [f"        points [{j}]:", f"            number = {_num(time)} ",
                          f"            mark = {_q(mark)} "]
            continue
        lines.append(f"        intervals: size = {len(tier.intervals)} ")
        for j, (start, end, text) in enumerate(tier.intervals, 1):
            lines += [f"        intervals [{j}]:", f"            xmin = {_num(start)} ",
                      f"            xmax = {_num(end)} ", f"            text = {_q(text)} "]
    return "\n".join(lines) + "\n"


_TOKEN = re.compile(r'"((?:[^"]|"")*)"|\[\d*\]|(<exists>|<absent>)|(?<![\w.])(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)')


def _count(value, limit: int, what: str) -> int:
    """A size the file claims, believed only up to what the rest of the file can hold."""
    if not isinstance(value, float) or not value.is_integer() or not 0 <= value <= limit:
        shown = f"{value:g}" if isinstance(value, float) else show_value(value)
        raise ValueError(f"{what} {shown} is not a count this file can hold (at most {limit})")
    return int(value)


def _tokens(text: str):
    """The values of a TextGrid text in order (quoted text, <exists>, numbers), read lazily."""
    for m in _TOKEN.finditer(text):
        if m.group(1) is not None:
            yield m.group(1).replace('""', '"')
        elif m.group(2) is not None:
            yield m.group(2)
        elif m.group(3) is not None:
            yield float(m.group(3))


MIN_INTERVAL_CHARS = 6  # `0 1 ""`: no interval takes fewer characters, so no claim exceeds len(text) / 6


def loads(text: str) -> TextGrid:
    """Parse a TextGrid; the values are read one by one, so memory follows what the file holds,
    never what it claims (a size is believed only up to what the text could hold)."""
    tokens = _tokens(text)

    def take(n: int = 1) -> list:
        out = [next(tokens, _END) for _ in range(n)]
        if _END in out:
            raise IndexError("the file ends early")
        return out

    try:
        if take(2) != ["ooTextFile", "TextGrid"]:
            raise ValueError("not an ooTextFile TextGrid")
        xmin, xmax, flag, n = take(4)
        limit = len(text) // MIN_INTERVAL_CHARS
        tiers = []
        for _ in range(_count(n, limit, "tier count") if flag == "<exists>" else 0):
            kind, name, _xmin, _xmax, claimed = take(5)
            width = 3 if kind == "IntervalTier" else 2  # a TextTier holds (time, mark) points
            items = []
            for _k in range(_count(claimed, limit, f"tier {len(tiers) + 1}: interval count")):
                item = take(width)
                if not isinstance(item[-1], str):
                    raise ValueError(f"tier {len(tiers) + 1}: a name or label is not quoted text")
                if any(not isinstance(x, float) for x in item[:-1]):
                    raise ValueError(f"tier {len(tiers) + 1}: a time is not a number")
                items.append(tuple(item))
            if not isinstance(name, str):
                raise ValueError(f"tier {len(tiers) + 1}: a name or label is not quoted text")
            if width == 3:
                tiers.append(Tier(name, items, kind))
            else:
                tiers.append(Tier(name, [], str(kind), items))
        return TextGrid(float(xmin), float(xmax), tiers)
    except (IndexError, ValueError, TypeError, OverflowError) as exc:
        raise ReviewerError(f"not a Praat TextGrid text file ({exc})") from None


_END = object()


def exported_at_of(grid: TextGrid) -> datetime | None:
    for tier in grid.tiers:
        if tier.name == EXPORT_TIER and tier.points:
            try:
                at = datetime.fromisoformat(tier.points[0][1].strip())
            except ValueError:
                raise ReviewerError(f"tier {EXPORT_TIER!r}: {show_value(tier.points[0][1])} is not a time") from None
            return at if at.tzinfo else at.replace(tzinfo=UTC)
    return None


def labels_from(grid: TextGrid, roles: tuple[str, ...], where: str = "TextGrid",
                duration_s: float | None = None) -> list[Entry]:
    labels = []
    for tier in grid.tiers:
        if tier.name != PROBLEMS_TIER and not re.fullmatch(rf"{PROBLEMS_TIER} \d+", tier.name):
            continue
        for n, (start, end, text) in enumerate(tier.intervals, 1):
            if not text.strip():
                continue
            at = f"{where} tier {show_value(tier.name)} interval {n}"
            labels.append(label_entry(at, start, end, text, duration_s, roles))
            check_count(len(labels), where)
    return sorted(labels, key=ENTRY_ORDER)


def export(records: list[CallRecord], out_dir: Path, exported_at: datetime | None = None) -> list[Path]:
    exported_at = exported_at or utcnow()
    stems = unique_stems(records)
    return [write_text(out_dir / f"{stems[r.summary.id]}.TextGrid", dumps(textgrid_for(r, exported_at)))
            for r in records]


def read_plan(engine: Engine, path: Path, *, call: CallSummary | None = None,
              reject_missing: bool = True) -> CallPlan:
    """One TextGrid as the plan for its call (by default the call whose file stem it carries)."""
    path = Path(path)
    raw = read_bytes(path, "TextGrid")
    try:
        text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReviewerError(f"{show_name(path)}: cannot read ({exc.reason})") from None
    try:
        grid = loads(text)
        exported_at = exported_at_of(grid)
    except ReviewerError as exc:
        raise ReviewerError(f"{show_name(path)}: {exc}") from None
    call = call or call_for_stem(engine, path.stem)
    roles = call_roles(engine, call)
    entries = labels_from(grid, roles, show_name(path), call.duration_s)
    return CallPlan(call, entries, show_name(path), reject_missing=reject_missing, exported_at=exported_at)
