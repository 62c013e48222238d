"""The visible time window of a call: zoom in fine steps about a point, pan, clamp.

Immutable: every operation returns a new Viewport, so a view can compare the
old and the new one and the GUI can share one value through a signal.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

ZOOM_STEP = 1.25  # one wheel notch or key press
MIN_SPAN_S = 0.05  # closest zoom: 50 ms across the plot


@dataclass(frozen=True)
class Viewport:
    duration: float
    start: float = 0.0
    end: float = 0.0

    def __post_init__(self) -> None:
        if self.duration <= 0:
            raise ValueError(f"a viewport needs a positive duration, got {self.duration}")
        if self.end <= self.start:  # the default: the whole call
            object.__setattr__(self, "start", 0.0)
            object.__setattr__(self, "end", float(self.duration))

    @classmethod
    def whole(cls, duration: float) -> "Viewport":
        return cls(float(duration), 0.0, float(duration))

    @property
    def span(self) -> float:
        return self.end - self.start

    @property
    def is_whole(self) -> bool:
        return self.start <= 0 and self.end >= self.duration

    def contains(self, t: float) -> bool:
        return self.start <= t <= self.end

    def set(self, start: float, end: float) -> "Viewport":
        """The window [start, end], shifted and shrunk as needed to fit the call."""
        span = min(max(end - start, MIN_SPAN_S), self.duration)
        start = min(max(start, 0.0), self.duration - span)
        return replace(self, start=start, end=start + span)

    def zoom(self, factor: float, anchor: float | None = None) -> "Viewport":
        """factor > 1 zooms in; the time under `anchor` stays where it is on screen."""
        if factor <= 0:
            raise ValueError(f"zoom factor must be positive, got {factor}")
        anchor = (self.start + self.end) / 2 if anchor is None else anchor
        new_span = min(max(self.span / factor, MIN_SPAN_S), self.duration)
        frac = 0.5 if self.span <= 0 else (anchor - self.start) / self.span
        frac = min(max(frac, 0.0), 1.0)
        start = anchor - frac * new_span
        return self.set(start, start + new_span)

    def zoom_in(self, anchor: float | None = None, steps: float = 1.0) -> "Viewport":
        return self.zoom(ZOOM_STEP**steps, anchor)

    def zoom_out(self, anchor: float | None = None, steps: float = 1.0) -> "Viewport":
        return self.zoom(ZOOM_STEP**-steps, anchor)

    def pan(self, dt: float) -> "Viewport":
        return self.set(self.start + dt, self.end + dt)

    def pan_fraction(self, fraction: float) -> "Viewport":
        return self.pan(fraction * self.span)

    def centred_on(self, t: float) -> "Viewport":
        return self.set(t - self.span / 2, t + self.span / 2)

    def show(self, start: float, end: float, margin: float = 0.25) -> "Viewport":
        """Zoom to [start, end] with `margin` of its length either side (zoom to segment)."""
        pad = max((end - start) * margin, 0.2)
        return self.set(start - pad, end + pad)

    def fit(self, start: float, end: float, margin: float = 0.25, thin: float = 0.03) -> "Viewport":
        """Keep the view when [start, end] is in it with `margin` of its length (at least 0.2 s) either
        side and is not thinner than `thin` of the view; else zoom to it with that margin. A finding
        of any length, from a 50 ms click to a 30 s stretch, ends up whole and readable in view."""
        pad = max((end - start) * margin, 0.2)
        lo, hi = max(0.0, start - pad), min(self.duration, end + pad)
        if self.start <= lo and hi <= self.end and end - start >= thin * self.span:
            return self
        return self.show(start, end, margin)

    def follow(self, t: float) -> "Viewport":
        """Page forward (or back) so that `t` is in view; unchanged when it already is."""
        if self.contains(t):
            return self
        if t > self.end:
            return self.set(t - 0.05 * self.span, t + 0.95 * self.span)
        return self.set(t - 0.5 * self.span, t + 0.5 * self.span)

    def whole_call(self) -> "Viewport":
        return replace(self, start=0.0, end=self.duration)


def mmss(t: float, decimals: int = 0) -> str:
    """Seconds as m:ss (h:mm:ss from an hour), with optional decimals: 75.25 -> '1:15.3'."""
    sign = "-" if t < 0 else ""
    t = round(abs(t), decimals)
    whole = int(t)
    frac = f"{t - whole:.{decimals}f}"[1:] if decimals else ""
    h, rem = divmod(whole, 3600)
    m, s = divmod(rem, 60)
    if h:
        return f"{sign}{h}:{m:02d}:{s:02d}{frac}"
    return f"{sign}{m}:{s:02d}{frac}"
