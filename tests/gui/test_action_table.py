"""The window's action table: every ActionSpec is answered by exactly one feature's bound handler
(no handler found by name), and triggering an action runs that handler."""
from __future__ import annotations

import pytest

from reviewer_app.gui.actions import ACTIONS


def test_every_action_has_one_bound_handler(window):
    table = window._action_table()
    names = {spec.name for spec in ACTIONS} - {"undo", "redo"}
    assert set(table) == names
    for name, handler in table.items():
        bound = getattr(handler, "__self__", None) or handler.func.__self__  # a method, or a partial of one
        assert bound is window or bound.parent() is window, name  # the shell or a feature it composed
    assert table["confirm"] == window.review.do_confirm and table["export"] == window.team.do_export
    assert table["reload"] == window.library_actions.do_reload and table["quit"] == window.close


def test_an_action_no_feature_answers_stops_the_window(window, monkeypatch):
    monkeypatch.setattr(window.team, "actions", lambda: {})
    with pytest.raises(RuntimeError, match=r"without a handler: \['dashboard', 'export'"):
        window._action_table()
    monkeypatch.setattr(window.team, "actions", lambda: {"confirm": window.review.do_confirm})
    with pytest.raises(RuntimeError, match=r"answered twice: \['confirm'\]"):
        window._action_table()


def test_triggering_an_action_runs_its_feature(qtbot, opened):
    w = opened
    first = w.controller.session.segments[0].id
    w.state.select(first)
    w.act["zoom_segment"].trigger()  # ReviewFeature.do_zoom_segment
    seg = w.controller.session.get(first)
    assert w.state.viewport.start <= seg.start and seg.end <= w.state.viewport.end
    assert w.state.viewport.span < w.controller.session.call.duration_s
    w.act["hide_rejected"].trigger()  # a checkable action: its handler gets the new state
    assert w.state.hide_rejected
    w.act["review_queue"].trigger()  # the shell's own row
    assert w.queue_dock.isVisible()
