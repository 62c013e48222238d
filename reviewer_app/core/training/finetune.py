"""One fine-tuning run: reviewed labels -> windows -> training -> before/after -> a model version.

`finetune` reports through `emit(event_dict)` (the worker prints each as a JSON
line). The model in use is never touched until the very end, and then only by
the promotion (one database transaction), so cancelling or crashing at any
earlier point leaves it as it was. Every finished run is registered as a model
version with the metrics of the rules, the model in use and the new model on
the validation calls.

Before / after: per category, "before" is whatever decides that category now
(rule or model in use, by the current policy) and "after" is what would decide
it with the new model (its policy: enough labels and not worse than the rule).
`--promote if-better` promotes when the after macro-F1 beats the before one.
"""
from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable

import numpy as np

from reviewer_app.core.detect.merge import MODEL, category_policy, policy_from_meta
from reviewer_app.core.model.network import ProblemSegmentModel
from reviewer_app.core.errors import ReviewerError
from reviewer_app.core.pipeline import run_to_end
from reviewer_app.core.progress import CancelToken
from reviewer_app.core.settings import Settings
from reviewer_app.core.model import registry
from reviewer_app.core.model.checkpoint import LoadedModel, transfer_weights
from reviewer_app.core.training.dataset import (
    LabelledCall,
    WindowSet,
    build_windows,
    label_counts,
    labelled_calls,
    split_by_call,
)
from reviewer_app.core.model.device import describe_device, pick_torch_device
from reviewer_app.core.training.loop import EpochReport, predict_set, train_loop
from reviewer_app.core.training.metrics import category_metrics, macro_f1, pick
from reviewer_app.core.model.windows import CallLabels, LabelSpan, window_targets

PROMOTE_MODES = ("if-better", "always", "never")


def _progress_emitter(emit, stage: str):
    def on_progress(p):
        emit({"event": "progress", "stage": stage, "done": round(p.done, 3), "total": p.total,
              "message": p.message})
    return on_progress


def rule_predictions(calls: list[LabelledCall], ws: WindowSet, settings: Settings) -> np.ndarray:
    """The rules' verdict on each window of `ws` (0/1 per category), running them on each call again."""
    from reviewer_app.core.pipeline import redetect

    out = np.zeros_like(ws.targets)
    by_sha = {c.sha256: c for c in calls}
    rows: dict[str, list[int]] = {}
    for i, (sha, _) in enumerate(ws.items):
        rows.setdefault(sha, []).append(i)
    for sha, idx in rows.items():
        call = by_sha[sha]
        segments, _ = redetect(call.path, call.turns, call.language, settings)
        spans = [LabelSpan(s.start, s.end, s.role, s.category, True) for s in segments]
        targets, _ = window_targets([ws.items[i][1] for i in idx], CallLabels(False, spans))
        out[idx] = targets
    return out


def _base_model(base: LoadedModel, settings: Settings) -> ProblemSegmentModel:
    ms = settings.model
    config = dataclasses.replace(base.config, fusion=ms.fusion, dropout=ms.dropout)
    model = ProblemSegmentModel(config)
    if config == base.config:
        model.load_state_dict(copy.deepcopy(base.model.state_dict()))
    else:  # another fusion: keep the branches, new fusion layers
        transfer_weights(model, base.model)
    return model


def evaluate_before_after(old: LoadedModel, new_model, val_calls, val: WindowSet, settings: Settings,
                          train_counts: dict[str, int], device: str) -> dict:
    threshold = settings.model.threshold
    rules = category_metrics(rule_predictions(val_calls, val, settings), val.targets, val.known)
    new_probs, _ = predict_set(new_model, val, device)
    new = category_metrics(new_probs >= threshold, val.targets, val.known)
    same_inputs = (old.config.speech_dim, old.config.encoder_model) == (
        new_model.config.speech_dim, new_model.config.encoder_model)
    old_metrics = {}
    if same_inputs:
        old_model = copy.deepcopy(old.model).to(device)
        old_probs, _ = predict_set(old_model, val, device)
        old_metrics = category_metrics(old_probs >= threshold, val.targets, val.known)
    old_policy = policy_from_meta(old.meta, settings)
    before_choice = {c: ("old" if p.source == MODEL and c in old_metrics else "rules")
                     for c, p in old_policy.items() if c in rules}
    new_policy = category_policy(train_counts, settings.model.min_labels_per_category,
                                 {"rules": rules, "new": new})
    after_choice = {c: ("new" if p.source == MODEL else "rules") for c, p in new_policy.items() if c in rules}
    before = pick({"rules": rules, "old": old_metrics}, before_choice)
    after = pick({"rules": rules, "new": new}, after_choice)
    return {
        "calls": len(val_calls), "windows": len(val), "old_version": old.version,
        "rules": rules, "old": old_metrics, "new": new, "before": before, "after": after,
        "macro_f1": {"rules": macro_f1(rules), "old": macro_f1(old_metrics), "new": macro_f1(new),
                     "before": macro_f1(before), "after": macro_f1(after)},
    }


def decide(mode: str, validation: dict) -> tuple[bool, str]:
    if mode not in PROMOTE_MODES:
        raise ReviewerError(f"unknown promote mode {mode!r}: use {', '.join(PROMOTE_MODES)}")
    before, after = validation["macro_f1"]["before"], validation["macro_f1"]["after"]
    if mode == "always":
        return True, "promoted: --promote always"
    if mode == "never":
        return False, "not promoted: --promote never (promote by hand with `reviewer-app models promote`)"
    if after > before:
        return True, f"promoted: validation macro-F1 {after:.3f} beats {before:.3f}"
    return False, f"not promoted: validation macro-F1 {after:.3f} does not beat {before:.3f}"


def finetune(engine, settings: Settings, emit: Callable[[dict], None] | None = None, *,
             device: str = "auto", epochs: int | None = None, promote: str = "if-better",
             cancel: CancelToken | None = None, base: LoadedModel | None = None) -> dict:
    """Fine-tune on the database's reviewed labels; returns the run's summary (also emitted as 'done')."""
    emit = emit or (lambda event: None)
    cancel = cancel or CancelToken()
    started = time.perf_counter()
    ms = settings.model.check()
    if promote not in PROMOTE_MODES:
        raise ReviewerError(f"unknown promote mode {promote!r}: use {', '.join(PROMOTE_MODES)}")
    dev = pick_torch_device(ms.device if device == "auto" else device)
    calls = labelled_calls(engine)
    emit({"event": "start", "device": describe_device(dev), "labelled_calls": len(calls),
          "label_counts": label_counts(calls)})
    train_calls, val_calls = split_by_call(calls, ms.val_fraction, ms.seed)
    old = base or registry.load_active(engine, "cpu")
    model = _base_model(old, settings)
    config = model.config
    encoder = config.encoder_model if config.speech_dim else ""
    train = run_to_end(build_windows(train_calls, settings, encoder, config.vocab_size, cancel, "features"),
                       _progress_emitter(emit, "features"))
    val = run_to_end(build_windows(val_calls, settings, encoder, config.vocab_size, cancel, "validation features"),
                     _progress_emitter(emit, "features"))
    if len(train) == 0 or len(val) == 0:
        raise ReviewerError("no labelled windows to train or validate on: review more calls")
    train_counts = label_counts(train_calls)
    emit({"event": "data", "train_calls": len(train_calls), "val_calls": len(val_calls),
          "train_windows": len(train), "val_windows": len(val), "train_positive_windows": train.positives(),
          "val_positive_windows": val.positives()})

    def on_epoch(report: EpochReport) -> None:
        emit(dict(report.as_dict(), event="epoch"))

    result = train_loop(model, train, val, ms, dev, cancel, on_epoch, epochs)
    cancel.raise_if_cancelled()
    emit({"event": "progress", "stage": "evaluating", "done": 0, "total": 1,
          "message": "comparing with the model in use"})
    validation = evaluate_before_after(old, model, val_calls, val, settings, train_counts, dev)
    cancel.raise_if_cancelled()
    promoted, decision = decide(promote, validation)
    meta = {
        "trained_on": "reviewed labels", "base_version": old.version, "fusion": config.fusion,
        "label_counts": train_counts, "label_counts_all": label_counts(calls),
        "validation": validation, "history": [h.as_dict() for h in result.history],
        "epochs_run": len(result.history), "best_epoch": result.best_epoch,
        "stopped_early": result.stopped_early, "device": describe_device(dev),
        "duration_s": round(time.perf_counter() - started, 2), "promote_decision": decision,
        "settings": dataclasses.asdict(ms),
    }
    row = registry.register(engine, model.to("cpu"), meta)
    if promoted:
        registry.promote(engine, row.version)
    summary = {"event": "done", "version": row.version, "promoted": promoted, "decision": decision,
               "device": meta["device"], "duration_s": meta["duration_s"], "label_counts": train_counts,
               "validation": validation, "epochs_run": meta["epochs_run"], "best_epoch": result.best_epoch}
    emit(summary)
    return summary
