"""Three reviewers review the same calls blind through the real window: each sees only the findings
and their own decisions (no model score, no one else's decisions) until they submit a call; their
keys and undo write calibration decisions, never the labels of record; the lead's adoption does."""
from __future__ import annotations

from gui_builders import settle
from PySide6.QtWidgets import QLabel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reviewer_app.core.calibration.blind_session import ADDED_ID_BASE, SHOWN_SCORE
from reviewer_app.core.calibration.sessions import create_session, load_session
from reviewer_app.core.storage.models import CallRow, LabelEventRow, SegmentRow
from reviewer_app.core.storage.repository import load_segments
from reviewer_app.gui.widgets.calibration_panel import HIDDEN


def record_state(engine) -> tuple:
    with Session(engine) as s:
        segments = s.execute(select(SegmentRow.id, SegmentRow.status, SegmentRow.start, SegmentRow.end,
                                    SegmentRow.category, SegmentRow.reviewer, SegmentRow.version)
                             .order_by(SegmentRow.id)).all()
        events = s.scalar(select(func.count()).select_from(LabelEventRow))
        calls = s.execute(select(CallRow.id, CallRow.review_status, CallRow.score_value)).all()
    return [tuple(r) for r in segments], events, sorted(tuple(c) for c in calls)


def status_bar_text(window) -> str:
    return " | ".join(label.text() for label in window.statusBar().findChildren(QLabel) if label.isVisible())


def decide(qtbot, window, confirm=(), reject=()) -> None:
    for action, ids in (("confirm", confirm), ("reject", reject)):
        for sid in ids:
            window.state.select(sid)
            window.act[action].trigger()
    settle(qtbot, window)


def test_three_reviewers_blind_in_the_window(qtbot, window, engine, calls):
    cal = window.calibration
    basic, mono = calls["basic"].id, calls["mono"].id
    dead_air, overtalk, phrase = [s.id for s in load_segments(engine, basic)]
    [noise] = [s.id for s in load_segments(engine, mono)]
    session_id = create_session(engine, [basic, mono], ["ana", "bob", "chen"], "tester", "week 48")
    before = record_state(engine)
    plans = {"ana": ({"confirm": (dead_air, overtalk, phrase)}, {"reject": (noise,)}),
             "bob": ({"confirm": (dead_air, phrase), "reject": (overtalk,)}, {"reject": (noise,)}),
             "chen": ({"confirm": (dead_air,), "reject": (overtalk, phrase)}, {"confirm": (noise,)})}
    for n, (reviewer, (on_basic, on_mono)) in enumerate(plans.items()):
        with qtbot.waitSignal(window.callReady, timeout=20_000):
            cal.start_blind(session_id, reviewer)
        assert not window.library_dock.isVisible() and cal.dock.isVisible()
        assert "score" not in window.windowTitle() and f"session {session_id}, {reviewer})" in window.windowTitle()
        status_bar = status_bar_text(window)  # whom the decisions are recorded as, not the settings' name
        assert f"Reviewer: {reviewer} (blind calibration review)" in status_bar and "tester" not in status_bar
        assert window.reviewer_name.ask_reviewer_name() is None and window.settings.reviewer.name == "tester"
        assert not window.act["mark_reviewed"].isEnabled()
        shown = window.controller.session.segments
        assert window.controller.session.call_id == basic
        assert {s.status for s in shown} == {"predicted"} and {s.score for s in shown} == {SHOWN_SCORE}
        assert cal.panel.revealed.toPlainText() == HIDDEN  # the reviewers before have submitted: still hidden

        decide(qtbot, window, **on_basic)
        if reviewer == "ana":  # one undo, and a span the model missed (then taken back)
            window.act["undo"].trigger()
            settle(qtbot, window)
            assert window.controller.session.get(phrase).status == "predicted"
            decide(qtbot, window, confirm=(phrase,))
            assert window.controller.add(32.0, 34.0, "repetition", "agent")
            settle(qtbot, window)
            added = [s.id for s in window.controller.session.segments if s.id >= ADDED_ID_BASE]
            assert len(added) == 1
            window.act["undo"].trigger()
            settle(qtbot, window)
        statuses = {s.id: s.status for s in window.controller.session.segments}
        assert statuses == {dead_air: "predicted", overtalk: "predicted", phrase: "predicted",
                            **{sid: "confirmed" for sid in on_basic.get("confirm", ())},
                            **{sid: "rejected" for sid in on_basic.get("reject", ())}}
        assert cal.panel.revealed.toPlainText() == HIDDEN
        with qtbot.waitSignal(cal.submitted, timeout=20_000):
            cal.panel.score.setValue(70 + 10 * n)
            cal.panel.submit_button.click()
        qtbot.waitUntil(lambda: cal.panel.revealed.toPlainText() != HIDDEN, timeout=20_000)
        revealed = cal.panel.revealed.toPlainText()
        assert "Model's score: 71." in revealed and f"Your score: {70 + 10 * n}." in revealed
        for earlier in list(plans)[:n]:
            assert f"{earlier}'s score" in revealed
        assert {s.score for s in window.controller.session.segments} == {0.9, 0.6, 1.0}  # confidences shown now

        with qtbot.waitSignal(window.callReady, timeout=20_000):
            cal.open_session_call(mono)
        assert cal.panel.revealed.toPlainText() == HIDDEN and cal.panel.submit_button.isEnabled()
        decide(qtbot, window, **on_mono)
        with qtbot.waitSignal(cal.submitted, timeout=20_000):
            cal.panel.submit_button.click()
        settle(qtbot, window)
        cal.stop_blind()
        assert window.library_dock.isVisible() and not cal.dock.isVisible()
        assert "Reviewer: tester  ·" in status_bar_text(window) and reviewer not in status_bar_text(window)
        assert record_state(engine) == before  # the labels of record have not moved

    data = load_session(engine, session_id)
    assert data.summary.submitted == {"ana": 2, "bob": 2, "chen": 2}
    assert data.reviews[(basic, "bob")].score == 80 and not data.reviews[(basic, "ana")].added

    # the lead adopts the majority from the Team menu's dialog: now the labels of record change
    window.act["calibration"].trigger()
    dialog = cal.dialog
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=20_000)
    dialog.table.selectRow(0)
    with qtbot.waitSignal(dialog.adopted, timeout=20_000):
        dialog.adopt(session_id, "majority")
    settle(qtbot, window)
    after = {s.id: (s.status, s.reviewer) for s in load_segments(engine, basic) + load_segments(engine, mono)}
    assert after == {dead_air: ("confirmed", "tester"), overtalk: ("rejected", "tester"),
                     phrase: ("confirmed", "tester"), noise: ("rejected", "tester")}
