"""The review rules without Qt: clamping to the call, the 50 ms minimum, nudges."""
from __future__ import annotations

import pytest

from reviewer_app.core.review.rules import RuleRefused, changed_bounds, clamp_bounds, new_span, nudged


def test_bounds_are_clamped_to_the_call_and_rounded():
    assert clamp_bounds(-1.0, 12.34567, 10.0) == (0.0, 10.0)
    assert clamp_bounds(1.00049, 2.0, 10.0) == (1.0, 2.0)


def test_a_segment_is_at_least_50_ms():
    with pytest.raises(RuleRefused, match="50 ms"):
        clamp_bounds(1.0, 1.04, 10.0)
    with pytest.raises(RuleRefused):
        clamp_bounds(9.99, 12.0, 10.0)  # clamped to 10 ms
    assert clamp_bounds(1.0, 1.05, 10.0) == (1.0, 1.05)


def test_new_spans_are_ordered_and_at_least_50_ms():
    assert new_span(7.5, 5.0) == (5.0, 7.5)
    with pytest.raises(RuleRefused, match="new span"):
        new_span(3.0, 3.02)


def test_nudges_move_one_edge():
    assert nudged(1.0, 2.0, "start") == pytest.approx((1.05, 2.0))
    assert nudged(1.0, 2.0, "end", -0.05) == pytest.approx((1.0, 1.95))
    with pytest.raises(ValueError):
        nudged(1.0, 2.0, "middle")


def test_changed_bounds_names_only_the_edges_that_move():
    assert changed_bounds((1.0, 2.0), (1.0, 2.0)) == {}
    assert changed_bounds((1.0, 2.0), (1.0, 2.5)) == {"end": 2.5}
