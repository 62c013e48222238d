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
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, Path(__file__).resolve().parent):  # the app, and the benchmark's own modules beside this one
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from eval_calls import (BANDS_DOC, BOTH, CALLS_EN, CUSTOMER, DEAD_AIR_MIN_S, FAMILIES, FAMILY_CATEGORY,  # noqa: E402
                        NATIVE_DEAD_AIR_S, SCENARIO_VERSION, SHARED, Scenario, calls_en, dead_air_truth,
                        interrupter, overtalk_truth, speech)
from eval_scenarios import build, plan, write_scenario  # noqa: E402
from reviewer_app.core.evaluate import MIN_OVERLAP, match_segments  # noqa: E402
from reviewer_app.core.settings import Settings  # noqa: E402


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
