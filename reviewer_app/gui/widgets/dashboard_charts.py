"""The agent dashboard's plots on screen, drawn by the same chart functions as the PDF (core.reports.charts)."""
from __future__ import annotations

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure

from reviewer_app.core.settings import Settings

TREND_LINES = 10  # more agents than this: the trend shows team means
BAR_LABEL_SIZE = 8.5


class ChartCanvas(FigureCanvasQTAgg):
    def __init__(self, height: float = 4.0, parent=None) -> None:
        self.figure = Figure(figsize=(9, height), dpi=100, layout="constrained")
        super().__init__(self.figure)
        self.setParent(parent)
        self.setMinimumHeight(int(height * 80))

    def axes(self) -> list:
        return list(self.figure.axes)


def _team_means(board):
    from reviewer_app.core.team.agents import AgentStats

    teams: dict[str, AgentStats] = {}
    for a in board.agents:
        team = teams.setdefault(a.team or "no team", AgentStats(a.team or "no team", None))
        team.calls.extend(a.calls)
    return list(teams.values())


def draw_trend(canvas: ChartCanvas, board, settings: Settings) -> None:
    from reviewer_app.core.reports.charts import draw_score_trend

    fig = canvas.figure
    fig.clear()
    ax = fig.add_subplot(111)
    lines = board.agents if len(board.agents) <= TREND_LINES else _team_means(board)
    draw_score_trend(ax, lines, settings.score)
    which = "per agent" if lines is board.agents else "per team (many agents)"
    ax.set_title(f"Score trend {which} (bands: grades)", loc="left", fontsize=11, weight="bold")
    if not any(a.trend for a in lines):
        ax.text(0.5, 0.5, "no call dates: give the pattern a (?P<date>…) group or the CSV a date column",
                transform=ax.transAxes, ha="center", va="center", color="#777777")
    canvas.draw_idle()


def draw_habits(canvas: ChartCanvas, board, settings: Settings) -> None:
    """Problem mix, talk share, dead air / overtalk and speech rate, two by two."""
    from reviewer_app.core.reports.charts import (
        draw_category_mix,
        draw_dead_air_overtalk,
        draw_speech_rate,
        draw_talk_share,
    )

    fig = canvas.figure
    fig.clear()
    grid = fig.add_gridspec(2, 2)
    agents = board.agents
    panels = (
        ("Problem mix (problems per call)", lambda ax: draw_category_mix(ax, agents)),
        ("Agent talk share", lambda ax: draw_talk_share(ax, agents)),
        ("Dead air and overtalk", lambda ax: draw_dead_air_overtalk(ax, agents)),
        ("Speech rate", lambda ax: draw_speech_rate(ax, agents, settings.rules.fast_speech_wpm,
                                                    settings.rules.fast_speech_cpm)),
    )
    for k, (title, draw) in enumerate(panels):
        ax = fig.add_subplot(grid[k // 2, k % 2])
        draw(ax)
        ax.set_title(title, loc="left", fontsize=11, weight="bold")
        for text in ax.texts:  # the bar values are sized for paper; on screen they need a bit more
            text.set_fontsize(max(text.get_fontsize(), BAR_LABEL_SIZE))
    fig.axes[-1].set_xlabel("agent speech rate per minute of speaking\n(dashed line: fast-speech threshold)")
    canvas.draw_idle()
