import pytest

from reviewer_app.core.asr import model_store
from reviewer_app.core.errors import ModelError


def test_base_model_is_joined_once_and_verified(tmp_path):
    target = model_store.joined_base_model_dir(tmp_path)
    assert (target / "model.bin").stat().st_size == 2 * 72608766
    assert (target / ".verified").read_text().strip() == model_store.BASE_MODEL_SHA256
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        assert (target / name).is_file()
    mtime = (target / "model.bin").stat().st_mtime_ns
    assert model_store.joined_base_model_dir(tmp_path) == target
    assert (target / "model.bin").stat().st_mtime_ns == mtime  # not joined again
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".joining-")]


def test_a_checksum_mismatch_leaves_no_model_behind(tmp_path, monkeypatch):
    monkeypatch.setattr(model_store, "BASE_MODEL_SHA256", "0" * 64)
    with pytest.raises(ModelError, match="expected 000000000000"):
        model_store.joined_base_model_dir(tmp_path)
    assert list((tmp_path / "models").iterdir()) == []  # no half-made model, no staging dir


def test_resolve_names_and_directories(tmp_path):
    assert model_store.resolve_model("tiny.en").name == "whisper-tiny.en"
    assert model_store.resolve_model("tiny.en").path.endswith("model")
    with pytest.raises(ModelError, match="no model.bin"):
        model_store.resolve_model(str(tmp_path))
    with pytest.raises(ModelError, match="not found"):
        model_store.resolve_model(str(tmp_path / "missing" / "dir"))
