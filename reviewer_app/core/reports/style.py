"""Colours, page sizes, fonts and text helpers shared by the PDF reports (matplotlib, Agg only; no pyplot).

Fonts fall back to a CJK font when one is installed, so Mandarin transcripts
print as characters, not boxes.
"""
from __future__ import annotations

import contextlib
import logging
import threading
import unicodedata

from reviewer_app.core.palette import CATEGORY_COLOURS, GRADE_COLOURS, ROLE_COLOURS  # noqa: F401  (the reports' colours)
from reviewer_app.core.review.viewport import mmss  # noqa: F401  (the one time formatter)

INK, MUTED, RULE = "#222222", "#666666", "#cccccc"

A4_PORTRAIT = (8.27, 11.69)
A4_LANDSCAPE = (11.69, 8.27)

_FALLBACK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
                   "WenQuanYi Micro Hei", "Droid Sans Fallback", "AR PL UMing CN")


def pretty(category: str) -> str:
    return category.replace("_", " ")


def font_family() -> list[str]:
    """DejaVu Sans, then the first installed CJK font."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return ["DejaVu Sans"] + [name for name in _FALLBACK_FONTS if name in installed][:1]


_installed = False
_install_lock = threading.Lock()


def _style() -> dict:
    return {
        "font.family": font_family(), "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 8.5,
        "xtick.labelsize": 8, "ytick.labelsize": 8, "axes.edgecolor": "#999999", "axes.linewidth": 0.6,
        "pdf.fonttype": 42, "axes.spines.top": False, "axes.spines.right": False, "legend.fontsize": 7.5,
        "legend.frameon": False,
    }


def install_report_style() -> None:
    """Make the reports' matplotlib settings the whole process's, once, before anything is drawn
    (the window does at start). From then on report_style() changes no global state, so a report
    can be drawn on a worker thread while the window draws its own figures (with the same fonts)."""
    global _installed
    import matplotlib

    with _install_lock:
        if not _installed:
            matplotlib.rcParams.update(_style())
            # A CJK fallback font has no bold face; matplotlib says so for every bold line.
            logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
            _installed = True


@contextlib.contextmanager
def report_style():
    """matplotlib settings for the reports, for the duration of one report: nothing to change once
    install_report_style() has run; otherwise (the CLI: one thread) set and restored around it."""
    if _installed:
        yield
        return
    import matplotlib

    font_log = logging.getLogger("matplotlib.font_manager")
    level = font_log.level
    font_log.setLevel(logging.ERROR)
    try:
        with matplotlib.rc_context(_style()):
            yield
    finally:
        font_log.setLevel(level)


def new_page(size=A4_PORTRAIT):
    """A figure not tied to any GUI backend (Agg canvas); add it to a PdfPages."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    return fig


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap(text: str, width: int) -> list[str]:
    """Greedy wrap by display width: CJK characters count double and may break anywhere."""
    lines: list[str] = []
    line = ""
    for token in _tokens(" ".join(text.split())):
        candidate = line + token
        if display_width(candidate.rstrip()) <= width or not line.strip():
            line = candidate
            continue
        lines.append(line.rstrip())
        line = token.lstrip()
    if line.strip():
        lines.append(line.rstrip())
    out = []
    for ln in lines or [""]:  # a single over-long word is cut
        while display_width(ln) > width:
            cut = _cut(ln, width)
            out.append(ln[:cut])
            ln = ln[cut:]
        out.append(ln)
    return out


def _tokens(text: str) -> list[str]:
    tokens, word = [], ""
    for ch in text:
        if unicodedata.east_asian_width(ch) in "WF":
            if word:
                tokens.append(word)
                word = ""
            tokens.append(ch)
        elif ch == " ":
            tokens.append(word + " ")
            word = ""
        else:
            word += ch
    if word:
        tokens.append(word)
    return tokens


def _cut(text: str, width: int) -> int:
    used = 0
    for i, ch in enumerate(text):
        used += display_width(ch)
        if used > width:
            return max(1, i)
    return len(text)
