"""Plain data passed between the core modules, the CLI and the GUI.

Times are seconds from the start of the call. Nothing here knows about
storage, Qt or torch.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

AGENT, CUSTOMER, BOTH = "agent", "customer", "both"
ROLES = (AGENT, CUSTOMER, BOTH)

CATEGORIES = (
    "dead_air",
    "overtalk",
    "fast_speech",
    "forbidden_phrase",
    "missing_greeting",
    "missing_closing",
    "poor_audio",
    "repetition",
    "negative_emotion",
)

CALL_LEVEL_CATEGORIES = ("missing_greeting", "missing_closing")  # always the rules
WINDOW_CATEGORIES = tuple(c for c in CATEGORIES if c not in CALL_LEVEL_CATEGORIES)  # the learned model's outputs

SEGMENT_STATUSES = ("predicted", "confirmed", "rejected", "edited", "added")

Interval = tuple[float, float]


@dataclass(frozen=True)
class AudioInfo:
    path: str
    sha256: str
    duration_s: float
    sample_rate: int
    channels: int  # channels in the file
    roles: tuple[str, ...]  # role of each analysed channel, in channel order


@dataclass(frozen=True)
class Word:
    word: str
    start: float
    end: float
    prob: float


@dataclass(frozen=True)
class Turn:
    role: str
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    role: str
    category: str
    score: float
    source: str
    evidence: str
    # Structured evidence, JSON-ready (the window's details pane reads it): a model finding's
    # branch shares, words and frames ("explain"), a rule/model "disagreement". Not compared.
    details: dict | None = field(default=None, compare=False)

    @property
    def duration(self) -> float:
        return self.end - self.start


PII_KINDS = ("card", "cn_id", "iban", "account", "phone", "id", "email", "custom", "number")


@dataclass(frozen=True)
class PiiSpan:
    """Personal data heard in a channel: its kind and where, never its text.

    `first`/`last` index the channel's words (all turns of `role`, in time order); `char_start` is
    where the data begins inside the first word and `char_end` where it ends inside the last (a
    Chinese word may hold other characters too); -1 means the whole word.
    """

    kind: str
    role: str
    start: float
    end: float
    first: int
    last: int
    char_start: int = -1
    char_end: int = -1


@dataclass(frozen=True)
class CallScore:
    value: int
    grade: str  # "high" | "medium" | "low"
    deductions: dict[str, int] = field(default_factory=dict)


@dataclass
class CallAnalysis:
    audio: AudioInfo
    language: str
    transcript: list[Turn]
    segments: list[Segment]
    score: CallScore
    timings_s: dict[str, float]
    versions: dict[str, str]
    warnings: list[str] = field(default_factory=list)  # one readable line each
    # Who analysed it: {"node": Ray node id or host, "pid": ..., "device": "cpu"|"cuda"}, so a bad node can be found.
    analysed_by: dict = field(default_factory=dict)
    # Personal data found in the transcript ([privacy] redact): the transcript then holds "[CARD]" etc.
    pii: list[PiiSpan] = field(default_factory=list)
    model_track: ModelTrack | None = None  # the learned model's view, also where the rules decide


@dataclass(eq=False)
class ModelTrack:
    """The learned model's probability over time: one row per (category, role), one value per `hop_s`.

    `disagreements`: spans where the model and the rule of a category disagree, each
    {"start", "end", "role", "category", "found_by": "model"|"rules", "score"}.
    """

    model_version: str
    hop_s: float
    threshold: float
    rows: list[tuple[str, str]]  # (category, role) of each row of `values`
    values: np.ndarray  # (len(rows), frames) float32 in 0..1
    disagreements: list[dict] = field(default_factory=list)

    def row(self, category: str, role: str) -> np.ndarray | None:
        key = (category, role)
        return self.values[self.rows.index(key)] if key in self.rows else None


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
