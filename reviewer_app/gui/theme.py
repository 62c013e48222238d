"""Colours and fonts shared by every view, so a category or a role looks the same everywhere."""
from __future__ import annotations

from reviewer_app.core import palette
from reviewer_app.core.domain import AGENT, BOTH, CATEGORIES, CUSTOMER

# One palette (core/palette.py, Okabe–Ito, colour-blind safe) for the window, the PDFs and the dashboard.
CATEGORY_COLORS = dict(palette.CATEGORY_COLOURS)
assert set(CATEGORY_COLORS) == set(CATEGORIES)

CATEGORY_LABELS = {c: c.replace("_", " ") for c in CATEGORIES}

ROLE_COLORS = {AGENT: "#1f5fa8", CUSTOMER: "#2e8540", BOTH: "#555555", "left": "#555555", "right": "#555555"}
ROLE_LABELS = {AGENT: "Agent", CUSTOMER: "Customer", BOTH: "Mixed"}

STATUS_LABELS = {
    "predicted": "predicted", "confirmed": "✔ confirmed", "rejected": "✘ rejected",
    "edited": "✎ edited", "added": "+ added",
}
REVIEW_STATUS_LABELS = {"new": "new", "in_review": "in review", "reviewed": "reviewed"}
GRADE_COLORS = dict(palette.GRADE_COLOURS)

PLOT_FONT_SIZE = 10
PLAYHEAD_COLOR = "#d00000"
SELECTION_COLOR = "#111111"
BACKGROUND = "#fbfbfb"


def span_alpha(score: float, status: str) -> float:
    """Span opacity from the prediction's score (0..1); rejected spans fade out."""
    if status == "rejected":
        return 0.08
    return 0.15 + 0.35 * min(max(float(score), 0.0), 1.0)


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role.title())
