"""Time axes for matplotlib: ticks at round seconds/minutes, labelled m:ss (h:mm:ss)."""
from __future__ import annotations

import math

from matplotlib.ticker import Formatter, Locator

from reviewer_app.core.review.viewport import mmss

NICE_STEPS_S = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900,
                1200, 1800, 3600, 7200)


def nice_step(span: float, max_ticks: int) -> float:
    for step in NICE_STEPS_S:
        if span / step <= max_ticks:
            return step
    return NICE_STEPS_S[-1] * math.ceil(span / max_ticks / NICE_STEPS_S[-1])


class TimeLocator(Locator):
    """Ticks every nice step so that about one label fits per `px_per_tick` pixels."""

    def __init__(self, px_per_tick: float = 125.0) -> None:
        self.px_per_tick = px_per_tick
        self.step = 1.0

    def __call__(self):
        lo, hi = self.axis.get_view_interval()
        return self.tick_values(lo, hi)

    def tick_values(self, vmin, vmax):
        width = self.axis.axes.bbox.width if self.axis is not None else 1000.0
        max_ticks = max(2, int(width / self.px_per_tick))
        self.step = step = nice_step(max(vmax - vmin, 1e-6), max_ticks)
        first = math.ceil(vmin / step - 1e-9) * step
        n = int(math.floor((vmax - first) / step + 1e-9)) + 1
        return [round(first + k * step, 6) for k in range(max(0, n))]


class TimeFormatter(Formatter):
    def __init__(self, locator: TimeLocator) -> None:
        self.locator = locator

    def __call__(self, x, pos=None) -> str:
        step = self.locator.step
        decimals = 0 if step >= 1 else (1 if step >= 0.1 else 2)
        return mmss(x, decimals)
