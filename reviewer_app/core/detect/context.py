"""Everything a rule may look at for one call, computed once by the pipeline."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from reviewer_app.core.domain import BOTH, Interval, Turn, Word


@dataclass
class ChannelSignal:
    """Frame-level measurements of one analysed channel (hop `hop_s` seconds)."""

    role: str
    hop_s: float
    energy_db: np.ndarray  # frame RMS in dBFS
    pitch_hz: np.ndarray  # 0 where unvoiced
    flatness: np.ndarray  # spectral flatness 0..1
    clipped: np.ndarray  # fraction of samples at full scale or on a flat top at the channel's ceiling
    activity: list[Interval] = field(default_factory=list)  # own speech, crosstalk removed
    bands_db: np.ndarray | None = None  # (frames, bands) mel energies in dB, within 1 s of own speech (bands.py)
    # Added for poor_audio (see audio/features.py); None where a caller did not measure them.
    near_peak: np.ndarray | None = None  # fraction of samples within 10% of the channel's peak magnitude
    digital: np.ndarray | None = None  # fraction of samples in digital-silence runs of 10 ms or more
    repeated: np.ndarray | None = None  # fraction of samples copying the packet before them
    impulses: np.ndarray | None = None  # clicks (single-sample spikes) per frame
    ceiling: float = 0.0  # the channel's peak magnitude (full scale = 1)

    def frame_times(self) -> np.ndarray:
        return np.arange(len(self.energy_db)) * self.hop_s


@dataclass
class CallContext:
    duration_s: float
    language: str
    turns: list[Turn]
    channels: list[ChannelSignal]

    @property
    def is_mono(self) -> bool:
        return len(self.channels) == 1

    def channel(self, role: str) -> ChannelSignal | None:
        """The channel of `role`; on a mono call the one mixed channel stands for every role."""
        for ch in self.channels:
            if ch.role == role:
                return ch
        return self.channels[0] if self.is_mono else None

    def speaker_role(self, role: str) -> str:
        """Role as stored on segments: a mono call's single channel is `both`."""
        return BOTH if self.is_mono else role

    def turns_of(self, role: str) -> list[Turn]:
        if self.is_mono:
            return list(self.turns)
        return [t for t in self.turns if t.role == role]

    def words_of(self, role: str) -> list[Word]:
        return [w for t in self.turns_of(role) for w in t.words]
