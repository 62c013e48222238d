"""Call-level findings (missing greeting / closing) are badges with their evidence, not 20–30 s spans."""
from __future__ import annotations

from reviewer_app.core.storage import LabelStore, load_segments


def test_missing_greeting_is_a_badge_that_selects_and_can_be_rejected(qtbot, window, calls):
    w = window
    sid = LabelStore(w.engine).add(calls["basic"].id, "ana", 0.0, 25.0, "missing_greeting", "agent",
                                   note="no greeting in the first 25 s")
    with qtbot.waitSignal(w.callReady, timeout=20_000):
        w.open_call(calls["basic"])
    assert w.call_badges.isVisible() and list(w.call_badges.buttons) == [sid]
    button = w.call_badges.buttons[sid]
    assert button.text().startswith("Missing greeting")
    assert sid not in {s.id for s in w.signal_view._segments} | {s.id for s in w.overview._segments}
    button.click()
    assert w.state.selected == sid and button.isChecked()
    w.review.do_reject()
    qtbot.waitUntil(lambda: w.ops.idle, timeout=20_000)
    assert {s.id: s.status for s in load_segments(w.engine, calls["basic"].id)}[sid] == "rejected"
    qtbot.waitUntil(lambda: "rejected" in w.call_badges.buttons[sid].text(), timeout=5_000)
