"""Detection benchmark, scenario families about the signal and the timing: overtalk, poor audio
(clipping, dropouts, noise, level, clean excerpts) and dead air. Each build_* returns one Scenario.
"""
from __future__ import annotations

import numpy as np

from eval_calls import (AGENT, BANDS, BOTH, CALLS_EN, CUSTOMER, ROLES, SHARED, Call, Retry, Scenario, _say,
                        _uniform, calls_en, comfort_block, dead_air_truth, inj, interrupter, overtalk_truth,
                        random_excerpt, speech)


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
