"""The call scorecard a supervisor reads in a minute: score and grade, a timeline with the problems,
the deductions table, and what was said around each problem. A PDF (A4), made with matplotlib.

    card = build_scorecard(engine, "call.wav")   # or a call id, a sha256, a CallSummary
    write_scorecard_pdf(card, "call.pdf")

The score is the score after review (rejected findings deduct nothing, added
ones do); the detector's own score is shown beside it when they differ.
"""
from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from reviewer_app.core import intervals
from reviewer_app.core.domain import CATEGORIES, CallScore
from reviewer_app.core.exchange.library import CallRecord, load_record, resolve_call
from reviewer_app.core.reports.charts import draw_timeline
from reviewer_app.core.reports.style import (
    A4_PORTRAIT, CATEGORY_COLOURS, GRADE_COLOURS, INK, MUTED, RULE, mmss, new_page, pretty, report_style, wrap,
)
from reviewer_app.core.settings import Settings
from reviewer_app.core.storage.repository import CallSummary, StoredSegment
from reviewer_app.core.team.metadata import CallMeta, call_date
from reviewer_app.core.team.metrics import reviewed_score

CONTEXT_S = 5.0  # transcript shown this long before and after a problem
MAX_TURNS = 5  # turns shown per problem
MAX_LINES_PER_TURN = 3


@dataclass(frozen=True)
class ExcerptLine:
    start: float
    role: str
    text: str
    inside: bool  # the turn overlaps the problem


@dataclass(frozen=True)
class Problem:
    number: int
    segment: StoredSegment
    lines: list[ExcerptLine]


@dataclass(frozen=True)
class DeductionRow:
    category: str
    count: int
    seconds: float
    points: int


@dataclass
class Scorecard:
    record: CallRecord
    score: CallScore  # after review
    detector_score: CallScore
    problems: list[Problem]
    deductions: list[DeductionRow]
    meta: CallMeta | None = None

    @property
    def title(self) -> str:
        return Path(self.record.summary.path).name


def _excerpt(record: CallRecord, seg: StoredSegment) -> list[ExcerptLine]:
    lo, hi = seg.start - CONTEXT_S, seg.end + CONTEXT_S
    turns = [t for t in record.analysis.transcript if t.end > lo and t.start < hi and t.text.strip()]
    turns = turns[-MAX_TURNS:] if seg.category == "missing_closing" else turns[:MAX_TURNS]
    return [ExcerptLine(t.start, t.role, t.text.strip(), t.end > seg.start and t.start < seg.end) for t in turns]


def build_scorecard(engine: Engine, call: CallSummary | str | int, settings: Settings | None = None,
                    meta: CallMeta | None = None) -> Scorecard:
    settings = settings or Settings()
    summary = call if isinstance(call, CallSummary) else resolve_call(engine, str(call))
    record = load_record(engine, summary)
    score = reviewed_score(record, settings)
    findings = sorted(record.findings, key=lambda s: (s.start, s.category))
    problems = [Problem(n, s, _excerpt(record, s)) for n, s in enumerate(findings, 1)]
    rows = []
    for cat in CATEGORIES:
        segs = [s for s in findings if s.category == cat]
        if segs:
            seconds = intervals.total(intervals.merge((s.start, s.end) for s in segs))
            rows.append(DeductionRow(cat, len(segs), seconds, score.deductions.get(cat, 0)))
    detector = record.analysis.score  # as the detector scored the call (repository.load_analysis)
    return Scorecard(record, score, detector, problems, rows, meta)


class _Flow:
    """Places text lines top-down on A4 pages, starting a new page when one is full."""

    TOP, BOTTOM, LEFT, RIGHT = 0.955, 0.05, 0.08, 0.92

    def __init__(self, pdf, footer: str) -> None:
        self.pdf, self.footer = pdf, footer
        self.fig, self.y, self.pages = None, self.TOP, 0

    def page(self):
        self.close()
        self.fig = new_page(A4_PORTRAIT)
        self.pages += 1
        self.y = self.TOP
        self.fig.text(self.LEFT, 0.025, self.footer, fontsize=7, color=MUTED)
        self.fig.text(self.RIGHT, 0.025, f"page {self.pages}", fontsize=7, color=MUTED, ha="right")
        return self.fig

    def need(self, height: float) -> None:
        if self.fig is None or self.y - height < self.BOTTOM:
            self.page()

    def line(self, text: str, x: float | None = None, step: float = 0.0145, **kw) -> None:
        self.need(step)
        self.fig.text(self.LEFT if x is None else x, self.y, text, va="top", **kw)
        self.y -= step

    def close(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            self.fig = None


def _header(flow: _Flow, card: Scorecard) -> None:
    from matplotlib.patches import FancyBboxPatch

    fig = flow.page()
    r, a = card.record, card.record.analysis
    flow.line("CALL SCORECARD", fontsize=8, color=MUTED, weight="bold", step=0.022)
    title = card.title if len(card.title) <= 48 else card.title[:46] + "…"
    flow.line(title, fontsize=15, color=INK, weight="bold", step=0.03)
    day = call_date(r.summary, card.meta)
    sides = "stereo: customer and agent" if len(a.audio.roles) > 1 else "mono: both sides on one channel"
    details = [f"{day:%Y-%m-%d}" if day else None, f"{mmss(a.audio.duration_s)} long", f"language {a.language}",
               sides]
    flow.line("  ·  ".join(d for d in details if d), fontsize=8.5, color=MUTED)
    if card.meta and card.meta.agent:
        team = f", team {card.meta.team}" if card.meta.team else ""
        flow.line(f"agent {card.meta.agent}{team}", fontsize=8.5, color=MUTED)
    reviewers = sorted({s.reviewer for s in r.segments if s.reviewer})
    if r.reviewed:
        review = f"{r.summary.review_status.replace('_', ' ')} by {', '.join(reviewers) or 'a reviewer'}"
        rejected = len(r.rejected)
        review += f"; {rejected} finding{'s' if rejected != 1 else ''} rejected" if rejected else ""
    else:
        review = "not reviewed yet: the findings are the detector's"
    flow.line(review, fontsize=8.5, color=MUTED)

    colour = GRADE_COLOURS.get(card.score.grade, MUTED)
    fig.add_artist(FancyBboxPatch((0.74, 0.855), 0.18, 0.095, boxstyle="round,pad=0.004,rounding_size=0.01",
                                  transform=fig.transFigure, facecolor=colour, edgecolor="none"))
    fig.text(0.83, 0.918, str(card.score.value), ha="center", va="center", fontsize=30, weight="bold",
             color="white")
    fig.text(0.83, 0.872, f"{card.score.grade.upper()}  ·  of 100", ha="center", va="center", fontsize=8.5,
             color="white", weight="bold")
    if card.detector_score.value != card.score.value:
        fig.text(0.83, 0.845, f"detector's score: {card.detector_score.value}", ha="center", va="top",
                 fontsize=7.5, color=MUTED)
    flow.y = min(flow.y, 0.835)


def _timeline(flow: _Flow, card: Scorecard) -> None:
    findings = [p.segment.segment for p in card.problems]
    rows = (2 if len(card.record.analysis.audio.roles) > 1 else 1) + len({f.category for f in findings})
    height = 0.03 * rows + 0.03
    flow.line("Timeline", fontsize=11, weight="bold", color=INK, step=0.022)
    flow.need(height + 0.04)
    ax = flow.fig.add_axes((0.2, flow.y - height, 0.72, height))
    draw_timeline(ax, card.record.analysis, findings)
    flow.y -= height + 0.045


def _deductions(flow: _Flow, card: Scorecard) -> None:
    flow.line("Deductions", fontsize=11, weight="bold", color=INK, step=0.024)
    cols = (flow.LEFT, 0.43, 0.58, 0.76)
    heads = ("problem", "found", "time", "points off")
    flow.need(0.02 * (len(card.deductions) + 3))
    for x, h in zip(cols, heads):
        flow.fig.text(x, flow.y, h, va="top", fontsize=8, color=MUTED, weight="bold")
    flow.y -= 0.017
    flow.fig.add_artist(_rule(flow.y + 0.002))
    flow.y -= 0.004
    if not card.deductions:
        flow.line("no problems found", fontsize=9, color=MUTED, step=0.018)
    for row in card.deductions:
        colour = CATEGORY_COLOURS[row.category]
        flow.fig.text(cols[0], flow.y, "■", va="top", fontsize=9, color=colour)
        flow.fig.text(cols[0] + 0.022, flow.y, pretty(row.category), va="top", fontsize=9, color=INK)
        flow.fig.text(cols[1], flow.y, str(row.count), va="top", fontsize=9)
        flow.fig.text(cols[2], flow.y, f"{row.seconds:.1f} s", va="top", fontsize=9)
        flow.fig.text(cols[3], flow.y, f"−{row.points}" if row.points else "0", va="top", fontsize=9,
                      weight="bold" if row.points else "normal")
        flow.y -= 0.018
    flow.fig.add_artist(_rule(flow.y + 0.002))
    flow.y -= 0.006
    lost = sum(card.score.deductions.values())
    flow.line(f"100 − {lost} = {card.score.value} ({card.score.grade})", x=cols[0], fontsize=9.5,
              weight="bold", step=0.03)


def _rule(y: float):
    from matplotlib.lines import Line2D

    return Line2D([_Flow.LEFT, _Flow.RIGHT], [y, y], color=RULE, linewidth=0.7)


def _excerpts(flow: _Flow, card: Scorecard) -> None:
    if not card.problems:
        return
    flow.line("What was said around each problem", fontsize=11, weight="bold", color=INK, step=0.026)
    for p in card.problems:
        s = p.segment
        flow.need(0.02 + 0.0145 * min(4, len(p.lines) + 1))
        status = {"predicted": "", "confirmed": " · confirmed", "edited": " · corrected",
                  "added": " · added by reviewer"}.get(s.status, "")
        head = f"#{p.number}  {pretty(s.category)}  {mmss(s.start)}–{mmss(s.end)}  ({s.role}){status}"
        flow.fig.text(flow.LEFT, flow.y, "■", va="top", fontsize=9, color=CATEGORY_COLOURS[s.category])
        flow.line(head, x=flow.LEFT + 0.022, fontsize=9, weight="bold", color=INK, step=0.016)
        if s.evidence:
            flow.line(s.evidence, x=flow.LEFT + 0.022, fontsize=8, color=MUTED, style="italic", step=0.0145)
        if not p.lines:
            flow.line("(nobody spoke within 5 s of it)", x=flow.LEFT + 0.022, fontsize=8, color=MUTED)
        for ln in p.lines:
            wrapped = wrap(ln.text, 86)
            if len(wrapped) > MAX_LINES_PER_TURN:
                wrapped = wrapped[:MAX_LINES_PER_TURN - 1] + [wrapped[MAX_LINES_PER_TURN - 1] + " …"]
            weight, colour = ("bold", INK) if ln.inside else ("normal", "#444444")
            flow.need(0.0135 * len(wrapped))
            flow.fig.text(flow.LEFT + 0.022, flow.y, f"{mmss(ln.start)}  {ln.role}", va="top", fontsize=7.5,
                          color=MUTED)
            if ln.inside:  # a bar in the problem's colour: bold alone is lost on CJK fonts without a bold face
                flow.fig.text(flow.LEFT + 0.148, flow.y, "▌", va="top", fontsize=8,
                              color=CATEGORY_COLOURS[s.category])
            for text in wrapped:
                flow.line(text, x=flow.LEFT + 0.16, fontsize=8, weight=weight, color=colour, step=0.0135)
        flow.y -= 0.01


def write_scorecard_pdf(card: Scorecard, path: str | Path) -> Path:
    """Write the scorecard to `path` (A4 pages) and return it."""
    from matplotlib.backends.backend_pdf import PdfPages

    import io

    from reviewer_app.core.atomic import write_bytes_atomic

    path = Path(path)
    if path.is_dir():  # said before the work, not after
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
    buffer = io.BytesIO()  # made in memory, written in one atomic step: a full disk is a plain OSError
    metadata = {"Title": f"Scorecard: {card.title}", "Creator": "reviewer_app"}
    with report_style(), PdfPages(buffer, metadata=metadata) as pdf:
        flow = _Flow(pdf, f"{card.title}  ·  sha256 {card.record.summary.sha256[:12]}")
        _header(flow, card)
        _timeline(flow, card)
        _deductions(flow, card)
        _excerpts(flow, card)
        flow.close()
    write_bytes_atomic(path, buffer.getvalue())
    return path
