"""poor_audio's noise-floor machinery: how the floor is measured, hold music, noise through silences.

Helpers of `_level_and_noise` in poor_audio.py (which judges level and noise per window of
`rules.poor_audio_window_s`; see its docstring for the whole rule):

  * noise under speech: minimum statistics on the channel's own frames (see
    `_burst_snr`): where the local floor rises `rules.noise_burst_rise_db`
    over the channel's usual floor to within `rules.noise_snr_db` of its
    speech level for a quarter of the window, the window is noisy;
  * hold music is not noise: where half of this side's non-speech frames in
    a window are pitched (periodic) with a moving pitch (a third of them over
    a semitone from their median) or, at the main pitch, a level spread of
    STEADY_DB (6 dB: notes that change, start and die away, or syllables the
    voice activity left out; see `_music`), those frames are not quiet
    frames, and a window of them is not judged. Mains hum is pitched but
    steady in both, line noise is not pitched;
  * steady noise through silences (`_through_silence`): a run of windows
    flagged for noise (floor, SNR, noise while silent or under speech) goes
    on over the windows where this side is silent (the other side's speech
    included: it is on its own channel) as long as their floor is the noise
    measured next to this side's speech: level and spectral flatness within
    MATCH_DB (3 dB), above COMFORT_NOISE_DBFS (-50: comfort noise in a hold
    plays at about -60 to -50 dBFS, at or under the line's own floor) and
    itself noise against this side's speech. It stops at the first window
    that differs, so a hold stays dead air and steady line noise over a call
    is one finding.
"""
from __future__ import annotations

import math

import numpy as np

from reviewer_app.core.detect.rules.common import frames
from reviewer_app.core.settings import RuleSettings

FLOOR_PERCENTILE = 30
FLOOR_FRAMES = 3  # the floor is measured on the power mean of this many frames (30 ms: over a period of hum)
MIN_SHARE = 0.25  # share of a window's frames needed to measure speech level or noise floor
NOISE_CAUSES = {"floor", "snr", "burst"}  # window causes that measure noise (not level, not noisy speech)
MATCH_DB = 3.0  # a silent stretch's floor and flatness this close to the noise next to the speech: the same noise
COMFORT_NOISE_DBFS = -50.0  # comfort noise in a hold plays at about -60 to -50 dBFS: a floor there is not carried on
TONAL_FLATNESS = 0.01  # flatness under this is a tone or hum: compared by level alone
STEADY_DB = 6.0  # pitched sound whose level spreads this much in a window is music or a tone, not hum
MOVING_SHARE = 1 / 3  # pitched sound this much of the time off its main pitch (a semitone) is music, not hum


def _sliding(values: np.ndarray, width: int, how) -> np.ndarray:
    """Centred sliding min or max over `width` frames (edges padded with the edge value)."""
    from numpy.lib.stride_tricks import sliding_window_view

    padded = np.pad(values, (width // 2, width - 1 - width // 2), mode="edge")
    return how(sliding_window_view(padded, width), axis=1)


def _burst_snr(energy, active, quiet, own_level, rules: RuleSettings, hop: float) -> np.ndarray | None:
    """Per active frame: speech level minus the local noise floor where a noise burst raised it, else NaN.

    Minimum statistics: the floor is the grey-scale opening (sliding minimum,
    then sliding maximum) of the 30 ms energy over `rules.noise_window_s`, so
    syllables (shorter than the window) go and a noise plateau stays. Speech
    has dips between words; noise over speech fills them. A frame counts when
    its floor is `rules.noise_burst_rise_db` above the channel's usual floor
    under its own speech and within `rules.noise_snr_db` of its speech level.
    Steady noise raises the usual floor too: the quiet frames show it instead.
    """
    n = len(energy)
    width = frames(rules.noise_window_s, hop)
    usable = (active | quiet)
    if own_level is None or n < width or usable.sum() < width:
        return None
    power = np.convolve(10 ** (energy / 10), np.ones(3) / 3, mode="same")
    smooth = 10 * np.log10(np.maximum(power, 1e-12))
    counted = _sliding(usable.astype(float), width, np.sum) >= width / 2
    low = np.where(counted, _sliding(np.where(usable, smooth, np.inf), width, np.min), -np.inf)
    floor = _sliding(low, width, np.max)
    measured = active & np.isfinite(floor)
    if measured.sum() < width:
        return None
    usual = float(np.median(floor[measured]))
    burst = measured & (floor - usual >= rules.noise_burst_rise_db) & (own_level - floor < rules.noise_snr_db)
    return np.where(burst, own_level - floor, np.nan)


def _floor_energy(energy: np.ndarray) -> np.ndarray:
    """Frame energy as the noise floor is measured: the power mean over FLOOR_FRAMES frames (30 ms).

    A 10 ms frame is half a period of 50 Hz hum: its energy swings with the
    phase, and the floor's low percentile fell up to 2 dB under the level of
    hum with harmonics; over 30 ms (as in `_burst_snr`) it is within 0.7 dB.
    """
    power = np.convolve(10 ** (energy / 10), np.ones(FLOOR_FRAMES) / FLOOR_FRAMES, mode="same")
    return 10 * np.log10(np.maximum(power, 1e-12))


def _music(energy: np.ndarray, pitch: np.ndarray, silent: np.ndarray, m: int) -> np.ndarray:
    """The `silent` frames (not this side's speech) in stretches of `m` frames where a pitched, unsteady sound plays.

    Stretches of `m` frames, a quarter of that apart, count when `silent`
    covers MIN_SHARE of one, half of those frames are pitched (periodic: the
    pitch tracker hears a fundamental) and the pitch moves (MOVING_SHARE of
    the pitched frames over a semitone from their median) or, at the main
    pitch, the level spreads over STEADY_DB (10th to 90th percentile): music,
    whose notes change, start and die away, an intermittent tone, or a voice
    the voice activity detector left out (syllables between the ones it
    found); that is a hold or speech, not line noise. Mains hum is pitched
    too but steady, in pitch and in level (about 3 dB of spread from frame
    to frame; a speech tail off its pitch is not counted), and line noise is
    not pitched. (A window wholly taken by such frames, 1 - MIN_SHARE of it,
    is not judged for noise at all: a hold.)
    """
    from numpy.lib.stride_tricks import sliding_window_view

    n = len(energy)
    if n < m:
        return np.zeros(n, bool)
    step = max(1, m // 4)
    pitched = silent & (pitch > 0)
    level = sliding_window_view(np.where(pitched, energy, np.nan), m)[::step]
    hz = sliding_window_view(np.where(pitched, pitch, np.nan), m)[::step]
    n_silent = sliding_window_view(silent, m)[::step].sum(axis=1)
    n_pitched = np.isfinite(level).sum(axis=1)
    windows = (n_silent >= MIN_SHARE * m) & (n_pitched >= 0.5 * n_silent)
    if windows.any():
        hz, level = hz[windows], level[windows]
        with np.errstate(invalid="ignore", divide="ignore"):
            on = np.abs(12 * np.log2(hz / np.nanmedian(hz, axis=1, keepdims=True))) <= 1.0  # the main pitch
        moving = on.sum(axis=1) < (1 - MOVING_SHARE) * np.isfinite(hz).sum(axis=1)
        spread = np.zeros(len(hz))
        some = on.any(axis=1)  # none where the median falls between two pitches far apart: moving then
        if some.any():
            lo, hi = np.nanpercentile(np.where(on[some], level[some], np.nan), [10, 90], axis=1)
            spread[some] = hi - lo
        windows[windows] = moving | (spread >= STEADY_DB)
    starts = np.flatnonzero(windows) * step
    cover = np.zeros(n + 1)
    np.add.at(cover, starts, 1)
    np.add.at(cover, starts + m, -1)
    return (np.cumsum(cover)[:n] > 0) & silent


def _window_floors(energy: np.ndarray, flatness: np.ndarray, mask: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Per window of `m` frames: FLOOR_PERCENTILE energy and median flatness of the `mask` frames (NaN under MIN_SHARE)."""
    n = len(energy)
    count = math.ceil(n / m)
    pad = count * m - n
    e = np.pad(np.where(mask, energy, np.nan), (0, pad), constant_values=np.nan).reshape(count, m)
    f = np.pad(np.where(mask, flatness, np.nan), (0, pad), constant_values=np.nan).reshape(count, m)
    size = np.minimum(m, n - np.arange(count) * m)
    enough = np.isfinite(e).sum(axis=1) >= MIN_SHARE * size
    floor = np.full(count, np.nan)
    flat = np.full(count, np.nan)
    if enough.any():
        floor[enough] = np.nanpercentile(e[enough], FLOOR_PERCENTILE, axis=1)
        flat[enough] = np.nanmedian(f[enough], axis=1)
    return floor, flat


def _same_noise(floor: np.ndarray, flat: np.ndarray, ref_floor: float, ref_flat: float) -> np.ndarray:
    """Windows whose floor and flatness are within MATCH_DB of the reference, above COMFORT_NOISE_DBFS.

    Flatness is compared in dB, each value held at TONAL_FLATNESS or above
    (hum, tones: a tonal sound is compared by its level alone).
    """
    def db(v):
        return 10 * np.log10(np.maximum(v, TONAL_FLATNESS))

    with np.errstate(invalid="ignore"):
        return (np.isfinite(floor) & (floor > COMFORT_NOISE_DBFS) & (np.abs(floor - ref_floor) <= MATCH_DB)
                & (np.abs(db(flat) - db(ref_flat)) <= MATCH_DB))


def _through_silence(flagged: dict[int, dict[str, float]], silent: np.ndarray, floor: np.ndarray,
                     flat: np.ndarray, near_floor: np.ndarray, near_flat: np.ndarray,
                     ref: tuple[float | None, float | None], own_level: float | None,
                     rules: RuleSettings) -> dict[int, dict[str, float]]:
    """Noise findings carried through the windows where this side is silent and the same noise goes on.

    From each run of windows flagged for noise, the walk goes on outwards over
    windows where this side does not speak (under MIN_SHARE active) while
    their floor (all this side's non-speech frames, the other side's speech
    included: it is on its own channel) is the noise measured next to this
    side's speech: within MATCH_DB of its level and its spectral flatness,
    above COMFORT_NOISE_DBFS, and itself noise against this side's speech
    level (under `rules.noise_snr_db` below it, or above
    `rules.noise_floor_dbfs`). The reference is the run's own floor next to
    the speech (its windows' quiet frames), else the channel-wide one. The
    walk stops at the first window that differs: a hold's comfort noise
    (-60 to -50 dBFS, and at or under the line's own floor) or hold music
    (tonal, and louder or quieter than the noise) stays dead air.
    """
    if own_level is None:
        return flagged
    out = dict(flagged)
    keys = sorted(k for k, c in flagged.items() if c.keys() & NOISE_CAUSES)
    runs = np.split(np.asarray(keys, int), np.flatnonzero(np.diff(keys) > 1) + 1) if keys else []
    for run in runs:
        ref_floor = float(np.nanmedian(near_floor[run])) if np.isfinite(near_floor[run]).any() else ref[0]
        ref_flat = float(np.nanmedian(near_flat[run])) if np.isfinite(near_flat[run]).any() else ref[1]
        if ref_floor is None or ref_flat is None:
            continue
        with np.errstate(invalid="ignore"):
            noisy = (own_level - floor < rules.noise_snr_db) | (floor > rules.noise_floor_dbfs)
        ok = silent & noisy & _same_noise(floor, flat, ref_floor, ref_flat)
        for step, k in ((-1, int(run[0]) - 1), (1, int(run[-1]) + 1)):
            while 0 <= k < len(ok) and k not in out and ok[k]:
                out[k] = {"through": own_level - float(floor[k])}
                k += step
    return out
