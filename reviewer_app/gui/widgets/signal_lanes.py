"""The artists of one lane of the signal view (a channel's waveform, or the spectrogram),
made once per call and given new data on each redraw.

Data artists are `animated`: the view draws them over a cached static layer
(frames, labels), so a zoom or pan step repaints only what moved.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch, Polygon, Rectangle
from matplotlib.path import Path
from matplotlib.text import Text

from reviewer_app.core.audio.peaks import envelope_polygon, pixel_columns
from reviewer_app.core.domain import BOTH, Turn
from reviewer_app.core.review.call_audio import CallAudio
from reviewer_app.core.review.viewport import Viewport
from reviewer_app.core.storage.repository import StoredSegment
from reviewer_app.gui.theme import (
    CATEGORY_COLORS,
    CATEGORY_LABELS,
    PLAYHEAD_COLOR,
    PLOT_FONT_SIZE,
    ROLE_COLORS,
    SELECTION_COLOR,
    role_label,
    span_alpha,
)

SPECTROGRAM = "spectrogram"
WORDS_MAX_SPAN_S = 15.0  # word labels appear when the view is this short
MAX_WORD_LABELS = 32
MAX_SPAN_LABELS = 24
SPAN_LABEL_MIN_PX = 64
MIN_SPAN_PX = 3  # a 2 s finding on a 2 h call stays visible
STATUS_MARKS = {"confirmed": " ✔", "rejected": " ✘", "edited": " ✎", "added": " +"}


@dataclass
class Lane:
    ax: object
    role: str  # agent / customer / both, or SPECTROGRAM
    channel: int | None
    label: Text | None = None
    env: Polygon | None = None  # min/max envelope, one column per pixel
    line: Line2D | None = None  # the samples themselves when zoomed in that far
    spans: PolyCollection | None = None
    turns: PathPatch | None = None
    selection: Rectangle | None = None
    preview: Rectangle | None = None
    playhead: Line2D | None = None
    words: list[Text] = field(default_factory=list)
    labels: list[Text] = field(default_factory=list)

    @property
    def is_wave(self) -> bool:
        return self.env is not None

    def data_artists(self):
        """The animated data artists of a wave lane, in drawing order."""
        yield self.spans
        yield self.turns
        yield self.env
        if self.line.get_visible():
            yield self.line
        for text in self.labels + self.words:
            if text.get_visible():
                yield text

    def segments_of(self, segments: list[StoredSegment]) -> list[StoredSegment]:
        if self.role in (BOTH, SPECTROGRAM):
            return segments
        return [s for s in segments if s.role in (self.role, BOTH)]


def make_wave_lane(figure, ax, role: str, channel: int) -> Lane:
    color = ROLE_COLORS.get(role, "#555555")
    ax.set_facecolor("#ffffff")
    ax.set_ylim(-1, 1)
    ax.set_yticks([])
    ax.xaxis.set_visible(False)  # one time axis, under the spectrogram: no tick work up here
    for spine in ax.spines.values():
        spine.set_color("#c8c8c8")
    xaxis = ax.get_xaxis_transform()
    side = {0: "left", 1: "right"}.get(channel, str(channel))
    lane = Lane(ax, role, channel)
    lane.label = figure.text(0, 0, f"{role_label(role)}\n({side})", fontsize=PLOT_FONT_SIZE + 1,
                             color=color, fontweight="bold", ha="right", va="center")
    lane.spans = PolyCollection([], transform=xaxis, zorder=1, animated=True)
    ax.add_collection(lane.spans)
    lane.turns = PathPatch(Path(np.zeros((1, 2))), transform=xaxis, zorder=2,
                           facecolor=to_rgba(color, 0.28), edgecolor="none", animated=True)
    ax.add_patch(lane.turns)
    lane.env = Polygon(np.zeros((1, 2)), closed=True, facecolor=to_rgba(color, 0.9), edgecolor="none",
                       linewidth=0, zorder=3, animated=True)
    ax.add_patch(lane.env)
    lane.line = Line2D([], [], color=color, linewidth=1.0, zorder=3, animated=True, visible=False)
    ax.add_line(lane.line)
    ax.axhline(0, color="#d0d0d0", linewidth=0.5, zorder=2)
    add_overlays(lane)
    return lane


def make_spectrogram_lane(figure, ax) -> Lane:
    ax.set_facecolor("#000000")
    ax.tick_params(axis="y", labelsize=PLOT_FONT_SIZE - 1)
    lane = Lane(ax, SPECTROGRAM, None)
    lane.label = figure.text(0, 0, "Spectrum\n(kHz)", fontsize=PLOT_FONT_SIZE + 1, ha="right", va="center")
    add_overlays(lane)
    return lane


def add_overlays(lane: Lane) -> None:
    """Selection outline, drag preview and playhead: blitted, never part of a redraw."""
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


def update_wave(lane: Lane, audio: CallAudio | None, vp: Viewport) -> None:
    """Envelope from the peak pyramid at ~2 blocks per pixel, merged to one column per pixel."""
    if audio is None or lane.channel is None or lane.channel >= len(audio.pyramids):
        lane.env.set_xy(np.zeros((1, 2)))
        lane.line.set_visible(False)
        return
    pixels = max(1, int(lane.ax.bbox.width))
    env = audio.pyramids[lane.channel].envelope(vp.start, vp.end, pixels)
    if env.block_s == 0 and len(env):  # fewer samples than pixels: draw the samples
        lane.line.set_data(env.times, env.maxs)
        lane.line.set_visible(True)
        lane.env.set_xy(np.zeros((1, 2)))
        return
    lane.line.set_visible(False)
    xy = envelope_polygon(pixel_columns(env, vp.start, vp.end, pixels))
    lane.env.set_xy(xy if len(xy) else np.zeros((1, 2)))


def update_spans(lane: Lane, visible: list[StoredSegment], vp: Viewport, px_per_s: float) -> None:
    """Problem spans in category colours, opacity by score; outlined once a person judged them."""
    segs = lane.segments_of(visible)
    verts, faces, edges, widths, styles = [], [], [], [], []
    min_w = MIN_SPAN_PX / max(px_per_s, 1e-9)
    for s in segs:
        a, b = s.start, s.end
        if b - a < min_w:
            a, b = (a + b) / 2 - min_w / 2, (a + b) / 2 + min_w / 2
        verts.append([(a, 0), (a, 1), (b, 1), (b, 0)])
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
    wide = [s for s in segs if (s.end - s.start) * px_per_s >= SPAN_LABEL_MIN_PX][:MAX_SPAN_LABELS]
    while len(lane.labels) < len(wide):
        lane.labels.append(lane.ax.text(0, 0.97, "", transform=lane.ax.get_xaxis_transform(), va="top",
                                        ha="left", fontsize=PLOT_FONT_SIZE - 1, zorder=5, clip_on=True,
                                        animated=True))
    for text, s in zip(lane.labels, wide):
        text.set_text(CATEGORY_LABELS.get(s.category, s.category) + STATUS_MARKS.get(s.status, ""))
        text.set_x(max(s.start, vp.start))
        text.set_color("#444444" if s.status == "rejected" else CATEGORY_COLORS.get(s.category, "#333333"))
        text.set_visible(True)
    for text in lane.labels[len(wide):]:
        text.set_visible(False)


@dataclass(frozen=True)
class TurnIndex:
    """Turn bars and word labels per speaker, sorted for binary search."""

    spans: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]  # role -> starts, ends, running max end
    words: dict[str, tuple[np.ndarray, list[str]]]  # role -> word starts, words

    @classmethod
    def of(cls, turns: list[Turn]) -> "TurnIndex":
        spans = {}
        for role in {t.role for t in turns} | {BOTH}:
            mine = sorted((t.start, t.end) for t in turns if role == BOTH or t.role == role)
            ends = np.array([e for _, e in mine]) if mine else np.zeros(0)
            reach = np.maximum.accumulate(ends) if mine else ends
            spans[role] = (np.array([s for s, _ in mine]) if mine else np.zeros(0), ends, reach)
        by_role: dict[str, list[tuple[float, str]]] = {}
        for turn in turns:
            for w in turn.words:
                by_role.setdefault(turn.role, []).append((w.start, w.word.strip()))
                if turn.role != BOTH:
                    by_role.setdefault(BOTH, []).append((w.start, w.word.strip()))
        words = {}
        for role, items in by_role.items():
            items.sort()
            words[role] = (np.array([t for t, _ in items]), [w for _, w in items])
        return cls(spans, words)


def update_turns(lane: Lane, index: TurnIndex, vp: Viewport) -> None:
    """All visible turns of the lane's speaker as one compound path (one draw call)."""
    empty = np.zeros(0)
    starts, ends, reach = index.spans.get(lane.role, index.spans.get(BOTH, (empty, empty, empty)))
    lo = int(np.searchsorted(reach, vp.start))
    hi = int(np.searchsorted(starts, vp.end, side="right"))
    a, b = starts[lo:hi], ends[lo:hi]
    if a.size == 0:
        lane.turns.set_path(Path(np.zeros((1, 2))))
        return
    b = np.maximum(b, a + vp.span / 2000)  # at least a hair wide
    pixels = max(1, int(lane.ax.bbox.width))
    if a.size > pixels // 8:  # zoomed far out: merge bars that touch on screen into runs
        a, b = _pixel_runs(a, b, vp, pixels)
    verts = np.empty((a.size, 5, 2))
    verts[:, :, 0] = np.stack([a, a, b, b, a], axis=1)
    verts[:, :, 1] = [0.0, 0.045, 0.045, 0.0, 0.0]
    codes = np.tile(np.array([Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY],
                             dtype=Path.code_type), a.size)
    lane.turns.set_path(Path(verts.reshape(-1, 2), codes))


def _pixel_runs(a: np.ndarray, b: np.ndarray, vp: Viewport, pixels: int) -> tuple[np.ndarray, np.ndarray]:
    """Intervals [a, b) as the runs of pixel columns they cover (what a screen can show)."""
    scale = pixels / vp.span
    lo = np.clip(np.floor((a - vp.start) * scale).astype(np.int64), 0, pixels)
    hi = np.clip(np.ceil((b - vp.start) * scale).astype(np.int64), 0, pixels)
    edges = np.zeros(pixels + 1, np.int64)
    np.add.at(edges, lo, 1)
    np.add.at(edges, hi, -1)
    covered = np.cumsum(edges[:-1]) > 0
    change = np.diff(np.concatenate([[False], covered, [False]]).astype(np.int8))
    starts, ends = np.flatnonzero(change == 1), np.flatnonzero(change == -1)
    return vp.start + starts / scale, vp.start + ends / scale


def update_words(lane: Lane, index: TurnIndex, vp: Viewport) -> None:
    """The words said in view, under the waveform, once the view is short enough to read them."""
    shown = 0
    data = index.words.get(lane.role)
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
