"""The one set of colours for categories, grades and roles: the window, the PDF reports, the
dashboard and the Label Studio config draw with these, so a category looks the same everywhere.

Categories use the Okabe–Ito palette (Okabe & Ito, "Color Universal Design", 2008), which stays
distinguishable with the common colour-vision deficiencies; its eight colours plus a neutral grey
for dead air (silence) cover the nine categories.
"""
from __future__ import annotations

from reviewer_app.core.domain import AGENT, BOTH, CATEGORIES, CUSTOMER

OKABE_ITO = {
    "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7", "black": "#000000",
}
GREY = "#999999"

CATEGORY_COLOURS = {
    "dead_air": GREY,
    "overtalk": OKABE_ITO["vermillion"],
    "fast_speech": OKABE_ITO["orange"],
    "forbidden_phrase": OKABE_ITO["reddish_purple"],
    "missing_greeting": OKABE_ITO["sky_blue"],
    "missing_closing": OKABE_ITO["blue"],
    "poor_audio": OKABE_ITO["bluish_green"],
    "repetition": OKABE_ITO["yellow"],
    "negative_emotion": OKABE_ITO["black"],
}
assert set(CATEGORY_COLOURS) == set(CATEGORIES)

GRADE_COLOURS = {"high": OKABE_ITO["bluish_green"], "medium": OKABE_ITO["orange"], "low": OKABE_ITO["vermillion"]}
ROLE_COLOURS = {AGENT: "#1f5fa8", CUSTOMER: "#2e8540", BOTH: "#555555"}
