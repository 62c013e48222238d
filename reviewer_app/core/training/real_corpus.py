"""The default training corpus: two-channel calls assembled from real permissive speech and espeak-ng,
with the detection benchmark's kinds of problems placed at random severities, over a telephone line.

    python -m reviewer_app.core.training.real_corpus --out DIR [--calls 120] [--seed 0]

Each call alternates customer (left) and agent (right) turns. A turn is a real
phrase (real_speech.py: telephone_en, asr_en, noise_vad, the Apache-2.0 clips
of asr_zh; pitch and tempo varied a little) or a generated line (espeak-ng,
make_corpus.py's scripts and voices). Problems, each with its truth segment:

* dead air: a gap of 5.5-11 s (decoys: gaps of 2-4.5 s, no truth);
* overtalk: the next turn starts 1.1-3 s before the last one ends (short
  overlaps under 1 s happen too, with no truth);
* fast speech: a turn of 2-3 phrases at 1.6-2.2 times the tempo, or espeak
  at 300-380 words a minute;
* repetition: a short phrase said three times in a row;
* forbidden phrase: one of the app's configured phrases inside a sentence;
* negative emotion: a customer's angry (espeak "raised" delivery) or sad
  turn, or a real phrase made louder, higher, faster and saturated;
* poor audio: clipping (ceiling drawn per call), a dropout of 0.15-1.5 s,
  a burst of real or synthetic noise at 0-12 dB SNR, or a turn 18-30 dB quieter.

Every channel then goes through a telephone line (telephone.py: 300-3400 Hz,
8 kHz, mu-law or GSM or linear, faint line noise) with a little leakage of the
other side. `DIR/NNNN.wav` (8 kHz stereo) + `DIR/NNNN.json` in make_corpus.py's
layout (turns with words, truth segments, emotions). Same seed, same corpus.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from reviewer_app.core import intervals
from reviewer_app.core.settings import LexiconSettings
from reviewer_app.core.synth import injections, speech
from reviewer_app.core.training import make_corpus as scripts
from reviewer_app.core.training.real_speech import RATE, Phrase, load_noises, load_phrases
from reviewer_app.core.training.telephone import CODECS, LINE_RATE, phone_line

ROLES = ("customer", "agent")  # channel 0, channel 1
FORBIDDEN_FRAMES = [("i am sorry but", "and that is all i can say"), ("look", "so please stop asking"),
                    ("well", "you will have to call back tomorrow"), ("honestly", "i cannot change that")]


def _forbidden_phrases() -> list[str]:
    return [p for p in LexiconSettings().forbidden if p.isascii()]


class RealCallBuilder:
    """One call: turns placed on a 16 kHz timeline, problems with truth, then the phone line."""

    def __init__(self, rng: np.random.Generator, phrases: list[Phrase], noises: list[np.ndarray]) -> None:
        self.rng, self.phrases, self.noises = rng, phrases, noises
        agent_f = rng.random() < 0.5
        self.voice = {"agent": str(rng.choice(scripts.VOICES_F if agent_f else scripts.VOICES_M)),
                      "customer": str(rng.choice(scripts.VOICES_M if agent_f else scripts.VOICES_F))}
        self.wpm = {r: int(rng.integers(145, 180)) for r in ROLES}
        self.pitch = {r: int(rng.integers(30, 65)) for r in ROLES}
        self.level = {r: float(rng.uniform(-24, -16)) for r in ROLES}
        self.turns: list[dict] = []  # role, start, audio, words (absolute), delivery, tags
        self.truth: list[dict] = []
        self.cursor = float(rng.uniform(0.3, 1.0))

    # --- content ---------------------------------------------------------------------------------

    def espeak(self, role: str, text: str, delivery: str = "neutral", wpm: int | None = None) -> tuple[np.ndarray, list[dict]]:
        audio = scripts.speak(text, self.voice[role], wpm or self.wpm[role], self.pitch[role], delivery, RATE)
        return audio, scripts._words(text, 0.0, audio.size / RATE)

    def real(self, tempo: float = 1.0, cents: float = 0.0, phrase: Phrase | None = None) -> tuple[np.ndarray, list[dict]]:
        p = phrase or self.phrases[int(self.rng.integers(len(self.phrases)))]
        x = p.audio
        if abs(cents) > 1:
            x = _sox_pitch(x, cents)
        if abs(tempo - 1.0) > 1e-3:
            x = speech.tempo(x, RATE, tempo)
        scale = x.size / p.audio.size
        return x, [{"word": w["word"], "start": round(w["start"] * scale, 3), "end": round(w["end"] * scale, 3)}
                   for w in p.words]

    def ordinary(self, role: str) -> tuple[np.ndarray, list[dict]]:
        rng = self.rng
        if rng.random() < 0.55 and self.phrases:
            return self.real(float(rng.uniform(0.92, 1.08)), float(rng.uniform(-150, 150)))
        pool = scripts.AGENT_LINES[1:-2] if role == "agent" else scripts.CUSTOMER_LINES
        return self.espeak(role, str(rng.choice(pool)))

    # --- placing ---------------------------------------------------------------------------------

    def place(self, role: str, audio: np.ndarray, words: list[dict], gap: float, delivery: str = "neutral",
              tag: str | None = None, tag_span: tuple[float, float] | None = None) -> dict:
        start = max(0.2, self.cursor + gap)
        gain = 10 ** (self.level[role] / 20) / max(1e-6, injections.active_rms(audio, RATE))
        turn = {"role": role, "start": start, "audio": audio * gain, "delivery": delivery,
                "words": [dict(w, start=round(start + w["start"], 3), end=round(start + w["end"], 3)) for w in words]}
        turn["end"] = start + audio.size / RATE
        self.turns.append(turn)
        self.cursor = max(self.cursor, turn["end"])
        if tag:
            a, b = tag_span or (0.0, audio.size / RATE)
            self.add_truth(tag, start + a, start + b, role)
        if delivery in ("angry", "sad"):
            self.add_truth("negative_emotion", start, turn["end"], role)
        return turn

    def add_truth(self, category: str, start: float, end: float, role: str) -> None:
        self.truth.append({"category": category, "start": round(start, 3), "end": round(end, 3), "role": role})

    # --- problems --------------------------------------------------------------------------------

    def fast_turn(self, role: str, gap: float) -> None:
        rng = self.rng
        if rng.random() < 0.5 and self.phrases:
            factor = float(rng.uniform(1.6, 2.2))
            parts = [self.real(factor) for _ in range(int(rng.integers(2, 4)))]
        else:
            wpm = int(rng.integers(300, 380))
            parts = [self.espeak(role, str(t), wpm=wpm) for t in rng.choice(scripts.AGENT_LINES[1:], 3, replace=False)]
        audio, words = _join(parts, rng)
        self.place(role, audio, words, gap, tag="fast_speech")

    def repetition_turn(self, role: str, gap: float) -> None:
        rng = self.rng
        short = [p for p in self.phrases if p.duration <= 2.5]
        if rng.random() < 0.4 and short:
            once = self.real(phrase=short[int(rng.integers(len(short)))])
        else:
            once = self.espeak(role, str(rng.choice(scripts.REPEATED)))
        audio, words = _join([once] * int(rng.integers(3, 5)), rng, pause=(0.15, 0.6))
        self.place(role, audio, words, gap, tag="repetition")

    def forbidden_turn(self, role: str, gap: float) -> None:
        rng = self.rng
        before, after = FORBIDDEN_FRAMES[int(rng.integers(len(FORBIDDEN_FRAMES)))]
        phrase = str(rng.choice(_forbidden_phrases()))
        parts = [self.espeak(role, before), self.espeak(role, phrase), self.espeak(role, after)]
        audio, words = _join(parts, rng, pause=(0.05, 0.2))
        t0 = parts[0][0].size / RATE
        lead = words[len(parts[0][1])]["start"]
        t1 = words[len(parts[0][1]) + len(parts[1][1]) - 1]["end"]
        self.place(role, audio, words, gap, tag="forbidden_phrase", tag_span=(max(t0, lead - 0.05), t1 + 0.05))

    def upset_turn(self, role: str, gap: float) -> None:
        rng = self.rng
        kind = rng.choice(["espeak_angry", "real_raised", "espeak_sad"], p=[0.5, 0.3, 0.2])
        if kind == "real_raised" and self.phrases:
            audio, words = self.real(float(rng.uniform(1.08, 1.2)), float(rng.uniform(150, 350)))
            audio = injections.soft_saturate(audio / max(1e-6, np.max(np.abs(audio))), float(rng.uniform(1.5, 3.0)))
            self.place(role, audio, words, gap, delivery="angry")
            self.level[role] += 0.0
            turn = self.turns[-1]
            turn["audio"] = turn["audio"] * 10 ** (float(rng.uniform(6, 10)) / 20)
            return
        delivery = "angry" if kind != "espeak_sad" else "sad"
        pool = scripts.ANGRY_LINES if delivery == "angry" else scripts.SAD_LINES
        if delivery == "angry" and rng.random() < 0.3:
            pool = scripts.CUSTOMER_LINES  # anger in the voice, not in the words
        text = str(rng.choice(pool))
        audio = scripts.speak(text, self.voice[role], self.wpm[role], self.pitch[role], delivery, RATE)
        words = scripts._words(text, 0.0, audio.size / RATE)
        shift = scripts.DELIVERY[delivery][3] - scripts.DELIVERY["neutral"][3]
        turn = self.place(role, audio, words, gap, delivery=delivery)
        turn["audio"] = turn["audio"] * 10 ** (shift / 20)

    # --- rendering -------------------------------------------------------------------------------

    def render(self, faults: list[str], codec_kind: str) -> tuple[np.ndarray, dict]:
        rng = self.rng
        n = int((self.cursor + float(rng.uniform(0.5, 1.2))) * RATE)
        chans = np.zeros((2, n))
        for t in self.turns:
            i0 = int(t["start"] * RATE)
            piece = t["audio"][: n - i0]
            chans[ROLES.index(t["role"]), i0:i0 + piece.size] += piece
        spans = {r: intervals.merge((t["start"], t["end"]) for t in self.turns if t["role"] == r) for r in ROLES}
        for s, e in intervals.complement(intervals.merge(spans["agent"] + spans["customer"]), 0.0, n / RATE):
            if e - s >= 5.0:
                self.add_truth("dead_air", s, e, "both")
        for s, e in intervals.merge(intervals.intersect(spans["agent"], spans["customer"]), gap=0.2):
            if e - s >= 1.0:
                self.add_truth("overtalk", s, e, "both")
        late = []
        for fault in faults:
            if fault == "dropout":
                late.append(fault)
            else:
                chans = self._fault(fault, chans, RATE)
        line = np.stack([phone_line(c, RATE, codec_kind, rng, float(rng.uniform(-60, -48))) for c in chans])
        for fault in late:
            line = self._fault(fault, line, LINE_RATE)
        leak = 10 ** (float(rng.uniform(-32, -22)) / 20)
        line = np.clip(line + leak * line[::-1], -1, 1)
        turns = [{"role": t["role"], "start": round(t["start"], 3), "end": round(t["end"], 3),
                  "text": " ".join(w["word"] for w in t["words"]), "words": t["words"]} for t in self.turns]
        emotions = [{"channel": ROLES.index(t["role"]), "start": t["start"], "end": t["end"],
                     "emotion": t["delivery"]} for t in self.turns]
        return line, {"turns": turns, "segments": sorted(self.truth, key=lambda s: s["start"]),
                      "emotions": emotions, "stereo": True, "codec": codec_kind}

    def _fault(self, kind: str, chans: np.ndarray, rate: int) -> np.ndarray:
        rng = self.rng
        talk = [t for t in self.turns if t["end"] - t["start"] >= 1.0] or self.turns
        t = talk[int(rng.integers(len(talk)))]
        ch = ROLES.index(t["role"])
        x = chans[ch]
        if kind == "clip":
            length = float(rng.uniform(1.0, 4.0))
            a = float(t["start"])
            b = min(float(t["end"]), a + length)
            peak = float(np.max(np.abs(x[int(a * rate):int(b * rate)]))) or 1.0
            ceiling = min(1.0, peak * float(rng.uniform(0.08, 0.45)))
            y = injections.hard_clip(x, ceiling, 0.0, rate, a, b)
            y[int(a * rate):int(b * rate)] *= min(8.0, 0.9 / ceiling)
        elif kind == "dropout":
            length = float(rng.uniform(0.15, 1.5))
            a = float(rng.uniform(t["start"], max(t["start"], t["end"] - length)))
            b = a + length
            y = injections.dropout(x, rate, a, length)
        elif kind == "noise":
            length = float(rng.uniform(2.0, 6.0))
            a = float(rng.uniform(max(0.0, t["start"] - 1.0), t["end"]))
            b = min(x.size / rate - 0.01, a + length)
            if self.noises and rng.random() < 0.6:
                noise = self.noises[int(rng.integers(len(self.noises)))]
            else:
                noise = injections.pink_noise(int(length * rate) + 1, rng)
            ref = injections.active_rms(x, rate) or 10 ** (self.level[t["role"]] / 20)
            y = injections.add_noise(x, noise, float(rng.uniform(0, 12)), rate, ref, a, b)
        elif kind == "level":
            a, b = float(t["start"]), float(t["end"])
            y = injections.change_level(x, -float(rng.uniform(18, 30)), rate, a, b)
        else:
            raise ValueError(f"unknown fault {kind!r}")
        self.add_truth("poor_audio", a, b, t["role"])
        out = chans.copy()
        out[ch] = y
        return out


def _join(parts: list[tuple[np.ndarray, list[dict]]], rng, pause=(0.1, 0.3)) -> tuple[np.ndarray, list[dict]]:
    chunks, words, t = [], [], 0.0
    for audio, ws in parts:
        if chunks:
            p = float(rng.uniform(*pause))
            chunks.append(np.zeros(int(p * RATE)))
            t += p
        words += [dict(w, start=round(w["start"] + t, 3), end=round(w["end"] + t, 3)) for w in ws]
        chunks.append(audio)
        t += audio.size / RATE
    return np.concatenate(chunks), words


def _sox_pitch(x: np.ndarray, cents: float) -> np.ndarray:
    import subprocess
    import tempfile

    peak = float(np.max(np.abs(x))) if x.size else 0.0
    scale = 0.9 / peak if peak > 0.9 else 1.0
    with tempfile.TemporaryDirectory(prefix="reviewer_pitch_") as tmp:
        src, out = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
        speech.write_wav(src, x * scale, RATE)
        subprocess.run(["sox", "-D", str(src), str(out), "pitch", f"{cents:.0f}"], check=True, capture_output=True)
        y, _ = speech.read_wav(out)
    return y / scale


def build_call(rng: np.random.Generator, phrases: list[Phrase], noises: list[np.ndarray]) -> tuple[np.ndarray, dict]:
    cb = RealCallBuilder(rng, phrases, noises)
    greeting = cb.espeak("agent", scripts.AGENT_LINES[0]) if rng.random() < 0.6 else cb.ordinary("agent")
    cb.place("agent", *greeting, gap=0.0)
    n_turns = int(rng.integers(7, 12))
    events = [e for e, p in [("dead_air", 0.35), ("short_gap", 0.3), ("overtalk", 0.5), ("overtalk2", 0.25),
                             ("backchannel", 0.3), ("fast", 0.3), ("forbidden", 0.35), ("repetition", 0.3),
                             ("upset", 0.4)] if rng.random() < p]
    slots = {e: int(rng.integers(1, n_turns)) for e in events}
    upset_turns = set(int(k) for k in rng.choice(range(1, n_turns), size=min(n_turns - 1, 2), replace=False)) \
        if "upset" in events else set()
    for k in range(1, n_turns):
        role = ROLES[k % 2]
        gap = float(rng.uniform(0.2, 1.4))
        if slots.get("dead_air") == k:
            gap = float(rng.uniform(5.5, 11.0))
        elif slots.get("short_gap") == k:
            gap = float(rng.uniform(2.0, 4.5))
        elif k in (slots.get("overtalk"), slots.get("overtalk2")) and cb.turns[-1]["end"] - cb.turns[-1]["start"] > 2.5:
            gap = -min(float(rng.uniform(1.1, 3.0)), cb.turns[-1]["end"] - cb.turns[-1]["start"] - 0.3)
        elif slots.get("backchannel") == k:
            gap = -float(rng.uniform(0.2, 0.7))
        speaker = role if rng.random() < 0.7 else "agent"
        if slots.get("fast") == k:
            cb.fast_turn("agent", gap)
        elif slots.get("forbidden") == k:
            cb.forbidden_turn("agent" if rng.random() < 0.65 else "customer", gap)
        elif slots.get("repetition") == k:
            cb.repetition_turn(speaker, gap)
        elif k in upset_turns and role == "customer":
            cb.upset_turn("customer", gap)
        else:
            cb.place(role, *cb.ordinary(role), gap=gap)
    cb.place("agent", *cb.espeak("agent", scripts.AGENT_LINES[-1]), gap=float(rng.uniform(0.3, 1.2)))
    faults = [str(f) for f in rng.choice(["clip", "dropout", "noise", "level"], size=int(rng.integers(1, 3)),
                                         replace=False)] if rng.random() < 0.45 else []
    return cb.render(faults, str(rng.choice(CODECS, p=[0.5, 0.3, 0.2])))


def make_real_corpus(out: Path, calls: int = 120, seed: int = 0, data_dir: Path | None = None,
                     log=print) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    phrases = load_phrases(data_dir, log)
    noises = load_noises(data_dir)
    written = []
    for i in range(calls):
        rng = np.random.default_rng([seed, 1, i])
        line, layout = build_call(rng, phrases, noises)
        wav = out / f"{i:04d}.wav"
        scripts.write_wav(wav, line, LINE_RATE)
        (out / f"{i:04d}.json").write_text(json.dumps(layout, indent=1), encoding="utf-8")
        written.append(wav)
        if (i + 1) % 20 == 0:
            log(f"corpus: {i + 1}/{calls} calls")
    return written


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--calls", type=int, default=120)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    files = make_real_corpus(args.out, args.calls, args.seed)
    print(f"{len(files)} calls in {args.out}")


if __name__ == "__main__":
    main()
