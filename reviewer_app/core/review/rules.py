"""The review rules the window applies before writing, without Qt: edges are clamped to the
call and rounded to the millisecond, a segment is at least 50 ms long, a keyboard nudge moves
an edge by 50 ms. The controller calls these; tests/core/test_review_rules.py drives them."""
from __future__ import annotations

from reviewer_app.core.errors import ReviewerError

NUDGE_S = 0.05
MIN_SEGMENT_S = 0.05


class RuleRefused(ReviewerError):
    """A change the review rules do not allow (too short); the message says why."""


def clamp_bounds(start: float, end: float, duration: float) -> tuple[float, float]:
    """(start, end) inside [0, duration], rounded to the millisecond; raises RuleRefused when the
    result is shorter than MIN_SEGMENT_S."""
    start = round(min(max(0.0, start), duration), 3)
    end = round(min(max(0.0, end), duration), 3)
    if end - start < MIN_SEGMENT_S:
        raise RuleRefused("A segment must be at least 50 ms long.")
    return start, end


def new_span(start: float, end: float) -> tuple[float, float]:
    """A drawn or marked span in time order, rounded; raises RuleRefused when under 50 ms."""
    start, end = sorted((start, end))
    if end - start < MIN_SEGMENT_S:
        raise RuleRefused("A new span must be at least 50 ms long.")
    return round(start, 3), round(end, 3)


def nudged(start: float, end: float, edge: str, dt: float = NUDGE_S) -> tuple[float, float]:
    """The bounds after moving one edge ("start" or "end") by dt seconds (not yet clamped)."""
    if edge == "start":
        return start + dt, end
    if edge == "end":
        return start, end + dt
    raise ValueError(f"edge must be 'start' or 'end', not {edge!r}")


def changed_bounds(current: tuple[float, float], wanted: tuple[float, float]) -> dict[str, float]:
    """The edges that differ ({"start": s, "end": e} or a part of it; empty when nothing moves)."""
    return {k: v for k, old, v in (("start", current[0], wanted[0]), ("end", current[1], wanted[1]))
            if abs(old - v) > 1e-6}
