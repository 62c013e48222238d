"""Plain rows and lines for the Retrain dialog and the status bar (no Qt here).

- `policy_summary(describe_policy(...))` -> "detector: rules" or
  "detector: model 2025…-ab12 for dead air, overtalk; rules for the rest"
- `preview_rows(training_preview(...))` -> one row per category: labels, needed, source now, why
- `before_after_rows(done_event)` -> per category P/R/F1 of what decides it now and after a promotion,
  the F1 of the model in use and of the new model on their own, plus the macro-F1 row
- `epoch_line(epoch_event)` -> "epoch 3/20 · train loss 0.512 · val loss 0.498 · val F1 0.71 · ~40 s left"
"""
from __future__ import annotations

from dataclasses import dataclass

from reviewer_app.core.domain import CATEGORIES

SOURCE_NAMES = {"rules": "rule", "old": "model in use", "new": "new model", "model": "model"}


def pretty(category: str) -> str:
    return category.replace("_", " ")


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def model_categories(policy: dict) -> list[str]:
    return [c for c, p in (policy.get("categories") or {}).items() if p.get("source") == "model"]


def policy_summary(policy: dict) -> str:
    """One line for the status bar: which detector decides which categories."""
    cats = model_categories(policy)
    if not cats:
        return "detector: rules"
    version = policy.get("model_version", "default")
    return f"detector: model {version} for {', '.join(_with_figures(c, policy) for c in cats)}; rules for the rest"


def _with_figures(category: str, policy: dict) -> str:
    """'dead air (F1 0.80 vs rule 0.50)' where the held-out figures decided, else the category alone."""
    p = (policy.get("categories") or {}).get(category) or {}
    if p.get("model_f1") is None or p.get("rule_f1") is None:
        return pretty(category)
    return f"{pretty(category)} (F1 {p['model_f1']:.2f} vs rule {p['rule_f1']:.2f})"


def policy_tooltip(policy: dict) -> str:
    lines = [f"Model in use: {policy.get('model_version', 'default')} "
             f"(a category needs {policy.get('min_labels_per_category', '?')} reviewed labels)"]
    for cat, p in (policy.get("categories") or {}).items():
        lines.append(f"{pretty(cat)}: {p.get('source')} — {p.get('reason', '')}")
    return "\n".join(lines)


@dataclass(frozen=True)
class PreviewRow:
    category: str
    labels: int
    needed: int
    source: str  # who decides now: "model" | "rules"
    reason: str

    @property
    def enough(self) -> bool:
        return self.labels >= self.needed


def preview_rows(preview: dict) -> list[PreviewRow]:
    counts = preview.get("label_counts") or {}
    needed = int(preview.get("min_labels_per_category", 0))
    categories = (preview.get("policy") or {}).get("categories") or {}
    return [PreviewRow(cat, int(counts.get(cat, 0)), needed, categories.get(cat, {}).get("source", "rules"),
                       categories.get(cat, {}).get("reason", "")) for cat in CATEGORIES]


def preview_headline(preview: dict) -> str:
    policy = preview.get("policy") or {}
    return (f"{preview.get('labelled_calls', 0)} call(s) with reviewed labels "
            f"({preview.get('reviewed_calls', 0)} marked reviewed) · device: {preview.get('device', '?')} · "
            f"model in use: {policy.get('model_version', 'default')}")


def not_ready_reason(preview: dict) -> str | None:
    if preview.get("ready"):
        return None
    return (f"Training needs reviewed labels on at least 2 calls (one for validation); "
            f"{preview.get('labelled_calls', 0)} so far. Review more calls first.")


BEFORE_AFTER_COLUMNS = ("Category", "Labels", "Val. +", "Now decided by", "P", "R", "F1",
                        "After promotion", "P", "R", "F1", "ΔF1", "Model in use alone: F1", "New model alone: F1")


@dataclass(frozen=True)
class MetricRow:
    cells: tuple[str, ...]
    support: int  # positive validation windows (0: the F1s say little)
    delta: float | None  # after F1 minus before F1
    bold: bool = False


def _f(x) -> str:
    return "—" if x is None else f"{float(x):.2f}"


def _prf(m: dict | None, support: int) -> list[str]:
    """P, R, F1; "n/a" with no positive validation window (nothing to find: the figures mean nothing)."""
    if m is None:
        return ["—"] * 3
    if support == 0:
        return ["n/a"] * 3
    return [_f(m.get("precision")), _f(m.get("recall")), _f(m.get("f1"))]


def before_after_rows(done: dict) -> list[MetricRow]:
    """Per category: label count, positive validation windows, then precision/recall/F1 of what decides it
    now (the rule or the model in use) and with the new model; the macro-F1 row last."""
    validation = done.get("validation") or {}
    before, after = validation.get("before") or {}, validation.get("after") or {}
    old, new = validation.get("old") or {}, validation.get("new") or {}
    counts = done.get("label_counts") or {}
    rows = []
    for cat in CATEGORIES:
        b, a = before.get(cat), after.get(cat)
        if b is None and a is None:
            continue
        support = int((a or b).get("support", 0))
        delta = (a["f1"] - b["f1"]) if a and b and support else None
        cells = [pretty(cat), str(counts.get(cat, 0)), str(support)]
        for m in (b, a):
            cells += [SOURCE_NAMES.get(m.get("source", ""), m.get("source", "")) if m else "—", *_prf(m, support)]
        cells.append(("n/a" if not support else "—") if delta is None else f"{delta:+.2f}")
        cells += ["n/a" if not support and cat in old else _f((old.get(cat) or {}).get("f1")),
                  "n/a" if not support and cat in new else _f((new.get(cat) or {}).get("f1"))]
        rows.append(MetricRow(tuple(cells), support, delta))
    macro = validation.get("macro_f1") or {}
    b, a = macro.get("before"), macro.get("after")
    delta = (a - b) if a is not None and b is not None else None
    rows.append(MetricRow(("macro-F1", str(sum(counts.values())), "", "", "", "", _f(b), "", "", "", _f(a),
                           "—" if delta is None else f"{delta:+.2f}", _f(macro.get("old") if old else None),
                           _f(macro.get("new"))), 1, delta, bold=True))
    return rows


def result_lines(done: dict) -> list[str]:
    validation = done.get("validation") or {}
    counts = done.get("label_counts") or {}
    labels = ", ".join(f"{pretty(c)} {n}" for c, n in counts.items()) or "none"
    return [
        f"New version {done.get('version', '?')} · {done.get('epochs_run', '?')} epoch(s), best "
        f"{done.get('best_epoch', '?')} · device {done.get('device', '?')} · took {duration_text(done.get('duration_s'))}",
        f"Validated on {validation.get('calls', '?')} call(s), {validation.get('windows', '?')} windows, "
        f"against the model in use ({validation.get('old_version', '?')}) · training labels: {labels}",
    ]


def better(done: dict) -> bool:
    macro = (done.get("validation") or {}).get("macro_f1") or {}
    return macro.get("after", 0.0) > macro.get("before", 0.0)


def epoch_line(event: dict, eta: bool = True) -> str:
    line = (f"epoch {event['epoch']}/{event['epochs']} · train loss {event['train_loss']:.3f} · "
            f"val loss {event['val_loss']:.3f} · val macro-F1 {event['val_macro_f1']:.2f}")
    return line + (f" · ~{duration_text(event.get('eta_s'))} left" if eta else "")


def finished_line(done: dict) -> str:
    return (f"finished in {duration_text(done.get('duration_s'))}: {done.get('epochs_run', '?')} epoch(s), "
            f"best {done.get('best_epoch', '?')}")


STAGE_SPANS = {"features": (0.0, 0.2), "epochs": (0.2, 0.95), "evaluating": (0.95, 1.0), "rescore": (0.0, 1.0)}


def overall_fraction(event: dict, elapsed_s: float | None = None) -> float | None:
    """Where the whole run is (0..1) after an event: features, then the epochs, then the comparison.

    During the epochs, with `elapsed_s` (wall time since the run started) and the epoch's `eta_s`
    (the measured mean epoch time times the epochs left), it is the share of the measured time:
    elapsed / (elapsed + eta), so the bar and the "left" estimate tell the same story."""
    kind = event.get("event")
    if kind == "epoch" and elapsed_s is not None and event.get("eta_s") is not None:
        left = max(0.0, float(event["eta_s"]))
        hi = STAGE_SPANS["epochs"][1]
        return min(hi, hi * elapsed_s / max(elapsed_s + left, 1e-9))
    if kind == "epoch":
        lo, hi = STAGE_SPANS["epochs"]
        return lo + (hi - lo) * event["epoch"] / max(1, event["epochs"])
    if kind == "progress":
        lo, hi = STAGE_SPANS.get(event.get("stage", ""), STAGE_SPANS["features"])
        total = float(event.get("total") or 1)
        return lo + (hi - lo) * min(1.0, float(event.get("done", 0)) / total)
    if kind == "data":
        return STAGE_SPANS["epochs"][0]
    if kind == "done":
        return 1.0
    return None
