"""Filters for text Whisper invents in silence and noise.

Whisper is known to produce subtitle credits, sound-event captions and polite
closings ("Thank you.") where nobody speaks (see the faster-whisper and
openai/whisper issue trackers). A word is kept only when it lies in speech
found by the VAD and the model was not guessing.
"""
from __future__ import annotations

import re
import unicodedata

from reviewer_app.core.domain import Interval, Word

# Captions and credits that are never speech in a phone call.
_CAPTION = re.compile(r"^[\(\[（【♪].*[\)\]）】♪]$|^♪+$")
_CREDITS = ("字幕by", "字幕由", "subtitles by", "amara.org", "請不吝點贊", "请不吝点赞", "訂閱", "订阅")
# Short phrases Whisper emits on silence; dropped only when the audio is not clearly speech.
_SILENCE_PHRASES = {
    "thank you", "thanks for watching", "thank you for watching", "bye", "you",
    "谢谢观看", "謝謝觀看", "谢谢", "謝謝", "音乐", "音樂播放中", "音乐播放中",
}


def _plain(text: str) -> str:
    kept = [c for c in unicodedata.normalize("NFKC", text).lower() if not unicodedata.category(c).startswith("P")]
    return " ".join("".join(kept).split())


def is_caption(text: str) -> bool:
    stripped = text.strip()
    plain = _plain(stripped)
    return bool(_CAPTION.match(stripped)) or any(c in plain for c in _CREDITS)


def is_silence_phrase(text: str) -> bool:
    return _plain(text) in _SILENCE_PHRASES


def _overlap(word: Word, speech: list[Interval]) -> float:
    return sum(max(0.0, min(word.end, e) - max(word.start, s)) for s, e in speech)


def keep_word(word: Word, speech: list[Interval], min_prob: float, pad_s: float = 0.25) -> bool:
    """A word counts as speech only inside VAD speech (padded) and above `min_prob`."""
    if word.prob < min_prob:
        return False
    padded = [(s - pad_s, e + pad_s) for s, e in speech]
    length = max(word.end - word.start, 1e-3)
    return _overlap(word, padded) / length >= 0.5
