"""The training loop: AdamW, class-balanced masked loss, AMP on CUDA, early stopping on macro-F1.

Early stopping: the best epoch is the one with the highest validation macro-F1
(equal F1: the lower validation loss); training stops after `patience`
epochs without a better one, and the best weights are kept.

Loss per window and category: binary cross-entropy on the known targets only,
positives weighted by negatives / positives of that category in the training
set (capped), so rare problems are not drowned by the many clean windows.
negative_emotion's probability comes from the emotion head (P(angry) +
P(sad)), so its loss trains that head; windows with an emotion label
(the generated corpus) also get a cross-entropy on the four emotions.
"""
from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from reviewer_app.core.model.network import HEAD_CATEGORIES, negative_emotion_probability, window_probabilities
from reviewer_app.core.progress import CancelToken
from reviewer_app.core.settings import ModelSettings
from reviewer_app.core.model.batching import make_batch
from reviewer_app.core.training.dataset import WindowSet
from reviewer_app.core.model.device import uses_amp
from reviewer_app.core.training.metrics import category_metrics, macro_f1

MAX_POS_WEIGHT = 20.0


@dataclass
class EpochReport:
    epoch: int
    epochs: int
    train_loss: float
    val_loss: float
    val_macro_f1: float
    seconds: float  # the whole epoch, validation included
    train_seconds: float  # the training pass (batches built, moved, forward, backward, step)
    compute_seconds: float  # forward, backward and optimiser step only
    eta_s: float
    best: bool

    def as_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


@dataclass
class LoopResult:
    state: dict  # the best weights
    best_epoch: int
    history: list[EpochReport] = field(default_factory=list)
    stopped_early: bool = False


def pos_weights(ws: WindowSet) -> torch.Tensor:
    pos = (ws.targets > 0.5) & ws.known
    neg = (ws.targets <= 0.5) & ws.known
    ratio = neg.sum(0) / np.maximum(pos.sum(0), 1)
    return torch.tensor(np.clip(ratio, 1.0, MAX_POS_WEIGHT), dtype=torch.float32)


def masked_loss(output: dict, targets: torch.Tensor, known: torch.Tensor, emotion: torch.Tensor,
                pos_weight: torch.Tensor) -> torch.Tensor:
    n = len(HEAD_CATEGORIES)
    cat_logits = output["categories"].float()
    bce = nn.functional.binary_cross_entropy_with_logits(
        cat_logits, targets[:, :n], pos_weight=pos_weight[:n], reduction="none")
    p_neg = negative_emotion_probability(output["emotion"]).clamp(1e-5, 1 - 1e-5)
    y = targets[:, n]
    neg_loss = -(pos_weight[n] * y * torch.log(p_neg) + (1 - y) * torch.log(1 - p_neg))
    losses = torch.cat([bce, neg_loss.unsqueeze(1)], dim=1)
    mask = known.float()
    loss = (losses * mask).sum() / mask.sum().clamp(min=1.0)
    has_emotion = emotion >= 0
    if bool(has_emotion.any()):
        ce = nn.functional.cross_entropy(output["emotion"].float()[has_emotion], emotion[has_emotion])
        loss = loss + 0.5 * ce
    return loss


def _autocast(device: str):
    import contextlib

    return torch.autocast("cuda", dtype=torch.float16) if uses_amp(device) else contextlib.nullcontext()


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


@torch.no_grad()
def predict_set(model, ws: WindowSet, device: str, batch_size: int = 128) -> tuple[np.ndarray, float]:
    """(probabilities (N, 7), mean masked loss) over a window set."""
    model.eval()
    probs, losses, weight = [], 0.0, 0
    pw = torch.ones(len(HEAD_CATEGORIES) + 1, device=device)
    for lo in range(0, len(ws), batch_size):
        idx = np.arange(lo, min(len(ws), lo + batch_size))
        batch = make_batch(ws.batch_items(idx), model.config.speech_dim).to(device)
        with _autocast(device):
            out = model(batch)
        probs.append(window_probabilities(out).cpu().numpy())
        t = torch.from_numpy(ws.targets[idx]).to(device)
        k = torch.from_numpy(ws.known[idx]).to(device)
        e = torch.from_numpy(ws.emotion[idx]).to(device)
        losses += float(masked_loss(out, t, k, e, pw)) * len(idx)
        weight += len(idx)
    if not probs:
        return np.zeros((0, len(HEAD_CATEGORIES) + 1), np.float32), 0.0
    return np.concatenate(probs), losses / max(weight, 1)


def set_trainable(model, freeze: str) -> None:
    """The Whisper encoder is frozen by construction (its states are precomputed); heads_only freezes the branches."""
    for name, p in model.named_parameters():
        p.requires_grad = freeze != "heads_only" or name.startswith("head")


def train_loop(model, train: WindowSet, val: WindowSet, ms: ModelSettings, device: str,
               cancel: CancelToken | None = None, on_epoch: Callable[[EpochReport], None] | None = None,
               epochs: int | None = None, on_batch: Callable[[int, int], None] | None = None) -> LoopResult:
    """Train `model` in place; returns the best weights by validation macro-F1."""
    cancel = cancel or CancelToken()
    epochs = epochs or ms.epochs
    torch.manual_seed(ms.seed)
    rng = np.random.default_rng(ms.seed)
    model.to(device)
    set_trainable(model, ms.freeze)
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=ms.lr, weight_decay=ms.weight_decay)
    scaler = torch.amp.GradScaler("cuda", enabled=uses_amp(device))
    pw = pos_weights(train).to(device)
    best_f1, best_loss, best_state, best_epoch, stale = -1.0, float("inf"), copy.deepcopy(model.state_dict()), 0, 0
    result = LoopResult(best_state, 0)
    durations = []
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        compute = 0.0
        model.train()
        order = rng.permutation(len(train))
        total, seen = 0.0, 0
        n_batches = (len(order) + ms.batch_size - 1) // ms.batch_size
        for b, lo in enumerate(range(0, len(order), ms.batch_size)):
            cancel.raise_if_cancelled()
            idx = order[lo:lo + ms.batch_size]
            batch = make_batch(train.batch_items(idx), model.config.speech_dim).to(device, non_blocking=True)
            t = torch.from_numpy(train.targets[idx]).to(device)
            k = torch.from_numpy(train.known[idx]).to(device)
            e = torch.from_numpy(train.emotion[idx]).to(device)
            _sync(device)
            t0 = time.perf_counter()
            with _autocast(device):
                out = model(batch)
            loss = masked_loss(out, t, k, e, pw)
            optimiser.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimiser)
            nn.utils.clip_grad_norm_(params, 1.0)
            scaler.step(optimiser)
            scaler.update()
            _sync(device)
            compute += time.perf_counter() - t0
            total += float(loss.detach()) * len(idx)
            seen += len(idx)
            if on_batch is not None:
                on_batch(b + 1, n_batches)
        train_seconds = time.perf_counter() - started
        probs, val_loss = predict_set(model, val, device)
        f1 = macro_f1(category_metrics(probs >= ms.threshold, val.targets, val.known))
        better = f1 > best_f1 or (f1 == best_f1 and val_loss < best_loss)  # ties: the lower loss
        if better:
            best_f1, best_loss, best_epoch, stale = f1, val_loss, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            stale += 1
        durations.append(time.perf_counter() - started)
        report = EpochReport(epoch, epochs, total / max(seen, 1), val_loss, f1, durations[-1], train_seconds, compute,
                             float(np.mean(durations)) * (epochs - epoch), better)
        result.history.append(report)
        if on_epoch is not None:
            on_epoch(report)
        if stale >= ms.patience:
            result.stopped_early = True
            break
    model.load_state_dict(best_state)
    result.state, result.best_epoch = best_state, best_epoch
    return result
