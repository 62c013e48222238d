"""Hatched regions over the waveform lanes where personal data was redacted (and is muted at
playback): one animated PolyCollection per lane, drawn in the signal view's data layer.

Drawing only: the intervals come from the privacy feature (gui/privacy_view.py), already widened
by the redaction padding, so what is hatched is exactly what is silent.
"""
from __future__ import annotations

from weakref import WeakKeyDictionary

from matplotlib.collections import PolyCollection

from reviewer_app.core.domain import Interval
from reviewer_app.core.review.viewport import Viewport

HATCH = "////"
HATCH_COLOR = "#6b6b6b"
FILL = (0.55, 0.55, 0.55, 0.28)


class PiiHatches:
    """The hatch collection of each lane's axes, and the intervals they show."""

    def __init__(self) -> None:
        self.intervals: list[Interval] = []
        self._by_axes: WeakKeyDictionary = WeakKeyDictionary()  # axes -> PolyCollection (gone with the axes)

    def collection(self, ax) -> PolyCollection:
        coll = self._by_axes.get(ax)
        if coll is None:
            coll = PolyCollection([], facecolors=[FILL], edgecolors=[HATCH_COLOR], linewidths=0.0, hatch=HATCH,
                                  animated=True, zorder=3)
            ax.add_collection(coll)
            self._by_axes[ax] = coll
        return coll

    def update(self, ax, viewport: Viewport) -> None:
        """Show the intervals that fall in the viewport, full lane height."""
        lo, hi = ax.get_ylim()
        shown = [(max(a, viewport.start), min(b, viewport.end)) for a, b in self.intervals
                 if b >= viewport.start and a <= viewport.end]
        self.collection(ax).set_verts([[(a, lo), (b, lo), (b, hi), (a, hi)] for a, b in shown if b > a])

    def artists(self, ax):
        """The lane's hatch, when it has anything to show."""
        coll = self._by_axes.get(ax)
        if coll is not None and self.intervals:
            yield coll

    def shown(self, ax) -> list[Interval]:
        """The (start, end) of each hatched region drawn in the lane now (tests, accessibility)."""
        coll = self._by_axes.get(ax)
        if coll is None:
            return []
        return [(float(p.vertices[:, 0].min()), float(p.vertices[:, 0].max())) for p in coll.get_paths()]
