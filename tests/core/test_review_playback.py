"""The playback renderer: exact at 1x, pitch kept at other speeds, live region end, loop, solo."""
import numpy as np
import pytest

from reviewer_app.core.review.playback import PlaybackRenderer, mix_matrix, to_int16_bytes

SR = 8000


@pytest.fixture
def tones():
    t = np.arange(SR * 4) / SR
    return np.stack([0.5 * np.sin(2 * np.pi * 200 * t), 0.25 * np.sin(2 * np.pi * 330 * t)]).astype(np.float32)


def _freq(x, rate):
    return np.sum((x[:-1] < 0) & (x[1:] >= 0)) / (x.size / rate)


def test_speed_one_reproduces_the_input(tones):
    r = PlaybackRenderer(tones, SR)
    out = np.concatenate([r.read(777) for _ in range(60)])
    assert out.shape == (tones.shape[1], 2) and r.finished
    np.testing.assert_allclose(out[240:-240].T, tones[:, 240:-240], atol=1e-5)
    assert r.time_at(SR * 2) == pytest.approx(2.0, abs=0.01)


@pytest.mark.parametrize("speed", [0.5, 1.5, 2.0])
def test_speed_changes_duration_not_pitch(tones, speed):
    r = PlaybackRenderer(tones, SR, out_rate=48000)
    r.set_speed(speed)
    out = np.concatenate([r.read(4800) for _ in range(int(4 / speed * 10) + 5)])
    assert out.shape[0] == pytest.approx(4 / speed * 48000, rel=0.01)
    assert _freq(out[4800:-4800, 0], 48000) == pytest.approx(200, rel=0.03)
    half = out.shape[0] // 2
    assert r.time_at(half) == pytest.approx(2.0, abs=0.05)


def test_region_end_is_read_live_and_loop(tones):
    r = PlaybackRenderer(tones, SR)
    r.seek(1.0)
    r.set_region(1.5)
    first = r.read(2000)  # 0.25 s
    assert r.time_at(1999) == pytest.approx(1.25, abs=0.01)
    r.set_region(2.5)  # the edge moved while playing: same position, later end
    rest = np.concatenate([r.read(2000) for _ in range(10)])
    total = (first.shape[0] + rest.shape[0]) / SR
    assert total == pytest.approx(1.5, abs=0.03) and r.finished
    loop = PlaybackRenderer(tones, SR)
    loop.seek(1.0)
    loop.set_region(1.5, loop_start_s=1.0)
    out = np.concatenate([loop.read(2000) for _ in range(6)])  # 1.5 s of output from a 0.5 s region
    assert out.shape[0] == 12000 and not loop.finished


def test_solo_and_mute_route_channels(tones):
    assert mix_matrix(np.array([1.0, 1.0])).tolist() == [[1, 0], [0, 1]]
    assert mix_matrix(np.array([0.0, 1.0])).tolist() == [[0, 1], [0, 1]]  # a soloed channel in both ears
    assert mix_matrix(np.array([0.0, 0.0])).tolist() == [[0, 0], [0, 0]]
    r = PlaybackRenderer(tones, SR)
    r.set_gains([0.0, 1.0])
    out = r.read(4000)
    np.testing.assert_allclose(out[500:, 0], tones[1, 500:4000], atol=1e-5)
    assert len(to_int16_bytes(out)) == 4000 * 4
