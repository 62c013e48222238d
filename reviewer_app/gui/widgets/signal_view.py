"""The signal view: a waveform per channel and a spectrogram on one shared time axis,
with the problem spans, the turns, the selected segment and the playhead.

Drawing only. Waveforms come from the peak pyramids (core.audio.peaks), the
spectrogram image from core.review.call_audio; the view never reads more
than the visible window. Three layers keep redraws cheap: a static layer
(frames, labels) drawn once per call or resize, the data layer (envelopes,
spans, turns, image, time ticks: animated artists from signal_lanes.py that
only get new data), and the overlays (playhead, selection outline, drag
previews) blitted over both, so moving the playhead costs no redraw at all.

User intents leave as signals (seek, select, edit bounds, draw a span, new
viewport); the window decides what they do.
"""
from __future__ import annotations

import time

import matplotlib
import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QCursor

from reviewer_app.core.domain import AGENT, BOTH, CUSTOMER, Turn
from reviewer_app.core.review.call_audio import N_MELS, CallAudio, Spectrogram, mel_band_of
from reviewer_app.core.review.viewport import Viewport
from reviewer_app.core.storage.repository import StoredSegment
from reviewer_app.gui.theme import BACKGROUND, PLOT_FONT_SIZE
from reviewer_app.gui.widgets.pii_hatch import PiiHatches
from reviewer_app.gui.widgets.plot_time import TimeFormatter, TimeLocator
from reviewer_app.gui.widgets.signal_lanes import (
    SPECTROGRAM,
    Lane,
    TurnIndex,
    make_spectrogram_lane,
    make_wave_lane,
    update_spans,
    update_turns,
    update_wave,
    update_words,
)

EDGE_GRAB_PX = 7
DRAG_THRESHOLD_PX = 4
LEFT_PX, RIGHT_PX, TOP_PX, BOTTOM_PX, GAP_PX = 118, 30, 6, 28, 5


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
        self._lanes: list[Lane] = []
        self._spec_lane: Lane | None = None
        self._image = None
        self._audio: CallAudio | None = None
        self._duration = 1.0
        self._viewport = Viewport.whole(1.0)
        self._segments: list[StoredSegment] = []
        self._turn_index = TurnIndex.of([])
        self._selected: StoredSegment | None = None
        self._playhead = 0.0
        self.pii = PiiHatches()  # redacted personal data: hatched, and muted at playback
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
        self._cmap = matplotlib.colormaps["magma"]
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
            self._lanes.append(make_wave_lane(self.figure, self.figure.add_axes((0, 0, 1, 1)), roles[ch], ch))
        self._spec_lane = make_spectrogram_lane(self.figure, self.figure.add_axes((0, 0, 1, 1)))
        self._lanes.append(self._spec_lane)
        bottom = self._spec_lane.ax
        self._image = bottom.imshow(np.zeros((N_MELS, 2, 4), np.uint8), origin="lower", aspect="auto",
                                    interpolation="nearest", extent=(0, 1e-6, 0, N_MELS), zorder=0,
                                    animated=True, visible=False)
        bottom.set_ylim(0, N_MELS)
        bottom.set_yticks([])  # kHz ticks come with the first spectrogram (they depend on its rate)
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
            pad = 34 if lane.role == SPECTROGRAM else 8  # room for the kHz tick labels
            lane.label.set_position(((LEFT_PX - pad) / w, (y + height / 2) / h))
            y -= GAP_PX
        self._static_dirty = True
        self._time_label.set_position(((LEFT_PX - 26) / w, (BOTTOM_PX - 5) / h))
        self._spec_key = None

    # --- data -------------------------------------------------------------------

    def forget_audio(self) -> None:
        """Let go of the audio now (another call is about to be decoded); no redraw."""
        self._audio = None

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
                    lane.ax.set_ylim(-max(peak * 1.08, 0.02), max(peak * 1.08, 0.02))
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
        self._turn_index = TurnIndex.of(turns)
        self.refresh()

    def set_pii(self, intervals) -> None:
        """Hatch these (start, end) stretches on every waveform lane: the redacted, muted audio."""
        self.pii.intervals = sorted(intervals)
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
            if lane.is_wave:
                for artist in lane.data_artists():
                    yield lane.ax, artist
                for artist in self.pii.artists(lane.ax):
                    yield lane.ax, artist
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
            if lane.is_wave:
                update_wave(lane, self._audio, vp)
                update_spans(lane, visible, vp, px_per_s)
                update_turns(lane, self._turn_index, vp)
                update_words(lane, self._turn_index, vp)
                self.pii.update(lane.ax, vp)
        self._drawn_with_audio = self._audio is not None
        self._request_spectrogram(vp)

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
            show = sel is not None and (lane.role in (SPECTROGRAM, BOTH) or sel.role in (lane.role, BOTH))
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
                lane.preview.set_visible(lane.role in (drag["role"], SPECTROGRAM) or drag["role"] == BOTH)
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

    def _hit(self, event) -> tuple[Lane | None, float, float]:
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

    def segment_at(self, lane: Lane | None, t: float) -> StoredSegment | None:
        pool = self._segments if lane is None else lane.segments_of(self._segments)
        hits = [s for s in pool if s.start <= t <= s.end]
        if not hits:
            return None
        if self._selected is not None and any(s.id == self._selected.id for s in hits):
            return self._selected
        return min(hits, key=lambda s: (s.status == "rejected", s.end - s.start))  # a live one first

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
        role = lane.role if lane.role != SPECTROGRAM else BOTH
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
