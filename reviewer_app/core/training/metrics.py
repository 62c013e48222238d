"""Per-category precision, recall and F1 over labelled windows (unknown targets left out)."""
from __future__ import annotations

import numpy as np

from reviewer_app.core.domain import WINDOW_CATEGORIES


def category_metrics(predicted: np.ndarray, targets: np.ndarray, known: np.ndarray) -> dict[str, dict]:
    """{category: {precision, recall, f1, support, predicted, windows}} for categories with known windows."""
    out = {}
    for j, cat in enumerate(WINDOW_CATEGORIES):
        k = known[:, j]
        if not k.any():
            continue
        truth = targets[k, j] > 0.5
        pred = predicted[k, j].astype(bool)
        tp = int((truth & pred).sum())
        n_pred, n_true = int(pred.sum()), int(truth.sum())
        precision = tp / n_pred if n_pred else (1.0 if n_true == 0 else 0.0)
        recall = tp / n_true if n_true else (1.0 if n_pred == 0 else 0.0)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[cat] = {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
                    "support": n_true, "predicted": n_pred, "windows": int(k.sum())}
    return out


def macro_f1(metrics: dict[str, dict], categories=None) -> float:
    """Mean F1 over the categories that have positive windows (0 when none has)."""
    cats = [c for c, m in metrics.items() if m["support"] > 0 and (categories is None or c in categories)]
    return round(float(np.mean([metrics[c]["f1"] for c in cats])), 4) if cats else 0.0


def pick(per_source: dict[str, dict[str, dict]], choice: dict[str, str]) -> dict[str, dict]:
    """Per category, the metrics of the source `choice[category]` names ("rules" or a model key)."""
    out = {}
    for cat, source in choice.items():
        m = per_source.get(source, {}).get(cat)
        if m is not None:
            out[cat] = dict(m, source=source)
    return out
