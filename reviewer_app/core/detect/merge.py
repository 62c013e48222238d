"""Which source decides each category, the model or its rule, and the merge of their segments.

Policy (per category): the model decides where the model in use was trained
on at least `model.min_labels_per_category` reviewed labels of that category
and, when its validation measured both, its F1 there was not below the rule's.
Everything else, and the call-level categories (missing greeting / closing),
stays with the rules. The policy is read from the model's metadata (its
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


def category_policy(label_counts: dict[str, int], min_labels: int,
                    validation: dict | None = None) -> dict[str, CategoryPolicy]:
    """`validation`: {"rules": {cat: {"f1", "support"}}, "new": {...}} from the model's training run."""
    rules_f1 = (validation or {}).get("rules") or {}
    model_f1 = (validation or {}).get("new") or {}
    out = {}
    for cat in CATEGORIES:
        n = int(label_counts.get(cat, 0))
        if cat not in WINDOW_CATEGORIES:
            out[cat] = CategoryPolicy(cat, RULES, n, "call-level category: always the rule")
            continue
        if n < min_labels:
            out[cat] = CategoryPolicy(cat, RULES, n, f"the model in use was trained on {n} reviewed labels, "
                                                     f"fewer than {min_labels}")
            continue
        r, m = rules_f1.get(cat), model_f1.get(cat)
        if r and m and m.get("support", 0) > 0 and m["f1"] < r["f1"]:
            out[cat] = CategoryPolicy(cat, RULES, n, f"model F1 {m['f1']:.2f} below the rule's {r['f1']:.2f} "
                                                     "on validation calls")
            continue
        out[cat] = CategoryPolicy(cat, MODEL, n, f"the model in use was trained on {n} reviewed labels")
    return out


def policy_from_meta(meta: dict, settings: Settings) -> dict[str, CategoryPolicy]:
    return category_policy(meta.get("label_counts") or {}, settings.model.min_labels_per_category,
                           meta.get("validation"))


def describe_meta_policy(meta: dict, settings: Settings) -> dict:
    """JSON-ready: the model version `meta` describes and, per category, its source, label count and reason."""
    policy = policy_from_meta(meta, settings)
    return {
        "model_version": meta.get("version", "default"),
        "min_labels_per_category": settings.model.min_labels_per_category,
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
