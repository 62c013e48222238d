"""Fine-tuning from the library's labels: dataset, split by call, a tiny CPU run, versions, cancel, re-score."""
from __future__ import annotations

import pytest

from reviewer_app.core.progress import Cancelled, CancelToken
from reviewer_app.core.settings import Settings
from reviewer_app.core.storage import model_versions as mv
from reviewer_app.core.storage import repository
from reviewer_app.core.storage.labels import LabelStore
from reviewer_app.core.model import registry
from reviewer_app.core.training.dataset import label_counts, labelled_calls, split_by_call
from reviewer_app.core.training.finetune import finetune
from tests.core.test_training_support import (  # noqa: F401  (the fixture is autouse)
    CALL_FILES,
    _private_feature_cache,
    build_library,
    tiny_model,
)


@pytest.fixture(scope="module")
def library_url(tmp_path_factory):
    """A labelled library on disk, built once; tests copy it so each starts from the same state."""
    folder = tmp_path_factory.mktemp("lib")
    url = f"sqlite:///{folder / 'lib.sqlite3'}"
    build_library(url).dispose()
    return folder / "lib.sqlite3"


@pytest.fixture
def engine(library_url, tmp_path):
    import shutil

    from reviewer_app.core.storage.db import open_database

    target = tmp_path / "lib.sqlite3"
    shutil.copy(library_url, target)
    return open_database(f"sqlite:///{target}")


def fast_settings(**model) -> Settings:
    s = Settings()
    s.model.epochs = 2
    s.model.batch_size = 32
    s.model.fusion = model.pop("fusion", "early")
    s.model.min_labels_per_category = model.pop("min_labels", 1)
    s.model.val_fraction = 0.5
    for k, v in model.items():
        setattr(s.model, k, v)
    return s


def test_dataset_takes_judged_segments_and_reviewed_calls_only(engine):
    calls = labelled_calls(engine)
    assert len(calls) == len(CALL_FILES)
    basic = next(c for c in calls if c.path.endswith("call_basic.wav"))
    assert basic.labels.reviewed and {s.category for s in basic.labels.spans} == {
        "dead_air", "overtalk", "forbidden_phrase"}
    assert all(s.positive for s in basic.labels.spans)
    assert basic.labels.unjudged  # the rules' predictions nobody touched
    # a rejected prediction on an unreviewed call makes that call count, as a negative
    summary = next(c for c in repository.list_calls(engine) if c.path.endswith("demo_good_call.wav"))
    with engine.begin() as con:
        from sqlalchemy import text

        con.execute(text("update calls set review_status='new' where id=:i"), {"i": summary.id})
    before = {c.path for c in labelled_calls(engine)}
    assert not any(p.endswith("demo_good_call.wav") for p in before)
    pred = next((s for s in repository.load_segments(engine, summary.id) if s.status == "predicted"), None)
    if pred is not None:
        LabelStore(engine).reject(pred.id, "tester")
        again = next(c for c in labelled_calls(engine) if c.path.endswith("demo_good_call.wav"))
        assert not again.labels.reviewed and [s.positive for s in again.labels.spans] == [False]
    counts = label_counts(calls)
    assert counts["dead_air"] == 2 and counts["poor_audio"] == 3


def test_split_is_by_call_and_repeatable(engine):
    calls = labelled_calls(engine)
    train, val = split_by_call(calls, 0.5, seed=0)
    assert train and val
    assert not {c.sha256 for c in train} & {c.sha256 for c in val}
    assert {c.sha256 for c in train} | {c.sha256 for c in val} == {c.sha256 for c in calls}
    again = split_by_call(list(reversed(calls)), 0.5, seed=0)
    assert [c.sha256 for c in again[1]] == [c.sha256 for c in val]
    with pytest.raises(Exception, match="at least 2 labelled calls"):
        split_by_call(calls[:1], 0.5)


def test_a_tiny_fine_tune_on_cpu_makes_a_version_with_before_after_metrics(engine):
    events = []
    summary = finetune(engine, fast_settings(), events.append, device="cpu", promote="always",
                       base=tiny_model())
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and "data" in kinds and kinds[-1] == "done"
    epochs = [e for e in events if e["event"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2]
    assert all({"train_loss", "val_loss", "val_macro_f1", "eta_s"} <= set(e) for e in epochs)
    val = summary["validation"]
    assert {"rules", "old", "new", "before", "after", "macro_f1"} <= set(val)
    assert val["rules"] and set(val["new"]) == set(val["rules"])
    assert summary["promoted"] and summary["device"].startswith("cpu")
    row = mv.active_version(engine)
    assert row.version == summary["version"] and row.metrics["label_counts"]
    loaded = registry.load_active(engine)
    assert loaded.version == summary["version"] and loaded.config.fusion == "early"
    assert loaded.meta["validation"]["macro_f1"] == val["macro_f1"]


def test_cancel_leaves_the_model_in_use_untouched(engine):
    finetune(engine, fast_settings(), device="cpu", promote="always", base=tiny_model())
    active = mv.active_version(engine)
    cancel = CancelToken()

    def emit(event):
        if event["event"] == "epoch":
            cancel.cancel()

    with pytest.raises(Cancelled):
        finetune(engine, fast_settings(epochs=5), emit, device="cpu", promote="always", cancel=cancel,
                 base=tiny_model())
    assert mv.active_version(engine) == active
    assert len(mv.list_versions(engine)) == 1


def test_promote_if_better_needs_a_better_validation_score(engine):
    summary = finetune(engine, fast_settings(), device="cpu", promote="if-better", base=tiny_model())
    m = summary["validation"]["macro_f1"]
    assert summary["promoted"] == (m["after"] > m["before"])
    never = finetune(engine, fast_settings(), device="cpu", promote="never", base=tiny_model())
    assert not never["promoted"] and "never" in never["decision"]


def test_promote_by_hand_and_roll_back_to_the_default(engine):
    a = finetune(engine, fast_settings(), device="cpu", promote="never", base=tiny_model())["version"]
    b = finetune(engine, fast_settings(), device="cpu", promote="never", base=tiny_model())["version"]
    assert mv.active_version(engine) is None  # the bundled default
    registry.promote(engine, b)
    assert mv.active_version(engine).version == b
    assert registry.rollback(engine).version == a
    assert registry.rollback(engine) is None and registry.active_weights(engine)[0] == "default"
    with pytest.raises(Exception, match="nothing to roll back"):
        registry.rollback(engine)
    registry.promote(engine, a)
    assert mv.active_version(engine).version == a
    with pytest.raises(Exception, match="no model version"):
        registry.promote(engine, "nope")


def test_a_damaged_version_is_never_promoted(engine):
    v = finetune(engine, fast_settings(), device="cpu", promote="never", base=tiny_model())["version"]
    path = mv.get_version(engine, v).path
    with open(path, "r+b") as fh:
        fh.seek(100)
        fh.write(b"\0\0\0\0")
    with pytest.raises(Exception, match="do not match"):
        registry.promote(engine, v)
    assert mv.active_version(engine) is None


def test_rescore_uses_the_promoted_model_on_unreviewed_calls_only(engine):
    from reviewer_app.core.pipeline import run_to_end
    from reviewer_app.core.training.rescore import rescore_unreviewed
    from tests.core.test_training_support import analysis_without_asr

    settings = fast_settings()
    finetune(engine, settings, device="cpu", promote="always", base=tiny_model())
    extra = analysis_without_asr(CALL_FILES[0].parent / "call_basic.wav")
    # an unreviewed copy of a call (another sha): only it is re-scored
    from dataclasses import replace

    new_call = replace(extra, audio=replace(extra.audio, sha256="f" * 64))
    repository.save_analysis(engine, new_call)
    report = run_to_end(rescore_unreviewed(engine, settings))
    assert report.rescored == 1 and not report.skipped
    assert report.detector.startswith("rules + model")
    stored = repository.load_analysis(engine, "f" * 64)
    assert stored.versions["detector"] == report.detector
    reviewed = [c for c in repository.list_calls(engine) if c.review_status == "reviewed"]
    assert all(repository.load_analysis(engine, c.sha256).versions["detector"] == "rules" for c in reviewed)


def test_a_damaged_model_in_use_falls_back_to_the_previous_version(tmp_path):
    from pathlib import Path

    from reviewer_app.core.storage import model_versions as mv
    from reviewer_app.core.storage.db import open_database
    from reviewer_app.core.model import registry
    from tests.core.test_training_support import tiny_model

    engine = open_database(f"sqlite:///{tmp_path / 'lib.sqlite3'}")
    for version in ("v1", "v2"):
        registry.register(engine, tiny_model(version=version).model, {"label_counts": {}, "version": version})
    registry.promote(engine, "v2")
    assert registry.load_active(engine).version == "v2"

    v2 = Path(mv.get_version(engine, "v2").path)
    v2.write_bytes(v2.read_bytes()[:500])  # truncated on disk after it was promoted
    loaded = registry.load_active(engine)
    assert (loaded.version, loaded.meta["fallback_from"]) == ("v1", "v2")
    assert "v2" in loaded.meta["fallback_reason"] or "model" in loaded.meta["fallback_reason"]

    Path(mv.get_version(engine, "v1").path).write_bytes(b"not a model")  # the earlier one too
    assert registry.load_active(engine).version == "default"  # then the bundled model
    engine.dispose()


def test_discard_deletes_a_version_not_in_use_and_refuses_the_one_in_use(tmp_path, monkeypatch):
    from pathlib import Path

    import pytest as _pytest

    from reviewer_app.core.errors import ReviewerError
    from reviewer_app.core.storage import model_versions as mv
    from reviewer_app.core.storage.db import open_database
    from reviewer_app.core.model import registry
    from tests.core.test_training_support import tiny_model

    monkeypatch.setenv("REVIEWER_APP_DATA_DIR", str(tmp_path / "data"))
    engine = open_database(f"sqlite:///{tmp_path / 'lib.sqlite3'}")
    for version in ("v1", "v2"):
        registry.register(engine, tiny_model(version=version).model, {"label_counts": {}, "version": version})
    registry.promote(engine, "v1")
    v2_folder = Path(mv.get_version(engine, "v2").path).parent
    registry.discard(engine, "v2")
    assert [r.version for r in mv.list_versions(engine)] == ["v1"] and not v2_folder.exists()
    with _pytest.raises(ReviewerError, match="is in use"):
        registry.discard(engine, "v1")
    assert Path(mv.get_version(engine, "v1").path).is_file()
    engine.dispose()
