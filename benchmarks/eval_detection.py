"""Detection benchmark: known problems placed into real recordings, scored against the real analysis.

Each scenario call is a real recording from ../shared/data (calls_en: two
SpokenWOZ customer-service calls, 8 kHz stereo, left = customer, right =
agent; emotion_de: one EmoDB speaker's clips) with problems placed into it by
reviewer_app.core.synth, so the truth is known: where, on which side, how bad.
Every call is written as a WAV into a cache folder outside the repository,
analysed by the app itself (`pipeline.analyze`, default Settings, Whisper
base) and scored per scenario family and severity band: a prediction matches
a truth segment of the same category and the same role when they overlap by
at least 30% of the shorter (reviewer_app.core.evaluate.match_segments).
Overtalk's truth names the side that talks over the other; a prediction that
only says "both" is credited to the side of the truth it overlaps most.

Bands. Signal problems come in mild / moderate / severe, each drawn at random
within its range (see BANDS_DOC and the README). `negative` rows hold decoys
that are NOT problems (backchannels, short interruptions, pauses under the
dead-air threshold, silence at the call's edges, greetings and closings said
by other voices at other rates, loud but neutral speech, near-miss phrases):
every prediction there is a false alarm. `native` rows are events already in
the recording (calls_en's own overtalk, from its word timings). `absent` is a
greeting or closing that is really missing. `clean` are unmodified excerpts,
scored for poor_audio only (false alarms on real phone audio).

A prediction matching no truth counts against the band of the nearest placed
problem or decoy of its family in that call.

    .venv/bin/python benchmarks/eval_detection.py                 # everything: 112 calls, 70 min of audio
    .venv/bin/python benchmarks/eval_detection.py --quick         # one call per family and band
    .venv/bin/python benchmarks/eval_detection.py --categories overtalk,dead_air --bands severe,negative
    .venv/bin/python benchmarks/eval_detection.py --markdown --json out.json --no-cache

The full run analyses 70 minutes of audio: it took 30 min on a 2-core machine busy with other
work (benchmarks/results/eval_detection_before.md). Analyses are cached under ~/.cache/reviewer_app_eval (REVIEWER_APP_EVAL_CACHE
overrides it) keyed by the scenario WAV's sha256 and a hash of the app's
source (reviewer_app/**/*.py) and bundled models, so an unchanged scenario on
unchanged code is not analysed again; --no-cache analyses everything anew.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from reviewer_app.core import intervals  # noqa: E402
from reviewer_app.core.evaluate import MIN_OVERLAP, match_segments, truth_from_words  # noqa: E402
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


# overtalk -----------------------------------------------------------------------------------------


OVERTALK_SECONDS = {"mild": (1.0, 1.6), "moderate": (1.6, 2.5), "severe": (2.5, 4.0)}
BACKCHANNELS = ("mm-hm", "uh-huh", "yes", "yeah", "okay", "right", "I see", "sure")


def _spliced_speech(base: Call, role: str, seconds: float, rng) -> tuple[np.ndarray, list[dict]]:
    """`seconds` of `role`'s real speech from its own channel: consecutive words joined without pauses."""
    words = base.words_of(role)
    for _ in range(20):
        k = int(rng.integers(len(words)))
        chunks, out, t = [], [], 0.0
        for w in words[k:]:
            a, b = int(w["start"] * base.rate), int(w["end"] * base.rate)
            if b - a < int(0.05 * base.rate):
                continue
            chunks.append(base.audio[base.ch(role), a:b])
            out.append({"role": role, "word": w["word"], "start": t, "end": t + (b - a) / base.rate})
            t += (b - a) / base.rate
            if t >= seconds:
                break
        if t >= seconds:
            n = int(round(seconds * base.rate))
            out = [dict(w, end=min(w["end"], seconds)) for w in out if w["start"] < seconds]
            return np.concatenate(chunks)[:n], out
    raise Retry(f"no {seconds:.1f} s of {role} speech")


def _overlay_interruption(sc: Scenario, base: Call, seconds: float, rng, band: str, what: str,
                          audio_words: tuple[np.ndarray, list[dict]] | None = None) -> None:
    """The other side talks for `seconds` during one side's speech, 0 to -20 dB against it."""
    call = sc.call
    host = ROLES[int(rng.integers(2))]
    other = CUSTOMER if host == AGENT else AGENT
    audio, words = audio_words or _spliced_speech(base, other, seconds, rng)
    length = audio.size / call.rate
    runs = [(a, b) for a, b in call.runs(host) if b - a >= length + 0.4]
    rng.shuffle(runs)
    taken = [(p["start"] - 1.0, p["end"] + 1.0) for p in sc.placed]
    for a, b in runs:
        pos = _uniform(rng, a + 0.2, b - length - 0.2)
        if not call.is_clear(other, pos - 0.6, pos + length + 0.6):
            continue
        if any(s < pos + length and e > pos for s, e in taken):
            continue
        rel_db = _uniform(rng, -20.0, 0.0)
        host_level = inj.active_rms(call.audio[call.ch(host), int(a * call.rate):int(b * call.rate)], call.rate)
        call.audio[call.ch(other)] = inj.overlay(call.audio[call.ch(other)], audio, pos, call.rate, rel_db,
                                                 host_level)
        call.words += [dict(w, role=other, start=w["start"] + pos, end=w["end"] + pos) for w in words]
        sc.place(pos, pos + length, other, band, f"{what}: {other} over {host} for {length:.2f} s at {rel_db:.1f} dB")
        return
    raise Retry("no turn long enough to interrupt")


def build_overtalk(rng, band: str) -> Scenario:
    base_name = CALLS_EN[int(rng.integers(2))]
    call = random_excerpt(rng, 45.0, base_name)
    sc = Scenario("", "overtalk", band, call)
    base = calls_en(base_name)
    if band in BANDS:
        for _ in range(2):
            _overlay_interruption(sc, base, _uniform(rng, *OVERTALK_SECONDS[band]), rng, band, "interruption")
    for k in range(1 if band in BANDS else 3):
        if k % 2 == 0:
            text = BACKCHANNELS[int(rng.integers(len(BACKCHANNELS)))]
            audio, voice, _ = _say(rng, text, call.rate, wpm=_uniform(rng, 140, 200))
            if audio.size / call.rate > 0.9:
                audio = audio[: int(0.9 * call.rate)]
            _overlay_interruption(sc, base, 0, rng, "negative", f"backchannel '{text}' ({voice})",
                                  (audio, [{"word": text, "start": 0.0, "end": audio.size / call.rate}]))
        else:
            _overlay_interruption(sc, base, _uniform(rng, 0.5, 0.9), rng, "negative", "short interruption")
    found = overtalk_truth(call)
    for start, end in found:
        near = [p for p in sc.placed if p["start"] < end and p["end"] > start]
        band_of = near[0]["band"] if near else "native"
        if band_of == "negative":
            raise Retry("a decoy joined a real overlap")
        role = near[0]["role"] if near else interrupter(call, start)
        sc.add_truth(start, end, role, band_of, near[0]["what"] if near else "calls_en overlap")
    placed_truth = [p for p in sc.placed if p["band"] in BANDS]
    if any(not any(t["start"] < p["end"] and t["end"] > p["start"] for t in sc.truth) for p in placed_truth):
        raise Retry("an interruption fell into a pause of the turn it interrupts")
    return sc


# poor audio: clipping, dropouts, noise, level -----------------------------------------------------


CLIP_HARD = {"mild": ((0.7, 1.0), (1.0, 4.0)), "moderate": ((0.5, 0.8), (4.0, 9.0)),
             "severe": ((0.3, 0.6), (9.0, 16.0))}
CLIP_DRIVE = {"mild": (2.0, 3.0), "moderate": (3.0, 6.0), "severe": (6.0, 12.0)}


def _speech_stretch(sc: Scenario, rng, role: str, lo: float, hi: float) -> tuple[float, float]:
    """A stretch of lo-hi s inside `role`'s speech, apart from what was already placed."""
    runs = [(a, b) for a, b in sc.call.runs(role, gap=0.3) if b - a >= lo]
    rng.shuffle(runs)
    for a, b in runs:
        length = min(b - a, _uniform(rng, lo, hi))
        start = _uniform(rng, a, b - length)
        if all(start > p["end"] + 1.0 or start + length < p["start"] - 1.0 for p in sc.placed):
            return start, start + length
    raise Retry(f"no {lo:g} s of {role} speech free")


def build_clipping(rng, band: str) -> Scenario:
    sc = Scenario("", "clipping", band, random_excerpt(rng, 40.0))
    call = sc.call
    for k in range(3):
        role = ROLES[int(rng.integers(2))]
        start, end = _speech_stretch(sc, rng, role, 1.5, 5.0)
        i, a, b = call.ch(role), int(start * call.rate), int(end * call.rate)
        peak = float(np.max(np.abs(call.audio[i, a:b])))
        if k < 2:
            ceiling = _uniform(rng, *CLIP_HARD[band][0])
            over = _uniform(rng, *CLIP_HARD[band][1])
            gain = 20 * np.log10(ceiling / peak) + over
            call.audio[i] = inj.hard_clip(call.audio[i], ceiling, gain, call.rate, start, end)
            what = f"hard clip at {ceiling:.2f} FS, peaks {over:.1f} dB over ({gain:+.1f} dB gain)"
        else:
            drive = _uniform(rng, *CLIP_DRIVE[band])
            gain = 20 * np.log10(0.9 / peak)
            lifted = inj.change_level(call.audio[i], gain, call.rate, start, end)
            call.audio[i] = inj.soft_saturate(lifted, drive, call.rate, start, end)
            what = f"tanh saturation, drive {drive:.1f} ({gain:+.1f} dB gain to 0.9 FS)"
        sc.place(start, end, role, band, what)
        sc.add_truth(start, end, role, band, what)
    return sc


DROPOUT_MS = {"mild": (20, 60), "moderate": (60, 120), "severe": (120, 200)}


def build_dropout(rng, band: str) -> Scenario:
    sc = Scenario("", "dropout", band, random_excerpt(rng, 40.0))
    call = sc.call
    for _ in range(3):
        role = ROLES[int(rng.integers(2))]
        start, _ = _speech_stretch(sc, rng, role, 0.6, 0.6)
        length = _uniform(rng, *DROPOUT_MS[band]) / 1000
        mode = "zero" if rng.random() < 0.5 else "repeat"
        i = call.ch(role)
        call.audio[i] = inj.dropout(call.audio[i], call.rate, start, length, mode)
        what = f"{length * 1000:.0f} ms dropout ({'zeroed' if mode == 'zero' else 'repeated 20 ms frame'})"
        sc.place(start, start + length, role, band, what)
        sc.add_truth(start, start + length, role, band, what)
    return sc


SNR_DB = {"mild": (10.0, 15.0), "moderate": (5.0, 10.0), "severe": (0.0, 5.0)}
NOISE_KINDS = ("burst", "steady", "hum", "crackle")
NOISE_FILES = tuple(f"speechbrain_noise{k}.wav" for k in range(1, 6))


def _noise_source(rng, rate: int, n: int) -> tuple[np.ndarray, str]:
    pick = int(rng.integers(len(NOISE_FILES) + 2))
    if pick == len(NOISE_FILES):
        return inj.white_noise(n, rng), "white noise"
    if pick == len(NOISE_FILES) + 1:
        return inj.pink_noise(n, rng), "pink noise"
    audio, src_rate = speech.read_wav(SHARED / "noise_vad" / NOISE_FILES[pick])
    audio = audio if audio.ndim == 1 else audio[0]
    audio = speech.resample(audio, src_rate, rate)
    offset = int(rng.integers(max(1, audio.size - n))) if audio.size > n else 0
    return inj.fit_length(audio[offset:], n), f"noise_vad {NOISE_FILES[pick]}"


def build_noise(rng, band: str, kind: str) -> Scenario:
    sc = Scenario("", "noise", band, random_excerpt(rng, 35.0))
    call = sc.call
    role = ROLES[int(rng.integers(2))]
    i = call.ch(role)
    snr = _uniform(rng, *SNR_DB[band])
    ref = call.speech_rms(role)
    n = call.audio.shape[1]
    if kind == "burst":
        for _ in range(2):
            start, end = _speech_stretch(sc, rng, role, 2.0, 6.0)
            source, name = _noise_source(rng, call.rate, int((end - start) * call.rate) + 1)
            call.audio[i] = inj.add_noise(call.audio[i], source, snr, call.rate, ref, start, end)
            sc.place(start, end, role, band, f"{name} burst at {snr:.1f} dB SNR")
            sc.add_truth(start, end, role, band, f"{name} burst at {snr:.1f} dB SNR")
        return sc
    if kind == "steady":
        source, name = _noise_source(rng, call.rate, n)
    elif kind == "hum":
        freq = 50.0 if rng.random() < 0.5 else 60.0
        source, name = inj.mains_hum(n, call.rate, freq, rng=rng), f"{freq:.0f} Hz mains hum"
    else:
        source, name = inj.crackle(n, call.rate, _uniform(rng, 5, 40), rng), "crackle"
    call.audio[i] = inj.add_noise(call.audio[i], source, snr, call.rate, ref)
    what = f"steady {name} at {snr:.1f} dB SNR"
    sc.place(0.0, call.duration, role, band, what)
    sc.add_truth(0.0, call.duration, role, band, what)
    return sc


LEVEL_DB = {"mild": (30.0, 35.0), "moderate": (35.0, 40.0), "severe": (40.0, 45.0)}


def build_level(rng, band: str) -> Scenario:
    sc = Scenario("", "level", band, random_excerpt(rng, 35.0))
    call = sc.call
    role = ROLES[int(rng.integers(2))]
    drop = _uniform(rng, *LEVEL_DB[band])
    spans = call.runs(role)
    if not spans:
        raise Retry("that side says nothing")
    if rng.random() < 0.5:
        start, end = 0.0, call.duration
        what = f"{role} side {drop:.1f} dB down for the whole call"
    else:
        length = _uniform(rng, 10.0, 20.0)
        start = _uniform(rng, 0.0, max(0.0, call.duration - length))
        end = start + length
        what = f"{role} side {drop:.1f} dB down for {length:.0f} s"
    inside = [(max(a, start), min(b, end)) for a, b in spans if b > start and a < end]
    if not inside or sum(b - a for a, b in inside) < 2.0:
        raise Retry("too little speech in the quiet stretch")
    call.audio[call.ch(role)] = inj.change_level(call.audio[call.ch(role)], -drop, call.rate, start, end)
    sc.place(start, end, role, band, what)
    sc.add_truth(inside[0][0], inside[-1][1], role, band, what)
    return sc


def build_clean(rng, band: str) -> Scenario:
    return Scenario("", "clean", "clean", random_excerpt(rng, 40.0))


# dead air -----------------------------------------------------------------------------------------


DEAD_AIR_SECONDS = {"mild": (5.0, 7.0), "moderate": (7.0, 10.0), "severe": (10.0, 15.0), "negative": (3.0, 4.5)}
SILENCE_KINDS = ("digital silence", "comfort noise", "hold music")


def _silence_block(call: Call, seconds: float, kind: str, rng) -> np.ndarray:
    n = int(round(seconds * call.rate))
    if kind == "digital silence":
        return np.zeros((len(call.roles), n))
    block = comfort_block(call, seconds, rng)
    if kind == "hold music":
        block[call.ch(AGENT)] += inj.hold_music(seconds, call.rate, rng, dbfs=_uniform(rng, -30.0, -20.0))
    return block


def _place_pause(sc: Scenario, rng, total: float, band: str, kind: str) -> None:
    """Grow a pause between words so that nobody speaks for `total` seconds."""
    call = sc.call
    gaps = [(a, b) for a, b in call.gaps() if b - a < total - 0.3 and 2.0 < a < call.duration - 2.0
            and all(b < p["start"] - 2 or a > p["end"] + 2 for p in sc.placed)]
    if not gaps:
        raise Retry("no pause to grow")
    a, b = gaps[int(rng.integers(len(gaps)))]
    extra = total - (b - a)
    at = (a + b) / 2
    call.insert(at, _silence_block(call, extra, kind, rng))
    sc.shift_after(at, extra)
    sc.place(a, b + extra, BOTH, band, f"{total:.1f} s without speech ({kind})")


def build_dead_air(rng, band: str) -> Scenario:
    sc = Scenario("", "dead_air", band, random_excerpt(rng, 35.0))
    call = sc.call
    if band in BANDS:
        kinds = list(SILENCE_KINDS)
        rng.shuffle(kinds)
        for kind in kinds[:2]:
            _place_pause(sc, rng, _uniform(rng, *DEAD_AIR_SECONDS[band]), band, kind)
    else:
        _place_pause(sc, rng, _uniform(rng, *DEAD_AIR_SECONDS["negative"]),
                     "negative", SILENCE_KINDS[int(rng.integers(3))])
        edge = _uniform(rng, 6.0, 12.0)
        kind = SILENCE_KINDS[int(rng.integers(2))]  # a recording starts or ends in silence, not hold music
        if rng.random() < 0.5:
            call.insert(0.0, _silence_block(call, edge, kind, rng))
            sc.shift_after(0.0, edge)
            first = min(w["start"] for w in call.words)
            sc.place(0.0, first, BOTH, "negative", f"{first:.1f} s of {kind} before anyone speaks")
        else:
            last = max(w["end"] for w in call.words)
            call.insert(call.duration, _silence_block(call, edge, kind, rng))
            sc.place(last, call.duration, BOTH, "negative", f"{call.duration - last:.1f} s of {kind} after the end")
    for start, end in dead_air_truth(call):
        near = [p for p in sc.placed if p["start"] <= start + 0.01 and p["end"] >= end - 0.01]
        band_of = near[0]["band"] if near else "native"
        if band_of == "negative":
            raise Retry("a decoy pause reached the threshold")
        sc.add_truth(start, end, BOTH, band_of, near[0]["what"] if near else "calls_en pause")
    return sc


# fast speech --------------------------------------------------------------------------------------


TEMPO = {"mild": (1.3, 1.5), "moderate": (1.5, 1.7), "severe": (1.7, 1.9), "negative": (1.0, 1.0)}
EXPLANATIONS = (
    "your order was shipped on monday from our warehouse in leeds and the courier should deliver it within "
    "three working days, you will get a text message with the tracking number and a one hour delivery window "
    "on the morning it arrives at your address",
    "the refund has been approved today and it goes back to the card you paid with, it normally takes five to "
    "seven working days to show on your statement depending on your bank, and you will receive an email "
    "confirmation with the reference number for your records",
    "to reset the router please unplug it from the wall for thirty seconds, then plug it back in and wait until "
    "the light on the front turns green, after that open the app on your phone and choose the option to "
    "connect a new device to the network",
    "the contract runs for twelve months from the start date, after that it rolls over to a monthly plan at "
    "the same price unless you tell us otherwise, and you can change the tariff at any time through the "
    "account page on our website or in the app",
    "i have booked the engineer for thursday between eight in the morning and one in the afternoon, they will "
    "call you about thirty minutes before they arrive, so please make sure someone over eighteen is at home "
    "to let them into the property",
    "the train leaves cambridge at ten past two and arrives in leicester at ten to five, there is one change "
    "at peterborough with about twelve minutes between the trains, and the ticket costs thirty seven pounds "
    "eighty with the railcard discount",
)


def _wpm(words: list[dict]) -> float:
    """Speaking rate as the fast_speech rule defines it: words over their span, pauses capped."""
    words = sorted(words, key=lambda w: w["start"])
    if not words:
        return 0.0
    t = sum(w["end"] - w["start"] for w in words)
    t += sum(min(max(0.0, b["start"] - a["end"]), FAST_MAX_PAUSE_S) for a, b in zip(words, words[1:]))
    return 60.0 * len(words) / t if t > 0 else 0.0


def build_fast_speech(rng, band: str) -> Scenario:
    sc = Scenario("", "fast_speech", band, random_excerpt(rng, 30.0))
    call = sc.call
    text = EXPLANATIONS[int(rng.integers(len(EXPLANATIONS)))]
    # espeak's -s 115-135 measures about 150-175 words/min over the turn: natural, then sped up
    audio, voice, wpm = _say(rng, text, call.rate, wpm=_uniform(rng, 115, 135))
    factor = _uniform(rng, *TEMPO[band])
    audio = speech.tempo(audio, call.rate, factor)
    length = audio.size / call.rate
    tokens = text.split()
    # The turn's words, spread evenly over its length (espeak gives no word timings).
    words = [{"role": AGENT, "word": tok, "start": k * length / len(tokens), "end": (k + 1) * length / len(tokens)}
             for k, tok in enumerate(tokens)]
    rate = 60.0 * len(tokens) / length
    at = _insert_at_gap(call, rng)
    call.insert(at, _spoken_block(call, AGENT, audio, rng), words)
    what = f"{len(tokens)} words by {voice} at espeak {wpm} wpm, tempo {factor:.2f}: {rate:.0f} words/min"
    is_fast = rate > FAST_WPM and len(tokens) >= FAST_MIN_WORDS
    if band in BANDS and not is_fast:
        raise Retry("the sped-up turn is not over the limit")
    sc.place(at, at + length, AGENT, band if is_fast else "negative", what)
    if is_fast:
        sc.add_truth(at, at + length, AGENT, band, what)
    sc.meta["turn_wpm"] = round(rate, 1)
    return sc


# repetition ---------------------------------------------------------------------------------------


REPEAT_COUNT = {"mild": (2, 2), "moderate": (3, 3), "severe": (4, 6)}
NUMBERS = ("four five two seven", "nine one one three eight", "two zero six four")
PHRASES = ("your reference number is four five two seven", "the account is in your name",
           "can you hear me now", "the payment did not go through", "please hold the line for me",
           "i need the tracking number")


def _repeat_said(sc: Scenario, rng, count: int, band: str) -> None:
    call = sc.call
    role = AGENT if rng.random() < 0.7 else CUSTOMER
    phrase = PHRASES[int(rng.integers(len(PHRASES)))]
    voice, wpm = _voice(rng), int(rng.uniform(140, 200))
    pieces, words, t = [], [], 0.0
    tokens = phrase.split()
    for k in range(count):
        if k:
            pause = _uniform(rng, 0.2, 1.2)
            pieces.append(np.zeros(int(pause * call.rate)))
            t += pause
        # each saying a little different (rate, pitch), as a person says it again; a loop is the same audio
        once = speech.espeak(phrase, voice=voice, wpm=int(wpm * rng.uniform(0.88, 1.12)),
                             pitch=int(rng.integers(35, 70)), rate=call.rate)
        pieces.append(once)
        step = once.size / call.rate / len(tokens)
        words += [{"role": role, "word": tok, "start": t + j * step, "end": t + (j + 1) * step}
                  for j, tok in enumerate(tokens)]
        t += once.size / call.rate
    audio = np.concatenate(pieces)
    at = _insert_at_gap(call, rng, avoid=[(p["start"], p["end"]) for p in sc.placed])
    call.insert(at, _spoken_block(call, role, audio, rng), words)
    sc.shift_after(at, audio.size / call.rate)
    what = f"'{phrase}' said {count} times by {role} ({voice}, {wpm} wpm)"
    sc.place(at, at + t, role, band, what)
    sc.add_truth(at, at + t, role, band, what)


def _repeat_looped(sc: Scenario, rng, count: int, band: str) -> None:
    """Real words of one side (3-6 words, the other side silent) played `count` times in a row."""
    call = sc.call
    options = []
    for role in ROLES:
        other = CUSTOMER if role == AGENT else AGENT
        ws = call.words_of(role)
        for i in range(len(ws)):
            for n in range(3, 7):
                if i + n > len(ws):
                    break
                group = ws[i:i + n]
                if any(b["start"] - a["end"] > 0.3 for a, b in zip(group, group[1:])):
                    break
                toks = [_tokens(w["word"]) for w in group]
                if len({t for tt in toks for t in tt}) < 3:
                    continue
                a, b = group[0]["start"] - 0.05, group[-1]["end"] + 0.05
                if 0.8 <= b - a <= 3.0 and 0.0 < a and b < call.duration - 0.1 and \
                        call.is_clear(other, a - 0.3, b + 0.3) and \
                        all(b < p["start"] - 1 or a > p["end"] + 1 for p in sc.placed):
                    options.append((role, a, b, group))
    if not options:
        raise Retry("no phrase to loop")
    role, a, b, group = options[int(rng.integers(len(options)))]
    length = b - a
    copies = count - 1
    block = np.concatenate([call.audio[:, int(a * call.rate):int(b * call.rate)]] * copies, axis=1)
    copied = [dict(w, start=w["start"] - a + k * (block.shape[1] / copies / call.rate),
                   end=w["end"] - a + k * (block.shape[1] / copies / call.rate))
              for k in range(copies) for w in group]
    call.insert(b, block, copied)
    sc.shift_after(b, block.shape[1] / call.rate)
    phrase = " ".join(w["word"] for w in group)
    what = f"'{phrase}' ({role}, real audio) looped to {count} times"
    end = a + length * count
    sc.place(a, end, role, band, what)
    sc.add_truth(a, end, role, band, what)


def _say_apart(sc: Scenario, rng) -> None:
    """Decoy: one side says the same phrase once early and once more than 20 s later."""
    call = sc.call
    role = AGENT if rng.random() < 0.7 else CUSTOMER
    phrase = PHRASES[int(rng.integers(len(PHRASES)))]
    voice, wpm = _voice(rng), int(rng.uniform(140, 200))
    once = speech.espeak(phrase, voice=voice, wpm=wpm, rate=call.rate)
    length = once.size / call.rate
    tokens = phrase.split()
    words = [{"role": role, "word": tok, "start": j * length / len(tokens), "end": (j + 1) * length / len(tokens)}
             for j, tok in enumerate(tokens)]
    early = [(a + b) / 2 for a, b in call.gaps() if b - a >= 0.3 and 1.0 <= (a + b) / 2 <= 8.0]
    if not early:
        raise Retry("no pause early in the call")
    first = float(early[int(rng.integers(len(early)))])
    call.insert(first, _spoken_block(call, role, once, rng), words)
    late = [(a + b) / 2 for a, b in call.gaps() if b - a >= 0.3 and (a + b) / 2 >= first + length + 22.0]
    if not late:
        raise Retry("no pause 22 s later")
    second = float(late[int(rng.integers(len(late)))])
    call.insert(second, _spoken_block(call, role, once, rng), words)
    what = f"'{phrase}' said by {role} at {first:.0f} s and again at {second:.0f} s ({voice})"
    sc.place(first, first + length, role, "negative", what)
    sc.place(second, second + length, role, "negative", what)


def _read_back(sc: Scenario, rng) -> None:
    """Decoy: a number read back at once ('four five two seven, four five two seven')."""
    call = sc.call
    role = AGENT if rng.random() < 0.5 else CUSTOMER
    number = NUMBERS[int(rng.integers(len(NUMBERS)))]
    text = f"{number}, {number}"
    voice, wpm = _voice(rng), int(rng.uniform(140, 180))
    sayings = [speech.espeak(number, voice=voice, wpm=int(wpm * rng.uniform(0.88, 1.12)),
                             pitch=int(rng.integers(35, 70)), rate=call.rate) for _ in range(2)]
    audio = np.concatenate([sayings[0], np.zeros(int(_uniform(rng, 0.2, 0.5) * call.rate)), sayings[1]])
    at = _place_sentence(sc, rng, role, audio, text.replace(",", ""), 0.0)
    sc.place(at, at + audio.size / call.rate, role, "negative", f"number read back '{text}' ({voice}, {wpm} wpm)")


def build_repetition(rng, band: str) -> Scenario:
    if band not in BANDS:
        sc = Scenario("", "repetition", band, random_excerpt(rng, 40.0))
        _say_apart(sc, rng)
        _read_back(sc, rng)
        return sc
    sc = Scenario("", "repetition", band, random_excerpt(rng, 35.0))
    _repeat_said(sc, rng, int(rng.integers(REPEAT_COUNT[band][0], REPEAT_COUNT[band][1] + 1)), band)
    _repeat_looped(sc, rng, int(rng.integers(REPEAT_COUNT[band][0], REPEAT_COUNT[band][1] + 1)), band)
    return sc


# forbidden phrases --------------------------------------------------------------------------------


FORBIDDEN_SENTENCES = (
    ("look, honestly", "that's not my problem", "you have to call the bank about it yourself"),
    ("i have told you twice already so", "calm down", "and let me finish what i was saying"),
    ("sorry but", "that's not my job", "somebody in the billing team will have to look at it"),
    ("you know what,", "whatever", "just do what you think is best then"),
    ("this is always the same with", "you people", "nobody ever reads the letters we send"),
    ("to be honest", "i don't care", "which option you pick in the end"),
    ("please just", "shut up", "for one second and listen to me"),
)
NEAR_MISSES = (
    "that's no problem at all, i will fix it for you right now",
    "please stay calm, we will sort this out together today",
    "i really care about getting this right for you",
    "it is my job to help you with this, so let us start",
    "people often ask about this, so you are not alone",
)
FORBIDDEN_STYLE = {
    "mild": (("en-us", "en-gb"), (140, 170), 0.0),
    "moderate": (("en-us+f3", "en-us+m3", "en-gb+f4", "en-us+m7"), (170, 210), 0.0),
    "severe": (("en-gb-scotland", "en-029", "en-us+f3"), (200, 260), -6.0),
}


def _place_sentence(sc: Scenario, rng, role: str, audio: np.ndarray, text: str, rel_db: float) -> float:
    call = sc.call
    at = _insert_at_gap(call, rng, avoid=[(p["start"], p["end"]) for p in sc.placed])
    length = audio.size / call.rate
    tokens = text.split()
    words = [{"role": role, "word": tok, "start": k * length / len(tokens), "end": (k + 1) * length / len(tokens)}
             for k, tok in enumerate(tokens)]
    call.insert(at, _spoken_block(call, role, audio, rng, rel_db), words)
    sc.shift_after(at, length)
    return at


def build_forbidden_phrase(rng, band: str) -> Scenario:
    sc = Scenario("", "forbidden_phrase", band, random_excerpt(rng, 35.0))
    call = sc.call
    style = FORBIDDEN_STYLE.get(band, FORBIDDEN_STYLE["moderate"])
    n_pos = 2 if band in BANDS else 0
    for k in range(n_pos):
        before, phrase, after = FORBIDDEN_SENTENCES[int(rng.integers(len(FORBIDDEN_SENTENCES)))]
        voice = _voice(rng, style[0])
        wpm = int(rng.uniform(*style[1]))
        role = AGENT if k == 0 or rng.random() < 0.6 else CUSTOMER
        pitch = int(rng.integers(35, 70))

        def say(text):
            return speech.espeak(text, voice=voice, wpm=wpm, pitch=pitch, rate=call.rate)

        full = say(f"{before} {phrase} {after}")
        # Where the phrase lies in the sentence: the lengths of its start and of its start plus the phrase.
        t0, t1 = say(before).size / call.rate, say(f"{before} {phrase}").size / call.rate
        at = _place_sentence(sc, rng, role, full, f"{before} {phrase} {after}", style[2])
        what = f"'{phrase}' by {role} ({voice}, {wpm} wpm) in a sentence"
        sc.place(at + t0, at + t1, role, band, what)
        sc.add_truth(at + t0, at + t1, role, band, what)
    for _ in range(1 if band in BANDS else 3):
        text = NEAR_MISSES[int(rng.integers(len(NEAR_MISSES)))]
        audio, voice, wpm = _say(rng, text, call.rate, wpm=_uniform(rng, 140, 230))
        role = AGENT if rng.random() < 0.7 else CUSTOMER
        at = _place_sentence(sc, rng, role, audio, text, 0.0)
        sc.place(at, at + audio.size / call.rate, role, "negative", f"near miss '{text}' ({voice}, {wpm} wpm)")
    return sc


# greeting and closing -----------------------------------------------------------------------------


GREETINGS = (
    "good morning and thank you for calling city travel, my name is alex, how can i help you today",
    "hello, you are through to customer service, this is sam speaking, how may i help",
    "good afternoon, thanks for calling the bookings desk, what can i do for you",
    "hi there, welcome to the help line, how can i help you this evening",
)
NOT_GREETINGS = (
    "bookings desk, can i take your reference number please",
    "right, what is the postcode of the property",
    "account team, please give me your date of birth first",
)
CLOSINGS = (
    "is there anything else i can do for you today, no, then thank you for calling and have a nice day",
    "thanks for calling us, take care and goodbye",
    "you are all set now, have a great day, bye",
)
NOT_CLOSINGS = (
    "i have sent the confirmation to your email address now",
    "the booking is confirmed under your surname",
    "your case number is on the letter we posted yesterday",
)


def _cut_agent(call: Call, start: float, end: float, rng) -> None:
    """Remove the agent's words between start and end: their audio becomes line noise."""
    i = call.ch(AGENT)
    a, b = int(start * call.rate), int(end * call.rate)
    call.audio[i, a:b] = inj.comfort_noise(b - a, call.rate, min(call.floor_dbfs(AGENT), -50.0), rng)
    call.words = [w for w in call.words if not (w["role"] == AGENT and w["start"] >= start and w["end"] <= end)]


def build_missing_greeting(rng, band: str, variant: int) -> Scenario:
    base = calls_en(CALLS_EN[variant % 2])
    cuts = [(a + b) / 2 for a, b in base.gaps()]
    call = base.excerpt(0.0, min(cuts, key=lambda c: abs(c - 35.0)))
    sc = Scenario("", "missing_greeting", band, call)
    first_turn = call.runs(AGENT, gap=0.5)[0]
    kind = ("original" if variant < 2 else "espeak") if band == "negative" else ("cut" if variant < 2 else "replaced")
    what = "the original greeting"
    if kind != "original":
        _cut_agent(call, first_turn[0] - 0.05, first_turn[1] + 0.05, rng)
    if kind in ("espeak", "replaced"):
        text = (GREETINGS if kind == "espeak" else NOT_GREETINGS)[int(rng.integers(3 if kind == "replaced" else 4))]
        audio, voice, wpm = _say(rng, text, call.rate, wpm=_uniform(rng, 130, 230))
        at = max(c for c in [0.0] + [(a + b) / 2 for a, b in call.gaps()] if c <= first_turn[0])
        length = audio.size / call.rate
        tokens = text.replace(",", "").split()
        words = [{"role": AGENT, "word": t, "start": k * length / len(tokens), "end": (k + 1) * length / len(tokens)}
                 for k, t in enumerate(tokens)]
        call.insert(at, _spoken_block(call, AGENT, audio, rng), words)
        what = f"'{text}' ({voice}, {wpm} wpm)"
    elif kind == "cut":
        what = "the agent's greeting cut out"
    found = greeting_truth(call)
    if (band == "negative") == bool(found):
        raise Retry("the greeting truth does not fit the variant")
    agent_words = call.words_of(AGENT)
    span = (agent_words[0]["start"], min(agent_words[0]["start"] + GREETING_WINDOW_S, agent_words[-1]["end"]))
    sc.place(*span, AGENT, band, what)
    for s, e in found:
        sc.add_truth(s, e, AGENT, band, what)
    return sc


def build_missing_closing(rng, band: str, variant: int) -> Scenario:
    base = calls_en(CALLS_EN[variant % 2])
    cuts = [(a + b) / 2 for a, b in base.gaps()]
    call = base.excerpt(min(cuts, key=lambda c: abs(c - (base.duration - 35.0))), base.duration)
    sc = Scenario("", "missing_closing", band, call)
    kind = ("original" if variant < 2 else "espeak") if band == "negative" else ("cut" if variant < 2 else "replaced")
    what = "the original closing"
    if kind != "original":
        # cut every agent turn in the last CLOSING_WINDOW_S that holds a closing phrase
        for a, b in reversed(call.runs(AGENT, gap=0.5)):
            in_turn = [w for w in call.words_of(AGENT) if a <= w["start"] and w["end"] <= b]
            if phrase_hits(in_turn, DEFAULTS.lexicon.closing):
                _cut_agent(call, a - 0.05, b + 0.05, rng)
        what = "the agent's closing cut out"
    if kind in ("espeak", "replaced"):
        text = (CLOSINGS if kind == "espeak" else NOT_CLOSINGS)[int(rng.integers(3))]
        audio, voice, wpm = _say(rng, text, call.rate, wpm=_uniform(rng, 130, 230))
        last = max(w["end"] for w in call.words)
        at = _insert_at_gap(call, rng, margin=0.0) if rng.random() < 0.3 else last + 0.3
        length = audio.size / call.rate
        tokens = text.replace(",", "").split()
        words = [{"role": AGENT, "word": t, "start": k * length / len(tokens), "end": (k + 1) * length / len(tokens)}
                 for k, t in enumerate(tokens)]
        call.insert(min(at, call.duration), _spoken_block(call, AGENT, audio, rng), words)
        what = f"'{text}' ({voice}, {wpm} wpm)"
    found = closing_truth(call)
    if (band == "negative") == bool(found):
        raise Retry("the closing truth does not fit the variant")
    agent_words = call.words_of(AGENT)
    last = agent_words[-1]["end"]
    sc.place(max(agent_words[0]["start"], last - CLOSING_WINDOW_S), last, AGENT, band, what)
    for s, e in found:
        sc.add_truth(s, e, AGENT, band, what)
    return sc


# negative emotion (emotion_de) --------------------------------------------------------------------


EMOTION_RATE = 16000
EMO_SPEAKERS = ("03", "08", "09", "10", "11")
ANGER_CLIPS = {"mild": (1, 1), "moderate": (2, 2), "severe": (3, 4)}
_CLIPS: dict[str, np.ndarray] = {}


def _emotion_clips() -> dict[str, dict[str, list[str]]]:
    import csv

    out: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"neutral": [], "anger": []})
    with open(SHARED / "emotion_de" / "labels.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            out[row["speaker_id"]][row["emotion"]].append(row["file"])
    return out


def _clip(name: str) -> np.ndarray:
    if name not in _CLIPS:
        audio, rate = speech.read_wav(SHARED / "emotion_de" / name)
        audio = audio if audio.ndim == 1 else audio[0]
        _CLIPS[name] = speech.trim_silence(speech.resample(audio, rate, EMOTION_RATE), EMOTION_RATE, -45.0)
    return _CLIPS[name]


def build_negative_emotion(rng, band: str, speaker: str, loud: str = "") -> Scenario:
    """One speaker's clips on the customer (left) channel of a 16 kHz stereo call; the agent side is line
    noise. Neutral clips first (the speaker's own baseline), then anger, then neutral again."""
    clips = _emotion_clips()[speaker]
    neutral = list(clips["neutral"])
    rng.shuffle(neutral)
    n_before, n_after = int(rng.integers(4, 7)), int(rng.integers(2, 4))
    order = [neutral[k % len(neutral)] for k in range(n_before + n_after)]
    angry: list[str] = []
    if band in BANDS:
        pool = list(clips["anger"])
        rng.shuffle(pool)
        angry = pool[: int(rng.integers(ANGER_CLIPS[band][0], ANGER_CLIPS[band][1] + 1))]
    sequence = [(c, "neutral") for c in order[:n_before]] + [(c, "anger") for c in angry] + \
        [(c, "neutral") for c in order[n_before:]]
    loud_from = int(rng.integers(2, len(sequence) - 2)) if loud == "stretch" else -1
    gain_db = _uniform(rng, 8.0, 12.0)
    pieces, spans, t = [], [], 0.6
    pieces.append(np.zeros(int(0.6 * EMOTION_RATE)))
    for k, (name, emotion) in enumerate(sequence):
        audio = _clip(name)
        if loud == "whole" or loud_from <= k < loud_from + 2:
            audio = audio * inj.db_to_gain(gain_db)
        spans.append((t, t + audio.size / EMOTION_RATE, emotion, k))
        pieces.append(audio)
        pause = _uniform(rng, 0.3, 0.9)
        pieces.append(np.zeros(int(pause * EMOTION_RATE)))
        t += audio.size / EMOTION_RATE + pause
    pieces.append(np.zeros(int(0.6 * EMOTION_RATE)))
    voice = np.concatenate(pieces)
    peak = float(np.max(np.abs(voice)))
    voice = voice * (0.9 / peak) if peak > 0.9 else voice
    n = voice.size
    floor = np.stack([inj.comfort_noise(n, EMOTION_RATE, -62.0, rng) for _ in ROLES])
    floor[0] += voice
    call = Call(floor, EMOTION_RATE, [])
    sc = Scenario("", "negative_emotion", band, call, meta={"speaker": speaker, "clips": [s[0] for s in sequence]})
    anger_spans = [(a, b) for a, b, e, _ in spans if e == "anger"]
    if anger_spans:
        what = f"speaker {speaker}: {len(anger_spans)} anger clip(s) between neutral ones"
        sc.place(anger_spans[0][0], anger_spans[-1][1], CUSTOMER, band, what)
        sc.add_truth(anger_spans[0][0], anger_spans[-1][1], CUSTOMER, band, what)
    elif loud == "stretch":
        a, b = spans[loud_from][0], spans[loud_from + 1][1]
        sc.place(a, b, CUSTOMER, "negative", f"speaker {speaker}: two neutral clips {gain_db:.0f} dB louder")
    else:
        sc.place(spans[0][0], spans[-1][1], CUSTOMER, "negative",
                 f"speaker {speaker}: neutral only" + (f", all {gain_db:.0f} dB louder" if loud else ""))
    return sc


# --- the plan -------------------------------------------------------------------------------------


def plan(quick: bool = False) -> list[tuple[str, str, object]]:
    """(family, band, builder) for every scenario call, in a fixed order."""
    out: list[tuple[str, str, object]] = []

    def add(family, band, n, make):
        if quick and band not in QUICK_BANDS:
            return
        for k in range(1 if quick else n):
            out.append((family, band, k, make))

    simple = {"overtalk": build_overtalk, "clipping": build_clipping, "dropout": build_dropout,
              "level": build_level, "dead_air": build_dead_air, "fast_speech": build_fast_speech,
              "repetition": build_repetition, "forbidden_phrase": build_forbidden_phrase}
    for family, make in simple.items():
        for band in BANDS:
            add(family, band, 2, lambda rng, band, k, make=make: make(rng, band))
        if family in ("overtalk", "dead_air", "fast_speech", "repetition", "forbidden_phrase"):
            add(family, "negative", 2 if family != "forbidden_phrase" else 1,
                lambda rng, band, k, make=make: make(rng, band))
    for band in BANDS if not quick else ("severe",):
        for kind in NOISE_KINDS if not quick else NOISE_KINDS[:2]:
            out.append(("noise", band, NOISE_KINDS.index(kind),
                        lambda rng, band, k: build_noise(rng, band, NOISE_KINDS[k])))
    add("clean", "clean", 3, lambda rng, band, k: build_clean(rng, band))
    for band, count in (("absent", 4), ("negative", 5)):
        add("missing_greeting", band, count, lambda rng, band, k: build_missing_greeting(rng, band, k))
        add("missing_closing", band, count, lambda rng, band, k: build_missing_closing(rng, band, k))
    speakers = EMO_SPEAKERS[:2] if quick else EMO_SPEAKERS
    for k, spk in enumerate(speakers):
        for band in BANDS if not quick else ("severe",):
            out.append(("negative_emotion", band, k, lambda rng, band, k, spk=spk: build_negative_emotion(rng, band, spk)))
        out.append(("negative_emotion", "negative", k,
                    lambda rng, band, k, spk=spk: build_negative_emotion(rng, band, spk, "stretch")))
    if not quick:
        for k, spk in enumerate(EMO_SPEAKERS[:2]):
            out.append(("negative_emotion", "negative", 10 + k,
                        lambda rng, band, k, spk=spk: build_negative_emotion(rng, band, spk, "whole")))
    return out


def build(family: str, band: str, k: int, make, tries: int = 40) -> Scenario:
    """One scenario, reproducible: the seed comes from the family, band and index."""
    seed = [BASE_SEED, SCENARIO_VERSION, FAMILIES.index(family), len(band), sum(map(ord, band)), k]
    rng = np.random.default_rng(seed)
    last = None
    for _ in range(tries):
        try:
            sc = make(rng, band, k)
        except Retry as why:
            last = why
            continue
        sc.name = f"{family}-{band}-{k}"
        return sc
    raise RuntimeError(f"{family}/{band}/{k}: could not place the problem ({last})")


# --- running the app -------------------------------------------------------------------------------


def cache_root() -> Path:
    path = Path(os.environ.get("REVIEWER_APP_EVAL_CACHE") or Path.home() / ".cache" / "reviewer_app_eval")
    path.mkdir(parents=True, exist_ok=True)
    return path


def code_version() -> str:
    """Hash of the app's Python source and bundled models: a change anywhere means new analyses."""
    h = hashlib.sha256()
    for path in sorted((ROOT / "reviewer_app").rglob("*.py")):
        h.update(str(path.relative_to(ROOT)).encode())
        h.update(path.read_bytes())
    for path in sorted((ROOT / "resources" / "models").rglob("*")) if (ROOT / "resources" / "models").is_dir() else ():
        if path.is_file():
            h.update(f"{path.relative_to(ROOT)}:{path.stat().st_size}:{path.stat().st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def write_scenario(sc: Scenario, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    wav = folder / f"{sc.name}.wav"
    speech.write_wav(wav, sc.call.audio, sc.call.rate)
    (folder / f"{sc.name}.truth.json").write_text(json.dumps({
        "name": sc.name, "family": sc.family, "category": sc.category, "band": sc.band,
        "duration_s": round(sc.call.duration, 3), "sample_rate": sc.call.rate, "roles": list(sc.call.roles),
        "truth": sc.truth, "placed": sc.placed, "meta": sc.meta,
    }, indent=1))
    return wav


def redetected(wav: Path, sha: str, settings: Settings) -> dict | None:
    """Detection by today's code on the newest cached transcript of `wav` (no ASR); None if none is cached.

    For iterating on detectors: the transcript may come from older code, so a table
    for the record is made without --redetect.
    """
    from reviewer_app.core.domain import Turn, Word
    from reviewer_app.core.pipeline import redetect

    earlier = sorted((cache_root() / "analyses").glob(f"{sha[:24]}-*.json"), key=lambda p: p.stat().st_mtime)
    if not earlier:
        return None
    old = json.loads(earlier[-1].read_text())
    turns = [Turn(t["role"], t["start"], t["end"], t["text"], tuple(Word(w, a, b, 1.0) for w, a, b in t["words"]))
             for t in old["transcript"]]
    started = time.perf_counter()
    segments, _ = redetect(wav, turns, old["language"], settings, sha256=sha)
    return dict(old, segments=[{"start": s.start, "end": s.end, "role": s.role, "category": s.category,
                                "score": s.score, "evidence": s.evidence} for s in segments],
                seconds=round(time.perf_counter() - started, 2), cached=True)


def analyse(wav: Path, version: str, use_cache: bool = True, settings: Settings | None = None,
            redetect_only: bool = False) -> dict:
    """The app's analysis of `wav` as {segments, transcript, seconds}, from the cache when it holds it."""
    from reviewer_app.core.audio.decode import sha256_of_file

    sha = sha256_of_file(wav)
    cached = cache_root() / "analyses" / f"{sha[:24]}-{version}.json"
    if use_cache and cached.exists():
        return dict(json.loads(cached.read_text()), cached=True)
    if redetect_only:
        quick = redetected(wav, sha, settings or Settings())
        if quick is not None:
            return quick
    from reviewer_app.core.pipeline import analyze, run_to_end

    started = time.perf_counter()
    result = run_to_end(analyze(wav, settings or Settings(), sha256=sha))
    out = {
        "segments": [{"start": s.start, "end": s.end, "role": s.role, "category": s.category,
                      "score": s.score, "evidence": s.evidence} for s in result.segments],
        "transcript": [{"role": t.role, "start": t.start, "end": t.end, "text": t.text,
                        "words": [[w.word, w.start, w.end] for w in t.words]} for t in result.transcript],
        "language": result.language,
        "seconds": round(time.perf_counter() - started, 2),
    }
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(out))
    return out


# --- scoring ---------------------------------------------------------------------------------------


@dataclass
class Tally:
    placed: int = 0  # problems and decoys placed in this band
    truth: int = 0
    pred: int = 0
    tp_truth: int = 0  # truth segments found
    tp_pred: int = 0  # predictions that found one
    fragments: int = 0  # unmatched predictions lying on a truth segment of the same role (a problem split up)

    def add(self, other: "Tally") -> None:
        self.placed += other.placed
        self.truth += other.truth
        self.pred += other.pred
        self.tp_truth += other.tp_truth
        self.tp_pred += other.tp_pred
        self.fragments += other.fragments

    @property
    def precision(self) -> float | None:
        return self.tp_pred / self.pred if self.pred else None

    @property
    def recall(self) -> float | None:
        return self.tp_truth / self.truth if self.truth else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {"placed": self.placed, "truth": self.truth, "pred": self.pred, "found": self.tp_truth, "correct_pred": self.tp_pred,
                "fragments": self.fragments,
                "precision": _r(self.precision), "recall": _r(self.recall), "f1": _r(self.f1)}


def _r(x):
    return None if x is None else round(x, 4)


def _most_overlapped(seg: dict, spans: list[dict]) -> dict | None:
    best = max(spans, key=lambda t: min(t["end"], seg["end"]) - max(t["start"], seg["start"]), default=None)
    if best is None or min(best["end"], seg["end"]) <= max(best["start"], seg["start"]):
        return None
    return best


def _distance(seg: dict, span: dict) -> float:
    return max(0.0, span["start"] - seg["end"], seg["start"] - span["end"])


def score_scenario(category: str, band: str, truth: list[dict], placed: list[dict],
                   predicted: list[dict]) -> dict[str, Tally]:
    """Per band: truth segments, predictions, and the matches (same category, same role, 30% overlap).

    A matched prediction counts in its truth's band; an unmatched one in the band of the nearest placed
    problem or decoy (the scenario's own band when nothing was placed)."""
    pred = [p for p in predicted if p["category"] == category]
    truth = [dict(t, category=category) for t in truth]
    if category == "overtalk":  # a two-sided ("both") overtalk is credited to the side the truth names
        pred = [dict(p, role=_most_overlapped(p, truth)["role"]) if p["role"] == BOTH and
                _most_overlapped(p, truth) else p for p in pred]
    pairs = match_segments(pred, truth, match_role=True)
    matched_pred = {i: j for i, j in pairs}
    matched_truth = {j for _, j in pairs}
    out: dict[str, Tally] = defaultdict(Tally)
    out[band]  # every scenario shows in its band's row, found or not
    for p in placed:
        out[p["band"]].placed += 1
    for j, t in enumerate(truth):
        out[t["band"]].truth += 1
        out[t["band"]].tp_truth += j in matched_truth
    for i, p in enumerate(pred):
        if i in matched_pred:
            b = truth[matched_pred[i]]["band"]
            out[b].pred += 1
            out[b].tp_pred += 1
        else:
            on = [t for t in truth if t["role"] == p["role"] and min(t["end"], p["end"]) - max(t["start"], p["start"])
                  >= MIN_OVERLAP * (p["end"] - p["start"])]
            b = on[0]["band"] if on else (min(placed, key=lambda s: _distance(p, s))["band"] if placed else band)
            out[b].pred += 1
            out[b].fragments += bool(on)
    return dict(out)


def score_native(version: str, use_cache: bool, log) -> tuple[dict, list[str]]:
    """calls_en's own events: overtalk from word overlaps, dead air from word gaps (5 s and 3 s)."""
    from reviewer_app.core.pipeline import redetect
    from reviewer_app.core.domain import Turn, Word

    rows: dict[str, Tally] = defaultdict(Tally)
    notes = []
    for name in CALLS_EN:
        wav = SHARED / "calls_en" / f"{name}.wav"
        result = analyse(wav, version, use_cache)
        log(f"native {name}: {result['seconds']:.1f} s")
        call = calls_en(name)
        tallies = {
            "overtalk": (score_scenario("overtalk", "native", [
                {"start": s, "end": e, "role": interrupter(call, s), "band": "native"}
                for s, e in overtalk_truth(call)], [],
                result["segments"]).get("native", Tally())),
        }
        turns = [Turn(t["role"], t["start"], t["end"], t["text"], tuple(Word(w[0], w[1], w[2], 1.0) for w in t["words"]))
                 for t in result["transcript"]]
        for min_s in NATIVE_DEAD_AIR_S:
            truth = [{"start": s, "end": e, "role": BOTH, "band": "native"} for s, e in dead_air_truth(call, min_s)]
            if min_s == DEAD_AIR_MIN_S:
                pred = result["segments"]
            else:  # the same transcript, detection again with the lower threshold (no ASR)
                settings = Settings()
                settings.rules.dead_air_min_s = min_s
                segments, _ = redetect(wav, turns, result["language"], settings)
                pred = [{"start": s.start, "end": s.end, "role": s.role, "category": s.category} for s in segments]
            tallies[f"dead_air (>= {min_s:g} s)"] = score_scenario("dead_air", "native", truth, [], pred).get(
                "native", Tally())
        for key, tally in tallies.items():
            rows[key].add(tally)
        others = defaultdict(int)
        for s in result["segments"]:
            others[s["category"]] += 1
        notes.append(f"{name}: all predictions by category: " + ", ".join(f"{k} {v}" for k, v in sorted(others.items())))
    return dict(rows), notes


def call_level_emotion(results: list[tuple[Scenario, dict]]) -> dict:
    """Per call: is there anger (truth) and did the app flag negative_emotion on the customer side."""
    tp = fp = tn = fn = 0
    for sc, res in results:
        if sc.family != "negative_emotion":
            continue
        angry = bool(sc.truth)
        flagged = any(p["category"] == "negative_emotion" and p["role"] == CUSTOMER for p in res["segments"])
        tp += angry and flagged
        fn += angry and not flagged
        fp += (not angry) and flagged
        tn += (not angry) and not flagged
    n = tp + fp + tn + fn
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f1 = 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)
    return {"calls": n, "angry_flagged": tp, "angry_missed": fn, "neutral_flagged": fp, "neutral_clean": tn,
            "accuracy": _r((tp + tn) / n) if n else None, "precision": _r(p), "recall": _r(r), "f1": _r(f1)}


# --- report ----------------------------------------------------------------------------------------


BAND_ORDER = ("mild", "moderate", "severe", "absent", "native", "negative", "clean")


def _fmt(x) -> str:
    return "–" if x is None else f"{x:.2f}"


def table(rows: dict[tuple[str, str], Tally]) -> list[str]:
    lines = ["| family (category) | band | placed | truth | pred | found | split | P | R | F1 |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for family in FAMILIES:
        bands = sorted((b for f, b in rows if f == family), key=BAND_ORDER.index)
        total = Tally()
        for band in bands:
            t = rows[(family, band)]
            total.add(t)
            lines.append(f"| {family} ({FAMILY_CATEGORY[family]}) | {band} | {t.placed} | {t.truth} | {t.pred} | {t.tp_truth} | {t.fragments} | "
                         f"{_fmt(t.precision)} | {_fmt(t.recall)} | {_fmt(t.f1)} |")
        if len(bands) > 1:
            lines.append(f"| {family} | **all** | {total.placed} | {total.truth} | {total.pred} | {total.tp_truth} | {total.fragments} | "
                         f"{_fmt(total.precision)} | {_fmt(total.recall)} | {_fmt(total.f1)} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one call per family and band (a small slice)")
    parser.add_argument("--categories", default="", help=f"comma-separated families: {', '.join(FAMILIES)}, "
                                                         "native (or app categories, e.g. poor_audio)")
    parser.add_argument("--bands", default="", help=f"comma-separated bands: {', '.join(BAND_ORDER)}")
    parser.add_argument("--json", dest="json_out", help="write every number and every scenario's result here")
    parser.add_argument("--markdown", action="store_true", help="print the README table (markdown) only")
    parser.add_argument("--no-cache", action="store_true", help="analyse every call again")
    parser.add_argument("--redetect", action="store_true",
                        help="where this code has no analysis yet, run today's detection on the newest cached "
                             "transcript instead of the whole analysis (fast; not for the record)")
    parser.add_argument("--keep-going", action="store_true", help="skip a scenario that fails to analyse")
    parser.add_argument("--build-only", action="store_true", help="write the scenario WAVs and truth, analyse nothing")
    args = parser.parse_args(argv)
    if not (SHARED / "calls_en").is_dir():
        print(f"{SHARED} is absent: the benchmark needs the real recordings", file=sys.stderr)
        return 2
    if not speech.tools_available():
        print("espeak-ng and sox are needed (make install puts them in)", file=sys.stderr)
        return 2
    wanted = {c for c in args.categories.split(",") if c}
    bands = {b for b in args.bands.split(",") if b}

    def chosen(family: str) -> bool:
        return not wanted or family in wanted or FAMILY_CATEGORY.get(family) in wanted

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    started = time.perf_counter()
    version = code_version()
    folder = cache_root() / "scenarios" / f"v{SCENARIO_VERSION}"
    rows: dict[tuple[str, str], Tally] = defaultdict(Tally)
    results: list[tuple[Scenario, dict]] = []
    per_scenario = []
    todo = [p for p in plan(args.quick) if chosen(p[0]) and (not bands or p[1] in bands)]
    asr_seconds, fresh = 0.0, 0
    for n, (family, band, k, make) in enumerate(todo, 1):
        sc = build(family, band, k, make)
        wav = write_scenario(sc, folder)
        if args.build_only:
            log(f"[{n}/{len(todo)}] {sc.name}: {sc.call.duration:.0f} s, truth {len(sc.truth)}, "
                f"placed {len(sc.placed)} -> {wav}")
            continue
        try:
            res = analyse(wav, version, not args.no_cache, redetect_only=args.redetect)
        except Exception as exc:  # noqa: BLE001 - a benchmark reports and goes on when asked to
            if not args.keep_going:
                raise
            log(f"{sc.name}: analysis failed ({exc})")
            continue
        fresh += not res.get("cached")
        asr_seconds += 0.0 if res.get("cached") else res["seconds"]
        tallies = score_scenario(sc.category, sc.band, sc.truth, sc.placed, res["segments"])
        for b, t in tallies.items():
            rows[(family, b)].add(t)
        results.append((sc, res))
        own = [p for p in res["segments"] if p["category"] == sc.category]
        per_scenario.append({"name": sc.name, "wav": str(wav), "truth": sc.truth, "placed": sc.placed,
                             "predicted": own, "scores": {b: t.as_dict() for b, t in tallies.items()}})
        found = sum(t.tp_truth for t in tallies.values())
        log(f"[{n}/{len(todo)}] {sc.name}: {sc.call.duration:.0f} s, truth {len(sc.truth)}, "
            f"pred {len(own)}, found {found} ({res['seconds']:.1f} s)")
    if args.build_only:
        return 0
    native_rows, native_notes = ({}, [])
    if chosen("native") or not wanted:
        if not bands or "native" in bands:
            native_rows, native_notes = score_native(version, not args.no_cache, log)
    emotion = call_level_emotion(results)
    elapsed = time.perf_counter() - started

    lines = table(rows)
    lines += ["", "placed: problems or decoys put in; found: truth segments matched; split: predictions left "
                  "unmatched that lie on a truth segment (one problem reported in pieces); P counts them as wrong."]
    if native_rows:
        lines += ["", "calls_en as recorded, whole calls (truth from the corpus' word timings; role must match; "
                      "dead air at 3 s is the old test's threshold, detection re-run on the same transcript):", "",
                  "| event | truth | pred | found | P | R | F1 |", "|---|---:|---:|---:|---:|---:|---:|"]
    for key, t in native_rows.items():
        lines.append(f"| {key} | {t.truth} | {t.pred} | {t.tp_truth} | {_fmt(t.precision)} | "
                     f"{_fmt(t.recall)} | {_fmt(t.f1)} |")
    if emotion["calls"]:
        lines += ["", f"negative_emotion per call (emotion_de, {emotion['calls']} one-speaker calls): accuracy "
                      f"{_fmt(emotion['accuracy'])}, P {_fmt(emotion['precision'])}, R {_fmt(emotion['recall'])}, "
                      f"F1 {_fmt(emotion['f1'])} (angry flagged {emotion['angry_flagged']}, missed "
                      f"{emotion['angry_missed']}; neutral flagged {emotion['neutral_flagged']}, clean "
                      f"{emotion['neutral_clean']})"]
    if args.markdown:
        print("\n".join(lines))
    else:
        print(f"detection benchmark: {len(results)} scenario calls ({fresh} analysed now, the rest from the "
              f"cache), code {version}, {elapsed:.0f} s ({asr_seconds:.0f} s of it analysing)\n")
        print("\n".join(lines))
        for note in native_notes:
            print(note)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({
            "code_version": version, "scenario_version": SCENARIO_VERSION, "seconds": round(elapsed, 1),
            "rows": [{"family": f, "category": FAMILY_CATEGORY[f], "band": b, **t.as_dict()}
                     for (f, b), t in sorted(rows.items())],
            "native": {k: t.as_dict() for k, t in native_rows.items()}, "native_notes": native_notes,
            "negative_emotion_calls": emotion, "bands": BANDS_DOC, "scenarios": per_scenario,
        }, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
