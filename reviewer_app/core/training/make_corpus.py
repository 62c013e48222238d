"""Generate the synthetic call corpus the default checkpoint is trained on (espeak-ng, sox, numpy).

    python -m reviewer_app.core.training.make_corpus --out DIR [--calls 160] [--seed 0]

Each call is a random script: agent and customer voices (espeak-ng variants,
rate and pitch drawn per call), English with some German, with dead air,
overtalk, fast speech, forbidden phrases, repetition, audio faults (noise,
clipping, dropouts, a too quiet line) and four deliveries: neutral, raised
(angry: faster, higher, wider pitch range, louder), happy, and flat (sad:
slow, low, narrow range, quiet). Stereo calls are 8 kHz with the customer on
the left and a little leakage between sides; a fifth are 16 kHz mono.
`DIR/NNNN.wav` + `DIR/NNNN.json` (script, truth segments, emotions, words
with timings spread over each piece). Same seed, same corpus. The corpus is
not committed; `train_default.py` builds the default checkpoint from it.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import wave
from pathlib import Path

import numpy as np

from reviewer_app.core import intervals

AGENT_LINES = [
    "thank you for calling customer service how can i help you today",
    "let me check your account for a moment", "i can see the order was shipped on monday",
    "i will send you a replacement right away", "could you confirm your postcode please",
    "your refund has been processed and should arrive in five days",
    "i understand let me see what i can do", "the technician can come on thursday morning",
    "is there anything else i can help you with", "thank you for your patience have a nice day",
    "i have updated your address in our system", "the charge was a one time activation fee",
]
CUSTOMER_LINES = [
    "hi i am calling about my last bill", "my internet has been down since yesterday",
    "i ordered a phone two weeks ago and it never arrived", "yes the postcode is one two three four",
    "okay that sounds fine thank you", "can you tell me why i was charged twice",
    "i would like to change my delivery address", "no that is all thanks", "sure let me find the number",
]
ANGRY_LINES = [
    "this is ridiculous i have called three times already", "i am sick of waiting fix it now",
    "you charged me twice and nobody cares", "this is the worst service i have ever had",
    "i want to speak to a manager right now", "why does nothing ever work with you people",
    "i have been on hold for an hour",
]
SAD_LINES = ["i really needed that for my daughter", "i just do not know what to do anymore",
             "it has been a very hard week", "i guess there is nothing you can do then"]
HAPPY_LINES = ["oh that is wonderful thank you so much", "great that is exactly what i needed",
               "perfect you have been really helpful"]
GERMAN_LINES = ["guten tag wie kann ich ihnen helfen", "ich rufe wegen meiner rechnung an",
                "das ist wirklich eine frechheit", "vielen dank und einen schönen tag noch"]
FORBIDDEN = ["that's not my problem", "calm down", "shut up", "i don't care", "whatever", "you people"]
REPEATED = ["please hold", "one moment", "are you there", "can you hear me"]

VOICES_M = ["en-us+m1", "en-us+m3", "en-us+m7", "en-gb+m2", "en+m4", "en-us+m5"]
VOICES_F = ["en-us+f1", "en-us+f2", "en-gb+f3", "en+f4", "en-us+f5"]
DELIVERY = {  # (rate scale, pitch offset, SSML range, level dBFS)
    "neutral": (1.0, 0, "medium", -22.0),
    "angry": (1.2, 18, "x-high", -12.0),
    "happy": (1.1, 14, "high", -17.0),
    "sad": (0.78, -14, "x-low", -30.0),
}
NOISE_DBFS, LEAK_DB = -60.0, -25.0


def speak(text: str, voice: str, wpm: int, pitch: int, delivery: str, rate: int) -> np.ndarray:
    scale, shift, span, level = DELIVERY[delivery]
    ssml = f'<speak><prosody range="{span}">{text}</prosody></speak>'
    lang_voice = voice if not text.startswith("#de ") else "de"
    ssml = ssml.replace("#de ", "")
    wav = subprocess.run(["espeak-ng", "-m", "-v", lang_voice, "-s", str(int(wpm * scale)),
                          "-p", str(int(np.clip(pitch + shift, 0, 99))), "--stdout", ssml],
                         check=True, capture_output=True).stdout
    raw = subprocess.run(["sox", "-D", "-t", "wav", "-", "-t", "raw", "-r", str(rate), "-e", "floating-point",
                          "-b", "32", "-c", "1", "-"], input=wav, check=True, capture_output=True).stdout
    x = np.frombuffer(raw, dtype="<f4").astype(np.float64)
    loud = np.flatnonzero(np.abs(x) > 2e-3)
    x = x[max(0, loud[0] - rate // 100): loud[-1] + rate // 100] if loud.size else x
    rms = np.sqrt(np.mean(x**2)) + 1e-9
    return x * (10 ** (level / 20) / rms)


def _words(text: str, start: float, end: float) -> list[dict]:
    words = text.split()
    weights = np.array([len(w) + 1 for w in words], float)
    edges = start + np.concatenate([[0], np.cumsum(weights)]) / weights.sum() * (end - start)
    return [{"word": w, "start": round(a, 3), "end": round(b - 0.02, 3)} for w, a, b in zip(words, edges, edges[1:])]


class CallBuilder:
    """Draws one call's script and renders it."""

    def __init__(self, rng: np.random.Generator, stereo: bool) -> None:
        self.rng, self.stereo = rng, stereo
        self.rate = 8000 if stereo else 16000
        agent_f = rng.random() < 0.5
        self.voice = {"agent": rng.choice(VOICES_F if agent_f else VOICES_M),
                      "customer": rng.choice(VOICES_M if agent_f else VOICES_F)}
        self.wpm = {r: int(rng.integers(145, 180)) for r in self.voice}
        self.pitch = {r: int(rng.integers(30, 65)) for r in self.voice}
        self.placed: list[dict] = []  # utterances with audio and times
        self.cursor = 0.5
        self.truth: list[dict] = []

    def say(self, role: str, pieces: list[str], delivery: str = "neutral", gap: float | None = None,
            fast: bool = False, tags: dict[int, str] | None = None) -> None:
        rng = self.rng
        wpm = int(rng.integers(290, 360)) if fast else self.wpm[role]
        chunks, spans, t = [], [], 0.0
        for text in pieces:
            audio = speak(text, self.voice[role], wpm, self.pitch[role], delivery, self.rate)
            if chunks:
                pause = float(rng.uniform(0.1, 0.25))
                chunks.append(np.zeros(int(pause * self.rate)))
                t += pause
            spans.append((text, t, t + audio.size / self.rate))
            chunks.append(audio)
            t += audio.size / self.rate
        gap = float(rng.uniform(0.3, 1.5)) if gap is None else gap
        start = max(0.3, self.cursor + gap)
        self.placed.append({"role": role, "start": start, "end": start + t, "audio": np.concatenate(chunks),
                            "pieces": [(p, start + a, start + b) for p, a, b in spans],
                            "delivery": delivery, "fast": fast, "tags": tags or {}})
        self.cursor = max(self.cursor, start + t)

    def role_out(self, role: str) -> str:
        return role if self.stereo else "both"

    def render(self, faults: list[str]) -> tuple[np.ndarray, dict]:
        rng, rate = self.rng, self.rate
        n = int((self.cursor + 0.8) * rate)
        chans = np.zeros((2 if self.stereo else 1, n))
        index = {"customer": 0, "agent": 1 if self.stereo else 0}
        turns, emotions = [], []
        for u in self.placed:
            i0 = int(u["start"] * rate)
            chans[index[u["role"]], i0:i0 + u["audio"].size] += u["audio"][: n - i0]
            role = self.role_out(u["role"])
            words = [w for text, a, b in u["pieces"] for w in _words(text.replace("#de ", ""), a, b)]
            turns.append({"role": u["role"], "start": round(u["start"], 3), "end": round(u["end"], 3),
                          "text": " ".join(w["word"] for w in words), "words": words})
            emotions.append({"channel": index[u["role"]], "start": u["start"], "end": u["end"],
                             "emotion": u["delivery"]})
            if u["delivery"] in ("angry", "sad"):
                self._truth("negative_emotion", u["start"], u["end"], role)
            if u["fast"]:
                self._truth("fast_speech", u["start"], u["end"], role)
            for k, category in u["tags"].items():
                first = u["pieces"][k[0] if isinstance(k, tuple) else k]
                last = u["pieces"][k[1] if isinstance(k, tuple) else k]
                self._truth(category, first[1], last[2], role)
        spans = {r: intervals.merge((u["start"], u["end"]) for u in self.placed if u["role"] == r)
                 for r in ("agent", "customer")}
        for s, e in intervals.complement(intervals.merge(spans["agent"] + spans["customer"]), 0.0, n / rate):
            if e - s >= 5.0:
                self._truth("dead_air", s, e, "both")
        for s, e in intervals.merge(intervals.intersect(spans["agent"], spans["customer"]), gap=0.2):
            if e - s >= 1.0:
                self._truth("overtalk", s, e, "both")
        for fault in faults:
            self._fault(fault, chans, index)
        if self.stereo:
            leak = 10 ** (LEAK_DB / 20)
            chans = chans + leak * chans[::-1]
        chans += rng.normal(0, 10 ** (NOISE_DBFS / 20), chans.shape)
        return np.clip(chans, -1, 1), {"turns": turns, "segments": sorted(self.truth, key=lambda t: t["start"]),
                                       "emotions": emotions, "stereo": self.stereo}

    def _truth(self, category: str, start: float, end: float, role: str) -> None:
        self.truth.append({"category": category, "start": round(start, 3), "end": round(end, 3), "role": role})

    def _fault(self, kind: str, chans: np.ndarray, index: dict) -> None:
        rng, rate = self.rng, self.rate
        u = self.placed[int(rng.integers(0, len(self.placed)))]
        ch = index[u["role"]]
        a, b = int(u["start"] * rate), int(u["end"] * rate)
        if kind == "noise":
            b = min(chans.shape[1], a + int(rng.uniform(2.0, 4.0) * rate))
            chans[ch, a:b] += rng.normal(0, 10 ** (rng.uniform(-24, -16) / 20), b - a)
        elif kind == "clip":
            chans[ch, a:b] = np.clip(chans[ch, a:b] * rng.uniform(8, 20), -1, 1)
        elif kind == "dropout":
            a = a + int(0.3 * (b - a))
            b = min(b, a + int(rng.uniform(0.3, 0.9) * rate))
            chans[ch, a:b] = 0.0
        elif kind == "quiet":
            chans[ch, a:b] *= 10 ** (-26 / 20)
        self._truth("poor_audio", a / rate, b / rate, self.role_out(u["role"]))


def build_call(rng: np.random.Generator) -> tuple[CallBuilder, list[str]]:
    cb = CallBuilder(rng, stereo=rng.random() < 0.8)
    mood = rng.choice(["neutral", "angry", "sad", "happy"], p=[0.4, 0.35, 0.12, 0.13])
    german = rng.random() < 0.12
    cb.say("agent", ["#de " + GERMAN_LINES[0] if german else AGENT_LINES[0]], gap=0.0)
    n_turns = int(rng.integers(6, 10))
    events = [e for e, p in [("dead_air", 0.35), ("overtalk", 0.5), ("overtalk", 0.25), ("fast", 0.3),
                             ("forbidden", 0.35), ("repetition", 0.25)] if rng.random() < p]
    slots = {e: int(rng.integers(1, n_turns)) for e in events}
    for k in range(1, n_turns):
        role = "customer" if k % 2 else "agent"
        gap = None
        if slots.get("dead_air") == k:
            gap = float(rng.uniform(5.5, 9.0))
        elif "overtalk" in slots and slots["overtalk"] == k:
            gap = -float(rng.uniform(1.2, 2.5))
        if role == "customer":
            delivery = mood if (mood != "neutral" and rng.random() < 0.7) else "neutral"
            pool = {"angry": ANGRY_LINES, "sad": SAD_LINES, "happy": HAPPY_LINES}.get(delivery, CUSTOMER_LINES)
            if rng.random() < 0.3 and delivery == "angry":
                pool = CUSTOMER_LINES  # anger in the voice, not only in the words
            text = rng.choice(pool)
            if german and rng.random() < 0.5:
                text = "#de " + rng.choice(GERMAN_LINES[1:3])
            cb.say(role, [text], delivery, gap)
            continue
        if slots.get("fast") == k:
            cb.say(role, list(rng.choice(AGENT_LINES[1:], 3, replace=False)), gap=gap, fast=True)
        elif slots.get("forbidden") == k:
            cb.say(role, [rng.choice(AGENT_LINES[1:]), rng.choice(FORBIDDEN)], gap=gap, tags={1: "forbidden_phrase"})
        elif slots.get("repetition") == k:
            phrase = rng.choice(REPEATED)
            cb.say(role, [phrase] * 3, gap=gap, tags={(0, 2): "repetition"})
        else:
            cb.say(role, [rng.choice(AGENT_LINES[1:-2])], rng.choice(["neutral", "happy"], p=[0.85, 0.15]), gap)
    cb.say("agent", [AGENT_LINES[-1]])
    faults = [rng.choice(["noise", "clip", "dropout", "quiet"])] if rng.random() < 0.35 else []
    return cb, faults


def write_wav(path: Path, chans: np.ndarray, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(chans.shape[0])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((chans.T.reshape(-1) * 32767).astype("<i2").tobytes())


def make_corpus(out: Path, calls: int = 160, seed: int = 0) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for i in range(calls):
        rng = np.random.default_rng([seed, i])
        cb, faults = build_call(rng)
        chans, layout = cb.render(faults)
        wav = out / f"{i:04d}.wav"
        write_wav(wav, chans, cb.rate)
        (out / f"{i:04d}.json").write_text(json.dumps(layout, indent=1), encoding="utf-8")
        written.append(wav)
    return written


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--calls", type=int, default=160)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    files = make_corpus(args.out, args.calls, args.seed)
    print(f"{len(files)} calls in {args.out}")


if __name__ == "__main__":
    main()
