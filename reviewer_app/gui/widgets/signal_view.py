"""The signal view: a waveform per channel and a spectrogram on one shared time axis,
with the problem spans, the turns, the selected segment and the playhead.

Drawing only. Waveforms come from the peak pyramids (core.audio.peaks), the
spectrogram image from core.review.call_audio; the view never reads more
than the visible window. Artists are created once per call and only get new
data on a redraw; the playhead, the selection outline and drag previews are
animated artists blitted over a cached background, so they cost no redraw.

User intents leave as signals (seek, select, edit bounds, draw a span, new
viewport); the window decides what they do.
"""
from __future__ import annotations

import bisect
import time
from dataclasses import dataclass, field

import matplotlib
import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch, Polygon, Rectangle
from matplotlib.path import Path
from matplotlib.text import Text
from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QCursor

from reviewer_app.core.audio.peaks import envelope_polygon, pixel_columns
from reviewer_app.core.domain import AGENT, BOTH, CUSTOMER, Turn
from reviewer_app.core.review.call_audio import N_MELS, CallAudio, Spectrogram, mel_band_of
from reviewer_app.core.review.viewport import Viewport
from reviewer_app.core.storage.repository import StoredSegment
from reviewer_app.gui.theme import (
    BACKGROUND,
    CATEGORY_COLORS,
    CATEGORY_LABELS,
    PLAYHEAD_COLOR,
    PLOT_FONT_SIZE,
    ROLE_COLORS,
    SELECTION_COLOR,
    role_label,
    span_alpha,
)
from reviewer_app.gui.widgets.plot_time import TimeFormatter, TimeLocator

EDGE_GRAB_PX = 7
DRAG_THRESHOLD_PX = 4
WORDS_MAX_SPAN_S = 15.0
MAX_WORD_LABELS = 45
MAX_SPAN_LABELS = 24
LEFT_PX, RIGHT_PX, TOP_PX, BOTTOM_PX, GAP_PX = 118, 12, 6, 28, 5


@dataclass
class _Lane:
    ax: object
    role: str  # agent / customer / both, or "spectrogram"
    channel: int | None
    env: Polygon | None = None
    spans: PolyCollection | None = None
    turns: PolyCollection | None = None
    selection: Rectangle | None = None
    preview: Rectangle | None = None
    playhead: Line2D | None = None
    words: list[Text] = field(default_factory=list)
    labels: list[Text] = field(default_factory=list)
    peak: float = 1.0
    label: Text | None = None
    line: Line2D | None = None


class SignalView(FigureCanvasQTAgg):
    seekRequested = Signal(float)
    segmentClicked = Signal(int)
    boundsEdited = Signal(int, float, float)  # segment id, new start, new end
    spanDrawn = Signal(float, float, str)  # start, end, role of the lane drawn in
    viewportRequested = Signal(object)  # Viewport
    contextMenuRequested = Signal(int, float, QPoint)  # segment id (-1: none), time, global pos
    spectrogramWanted = Signal(float, float, int)  # t0, t1, columns
    waveformPainted = Signal()  # the first paint that shows the waveform of a newly set audio
    redrawn = Signal(float)  # milliseconds the last full redraw took

    def __init__(self, parent=None) -> None:
        self.figure = Figure(figsize=(10, 4), dpi=100, facecolor=BACKGROUND)
        super().__init__(self.figure)
        self.setParent(parent)
        self.setMinimumHeight(240)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self._lanes: list[_Lane] = []
        self._spec_lane: _Lane | None = None
        self._image = None
        self._audio: CallAudio | None = None
        self._duration = 1.0
        self._viewport = Viewport.whole(1.0)
        self._segments: list[StoredSegment] = []
        self._turns: list[Turn] = []
        self._turn_spans: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._words_by_role: dict[str, tuple[np.ndarray, list[str]]] = {}
        self._selected: StoredSegment | None = None
        self._playhead = 0.0
        self._background = None  # static + data layers: what the overlays are blitted over
        self._static = None  # frames, labels, axes faces: redrawn only when they change
        self._static_dirty = True
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(0)
        self._redraw_timer.timeout.connect(self.redraw)
        self._drag: dict | None = None
        self._announce_paint = False
        self._drawn_with_audio = False
        self._spec_key = None
        self.last_redraw_ms = 0.0
        self._locator = TimeLocator()
        self._formatter = TimeFormatter(self._locator)
        self._message = self.figure.text(0.5, 0.5, "Open a call from the library", ha="center", va="center",
                                         fontsize=PLOT_FONT_SIZE + 2, color="#777777")
        self.mpl_connect("draw_event", self._on_draw)
        self.mpl_connect("resize_event", lambda _e: self._layout())

    # --- set-up ---------------------------------------------------------------------

    def set_call(self, duration: float, roles: tuple[str, ...]) -> None:
        """New call: one lane per channel (agent above customer) and the spectrogram."""
        self.figure.clear()
        self._lanes, self._spec_lane, self._image, self._audio = [], None, None, None
        self._background, self._drag, self._selected, self._spec_key = None, None, None, None
        self._static, self._static_dirty = None, True
        self._drawn_with_audio = False
        self._duration = max(float(duration), 1e-3)
        self._viewport = Viewport.whole(self._duration)
        if not roles:  # no call: just the hint
            self._message = self.figure.text(0.5, 0.5, "Open a call from the library", ha="center",
                                             va="center", fontsize=PLOT_FONT_SIZE + 2, color="#777777")
            self.draw_idle()
            return
        order = {AGENT: 0, CUSTOMER: 1}
        shown = sorted(range(len(roles)), key=lambda i: (order.get(roles[i], 2), i))
        for ch in shown:
            ax = self.figure.add_axes((0, 0, 1, 1))
            ax.xaxis.set_visible(False)  # one time axis, under the spectrogram: no tick work up here
            self._lanes.append(self._make_wave_lane(ax, roles[ch], ch))
        ax = self.figure.add_axes((0, 0, 1, 1))
        self._spec_lane = self._make_spec_lane(ax)
        self._lanes.append(self._spec_lane)
        bottom = self._spec_lane.ax
        bottom.xaxis.set_major_locator(self._locator)
        bottom.xaxis.set_major_formatter(self._formatter)
        bottom.tick_params(axis="x", labelsize=PLOT_FONT_SIZE)
        bottom.xaxis.set_animated(True)  # the time ticks move with the view: data layer
        self._time_label = self.figure.text(0, 0, "time (m:ss)", fontsize=PLOT_FONT_SIZE - 1, ha="right",
                                            va="top", color="#555555")
        self._spec_hint = bottom.text(0.5, 0.5, "computing the spectrogram…", transform=bottom.transAxes,
                                      ha="center", va="center", color="#dddddd", fontsize=PLOT_FONT_SIZE + 1)
        self._message = self.figure.text(0.5, 0.55, "loading audio…", ha="center", va="center",
                                         fontsize=PLOT_FONT_SIZE + 2, color="#777777")
        self._layout()
        self.refresh()

    def _make_wave_lane(self, ax, role: str, channel: int) -> _Lane:
        color = ROLE_COLORS.get(role, "#555555")
        ax.set_facecolor("#ffffff")
        ax.set_ylim(-1, 1)
        ax.set_yticks([])
        side = {0: "left", 1: "right"}.get(channel, str(channel))
        for spine in ax.spines.values():
            spine.set_color("#c8c8c8")
        xaxis = ax.get_xaxis_transform()
        lane = _Lane(ax, role, channel)
        lane.label = self.figure.text(0, 0, f"{role_label(role)}\n({side})", fontsize=PLOT_FONT_SIZE + 1,
                                      color=color, fontweight="bold", ha="right", va="center")
        lane.spans = PolyCollection([], transform=xaxis, zorder=1, animated=True)
        ax.add_collection(lane.spans)
        lane.turns = PathPatch(Path(np.zeros((1, 2))), transform=xaxis, zorder=2,
                               facecolor=to_rgba(color, 0.28), edgecolor="none", animated=True)
        ax.add_patch(lane.turns)
        lane.env = Polygon(np.zeros((0, 2)), closed=True, facecolor=to_rgba(color, 0.9), edgecolor="none",
                           linewidth=0, zorder=3, animated=True)
        ax.add_patch(lane.env)
        lane.line = Line2D([], [], color=color, linewidth=1.0, zorder=3, animated=True, visible=False)
        ax.add_line(lane.line)  # zoomed in to single samples: the waveform as a line
        ax.axhline(0, color="#d0d0d0", linewidth=0.5, zorder=2)
        self._add_overlays(lane)
        return lane

    def _make_spec_lane(self, ax) -> _Lane:
        ax.set_facecolor("#000000")
        self._image = ax.imshow(np.full((N_MELS, 2), -100.0, np.float32), origin="lower", aspect="auto",
                                cmap="magma", interpolation="nearest", extent=(0, 1e-6, 0, N_MELS),
                                vmin=-90, vmax=-20, zorder=0, animated=True)
        self._image.set_visible(False)
        self._cmap = matplotlib.colormaps["magma"]
        ax.set_ylim(0, N_MELS)
        ax.tick_params(axis="y", labelsize=PLOT_FONT_SIZE - 1)
        lane = _Lane(ax, "spectrogram", None)
        lane.label = self.figure.text(0, 0, "Spectrum\n(kHz)", fontsize=PLOT_FONT_SIZE + 1, ha="right",
                                      va="center")
        self._add_overlays(lane)
        return lane

    def _add_overlays(self, lane: _Lane) -> None:
        xaxis = lane.ax.get_xaxis_transform()
        lane.selection = Rectangle((0, 0.005), 0, 0.99, transform=xaxis, fill=False, linewidth=2.2,
                                   edgecolor=SELECTION_COLOR, animated=True, visible=False, zorder=6)
        lane.ax.add_patch(lane.selection)
        lane.preview = Rectangle((0, 0), 0, 1, transform=xaxis, facecolor=to_rgba("#333333", 0.18),
                                 edgecolor="#333333", linestyle="--", linewidth=1.2, animated=True,
                                 visible=False, zorder=6)
        lane.ax.add_patch(lane.preview)
        lane.playhead = Line2D([0, 0], [0, 1], transform=xaxis, color=PLAYHEAD_COLOR, linewidth=1.6,
                               animated=True, zorder=7)
        lane.ax.add_line(lane.playhead)

    def _layout(self) -> None:
        """Axes positions in pixels: fixed margins for labels whatever the window size."""
        if not self._lanes:
            return
        w, h = self.figure.bbox.width, self.figure.bbox.height
        if w < 50 or h < 50:
            return
        left, right = LEFT_PX / w, 1 - RIGHT_PX / w
        usable = h - TOP_PX - BOTTOM_PX - GAP_PX * (len(self._lanes) - 1)
        weights = [1.0] * (len(self._lanes) - 1) + [1.15]
        unit = usable / sum(weights)
        y = h - TOP_PX
        for lane, weight in zip(self._lanes, weights):
            height = unit * weight
            y -= height
            lane.ax.set_position((left, y / h, right - left, height / h))
            pad = 34 if lane.role == "spectrogram" else 8  # room for the kHz tick labels
            lane.label.set_position(((LEFT_PX - pad) / w, (y + height / 2) / h))
            y -= GAP_PX
        self._static_dirty = True
        self._time_label.set_position(((LEFT_PX - 12) / w, (BOTTOM_PX - 5) / h))
        self._spec_key = None

    # --- data -------------------------------------------------------------------

    def set_audio(self, audio: CallAudio | None) -> None:
        self._audio = audio
        self._spec_key = None
        if audio is not None:
            self._duration = audio.duration_s
            self._message.set_visible(False)
            for lane in self._lanes:
                if lane.channel is not None and lane.channel < len(audio.pyramids):
                    top_min, top_max = audio.pyramids[lane.channel].levels[-1]
                    peak = float(max(abs(top_min.min(initial=0)), abs(top_max.max(initial=0))))
                    lane.peak = max(peak * 1.08, 0.02)
                    lane.ax.set_ylim(-lane.peak, lane.peak)
            self._announce_paint = True
        else:
            self._message.set_text("audio not available")
            self._message.set_visible(True)
        self._static_dirty = True
        self.refresh()

    def set_message(self, text: str) -> None:
        self._message.set_text(text)
        self._message.set_visible(bool(text))
        self._static_dirty = True
        self.refresh()

    def set_segments(self, segments: list[StoredSegment]) -> None:
        self._segments = sorted(segments, key=lambda s: s.start)
        if self._selected is not None:
            self._selected = next((s for s in self._segments if s.id == self._selected.id), None)
        self.refresh()

    def set_turns(self, turns: list[Turn]) -> None:
        self._turns = list(turns)
        self._turn_spans = {}
        for role in {t.role for t in turns} | {BOTH}:
            mine = sorted((t.start, t.end) for t in turns if role == BOTH or t.role == role)
            ends = np.array([e for _, e in mine]) if mine else np.zeros(0)
            reach = np.maximum.accumulate(ends) if mine else ends  # sorted, for the search
            self._turn_spans[role] = (np.array([s for s, _ in mine]), ends, reach)
        by_role: dict[str, list[tuple[float, str]]] = {}
        for turn in turns:
            for w in turn.words:
                by_role.setdefault(turn.role, []).append((w.start, w.word.strip()))
        self._words_by_role = {}
        for role, items in by_role.items():
            items.sort()
            self._words_by_role[role] = (np.array([t for t, _ in items]), [w for _, w in items])
        self.refresh()

    def set_selected(self, segment_id: int | None) -> None:
        self._selected = next((s for s in self._segments if s.id == segment_id), None)
        self._blit()

    def set_viewport(self, viewport: Viewport) -> None:
        if viewport != self._viewport:
            self._viewport = viewport
            self.refresh()

    def set_playhead(self, t: float) -> None:
        self._playhead = float(t)
        self._blit()

    def set_spectrogram(self, spec: Spectrogram) -> None:
        if self._image is None:
            return
        hi = float(np.percentile(spec.image, 99.5)) if spec.image.size else -20.0
        scaled = np.clip((spec.image - (hi - 65.0)) / 65.0, 0.0, 1.0)
        self._image.set_data(self._cmap(scaled, bytes=True))  # coloured once here, not on every draw
        self._image.set_extent((spec.start, spec.end, 0, N_MELS))
        self._image.set_visible(True)
        if self._spec_hint.get_visible():
            self._spec_hint.set_visible(False)
            self._static_dirty = True
        self._set_freq_ticks(spec.sample_rate)
        self.refresh()

    def _set_freq_ticks(self, sample_rate: int) -> None:
        ax = self._spec_lane.ax
        freqs = [f for f in (500, 1000, 2000, 3000, 4000, 6000, 8000, 12000, 16000) if f < sample_rate / 2 * 0.97]
        if len(freqs) > 5:
            freqs = [f for f in freqs if f in (500, 1000, 2000, 4000, 8000, 16000)]
        ticks = [mel_band_of(f, sample_rate) for f in freqs]
        if list(ax.get_yticks()) != ticks:
            ax.set_yticks(ticks)
            ax.set_yticklabels([f"{f / 1000:g}" for f in freqs])
            self._static_dirty = True

    @property
    def viewport(self) -> Viewport:
        return self._viewport

    # --- drawing ------------------------------------------------------------------

    def refresh(self) -> None:
        """Redraw soon; many changes in one event-loop turn cost one redraw."""
        if not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def redraw(self) -> None:
        """Redraw now: only the data layer over the cached static layer when that is valid."""
        self._redraw_timer.stop()
        if self._static_dirty or self._static is None or not self._lanes:
            self.draw()
            return
        started = time.perf_counter()
        self._update_artists()
        self.restore_region(self._static)
        self._draw_dynamic()
        self._background = self.copy_from_bbox(self.figure.bbox)
        self._draw_overlays()
        self.update()
        self._finish_timing(started)

    def draw(self) -> None:
        """Full draw (new call, resize, new axes limits): static layer, then the data layer."""
        started = time.perf_counter()
        self._draw_pending = False  # a draw_idle queued before this is served by it
        self._redraw_timer.stop()
        self._update_artists()
        super().draw()  # animated artists are skipped here; _on_draw adds them
        self._static_dirty = False
        self._finish_timing(started)

    def _finish_timing(self, started: float) -> None:
        self.last_redraw_ms = (time.perf_counter() - started) * 1000
        self.redrawn.emit(self.last_redraw_ms)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        if self._announce_paint and self._drawn_with_audio:
            self._announce_paint = False
            self.waveformPainted.emit()

    def _dynamic_artists(self):
        for lane in self._lanes:
            if lane.env is not None:
                yield lane.ax, lane.spans
                yield lane.ax, lane.turns
                yield lane.ax, lane.env
                if lane.line.get_visible():
                    yield lane.ax, lane.line
                for text in lane.labels + lane.words:
                    if text.get_visible():
                        yield lane.ax, text
        if self._spec_lane is not None:
            if self._image is not None and self._image.get_visible():
                yield self._spec_lane.ax, self._image
            yield self._spec_lane.ax, self._spec_lane.ax.xaxis

    def _draw_dynamic(self) -> None:
        for ax, artist in self._dynamic_artists():
            ax.draw_artist(artist)

    def _update_artists(self) -> None:
        if not self._lanes:
            return
        vp = self._viewport
        for lane in self._lanes:
            lane.ax.set_xlim(vp.start, vp.end)
        visible = [s for s in self._segments if s.end >= vp.start and s.start <= vp.end]
        px_per_s = self._lanes[0].ax.bbox.width / max(vp.span, 1e-9)
        for lane in self._lanes:
            if lane.env is None:
                continue
            self._update_wave(lane, vp)
            self._update_spans(lane, visible, px_per_s)
            self._update_turns(lane, vp)
            self._update_words(lane, vp)
        self._drawn_with_audio = self._audio is not None
        self._request_spectrogram(vp)

    def _update_wave(self, lane: _Lane, vp: Viewport) -> None:
        if self._audio is None or lane.channel is None or lane.channel >= len(self._audio.pyramids):
            lane.env.set_xy(np.zeros((1, 2)))
            lane.line.set_visible(False)
            return
        pixels = max(1, int(lane.ax.bbox.width))
        env = self._audio.pyramids[lane.channel].envelope(vp.start, vp.end, pixels)
        if env.block_s == 0 and len(env):  # fewer samples than pixels: draw the samples
            lane.line.set_data(env.times, env.maxs)
            lane.line.set_visible(True)
            lane.env.set_xy(np.zeros((1, 2)))
            return
        lane.line.set_visible(False)
        xy = envelope_polygon(pixel_columns(env, vp.start, vp.end, pixels))
        lane.env.set_xy(xy if len(xy) else np.zeros((1, 2)))

    def _lane_segments(self, lane: _Lane, segments: list[StoredSegment]) -> list[StoredSegment]:
        if lane.role == BOTH:
            return segments
        return [s for s in segments if s.role in (lane.role, BOTH)]

    def _update_spans(self, lane: _Lane, visible: list[StoredSegment], px_per_s: float) -> None:
        segs = self._lane_segments(lane, visible)
        verts, faces, edges, widths, styles = [], [], [], [], []
        for s in segs:
            verts.append([(s.start, 0), (s.start, 1), (s.end, 1), (s.end, 0)])
            color = CATEGORY_COLORS.get(s.category, "#888888")
            faces.append(to_rgba(color if s.status != "rejected" else "#9a9a9a", span_alpha(s.score, s.status)))
            if s.status == "rejected":
                edges.append(to_rgba("#7a7a7a", 0.9)), widths.append(1.0), styles.append("--")
            elif s.status == "predicted":
                edges.append(to_rgba(color, 0.0)), widths.append(0.0), styles.append("-")
            else:
                edges.append(to_rgba(color, 1.0)), widths.append(1.6), styles.append("-")
        lane.spans.set_verts(verts)
        lane.spans.set_facecolors(faces or "none")
        lane.spans.set_edgecolors(edges or "none")
        lane.spans.set_linewidths(widths or [0])
        lane.spans.set_linestyles(styles or ["-"])
        wide = [s for s in segs if (s.end - s.start) * px_per_s >= 64][:MAX_SPAN_LABELS]
        while len(lane.labels) < len(wide):
            lane.labels.append(lane.ax.text(0, 0.97, "", transform=lane.ax.get_xaxis_transform(), va="top",
                                            ha="left", fontsize=PLOT_FONT_SIZE - 1, zorder=5, clip_on=True,
                                            animated=True))
        for text, s in zip(lane.labels, wide):
            mark = {"confirmed": " ✔", "rejected": " ✘", "edited": " ✎", "added": " +"}.get(s.status, "")
            text.set_text(CATEGORY_LABELS.get(s.category, s.category) + mark)
            text.set_x(max(s.start, self._viewport.start))
            text.set_color("#444444" if s.status == "rejected" else CATEGORY_COLORS.get(s.category, "#333333"))
            text.set_visible(True)
        for text in lane.labels[len(wide):]:
            text.set_visible(False)

    def _update_turns(self, lane: _Lane, vp: Viewport) -> None:
        """All visible turns of the lane's speaker as one compound path (one draw call)."""
        empty = np.zeros(0)
        starts, ends, reach = self._turn_spans.get(lane.role if lane.role in self._turn_spans else BOTH,
                                                   (empty, empty, empty))
        lo = int(np.searchsorted(reach, vp.start))
        hi = int(np.searchsorted(starts, vp.end, side="right"))
        a, b = starts[lo:hi], ends[lo:hi]
        if a.size == 0:
            lane.turns.set_path(Path(np.zeros((1, 2))))
            return
        b = np.maximum(b, a + vp.span / 2000)  # at least a hair wide
        verts = np.empty((a.size, 5, 2))
        verts[:, :, 0] = np.stack([a, a, b, b, a], axis=1)
        verts[:, :, 1] = [0.0, 0.045, 0.045, 0.0, 0.0]
        codes = np.tile(np.array([Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY],
                                 dtype=Path.code_type), a.size)
        lane.turns.set_path(Path(verts.reshape(-1, 2), codes))

    def _update_words(self, lane: _Lane, vp: Viewport) -> None:
        shown = 0
        data = self._words_by_role.get(lane.role) if lane.role != BOTH else None
        if lane.role == BOTH and self._words_by_role:
            data = next(iter(self._words_by_role.values()))
        if data is not None and vp.span <= WORDS_MAX_SPAN_S:
            starts, words = data
            lo = bisect.bisect_left(starts, vp.start - 0.5)
            hi = bisect.bisect_right(starts, vp.end)
            if hi - lo <= MAX_WORD_LABELS:
                while len(lane.words) < hi - lo:
                    lane.words.append(lane.ax.text(0, 0.06, "", transform=lane.ax.get_xaxis_transform(),
                                                   fontsize=PLOT_FONT_SIZE - 1, color="#222222", va="bottom",
                                                   ha="left", zorder=5, clip_on=True, animated=True))
                for text, k in zip(lane.words, range(lo, hi)):
                    text.set_text(words[k])
                    text.set_x(starts[k])
                    text.set_visible(True)
                shown = hi - lo
        for text in lane.words[shown:]:
            text.set_visible(False)

    def _request_spectrogram(self, vp: Viewport) -> None:
        if self._audio is None or self._spec_lane is None:
            return
        columns = int(self._spec_lane.ax.bbox.width)
        key = (round(vp.start, 4), round(vp.end, 4), columns)
        if key != self._spec_key:
            self._spec_key = key
            self.spectrogramWanted.emit(vp.start, vp.end, columns)

    def _on_draw(self, _event) -> None:
        self._static = self.copy_from_bbox(self.figure.bbox)
        self._draw_dynamic()
        self._background = self.copy_from_bbox(self.figure.bbox)
        self._draw_overlays()

    def _draw_overlays(self) -> None:
        sel = self._selected
        drag = self._drag or {}
        for lane in self._lanes:
            show = sel is not None and (lane.role in ("spectrogram", BOTH) or sel.role in (lane.role, BOTH))
            if show:
                start, end = sel.start, sel.end
                if drag.get("kind") == "edge":
                    start, end = drag["start"], drag["end"]
                lane.selection.set_x(start)
                lane.selection.set_width(end - start)
            lane.selection.set_visible(show)
            if drag.get("kind") == "new" and drag.get("moved"):
                a, b = sorted((drag["t0"], drag["t1"]))
                lane.preview.set_x(a)
                lane.preview.set_width(b - a)
                lane.preview.set_visible(lane.role in (drag["role"], "spectrogram") or drag["role"] == BOTH)
            else:
                lane.preview.set_visible(False)
            lane.playhead.set_xdata([self._playhead, self._playhead])
            for artist in (lane.selection, lane.preview, lane.playhead):
                if artist.get_visible():
                    lane.ax.draw_artist(artist)

    def _blit(self) -> None:
        if self._background is None or not self._lanes:
            return
        self.restore_region(self._background)
        self._draw_overlays()
        self.blit(self.figure.bbox)

    # --- mouse ---------------------------------------------------------------------------

    def _hit(self, event) -> tuple[_Lane | None, float, float]:
        """(lane under the pointer, time there, x in display pixels)."""
        x, y = self.mouseEventCoords(event)
        if not self._lanes:
            return None, 0.0, x
        t = float(self._lanes[0].ax.transData.inverted().transform((x, y))[0])
        for lane in self._lanes:
            if lane.ax.bbox.x0 <= x <= lane.ax.bbox.x1 and lane.ax.bbox.y0 <= y <= lane.ax.bbox.y1:
                return lane, t, x
        return None, t, x

    def _px(self, t: float) -> float:
        return float(self._lanes[0].ax.transData.transform((t, 0))[0])

    def _edge_at(self, x: float) -> str | None:
        sel = self._selected
        if sel is None:
            return None
        d_start, d_end = abs(x - self._px(sel.start)), abs(x - self._px(sel.end))
        grab = EDGE_GRAB_PX * self.device_pixel_ratio
        if min(d_start, d_end) > grab:
            return None
        return "start" if d_start < d_end else "end"

    def segment_at(self, lane: _Lane | None, t: float) -> StoredSegment | None:
        pool = self._segments if lane is None or lane.role == "spectrogram" else self._lane_segments(lane, self._segments)
        hits = [s for s in pool if s.start <= t <= s.end]
        if not hits:
            return None
        if self._selected is not None and any(s.id == self._selected.id for s in hits):
            return self._selected
        return min(hits, key=lambda s: s.end - s.start)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        lane, t, x = self._hit(event)
        if lane is None:
            return
        if event.button() == Qt.MouseButton.RightButton:
            seg = self.segment_at(lane, t)
            self.contextMenuRequested.emit(seg.id if seg else -1, t, event.globalPosition().toPoint())
            return
        if event.button() != Qt.MouseButton.LeftButton:
            return
        edge = self._edge_at(x)
        role = lane.role if lane.role != "spectrogram" else BOTH
        if edge is not None:
            sel = self._selected
            self._drag = {"kind": "edge", "edge": edge, "start": sel.start, "end": sel.end, "id": sel.id,
                          "moved": False, "x0": x}
        elif event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self._drag = {"kind": "new", "t0": t, "t1": t, "role": role, "moved": False, "x0": x}
        else:
            self._drag = {"kind": "press", "t": t, "x0": x, "viewport": self._viewport, "lane": lane,
                          "moved": False}

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        lane, t, x = self._hit(event)
        drag = self._drag
        if drag is None:
            near = self._edge_at(x) if lane is not None else None
            self.setCursor(QCursor(Qt.CursorShape.SizeHorCursor if near else Qt.CursorShape.ArrowCursor))
            return
        if not drag["moved"] and abs(x - drag["x0"]) < DRAG_THRESHOLD_PX:
            return
        drag["moved"] = True
        t = min(max(t, 0.0), self._duration)
        if drag["kind"] == "edge":
            if drag["edge"] == "start":
                drag["start"] = min(t, drag["end"] - 0.05)
            else:
                drag["end"] = max(t, drag["start"] + 0.05)
            self._blit()
        elif drag["kind"] == "new":
            drag["t1"] = t
            self._blit()
        else:
            vp = drag["viewport"]
            dt = (x - drag["x0"]) / max(self._lanes[0].ax.bbox.width, 1) * vp.span
            self.setCursor(QCursor(Qt.CursorShape.ClosedHandCursor))
            self.viewportRequested.emit(vp.pan(-dt))

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        drag, self._drag = self._drag, None
        if drag is None:
            return
        self.setCursor(QCursor(Qt.CursorShape.ArrowCursor))
        if drag["kind"] == "edge":
            if drag["moved"]:
                self.boundsEdited.emit(drag["id"], drag["start"], drag["end"])
            self._blit()
        elif drag["kind"] == "new":
            self._blit()
            if drag["moved"]:
                a, b = sorted((drag["t0"], drag["t1"]))
                self.spanDrawn.emit(a, b, drag["role"])
        elif not drag["moved"]:
            seg = self.segment_at(drag["lane"], drag["t"])
            if seg is not None:
                self.segmentClicked.emit(seg.id)
            self.seekRequested.emit(min(max(drag["t"], 0.0), self._duration))

    def wheelEvent(self, event) -> None:  # noqa: N802
        lane, t, _x = self._hit(event)
        delta = event.angleDelta()
        dy, dx = delta.y() / 120.0, delta.x() / 120.0
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier and dx == 0:
            dx, dy = dy, 0.0
        if dx:
            self.viewportRequested.emit(self._viewport.pan_fraction(-0.1 * dx))
        elif dy:
            self.viewportRequested.emit(self._viewport.zoom_in(anchor=t, steps=dy))
        event.accept()
