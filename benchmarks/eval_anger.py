"""The anger test: one emotion_de speaker's anger clips among their own neutral ones (evaluation only).

The calls are the detection benchmark's negative_emotion scenarios (eval_families_speech.build_negative_emotion:
one EmoDB speaker per call on the customer side, 1-4 anger clips between neutral ones; `negative` calls hold
none, some with a loud but neutral stretch). A call is right when negative_emotion is flagged on the customer
side exactly when it holds anger. Scored for the rules, the model alone and the merged detector (the model's
own policy):

* out of the box: the bundled default model;
* after one fine-tune on the other speakers: for each held-out speaker, a private library gets the other
  four speakers' clips as reviewed labels (anger: negative_emotion over the clip; neutral: reviewed, nothing
  flagged), `training.finetune.finetune` trains from the bundled model once (promote "always"), and that
  model is scored on the held-out speaker's calls. The fine-tuned models live in a temporary data folder
  and are never shipped.

    .venv/bin/python benchmarks/eval_anger.py [--speakers 03,08] [--epochs N] [--markdown out.md] [--json out.json]

The clips are analysed once into a master library (Whisper base, a few minutes on 2 cores), kept under the
benchmark's cache folder (~/.cache/reviewer_app_eval/anger); features and encoder states are cached as usual.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, Path(__file__).resolve().parent):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from eval_calls import CUSTOMER, SHARED  # noqa: E402
from eval_detection import cache_root  # noqa: E402
from eval_families_speech import EMO_SPEAKERS  # noqa: E402
from eval_model import cached_transcript, log, model_segments, scenario_calls  # noqa: E402
from reviewer_app.core.settings import Settings  # noqa: E402

EMOTION = SHARED / "emotion_de"


def clips() -> list[dict]:
    with open(EMOTION / "labels.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def anger_calls() -> list[dict]:
    """The benchmark's negative_emotion calls, each with its speaker."""
    out = []
    for c in scenario_calls({"negative_emotion"}):
        meta = json.loads(Path(c["wav"]).with_suffix(".truth.json").read_text())["meta"]
        out.append(dict(c, speaker=meta["speaker"], angry=bool(c["truth"])))
    return out


def flagged(segments: list[dict]) -> bool:
    return any(s["category"] == "negative_emotion" and s["role"] == CUSTOMER for s in segments)


def score(calls: list[dict], loaded, settings: Settings, rules_cache: dict) -> dict:
    """Per detector: calls right, and the four counts."""
    from reviewer_app.core.audio.decode import sha256_of_file
    from reviewer_app.core.detect.merge import policy_from_meta
    from reviewer_app.core.pipeline import redetect

    decides = policy_from_meta(loaded.meta, settings)["negative_emotion"]
    out = {k: {"right": 0, "angry_flagged": 0, "angry_missed": 0, "neutral_flagged": 0, "neutral_clean": 0}
           for k in ("rules", "model", "merged")}
    for c in calls:
        wav = Path(c["wav"])
        sha = sha256_of_file(wav)
        turns, language = cached_transcript(wav, sha)
        if str(wav) not in rules_cache:
            rules_cache[str(wav)] = flagged([{"category": s.category, "role": s.role}
                                             for s in redetect(wav, turns, language, settings)[0]])
        verdict = {"rules": rules_cache[str(wav)], "model": flagged(model_segments(loaded, wav, sha, turns, settings))}
        verdict["merged"] = verdict["model"] if decides.source == "model" else verdict["rules"]
        for k, f in verdict.items():
            row = out[k]
            row["right"] += f == c["angry"]
            row[("angry_" if c["angry"] else "neutral_") + ("flagged" if f else ("missed" if c["angry"] else "clean"))] += 1
    for row in out.values():
        row["calls"] = len(calls)
        row["accuracy"] = round(row["right"] / len(calls), 3) if calls else None
    out["merged"]["decided_by"] = f"{decides.source}: {decides.reason}"
    return out


def master_library(settings: Settings) -> Path:
    """Every clip analysed once into one library (copied per fold), kept in the benchmark's cache folder."""
    from reviewer_app.core.batch import analyze_many
    from reviewer_app.core.pipeline import run_to_end
    from reviewer_app.core.storage.db import open_database

    db = cache_root() / "anger" / "master.sqlite3"
    if db.is_file():
        return db
    db.parent.mkdir(parents=True, exist_ok=True)
    partial = db.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    engine = open_database(f"sqlite:///{partial}")
    outcomes = run_to_end(analyze_many([EMOTION / r["file"] for r in clips()], settings, engine))
    failed = [o.error for o in outcomes if o.error]
    if failed:
        raise SystemExit(f"emotion_de: {len(failed)} clips failed to analyse ({failed[0]})")
    engine.dispose()
    partial.replace(db)
    return db


def fine_tuned(master: Path, folder: Path, held_out: str, settings: Settings, epochs: int | None, base):
    """One fine-tune from `base` (the out-of-the-box model) on every speaker but `held_out`; the model it made."""
    from reviewer_app.core.exchange import import_label_file
    from reviewer_app.core.model.registry import load_active
    from reviewer_app.core.pipeline import run_to_end
    from reviewer_app.core.storage.db import open_database
    from reviewer_app.core.training.finetune import finetune

    db = folder / f"fold-{held_out}.sqlite3"
    shutil.copyfile(master, db)
    engine = open_database(f"sqlite:///{db}")
    entries = []
    for r in clips():
        if r["speaker_id"] == held_out:
            continue
        audio = str(EMOTION / r["file"])
        if r["emotion"] == "anger":
            entries.append({"audio": audio, "start": 0.0, "end": 2.0, "category": "negative_emotion", "status": "added"})
        entries.append({"audio": audio, "reviewed": True})
    labels = folder / f"labels-{held_out}.json"
    labels.write_text(json.dumps(entries))
    report = run_to_end(import_label_file(engine, labels, "emodb", settings))
    if report.errors:
        raise SystemExit(f"{labels}: {report.errors[0]}")
    summary = finetune(engine, settings, promote="always", epochs=epochs, base=base)
    loaded = load_active(engine)
    engine.dispose()
    return loaded, summary, sum(1 for e in entries if "category" in e), sum(1 for e in entries if "reviewed" in e)


def main(argv: list[str] | None = None) -> int:
    from reviewer_app.core.model.registry import default_checkpoint, load_model

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--speakers", default=",".join(EMO_SPEAKERS), help="held-out speakers, one fine-tune each")
    parser.add_argument("--epochs", type=int, help="fine-tune epochs (default: the settings')")
    parser.add_argument("--model", type=Path, help="the out-of-the-box checkpoint (default: the bundled one)")
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--json", dest="json_out", type=Path)
    args = parser.parse_args(argv)
    if not (EMOTION / "labels.csv").is_file():
        print(f"{EMOTION} is absent: the anger test needs it", file=sys.stderr)
        return 2
    started = time.perf_counter()
    settings = Settings()
    speakers = [s for s in args.speakers.split(",") if s]
    calls = anger_calls()
    default = load_model(args.model or default_checkpoint())
    rules_cache: dict = {}
    work = Path(tempfile.mkdtemp(prefix="reviewer_anger_"))
    os.environ["REVIEWER_APP_DATA_DIR"] = str(work / "data")  # fine-tuned models stay out of the user's data
    rows = []
    try:
        master = master_library(settings)
        log(f"master library: {time.perf_counter() - started:.0f} s")
        for spk in speakers:
            mine = [c for c in calls if c["speaker"] == spk]
            before = score(mine, default, settings, rules_cache)
            tuned, summary, anger_labels, reviewed = fine_tuned(master, work, spk, settings, args.epochs, default)
            after = score(mine, tuned, settings, rules_cache)
            rows.append({"speaker": spk, "calls": len(mine), "angry_calls": sum(c["angry"] for c in mine),
                         "train_clips": reviewed, "train_anger_clips": anger_labels,
                         "out_of_the_box": before, "fine_tuned": after,
                         "fine_tune": {k: summary.get(k) for k in ("epochs_run", "duration_s", "decision")}})
            log(f"speaker {spk}: rules {before['rules']['accuracy']}, model {before['model']['accuracy']} -> "
                f"{after['model']['accuracy']} ({time.perf_counter() - started:.0f} s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def total(key: str, det: str) -> str:
        right = sum(r[key][det]["right"] for r in rows)
        n = sum(r[key][det]["calls"] for r in rows)
        return f"{right}/{n} = {right / n:.2f}" if n else "–"

    lines = ["| held-out speaker | calls (angry) | rules | default model alone | default merged | "
             "fine-tuned model alone | fine-tuned merged | fine-tune: train clips (anger) |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        b, a = r["out_of_the_box"], r["fine_tuned"]
        lines.append(f"| {r['speaker']} | {r['calls']} ({r['angry_calls']}) | {b['rules']['accuracy']:.2f} | "
                     f"{b['model']['accuracy']:.2f} | {b['merged']['accuracy']:.2f} | {a['model']['accuracy']:.2f} | "
                     f"{a['merged']['accuracy']:.2f} | {r['train_clips']} ({r['train_anger_clips']}) |")
    lines.append(f"| **all** | {sum(r['calls'] for r in rows)} ({sum(r['angry_calls'] for r in rows)}) | "
                 f"{total('out_of_the_box', 'rules')} | {total('out_of_the_box', 'model')} | "
                 f"{total('out_of_the_box', 'merged')} | {total('fine_tuned', 'model')} | "
                 f"{total('fine_tuned', 'merged')} | |")
    if rows:
        lines += ["", f"Merged out of the box: {rows[0]['out_of_the_box']['merged']['decided_by']}.",
                  f"{time.perf_counter() - started:.0f} s in all."]
    print("\n".join(lines))
    if args.markdown:
        args.markdown.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if args.json_out:
        args.json_out.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
