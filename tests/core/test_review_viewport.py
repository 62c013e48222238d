"""Viewport maths: fine zoom steps about a point, panning and clamping, time labels."""
import pytest

from reviewer_app.core.review.viewport import MIN_SPAN_S, ZOOM_STEP, Viewport, mmss


def test_zoom_keeps_the_anchor_in_place():
    vp = Viewport(100.0, 20.0, 60.0)
    z = vp.zoom_in(anchor=30.0)
    assert z.span == pytest.approx(40 / ZOOM_STEP)
    assert (30 - z.start) / z.span == pytest.approx((30 - vp.start) / vp.span)
    back = z.zoom_out(anchor=30.0)
    assert back.start == pytest.approx(20.0) and back.end == pytest.approx(60.0)


def test_fractional_steps_and_limits():
    vp = Viewport.whole(7200.0)
    assert vp.zoom_in(steps=0.25).span == pytest.approx(7200 / ZOOM_STEP**0.25)
    assert vp.zoom_out().is_whole
    tiny = vp
    for _ in range(200):
        tiny = tiny.zoom_in(anchor=10.0)
    assert tiny.span == pytest.approx(MIN_SPAN_S)
    assert tiny.contains(10.0)


def test_pan_clamps_to_the_call():
    vp = Viewport(100.0, 10.0, 30.0)
    assert vp.pan(-50).start == 0 and vp.pan(-50).span == pytest.approx(20)
    assert vp.pan(500).end == 100 and vp.pan(500).span == pytest.approx(20)
    assert vp.pan_fraction(0.5).start == pytest.approx(20)


def test_show_follow_and_centre():
    vp = Viewport(600.0, 0.0, 60.0)
    shown = vp.show(100.0, 104.0)
    assert shown.start < 100 and shown.end > 104 and shown.span < 10
    assert vp.follow(30.0) is vp
    paged = vp.follow(61.0)
    assert paged.contains(61.0) and paged.start > 55
    assert vp.centred_on(300).start == pytest.approx(270)


@pytest.mark.parametrize("t,d,text", [(0, 0, "0:00"), (75.25, 1, "1:15.2"), (59.96, 1, "1:00.0"),
                                      (3725, 0, "1:02:05"), (5.5, 2, "0:05.50"), (-3, 0, "-0:03")])
def test_mmss(t, d, text):
    assert mmss(t, d) == text


def test_fit_brings_any_finding_whole_into_view_with_a_margin():
    from reviewer_app.core.review.viewport import Viewport

    vp = Viewport.whole(600.0).set(0.0, 2.0)
    for start, end in ((100.0, 100.05), (200.0, 230.0), (590.0, 600.0), (0.0, 0.3)):
        fitted = vp.fit(start, end)
        assert fitted.start <= max(0.0, start - 0.2) and min(600.0, end + 0.2) <= fitted.end
        assert end - start >= 0.03 * fitted.span
    inside = Viewport.whole(600.0).set(90.0, 130.0)
    assert inside.fit(100.0, 110.0) is inside  # already whole and readable: the view stays
    assert Viewport.whole(600.0).fit(100.0, 100.05).span < 1.0  # too thin in the whole call: zoomed in
