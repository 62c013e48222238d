"""The merge policy with a default checkpoint's held-out validation, and what that checkpoint was trained on."""
from __future__ import annotations

import json

from reviewer_app.core.detect.merge import category_policy, describe_meta_policy, policy_from_meta
from reviewer_app.core.model.registry import default_checkpoint
from reviewer_app.core.settings import Settings
from reviewer_app.core.training.real_speech import EVALUATION_ONLY, NOISES, SOURCES


def heldout(model: dict, rules: dict) -> dict:
    return {"model": {c: {"f1": f, "support": s} for c, (f, s) in model.items()},
            "rules": {c: {"f1": f, "support": s} for c, (f, s) in rules.items()},
            "where": {c: "held-out real calls (calls_en)" for c in model},
            "calls": "112 held-out real calls", "benchmark": "benchmarks/eval_model.py", "commit": "abc1234"}


DEFAULT_META = {  # the shape train_default + eval_model --write-meta write
    "version": "default", "label_counts": {}, "format": "reviewer-app-model/1",
    "heldout_validation": heldout(
        {"overtalk": (0.86, 17), "dead_air": (0.67, 12), "poor_audio": (0.50, 57), "fast_speech": (0.0, 0)},
        {"overtalk": (0.80, 17), "dead_air": (0.67, 12), "poor_audio": (0.85, 57), "fast_speech": (1.0, 0)}),
}


def test_the_default_model_decides_where_its_held_out_f1_is_at_least_the_rules_before_any_label():
    policy = policy_from_meta(DEFAULT_META, Settings())
    assert policy["overtalk"].source == "model"
    assert policy["overtalk"].reason == "model F1 0.86 \u2265 rule 0.80 on held-out real calls (calls_en)"
    assert (policy["overtalk"].model_f1, policy["overtalk"].rule_f1) == (0.86, 0.80)
    assert policy["dead_air"].source == "model"  # a tie: at least the rule's
    assert policy["poor_audio"].source == "rules"
    assert "model F1 0.50 < rule 0.85" in policy["poor_audio"].reason and "0 reviewed labels" in policy["poor_audio"].reason
    # no support on the held-out calls: nothing measured, the rule stays with the old reason
    assert policy["fast_speech"].source == "rules" and "fewer than 20" in policy["fast_speech"].reason
    assert policy["missing_greeting"].source == "rules"


def test_a_fine_tuned_model_is_judged_by_its_reviewed_labels_as_before():
    counts = {"overtalk": 30, "negative_emotion": 25, "dead_air": 3}
    validation = {"rules": {"overtalk": {"f1": 0.8, "support": 5}}, "new": {"overtalk": {"f1": 0.6, "support": 5}}}
    policy = category_policy(counts, 20, validation, None)
    assert policy["overtalk"].source == "rules" and "below the rule" in policy["overtalk"].reason
    assert policy["negative_emotion"].source == "model" and "trained on 25 reviewed labels" in policy["negative_emotion"].reason
    assert policy["dead_air"].source == "rules"


def test_info_shows_both_figures_and_where_they_were_measured():
    described = describe_meta_policy(DEFAULT_META, Settings())
    assert described["heldout_validation"]["commit"] == "abc1234"
    row = described["categories"]["overtalk"]
    assert row["source"] == "model" and row["model_f1"] == 0.86 and row["rule_f1"] == 0.8
    assert described["model_decides"] == ["dead_air", "overtalk"]
    json.dumps(described)  # JSON-ready


def test_the_training_sources_are_permissive_only():
    folders = {s.folder for s in SOURCES + NOISES}
    assert folders == {"telephone_en", "asr_en", "noise_vad", "asr_zh"}
    assert not folders & set(EVALUATION_ONLY)
    zh = {s.file for s in SOURCES if s.folder == "asr_zh"}
    assert zh == {"wenet_aishell-BAC009S0724W0121.wav", "paddlespeech_audio_test.wav"}  # the Apache-2.0 clips


def test_the_bundled_checkpoint_lists_only_permissive_sources():
    meta = json.loads(default_checkpoint().with_suffix(".json").read_text(encoding="utf-8"))
    trained_on = meta["trained_on"]
    text = json.dumps(trained_on)
    assert "calls_en" not in text and "emotion_de" not in text
    if isinstance(trained_on, dict):  # the real-speech default records each folder with its licence
        allowed = {"telephone_en": "MIT", "asr_en": "MIT", "noise_vad": "Apache-2.0", "asr_zh": "Apache-2.0"}
        for folder, licence in trained_on["sources"].items():
            assert folder == "espeak-ng" or allowed[folder] == licence
        assert meta["seed"] == 0 and "train_default" in meta["command"]
