"""Charts drawn into a given matplotlib Axes: the PDFs use them, and the window can too
(on a FigureCanvasQTAgg's axes) so the dashboard looks the same on screen and on paper.

Every function takes plain data (domain objects, team.agents stats), never a database.
"""
from __future__ import annotations

from collections.abc import Sequence

from reviewer_app.core.domain import AGENT, BOTH, CATEGORIES, CUSTOMER, CallAnalysis, Segment
from reviewer_app.core.reports.style import CATEGORY_COLOURS, GRADE_COLOURS, MUTED, ROLE_COLOURS, mmss, pretty
from reviewer_app.core.settings import ScoreSettings
from reviewer_app.core.team.agents import AgentStats

AGENT_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                 "#bcbd22", "#17becf")


TICK_STEPS_S = (1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600)


def _time_axis(ax, duration: float) -> None:
    """Seconds as m:ss at clock-friendly steps (5 s, 30 s, 1 min, ...), at most 12 ticks."""
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    ax.set_xlim(0, max(duration, 1e-3))
    step = next((s for s in TICK_STEPS_S if duration / s <= 12), 7200)
    ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: mmss(x)))


def draw_timeline(ax, analysis: CallAnalysis, problems: Sequence[Segment], numbered: bool = True) -> None:
    """Who spoke when (a row per side) and a row per problem category, problems numbered #1, #2, ...

    `problems` are drawn in the order given; their numbers are their positions in it, from 1.
    """
    roles = analysis.audio.roles
    speech_rows = [(AGENT, "agent speech"), (CUSTOMER, "customer speech")] if len(roles) > 1 else \
        [(BOTH, "speech")]
    categories = [c for c in CATEGORIES if any(p.category == c for p in problems)]
    rows = len(speech_rows) + len(categories)
    height = 0.62
    labels = []
    for i, (role, name) in enumerate(speech_rows):
        y = rows - 1 - i
        spans = [(t.start, t.end - t.start) for t in analysis.transcript if t.role == role or len(roles) == 1]
        ax.broken_barh(spans, (y - height / 2, height), facecolors=ROLE_COLOURS[role], alpha=0.55, linewidth=0)
        labels.append((y, name))
    row_of = {c: rows - 1 - len(speech_rows) - k for k, c in enumerate(categories)}
    for c, y in row_of.items():
        labels.append((y, pretty(c)))
    last_label: dict[float, float] = {}
    label_gap = analysis.audio.duration_s / 28  # closer numbers would print over each other
    for n, p in enumerate(problems, 1):
        y = row_of[p.category]
        width = max(p.end - p.start, analysis.audio.duration_s / 400)
        ax.broken_barh([(p.start, width)], (y - height / 2, height), facecolors=CATEGORY_COLOURS[p.category],
                       edgecolors="#333333", linewidth=0.4)
        centre = p.start + width / 2
        if numbered and centre - last_label.get(y, -label_gap) >= label_gap:
            last_label[y] = centre
            ax.text(centre, y + height / 2 + 0.04, f"#{n}", ha="center", va="bottom", fontsize=6.5,
                    color="#333333", clip_on=True)
    if categories:
        ax.axhline(rows - len(speech_rows) - 0.5, color="#bbbbbb", linewidth=0.6)
    ax.set_yticks([y for y, _ in labels], [name for _, name in labels])
    ax.set_ylim(-0.6, rows - 0.4 + 0.25)
    _time_axis(ax, analysis.audio.duration_s)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.5)
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0)


def agent_colour(i: int) -> str:
    return AGENT_COLOURS[i % len(AGENT_COLOURS)]


def draw_grade_bands(ax, score: ScoreSettings, values: Sequence[float] = ()) -> None:
    """Grade bands behind a score axis. The axis starts at least 10 points below the lowest of
    `values` (rounded down to a multiple of 10, never below 0), so small differences stay visible."""
    for lo, hi, grade in ((0, score.medium_min, "low"), (score.medium_min, score.high_min, "medium"),
                          (score.high_min, 100, "high")):
        ax.axhspan(lo, hi, color=GRADE_COLOURS[grade], alpha=0.09, linewidth=0)
    bottom = max(0, 10 * int((min(values, default=0) - 10) // 10))
    ax.set_ylim(bottom, 101.5)


def date_axis(ax, days: Sequence, max_ticks: int = 8) -> None:
    """Whole days on the x axis (no hours), half a day of margin on each side."""
    import datetime as dt
    import math

    import matplotlib.dates as mdates

    if not days:
        return
    first, last = min(days), max(days)
    span = (last - first).days
    if span <= 62:
        ax.xaxis.set_major_locator(mdates.DayLocator(interval=max(1, math.ceil((span + 1) / max_ticks))))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %d"))
    else:
        locator = mdates.AutoDateLocator(minticks=3, maxticks=max_ticks)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    half = dt.timedelta(hours=12)
    ax.set_xlim(dt.datetime.combine(first, dt.time()) - half, dt.datetime.combine(last, dt.time()) + half)


def draw_score_trend(ax, agents: Sequence[AgentStats], score: ScoreSettings, labels: bool = True) -> None:
    """Mean score per day, a line per agent, over the grade bands."""
    draw_grade_bands(ax, score, [v for a in agents for _, v in a.trend])
    for i, agent in enumerate(agents):
        trend = agent.trend
        if not trend:
            continue
        days, values = zip(*trend)
        ax.plot(days, values, marker="o", markersize=3.5, linewidth=1.4, color=agent_colour(i),
                label=agent.agent if labels else None)
    ax.set_ylabel("score (mean per day)")
    date_axis(ax, [d for a in agents for d, _ in a.trend])
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.5)
    if labels and agents:
        ax.legend(loc="lower left", ncols=min(5, len(agents)))


def _legend_below(ax) -> None:
    """A legend under the x-axis label, so it never hides a bar."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncols=4)


def draw_category_mix(ax, agents: Sequence[AgentStats]) -> None:
    """Problems per call by category, a stacked horizontal bar per agent."""
    names = [a.agent for a in agents]
    left = [0.0] * len(agents)
    for cat in CATEGORIES:
        values = [a.category_counts.get(cat, 0) / a.n_calls for a in agents]
        if not any(values):
            continue
        ax.barh(names, values, left=left, color=CATEGORY_COLOURS[cat], label=pretty(cat), height=0.6)
        left = [lo + v for lo, v in zip(left, values)]
    ax.invert_yaxis()
    ax.set_xlabel("problems per call")
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.5)
    ax.set_axisbelow(True)
    if any(left):
        _legend_below(ax)


def _hbars(ax, agents, series, xlabel: str, xmax: float | None = None) -> None:
    import numpy as np

    y = np.arange(len(agents))
    h = 0.8 / len(series)
    for k, (label, values, colour) in enumerate(series):
        bars = ax.barh(y + (k - (len(series) - 1) / 2) * h, values, height=h, color=colour, label=label)
        if len(agents) <= 10:  # more bars than that leave no room for numbers
            ax.bar_label(bars, fmt="%.0f%%" if max(values, default=0) >= 10 else "%.1f%%", fontsize=6.5,
                         padding=2, color=MUTED)
    ax.set_yticks(y, [a.agent for a in agents])
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    top = max((v for _, values, _ in series for v in values), default=0)
    ax.set_xlim(0, xmax if xmax is not None else max(1.0, top * 1.25))
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.5)
    ax.set_axisbelow(True)


def draw_talk_share(ax, agents: Sequence[AgentStats]) -> None:
    """The agent's share of the speaking time, in percent (mono calls have none)."""
    _hbars(ax, agents, [("agent talk share", [100 * (a.talk_share or 0) for a in agents], ROLE_COLOURS[AGENT])],
           "% of the time either side speaks", 105)
    ax.axvline(50, color="#999999", linewidth=0.8, linestyle=":")


def draw_dead_air_overtalk(ax, agents: Sequence[AgentStats]) -> None:
    """Dead air and overtalk as percent of call time, side by side per agent."""
    _hbars(ax, agents, [("dead air", [100 * a.dead_air_share for a in agents], CATEGORY_COLOURS["dead_air"]),
                        ("overtalk", [100 * a.overtalk_share for a in agents], CATEGORY_COLOURS["overtalk"])],
           "% of call time")
    _legend_below(ax)


def draw_speech_rate(ax, agents: Sequence[AgentStats], limit_wpm: float, limit_cpm: float) -> None:
    """Each agent's mean speech rate, with the fast-speech threshold of its unit."""
    names, values, colours = [], [], []
    units = set()
    for a in agents:
        rate, unit = a.speech_rate
        names.append(f"{a.agent} ({unit})")
        values.append(rate or 0.0)
        limit = limit_cpm if unit == "cpm" else limit_wpm
        colours.append(CATEGORY_COLOURS["fast_speech"] if rate and rate > limit else ROLE_COLOURS[AGENT])
        units.add(unit)
    bars = ax.barh(names, values, color=colours, height=0.6)
    if len(agents) <= 12:
        ax.bar_label(bars, fmt="%.0f", fontsize=6.5, padding=2, color=MUTED)
    for unit in units:
        ax.axvline(limit_cpm if unit == "cpm" else limit_wpm, color="#d62728", linewidth=0.8, linestyle="--")
    ax.invert_yaxis()
    ax.set_xlabel("agent speech rate per minute of speaking (dashed: fast-speech threshold)")
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.5)
    ax.set_axisbelow(True)
