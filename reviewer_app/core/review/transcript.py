"""Transcript lookups for the reviewer: the word at a time, words inside problem segments,
and the data side of editing a turn's text.

Words are numbered across the whole call in transcript order (turn by turn);
`TranscriptIndex` answers "which words are being said at t" with a bisect, so
highlighting the current word while playing costs nothing on a 2-hour call.
"""
from __future__ import annotations

import bisect
import difflib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from reviewer_app.core.domain import BOTH, Segment, Turn, Word


@dataclass(frozen=True)
class WordRef:
    number: int  # position in the whole transcript
    turn: int  # index of its turn
    index: int  # position in its turn
    role: str
    word: Word


class TranscriptIndex:
    def __init__(self, turns: list[Turn]) -> None:
        self.turns = list(turns)
        self.words: list[WordRef] = []
        for ti, turn in enumerate(self.turns):
            for wi, w in enumerate(turn.words):
                self.words.append(WordRef(len(self.words), ti, wi, turn.role, w))
        by_start = sorted(range(len(self.words)), key=lambda i: self.words[i].word.start)
        self._order = np.asarray(by_start, dtype=np.int64)
        self._starts = np.asarray([self.words[i].word.start for i in by_start], dtype=np.float64)
        self._ends = np.asarray([self.words[i].word.end for i in by_start], dtype=np.float64)
        # Longest word: how far back a word that is still being said can have started.
        self._longest = float((self._ends - self._starts).max()) if len(by_start) else 0.0
        self._turn_starts = [t.start for t in self.turns]

    def __len__(self) -> int:
        return len(self.words)

    def words_at(self, t: float) -> list[int]:
        """Numbers of the words being said at `t` (one per speaker at most, usually)."""
        hi = int(np.searchsorted(self._starts, t, side="right"))
        lo = int(np.searchsorted(self._starts, t - self._longest, side="left"))
        found = [int(self._order[k]) for k in range(lo, hi) if self._ends[k] > t]
        return sorted(found)

    def word_near(self, t: float) -> int | None:
        """The word being said at `t`, else the last one that started before it."""
        found = self.words_at(t)
        if found:
            return found[0]
        hi = int(np.searchsorted(self._starts, t, side="right"))
        return int(self._order[hi - 1]) if hi else None

    def turn_at(self, t: float) -> int | None:
        """Index of the last turn that started at or before `t` (None before the first)."""
        i = bisect.bisect_right(self._turn_starts, t) - 1
        return i if i >= 0 else None

    def words_in_segments(self, segments: Iterable[Segment]) -> dict[int, str]:
        """word number -> category of the first segment it overlaps (same role, or any for 'both')."""
        marked: dict[int, str] = {}
        for seg in sorted(segments, key=lambda s: s.start):
            lo = int(np.searchsorted(self._starts, seg.start - self._longest, side="left"))
            hi = int(np.searchsorted(self._starts, seg.end, side="left"))
            for k in range(lo, hi):
                if self._ends[k] <= seg.start:
                    continue
                ref = self.words[int(self._order[k])]
                if seg.role in (BOTH, ref.role) or ref.role == BOTH:
                    marked.setdefault(ref.number, seg.category)
        return marked


def turn_display(turn: Turn) -> tuple[str, list[int], list[int]]:
    """The text shown for a turn (its stored text) and each word's [start, end) offsets in it.

    Words are found in order in the text (so punctuation and spacing stay as
    the text has them); a word the text does not contain gets (-1, -1).
    """
    text = turn.text.strip() or " ".join(w.word.strip() for w in turn.words)
    lower = text.lower()
    starts, ends, pos = [], [], 0
    for w in turn.words:
        token = w.word.strip().lower()
        at = lower.find(token, pos) if token else -1
        if at < 0:
            starts.append(-1)
            ends.append(-1)
            continue
        starts.append(at)
        ends.append(at + len(token))
        pos = at + len(token)
    return text, starts, ends


def retime_words(turn: Turn, new_text: str) -> tuple[Word, ...]:
    """Words for `new_text` keeping the timing of every word that did not change.

    Unchanged words keep their start, end and probability; a replaced or
    inserted run shares the time of the run it replaces (or the gap it sits
    in) evenly, with probability 1.0 (a person typed it).
    """
    new = new_text.split()
    old = list(turn.words)
    if not new:
        return ()
    if not old:
        return _spread(new, turn.start, turn.end)
    out: list[Word] = []
    matcher = difflib.SequenceMatcher(a=[w.word.strip().lower() for w in old],
                                      b=[w.strip().lower() for w in new], autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            out.extend(Word(new[b0 + k], old[a0 + k].start, old[a0 + k].end, old[a0 + k].prob)
                       for k in range(a1 - a0))
        elif op in ("replace", "insert"):
            if a1 > a0:
                start, end = old[a0].start, old[a1 - 1].end
            else:  # inserted between two kept words (or at an edge of the turn)
                start = old[a0 - 1].end if a0 > 0 else turn.start
                end = old[a0].start if a0 < len(old) else turn.end
                end = max(end, start)
            out.extend(_spread(new[b0:b1], start, end))
    return tuple(out)


def _spread(words: list[str], start: float, end: float) -> tuple[Word, ...]:
    n = len(words)
    step = (end - start) / n if n else 0.0
    return tuple(Word(w, round(start + k * step, 3), round(start + (k + 1) * step, 3), 1.0)
                 for k, w in enumerate(words))


def edited_turn(turn: Turn, new_text: str) -> Turn:
    """The turn with its text replaced and its words retimed (see `retime_words`)."""
    text = " ".join(new_text.split())
    return Turn(turn.role, turn.start, turn.end, text, retime_words(turn, text))
