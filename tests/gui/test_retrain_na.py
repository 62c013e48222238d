"""Retrain's before/after table: a category with no positive validation window shows n/a, not 0.00."""
from __future__ import annotations

from reviewer_app.gui.models import training_tables as tt


def test_no_support_shows_n_a():
    m = {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0, "predicted": 0}
    done = {"label_counts": {"overtalk": 3}, "validation": {
        "before": {"overtalk": dict(m, source="rules")}, "after": {"overtalk": dict(m, source="new")},
        "new": {"overtalk": m}, "macro_f1": {"before": 0.5, "after": 0.5}}}
    [row, _macro] = tt.before_after_rows(done)
    assert row.cells[:3] == ("overtalk", "3", "0")
    assert row.cells[4:7] == ("n/a", "n/a", "n/a") and row.cells[8:11] == ("n/a", "n/a", "n/a")
    assert row.cells[11] == "n/a" and row.cells[13] == "n/a" and row.delta is None


def test_why_column_counts_the_labels_the_model_was_trained_on():
    """'Reviewed labels now: 3' beside the reason: the reason says its 0 is the model's training count."""
    from reviewer_app.core.detect.merge import category_policy

    policy = category_policy({"overtalk": 0}, 20)
    assert policy["overtalk"].reason == "the model in use was trained on 0 reviewed labels, fewer than 20"
    [row] = [r for r in tt.preview_rows({"label_counts": {"overtalk": 3}, "min_labels_per_category": 20,
                                         "policy": {"categories": {"overtalk": {"source": "rules",
                                                                                "reason": policy["overtalk"].reason}}}})
             if r.category == "overtalk"]
    assert row.labels == 3 and "trained on 0" in row.reason


def test_progress_during_epochs_follows_the_measured_time():
    # 60 s gone, the measured epochs say 20 s are left: three quarters of the epochs' share of the bar
    event = {"event": "epoch", "epoch": 2, "epochs": 10, "eta_s": 20.0}
    assert tt.overall_fraction(event, elapsed_s=60.0) == 0.95 * 60 / 80
    assert tt.overall_fraction(event) == 0.2 + 0.75 * 2 / 10  # no clock: by epoch count, as before
