"""Held-out validation of learned models against the rules, per category, on real calls no model trained on.

The calls are the detection benchmark's (benchmarks/eval_detection.py): its
scenario calls (problems placed into calls_en, CC BY-NC, and for
negative_emotion one emotion_de speaker's clips per call), and calls_en's two
whole calls with their native events (overtalk from the word timings, dead air
at the default threshold). The shipped models never train on either folder.

For each call the benchmark's cached transcript is reused (analyses under
~/.cache/reviewer_app_eval; a call without one is analysed once), and three
detectors are scored with the benchmark's own matching
(reviewer_app.core.evaluate.match_segments via eval_detection.score_scenario):

* rules: today's rules on that transcript (pipeline.redetect, no model);
* model: each checkpoint alone (every window category from the model);
* merged: per category the source the policy picks from these figures
  (detect/merge.category_policy with this held-out validation).

    .venv/bin/python benchmarks/eval_model.py                              # the bundled default
    .venv/bin/python benchmarks/eval_model.py --models a.safetensors b.safetensors --markdown out.md
    .venv/bin/python benchmarks/eval_model.py --write-meta                 # store the figures in the checkpoint

`--write-meta` writes `heldout_validation` into each checkpoint's metadata
(the JSON beside its weights): per category the rules' and the model's F1 and
support, where they were measured, and the commit of the benchmark. The merge
policy reads it (detect/merge.py).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, Path(__file__).resolve().parent):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from eval_calls import (BOTH, CALLS_EN, DEAD_AIR_MIN_S, SCENARIO_VERSION, SHARED, calls_en,  # noqa: E402
                        dead_air_truth, interrupter, overtalk_truth)
from eval_detection import Tally, analyse, cache_root, code_version, score_scenario  # noqa: E402
from eval_scenarios import build, plan, write_scenario  # noqa: E402
from reviewer_app.core.settings import Settings  # noqa: E402

WHERE_CALLS_EN = "held-out real calls (calls_en)"
WHERE_EMOTION = "held-out real clips (emotion_de, one speaker per call)"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def benchmark_commit() -> str:
    """The last commit that touched the benchmark's code (and whether the tree differs from it)."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    files = ["benchmarks/eval_model.py", "benchmarks/eval_detection.py", "benchmarks/eval_calls.py",
             "benchmarks/eval_scenarios.py", "benchmarks/eval_families_signal.py", "benchmarks/eval_families_speech.py"]
    commit = git("log", "-1", "--format=%h", "--", *files) or "unknown"
    return commit + ("+changes" if git("status", "--porcelain", "--", *files) else "")


# --- the calls -------------------------------------------------------------------------------------


def scenario_calls(categories: set[str]) -> list[dict]:
    """Every benchmark scenario of a window category: {name, category, band, wav, truth, placed}."""
    folder = cache_root() / "scenarios" / f"v{SCENARIO_VERSION}"
    out = []
    for family, band, k, make in plan():
        name = f"{family}-{band}-{k}"
        truth_file, wav = folder / f"{name}.truth.json", folder / f"{name}.wav"
        if not (truth_file.is_file() and wav.is_file()):
            wav = write_scenario(build(family, band, k, make), folder)
        data = json.loads(truth_file.read_text())
        if data["category"] not in categories:
            continue
        out.append({"name": name, "category": data["category"], "band": data["band"], "wav": wav,
                    "truth": data["truth"], "placed": data["placed"]})
    return out


def native_calls() -> list[dict]:
    """calls_en as recorded: overtalk (role: who talked over whom) and dead air at the default threshold."""
    out = []
    for name in CALLS_EN:
        call = calls_en(name)
        wav = SHARED / "calls_en" / f"{name}.wav"
        out.append({"name": f"native-{name}-overtalk", "category": "overtalk", "band": "native", "wav": wav,
                    "truth": [{"start": s, "end": e, "role": interrupter(call, s), "band": "native"}
                              for s, e in overtalk_truth(call)], "placed": []})
        out.append({"name": f"native-{name}-dead_air", "category": "dead_air", "band": "native", "wav": wav,
                    "truth": [{"start": s, "end": e, "role": BOTH, "band": "native"}
                              for s, e in dead_air_truth(call, DEAD_AIR_MIN_S)], "placed": []})
    return out


def cached_transcript(wav: Path, sha: str) -> tuple[list, str]:
    """The newest cached analysis' transcript of `wav` (analysed now when none is cached)."""
    from reviewer_app.core.domain import Turn, Word

    earlier = sorted((cache_root() / "analyses").glob(f"{sha[:24]}-*.json"), key=lambda p: p.stat().st_mtime)
    data = json.loads(earlier[-1].read_text()) if earlier else analyse(wav, code_version())
    turns = [Turn(t["role"], t["start"], t["end"], t["text"], tuple(Word(w, a, b, 1.0) for w, a, b in t["words"]))
             for t in data["transcript"]]
    return turns, data["language"]


def _as_dicts(segments) -> list[dict]:
    return [{"start": s.start, "end": s.end, "role": s.role, "category": s.category} for s in segments]


def model_segments(loaded, wav: Path, sha: str, turns, settings: Settings) -> list[dict]:
    from reviewer_app.core.model.inputs import inputs_from_audio
    from reviewer_app.core.model.predict import predict_call

    inputs = inputs_from_audio(str(wav), sha, loaded.config.encoder_model if loaded.config.speech_dim else "",
                               settings)
    out = predict_call(loaded, inputs, turns, settings)
    return _as_dicts(getattr(out, "segments", out))


# --- scoring ---------------------------------------------------------------------------------------


def category_figures(t: Tally) -> dict:
    """P, R, F1 with 0 for a category that had truth and no (right) prediction; support = truth count."""
    p = t.tp_pred / t.pred if t.pred else (0.0 if t.truth else None)
    r = t.tp_truth / t.truth if t.truth else None
    f1 = None if r is None else (2 * p * r / (p + r) if p and r else 0.0)
    return {"support": t.truth, "pred": t.pred, "found": t.tp_truth,
            "precision": None if p is None else round(p, 4), "recall": None if r is None else round(r, 4),
            "f1": None if f1 is None else round(f1, 4)}


def evaluate(model_paths: list[Path], only: str = "", log=log) -> dict:
    """{"rules": {cat: figures}, "models": {path: {cat: figures}}, "calls": n, "where": {cat: text}}."""
    from reviewer_app.core.audio.decode import sha256_of_file
    from reviewer_app.core.model.checkpoint import load_checkpoint
    from reviewer_app.core.model.network import WINDOW_CATEGORIES
    from reviewer_app.core.pipeline import redetect

    settings = Settings()
    models = {str(p): load_checkpoint(p) for p in model_paths}
    calls = [c for c in scenario_calls(set(WINDOW_CATEGORIES)) + native_calls() if only in c["name"]]
    tallies: dict[str, dict[str, Tally]] = {"rules": defaultdict(Tally), **{m: defaultdict(Tally) for m in models}}
    by_band: dict[str, dict[tuple[str, str], Tally]] = {s: defaultdict(Tally) for s in tallies}
    seen: dict[str, tuple] = {}
    started = time.perf_counter()
    for n, c in enumerate(calls, 1):
        wav = Path(c["wav"])
        key = str(wav)
        if key not in seen:
            sha = sha256_of_file(wav)
            turns, language = cached_transcript(wav, sha)
            rules, _ = redetect(wav, turns, language, settings)
            seen[key] = (sha, turns, _as_dicts(rules), {m: model_segments(lm, wav, sha, turns, settings)
                                                        for m, lm in models.items()})
        sha, turns, rules, by_model = seen[key]
        for source, predicted in [("rules", rules), *by_model.items()]:
            for band, tally in score_scenario(c["category"], c["band"], c["truth"], c["placed"], predicted).items():
                tallies[source][c["category"]].add(tally)
                by_band[source][(c["category"], band)].add(tally)
        if n % 10 == 0 or n == len(calls):
            log(f"[{n}/{len(calls)}] {c['name']} ({time.perf_counter() - started:.0f} s)")
    where = {cat: WHERE_EMOTION if cat == "negative_emotion" else WHERE_CALLS_EN for cat in WINDOW_CATEGORIES}
    return {"rules": {cat: category_figures(tallies["rules"][cat]) for cat in WINDOW_CATEGORIES},
            "models": {m: {cat: category_figures(tallies[m][cat]) for cat in WINDOW_CATEGORIES} for m in models},
            "bands": {s: {f"{cat}/{band}": category_figures(t) for (cat, band), t in sorted(rows.items())}
                      for s, rows in by_band.items()},
            "calls": len(calls), "distinct_calls": len(seen), "where": where, "seconds": round(time.perf_counter() - started, 1)}


def heldout_validation(result: dict, model: str, commit: str) -> dict:
    """The metadata entry the merge policy reads (detect/merge.py: meta["heldout_validation"])."""
    keep = ("f1", "support", "precision", "recall")
    return {"rules": {c: {k: f[k] for k in keep} for c, f in result["rules"].items()},
            "model": {c: {k: f[k] for k in keep} for c, f in result["models"][model].items()},
            "where": result["where"],
            "calls": f"{result['calls']} scored call/category pairs on {result['distinct_calls']} held-out real calls "
                     f"(detection benchmark scenarios v{SCENARIO_VERSION} in calls_en and emotion_de, calls_en as "
                     "recorded)",
            "benchmark": "benchmarks/eval_model.py", "commit": commit}


def decisions(result: dict, model: str) -> dict:
    from reviewer_app.core.detect.merge import category_policy

    policy = category_policy({}, Settings().model.min_labels_per_category, None,
                             heldout_validation(result, model, ""))
    return {c: policy[c] for c in result["rules"]}


def _f(x) -> str:
    return "–" if x is None else f"{x:.2f}"


def report(result: dict, commit: str) -> list[str]:
    lines = [f"Held-out real calls: {result['calls']} scored call/category pairs; benchmark commit {commit}.", ""]
    for model, figures in result["models"].items():
        from reviewer_app.core.model.checkpoint import read_meta

        fusion = read_meta(Path(model)).get("config", {}).get("fusion", "?")
        policy = decisions(result, model)
        lines += [f"### {Path(model).name} (fusion {fusion})", "",
                  "| category | support | rule P | rule R | rule F1 | model P | model R | model F1 | merged F1 | decides |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for cat, r in result["rules"].items():
            m = figures[cat]
            merged = m if policy[cat].source == "model" else r
            lines.append(f"| {cat} | {r['support']} | {_f(r['precision'])} | {_f(r['recall'])} | {_f(r['f1'])} | "
                         f"{_f(m['precision'])} | {_f(m['recall'])} | {_f(m['f1'])} | {_f(merged['f1'])} | "
                         f"{policy[cat].source} |")
        lines += ["", "Per band (truth / predictions / found; F1 where there is truth; `negative` and `clean` "
                      "bands hold only decoys: every prediction there is a false alarm):", "",
                  "| category / band | truth | rule pred | rule found | rule F1 | model pred | model found | model F1 |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for key, r in result["bands"]["rules"].items():
            m = result["bands"][model][key]
            lines.append(f"| {key} | {r['support']} | {r['pred']} | {r['found']} | {_f(r['f1'])} | {m['pred']} | "
                         f"{m['found']} | {_f(m['f1'])} |")
        lines.append("")
    return lines


def summary(result: dict) -> list[str]:
    """One row per model: mean F1 alone, categories earned, mean F1 merged (the fusion comparison)."""
    from reviewer_app.core.model.checkpoint import read_meta

    cats = [c for c, r in result["rules"].items() if r["support"]]
    rule_mean = sum(result["rules"][c]["f1"] for c in cats) / len(cats)
    lines = ["| model | fusion | mean F1 alone | categories earned | mean F1 merged | rules alone |",
             "|---|---|---:|---|---:|---:|"]
    for model, figures in result["models"].items():
        policy = decisions(result, model)
        alone = sum(figures[c]["f1"] or 0.0 for c in cats) / len(cats)
        merged = sum((figures[c] if policy[c].source == "model" else result["rules"][c])["f1"] or 0.0
                     for c in cats) / len(cats)
        earned = [c for c in cats if policy[c].source == "model"]
        fusion = read_meta(Path(model)).get("config", {}).get("fusion", "?")
        lines.append(f"| {Path(model).name} | {fusion} | {alone:.3f} | {len(earned)}: {', '.join(earned) or '–'} | "
                     f"{merged:.3f} | {rule_mean:.3f} |")
    return lines


def write_meta(weights: Path, entry: dict) -> None:
    from reviewer_app.core.atomic import atomic_path
    from reviewer_app.core.model.checkpoint import meta_path, read_meta

    meta = dict(read_meta(weights), heldout_validation=entry)
    with atomic_path(meta_path(weights)) as tmp:
        Path(tmp).write_text(json.dumps(meta, indent=1, sort_keys=True), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    from reviewer_app.core.model.registry import default_checkpoint

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", type=Path, help="checkpoints (.safetensors); default: the bundled one")
    parser.add_argument("--write-meta", action="store_true", help="store the figures in each checkpoint's metadata")
    parser.add_argument("--json", dest="json_out", type=Path)
    parser.add_argument("--markdown", type=Path, help="write the tables here too")
    parser.add_argument("--only", default="", help="only the calls whose name contains this (a smoke test; "
                                                   "never with --write-meta)")
    args = parser.parse_args(argv)
    if not (SHARED / "calls_en").is_dir():
        print(f"{SHARED} is absent: the held-out validation needs the real recordings", file=sys.stderr)
        return 2
    if args.only and args.write_meta:
        parser.error("--write-meta needs every call: drop --only")
    models = args.models or [default_checkpoint()]
    commit = benchmark_commit()
    result = evaluate(models, args.only)
    lines = report(result, commit) + summary(result)
    print("\n".join(lines))
    if args.markdown:
        args.markdown.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if args.json_out:
        args.json_out.write_text(json.dumps(dict(result, commit=commit), indent=1), encoding="utf-8")
    if args.write_meta:
        for m in models:
            write_meta(m, heldout_validation(result, str(m), commit))
            log(f"{m}: heldout_validation written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
