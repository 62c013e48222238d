"""What the Retrain dialog shows before a run: reviewed labels per category, the device, the policy now."""
from __future__ import annotations

from reviewer_app.core.settings import Settings


def training_preview(engine, settings: Settings, device: str = "auto") -> dict:
    """JSON-ready; cheap enough for the GUI's database lane (reads labels, imports torch once)."""
    from reviewer_app.core.pipeline import describe_policy
    from reviewer_app.core.errors import ReviewerError
    from reviewer_app.core.training.dataset import label_counts, labelled_calls
    from reviewer_app.core.model.device import describe_device, pick_torch_device

    calls = labelled_calls(engine)
    try:
        chosen = describe_device(pick_torch_device(settings.model.device if device == "auto" else device))
    except ReviewerError as exc:
        chosen = f"unavailable: {exc}"
    counts = label_counts(calls)
    return {
        "labelled_calls": len(calls),
        "reviewed_calls": sum(1 for c in calls if c.labels.reviewed),
        "label_counts": counts,
        "min_labels_per_category": settings.model.min_labels_per_category,
        "ready": len(calls) >= 2,
        "device": chosen,
        "policy": describe_policy(engine, settings),
    }
