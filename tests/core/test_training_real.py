"""Real speech (../shared/data, skipped when absent; slow): the measurements of the learning issue.

* emotion_de: label speakers 03, 08, 09 (anger -> negative_emotion added over the clip and the clip
  reviewed; neutral -> reviewed with nothing flagged), fine-tune, analyse speakers 10 and 11, and
  compare the clip-level accuracy of negative_emotion before (the policy in use: the rule) and after.
* calls_en: dead_air and overtalk F1 of the merged output against the rules alone, and of the model
  alone (every category forced onto the model) for the record.

    .venv/bin/python -m pytest tests/core/test_training_real.py -m slow -s
"""
from __future__ import annotations

import csv
import json

import pytest

from reviewer_app.core.evaluate import CategoryScore, score_segments, truth_from_words
from reviewer_app.core.exchange import import_label_file as import_labels
from reviewer_app.core.pipeline import analyze, redetect, run_to_end
from reviewer_app.core.settings import Settings
from reviewer_app.core.storage import repository
from reviewer_app.core.storage.db import open_database
from tests.conftest import SHARED_DATA
from tests.core.test_training_support import _private_feature_cache  # noqa: F401  (autouse)

pytestmark = pytest.mark.slow
TRAIN_SPEAKERS, TEST_SPEAKERS = ("03", "08", "09"), ("10", "11")


def _emotion_clips():
    folder = SHARED_DATA / "emotion_de"
    if not (folder / "labels.csv").is_file():
        pytest.skip(f"{folder} is absent (real recordings live in ../shared/data)")
    with open(folder / "labels.csv", newline="") as fh:
        return folder, list(csv.DictReader(fh))


def _right(engine, row, folder) -> bool:
    call = repository.find_call(engine, _sha(folder / row["file"]))
    flagged = any(s.category == "negative_emotion" and s.status != "rejected"
                  for s in repository.load_segments(engine, call.id))
    return flagged == (row["emotion"] == "anger")


def _accuracy(engine, clips, folder) -> float:
    return sum(_right(engine, row, folder) for row in clips) / len(clips)


def _sha(path):
    from reviewer_app.core.audio.decode import sha256_of_file

    return sha256_of_file(path)


def test_emotion_de_fine_tune_learns_anger_on_unseen_speakers(tmp_path):
    from reviewer_app.core.batch import analyze_many
    from reviewer_app.core.training.finetune import finetune
    from reviewer_app.core.training.rescore import rescore_unreviewed

    folder, rows = _emotion_clips()
    engine = open_database(f"sqlite:///{tmp_path / 'lib.sqlite3'}")
    settings = Settings()
    entries = []
    for row in rows:
        if row["speaker_id"] in TRAIN_SPEAKERS:
            audio = str(folder / row["file"])
            if row["emotion"] == "anger":
                entries.append({"audio": audio, "start": 0.0, "end": 2.0, "category": "negative_emotion",
                                "status": "added"})
            entries.append({"audio": audio, "reviewed": True})
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps(entries))
    report = run_to_end(import_labels(engine, labels, "emodb", settings))
    assert not report.errors
    test_clips = [r for r in rows if r["speaker_id"] in TEST_SPEAKERS]
    outcomes = run_to_end(analyze_many([folder / r["file"] for r in test_clips], settings, engine))
    assert not [o.error for o in outcomes if o.error]
    before = _accuracy(engine, test_clips, folder)

    events = []
    summary = finetune(engine, settings, events.append, promote="if-better")
    rescored = run_to_end(rescore_unreviewed(engine, settings))
    wrong = [r["file"] for r in test_clips if not _right(engine, r, folder)]
    after = _accuracy(engine, test_clips, folder)
    print(json.dumps({"emotion_de": {"train_clips": sum(1 for e in entries if "reviewed" in e), "test_clips": len(test_clips),
                                     "accuracy_before": round(before, 3), "accuracy_after": round(after, 3),
                                     "promoted": summary["promoted"], "decision": summary["decision"],
                                     "epochs_run": summary["epochs_run"], "duration_s": summary["duration_s"],
                                     "rescored": rescored.rescored, "detector": rescored.detector,
                                     "wrong_after": wrong,
                                     "validation_negative_emotion": {
                                         k: summary["validation"][k].get("negative_emotion")
                                         for k in ("before", "after")}}}, indent=1))
    assert summary["promoted"] and rescored.rescored == len(test_clips)
    assert after >= 0.85 and after > before


CALLS = ("SNG0072", "MUL1423")
DEAD_AIR_MIN_S = 3.0


def test_calls_en_merged_output_is_not_below_the_rules(tmp_path):
    folder = SHARED_DATA / "calls_en"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent (real recordings live in ../shared/data)")
    engine = open_database(f"sqlite:///{tmp_path / 'lib.sqlite3'}")
    settings = Settings()
    settings.rules.dead_air_min_s = DEAD_AIR_MIN_S
    forced = Settings()
    forced.rules.dead_air_min_s = DEAD_AIR_MIN_S
    forced.model.min_labels_per_category = 0  # every window category on the model: the model alone
    scores = {name: {} for name in ("rules", "merged", "model")}
    for call in CALLS:
        words = json.loads((folder / f"{call}.json").read_text())
        merged = run_to_end(analyze(folder / f"{call}.wav", settings, db=engine))
        rules, _ = redetect(folder / f"{call}.wav", merged.transcript, merged.language, settings)
        model, _ = redetect(folder / f"{call}.wav", merged.transcript, merged.language, forced, db=engine,
                            sha256=merged.audio.sha256)
        truth = truth_from_words(words, merged.audio.duration_s, DEAD_AIR_MIN_S, 1.0)
        for name, segs in (("rules", rules), ("merged", merged.segments), ("model", model)):
            for cat in ("dead_air", "overtalk"):
                pred = [{"start": s.start, "end": s.end, "category": s.category} for s in segs if s.category == cat]
                score_segments(pred, [t for t in truth if t["category"] == cat], scores[name])
    table = {name: {cat: s.as_dict() for cat, s in per.items()} for name, per in scores.items()}
    print(json.dumps({"calls_en": table}, indent=1))
    for cat in ("dead_air", "overtalk"):
        r: CategoryScore = scores["rules"][cat]
        assert scores["merged"][cat].f1 >= r.f1, cat
