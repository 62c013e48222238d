"""Plain data passed between the core modules, the CLI and the GUI.

Times are seconds from the start of the call. Nothing here knows about
storage, Qt or torch.
"""
from __future__ import annotations

from dataclasses import dataclass, field

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

    @property
    def duration(self) -> float:
        return self.end - self.start


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
