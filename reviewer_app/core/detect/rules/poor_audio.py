"""poor_audio: clipping, very low level, noise or dropouts on one channel.

Each channel is checked on its own; the segment's role is the channel's role.
Everything is measured on the channel's own samples, so a fault is reported on
the side that carries it, never on the side that only hears its leak.

- Clipping: frames whose `clipped` fraction exceeds `rules.clipping_fraction`.
  `clipped` (audio/features.py) counts samples at full scale and samples on a
  flat top: two or more consecutive samples at an extreme of the waveform,
  jumped onto or off (within 0.5% of the channel's own highest or lowest
  value, or exactly at the highest or lowest value within 0.5 s, so stretches
  clipped at different levels are all found). A clean waveform reaches an
  extreme once, even in u-law audio; audio clipped before a gain stage piles
  up there at, say, 0.4 of full scale; a low tone's rounded peak is glided
  through, not jumped onto.
  Soft saturation (tanh-like compression: no flat tops, but no peaks either)
  is judged on active speech: the share of samples within 10% of the
  channel's peak, averaged over `rules.saturation_window_s`, above
  `rules.saturation_share` (5%). Clean speech is peaky: only single samples of
  the loudest glottal pulses come that close to the peak, under 1% of a
  window even when normalised to full scale, while a pure sine spends 29% of
  its time there (tones are not active speech, so they are left out).
  Flagged frames are joined across gaps under 0.3 s and kept from
  `rules.clipping_min_s`; kept runs under 1 s apart are one finding. Evidence
  gives the clipped share (and "below full scale" when the channel never
  reaches it), or the share near the peak.
- Dropouts:
  * digital silence (half a frame's samples in digital-silence runs of 10 ms
    or more that cut into sound: within 2 ms on both sides of the run the
    waveform is within 20 dB of the channel's loud level, where a noise gate,
    DTX or a pause between words has died away to a few LSB first; frames at or
    below `rules.dropout_dbfs` where no samples were measured) lasting
    `rules.dropout_min_s` (20 ms: one lost packet pair) to
    `rules.dropout_max_s`, that starts and ends abruptly (the frames on both
    sides are at least 30 dB louder) and has the channel's own speech within
    `rules.poor_audio_window_s` before and after it. Silence at the very start
    or end of the file is not a dropout. Natural zero runs in u-law calls
    last under 6 ms, so 10 ms runs are not the codec's quantisation;
  * repeated packets: half a frame's samples copy the packet (10, 20, 30 or
    40 ms) before them, the difference 35 dB or more below the copy's energy
    (a later line-noise floor leaves that; speech one packet apart differs by
    far more, a synthesiser's steady vowel by 32 dB), as loss concealment that
    replays the last packet does; runs of `rules.repeat_min_s` to
    `rules.repeat_max_s` with own speech around them. Tones, which repeat
    too, are told apart because they also repeat (or invert) half a packet
    on; mains hum because its energy is centred below 150 Hz.
- Crackle: clicks (a sample whose second difference is 30 times the 50 ms
  mean of it, see audio/features.py) at `rules.crackle_per_s` (5) or more a
  second for at least a second. Clean calls show at most 2 a second (lip
  smacks, plosives); crackle shows 6 to 30. A click the other channel hears
  15 dB louder in the same frame is that channel's, leaking.
- Level and noise are judged per window of `rules.poor_audio_window_s`:
  * speech level = 75th percentile of the energy of the window's active
    frames (needs 25% of the window active); below `rules.low_level_dbfs`,
    or `rules.low_level_relative_db` below the other side's speech level over
    the call, is low level (a side 30-45 dB down stays speech for the voice
    activity detector, which hears quiet channels raised, so it is reported
    here and is not dead air);
  * noise floor = 30th percentile of the energy (the power mean over 30 ms,
    `_floor_energy`: 10 ms is half a period of 50 Hz hum) of the window's quiet frames
    (not active on any channel, not digital silence, within
    `rules.poor_audio_window_s` of the side's own speech if it speaks at all,
    so that hold music or comfort noise in a long hold is not taken for
    noise; needs 25% of the window, else the channel-wide figure is used); above `rules.noise_floor_dbfs` is
    noise; speech level minus floor below `rules.noise_snr_db` is noise too
    (18 dB: noise put in at 15 dB SNR measures 14-16 dB here, at 20 dB it
    measures about 20); in a window where the channel is silent, its
    speech level over the call minus the window's floor is used the same way
    (noise bursts between words, steady noise and hum);
  * median spectral flatness of active frames above `rules.noise_flatness`
    is noisy speech;
  * noise under speech (minimum statistics, `_burst_snr`), hold music that
    is not noise (`_music`) and steady noise carried through this side's
    silences (`_through_silence`): see poor_audio_noise.py.
  Consecutive flagged windows are merged; where only speech-based causes
  flagged them the segment is trimmed to the active frames inside. Segments
  shorter than `rules.poor_audio_min_s` are dropped.

Findings of one channel (but dropouts) less than `rules.poor_audio_join_s`
apart are merged into one, with their evidence joined and the higher score:
a noisy or crackling line is one problem to review, even where the speaker's
pauses leave gaps in what can be measured. Two noise findings (no low level)
with a whole window between them where the line was measured quiet (not
flagged; the floor of this side's non-speech frames `rules.noise_snr_db` or
more below its speech and not above `rules.noise_floor_dbfs`) stay apart:
they are two noise bursts, not one noisy line.

Scores rise from 0.5 at the threshold to 1.0 at: 10x the clipping fraction;
4x the saturation share; 4x the minimum dropout or repetition; 15 dB below
the low-level threshold (or 15 dB further below the other side); 15 dB above
the noise-floor threshold; 0 dB SNR; flatness 0.3 above its threshold.
"""
from __future__ import annotations

import math

import numpy as np

from reviewer_app.core import intervals
from reviewer_app.core.detect.context import CallContext
from reviewer_app.core.domain import ChannelSignal
from reviewer_app.core.audio.features import CLIP_LEVEL
from reviewer_app.core.detect.rules.common import EPS, frames, make_segment, moving_mean, ramp
from reviewer_app.core.detect.rules.poor_audio_noise import (FLOOR_PERCENTILE, MIN_SHARE, _burst_snr, _floor_energy,
                                                             _music, _through_silence, _window_floors)
from reviewer_app.core.domain import Segment
from reviewer_app.core.settings import RuleSettings, Settings

CATEGORY = "poor_audio"
CLIP_JOIN_S = 0.3  # clipped frames closer than this form one run
CLIP_REPORT_JOIN_S = 1.0  # runs closer than this are one finding (clipped speech pauses between words)
SUDDEN_DB = 30.0
LEVEL_PERCENTILE = 75
MIN_FLOOR_S = 1.0  # quiet time needed for a channel-wide noise floor
CRACKLE_WINDOW_S = 1.0  # clicks are counted per second


def _pct(fraction: float) -> str:
    value = 100 * fraction
    return f"{value:.0f}%" if value >= 1 else f"{value:.1f}%"


def _clip_segment(start: float, end: float, role: str, hard: np.ndarray, share: np.ndarray,
                  ch: ChannelSignal, rules: RuleSettings) -> Segment:
    lo, hi = int(round(start / ch.hop_s)), int(round(end / ch.hop_s))
    clipped = hard[lo:hi] > rules.clipping_fraction
    if clipped.any():
        frac = float(hard[lo:hi][clipped].mean())
        where = " below full scale" if 0 < ch.ceiling < CLIP_LEVEL else ""  # the channel never reaches it
        score = ramp(frac, rules.clipping_fraction, 10 * rules.clipping_fraction)
        return make_segment(start, end, role, CATEGORY, score, f"clipping{where} {_pct(frac)} of samples")
    near = float(np.nanmax(share[lo:hi]))
    score = ramp(near, rules.saturation_share, 4 * rules.saturation_share)
    return make_segment(start, end, role, CATEGORY, score,
                        f"saturation: {_pct(near)} of samples within 10% of the peak")


def clipping(ch: ChannelSignal, role: str, rules: RuleSettings) -> list[Segment]:
    """Hard clipping (full scale or flat tops at the channel's ceiling) and soft saturation."""
    hard = np.asarray(ch.clipped, dtype=float)
    n = len(hard)
    flagged = hard > rules.clipping_fraction
    share = np.zeros(n)
    if ch.near_peak is not None and n:
        active = intervals.to_mask(intervals.merge(ch.activity), n, ch.hop_s)
        share = moving_mean(np.asarray(ch.near_peak, dtype=float), np.ones(n, bool),
                            frames(rules.saturation_window_s, ch.hop_s))
        flagged |= active & (share > rules.saturation_share)
    runs = intervals.merge(intervals.from_mask(flagged, ch.hop_s), gap=CLIP_JOIN_S)
    runs = intervals.merge(intervals.drop_shorter_than(runs, rules.clipping_min_s - EPS), gap=CLIP_REPORT_JOIN_S)
    return [_clip_segment(start, end, role, hard, share, ch, rules) for start, end in runs]


def crackle(ch: ChannelSignal, others: list[ChannelSignal], role: str, rules: RuleSettings) -> list[Segment]:
    """Trains of clicks: more than `rules.crackle_per_s` impulses a second, over at least CRACKLE_WINDOW_S.

    A click heard in the other channel's frame too, where that channel is
    `rules.crosstalk_margin_db` louder, is its leak and is not counted here.
    """
    if ch.impulses is None or len(ch.impulses) == 0:
        return []
    clicks = np.asarray(ch.impulses, dtype=float).copy()
    energy = np.asarray(ch.energy_db, dtype=float)
    n = len(clicks)
    for o in others:
        if o.impulses is None or len(o.impulses) < n:
            continue
        louder = np.asarray(o.energy_db[:n], dtype=float) > energy + rules.crosstalk_margin_db
        clicks[louder & (np.asarray(o.impulses[:n]) > 0)] = 0.0
    width = frames(CRACKLE_WINDOW_S, ch.hop_s)
    rate = np.convolve(clicks, np.ones(width), mode="same") / (width * ch.hop_s)
    runs = intervals.merge(intervals.from_mask(rate >= rules.crackle_per_s, ch.hop_s), gap=CLIP_JOIN_S)
    out = []
    for start, end in intervals.drop_shorter_than(runs, CRACKLE_WINDOW_S - EPS):
        lo, hi = int(round(start / ch.hop_s)), int(round(end / ch.hop_s))
        per_s = float(clicks[lo:hi].sum() / max(end - start, ch.hop_s))
        score = ramp(per_s, rules.crackle_per_s, 4 * rules.crackle_per_s)
        out.append(make_segment(start, end, role, CATEGORY, score, f"crackle: {per_s:.0f} clicks a second"))
    return out


def _speech_around(activity: list, start: float, end: float, near: float) -> bool:
    return bool(intervals.intersect(activity, [(start - near, start)])
                and intervals.intersect(activity, [(end, end + near)]))


def dropouts(ch: ChannelSignal, role: str, rules: RuleSettings) -> list[Segment]:
    """Digital silence cutting into speech, and packets repeated by loss concealment."""
    energy = np.asarray(ch.energy_db, dtype=float)
    n, hop = len(energy), ch.hop_s
    activity = intervals.merge(ch.activity)
    near = rules.poor_audio_window_s
    if ch.digital is not None:  # measured on the samples: only silence that cuts into sound
        silent = np.asarray(ch.digital, dtype=float) >= 0.5
    else:
        silent = energy <= rules.dropout_dbfs
    out = []
    for start, end in intervals.from_mask(silent, hop):
        length = end - start
        if not rules.dropout_min_s - EPS <= length <= rules.dropout_max_s + EPS:
            continue
        lo, hi = int(round(start / hop)), int(round(end / hop))
        if lo == 0 or hi >= n:
            continue
        sudden = min(energy[lo - 1], energy[hi]) >= rules.dropout_dbfs + SUDDEN_DB
        if sudden and _speech_around(activity, start, end, near):
            score = ramp(length, rules.dropout_min_s, 4 * rules.dropout_min_s)
            out.append(make_segment(start, end, role, CATEGORY, score,
                                    f"dropout: {length:.2f} s of digital silence"))
    if ch.repeated is not None:
        repeated = np.asarray(ch.repeated, dtype=float) >= 0.5
        for start, end in intervals.from_mask(repeated, hop):
            length = end - start
            if not rules.repeat_min_s - EPS <= length <= rules.repeat_max_s + EPS:
                continue
            if _speech_around(activity, start, end, near):
                score = ramp(length, rules.repeat_min_s, 4 * rules.repeat_min_s)
                out.append(make_segment(start, end, role, CATEGORY, score,
                                        f"dropout: {length:.2f} s of repeated packets (loss concealment)"))
    return out


def _window_causes(energy, flatness, active, quiet, global_floor, ref_level, rules: RuleSettings,
                   own_level=None, burst_snr=None, floor_energy=None) -> dict[str, float]:
    """Causes flagged in one window, each with its measured value (the floor on `floor_energy` if given)."""
    size = len(energy)
    causes: dict[str, float] = {}
    floor = global_floor
    if quiet.sum() >= MIN_SHARE * size:
        floor = float(np.percentile((energy if floor_energy is None else floor_energy)[quiet], FLOOR_PERCENTILE))
        if own_level is not None and active.sum() < MIN_SHARE * size and own_level - floor < rules.noise_snr_db:
            causes["burst"] = own_level - floor  # noise while this side is silent, close to its speech level
    if burst_snr is not None:
        low = burst_snr[np.isfinite(burst_snr)]
        if low.size >= MIN_SHARE * size:
            causes["burst"] = min(causes.get("burst", np.inf), float(np.median(low)))
    if floor is not None and floor > rules.noise_floor_dbfs:
        causes["floor"] = floor
    if active.sum() >= MIN_SHARE * size and active.any():
        level = float(np.percentile(energy[active], LEVEL_PERCENTILE))
        if level < rules.low_level_dbfs:
            causes["low"] = level
        if ref_level is not None and ref_level - level >= rules.low_level_relative_db:
            causes["low"] = level
            causes["below"] = ref_level - level
        if floor is not None and level - floor < rules.noise_snr_db:
            causes["snr"] = level - floor
        flat = float(np.median(flatness[active]))
        if flat > rules.noise_flatness:
            causes["flat"] = flat
    return causes


def _describe(causes: list[dict[str, float]], rules: RuleSettings) -> tuple[str, float]:
    """Evidence text and score for a merged run of flagged windows."""
    parts, scores = [], []
    keys = ("low", "below", "floor", "snr", "burst", "through", "flat")
    values = {key: [c[key] for c in causes if key in c] for key in keys}
    if values["low"]:
        v = float(np.median(values["low"]))
        text = f"low level: speech at {v:.0f} dBFS"
        scores.append(ramp(v, rules.low_level_dbfs, rules.low_level_dbfs - 15))
        if values["below"]:
            below = float(np.median(values["below"]))
            text += f", {below:.0f} dB below the other side"
            scores.append(ramp(below, rules.low_level_relative_db, rules.low_level_relative_db + 15))
        parts.append(text)
    if values["floor"]:
        v = float(np.median(values["floor"]))
        parts.append(f"noise floor {v:.0f} dBFS")
        scores.append(ramp(v, rules.noise_floor_dbfs, rules.noise_floor_dbfs + 15))
    if values["snr"]:
        v = float(min(values["snr"]))
        parts.append(f"noise: SNR {v:.0f} dB")
        scores.append(ramp(v, rules.noise_snr_db, 0.0))
    if values["burst"]:
        v = float(min(values["burst"]))
        parts.append(f"noise {v:.0f} dB below the speech")
        scores.append(ramp(v, rules.noise_snr_db, 0.0))
    if values["through"]:
        v = float(min(values["through"]))
        parts.append(f"the same noise through the pauses, {v:.0f} dB below the speech")
        scores.append(ramp(v, rules.noise_snr_db, 0.0))
    if values["flat"]:
        v = float(max(values["flat"]))
        parts.append(f"noisy speech: spectral flatness {v:.2f}")
        scores.append(ramp(v, rules.noise_flatness, rules.noise_flatness + 0.3))
    return "; ".join(parts), max(scores)


def speech_level(ch: ChannelSignal) -> float | None:
    """The channel's speech level over the whole call (LEVEL_PERCENTILE of its active frames), if it speaks."""
    energy = np.asarray(ch.energy_db, dtype=float)
    active = intervals.to_mask(intervals.merge(ch.activity), len(energy), ch.hop_s) & (energy > -90.0)
    if active.sum() * ch.hop_s < MIN_FLOOR_S:
        return None
    return float(np.percentile(energy[active], LEVEL_PERCENTILE))


def level_and_noise(ch: ChannelSignal, others: list[ChannelSignal], role: str,
                    rules: RuleSettings) -> list[Segment]:
    return _level_and_noise(ch, others, role, rules)[0]


def _level_and_noise(ch: ChannelSignal, others: list[ChannelSignal], role: str,
                     rules: RuleSettings) -> tuple[list[Segment], list[bool], list[tuple[float, float]]]:
    """Level and noise findings, whether each is a noise finding only (no low level), and the clean windows.

    A clean window is one not flagged whose floor (this side's non-speech
    frames, hold music left out) was measured and is no noise against this
    side's speech: `rules.noise_snr_db` or more below its speech level and not
    above `rules.noise_floor_dbfs`. It shows the line quiet between two noise
    findings, which are then two problems, not one (see `_merge_overlapping`).
    """
    energy = np.asarray(ch.energy_db, dtype=float)
    flatness = np.asarray(ch.flatness, dtype=float)
    n, hop = len(energy), ch.hop_s
    digital = energy <= rules.dropout_dbfs
    active = intervals.to_mask(intervals.merge(ch.activity), n, hop) & ~digital
    other = intervals.to_mask(intervals.merge(iv for o in others for iv in o.activity), n, hop)
    m = frames(rules.poor_audio_window_s, hop)
    music = _music(energy, np.asarray(ch.pitch_hz, dtype=float), ~active & ~digital, m)
    quiet = ~active & ~other & ~digital & ~music
    if active.any():  # noise is judged around this side's speech: a long hold (music, comfort noise) is dead air
        reach = intervals.merge((s - rules.poor_audio_window_s, e + rules.poor_audio_window_s)
                                for s, e in intervals.from_mask(active, hop))
        quiet &= intervals.to_mask(reach, n, hop)
    line = _floor_energy(energy)
    global_floor = (float(np.percentile(line[quiet], FLOOR_PERCENTILE))
                    if quiet.sum() * hop >= MIN_FLOOR_S else None)
    ref_level = max((lv for lv in map(speech_level, others) if lv is not None), default=None)
    own_level = speech_level(ch)
    burst_snr = _burst_snr(energy, active, quiet, own_level, rules, hop)
    found: dict[int, dict[str, float]] = {}
    for k in range(math.ceil(n / m)):
        sl = slice(k * m, min(n, (k + 1) * m))
        if music[sl].sum() >= (1 - MIN_SHARE) * (sl.stop - sl.start):  # this side is silent and music plays: a hold
            continue
        causes = _window_causes(energy[sl], flatness[sl], active[sl], quiet[sl], global_floor, ref_level, rules,
                                own_level, None if burst_snr is None else burst_snr[sl], line[sl])
        if causes:
            found[k] = causes
    floor, flat = _window_floors(line, flatness, ~active & ~digital & ~music, m)
    clean: list[tuple[float, float]] = []
    if own_level is not None:
        with np.errstate(invalid="ignore"):
            quiet_line = (own_level - floor >= rules.noise_snr_db) & (floor <= rules.noise_floor_dbfs)
        clean = [(k * m * hop, min(n, (k + 1) * m) * hop) for k in np.flatnonzero(quiet_line) if k not in found]
    if found and global_floor is not None:
        near_floor, near_flat = _window_floors(line, flatness, quiet, m)
        count = math.ceil(n / m)
        speaking = np.add.reduceat(active.astype(float), np.arange(count) * m)
        silent = speaking < MIN_SHARE * np.minimum(m, n - np.arange(count) * m)
        found = _through_silence(found, silent, floor, flat, near_floor, near_flat,
                                 (global_floor, float(np.median(flatness[quiet]))), own_level, rules)
    flagged = sorted(found.items())
    groups: list[list[tuple[int, dict[str, float]]]] = []
    for item in flagged:
        if groups and item[0] == groups[-1][-1][0] + 1:
            groups[-1].append(item)
        else:
            groups.append([item])
    out, noise_only = [], []
    for group in groups:
        lo, hi = group[0][0] * m, min(n, (group[-1][0] + 1) * m)
        causes = [c for _, c in group]
        if not any("floor" in c or "burst" in c or "through" in c for c in causes):
            idx = np.flatnonzero(active[lo:hi])
            lo, hi = lo + int(idx[0]), lo + int(idx[-1]) + 1
        start, end = lo * hop, hi * hop
        if end - start < rules.poor_audio_min_s - EPS:
            continue
        evidence, score = _describe(causes, rules)
        out.append(make_segment(start, end, role, CATEGORY, score, evidence))
        noise_only.append(not any("low" in c for c in causes))
    return out, noise_only, clean


def detect(ctx: CallContext, settings: Settings) -> list[Segment]:
    rules = settings.rules
    out: list[Segment] = []
    for ch in ctx.channels:
        if len(ch.energy_db) == 0:
            continue
        role = ctx.speaker_role(ch.role)
        others = [o for o in ctx.channels if o is not ch]
        level, noise_only, clean = _level_and_noise(ch, others, role, rules)
        found = [(seg, False) for seg in clipping(ch, role, rules) + crackle(ch, others, role, rules)]
        found += list(zip(level, noise_only))
        out += _merge_overlapping(found, rules.poor_audio_join_s, clean) + dropouts(ch, role, rules)
    return sorted(out, key=lambda s: (s.start, s.end, s.role))


def _merge_overlapping(segments: list[tuple[Segment, bool]], gap: float,
                       clean: list[tuple[float, float]] = ()) -> list[Segment]:
    """One finding per stretch of a channel: findings less than `gap` apart become one, evidence joined.

    Each finding comes with whether it is a noise finding only. Two noise
    findings with a `clean` window wholly between them stay apart: the line
    was measured quiet there, so they are two noise bursts, not one noisy
    line. (Clipped speech also measures as noisy: its dips fill in.) Dropouts
    stay on their own: they are short and exact.
    """
    out: list[tuple[Segment, bool]] = []
    for seg, noise in sorted(segments, key=lambda item: (item[0].start, item[0].end)):
        if out and seg.start < out[-1][0].end + gap:
            last, last_noise = out[-1]
            apart = noise and last_noise and any(last.end - EPS <= a and b <= seg.start + EPS for a, b in clean)
            if not apart:
                parts = last.evidence.split("; ") + [p for p in seg.evidence.split("; ") if p not in last.evidence]
                out[-1] = (make_segment(last.start, max(last.end, seg.end), last.role, CATEGORY,
                                        max(last.score, seg.score), "; ".join(parts)), last_noise and noise)
                continue
        out.append((seg, noise))
    return [seg for seg, _ in out]
