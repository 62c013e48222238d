"""Why the model flagged a segment: each branch's share, and the words and moments that mattered.

Everything is measured by ablation on one window: of the windows of the finding's side that
overlap it, the one where the model was surest of the category.

* Branches (spectrogram, prosody, Whisper speech states, text): zero one branch's pooled vector
  (`ProblemSegmentModel.forward(..., ablate=branch)`) and score the window again. A branch's
  share is its drop in probability over the sum of all branches' drops (a rise counts as no
  drop), so the shares sum to 1 whenever any branch matters.
* Words: leave one word's tokens out of the window at a time; the words whose absence lowers
  the probability most, quoted in the order they were said.
* Frames: blank one FRAME_CHUNK_S stretch of the window's audio inputs (mel, prosody and
  speech-state frames) at a time; the stretch whose absence lowers the probability most.

All variants of all findings are scored in a few batches: cheap at this model size.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import torch

from reviewer_app.core.domain import BOTH, Segment
from reviewer_app.core.model.batching import CallInputs, make_batch
from reviewer_app.core.model.network import (
    BRANCHES,
    FRAME_HOP_S,
    SPEECH_HOP_S,
    WINDOW_CATEGORIES,
    WindowBatch,
    window_probabilities,
)
from reviewer_app.core.model.windows import BOTH_SIDES, Window

FRAME_CHUNK_S = 0.5
TOP_WORDS = 3
MIN_DROP = 0.01  # a word or stretch whose absence lowers the probability less than this did not matter
SHOWN_SHARE = 0.1  # branches below this share are left out of the evidence text (not the details)
BATCH = 256
BRANCH_NAMES = {"spectrogram": "spectrogram", "prosody": "prosody", "speech": "Whisper states", "text": "text"}


@dataclass(frozen=True)
class Explanation:
    category: str
    window: tuple[float, float]  # the window explained, in call time
    probability: float  # the model's probability of the category there
    shares: dict[str, float]  # branch -> share of the drops (sum 1, or all 0 when no branch alone matters)
    drops: dict[str, float]  # branch -> probability lost when it is ablated
    words: list[tuple[str, float]] = field(default_factory=list)  # (word, drop), in the order said
    frames: list[tuple[float, float, float]] = field(default_factory=list)  # (start, end, drop), call time

    def summary(self) -> str:
        """"prosody 55%, text 30%: 'not my problem'; most at 12.5–13.0 s"."""
        ranked = sorted(self.shares.items(), key=lambda kv: -kv[1])
        shown = [f"{BRANCH_NAMES[b]} {round(100 * s)}%" for i, (b, s) in enumerate(ranked)
                 if s > 0 and (i == 0 or s >= SHOWN_SHARE)]
        text = ", ".join(shown) if shown else "no branch alone carries it"
        if self.words:
            text += ": '" + " ".join(w for w, _ in self.words) + "'"
        if self.frames:
            text += "; most at " + ", ".join(f"{s:.1f}–{e:.1f} s" for s, e, _ in self.frames)
        return text

    def as_details(self) -> dict:
        return {
            "category": self.category,
            "window": [round(self.window[0], 2), round(self.window[1], 2)],
            "probability": round(self.probability, 3),
            "shares": {b: round(s, 3) for b, s in self.shares.items()},
            "drops": {b: round(d, 3) for b, d in self.drops.items()},
            "words": [{"word": w, "drop": round(d, 3)} for w, d in self.words],
            "frames": [{"start": round(s, 2), "end": round(e, 2), "drop": round(d, 3)} for s, e, d in self.frames],
            "summary": self.summary(),
        }


def branch_shares(drops: dict[str, float]) -> dict[str, float]:
    positive = {b: max(0.0, d) for b, d in drops.items()}
    total = sum(positive.values())
    if total <= 1e-6:
        return {b: 0.0 for b in drops}
    return {b: d / total for b, d in positive.items()}


def word_groups(tokens: tuple[int, ...]) -> list[tuple[str, list[int]]]:
    """(word, token positions): a new word starts at a token that begins with a space."""
    from reviewer_app.core.model.windows import _tokenizer, tokenizer_path

    tok = _tokenizer(str(tokenizer_path()))
    groups: list[tuple[list[int], list[int]]] = []
    for pos, tid in enumerate(tokens):
        piece = tok.id_to_token(int(tid)) or ""
        if not groups or piece.startswith("Ġ"):
            groups.append(([], []))
        groups[-1][0].append(int(tid))
        groups[-1][1].append(pos)
    out = []
    for ids, positions in groups:
        word = tok.decode(ids).strip()
        if word:
            out.append((word, positions))
    return out


def _chunks(window: Window) -> list[tuple[float, float]]:
    edges = np.arange(window.start, window.end, FRAME_CHUNK_S)
    return [(float(s), float(min(s + FRAME_CHUNK_S, window.end))) for s in edges if min(s + FRAME_CHUNK_S, window.end) - s > 0.05]


def _without_tokens(batch: WindowBatch, row: int, positions: list[int]) -> None:
    batch.tokens[row, positions] = 0
    batch.token_mask[row, positions] = False


def _without_frames(batch: WindowBatch, row: int, window: Window, start: float, end: float) -> None:
    f0 = int(round((start - window.start) / FRAME_HOP_S))
    f1 = int(round((end - window.start) / FRAME_HOP_S))
    batch.mel[row, :, f0:f1] = 0.0
    batch.prosody[row, :, f0:f1] = 0.0
    batch.frame_mask[row, f0:f1] = False
    s0 = int(np.floor((start - window.start) / SPEECH_HOP_S + 1e-6))
    s1 = int(np.ceil((end - window.start) / SPEECH_HOP_S - 1e-6))
    batch.speech[row, s0:s1] = 0.0
    batch.speech_mask[row, s0:s1] = False


def _rows(batch: WindowBatch, index: list[int]) -> WindowBatch:
    return WindowBatch(*(t[index].clone() for t in (batch.mel, batch.prosody, batch.frame_mask, batch.speech,
                                                    batch.speech_mask, batch.tokens, batch.token_mask)))


@torch.no_grad()
def _score(model, batch: WindowBatch, columns: list[int], device: str, ablate: str | None = None) -> np.ndarray:
    """Probability of column[i]'s category for row i."""
    from reviewer_app.core.model.predict import _autocast

    out = []
    for lo in range(0, len(batch), BATCH):
        part = _rows(batch, list(range(lo, min(lo + BATCH, len(batch))))).to(device)
        with _autocast(device):
            probs = window_probabilities(model(part, ablate=ablate)).float().cpu().numpy()
        out.append(probs[np.arange(len(probs)), columns[lo:lo + len(probs)]])
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def explain_windows(model, inputs: CallInputs, targets: list[tuple[Window, str]],
                    device: str = "cpu") -> list[Explanation]:
    """One Explanation per (window, category) in `targets`."""
    from reviewer_app.core.model.predict import inference_threads

    if not targets:
        return []
    with inference_threads(device):
        return _explain_windows(model, inputs, targets, device)


def _explain_windows(model, inputs: CallInputs, targets: list[tuple[Window, str]], device: str) -> list[Explanation]:
    model.eval()
    branches = [b for b in BRANCHES if b != "speech" or model.config.speech_dim > 0]
    base = make_batch([(inputs, w) for w, _ in targets], model.config.speech_dim)
    columns = [WINDOW_CATEGORIES.index(c) for _, c in targets]
    probability = _score(model, base, columns, device)
    drops = {b: probability - _score(model, base, columns, device, ablate=b) for b in branches}

    # Word and frame variants of every target, scored together.
    index, variant_cols, edits = [], [], []
    words_of, chunks_of = [], []
    for k, (window, _) in enumerate(targets):
        words = word_groups(window.tokens)
        chunks = _chunks(window)
        words_of.append(words)
        chunks_of.append(chunks)
        for _, positions in words:
            index.append(k); variant_cols.append(columns[k]); edits.append(("tokens", k, positions))
        for start, end in chunks:
            index.append(k); variant_cols.append(columns[k]); edits.append(("frames", k, (start, end)))
    variant_scores = np.zeros(0)
    if index:
        variants = _rows(base, index)
        for row, (kind, k, what) in enumerate(edits):
            if kind == "tokens":
                _without_tokens(variants, row, what)
            else:
                _without_frames(variants, row, targets[k][0], *what)
        variant_scores = _score(model, variants, variant_cols, device)

    out, row = [], 0
    for k, (window, category) in enumerate(targets):
        p = float(probability[k])
        word_drops = []
        for word, _ in words_of[k]:
            word_drops.append((word, p - float(variant_scores[row])))
            row += 1
        frame_drops = []
        for start, end in chunks_of[k]:
            frame_drops.append((start, end, p - float(variant_scores[row])))
            row += 1
        top = sorted(range(len(word_drops)), key=lambda i: -word_drops[i][1])[:TOP_WORDS]
        words = [word_drops[i] for i in sorted(top) if word_drops[i][1] >= MIN_DROP]
        frames = sorted((f for f in frame_drops if f[2] >= MIN_DROP), key=lambda f: -f[2])[:1]
        branch_drop = {b: float(drops[b][k]) for b in branches}
        out.append(Explanation(category, (window.start, window.end), p, branch_shares(branch_drop), branch_drop,
                               words, frames))
    return out


def finding_window(segment: Segment, windows: list[Window], probs: np.ndarray,
                   roles: tuple[str, ...]) -> Window | None:
    """The window of the segment's side overlapping it where the model was surest of its category."""
    j = WINDOW_CATEGORIES.index(segment.category)
    mono = len(roles) == 1
    channels = {ch for ch, role in enumerate(roles)
                if mono or segment.category in BOTH_SIDES or segment.role in (BOTH, role)}
    best, best_p = None, -1.0
    for w, p in zip(windows, probs[:, j]):
        if w.channel in channels and min(w.end, segment.end) - max(w.start, segment.start) > 0 and p > best_p:
            best, best_p = w, float(p)
    return best


def explain_segments(model, view, segments: list[Segment], device: str = "cpu",
                     limit: int = 200) -> list[Segment]:
    """`segments` with each model finding (source `model:...`, up to `limit` of them) explained:
    the summary added to its evidence and the Explanation under details["explain"]."""
    roles = view.inputs.features.roles
    targets, where = [], []
    for i, seg in enumerate(segments):
        if not seg.source.startswith("model:") or seg.category not in WINDOW_CATEGORIES or len(targets) >= limit:
            continue
        window = finding_window(seg, view.windows, view.probs, roles)
        if window is not None:
            targets.append((window, seg.category))
            where.append(i)
    out = list(segments)
    for i, explanation in zip(where, explain_windows(model, view.inputs, targets, device)):
        seg = out[i]
        details = {**(seg.details or {}), "explain": explanation.as_details()}
        out[i] = replace(seg, evidence=f"{seg.evidence}; {explanation.summary()}", details=details)
    return out
