"""The agent dashboard as a PDF (A4 landscape), from team.agents' plain data.

Page 1: the agents table and the score trend; page 2: the problem mix, the
talk / dead-air / overtalk shares and the speech rates; then one small score
chart per agent, nine to a page.

    board = build_dashboard(engine, load_metadata(engine, pattern=...))
    write_dashboard_pdf(board, "agents.pdf")
"""
from __future__ import annotations

import errno
from pathlib import Path

from reviewer_app.core.reports.charts import (
    agent_colour, date_axis, draw_category_mix, draw_dead_air_overtalk, draw_grade_bands, draw_score_trend,
    draw_speech_rate, draw_talk_share,
)
from reviewer_app.core.reports.style import (
    A4_LANDSCAPE, GRADE_COLOURS, INK, MUTED, RULE, new_page, pretty, report_style,
)
from reviewer_app.core.scoring import grade
from reviewer_app.core.settings import Settings
from reviewer_app.core.team.agents import AgentStats, Dashboard

ROWS_PER_PAGE = 14  # table rows on the first page (the trend chart takes the rest)
TREND_LINES = 10  # more agents than this: the trend chart shows team means
COLUMNS = (("agent", 0.05), ("team", 0.16), ("calls", 0.25), ("mean score", 0.30), ("change", 0.38),
           ("talk share", 0.45), ("speech rate", 0.53), ("dead air", 0.62), ("overtalk", 0.69),
           ("problems / call", 0.76), ("most frequent problem", 0.845))


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def _row(agent: AgentStats, settings: Settings) -> list[tuple[str, str]]:
    rate, unit = agent.speech_rate
    change = agent.score_change
    counts = agent.category_counts
    top = max(counts, key=counts.get) if counts else None
    mean = agent.mean_score
    return [
        (agent.agent, INK), (agent.team or "–", MUTED), (str(agent.n_calls), INK),
        (f"{mean:.0f}", GRADE_COLOURS[grade(round(mean), settings.score)]),
        ("–" if change is None else f"{change:+.0f}", "#2ca02c" if (change or 0) > 0 else
         "#d62728" if (change or 0) < 0 else MUTED),
        (_pct(agent.talk_share), INK), ("–" if rate is None else f"{rate:.0f} {unit}", INK),
        (_pct(agent.dead_air_share), INK), (_pct(agent.overtalk_share), INK),
        (f"{agent.problems_per_call:.1f}", INK), (pretty(top) if top else "none", MUTED),
    ]


def _title(fig, text: str, sub: str) -> None:
    fig.text(0.05, 0.95, text, fontsize=16, weight="bold", color=INK, va="top")
    fig.text(0.05, 0.905, sub, fontsize=9, color=MUTED, va="top")


def _subtitle(board: Dashboard) -> str:
    teams = [t for t in board.teams if t]
    parts = [f"{len(board.calls)} calls", f"{len(board.agents)} agents"
             + (f" in {len(teams)} teams" if teams else "")]
    if board.date_range:
        first, last = board.date_range
        parts.append(f"{first:%Y-%m-%d} to {last:%Y-%m-%d}" if first != last else f"{first:%Y-%m-%d}")
    if board.unassigned:
        parts.append(f"{len(board.unassigned)} calls without an agent left out")
    parts.append("scores after review")
    return "  ·  ".join(parts)


def _table(fig, rows: list[AgentStats], settings: Settings, top: float) -> float:
    from matplotlib.lines import Line2D

    for name, x in COLUMNS:
        fig.text(x, top, name, fontsize=7.5, color=MUTED, weight="bold", va="top")
    y = top - 0.028
    fig.add_artist(Line2D([0.05, 0.97], [y + 0.006, y + 0.006], color=RULE, linewidth=0.7))
    for agent in rows:
        for (text, colour), (_name, x) in zip(_row(agent, settings), COLUMNS):
            bold = x == COLUMNS[3][1] or x == COLUMNS[0][1]
            fig.text(x, y, text, fontsize=8.5, color=colour, va="top", weight="bold" if bold else "normal")
        y -= 0.027
    return y


def _team_means(board: Dashboard) -> list[AgentStats]:
    """Pseudo-agents, one per team, for a readable trend when there are many agents."""
    teams: dict[str, AgentStats] = {}
    for a in board.agents:
        team = teams.setdefault(a.team or "no team", AgentStats(a.team or "no team", None))
        team.calls.extend(a.calls)
    return list(teams.values())


def _overview(pdf, board: Dashboard, settings: Settings) -> None:
    agents = board.agents
    for first in range(0, max(1, len(agents)), ROWS_PER_PAGE):
        fig = new_page(A4_LANDSCAPE)
        _title(fig, "Agent dashboard", _subtitle(board))
        y = _table(fig, agents[first:first + ROWS_PER_PAGE], settings, 0.86)
        if first + ROWS_PER_PAGE >= len(agents):
            lines = agents if len(agents) <= TREND_LINES else _team_means(board)
            height = min(0.55, y - 0.14)
            if height > 0.15:
                ax = fig.add_axes((0.07, 0.07, 0.88, height))
                draw_score_trend(ax, lines, settings.score)
                which = "per agent" if lines is agents else "per team (many agents)"
                ax.set_title(f"Score trend {which}", loc="left", fontsize=10, weight="bold")
        pdf.savefig(fig)


def _mix_page(pdf, board: Dashboard, settings: Settings) -> None:
    for first in range(0, len(board.agents), 20):
        agents = board.agents[first:first + 20]
        fig = new_page(A4_LANDSCAPE)
        _title(fig, "Problems, talk and pace", "problems per call by category; shares of call time; "
                                                "agent speech rate")
        ax = fig.add_axes((0.12, 0.15, 0.36, 0.69))
        draw_category_mix(ax, agents)
        ax.set_title("Problem mix", loc="left", fontsize=10, weight="bold")
        ax = fig.add_axes((0.58, 0.53, 0.17, 0.31))
        draw_talk_share(ax, agents)
        ax.set_title("Agent talk share", loc="left", fontsize=10, weight="bold")
        ax = fig.add_axes((0.80, 0.53, 0.17, 0.31))
        draw_dead_air_overtalk(ax, agents)
        ax.set_yticks(ax.get_yticks(), [])
        ax.set_title("Dead air, overtalk", loc="left", fontsize=10, weight="bold")
        ax = fig.add_axes((0.58, 0.08, 0.39, 0.30))
        draw_speech_rate(ax, agents, settings.rules.fast_speech_wpm, settings.rules.fast_speech_cpm)
        ax.set_title("Speech rate", loc="left", fontsize=10, weight="bold")
        pdf.savefig(fig)


def _agent_pages(pdf, board: Dashboard, settings: Settings) -> None:
    everyone = [c.score for c in board.calls]  # one score scale on every small chart
    for first in range(0, len(board.agents), 9):
        fig = new_page(A4_LANDSCAPE)
        _title(fig, "Score per call, by agent", "dots: each call's score; line: mean per day")
        for k, agent in enumerate(board.agents[first:first + 9]):
            row, col = divmod(k, 3)
            ax = fig.add_axes((0.06 + col * 0.315, 0.62 - row * 0.27, 0.27, 0.19))
            colour = agent_colour(first + k)
            dated = [c for c in agent.calls if c.date is not None]
            draw_grade_bands(ax, settings.score, everyone)
            ax.scatter([c.date for c in dated], [c.score for c in dated], s=10, color=colour, alpha=0.6)
            if agent.trend:
                days, values = zip(*agent.trend)
                ax.plot(days, values, color=colour, linewidth=1.2)
            date_axis(ax, [c.date for c in dated], max_ticks=4)
            team = f" ({agent.team})" if agent.team else ""
            ax.set_title(f"{agent.agent}{team} · {agent.n_calls} calls · mean {agent.mean_score:.0f}",
                         loc="left", fontsize=8.5)
        pdf.savefig(fig)


def write_dashboard_pdf(board: Dashboard, path: str | Path, settings: Settings | None = None) -> Path:
    """Write the dashboard to `path` and return it."""
    from matplotlib.backends.backend_pdf import PdfPages

    settings = settings or Settings()
    import io

    from reviewer_app.core.atomic import write_bytes_atomic

    path = Path(path)
    metadata = {"Title": "Agent dashboard", "Creator": "reviewer_app"}
    if path.is_dir():  # said before the work, not after
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
    buffer = io.BytesIO()  # made in memory, written in one atomic step: a full disk is a plain OSError
    with report_style(), PdfPages(buffer, metadata=metadata) as pdf:
        _overview(pdf, board, settings)
        if board.agents:
            _mix_page(pdf, board, settings)
            _agent_pages(pdf, board, settings)
    write_bytes_atomic(path, buffer.getvalue())
    return path
