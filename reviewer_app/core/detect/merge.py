"""Which source decides each category, the model or its rule, and the merge of their segments.

Policy (per window category), in this order:

1. The model in use was trained on at least `model.min_labels_per_category`
   reviewed labels of the category (a fine-tuned model): it decides unless its
   validation measured its F1 there below the rule's.
2. Otherwise, where its metadata carries a held-out validation on real calls
   (`meta["heldout_validation"]`, written for the bundled default by
   benchmarks/eval_model.py) with nonzero support for both: the model decides
   when its F1 there is at least the rule's. This is how the default model
   earns categories before any team has reviewed a label.
3. Everything else, and the call-level categories (missing greeting /
   closing), stays with the rules.

Each category's reason names the figures it was decided on. The policy is read from the model's metadata (its
checkpoint's meta), which the caller looks up: `pipeline.active_policy(db, settings)`
for the model in use in a library.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from reviewer_app.core.domain import CATEGORIES, WINDOW_CATEGORIES, Segment
from reviewer_app.core.settings import Settings

MODEL, RULES = "model", "rules"


@dataclass(frozen=True)
class CategoryPolicy:
    category: str
    source: str  # "model" | "rules"
    labels: int  # reviewed labels the model in use was trained on
    reason: str
    model_f1: float | None = None  # on held-out real calls, when the model's metadata measured them
    rule_f1: float | None = None


def _heldout(heldout: dict | None, cat: str) -> tuple[float, float, str] | None:
    """(model F1, rule F1, where) when the held-out validation measured both with nonzero support."""
    if not heldout:
        return None
    m, r = (heldout.get("model") or {}).get(cat), (heldout.get("rules") or {}).get(cat)
    if not m or not r or m.get("f1") is None or r.get("f1") is None:
        return None
    if not m.get("support") or not r.get("support"):
        return None
    where = (heldout.get("where") or {}).get(cat) or heldout.get("calls") or "held-out real calls"
    return float(m["f1"]), float(r["f1"]), str(where)


def category_policy(label_counts: dict[str, int], min_labels: int,
                    validation: dict | None = None, heldout: dict | None = None) -> dict[str, CategoryPolicy]:
    """`validation`: {"rules": {cat: {"f1", "support"}}, "new": {...}} from a fine-tune's validation calls;
    `heldout`: {"rules": {cat: {"f1", "support"}}, "model": {...}, "where": {cat: text}} measured on real
    calls the model never trained on (benchmarks/eval_model.py)."""
    rules_f1 = (validation or {}).get("rules") or {}
    model_f1 = (validation or {}).get("new") or {}
    out = {}
    for cat in CATEGORIES:
        n = int(label_counts.get(cat, 0))
        if cat not in WINDOW_CATEGORIES:
            out[cat] = CategoryPolicy(cat, RULES, n, "call-level category: always the rule")
            continue
        measured = _heldout(heldout, cat)
        figures = {} if measured is None else {"model_f1": round(measured[0], 4), "rule_f1": round(measured[1], 4)}
        if n >= min_labels:
            r, m = rules_f1.get(cat), model_f1.get(cat)
            if r and m and m.get("support", 0) > 0 and m["f1"] < r["f1"]:
                out[cat] = CategoryPolicy(cat, RULES, n, f"model F1 {m['f1']:.2f} below the rule's {r['f1']:.2f} "
                                                         "on validation calls", **figures)
            else:
                out[cat] = CategoryPolicy(cat, MODEL, n, f"the model in use was trained on {n} reviewed labels",
                                          **figures)
            continue
        if measured is not None:
            m1, r1, where = measured
            if m1 >= r1:
                out[cat] = CategoryPolicy(cat, MODEL, n, f"model F1 {m1:.2f} ≥ rule {r1:.2f} on {where}",
                                          **figures)
            else:
                out[cat] = CategoryPolicy(cat, RULES, n, f"model F1 {m1:.2f} < rule {r1:.2f} on {where}; "
                                                         f"{n} reviewed labels, fewer than {min_labels}", **figures)
            continue
        out[cat] = CategoryPolicy(cat, RULES, n, f"the model in use was trained on {n} reviewed labels, "
                                                 f"fewer than {min_labels}")
    return out


def policy_from_meta(meta: dict, settings: Settings) -> dict[str, CategoryPolicy]:
    return category_policy(meta.get("label_counts") or {}, settings.model.min_labels_per_category,
                           meta.get("validation"), meta.get("heldout_validation"))


def describe_meta_policy(meta: dict, settings: Settings) -> dict:
    """JSON-ready: the model version `meta` describes and, per category, its source, label count and reason."""
    policy = policy_from_meta(meta, settings)
    heldout = meta.get("heldout_validation") or {}
    return {
        "model_version": meta.get("version", "default"),
        "min_labels_per_category": settings.model.min_labels_per_category,
        "heldout_validation": {k: heldout[k] for k in ("calls", "benchmark", "commit") if k in heldout} or None,
        "model_decides": [cat for cat, p in policy.items() if p.source == MODEL],
        "categories": {cat: {k: v for k, v in asdict(p).items() if k != "category"} for cat, p in policy.items()},
    }


def uses_model(policy: dict[str, CategoryPolicy]) -> bool:
    return any(p.source == MODEL for p in policy.values())


def merge_segments(rule_segments: list[Segment], model_segments: list[Segment],
                   policy: dict[str, CategoryPolicy]) -> list[Segment]:
    """Each category's segments from the source the policy names, sorted by (start, category)."""
    def source(cat: str) -> str:
        p = policy.get(cat)
        return p.source if p is not None else RULES

    merged = [s for s in rule_segments if source(s.category) == RULES]
    merged += [s for s in model_segments if source(s.category) == MODEL]
    return sorted(merged, key=lambda s: (s.start, s.category))
