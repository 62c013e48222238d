"""Detection benchmark, scenario ground: the real calls being edited, their truth from word timings, and
the Scenario a family builder fills (see eval_detection.py for the benchmark itself).

Call keeps a recording's audio and its word timings in step while problems are placed into it; the
*_truth functions derive the truth the app is scored against from the words; the helpers at the end
(_say, _spoken_block, _insert_at_gap, ...) are shared by the family builders in eval_families_*.py.
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from reviewer_app.core import intervals  # noqa: E402
from reviewer_app.core.evaluate import truth_from_words  # noqa: E402
from reviewer_app.core.settings import Settings  # noqa: E402
from reviewer_app.core.synth import injections as inj  # noqa: E402
from reviewer_app.core.synth import speech  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
CUSTOMER, AGENT, BOTH = "customer", "agent", "both"
ROLES = (CUSTOMER, AGENT)  # left, right: as calls_en
SPEAKER_ROLE = {"A": CUSTOMER, "B": AGENT}
CALLS_EN = ("SNG0072", "MUL1423")
BANDS = ("mild", "moderate", "severe")
SCENARIO_VERSION = 1  # bump when the scenario generators change
NATIVE_DEAD_AIR_S = (5.0, 3.0)  # calls_en's longest gap is 4.7 s: also report at the old test's 3 s
BASE_SEED = 20261130

DEFAULTS = Settings()
DEAD_AIR_MIN_S = DEFAULTS.rules.dead_air_min_s
OVERTALK_MIN_S = DEFAULTS.rules.overtalk_min_s
FAST_WPM = DEFAULTS.rules.fast_speech_wpm
FAST_MAX_PAUSE_S = DEFAULTS.rules.fast_speech_max_pause_s
FAST_MIN_WORDS = DEFAULTS.rules.fast_speech_min_words
GREETING_WINDOW_S = DEFAULTS.rules.greeting_window_s
CLOSING_WINDOW_S = DEFAULTS.rules.closing_window_s

BANDS_DOC = {
    "overtalk": "the other side talks over a turn (the truth's role is the side that talks over) for mild "
                "1.0-1.6 s, moderate 1.6-2.5 s, severe 2.5-4.0 s, "
                "at 0 to -20 dB against the speaker it interrupts (drawn in every band); negative: backchannels "
                "('mm-hm', 'yes', 'okay', ...) and interruptions of 0.5-0.9 s",
    "clipping": "a 1.5-5 s stretch of one side's speech: hard clip after gain (mild ceiling 0.7-1.0 of full "
                "scale, peaks driven 1-4 dB over it; moderate 0.5-0.8, 4-9 dB; severe 0.3-0.6, 9-16 dB) "
                "or tanh saturation (drive mild 2-3, moderate 3-6, severe 6-12)",
    "dropout": "packet loss inside one side's speech, mild 20-60 ms, moderate 60-120 ms, severe 120-200 ms, "
               "zeroed samples or the last 20 ms frame repeated",
    "noise": "noise on one side at mild 10-15 dB, moderate 5-10 dB, severe 0-5 dB SNR against its speech: "
             "bursts of 2-6 s (noise_vad recordings, white or pink), steady noise over the whole call, "
             "50/60 Hz mains hum with harmonics, or crackle",
    "level": "one side attenuated by mild 30-35 dB, moderate 35-40 dB, severe 40-45 dB, over the whole call "
             "or a 10-20 s stretch",
    "dead_air": "nobody speaks for mild 5-7 s, moderate 7-10 s, severe 10-15 s (digital silence, comfort noise "
                "or hold music); negative: pauses of 3-4.5 s and 6-12 s of silence at the call's start or end",
    "fast_speech": "an agent turn of 30-45 words (espeak-ng voices) sped up by sox tempo, mild 1.3-1.5x, "
                   "moderate 1.5-1.7x, severe 1.7-1.9x; truth only where the result is over "
                   f"{FAST_WPM:g} words/min; negative: the same turns at natural speed",
    "repetition": "a phrase said (espeak-ng, 5-8 words, each saying at its own rate and pitch) or looped "
                  "(real audio, 3-6 words, the same samples again) in a row, mild "
                  "twice, moderate 3 times, severe 4-6 times; negative: the same phrase said again over 20 s "
                  "later, and a number read back ('four five two seven, four five two seven')",
    "forbidden_phrase": "a lexicon phrase inside a longer sentence, mild: en-us/en-gb at 140-170 wpm; moderate: "
                        "other voices at 170-210 wpm; severe: accented voices at 200-260 wpm, 6 dB quieter; "
                        "negative: near-miss sentences ('that's no problem at all')",
    "missing_greeting": "absent: the agent's greeting cut out or replaced by a sentence without one; negative: "
                        "the original greeting, or one said by other voices at 130-230 wpm",
    "missing_closing": "absent: the agent's closing cut out or replaced; negative: the original closing, or "
                       "one said by other voices at 130-230 wpm",
    "negative_emotion": "emotion_de: one speaker's neutral clips with mild 1, moderate 2, severe 3-4 anger "
                        "clips spliced in (on the customer, left, channel of a 16 kHz stereo call whose agent "
                        "side is line noise only, so the speaker's own neutral clips are the baseline); "
                        "negative: the same speaker's neutral clips with a stretch 8-12 dB louder, or the "
                        "whole call louder",
    "clean": "unmodified calls_en excerpts: every poor_audio prediction is a false alarm",
}

FAMILY_CATEGORY = {
    "overtalk": "overtalk", "clipping": "poor_audio", "dropout": "poor_audio", "noise": "poor_audio",
    "level": "poor_audio", "dead_air": "dead_air", "fast_speech": "fast_speech", "repetition": "repetition",
    "forbidden_phrase": "forbidden_phrase", "missing_greeting": "missing_greeting",
    "missing_closing": "missing_closing", "negative_emotion": "negative_emotion", "clean": "poor_audio",
}
FAMILIES = tuple(FAMILY_CATEGORY)
QUICK_BANDS = ("severe", "negative", "absent", "clean")  # --quick: one call of each of these per family


class Retry(Exception):
    """This random draw cannot be placed; draw again."""


# --- a call being edited: audio and its word timings kept in step ------------------------------------


@dataclass
class Call:
    audio: np.ndarray  # (channels, n), float, full scale 1.0
    rate: int
    words: list[dict]  # {"role", "word", "start", "end"} in seconds
    roles: tuple[str, ...] = ROLES

    @property
    def duration(self) -> float:
        return self.audio.shape[1] / self.rate

    def ch(self, role: str) -> int:
        return self.roles.index(role)

    def words_of(self, role: str) -> list[dict]:
        return sorted((w for w in self.words if w["role"] == role), key=lambda w: w["start"])

    def runs(self, role: str | None, gap: float = 0.2) -> list[tuple[float, float]]:
        """Merged word spans of one role (None: anyone), joining gaps up to `gap` seconds."""
        return intervals.merge(((w["start"], w["end"]) for w in self.words if role is None or w["role"] == role),
                               gap=gap)

    def gaps(self) -> list[tuple[float, float]]:
        """Interior stretches with no word of anyone (not before the first or after the last word)."""
        spans = self.runs(None, gap=0.0)
        return [(a[1], b[0]) for a, b in zip(spans, spans[1:]) if b[0] > a[1]]

    def is_clear(self, role: str, start: float, end: float) -> bool:
        return not any(w["start"] < end and w["end"] > start for w in self.words if w["role"] == role)

    def copy(self) -> "Call":
        return Call(self.audio.copy(), self.rate, [dict(w) for w in self.words], self.roles)

    def excerpt(self, start: float, end: float) -> "Call":
        a, b = int(round(start * self.rate)), int(round(end * self.rate))
        words = [dict(w, start=w["start"] - start, end=w["end"] - start)
                 for w in self.words if w["start"] >= start and w["end"] <= end]
        return Call(self.audio[:, a:b].copy(), self.rate, words, self.roles)

    def insert(self, at: float, block: np.ndarray, words: list[dict] = ()) -> float:
        """Insert `block` ((channels, n)) at `at` s; later words move; `words` (block-relative) are added.

        Returns the inserted length in seconds. No word may straddle `at`.
        """
        if any(w["start"] < at < w["end"] for w in self.words):
            raise Retry(f"insert point {at:.2f} s is inside a word")
        at = round(at * self.rate) / self.rate
        length = block.shape[1] / self.rate
        self.audio = inj.insert(self.audio, at, block, self.rate)
        for w in self.words:
            if w["start"] >= at:
                w["start"] += length
                w["end"] += length
        self.words += [dict(w, start=w["start"] + at, end=w["end"] + at) for w in words]
        return length

    def speech_rms(self, role: str) -> float:
        return inj.active_rms(self.audio[self.ch(role)], self.rate)

    def floor_dbfs(self, role: str) -> float:
        """Level of the channel's quietest 20% of 20 ms frames, in dBFS (its line noise)."""
        x = self.audio[self.ch(role)]
        size = int(0.02 * self.rate)
        n = x.size // size
        power = np.sort(np.mean(x[: n * size].reshape(n, size) ** 2, axis=1))
        quiet = power[: max(1, n // 5)]
        return float(10 * np.log10(max(np.mean(quiet), 1e-12)))


def comfort_block(call: Call, seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Line noise for every channel at that channel's own floor (so an inserted pause sounds like the call)."""
    n = int(round(seconds * call.rate))
    return np.stack([inj.comfort_noise(n, call.rate, min(call.floor_dbfs(r), -50.0), rng) for r in call.roles])


_BASES: dict[str, Call] = {}


def calls_en(name: str) -> Call:
    if name not in _BASES:
        audio, rate = speech.read_wav(SHARED / "calls_en" / f"{name}.wav")
        words = json.loads((SHARED / "calls_en" / f"{name}.json").read_text())
        _BASES[name] = Call(audio, rate, [{"role": SPEAKER_ROLE[w["speaker"]], "word": w["word"],
                                           "start": float(w["start"]), "end": float(w["end"])} for w in words])
    return _BASES[name]


def random_excerpt(rng: np.random.Generator, length: float, name: str | None = None) -> Call:
    """About `length` s of a calls_en call, cut in pauses (never through a word)."""
    base = calls_en(name or CALLS_EN[int(rng.integers(len(CALLS_EN)))])
    cuts = [0.0] + [(a + b) / 2 for a, b in base.gaps()] + [base.duration]
    starts = [c for c in cuts if c <= base.duration - length]
    start = starts[int(rng.integers(len(starts)))]
    end = min(cuts, key=lambda c: abs(c - (start + length)) if c > start + 0.5 * length else 1e9)
    return base.excerpt(start, end)


# --- truth from word timings --------------------------------------------------------------------------


def overtalk_truth(call: Call) -> list[tuple[float, float]]:
    words = [{"speaker": "A" if w["role"] == CUSTOMER else "B", "start": w["start"], "end": w["end"]}
             for w in call.words]
    found = truth_from_words(words, call.duration, float("inf"), OVERTALK_MIN_S)
    return [(t["start"], t["end"]) for t in found if t["category"] == "overtalk"]


def interrupter(call: Call, at: float) -> str:
    """Who talks over whom at an overlap starting at `at`: the side whose turn (words joined across
    gaps up to 0.2 s) began later."""
    began = {}
    for role in ROLES:
        runs = [a for a, b in call.runs(role) if a <= at + 1e-6 <= b + 1e-6]
        began[role] = runs[-1] if runs else at
    return max(ROLES, key=lambda r: began[r])


def dead_air_truth(call: Call, min_s: float = DEAD_AIR_MIN_S) -> list[tuple[float, float]]:
    """Interior silences of at least min_s: silence before the first / after the last word is not dead air."""
    return [(a, b) for a, b in call.gaps() if b - a >= min_s - 1e-6]


def _tokens(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9 ]+", " ", text.lower().replace("'", "").replace("\u2019", "")).split()


def phrase_hits(words: list[dict], phrases: list[str]) -> list[tuple[float, float]]:
    """Spans of `words` (in time order) where a phrase's tokens appear consecutively."""
    toks: list[tuple[str, dict]] = [(t, w) for w in words for t in _tokens(w["word"])]
    seq = [t for t, _ in toks]
    hits = []
    for phrase in phrases:
        p = _tokens(phrase)
        if not p:
            continue
        for i in range(len(seq) - len(p) + 1):
            if seq[i:i + len(p)] == p:
                hits.append((toks[i][1]["start"], toks[i + len(p) - 1][1]["end"]))
    return sorted(hits)


def greeting_truth(call: Call) -> list[tuple[float, float]]:
    """missing_greeting when no greeting starts within the agent's first GREETING_WINDOW_S of speech."""
    words = call.words_of(AGENT)
    if not words:
        return [(0.0, call.duration)]
    first = words[0]["start"]
    limit = first + GREETING_WINDOW_S
    if any(s <= limit for s, _ in phrase_hits(words, DEFAULTS.lexicon.greeting)):
        return []
    return [(first, min(limit, max(w["end"] for w in words)))]


def closing_truth(call: Call) -> list[tuple[float, float]]:
    """missing_closing when no closing ends within the agent's last CLOSING_WINDOW_S of speech."""
    words = call.words_of(AGENT)
    if not words:
        return []
    last = max(w["end"] for w in words)
    limit = last - CLOSING_WINDOW_S
    if any(e >= limit for _, e in phrase_hits(words, DEFAULTS.lexicon.closing)):
        return []
    return [(max(limit, words[0]["start"]), last)]


# --- scenarios ----------------------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    family: str
    band: str  # the band of what was placed: mild | moderate | severe | negative | absent | clean
    call: Call
    truth: list[dict] = field(default_factory=list)  # {start, end, role, category, band}
    placed: list[dict] = field(default_factory=list)  # problems and decoys: {start, end, role, band, what}
    meta: dict = field(default_factory=dict)

    @property
    def category(self) -> str:
        return FAMILY_CATEGORY[self.family]

    def add_truth(self, start: float, end: float, role: str, band: str, what: str = "") -> None:
        self.truth.append({"start": round(start, 3), "end": round(end, 3), "role": role,
                           "category": self.category, "band": band, "what": what})

    def place(self, start: float, end: float, role: str, band: str, what: str) -> None:
        self.placed.append({"start": round(start, 3), "end": round(end, 3), "role": role, "band": band,
                            "what": what})

    def shift_after(self, at: float, by: float) -> None:
        """Keep recorded spans in step with an insertion of `by` seconds at `at`."""
        for seg in self.truth + self.placed:
            if seg["start"] >= at - 1e-9:
                seg["start"] = round(seg["start"] + by, 3)
                seg["end"] = round(seg["end"] + by, 3)


def _uniform(rng, lo, hi) -> float:
    return float(rng.uniform(lo, hi))


def _voice(rng, pool=speech.VOICES) -> str:
    return pool[int(rng.integers(len(pool)))]


def _say(rng, text: str, rate: int, voice: str | None = None, wpm: float | None = None) -> tuple[np.ndarray, str, int]:
    voice = voice or _voice(rng)
    wpm = int(wpm or rng.uniform(140, 180))
    return speech.espeak(text, voice=voice, wpm=wpm, pitch=int(rng.integers(35, 70)), rate=rate), voice, wpm


def _spoken_block(call: Call, role: str, voice_audio: np.ndarray, rng, rel_db: float = 0.0,
                  leak_db: float = -30.0) -> np.ndarray:
    """A (channels, n) block: the voice on `role`'s channel at that side's speech level (+rel_db),
    leaking `leak_db` into the other channel, over each channel's line noise."""
    n = voice_audio.size
    block = comfort_block(call, n / call.rate, rng)
    level = call.speech_rms(role) * inj.db_to_gain(rel_db)
    voice = voice_audio / max(inj.active_rms(voice_audio, call.rate), 1e-9) * level
    for r in call.roles:
        block[call.ch(r)] += voice if r == role else voice * inj.db_to_gain(leak_db)
    return block


def _insert_at_gap(call: Call, rng, min_gap: float = 0.3, avoid: list[tuple[float, float]] = (),
                   margin: float = 2.0) -> float:
    """A random insert point in a pause between words, away from `avoid` spans and the call's edges."""
    choices = [(a + b) / 2 for a, b in call.gaps() if b - a >= min_gap
               and margin <= (a + b) / 2 <= call.duration - margin
               and all(not s - 1.0 <= (a + b) / 2 <= e + 1.0 for s, e in avoid)]
    if not choices:
        raise Retry("no pause to insert into")
    return float(choices[int(rng.integers(len(choices)))])
