"""The calibration report of one session: who disagrees with whom, and on what.

As tables (`report_tables` -> text or markdown with `render_tables`, JSON with `report_json`) and as a
PDF (A4 landscape, matplotlib's object API on Agg): the pairwise kappa heatmap and the agreement per
category; the score spread per call and the calls and categories with the most disagreement; each
rater's agreement with the outcome over the sessions so far.

    data = load_session(engine, 3)
    agreement = session_agreement(data)
    write_calibration_pdf(agreement, trend(engine, "lea").points, "calibration.pdf")
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from reviewer_app.core.calibration.agreement import ALL, CategoryAgreement, SessionAgreement
from reviewer_app.core.calibration.trend import TrendPoint
from reviewer_app.core.calibration.units import MODEL
from reviewer_app.core.reports.charts import agent_colour
from reviewer_app.core.reports.style import (
    A4_LANDSCAPE, CATEGORY_COLOURS, INK, MUTED, new_page, pretty, report_style, wrap,
)

Table = tuple[str, list[str], list[list[str]]]  # title, headers, rows
MODEL_COLOUR = "#555555"
WORST = 5


def _num(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def _call_name(path: str) -> str:
    return Path(path).name


def rater_colour(rater: str, raters: Sequence[str]) -> str:
    reviewers = [r for r in raters if r != MODEL]
    return MODEL_COLOUR if rater == MODEL else agent_colour(reviewers.index(rater) if rater in reviewers else 0)


def summary_line(a: SessionAgreement) -> str:
    parts = [f"session {a.session_id} \"{a.name}\"", f"{len(a.calls)} call(s)", f"{a.overall.units} unit(s)",
             "raters: " + ", ".join(a.raters), f"Fleiss' kappa {_num(a.overall.fleiss)}",
             f"Krippendorff's alpha on scores {_num(a.score_alpha)}"]
    if a.left_out:
        parts.append("left out (not all calls submitted): " + ", ".join(f"{r} ({n})" for r, n in a.left_out.items()))
    return "; ".join(parts)


def report_tables(a: SessionAgreement, points: Sequence[TrendPoint] = ()) -> list[Table]:
    tables: list[Table] = [
        ("Pairs of raters", ["rater", "rater", "kappa", "units alike", "segment F1"],
         [[p.a, p.b, _num(p.kappa), _pct(p.observed), _num(p.segment_f1)] for p in a.overall.pairs]),
        ("Per category", ["category", "units", "split", "Fleiss kappa", "mean pair kappa", "segment F1"],
         [_category_row(c) for c in [a.overall, *a.categories.values()]]),
        ("Call scores", ["call", "file", "units", "split", *a.raters, "range", "sd"],
         [[str(c.call_id), _call_name(c.path), str(c.units), str(c.split),
           *[str(c.scores.get(r, "–")) for r in a.raters], _num(c.spread.range, 0), _num(c.spread.sd, 1)]
          for c in a.calls]),
        ("Most disagreement: calls", ["call", "file", "split units", "score range", "split categories"],
         [[str(c.call_id), _call_name(c.path), f"{c.split}/{c.units}", _num(c.spread.range, 0),
           ", ".join(f"{pretty(k)} {n}" for k, n in c.split_categories.items()) or "–"]
          for c in a.worst_calls(WORST)]),
        ("Most disagreement: categories", ["category", "split units", "Fleiss kappa", "units alike (pairs)"],
         [[pretty(c.category), f"{c.split}/{c.units}", _num(c.fleiss), _pct(c.mean_observed)]
          for c in a.worst_categories(WORST)]),
    ]
    if points:
        tables.append(("Trend over sessions", ["session", "reference", "rater", "units as reference", "kappa",
                                               "score gap"],
                       [[f"{p.session_id} {p.session_name}", p.reference, p.rater, _pct(p.agreement),
                         _num(p.kappa), _num(p.score_gap, 1)] for p in points]))
    return tables


def _category_row(c: CategoryAgreement) -> list[str]:
    kappas = [p.kappa for p in c.pairs if p.kappa is not None]
    return [pretty(c.category) if c.category != ALL else "all", str(c.units), str(c.split), _num(c.fleiss),
            _num(sum(kappas) / len(kappas) if kappas else None), _num(c.mean_segment_f1)]


def render_tables(a: SessionAgreement, points: Sequence[TrendPoint] = (), markdown: bool = False) -> str:
    out = [f"# Calibration: {a.name}" if markdown else f"Calibration: {a.name}", summary_line(a)]
    for title, headers, rows in report_tables(a, points):
        out.append("")
        out.append(f"## {title}" if markdown else title)
        out.append(_markdown(headers, rows) if markdown else _text(headers, rows))
    return "\n".join(out) + "\n"


def _text(headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "(none)"
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip() for row in [headers, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _markdown(headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "(none)"
    cells = [[str(v).replace("|", "\\|") for v in row] for row in [headers, *rows]]
    lines = ["| " + " | ".join(r) + " |" for r in cells]
    lines.insert(1, "|" + "---|" * len(headers))
    return "\n".join(lines)


def report_json(a: SessionAgreement, points: Sequence[TrendPoint] = ()) -> dict:
    def category(c: CategoryAgreement) -> dict:
        return {"units": c.units, "split": c.split, "fleiss_kappa": c.fleiss,
                "pairs": [{"a": p.a, "b": p.b, "kappa": p.kappa, "observed": p.observed, "segment_f1": p.segment_f1}
                          for p in c.pairs]}

    return {
        "session": a.session_id, "name": a.name, "raters": list(a.raters), "left_out": a.left_out,
        "overall": category(a.overall), "categories": {k: category(c) for k, c in a.categories.items()},
        "score_alpha": a.score_alpha,
        "calls": [{"call": c.call_id, "path": c.path, "units": c.units, "split": c.split, "scores": c.scores,
                   "min": c.spread.low, "max": c.spread.high, "sd": c.spread.sd,
                   "split_categories": c.split_categories} for c in a.calls],
        "worst_calls": [c.call_id for c in a.worst_calls(WORST)],
        "worst_categories": [c.category for c in a.worst_categories(WORST)],
        "trend": [{"session": p.session_id, "name": p.session_name, "reference": p.reference, "rater": p.rater,
                   "agreement": p.agreement, "kappa": p.kappa, "score_gap": p.score_gap} for p in points],
    }


# --- the PDF -------------------------------------------------------------------------------------

def draw_kappa_heatmap(ax, a: SessionAgreement) -> None:
    """Cohen's kappa of each pair of raters, red (disagree) to blue (agree); the diagonal left blank."""
    import numpy as np

    raters = list(a.raters)
    grid = np.full((len(raters), len(raters)), np.nan)
    for p in a.overall.pairs:
        i, j = raters.index(p.a), raters.index(p.b)
        if p.kappa is not None:
            grid[i, j] = grid[j, i] = p.kappa
    image = ax.imshow(np.ma.masked_invalid(grid), cmap="RdBu", vmin=-1, vmax=1)
    for i in range(len(raters)):
        for j in range(len(raters)):
            if i == j:
                continue
            value = grid[i, j]
            text = "–" if np.isnan(value) else f"{value:.2f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if not np.isnan(value) and abs(value) > 0.6 else INK)
    ax.set_xticks(range(len(raters)), raters, rotation=30, ha="right")
    ax.set_yticks(range(len(raters)), raters)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    bar = ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    bar.set_label("Cohen's kappa", fontsize=7.5)
    bar.ax.tick_params(labelsize=7)


def draw_category_agreement(ax, a: SessionAgreement) -> None:
    """Per category: Fleiss' kappa and the mean segment F1 of the pairs, side by side."""
    import numpy as np

    cats = list(a.categories.values())
    y = np.arange(len(cats))
    fleiss = [c.fleiss if c.fleiss is not None else 0.0 for c in cats]
    f1 = [c.mean_segment_f1 if c.mean_segment_f1 is not None else 0.0 for c in cats]
    ax.barh(y - 0.2, fleiss, height=0.38, color=[CATEGORY_COLOURS[c.category] for c in cats],
            edgecolor="#333333", linewidth=0.4, label="Fleiss' kappa")
    ax.barh(y + 0.2, f1, height=0.38, color="#dddddd", edgecolor="#888888", linewidth=0.4,
            label="segment F1 (mean of pairs)")
    for k, c in enumerate(cats):
        ax.text(max(fleiss[k], 0) + 0.02, k - 0.2, f"{_num(c.fleiss)}  ({c.split}/{c.units} split)",
                va="center", fontsize=6.5, color=MUTED)
    ax.set_yticks(y, [pretty(c.category) for c in cats])
    ax.invert_yaxis()
    ax.axvline(0, color="#999999", linewidth=0.6)
    ax.set_xlim(min(-0.2, min(fleiss, default=0) - 0.1), 1.35)
    ax.set_xlabel("agreement (1 = perfect, 0 = chance)")
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.5)
    ax.set_axisbelow(True)
    ax.legend(loc="lower right")


def draw_score_spread(ax, a: SessionAgreement) -> None:
    """Each call's scores: a line from the lowest to the highest, a dot per rater (the model a square)."""
    raters = list(a.raters)
    for x, call in enumerate(a.calls):
        if call.spread.low is not None:
            ax.vlines(x, call.spread.low, call.spread.high, color="#bbbbbb", linewidth=3, zorder=1)
        for k, r in enumerate(raters):
            if r in call.scores:
                ax.scatter(x + (k - (len(raters) - 1) / 2) * 0.06, call.scores[r], s=28, zorder=2,
                           marker="s" if r == MODEL else "o", color=rater_colour(r, raters),
                           label=r if x == 0 else None)
        if call.spread.range:
            ax.text(x + 0.18, call.spread.high, f"range {call.spread.range:.0f}", fontsize=6.5, color=MUTED,
                    va="bottom")
    ax.set_xticks(range(len(a.calls)), [_shorten(_call_name(c.path)) for c in a.calls], rotation=20, ha="right")
    ax.set_xlim(-0.6, len(a.calls) - 0.4)
    values = [v for c in a.calls for v in c.scores.values()]
    if values:
        ax.set_ylim(max(0, min(values) - 5), min(100, max(values) + 5) + 1)
    ax.set_ylabel("call score")
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.5)
    ax.set_axisbelow(True)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))


def draw_trend(ax, points: Sequence[TrendPoint], raters: Sequence[str]) -> None:
    """Each rater's share of units rated as the session's outcome, session after session."""
    sessions = list(dict.fromkeys((p.session_id, p.session_name) for p in points))
    names = list(dict.fromkeys(p.rater for p in points))
    order = [MODEL] + [n for n in names if n != MODEL]
    shown = [n for n in order if n in names]
    for k, r in enumerate(shown):
        nudge = (k - (len(shown) - 1) / 2) * 0.03  # raters with the same share stay visible side by side
        xs = [sessions.index((p.session_id, p.session_name)) + nudge for p in points
              if p.rater == r and p.agreement is not None]
        ys = [p.agreement for p in points if p.rater == r and p.agreement is not None]
        ax.plot(xs, ys, marker="s" if r == MODEL else "o", markersize=4, linewidth=1.4,
                linestyle="--" if r == MODEL else "-", color=rater_colour(r, order), label=r)
    ax.set_xticks(range(len(sessions)), [_shorten(f"{sid} {name}") for sid, name in sessions],
                  rotation=20, ha="right")
    ax.set_xlim(-0.3, max(len(sessions) - 0.7, 0.3))
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("units rated as the outcome")
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.5)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))


def _shorten(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _heading(fig, title: str, sub: str) -> None:
    fig.text(0.05, 0.95, title, fontsize=16, weight="bold", color=INK, va="top")
    for k, line in enumerate(wrap(sub, 170)[:2]):
        fig.text(0.05, 0.905 - k * 0.025, line, fontsize=8.5, color=MUTED, va="top")


def _worst_lists(fig, a: SessionAgreement, top: float) -> None:
    fig.text(0.60, top, "Calls with the most disagreement", fontsize=10, weight="bold", color=INK, va="top")
    y = top - 0.04
    worst = a.worst_calls(WORST)
    for c in worst:
        what = ", ".join(f"{pretty(k)} {n}" for k, n in c.split_categories.items()) or "scores only"
        fig.text(0.60, y, f"call {c.call_id}  {_shorten(_call_name(c.path), 30)}", fontsize=8, color=INK, va="top")
        detail = (f"{c.split}/{c.units} units split ({what}); scores {_num(c.spread.low, 0)}–"
                  f"{_num(c.spread.high, 0)}")
        for line in wrap(detail, 80):
            y -= 0.022
            fig.text(0.62, y, line, fontsize=7.5, color=MUTED, va="top")
        y -= 0.033
    if not worst:
        fig.text(0.60, y, "none: every unit and score agreed", fontsize=8, color=MUTED, va="top")
        y -= 0.04
    fig.text(0.60, y - 0.02, "Categories with the most disagreement", fontsize=10, weight="bold", color=INK, va="top")
    y -= 0.06
    cats = a.worst_categories(WORST)
    for c in cats:
        text = (f"{pretty(c.category)}: {c.split}/{c.units} units split, Fleiss' kappa {_num(c.fleiss)}, "
                f"pairs alike on {_pct(c.mean_observed)}")
        for line in wrap(text, 80):
            fig.text(0.60, y, line, fontsize=8, color=INK, va="top")
            y -= 0.03
    if not cats:
        fig.text(0.60, y, "none", fontsize=8, color=MUTED, va="top")


def write_calibration_pdf(a: SessionAgreement, points: Sequence[TrendPoint], path: str | Path) -> Path:
    """Write the report to `path` (atomically) and return it."""
    import errno

    from matplotlib.backends.backend_pdf import PdfPages

    from reviewer_app.core.atomic import write_bytes_atomic

    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
    buffer = io.BytesIO()
    with report_style(), PdfPages(buffer, metadata={"Title": f"Calibration: {a.name}",
                                                    "Creator": "reviewer_app"}) as pdf:
        fig = new_page(A4_LANDSCAPE)
        _heading(fig, f"Calibration: {a.name}", summary_line(a))
        ax = fig.add_axes((0.07, 0.12, 0.36, 0.62))
        draw_kappa_heatmap(ax, a)
        ax.set_title("Who disagrees with whom (Cohen's kappa, all categories)", loc="left", fontsize=10,
                     weight="bold")
        ax = fig.add_axes((0.64, 0.12, 0.32, 0.62))
        if a.categories:
            draw_category_agreement(ax, a)
        ax.set_title("On what: agreement per category", loc="left", fontsize=10, weight="bold")
        pdf.savefig(fig)

        fig = new_page(A4_LANDSCAPE)
        _heading(fig, "Scores and disagreements", "each call's scores by rater (the model a square); "
                                                  "the calls and categories to discuss first")
        ax = fig.add_axes((0.07, 0.14, 0.40, 0.68))
        draw_score_spread(ax, a)
        ax.set_title("Score spread per call", loc="left", fontsize=10, weight="bold")
        _worst_lists(fig, a, 0.82)
        pdf.savefig(fig)

        if points:
            fig = new_page(A4_LANDSCAPE)
            _heading(fig, "Trend over sessions", "each rater's share of units rated as the session's outcome "
                                                 "(the adopted one, else the reviewers' majority)")
            ax = fig.add_axes((0.07, 0.16, 0.80, 0.66))
            draw_trend(ax, points, a.raters)
            pdf.savefig(fig)
    write_bytes_atomic(path, buffer.getvalue())
    return path
