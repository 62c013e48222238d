"""Everything a rule may look at for one call, computed once by the pipeline."""
from __future__ import annotations

from dataclasses import dataclass

from reviewer_app.core.domain import BOTH, ChannelSignal, Turn, Word


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
