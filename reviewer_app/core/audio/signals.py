"""Decoded audio -> the per-channel measurements the rules read (`ChannelSignal`)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from reviewer_app.core import intervals as iv
from reviewer_app.core.audio.activity import channel_activity, crosstalk_leak_fraction, speech_intervals
from reviewer_app.core.audio.bands import band_energies_db
from reviewer_app.core.audio.decode import DecodedAudio, resample
from reviewer_app.core.audio.features import frame_features
from reviewer_app.core.domain import BOTH, ChannelSignal

HOP_S = 0.01  # the rules' frame step (`ChannelSignal.hop_s`)
DUAL_MONO_DB = -40.0  # channels whose difference is this far below their sum are one signal


def is_dual_mono(samples: np.ndarray) -> bool:
    """True for a 'stereo' file whose two channels carry the same mix (analyse it as mono)."""
    if samples.ndim != 2 or samples.shape[0] != 2 or samples.shape[1] == 0:
        return False
    left = samples[0].astype(np.float64)
    right = samples[1].astype(np.float64)
    total = float(np.sum((left + right) ** 2))
    if total == 0.0:
        return True
    diff = float(np.sum((left - right) ** 2))
    return diff <= total * 10 ** (DUAL_MONO_DB / 10)


def channel_roles(audio: DecodedAudio, settings) -> tuple[str, ...]:
    """The role of each analysed channel: `both` for a mono call, else the settings' roles."""
    if audio.channels == 1:
        return (BOTH,)
    return tuple(settings.channels.roles)


def channels_16k(audio: DecodedAudio) -> list[np.ndarray]:
    """Each analysed channel at 16 kHz, as VAD and ASR want it."""
    return [resample(audio.samples[c], audio.sample_rate, 16000) for c in range(audio.channels)]


def analyse_channels(
    audio: DecodedAudio,
    roles: Sequence[str],
    margin_db: float,
    hop_s: float = 0.01,
    audio_16k: Sequence[np.ndarray] | None = None,
) -> list[ChannelSignal]:
    """Features and own-speech activity of every analysed channel, in channel order.

    `roles` names each channel of `audio.samples` (one role for mono). Pass
    `audio_16k` when the caller already resampled the channels for ASR.
    """
    if len(roles) != audio.channels:
        raise ValueError(f"{len(roles)} roles for {audio.channels} channels")
    feats = [frame_features(audio.samples[c], audio.sample_rate, hop_s) for c in range(audio.channels)]
    pcm_16k = list(audio_16k) if audio_16k is not None else channels_16k(audio)
    vad = [speech_intervals(x) for x in pcm_16k]
    leak = None
    if len(pcm_16k) == 2:  # the coherence is only needed where both sides' VAD fires
        n = len(feats[0].energy_db)
        both = iv.to_mask(vad[0], n, hop_s) & iv.to_mask(vad[1], n, hop_s)
        leak = crosstalk_leak_fraction(pcm_16k, 16000, hop_s, both)
    activity = channel_activity(vad, [f.energy_db for f in feats], hop_s, margin_db, leak)
    return [
        ChannelSignal(
            role=role, hop_s=hop_s, energy_db=f.energy_db, pitch_hz=f.pitch_hz,
            flatness=f.flatness, clipped=f.clipped, activity=act,
            near_peak=f.near_peak, digital=f.digital, repeated=f.repeated, impulses=f.impulses,
            ceiling=f.ceiling,
            bands_db=band_energies_db(audio.samples[c], audio.sample_rate, hop_s,
                                      _near(act, len(f.energy_db), hop_s))[: len(f.energy_db)],
        )
        for c, (role, f, act) in enumerate(zip(roles, feats, activity))
    ]


BANDS_MARGIN_S = 1.0  # band energies are measured this far around each side's own speech


def _near(activity, n_frames: int, hop_s: float) -> np.ndarray:
    """Frames within BANDS_MARGIN_S of `activity` (where rules comparing band energies may look)."""
    spans = [(max(0.0, s - BANDS_MARGIN_S), e + BANDS_MARGIN_S) for s, e in activity]
    return iv.to_mask(iv.merge(spans), n_frames, hop_s)
