"""Praat TextGrid (ooTextFile, long format): an IntervalTier per role with the transcript, and the problems.

Every IntervalTier tiles the whole call, 0 to its duration, with empty
intervals between the labelled ones, as Praat requires. Problems that overlap
cannot share a tier, so they spill over into `problems 2`, `problems 3`, ...
(and overlapping turns of one role into `agent 2`, ...). A problem reads
`category [role]`.

The reader takes the long or the short text format (it reads the values in
order and skips the `name =` words), so a TextGrid saved back by Praat
imports too.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
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

PROBLEMS_TIER = "problems"

Interval = tuple[float, float, str]


@dataclass
class Tier:
    name: str
    intervals: list[Interval] = field(default_factory=list)  # (xmin, xmax, text), tiling xmin..xmax
    kind: str = "IntervalTier"


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


def textgrid_for(record: CallRecord) -> TextGrid:
    a = record.analysis
    xmax = max([a.audio.duration_s] + [t.end for t in a.transcript] + [s.end for s in record.findings])
    tiers: list[Tier] = []
    for role in a.audio.roles:
        turns = [(t.start, t.end, t.text.strip()) for t in a.transcript
                 if (t.role == role or len(a.audio.roles) == 1) and t.end > t.start]
        tiers += _tiers(role, turns, xmax)
    tiers += _tiers(PROBLEMS_TIER, [(s.start, s.end, label_text(s)) for s in record.findings], xmax)
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
                  f"        intervals: size = {len(tier.intervals)} "]
        for j, (start, end, text) in enumerate(tier.intervals, 1):
            lines += [f"        intervals [{j}]:", f"            xmin = {_num(start)} ",
                      f"            xmax = {_num(end)} ", f"            text = {_q(text)} "]
    return "\n".join(lines) + "\n"


_TOKEN = re.compile(r'"((?:[^"]|"")*)"|\[\d*\]|(<exists>|<absent>)|(?<![\w.])(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)')


def loads(text: str) -> TextGrid:
    tokens: list = []
    for m in _TOKEN.finditer(text):
        if m.group(1) is not None:
            tokens.append(m.group(1).replace('""', '"'))
        elif m.group(2) is not None:
            tokens.append(m.group(2))
        elif m.group(3) is not None:
            tokens.append(float(m.group(3)))
    try:
        if tokens[:2] != ["ooTextFile", "TextGrid"]:
            raise ValueError("not an ooTextFile TextGrid")
        xmin, xmax, flag = tokens[2], tokens[3], tokens[4]
        pos, tiers = 6, []
        for _ in range(int(tokens[5]) if flag == "<exists>" else 0):
            kind, name, size = tokens[pos], tokens[pos + 1], int(tokens[pos + 4])
            pos += 5
            width = 3 if kind == "IntervalTier" else 2  # a TextTier holds (time, mark) points
            items = [tokens[pos + k * width: pos + (k + 1) * width] for k in range(size)]
            pos += width * size
            if not isinstance(name, str) or any(not isinstance(item[-1], str) for item in items):
                raise ValueError(f"tier {len(tiers) + 1}: a name or label is not quoted text")
            intervals = [(float(a), float(b), c) for a, b, c in items] if width == 3 else []
            tiers.append(Tier(name, intervals, kind))
        return TextGrid(float(xmin), float(xmax), tiers)
    except (IndexError, ValueError, TypeError) as exc:
        raise ReviewerError(f"not a Praat TextGrid text file ({exc})") from None


def labels_from(grid: TextGrid, roles: tuple[str, ...], where: str = "TextGrid") -> list[Label]:
    labels = []
    for tier in grid.tiers:
        if tier.name != PROBLEMS_TIER and not re.fullmatch(rf"{PROBLEMS_TIER} \d+", tier.name):
            continue
        for start, end, text in tier.intervals:
            if not text.strip():
                continue
            try:
                category, role = parse_label_text(text, default_role="")
            except ReviewerError as exc:
                raise ReviewerError(f"{where}: tier {tier.name!r} at {start:.3f} s: {exc}") from None
            labels.append(Label(start, end, category, role or default_role(category, roles)))
    return sorted(labels)


def export(records: list[CallRecord], out_dir: Path) -> list[Path]:
    stems = unique_stems(records)
    return [write_text(out_dir / f"{stems[r.summary.id]}.TextGrid", dumps(textgrid_for(r))) for r in records]


def import_textgrid(engine: Engine, path: Path, reviewer: str, *, call: CallSummary | None = None,
                    reject_missing: bool = True) -> ImportReport:
    path = Path(path)
    call = call or call_for_stem(engine, path.stem)
    analysis = repository.load_analysis(engine, call.sha256)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8-sig")
        grid = loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise ReviewerError(f"{path}: cannot read ({exc})") from None
    except ReviewerError as exc:
        raise ReviewerError(f"{path}: {exc}") from None
    labels = labels_from(grid, analysis.audio.roles, str(path))
    return apply_labels(engine, call.id, labels, reviewer, reject_missing=reject_missing)
