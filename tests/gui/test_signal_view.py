"""Mouse on the signal views: click to seek and select, wheel zoom in 1.25x steps, drag to pan,
drag a selected segment's edge, shift-drag a new span; the overview moves the window."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from gui_builders import settle
from reviewer_app.core.review.viewport import ZOOM_STEP
from reviewer_app.core.storage import load_segments

LEFT = Qt.MouseButton.LeftButton


def point(view, t, lane_index=0):
    """Logical widget position of time t in the middle of a lane."""
    lane = view._lanes[lane_index]
    x = view._px(t) / view.device_pixel_ratio
    y_disp = (lane.ax.bbox.y0 + lane.ax.bbox.y1) / 2
    return QPoint(int(round(x)), int(round(view.height() - y_disp / view.device_pixel_ratio)))


def wheel(widget, pos, dy=120, modifiers=Qt.KeyboardModifier.NoModifier):
    event = QWheelEvent(QPointF(pos), QPointF(widget.mapToGlobal(pos)), QPoint(0, 0), QPoint(0, dy),
                        Qt.MouseButton.NoButton, modifiers, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def drag(qtbot, widget, a, b, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.mousePress(widget, LEFT, modifier, a)
    for k in range(1, 6):
        qtbot.mouseMove(widget, QPoint(a.x() + (b.x() - a.x()) * k // 5, a.y()))
    qtbot.mouseRelease(widget, LEFT, modifier, b)


def test_click_seeks_and_selects(qtbot, opened):
    w, view = opened, opened.signal_view
    qtbot.mouseClick(view, LEFT, pos=point(view, 18.0))
    assert w.state.playhead == pytest.approx(18.0, abs=0.1)
    assert w.state.selected == w.controller.session.segments[0].id  # dead air spans 15.4-22.4
    qtbot.mouseClick(view, LEFT, pos=point(view, 2.0))
    assert w.state.playhead == pytest.approx(2.0, abs=0.1)


def test_wheel_zooms_in_fine_steps_about_the_pointer(qtbot, opened):
    w, view = opened, opened.signal_view
    before = w.state.viewport
    pos = point(view, 10.0)
    wheel(view, pos)
    after = w.state.viewport
    assert before.span / after.span == pytest.approx(ZOOM_STEP)
    assert view._px(10.0) == pytest.approx(pos.x(), abs=2)  # the time under the pointer stays put
    wheel(view, pos, dy=-120)
    assert w.state.viewport.span == pytest.approx(before.span)
    for _ in range(6):
        wheel(view, pos)
    span = w.state.viewport.span
    wheel(view, pos, dy=120, modifiers=Qt.KeyboardModifier.ShiftModifier)  # shift+wheel pans
    assert w.state.viewport.span == pytest.approx(span)
    assert w.state.viewport.start != pytest.approx(before.start)


def test_drag_pans(qtbot, opened):
    w, view = opened, opened.signal_view
    w.state.set_viewport(w.state.viewport.set(10.0, 20.0))
    qtbot.wait(10)
    a = point(view, 15.0)
    drag(qtbot, view, a, QPoint(a.x() - 200, a.y()))
    vp = w.state.viewport
    assert vp.span == pytest.approx(10.0) and vp.start > 10.5


def test_drag_an_edge_of_the_selected_segment(qtbot, opened):
    w, view = opened, opened.signal_view
    seg = w.controller.session.segments[0]
    w.state.select(seg.id)
    w.state.set_viewport(w.state.viewport.set(12.0, 26.0))
    qtbot.wait(10)
    w.signal_view.draw()
    drag(qtbot, view, point(view, seg.end), point(view, 21.0))
    settle(qtbot, w)
    after = {s.id: s for s in load_segments(w.engine, w.controller.session.call_id)}[seg.id]
    assert after.end == pytest.approx(21.0, abs=0.05) and after.start == seg.start
    assert after.status == "edited"


def test_shift_drag_draws_a_new_span_in_its_lane(qtbot, opened):
    w, view = opened, opened.signal_view
    w.review.ask_category = lambda pos=None: "missing_closing"
    lane_roles = [lane.role for lane in view._lanes]
    customer = lane_roles.index("customer")
    drag(qtbot, view, point(view, 33.0, customer), point(view, 36.0, customer), Qt.KeyboardModifier.ShiftModifier)
    settle(qtbot, w)
    new = w.controller.session.get(w.state.selected)
    assert new.category == "missing_closing" and new.role == "customer"
    assert new.start == pytest.approx(33.0, abs=0.1) and new.end == pytest.approx(36.0, abs=0.1)
    w.review.ask_category = lambda pos=None: None  # cancelling the category menu adds nothing
    n = len(w.controller.session.segments)
    drag(qtbot, view, point(view, 2.0), point(view, 3.0), Qt.KeyboardModifier.ShiftModifier)
    settle(qtbot, w)
    assert len(w.controller.session.segments) == n


def test_overview_moves_the_window_and_views_share_the_axis(qtbot, opened):
    w = opened
    w.state.set_viewport(w.state.viewport.set(0.0, 5.0))
    ov = w.overview
    x = ov.ax.transData.transform((30.0, 0))[0] / ov.device_pixel_ratio
    y = ov.height() // 2
    qtbot.mouseClick(ov, LEFT, pos=QPoint(int(x), y))
    vp = w.state.viewport
    assert vp.span == pytest.approx(5.0) and (vp.start + vp.end) / 2 == pytest.approx(30.0, abs=0.2)
    w.signal_view.draw()
    xlims = {tuple(round(v, 6) for v in lane.ax.get_xlim()) for lane in w.signal_view._lanes}
    assert xlims == {(round(vp.start, 6), round(vp.end, 6))}


def test_redraw_uses_the_pyramid_and_updates_artists_in_place(qtbot, opened):
    w, view = opened, opened.signal_view
    env_artist = view._lanes[0].env
    w.state.set_viewport(w.state.viewport.whole_call())
    view.draw()
    n_whole = len(env_artist.get_xy())
    assert n_whole <= 4 * 4 * view._lanes[0].ax.bbox.width + 8  # never one vertex per sample
    w.state.set_viewport(w.state.viewport.set(10, 10.05))
    view.draw()
    assert view._lanes[0].env is env_artist  # same artist, new data
    with qtbot.waitSignal(w.spectrograms.ready, timeout=20_000,
                          check_params_cb=lambda spec: abs(spec.start - 5) < 0.02):
        w.state.set_viewport(w.state.viewport.set(5, 15))
        view.draw()
    image = view._image.get_array()
    assert image.shape[0] == 64 and view._image.get_extent()[0] == pytest.approx(5, abs=0.02)


def test_the_whole_call_spectrogram_arrives_without_any_zoom(qtbot, window, calls):
    """The first view asks for its spectrogram before the audio is handed over; it must still come."""
    with qtbot.waitSignal(window.spectrograms.ready, timeout=20_000) as ready:
        with qtbot.waitSignal(window.callReady, timeout=20_000):
            assert window.open_call(calls["basic"])
    spec = ready.args[0]
    assert spec.start == pytest.approx(0.0, abs=0.05)
    assert spec.end == pytest.approx(calls["basic"].duration_s, abs=0.5)
    assert spec.image.shape[1] > 100 and spec.image.max() > spec.image.min() + 20
