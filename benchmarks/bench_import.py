"""Label import speed: 100,000 labels through the real CLI, on SQLite, against the old per-label path.

A library of --calls calls (each --duration seconds, with --predicted detector segments) is
stored, and a labels JSON of --labels entries (a third confirm predictions, a third add new
segments, a third reject) is imported with `reviewer-app labels import` as a subprocess, then
the same labels as Audacity tracks with `reviewer-app import --format audacity`. The reference
is the path every import took before: one LabelStore change (its own transaction and audit
row) per label, timed on --reference labels in this process.

    .venv/bin/python benchmarks/bench_import.py [--labels 100000] [--calls 10] [--reference 2000]

Prints labels per second for each import and for the reference, and their ratio.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reviewer_app.core.domain import AudioInfo, CallAnalysis, CallScore, Segment  # noqa: E402
from reviewer_app.core.storage.db import open_database  # noqa: E402
from reviewer_app.core.storage.labels import LabelStore  # noqa: E402
from reviewer_app.core.storage.repository import list_calls, save_analysis  # noqa: E402

CATS = ("dead_air", "overtalk", "fast_speech", "poor_audio", "negative_emotion")


def build_library(url: str, folder: Path, calls: int, duration: float, predicted: int) -> list[tuple[Path, int]]:
    """`calls` stored calls whose audio is a small unique file in `folder`; (audio path, call id) each."""
    engine = open_database(url)
    out = []
    for c in range(calls):
        audio = folder / f"call_{c:03d}.wav"
        audio.write_bytes(f"bench call {c}".encode() * 64)
        sha = hashlib.sha256(audio.read_bytes()).hexdigest()
        step = duration / max(predicted, 1)
        segments = [Segment(k * step, k * step + step / 2, "agent", CATS[k % len(CATS)], 0.9, "rule:bench", "")
                    for k in range(predicted)]
        analysis = CallAnalysis(
            audio=AudioInfo(path=str(audio), sha256=sha, duration_s=duration, sample_rate=8000, channels=2,
                            roles=("customer", "agent")),
            language="en", transcript=[], segments=segments, score=CallScore(80, "medium", {}),
            timings_s={}, versions={"app": "bench"})
        out.append((audio, save_analysis(engine, analysis)))
    engine.dispose()
    return out


def label_entries(calls: list[tuple[Path, int]], n: int, duration: float, predicted: int) -> dict[Path, list[dict]]:
    per_call = n // len(calls)
    step = duration / max(predicted, 1)
    out: dict[Path, list[dict]] = {}
    for audio, _ in calls:
        entries = []
        for k in range(per_call):
            kind = k % 3
            if kind < 2 and 2 * (k // 3) + kind < predicted:  # confirm or reject a prediction where it is
                p = 2 * (k // 3) + kind
                entries.append({"audio": str(audio), "start": round(p * step, 3), "end": round(p * step + step / 2, 3),
                                "category": CATS[p % len(CATS)], "status": "confirmed" if kind == 0 else "rejected",
                                "role": "agent"})
            else:  # a reviewer's own segment in the gap after a prediction
                p = k % predicted
                start = p * step + step * 0.6 + (k // predicted) * 1e-3
                entries.append({"audio": str(audio), "start": round(start, 3), "end": round(start + step * 0.3, 3),
                                "category": "repetition", "status": "added", "role": "customer"})
        out[audio] = entries
    return out


def run_cli(args: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "reviewer_app", *args], capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:2])} failed: {done.stderr.strip()[-400:]}")
    print(f"  {done.stdout.strip().splitlines()[-1]}")
    return elapsed


def reference(url: str, calls: list[tuple[Path, int]], entries: dict[Path, list[dict]], n: int) -> float:
    """Labels per second of one LabelStore change per label (the path imports took before)."""
    engine = open_database(url)
    store = LabelStore(engine)
    items = [(call_id, e) for audio, call_id in calls for e in entries[audio] if e["status"] == "added"][:n]
    t0 = time.perf_counter()
    for call_id, e in items:
        store.add(call_id, "reference", e["start"], e["end"], e["category"], e["role"])
    rate = len(items) / (time.perf_counter() - t0)
    engine.dispose()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--duration", type=float, default=36_000.0, help="seconds per call")
    parser.add_argument("--predicted", type=int, default=4_000, help="detector segments per call")
    parser.add_argument("--reference", type=int, default=2_000, help="labels for the per-label reference")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = dict(os.environ, REVIEWER_APP_DATA_DIR=str(root / "appdata"))
        results = {}
        for fmt in ("labels", "audacity"):
            url = f"sqlite:///{root / fmt / 'lib.sqlite3'}"
            (root / fmt / "audio").mkdir(parents=True)
            calls = build_library(url, root / fmt / "audio", args.calls, args.duration, args.predicted)
            entries = label_entries(calls, args.labels, args.duration, args.predicted)
            total = sum(len(v) for v in entries.values())
            if fmt == "labels":
                path = root / fmt / "labels.json"
                path.write_text(json.dumps([e for v in entries.values() for e in v]))
                cli = ["labels", "import", str(path), "--db", url, "--reviewer", "bench"]
            else:  # Audacity carries no status: every line confirms or adds, the rest of each call is rejected
                path = root / fmt / "tracks"
                path.mkdir()
                for audio, items in entries.items():
                    (path / f"{audio.stem}.txt").write_text("".join(
                        f"{e['start']:.6f}\t{e['end']:.6f}\t{e['category']} [{e['role']}]\n" for e in items))
                cli = ["import", str(path), "--format", "audacity", "--db", url, "--reviewer", "bench"]
            print(f"{fmt}: {total} labels on {args.calls} calls ({path.stat().st_size if path.is_file() else '-'} bytes)")
            elapsed = run_cli(cli, env)
            results[fmt] = total / elapsed
            print(f"  {elapsed:.2f} s for the whole CLI run: {results[fmt]:,.0f} labels/s")
        url = f"sqlite:///{root / 'labels' / 'lib.sqlite3'}"
        engine = open_database(url)
        calls = [(Path(c.path), c.id) for c in list_calls(engine)]
        engine.dispose()
        ref = reference(url, calls, label_entries(calls, args.labels, args.duration, args.predicted), args.reference)
        print(f"reference (one LabelStore change per label): {ref:,.0f} labels/s")
        for fmt, rate in results.items():
            print(f"{fmt}: {rate:,.0f} labels/s = {rate / ref:.0f}x the reference")


if __name__ == "__main__":
    main()
