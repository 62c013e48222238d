"""Detection benchmark, the scenario plan: which calls are built (plan), building one reproducibly
from its family, band and index (build), and writing it as a WAV with its truth (write_scenario).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from eval_calls import BANDS, BASE_SEED, FAMILIES, QUICK_BANDS, SCENARIO_VERSION, Retry, Scenario, speech
from eval_families_signal import (NOISE_KINDS, build_clean, build_clipping, build_dead_air,
                                  build_dropout, build_level, build_noise, build_overtalk)
from eval_families_speech import (EMO_SPEAKERS, build_fast_speech, build_forbidden_phrase,
                                  build_missing_closing, build_missing_greeting, build_negative_emotion,
                                  build_repetition)


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
