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


TOUCH_S = 0.15  # a word reaching this far into the channel's speech is anchored in it


def keep_word(word: Word, speech: list[Interval], min_prob: float, pad_s: float = 0.25) -> bool:
    """Whether a Whisper word is real speech of this channel.

    - At least half of the word inside the channel's speech (padded by `pad_s`): kept,
      whatever its probability. Inside real speech a low probability means a hard word,
      not an invented one; dropping it only adds a deletion to the transcript.
    - Otherwise, a word that still reaches `TOUCH_S` into speech is kept when its
      probability is at least `min_prob`: Whisper's word timestamps often stretch a
      word's start back over the pause before it ("bye" timed 98.5-100.1 s for speech
      at 99.9-100.6 s).
    - A word that does not reach into the channel's speech is dropped: that is where
      Whisper invents "Thank you." and subtitle credits.
    """
    padded = [(s - pad_s, e + pad_s) for s, e in speech]
    length = max(word.end - word.start, 1e-3)
    overlap = _overlap(word, padded)
    if overlap / length >= 0.5:
        return True
    return overlap >= TOUCH_S and word.prob >= min_prob
