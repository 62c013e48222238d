"""The review of the open call: playback, navigation and corrections, and the views that follow
the shared ReviewState.

Handlers are short: they read the shared ReviewState, call the controller or
the player, and set new state; the views follow the state's signals.
`actions()` lists the window actions this feature answers.
"""
from __future__ import annotations

from functools import partial

from PySide6.QtCore import QObject, QPoint
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QInputDialog, QMenu

from reviewer_app.core.domain import AGENT, BOTH, CATEGORIES, CUSTOMER, ROLES
from reviewer_app.core.review.viewport import mmss
from reviewer_app.gui.context import WindowContext, WindowViews
from reviewer_app.gui.theme import CATEGORY_LABELS
from reviewer_app.gui.widgets.call_badges import is_call_level, shown_segments

SPEEDS = (0.5, 0.6, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0)
SEEK_STEP_S = 5.0
PAN_FRACTION = 0.2


class ReviewFeature(QObject):
    """Given the window (the parent of its menus), the context, the views, the shared state, the
    controller, the player, the call opener (the open call's audio) and the window's actions."""

    def __init__(self, window, ctx: WindowContext, views: WindowViews, state, controller, player, calls,
                 segment_model, act) -> None:
        super().__init__(window)
        self.window, self.ctx, self.views = window, ctx, views
        self.state, self.controller, self.player, self.calls = state, controller, player, calls
        self.segment_model, self.act = segment_model, act
        self._mark_in: float | None = None
        self._playing_segment: int | None = None
        st, view, tr = state, views.signal_view, views.transcript
        st.playheadMoved.connect(self._on_playhead)
        st.segmentSelected.connect(self._on_selected)
        view.seekRequested.connect(self.seek)
        view.boundsEdited.connect(lambda sid, a, b: self.controller.set_bounds(sid, a, b))
        view.spanDrawn.connect(self._on_span_drawn)
        view.contextMenuRequested.connect(self._segment_menu)
        tr.seekRequested.connect(self.seek)
        tr.seekRequested.connect(self.select_finding_at)
        tr.turnEdited.connect(self.controller.edit_turn)
        tr.editRefused.connect(ctx.show_error)
        views.segment_table.segmentActivated.connect(self._on_table_pick)
        player.playingChanged.connect(self._on_playing)
        controller.segmentsChanged.connect(self._on_segments_changed)
        controller.transcriptChanged.connect(self._on_transcript_changed)
        calls.opening.connect(self._forget_call)
        calls.audioReady.connect(self._apply_channel_gains)
        calls.sessionShown.connect(self._on_segments_changed)

    def actions(self) -> dict:
        """The window actions this feature answers: ActionSpec name -> handler."""
        return {
            "play_pause": self.do_play_pause, "play_segment": self.do_play_segment, "loop": self.do_loop,
            "speed_down": self.do_speed_down, "speed_up": self.do_speed_up, "speed_reset": self.do_speed_reset,
            "seek_back": self.do_seek_back, "seek_forward": self.do_seek_forward,
            "solo_agent": self.do_solo_agent, "solo_customer": self.do_solo_customer,
            "mute_agent": self.do_mute_agent, "mute_customer": self.do_mute_customer,
            "next_segment": self.do_next_segment, "prev_segment": self.do_prev_segment,
            "zoom_in": self.do_zoom_in, "zoom_out": self.do_zoom_out, "zoom_segment": self.do_zoom_segment,
            "zoom_all": self.do_zoom_all, "hide_rejected": self.do_hide_rejected,
            "pan_left": self.do_pan_left, "pan_right": self.do_pan_right,
            "confirm": self.do_confirm, "reject": self.do_reject, "delete": self.do_delete, "note": self.do_note,
            "cycle_role": self.do_cycle_role,
            "nudge_start_left": self.do_nudge_start_left, "nudge_start_right": self.do_nudge_start_right,
            "nudge_end_left": self.do_nudge_end_left, "nudge_end_right": self.do_nudge_end_right,
            "mark_in": self.do_mark_in, "mark_out": self.do_mark_out, "mark_reviewed": self.do_mark_reviewed,
            "edit_turn": self.do_edit_turn,
            **{f"category_{i + 1}": partial(self.do_category, i) for i in range(len(CATEGORIES))},
        }

    def _forget_call(self) -> None:
        self._playing_segment = None
        self._mark_in = None

    # --- user prompts (tests replace these two) -------------------------------------------

    def ask_category(self, pos: QPoint | None = None) -> str | None:
        menu = QMenu(self.window)
        menu.addSection("Category")
        for i, cat in enumerate(CATEGORIES):
            action = menu.addAction(f"&{i + 1}  {CATEGORY_LABELS[cat]}")
            action.setData(cat)
        chosen = menu.exec(pos or QCursor.pos())
        return chosen.data() if chosen is not None else None

    def ask_note(self, current: str) -> str | None:
        text, ok = QInputDialog.getMultiLineText(self.window, "Note", "Note on this segment (empty clears it):",
                                                 current)
        return text if ok else None

    # --- state followers ---------------------------------------------------------------

    def _session(self):
        return self.controller.session

    def _selected_segment(self):
        session = self._session()
        return session.get(self.state.selected) if session is not None else None

    def _on_playhead(self, t: float) -> None:
        self.views.signal_view.set_playhead(t)
        self.views.overview.set_playhead(t)
        self.views.transcript.set_current_time(t)
        self.views.transport.set_time(t)
        vp = self.state.viewport
        if self.player.playing and vp is not None and not vp.contains(t):
            self.state.set_viewport(vp.follow(t))

    def _on_selected(self, segment_id: int) -> None:
        seg = self._selected_segment()
        self.views.segment_table.show_segment(segment_id)
        self.views.signal_view.set_selected(seg.id if seg else None)
        self.views.transcript.show_segment(seg)
        if seg is not None:
            self._bring_into_view(seg.start, seg.end)
            self.views.transport.set_info(f"{CATEGORY_LABELS.get(seg.category, seg.category)} · {seg.role} · "
                                    f"{mmss(seg.start, 2)}–{mmss(seg.end, 2)} · score {seg.score:.2f} · "
                                    f"{seg.status}" + (f" · note: {seg.note}" if seg.note else ""))
        else:
            self.views.transport.set_info("")

    def _bring_into_view(self, start: float, end: float) -> None:
        vp = self.state.viewport
        if vp is None or (vp.start <= start and end <= vp.end):
            return
        if end - start < 0.8 * vp.span:
            self.state.set_viewport(vp.centred_on((start + end) / 2))
        else:
            self.state.set_viewport(vp.show(start, end))

    def _on_table_pick(self, segment_id: int) -> None:
        self.state.select(segment_id)
        seg = self._selected_segment()
        if seg is not None and not self.player.playing:
            self.seek(seg.start)

    def _on_segments_changed(self, change=None) -> None:
        session = self._session()
        if session is None:
            return
        segments = session.segments
        self.segment_model.apply(change, segments)  # the rows the write changed, or all when it moved rows
        shown = self.shown_segments(segments)
        self.views.signal_view.set_segments(shown)  # rejected ones drawn dimmed, or hidden by the toggle
        self.views.overview.set_segments(shown)
        self.views.transcript.set_segments(self._span_findings(segments))  # rejected ones are never marked there
        hide = self.state.hide_rejected
        self.views.call_badges.set_findings([s for s in segments if not (hide and s.status == "rejected")],
                                            self.state.selected)
        for row, seg in enumerate(segments):
            self.views.segment_table.setRowHidden(row, hide and seg.status == "rejected")
        if self.state.selected is not None and session.get(self.state.selected) is None:
            self.state.select(None)
        else:
            self.views.segment_table.show_segment(self.state.selected if self.state.selected is not None else -1)
            self._on_selected(self.state.selected if self.state.selected is not None else -1)
        playing = session.get(self._playing_segment)
        if playing is not None and self.player.region is not None:
            self.player.set_region_bounds(playing.start, playing.end)  # never a jump, only a new end

    def shown_segments(self, segments):
        """The spans the views draw (see call_badges.shown_segments)."""
        return shown_segments(segments, self.state.hide_rejected)

    def select_finding_at(self, t: float) -> None:
        """A word (or turn) clicked in the transcript: select the finding there, a live one before a
        rejected one, the shortest first; nothing changes when no finding covers `t`."""
        session = self._session()
        if session is None:
            return
        hits = [s for s in self.shown_segments(session.segments) if s.start <= t <= s.end]
        if hits:
            self.state.select(min(hits, key=lambda s: (s.status == "rejected", s.end - s.start)).id)

    @staticmethod
    def _span_findings(segments):
        return [s for s in segments if not is_call_level(s)]

    def do_hide_rejected(self, checked: bool) -> None:
        self.state.hide_rejected = bool(checked)
        self._on_segments_changed()

    def _on_transcript_changed(self, change=None) -> None:
        session = self._session()
        if session is None:
            return
        self.views.transcript.set_transcript(session.analysis.transcript, session.index)
        self.views.transcript.set_segments(self._span_findings(session.segments))
        self.views.signal_view.set_turns(session.analysis.transcript)

    def _on_playing(self, playing: bool) -> None:
        if not playing:
            self._playing_segment = None

    # --- seeking and playback -------------------------------------------------------------

    def seek(self, t: float) -> None:
        if self.calls.audio is not None:
            self.player.seek(t)
        else:
            self.state.set_playhead(max(0.0, t))

    def do_play_pause(self) -> None:
        if self.calls.audio is None:
            self.ctx.show_info("The audio is still loading.")
            return
        self.player.toggle()

    def play_segment(self, seg) -> None:
        if self.calls.audio is None or seg is None:
            return
        self._playing_segment = seg.id
        self.player.play(seg.start, seg.end, loop=self.act["loop"].isChecked())

    def do_play_segment(self) -> None:
        seg = self._selected_segment()
        if seg is None:
            self.ctx.show_info("Select a segment first.")
            return
        self.play_segment(seg)

    def do_loop(self, checked: bool) -> None:
        self.player.set_loop(checked)

    def _step_speed(self, direction: int) -> None:
        current = self.player.speed
        if direction > 0:
            nxt = next((s for s in SPEEDS if s > current + 1e-6), SPEEDS[-1])
        else:
            nxt = next((s for s in reversed(SPEEDS) if s < current - 1e-6), SPEEDS[0])
        self.player.set_speed(nxt)
        self.ctx.show_info(f"Speed {self.player.speed:.2f}×")

    def do_speed_up(self) -> None:
        self._step_speed(+1)

    def do_speed_down(self) -> None:
        self._step_speed(-1)

    def do_speed_reset(self) -> None:
        self.player.set_speed(1.0)

    def do_seek_back(self) -> None:
        self.seek(max(0.0, self.state.playhead - SEEK_STEP_S))

    def do_seek_forward(self) -> None:
        self.seek(self.state.playhead + SEEK_STEP_S)

    def _channel_of(self, role: str) -> int | None:
        return self.calls.audio.channel_of(role) if self.calls.audio is not None else None

    def _apply_channel_gains(self) -> None:
        solo = None
        if self.act["solo_agent"].isChecked():
            solo = self._channel_of(AGENT)
        elif self.act["solo_customer"].isChecked():
            solo = self._channel_of(CUSTOMER)
        self.player.set_solo(solo)
        for role, name in ((AGENT, "mute_agent"), (CUSTOMER, "mute_customer")):
            ch = self._channel_of(role)
            if ch is not None:
                self.player.set_mute(ch, self.act[name].isChecked())

    def do_solo_agent(self, checked: bool) -> None:
        if checked:
            self.act["solo_customer"].setChecked(False)
        self._apply_channel_gains()

    def do_solo_customer(self, checked: bool) -> None:
        if checked:
            self.act["solo_agent"].setChecked(False)
        self._apply_channel_gains()

    def do_mute_agent(self, checked: bool) -> None:
        self._apply_channel_gains()

    def do_mute_customer(self, checked: bool) -> None:
        self._apply_channel_gains()

    # --- navigation ---------------------------------------------------------------------------

    def go_to(self, segment_id: int | None, play: bool = True) -> None:
        if segment_id is None:
            return
        self.state.select(segment_id)
        seg = self._selected_segment()
        if seg is None:
            return
        vp = self.state.viewport
        if vp is not None:  # the whole finding in view with a margin, whatever its length
            self.state.set_viewport(vp.fit(seg.start, seg.end))
        if play and self.calls.audio is not None:
            self.play_segment(seg)
        else:
            self.seek(seg.start)

    def do_next_segment(self) -> None:
        session = self._session()
        if session is not None:
            self.go_to(session.next_id(self.state.selected, self.state.playhead))

    def do_prev_segment(self) -> None:
        session = self._session()
        if session is not None:
            self.go_to(session.previous_id(self.state.selected, self.state.playhead))

    def _zoom_anchor(self) -> float | None:
        vp = self.state.viewport
        t = self.state.playhead
        return t if vp is not None and vp.contains(t) else None

    def do_zoom_in(self) -> None:
        if self.state.viewport is not None:
            self.state.set_viewport(self.state.viewport.zoom_in(self._zoom_anchor()))

    def do_zoom_out(self) -> None:
        if self.state.viewport is not None:
            self.state.set_viewport(self.state.viewport.zoom_out(self._zoom_anchor()))

    def do_zoom_segment(self) -> None:
        seg = self._selected_segment()
        if seg is not None and self.state.viewport is not None:
            self.state.set_viewport(self.state.viewport.show(seg.start, seg.end))

    def do_zoom_all(self) -> None:
        if self.state.viewport is not None:
            self.state.set_viewport(self.state.viewport.whole_call())

    def do_pan_left(self) -> None:
        if self.state.viewport is not None:
            self.state.set_viewport(self.state.viewport.pan_fraction(-PAN_FRACTION))

    def do_pan_right(self) -> None:
        if self.state.viewport is not None:
            self.state.set_viewport(self.state.viewport.pan_fraction(PAN_FRACTION))

    # --- corrections -------------------------------------------------------------------------

    def do_confirm(self) -> None:
        sid = self.state.selected
        if self.controller.confirm(sid):
            self._advance_from(sid)

    def do_reject(self) -> None:
        sid = self.state.selected
        if self.controller.reject(sid):
            self._advance_from(sid)

    def _advance_from(self, segment_id: int | None) -> None:
        """Accept-and-next: after C or R, select and play the next finding (settings.reviewer
        .advance_after_decision turns it off). The write lands in the background meanwhile."""
        session = self._session()
        if session is None or not self.ctx.settings.reviewer.advance_after_decision:
            return
        following = session.next_id(segment_id)
        if following is None or following == segment_id:
            self.ctx.show_info("That was the last finding of this call.")
            return
        self.go_to(following)

    def do_category(self, index: int) -> None:
        if 0 <= index < len(CATEGORIES):
            self.controller.set_category(self.state.selected, CATEGORIES[index])

    def do_cycle_role(self) -> None:
        seg = self._selected_segment()
        if seg is not None:
            self.controller.set_role(seg.id, ROLES[(ROLES.index(seg.role) + 1) % len(ROLES)])

    def do_delete(self) -> None:
        session = self._session()
        sid = self.state.selected
        if session is None or sid is None:
            self.ctx.show_info("Select a segment first.")
            return
        row = session.row_of(sid)

        def select_next(_change) -> None:  # once the delete has landed: the segment now in its row
            if self.state.selected is not None and session.get(self.state.selected) is not None:
                return  # the reviewer has moved on meanwhile
            self.state.select(session.segments[min(row, len(session.segments) - 1)].id
                              if session.segments else None)

        self.controller.delete(sid, then=select_next)

    def do_note(self) -> None:
        seg = self._selected_segment()
        if seg is None:
            self.ctx.show_info("Select a segment first.")
            return
        text = self.ask_note(seg.note or "")
        if text is not None:
            self.controller.set_note(seg.id, text.strip() or None)

    def _nudge(self, edge: str, dt: float) -> None:
        self.controller.nudge(self.state.selected, edge, dt)

    def do_nudge_start_left(self) -> None:
        self._nudge("start", -0.05)

    def do_nudge_start_right(self) -> None:
        self._nudge("start", 0.05)

    def do_nudge_end_left(self) -> None:
        self._nudge("end", -0.05)

    def do_nudge_end_right(self) -> None:
        self._nudge("end", 0.05)

    def _new_span_role(self) -> str:
        if self.act["solo_agent"].isChecked():
            return AGENT
        if self.act["solo_customer"].isChecked():
            return CUSTOMER
        return BOTH

    def add_span(self, start: float, end: float, role: str, pos: QPoint | None = None) -> bool:
        """Ask the category and add the span; it is selected once it is stored."""
        category = self.ask_category(pos)
        if category is None:
            return False
        return self.controller.add(start, end, category, role, then=self.state.select)

    def _on_span_drawn(self, start: float, end: float, role: str) -> None:
        self.add_span(start, end, role)

    def do_mark_in(self) -> None:
        self._mark_in = self.state.playhead
        self.ctx.show_info(f"New span starts at {mmss(self._mark_in, 2)}; move the playhead and press O to end it.")

    def do_mark_out(self) -> None:
        if self._mark_in is None:
            self.ctx.show_info("Press I at the start of the new span first.")
            return
        start, end = sorted((self._mark_in, self.state.playhead))
        self._mark_in = None
        self.add_span(start, end, self._new_span_role())

    def do_mark_reviewed(self) -> None:
        self.controller.mark_reviewed()

    def do_edit_turn(self) -> None:
        session = self._session()
        if session is None:
            return
        turn = session.index.turn_at(self.state.playhead)
        self.views.transcript.begin_edit(0 if turn is None else turn)

    def _segment_menu(self, segment_id: int, t: float, pos: QPoint) -> None:
        menu = QMenu(self.window)
        if segment_id >= 0:
            self.state.select(segment_id)
            for name in ("play_segment", "confirm", "reject", "note", "delete", "zoom_segment"):
                menu.addAction(self.act[name])
            sub = menu.addMenu("Category")
            for i, _cat in enumerate(CATEGORIES):
                sub.addAction(self.act[f"category_{i + 1}"])
            menu.addAction(self.act["cycle_role"])
        else:
            menu.addAction(f"Seek to {mmss(t, 2)}", lambda: self.seek(t))
        menu.exec(pos)
