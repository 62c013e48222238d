"""A second hearing, biased to digits, of the stretches where a number is likely read out.

Whisper often does not write a read-out number as digits at all ("four free payment rate, not
delayed for payment" on a 300-3400 Hz line; unrelated characters for Mandarin): no rule on the
text can find what is not in it. So, after the first pass, each channel's audio right after a
cue (card, account, phone, number, 卡号, 号码, 账号..., said by either side), around a run of
weak digit sound-alikes, or around a long number no cue named is transcribed again, with a prompt that shows a number written as digits
("My card number is 4532 0151 1283 0366."; for a zh call "卡号是6222 0212 3456 7890。") and temperature 0.
What budget those leave goes to speech the first pass heard poorly (no words, or few and unsure
ones: `poorly_heard`), where neither the read-out nor its cue may have been written at all.

At most MAX_STRETCHES stretches a call, each at most STRETCH_S long and cut to the channel's
own speech; a stretch where the first pass already found a card, account, phone or ID is skipped.
The words heard again replace the first pass's words of that stretch for detection only; what
they hold counts by the same rules as any other words (cue, length, Luhn; detect.py). A span found
only in the second hearing redacts the first pass's words it overlaps in time (the stored
transcript keeps the first pass's words, redacted), and its time is muted like any other.

A segment that repeats ECHO_DIGITS of the prompt's digits in a row is dropped: Whisper echoes its
prompt over speech it cannot make out ("6 22 2 0 21 2 0 21 2" for Mandarin read by espeak-ng,
where the prompt says 6222 0212), and such an echo lands right where the read-out is, so it would
look like a find. The stretch is then heard once more without a prompt. Words are kept only
inside the channel's speech (asr/hallucinations.keep_word).
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from reviewer_app.core.asr.hallucinations import keep_word
from reviewer_app.core.asr.transcribe import SAMPLE_RATE, to_simplified
from reviewer_app.core.detect.text import normalize
from reviewer_app.core.domain import Interval, PiiSpan, Turn, Word
from reviewer_app.core.privacy import pieces as pc
from reviewer_app.core.privacy.detect import channel_words, find_pii, names_cue, resolve_spans
from reviewer_app.core.privacy.redact import redact_turns

MAX_STRETCHES = 4  # per call: bounds the extra ASR time
STRETCH_S = 15.0  # longest stretch heard again
ANSWER_WITHIN_S = 5.0  # the other side's answer starts this soon after the question
SPEECH_GAP_S = 2.0  # a pause this long ends the stretch (the read-out is over)
MAX_TOKENS = 64  # per 30 s window: a read-out needs fewer; a decoder caught in a loop stops here
EDGE_S = 0.3  # audio kept on each side of the speech
MIN_UNHEARD_S = 2.0  # speech in a stretch the first pass heard poorly, for it to be heard again
UNSURE_PROB = 0.5  # words heard with a mean probability under this count as poorly heard
MIN_WORD_RATE = 1.0  # words a second of speech; fewer count as that much less sure (a read-out has 2-4)
ECHO_DIGITS = 6  # digits in a row shared with the prompt that make a segment its echo
MIN_WEAK_RUN = 4  # digit and weak-digit pieces in a row that ask for a second hearing without a cue
CUE_KINDS = ("card", "account", "phone", "number", "id", "cn_id")
SURE_KINDS = frozenset({"card", "account", "phone", "id", "cn_id", "iban"})  # found: no second hearing
PROMPTS = {
    "en": "My card number is 4532 0151 1283 0366.",
    "zh": "卡号是6222 0212 3456 7890。",
}
_PROMPT_DIGITS = {lang: "".join(c for c in p if c.isdigit()) for lang, p in PROMPTS.items()}


@dataclass(frozen=True)
class Stretch:
    role: str
    start: float
    end: float


@dataclass
class SecondHearing:
    spans: list[PiiSpan]  # every span: the first pass's and those found only in the second hearing
    stretches: list[Stretch]  # what was heard again
    seconds: float  # time it took


def cue_times(words: Sequence[Word]) -> list[float]:
    """Where a cue for a number ends in one channel's words (a word, or it with the one before)."""
    ends = []
    for i, w in enumerate(words):
        pair = " " + " ".join(normalize(x.word) for x in words[max(0, i - 1):i + 1]) + " "
        if names_cue(pair, CUE_KINDS):
            ends.append(w.start)
    return ends


def _merged_speech(speech: Sequence[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for a, b in sorted(speech):
        if out and a - out[-1][1] < SPEECH_GAP_S:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _stretch_after(role: str, t: float, own: bool, speech: Sequence[Interval]) -> Stretch | None:
    """The channel's speech from `t` (its own cue) or starting soon after `t` (the other side's)."""
    for a, b in _merged_speech(speech):
        if b <= t:
            continue
        if not own and a > t + ANSWER_WITHIN_S:
            return None
        start = max(a, t) - EDGE_S
        end = min(b + EDGE_S, start + STRETCH_S)
        return Stretch(role, max(0.0, start), end) if end - start > 0.5 else None
    return None


def weak_runs(words: Sequence[Word]) -> list[tuple[float, float]]:
    """Times of runs of MIN_WEAK_RUN digit or weak-digit pieces with no break between them."""
    ps = pc.word_pieces(words)
    out, run = [], []
    for p in ps + [None]:
        if p is not None and p.kind in (pc.DIGITS, pc.WEAK):
            run.append(p)
            continue
        if p is not None and p.kind == pc.FILLER:
            continue
        if len(run) >= MIN_WEAK_RUN and any(q.kind == pc.WEAK for q in run):
            out.append((words[run[0].word].start, words[run[-1].word].end))
        run = []
    return out


def stretches_to_hear(turns: Sequence[Turn], speech: dict[str, Sequence[Interval]],
                      found: Sequence[PiiSpan], limit: int = MAX_STRETCHES,
                      poorly_heard_too: bool = True) -> list[Stretch]:
    """The stretches worth a second hearing, in time order, at most `limit`: those a cue, a run of
    weak digits or an unnamed long number ask for, then, while the budget lasts, poorly heard speech."""
    words_of = channel_words(turns)
    wanted: list[Stretch] = []
    for cue_role, words in words_of.items():
        for t in cue_times(words):
            for role in speech:
                s = _stretch_after(role, t, role == cue_role, speech[role])
                if s is not None:
                    wanted.append(s)
    for role, words in words_of.items():
        for a, b in weak_runs(words):
            wanted.append(Stretch(role, max(0.0, a - 1.0), min(b + 1.0, a - 1.0 + STRETCH_S)))
    for span in found:
        if span.kind == "number":  # a long number no cue named: perhaps a card with its cue misheard
            start = max(0.0, span.start - 1.0)
            wanted.append(Stretch(span.role, start, min(span.end + 1.0, start + STRETCH_S)))
    merged: list[Stretch] = []
    for s in sorted(wanted, key=lambda s: (s.role, s.start)):
        last = merged[-1] if merged else None
        if last and last.role == s.role and s.start < last.end:
            merged[-1] = Stretch(s.role, last.start, min(max(last.end, s.end), last.start + STRETCH_S))
        else:
            merged.append(s)
    fresh = [s for s in merged
             if not any(f.role == s.role and f.kind in SURE_KINDS and f.start < s.end and s.start < f.end
                        for f in found)][:limit]
    unheard = [s for s in (poorly_heard(words_of, speech) if poorly_heard_too else [])
               if not any(f.role == s.role and f.start < s.end and s.start < f.end for f in fresh)]
    return sorted(fresh + unheard[:max(0, limit - len(fresh))], key=lambda s: s.start)


def poorly_heard(words_of: dict[str, Sequence[Word]], speech: dict[str, Sequence[Interval]]) -> list[Stretch]:
    """Speech the first pass left without words, or with only unsure ones: each channel's speech
    (pauses under SPEECH_GAP_S bridged, cut into pieces of at most STRETCH_S) with at least
    MIN_UNHEARD_S of speech and its words' mean probability, scaled down where there are fewer than
    MIN_WORD_RATE words a second, under UNSURE_PROB (no word: 0); the most speech least surely heard first. A read-out whose cue was not heard either asks for nothing else."""
    scored = []
    for role, intervals in speech.items():
        words = words_of.get(role, [])
        for a, b in _merged_speech(intervals):
            for start in np.arange(a, b, STRETCH_S):
                end = min(b, start + STRETCH_S)
                said = sum(max(0.0, min(end, y) - max(start, x)) for x, y in intervals)
                inside = [w.prob for w in words if start <= (w.start + w.end) / 2 < end]
                rate = len(inside) / said if said > 0 else 0.0  # one long word over a read-out: unheard
                sureness = sum(inside) / len(inside) * min(1.0, rate / MIN_WORD_RATE) if inside else 0.0
                if said >= MIN_UNHEARD_S and sureness < UNSURE_PROB:
                    s = Stretch(role, max(0.0, float(start) - EDGE_S), float(end) + EDGE_S)
                    scored.append((said * (1.0 - sureness), s))
    return [s for _, s in sorted(scored, key=lambda x: -x[0])]


def _echoes(text: str, prompt_digits: str) -> bool:
    """Whether `text` repeats ECHO_DIGITS or more of the prompt's digits in a row."""
    heard = "".join(c for c in text if c.isdigit())
    return any(heard[i:i + ECHO_DIGITS] in prompt_digits for i in range(len(heard) - ECHO_DIGITS + 1))


def _decode(engine, clip: np.ndarray, lang: str, prompt: str | None) -> tuple[list, bool]:
    """Whisper's segments for the clip with the prompt, less those that echo it; and whether any did."""
    options = dict(task="transcribe", beam_size=engine.settings.beam_size, temperature=0.0,
                   word_timestamps=True, without_timestamps=False, vad_filter=False,
                   condition_on_previous_text=False, initial_prompt=prompt, max_new_tokens=MAX_TOKENS)
    if engine.multilingual:
        options["language"] = lang
    segments, _ = engine.model.transcribe(clip, **options)
    kept, echoed = [], False
    for seg in segments:
        if prompt and _echoes(seg.text, _PROMPT_DIGITS[lang]):
            echoed = True
        else:
            kept.append(seg)
    return kept, echoed


def hear_again(engine, samples_16k: np.ndarray, stretch: Stretch, speech: Sequence[Interval],
               language: str) -> list[Word]:
    """The stretch transcribed with the digit prompt (without it when Whisper echoed the prompt's
    digits instead of hearing the audio): words on the call's clock, inside speech."""
    lang = "zh" if language == "zh" else "en"
    a, b = int(stretch.start * SAMPLE_RATE), int(stretch.end * SAMPLE_RATE)
    clip = samples_16k[a:b].astype(np.float32, copy=False)
    if clip.size < SAMPLE_RATE // 2:
        return []
    segments, echoed = _decode(engine, clip, lang, PROMPTS[lang])
    if echoed:
        segments, _ = _decode(engine, clip, lang, None)
    words: list[Word] = []
    for seg in segments:
        for w in seg.words or []:
            text = w.word.strip()
            if lang == "zh":
                text = to_simplified(text)
            word = Word(text, round(stretch.start + w.start, 3), round(stretch.start + w.end, 3),
                        round(float(w.probability), 3))
            if word.word and keep_word(word, list(speech), engine.settings.min_word_prob):
                words.append(word)
    return words


def _with_words_replaced(words: Sequence[Word], stretch: Stretch, heard: Sequence[Word]) -> list[Word]:
    kept = [w for w in words if not stretch.start <= (w.start + w.end) / 2 < stretch.end]
    return sorted(kept + list(heard), key=lambda w: w.start)


def _on_first_words(span: PiiSpan, words: Sequence[Word]) -> PiiSpan:
    """A span found in the second hearing, pointing at the first pass's words it overlaps in time."""
    idx = [i for i, w in enumerate(words) if w.start < span.end and span.start < w.end]
    if idx:
        return replace(span, first=idx[0], last=idx[-1], char_start=-1, char_end=-1)
    after = next((i for i, w in enumerate(words) if w.start >= span.end), len(words))
    return replace(span, first=after, last=after - 1, char_start=-1, char_end=-1)  # no word: time only


def find_pii_heard_twice(turns: Sequence[Turn], samples_16k: dict[str, np.ndarray],
                         speech: dict[str, Sequence[Interval]], engine, language: str,
                         patterns: Sequence[str] = (), max_stretches: int = MAX_STRETCHES,
                         poorly_heard_too: bool = True) -> SecondHearing:
    """Personal data in the transcript, with the likely read-outs heard a second time (module notes).

    `samples_16k` and `speech`: each role's audio at 16 kHz and its own speech intervals."""
    started = time.perf_counter()
    found = find_pii(turns, patterns)
    if max_stretches <= 0:
        return SecondHearing(found, [], 0.0)
    stretches = stretches_to_hear(turns, speech, found, max_stretches, poorly_heard_too)
    if not stretches:
        return SecondHearing(found, [], time.perf_counter() - started)
    words_of = channel_words(turns)
    spans = list(found)
    merged = {role: list(ws) for role, ws in words_of.items()}
    for s in stretches:
        if s.role in samples_16k:
            heard = hear_again(engine, samples_16k[s.role], s, speech.get(s.role, []), language)
            merged[s.role] = _with_words_replaced(merged.get(s.role, []), s, heard)
    again = find_pii([Turn(role, ws[0].start, ws[-1].end, "", tuple(ws)) for role, ws in merged.items() if ws],
                     patterns)
    for span in again:
        if any(s.role == span.role and s.start < span.end and span.start < s.end for s in stretches):
            spans.append(_on_first_words(span, words_of.get(span.role, [])))
    by_role: dict[str, list[PiiSpan]] = {}
    for span in spans:
        by_role.setdefault(span.role, []).append(span)
    out = [s for role_spans in by_role.values() for s in resolve_spans(role_spans)]
    return SecondHearing(sorted(out, key=lambda s: (s.start, s.role, s.end)), stretches,
                         time.perf_counter() - started)


def redact_heard_twice(turns: Sequence[Turn], samples_16k: dict[str, np.ndarray],
                       speech: dict[str, Sequence[Interval]], engine, language: str,
                       patterns: Sequence[str] = (), max_stretches: int = MAX_STRETCHES,
                       ) -> tuple[list[Turn], SecondHearing]:
    """The transcript with its personal data replaced by kinds (redact.py), found with the second
    hearing; and what that hearing did."""
    heard = find_pii_heard_twice(turns, samples_16k, speech, engine, language, patterns, max_stretches)
    return (redact_turns(turns, heard.spans) if heard.spans else list(turns)), heard
