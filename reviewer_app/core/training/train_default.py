"""Train the bundled default checkpoint (resources/models/default.*) on the default corpus.

    python -m reviewer_app.core.training.train_default [--calls 160] [--generated-calls 120] [--seed 0]
        [--epochs 3] [--fusion late] [--corpus DIR] [--out resources/models/default.safetensors]

The defaults are the bundled model's: late fusion measured best of early / late / cross-attention on
the held-out real calls (benchmarks/results/fusion_comparison.md).

The corpus (real_corpus.py) is two-channel telephone calls assembled from
permissively licensed real speech in ../shared/data (telephone_en, asr_en:
MIT; noise_vad and two asr_zh clips: Apache-2.0) and espeak-ng speech, with
problems placed at random severities, plus `--generated-calls` espeak-only calls
(make_corpus.py; with them the model keeps what it learned of overtalk there:
held-out overtalk F1 0.79 with them, 0.62 without, cross-attention,
benchmarks/results/fusion_comparison.md); `--corpus-kind generated` uses the espeak-only corpus alone. It is generated unless DIR already
holds it; every call's features and Whisper-base encoder states are computed
once (cached); windows are labelled from the corpus truth (every category
known, plus the emotion of the utterance under each window), split by call and
trained with the fixed seed. The transcript is the corpus' own words: the
script for generated speech (times spread over each piece), the app's ASR
words of the source recording for real phrases (real_speech.py, cached).
The checkpoint's meta records the sources and their licences, the seed and
the command; its label_counts are empty (no reviewed labels). Its held-out
validation on real calls is added by benchmarks/eval_model.py.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import torch

from reviewer_app.core import paths
from reviewer_app.core.audio.decode import sha256_of_file
from reviewer_app.core.model.network import EMOTIONS, ModelConfig, ProblemSegmentModel, count_parameters
from reviewer_app.core.domain import Turn, Word
from reviewer_app.core.settings import ModelSettings, Settings
from reviewer_app.core.model.checkpoint import save_checkpoint
from reviewer_app.core.training.dataset import WindowSet
from reviewer_app.core.model.device import describe_device, pick_torch_device
from reviewer_app.core.model.inputs import inputs_from_audio
from reviewer_app.core.training.loop import predict_set, train_loop
from reviewer_app.core.training.make_corpus import make_corpus
from reviewer_app.core.training.real_corpus import make_real_corpus
from reviewer_app.core.training.real_speech import licences
from reviewer_app.core.training.metrics import category_metrics, macro_f1
from reviewer_app.core.model.windows import CallLabels, LabelSpan, candidate_windows, tokenize, window_targets

ENCODER = "whisper-base"
DELIVERY_EMOTION = {"neutral": "neutral", "angry": "angry", "happy": "happy", "sad": "sad"}


def _turns(layout: dict) -> list[Turn]:
    return [Turn(t["role"], t["start"], t["end"], t["text"],
                 tuple(Word(w["word"], w["start"], w["end"], 1.0) for w in t["words"])) for t in layout["turns"]]


def _emotion_targets(windows, layout: dict) -> np.ndarray:
    out = np.full(len(windows), -1, np.int64)
    for i, w in enumerate(windows):
        best, label = 0.0, -1
        for e in layout["emotions"]:
            if e["channel"] != w.channel:
                continue
            overlap = min(w.end, e["end"]) - max(w.start, e["start"])
            share = overlap / max(1e-6, min(w.duration, e["end"] - e["start"]))
            if overlap > 0 and share >= 0.5 and share > best:
                best, label = share, EMOTIONS.index(DELIVERY_EMOTION[e["emotion"]])
        out[i] = label
    return out


def corpus_windows(corpus: Path, settings: Settings, vocab: int, log=print) -> dict[str, WindowSet]:
    """{sha256: one call's labelled windows}, computing features and encoder states once (cached)."""
    per_call = {}
    wavs = sorted(corpus.glob("*.wav"))
    t0 = time.perf_counter()
    for n, wav in enumerate(wavs):
        layout = json.loads(wav.with_suffix(".json").read_text(encoding="utf-8"))
        sha = sha256_of_file(wav)
        inputs = inputs_from_audio(str(wav), sha, ENCODER, settings)
        turns = _turns(layout)
        windows = candidate_windows(inputs.features.duration_s, inputs.features.roles, turns,
                                    lambda t: tokenize(t, vocab))
        spans = [LabelSpan(s["start"], s["end"], s["role"], s["category"], True) for s in layout["segments"]]
        targets, known = window_targets(windows, CallLabels(True, spans))
        ws = WindowSet()
        ws.add(sha, inputs, windows, targets, known, _emotion_targets(windows, layout))
        per_call[sha] = ws
        if (n + 1) % 10 == 0 or n + 1 == len(wavs):
            log(f"features: {n + 1}/{len(wavs)} calls, {time.perf_counter() - t0:.0f} s")
    return per_call


def merge_sets(sets: list[WindowSet]) -> WindowSet:
    out = WindowSet()
    for ws in sets:
        for sha, inputs in ws.calls.items():
            idx = [i for i, (s, _) in enumerate(ws.items) if s == sha]
            out.add(sha, inputs, [ws.items[i][1] for i in idx], ws.targets[idx], ws.known[idx], ws.emotion[idx])
    return out


def split(per_call: dict[str, WindowSet], val_fraction: float, seed: int) -> tuple[WindowSet, WindowSet]:
    order = sorted(per_call, key=lambda s: hashlib.sha256(f"{seed}:{s}".encode()).hexdigest())
    n_val = max(1, int(round(val_fraction * len(order))))
    return merge_sets([per_call[s] for s in order[n_val:]]), merge_sets([per_call[s] for s in order[:n_val]])


def trained_on(kind: str, calls: int, seed: int, generated_calls: int = 0) -> dict:
    """What a default checkpoint was trained on: the corpus, and each source folder with its licence."""
    if kind == "generated":
        return {"corpus": f"make_corpus.py: {calls} generated calls, seed {seed}",
                "sources": {"espeak-ng": "generated speech (GPL-3.0 synthesiser; the audio is ours)"}}
    extra = f" + make_corpus.py: {generated_calls} generated calls, seed {seed}" if generated_calls else ""
    return {"corpus": f"real_corpus.py: {calls} assembled telephone calls, seed {seed}{extra}",
            "sources": dict(licences(), **{"espeak-ng": "generated speech (GPL-3.0 synthesiser; the audio is ours)"})}


def main() -> None:
    p = argparse.ArgumentParser(description="Train the bundled default checkpoint.")
    p.add_argument("--calls", type=int, default=160)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--corpus-kind", choices=("real", "generated"), default="real")
    p.add_argument("--generated-calls", type=int, default=120,
                   help="with the real corpus, also this many espeak-only calls (make_corpus.py, same seed)")
    p.add_argument("--fusion", default="late")
    p.add_argument("--corpus", type=Path)
    p.add_argument("--out", type=Path, default=paths.resources_dir() / "models" / "default.safetensors")
    args = p.parse_args()
    started = time.perf_counter()
    torch.manual_seed(args.seed)
    prefix = "corpus" if args.corpus_kind == "generated" else "realcorpus"
    corpus = args.corpus or paths.cache_dir() / f"{prefix}-{args.seed}-{args.calls}"
    if len(list(corpus.glob("*.wav"))) != args.calls:
        print(f"generating {args.calls} calls into {corpus}", flush=True)
        build = make_corpus if args.corpus_kind == "generated" else make_real_corpus
        build(corpus, args.calls, args.seed)
    settings = Settings()
    config = ModelConfig(fusion=args.fusion, speech_dim=512, encoder_model=ENCODER)
    per_call = corpus_windows(corpus, settings, config.vocab_size)
    if args.generated_calls and args.corpus_kind == "real":
        extra = paths.cache_dir() / f"corpus-{args.seed}-{args.generated_calls}"
        if len(list(extra.glob("*.wav"))) != args.generated_calls:
            print(f"generating {args.generated_calls} espeak-only calls into {extra}", flush=True)
            make_corpus(extra, args.generated_calls, args.seed)
        per_call.update(corpus_windows(extra, settings, config.vocab_size))
    train, val = split(per_call, 0.15, args.seed)
    print(f"{len(train)} training windows, {len(val)} validation windows; positives {train.positives()}")
    ms = ModelSettings(fusion=args.fusion, epochs=args.epochs, lr=2e-3, batch_size=64, patience=3, seed=args.seed)
    device = pick_torch_device("auto")
    model = ProblemSegmentModel(config)
    print(f"model: {count_parameters(model)} parameters, device {describe_device(device)}")
    result = train_loop(model, train, val, ms, device,
                        on_epoch=lambda r: print(json.dumps(r.as_dict()), flush=True))
    probs, _ = predict_set(model, val, device)
    metrics = category_metrics(probs >= ms.threshold, val.targets, val.known)
    emo = val.emotion >= 0
    emo_acc = None
    if emo.any():
        from reviewer_app.core.model.batching import make_batch

        with torch.no_grad():
            model.eval()
            preds = []
            for lo in range(0, len(val), 128):
                batch = make_batch(val.batch_items(range(lo, min(len(val), lo + 128))), config.speech_dim)
                preds.append(model(batch.to(device))["emotion"].argmax(-1).cpu().numpy())
            emo_acc = float((np.concatenate(preds)[emo] == val.emotion[emo]).mean())
    meta = {
        "version": "default", "trained_on": trained_on(args.corpus_kind, args.calls, args.seed, args.generated_calls),
        "label_counts": {}, "synthetic_validation": {"categories": metrics, "macro_f1": macro_f1(metrics),
                                                     "emotion_accuracy": emo_acc},
        "history": [h.as_dict() for h in result.history], "best_epoch": result.best_epoch,
        "device": describe_device(device), "duration_s": round(time.perf_counter() - started, 1),
        "seed": args.seed, "command": "python -m reviewer_app.core.training.train_default "
        f"--calls {args.calls} --seed {args.seed} --epochs {args.epochs} --fusion {args.fusion} "
        f"--corpus-kind {args.corpus_kind}" + (f" --generated-calls {args.generated_calls}" if args.generated_calls else ""),
    }
    written = save_checkpoint(model.to("cpu"), args.out, meta)
    print(json.dumps({"out": str(args.out), "macro_f1": meta["synthetic_validation"]["macro_f1"],
                      "emotion_accuracy": emo_acc, "sha256": written["weights_sha256"]}))


if __name__ == "__main__":
    main()
