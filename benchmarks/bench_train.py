"""Training speed: seconds per epoch on 2,000 labelled windows with cached features, and where the time goes.

The windows come from the generated corpus (make_corpus.py; features and
Whisper-base encoder states computed once and cached, as fine-tuning reads
them). The model is the shipped configuration (cross-attention fusion, speech
branch on). Reported per epoch: the training pass in seconds (target <= 30 on
2 CPU cores), the part of it spent in the model's forward and backward passes
and the optimiser step, and the share spent outside them (batch assembly,
host-to-device copies, bookkeeping; target <= 20%). Validation is timed apart.

    .venv/bin/python benchmarks/bench_train.py [--windows 2000] [--epochs 3] [--threads 2] [--device cpu]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--windows", type=int, default=2000)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="cpu", help="cpu | cuda | auto")
    p.add_argument("--corpus", type=Path, help="default: cache dir/corpus-bench (made when absent)")
    p.add_argument("--fusion", default="cross_attention")
    args = p.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from reviewer_app.core import paths
    from reviewer_app.core.model.network import ModelConfig, ProblemSegmentModel
    from reviewer_app.core.settings import ModelSettings, Settings
    from reviewer_app.core.model.device import describe_device, pick_torch_device
    from reviewer_app.core.training.loop import train_loop
    from reviewer_app.core.training.make_corpus import make_corpus
    from reviewer_app.core.training.train_default import corpus_windows, merge_sets

    corpus = args.corpus or paths.cache_dir() / "corpus-bench"
    n_calls = max(4, args.windows // 45 + 4)
    if len(list(corpus.glob("*.wav"))) < n_calls:
        print(f"generating {n_calls} calls into {corpus}", file=sys.stderr)
        make_corpus(corpus, n_calls, seed=1)
    t0 = time.perf_counter()
    per_call = corpus_windows(corpus, Settings(), 51865, log=lambda m: print(m, file=sys.stderr))
    prep = time.perf_counter() - t0
    shas = sorted(per_call)
    val = merge_sets([per_call[shas[0]]])
    train = merge_sets([per_call[s] for s in shas[1:]])
    keep = list(range(min(args.windows, len(train))))
    train.items = [train.items[i] for i in keep]
    train.targets, train.known, train.emotion = train.targets[keep], train.known[keep], train.emotion[keep]
    device = pick_torch_device(args.device)
    ms = ModelSettings(fusion=args.fusion, epochs=args.epochs, patience=args.epochs + 1, batch_size=32)
    model = ProblemSegmentModel(ModelConfig(fusion=args.fusion))
    reports = []
    train_loop(model, train, val, ms, device, on_epoch=reports.append)
    steady = reports[1:] or reports
    per_epoch = statistics.median(r.train_seconds for r in steady)
    compute = statistics.median(r.compute_seconds for r in steady)
    result = {
        "device": describe_device(device), "torch_threads": torch.get_num_threads(), "windows": len(train),
        "batch_size": ms.batch_size, "fusion": args.fusion, "feature_prep_s (cached after the first run)": round(prep, 1),
        "epoch_s": round(per_epoch, 2), "forward_backward_s": round(compute, 2),
        "outside_share": round(1 - compute / per_epoch, 3), "validation_s": round(
            statistics.median(r.seconds - r.train_seconds for r in steady), 2),
        "epochs": [{"epoch": r.epoch, "train_s": round(r.train_seconds, 2), "compute_s": round(r.compute_seconds, 2)}
                   for r in reports],
        "targets": {"epoch_s": 30.0, "outside_share": 0.2},
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
