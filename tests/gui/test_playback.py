"""Playback without an audio device runs on a clock: the playhead moves in every view, regions end
and loop, speed applies, and editing the playing segment's edge never makes it jump."""
from __future__ import annotations

import numpy as np
import pytest

from reviewer_app.core.review.viewport import mmss
from reviewer_app.gui.playback import Player


@pytest.fixture
def player(qtbot):
    p = Player(use_device=False)
    t = np.arange(8000 * 10) / 8000
    p.set_audio(np.stack([np.sin(2 * np.pi * 200 * t), np.sin(2 * np.pi * 300 * t)]).astype(np.float32), 8000)
    yield p
    p.stop()


def test_clock_playback_advances_and_stops_at_region_end(qtbot, player):
    assert not player.has_device
    positions = []
    player.positionChanged.connect(positions.append)
    with qtbot.waitSignal(player.playingChanged, timeout=3000, check_params_cb=lambda on: not on):
        player.play(2.0, 2.4)
    assert player.position == pytest.approx(2.4)
    assert positions[0] == 2.0 and len(positions) >= 5 and positions == sorted(positions)


def test_speed_and_loop(qtbot, player):
    player.set_speed(2.0)
    player.set_loop(True)
    player.play(1.0, 1.3)
    qtbot.wait(400)  # 0.8 s of call time at 2x: looped at least twice
    assert player.playing and 1.0 <= player.position <= 1.3
    player.set_speed(9.0)
    assert player.speed == 2.0
    player.set_speed(0.1)
    assert player.speed == 0.5


def test_moving_the_region_end_never_jumps(qtbot, player):
    player.play(3.0, 3.5)
    qtbot.wait(200)
    before = player.position
    player.set_region_bounds(2.9, 5.0)  # the edge was dragged while playing
    qtbot.wait(60)
    assert before <= player.position <= before + 0.3
    qtbot.wait(400)
    assert player.playing and player.position > 3.5  # plays on to the new end


def test_window_playhead_follows_in_every_view(qtbot, opened):
    w = opened
    w.state.set_viewport(w.state.viewport.set(0, 2))
    w.review.seek(1.9)
    w.player.set_speed(2.0)
    w.review.do_play_pause()
    qtbot.waitUntil(lambda: w.state.playhead > 2.2, timeout=3000)
    w.review.do_play_pause()
    t = w.state.playhead
    assert w.signal_view._playhead == pytest.approx(t) and w.overview._playhead == pytest.approx(t)
    assert w.transport.time_label.text() == f"{mmss(t, 1)} / 0:40"
    assert w.state.viewport.contains(t)  # the view paged along with the playhead
    w.review.do_speed_down()
    assert w.player.speed == 1.75


def test_a_failing_audio_device_falls_back_to_the_clock(qtbot, player):
    """A sink that cannot open (no server, unplugged) must not stop the playhead."""
    from PySide6.QtMultimedia import QAudioDevice, QAudioFormat

    fmt = QAudioFormat()
    fmt.setSampleRate(8000)
    fmt.setChannelCount(2)
    fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    player.use_device(QAudioDevice(), fmt)  # a device that cannot be opened
    assert player.has_device
    messages = []
    player.message.connect(messages.append)
    player.play(1.0)
    assert not player.has_device and messages and "silently" in messages[0]
    qtbot.waitUntil(lambda: player.position > 1.1, timeout=2000)
