"""The peak pyramid draws any window from a few thousand blocks, and never lies about peaks."""
import numpy as np
import pytest

from reviewer_app.core.audio.peaks import BASE_BLOCK, PeakPyramid, build_pyramids, envelope_polygon


@pytest.fixture(scope="module")
def signal():
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(3_000_001) * 0.1).astype(np.float32)
    x[1_234_567] = 0.9  # a lone spike must survive every level
    x[2_500_000] = -0.95
    return x


def test_levels_shrink_and_keep_extremes(signal):
    pyr = PeakPyramid.build(signal, 8000)
    assert len(pyr.levels) >= 3
    assert pyr.levels[0][0].size == -(-signal.size // BASE_BLOCK)  # short last block kept
    for mins, maxs in pyr.levels:
        assert maxs.max() == pytest.approx(0.9)
        assert mins.min() == pytest.approx(-0.95)
        assert np.all(mins <= maxs)
    assert pyr.nbytes() < signal.nbytes * 0.02


@pytest.mark.parametrize("t0,t1,pixels", [(0, 375, 1600), (100, 160, 1200), (150, 151, 800), (150, 150.02, 1000),
                                          (370, 400, 500)])
def test_envelope_matches_brute_force(signal, t0, t1, pixels):
    pyr = PeakPyramid.build(signal, 8000)
    env = pyr.envelope(t0, t1, pixels)
    assert 0 < len(env) <= 4 * pixels + 2 or env.block_s == 0
    s0, s1 = int(t0 * 8000), min(signal.size, int(np.ceil(t1 * 8000)))
    # the blocks cover the window, and their extremes are the true extremes of what they cover
    assert env.times[0] <= t0 + 1e-9
    assert env.maxs.max() >= signal[s0:s1].max() - 1e-7
    assert env.mins.min() <= signal[s0:s1].min() + 1e-7
    if env.block_s > 0:
        block = round(env.block_s * 8000)
        k = len(env) // 2
        a = round(env.times[k] * 8000)
        assert env.maxs[k] == signal[a:a + block].max()
        assert env.mins[k] == signal[a:a + block].min()


def test_two_to_four_blocks_per_pixel_at_any_zoom(signal):
    pyr = PeakPyramid.build(signal, 8000)
    for span in (375, 200, 90, 40):
        env = pyr.envelope(0, span, 1000)
        assert 2 * 1000 * 0.9 <= len(env) <= 4 * 1000 + 2, (span, len(env))


def test_very_close_zoom_gives_samples(signal):
    pyr = PeakPyramid.build(signal, 8000)
    env = pyr.envelope(10, 10.05, 1000)  # 400 samples over 1000 pixels
    assert env.block_s == 0 and len(env) == 400
    np.testing.assert_array_equal(env.maxs, signal[80000:80400])


def test_polygon_and_parallel_build():
    x = np.stack([np.sin(np.arange(100000) / 50), np.cos(np.arange(100000) / 70)]).astype(np.float32)
    pyrs = build_pyramids(x, 8000)
    assert len(pyrs) == 2 and pyrs[1].samples is x[1] or np.shares_memory(pyrs[1].samples, x)
    env = pyrs[0].envelope(0, 12.5, 300)
    poly = envelope_polygon(env)
    assert poly.shape == (4 * len(env), 2)
    assert poly[:, 0].min() == 0 and poly[:, 0].max() <= 12.5 + env.block_s


def test_empty_window():
    pyr = PeakPyramid.build(np.zeros(1000, np.float32), 8000)
    assert len(pyr.envelope(5, 6, 100)) == 0
    with pytest.raises(ValueError):
        PeakPyramid.build(np.zeros((2, 10), np.float32), 8000)


def test_pixel_columns_merge_blocks_without_losing_peaks(signal):
    from reviewer_app.core.audio.peaks import pixel_columns

    pyr = PeakPyramid.build(signal, 8000)
    env = pyr.envelope(100.0, 200.0, 700)
    cols = pixel_columns(env, 100.0, 200.0, 700)
    assert len(cols) == 700 and len(env) > len(cols)
    assert cols.maxs.max() == env.maxs.max() and cols.mins.min() == env.mins.min()
    assert cols.times[0] == pytest.approx(100.0) and cols.block_s == pytest.approx(100.0 / 700)
    close = pyr.envelope(10, 10.05, 1000)
    assert pixel_columns(close, 10, 10.05, 1000) is close  # fewer samples than pixels: unchanged
