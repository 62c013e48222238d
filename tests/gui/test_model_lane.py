"""The model lane draws the probability track stored with the analysis, and the details pane shows
a model finding's branch shares as stored."""
from __future__ import annotations

import numpy as np
import pytest

from gui_builders import basic_analysis
from reviewer_app.core.domain import WINDOW_CATEGORIES, ModelTrack, Segment
from reviewer_app.core.review.model_lane import category_values
from reviewer_app.core.review.viewport import Viewport
from reviewer_app.core.storage import find_call, model_tracks, repository, save_analysis

HOP = 0.5
DISAGREEMENT = {"start": 24.5, "end": 27.0, "role": "both", "category": "overtalk", "found_by": "rules",
                "score": 0.6, "reason": "the rule found overtalk; the model did not (p≤0.20, threshold 0.50)"}
EXPLAIN = {"category": "negative_emotion", "window": [29.93, 31.31], "probability": 0.91,
           "shares": {"prosody": 0.55, "text": 0.3, "spectrogram": 0.1, "speech": 0.05},
           "drops": {"prosody": 0.44, "text": 0.24, "spectrogram": 0.08, "speech": 0.04},
           "words": [{"word": "not", "drop": 0.2}, {"word": "my", "drop": 0.05}, {"word": "problem", "drop": 0.3}],
           "frames": [{"start": 30.5, "end": 31.0, "drop": 0.12}], "summary": "prosody 55%, text 30%"}


def model_track(duration: float) -> ModelTrack:
    """Each category a different shape; negative emotion high at 29.5-31.5 s on the agent's side."""
    rows, values = [], []
    frames = int(np.ceil(duration / HOP))
    t = np.arange(frames) * HOP
    for k, category in enumerate(WINDOW_CATEGORIES):
        roles = ["both"] if category in ("dead_air", "overtalk") else ["customer", "agent"]
        for j, role in enumerate(roles):
            rows.append((category, role))
            values.append(0.5 + 0.45 * np.sin(t / (3 + k) + j))
    track = ModelTrack("v7", HOP, 0.5, rows, np.asarray(values, np.float32), [DISAGREEMENT])
    agent = rows.index(("negative_emotion", "agent"))
    track.values[agent] = 0.05
    track.values[agent, 59:63] = 0.91
    track.values[rows.index(("negative_emotion", "customer"))] = 0.02
    track.values[rows.index(("overtalk", "both"))] = np.where((t >= 24.5) & (t < 27.0), 0.2, 0.0)
    return track


@pytest.fixture
def stored(engine):
    """call_basic analysed again with the model's track and one explained model finding."""
    analysis = basic_analysis()
    analysis.model_track = model_track(analysis.audio.duration_s)
    analysis.segments = [*analysis.segments[:2], Segment(
        29.5, 31.5, "agent", "negative_emotion", 0.91, "model:v7",
        "model:v7: p=0.91; prosody 55%, text 30%: 'not my problem'", {"explain": EXPLAIN})]
    save_analysis(engine, analysis)
    call = find_call(engine, analysis.audio.sha256)
    return call, model_tracks.load_track(engine, call.id), repository.load_segments(engine, call.id)


def test_the_lane_draws_the_stored_track(qtbot, stored):
    from PySide6.QtGui import QColor

    from reviewer_app.gui.widgets.model_lane import LEFT_PX, ROW_PX, TOP_PX, ModelLane
    from reviewer_app.gui.theme import CATEGORY_COLORS

    call, track, _ = stored
    assert track is not None and track.model_version == "v7"
    lane = ModelLane()
    qtbot.addWidget(lane)
    lane.resize(1000, lane.height())
    lane.set_track(track, call.duration_s)
    lane.show()
    qtbot.waitExposed(lane)
    image = lane.grab().toImage()
    assert [s.category for s in lane.drawn] == list(WINDOW_CATEGORIES)
    for series in lane.drawn:  # the whole call: every stored value, the highest of each category's rows
        assert np.array_equal(series.values, category_values(track, series.category))
        assert len(series.values) == track.values.shape[1]

    # the pixels: negative emotion's row is filled to the top where the agent's value is 0.91
    row = WINDOW_CATEGORIES.index("negative_emotion")
    width = 1000 - LEFT_PX - 30
    x_high = int(LEFT_PX + 30.5 / call.duration_s * width)
    x_low = int(LEFT_PX + 10.0 / call.duration_s * width)
    top = TOP_PX + row * ROW_PX
    high = QColor(image.pixel(x_high, top + 2))
    low = QColor(image.pixel(x_low, top + 2))
    assert high.lightness() < 80, high.name()  # negative emotion is drawn in black
    assert low.lightness() > 200, low.name()
    # overtalk (vermillion) at 0.2 stays below the threshold line, and the disagreement is outlined
    ot = WINDOW_CATEGORIES.index("overtalk")
    x_ot = int(LEFT_PX + 25.5 / call.duration_s * width)
    bottom = QColor(image.pixel(x_ot, TOP_PX + ot * ROW_PX + ROW_PX - 2))
    assert bottom.red() > 150 and bottom.blue() < 120, bottom.name()
    assert QColor(CATEGORY_COLORS["overtalk"]).red() > 150
    assert QColor(image.pixel(x_ot, TOP_PX + ot * ROW_PX)).lightness() < 60  # the mark

    # zoomed in: only the visible hops, still the stored values
    lane.set_viewport(Viewport(call.duration_s, 20.0, 32.0))
    lane.grab()
    negative = lane.drawn[row]
    assert negative.starts[0] == 20.0 and negative.starts[-1] == 31.5
    assert np.array_equal(negative.values, category_values(track, "negative_emotion")[40:64])

    # hovering names the category, each side's probability and the disagreement
    text = lane.text_at(LEFT_PX + (30.2 - 20.0) / 12.0 * width, top + 4)
    assert text.startswith("model: negative emotion at 0:30.2: customer 0.02, agent 0.91 (threshold 0.50)")
    text = lane.text_at(LEFT_PX + (25.0 - 20.0) / 12.0 * width, TOP_PX + ot * ROW_PX + 4)
    assert "both 0.20" in text and DISAGREEMENT["reason"] in text
    assert lane.text_at(10, top + 4) == ""  # over the labels


def test_the_details_pane_shows_a_model_findings_branch_shares(qtbot, stored):
    from reviewer_app.gui.widgets.finding_details import FindingDetails

    _, _, segments = stored
    finding = next(s for s in segments if s.source == "model:v7")
    assert finding.details["explain"]["shares"] == EXPLAIN["shares"]  # stored as analysed
    pane = FindingDetails()
    qtbot.addWidget(pane)
    pane.show_segment(finding)
    lines = pane.text().splitlines()
    assert lines[0] == "negative emotion · model:v7: p=0.91; prosody 55%, text 30%: 'not my problem'"
    assert lines[1] == "Why the model flagged it: p=0.91 on 0:29.9–0:31.3"
    assert lines[2] == "  prosody 55% " + "█" * 6 + "  text 30% ███  spectrogram 10% █  Whisper states 5%"
    assert lines[3] == "  words: 'not my problem' · most at 0:30.5–0:31.0"
    assert len(lines) == 4
    rule = next(s for s in segments if s.category == "dead_air")
    pane.show_segment(rule)
    assert pane.text().splitlines() == ["dead air · rule:dead_air: silence 7.0 s"]
    pane.show_segment(None)
    assert not pane.isVisible()


def test_the_window_shows_the_lane_and_a_model_findings_why(qtbot, window, stored):
    from gui_builders import settle

    call, track, segments = stored
    with qtbot.waitSignal(window.callReady, timeout=20_000):
        assert window.calls.open_call(call)
    settle(qtbot, window)
    lane, pane = window.model_view.lane, window.model_view.details
    qtbot.waitUntil(lambda: lane.isVisible(), timeout=5_000)
    assert lane.geometry().top() >= window.signal_view.geometry().bottom()  # under the waveforms
    assert abs(lane.geometry().top() - window.signal_view.geometry().bottom()) < 10
    lane.grab()
    for series in lane.drawn:
        assert np.array_equal(series.values, category_values(track, series.category))
    window.state.set_viewport(Viewport(call.duration_s, 20.0, 32.0))
    lane.grab()
    assert lane.drawn[0].starts[0] == 20.0  # the lane follows the shared viewport

    finding = next(s for s in segments if s.source == "model:v7")
    window.state.select(finding.id)
    assert pane.isVisible() and "  prosody 55% " in pane.text() and "  text 30% " in pane.text()
    assert pane.geometry().top() >= window.segment_table.geometry().bottom()  # under the segment table
    assert "words: 'not my problem'" in pane.text()
    window.state.select(None)
    assert not pane.isVisible()


def test_a_two_hour_track_is_drawn_one_value_per_pixel_column_keeping_its_peaks(qtbot):
    from reviewer_app.gui.widgets.model_lane import LEFT_PX, RIGHT_PX, ModelLane

    duration = 2 * 3600.0
    track = model_track(duration)
    peak = track.rows.index(("repetition", "agent"))
    track.values[track.rows.index(("repetition", "customer"))] = 0.0
    track.values[peak] = 0.0
    track.values[peak, 7777] = 0.97  # one half second in two hours
    lane = ModelLane()
    qtbot.addWidget(lane)
    lane.resize(1000, lane.height())
    lane.set_track(track, duration)
    lane.show()
    lane.grab()
    columns = 1000 - LEFT_PX - RIGHT_PX
    repetition = lane.drawn[WINDOW_CATEGORIES.index("repetition")]
    assert len(repetition.values) <= columns and repetition.ends[-1] == pytest.approx(duration)
    assert np.all(repetition.starts[1:] == repetition.ends[:-1])  # the columns tile the call
    [shown] = np.flatnonzero(repetition.values)
    assert repetition.values[shown] == pytest.approx(0.97, abs=1e-6)
    assert repetition.starts[shown] <= 7777 * HOP < repetition.ends[shown]
    full = category_values(track, "dead_air")
    dead_air = lane.drawn[0]
    for start, end, value in zip(dead_air.starts[:50], dead_air.ends[:50], dead_air.values[:50]):
        assert value == full[int(round(start / HOP)):int(round(end / HOP))].max()
