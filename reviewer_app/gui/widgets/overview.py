"""The overview strip: the whole call at a glance, its problem spans, a legend, and the
visible window. Click or drag in it to move the window there.

It redraws only when the call or its segments change; the window rectangle
and the playhead are blitted.
"""
from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon, Rectangle
from PySide6.QtCore import Qt, Signal

from reviewer_app.core.audio.peaks import envelope_polygon
from reviewer_app.core.review.call_audio import CallAudio
from reviewer_app.core.review.viewport import Viewport
from reviewer_app.core.storage.repository import StoredSegment
from reviewer_app.gui.theme import (
    BACKGROUND,
    CATEGORY_COLORS,
    CATEGORY_LABELS,
    PLAYHEAD_COLOR,
    PLOT_FONT_SIZE,
    span_alpha,
)
from reviewer_app.gui.widgets.plot_time import TimeFormatter, TimeLocator

LEFT_PX, RIGHT_PX = 118, 30
MIN_SPAN_PX = 2
LEGEND_ROWS_PX = 24


class OverviewStrip(FigureCanvasQTAgg):
    viewportRequested = Signal(object)  # Viewport centred where the user clicked

    def __init__(self, parent=None) -> None:
        self.figure = Figure(figsize=(10, 1.2), dpi=100, facecolor=BACKGROUND)
        super().__init__(self.figure)
        self.setParent(parent)
        self.setFixedHeight(118)
        self._duration = 1.0
        self._viewport = Viewport.whole(1.0)
        self._playhead = 0.0
        self._audio: CallAudio | None = None
        self._segments: list[StoredSegment] = []
        self._background = None
        self._dragging = False
        self.ax = self.figure.add_axes((0, 0, 1, 1))
        self.ax.set_yticks([])
        self.ax.set_ylabel("Whole call", fontsize=PLOT_FONT_SIZE, rotation=0, ha="right", va="center",
                           labelpad=6)
        self._locator = TimeLocator(px_per_tick=80)
        self.ax.xaxis.set_major_locator(self._locator)
        self.ax.xaxis.set_major_formatter(TimeFormatter(self._locator))
        self.ax.tick_params(axis="x", labelsize=PLOT_FONT_SIZE - 1, pad=1)
        for spine in self.ax.spines.values():
            spine.set_color("#c8c8c8")
        self._spans = PolyCollection([], transform=self.ax.get_xaxis_transform(), zorder=1)
        self.ax.add_collection(self._spans)
        self._env = Polygon(np.zeros((1, 2)), closed=True, facecolor="#5a5a5a", edgecolor="#5a5a5a",
                            linewidth=0.4, zorder=2)
        self.ax.add_patch(self._env)
        self._window = Rectangle((0, 0), 1, 1, transform=self.ax.get_xaxis_transform(),
                                 facecolor=to_rgba("#1f5fa8", 0.12), edgecolor="#1f5fa8", linewidth=1.5,
                                 animated=True, zorder=4)
        self.ax.add_patch(self._window)
        self._head = Line2D([0, 0], [0, 1], transform=self.ax.get_xaxis_transform(), color=PLAYHEAD_COLOR,
                            linewidth=1.2, animated=True, zorder=5)
        self.ax.add_line(self._head)
        self._legend = None
        self.mpl_connect("draw_event", self._on_draw)
        self.mpl_connect("resize_event", lambda _e: self._layout())
        self._layout()

    def _layout(self) -> None:
        w, h = self.figure.bbox.width, self.figure.bbox.height
        if w < 50 or h < 30:
            return
        bottom, top = 22 / h, 1 - LEGEND_ROWS_PX * 2 / h
        self.ax.set_position((LEFT_PX / w, bottom, 1 - (LEFT_PX + RIGHT_PX) / w, max(0.1, top - bottom)))
        self._update_env()
        self._update_spans()

    # --- data -----------------------------------------------------------------------

    def set_call(self, duration: float) -> None:
        self._duration = max(float(duration), 1e-3)
        self._audio = None
        self._segments = []
        self._viewport = Viewport.whole(self._duration)
        self.ax.set_xlim(0, self._duration)
        self._env.set_xy(np.zeros((1, 2)))
        self._update_spans()
        self.draw_idle()

    def forget_audio(self) -> None:
        """Let go of the audio now (another call is about to be decoded); no redraw."""
        self._audio = None

    def set_audio(self, audio: CallAudio | None) -> None:
        self._audio = audio
        if audio is not None:
            self._duration = audio.duration_s
            self.ax.set_xlim(0, self._duration)
        self._update_env()
        self.draw_idle()

    def _update_env(self) -> None:
        audio = self._audio
        if audio is None:
            self._env.set_xy(np.zeros((1, 2)))
        else:
            pixels = max(1, int(self.ax.bbox.width))
            envs = [p.envelope(0, self._duration, pixels) for p in audio.pyramids]
            lo = np.minimum.reduce([e.mins for e in envs]) if len(envs) > 1 else envs[0].mins
            hi = np.maximum.reduce([e.maxs for e in envs]) if len(envs) > 1 else envs[0].maxs
            env = type(envs[0])(envs[0].times, lo, hi, envs[0].block_s, envs[0].level)
            peak = max(float(np.abs(lo).max(initial=0)), float(np.abs(hi).max(initial=0)), 0.02)
            self.ax.set_ylim(-peak * 1.05, peak * 1.05)
            self._env.set_xy(envelope_polygon(env))

    def set_segments(self, segments: list[StoredSegment]) -> None:
        self._segments = list(segments)
        self._update_spans()
        self.draw_idle()

    def _update_spans(self) -> None:
        verts, faces = [], []
        min_w = MIN_SPAN_PX * self._duration / max(self.ax.bbox.width, 1.0)
        for s in self._segments:
            if s.status == "rejected":
                continue
            a, b = s.start, max(s.end, s.start + min_w)
            verts.append([(a, 0), (a, 1), (b, 1), (b, 0)])
            faces.append(to_rgba(CATEGORY_COLORS.get(s.category, "#888888"), min(1.0, span_alpha(s.score, s.status) + 0.3)))
        self._spans.set_verts(verts)
        self._spans.set_facecolors(faces or "none")
        self._spans.set_edgecolors(faces or "none")
        self._spans.set_linewidths([1.0] * len(faces) or [0])
        present = [c for c in CATEGORY_COLORS if any(s.category == c for s in self._segments)]
        if self._legend is not None:
            self._legend.remove()
            self._legend = None
        handles = [Patch(facecolor=CATEGORY_COLORS[c], edgecolor="none", label=CATEGORY_LABELS[c])
                   for c in (present or CATEGORY_COLORS)]
        self._legend = self.figure.legend(handles=handles, loc="upper center", ncol=min(len(handles), 9),
                                          fontsize=PLOT_FONT_SIZE, frameon=False, handlelength=1.2,
                                          handleheight=0.9, columnspacing=1.2, borderaxespad=0.2,
                                          title=None)
        self._legend.set_in_layout(False)

    def set_viewport(self, viewport: Viewport) -> None:
        self._viewport = viewport
        self._blit()

    def set_playhead(self, t: float) -> None:
        self._playhead = t
        self._blit()

    # --- drawing ---------------------------------------------------------------------

    def _on_draw(self, _event) -> None:
        self._background = self.copy_from_bbox(self.figure.bbox)
        self._draw_overlays()

    def _draw_overlays(self) -> None:
        vp = self._viewport
        self._window.set_x(vp.start)
        self._window.set_width(max(vp.span, self._duration * 0.002))
        self._head.set_xdata([self._playhead, self._playhead])
        self.ax.draw_artist(self._window)
        self.ax.draw_artist(self._head)

    def _blit(self) -> None:
        if self._background is None:
            return
        self.restore_region(self._background)
        self._draw_overlays()
        self.blit(self.figure.bbox)

    # --- mouse -----------------------------------------------------------------------

    def _time_at(self, event) -> float:
        x, y = self.mouseEventCoords(event)
        t = float(self.ax.transData.inverted().transform((x, y))[0])
        return min(max(t, 0.0), self._duration)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._dragging = True
            self.viewportRequested.emit(self._viewport.centred_on(self._time_at(event)))

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._dragging:
            self.viewportRequested.emit(self._viewport.centred_on(self._time_at(event)))

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        self._dragging = False
