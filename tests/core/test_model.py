"""The multimodal model: shapes for every fusion, masks, freezing, and safe checkpoint loading."""
from __future__ import annotations

import json

import pytest
import torch

from reviewer_app.core.model.network import (
    EMOTIONS,
    HEAD_CATEGORIES,
    MAX_FRAMES,
    MAX_SPEECH_FRAMES,
    MAX_TOKENS,
    N_MELS,
    PROSODY_FEATURES,
    WINDOW_CATEGORIES,
    ModelConfig,
    ProblemSegmentModel,
    WindowBatch,
    window_probabilities,
)
from reviewer_app.core.errors import ModelError
from reviewer_app.core.settings import FUSIONS
from reviewer_app.core.model.checkpoint import load_checkpoint, save_checkpoint, transfer_weights
from reviewer_app.core.training.loop import set_trainable


def batch(b: int = 5, speech_dim: int = 32, seed: int = 0) -> WindowBatch:
    g = torch.Generator().manual_seed(seed)
    frames = torch.rand(b, MAX_FRAMES, generator=g) > 0.3
    frames[:, 0] = True
    return WindowBatch(
        torch.randn(b, N_MELS, MAX_FRAMES, generator=g), torch.randn(b, len(PROSODY_FEATURES), MAX_FRAMES, generator=g),
        frames, torch.randn(b, MAX_SPEECH_FRAMES, max(speech_dim, 1), generator=g),
        torch.rand(b, MAX_SPEECH_FRAMES, generator=g) > 0.5,
        torch.randint(0, 1000, (b, MAX_TOKENS), generator=g), torch.rand(b, MAX_TOKENS, generator=g) > 0.5,
    )


def small(fusion: str, speech_dim: int = 32) -> ProblemSegmentModel:
    torch.manual_seed(0)
    return ProblemSegmentModel(ModelConfig(fusion=fusion, speech_dim=speech_dim, vocab_size=1000, d_model=16,
                                           token_dim=8, attention_heads=2))


@pytest.mark.parametrize("fusion", FUSIONS)
@pytest.mark.parametrize("speech_dim", [32, 0])
def test_every_fusion_gives_one_probability_per_window_category(fusion, speech_dim):
    model = small(fusion, speech_dim).eval()
    x = batch(speech_dim=speech_dim)
    x.token_mask[0] = False  # a window without words
    x.speech_mask[1] = False  # a window the encoder never saw
    out = model(x)
    assert out["categories"].shape == (5, len(HEAD_CATEGORIES))
    assert out["emotion"].shape == (5, len(EMOTIONS))
    probs = window_probabilities(out)
    assert probs.shape == (5, len(WINDOW_CATEGORIES))
    assert torch.isfinite(probs).all() and (probs >= 0).all() and (probs <= 1).all()
    assert WINDOW_CATEGORIES[-1] == "negative_emotion"


@pytest.mark.parametrize("fusion", FUSIONS)
def test_padding_does_not_change_a_window(fusion):
    """Frames and tokens outside the masks are ignored, whatever they hold."""
    model = small(fusion).eval()
    x = batch(2)
    y = batch(2, seed=1)
    for name in ("frame_mask", "speech_mask", "token_mask", "tokens"):
        setattr(y, name, getattr(x, name).clone())
    keep = x.frame_mask.unsqueeze(1)
    y.mel = torch.where(keep, x.mel, y.mel)
    y.prosody = torch.where(keep, x.prosody, y.prosody)
    y.speech = torch.where(x.speech_mask.unsqueeze(-1), x.speech, y.speech)
    y.tokens = torch.where(x.token_mask, x.tokens, torch.randint_like(x.tokens, 0, 1000))
    # conv receptive fields reach a few frames into padding at the edges of the masks: compare a
    # window whose frames are all valid
    x.frame_mask[:] = True
    y.frame_mask[:] = True
    y.mel, y.prosody = x.mel, x.prosody
    assert torch.allclose(window_probabilities(model(x)), window_probabilities(model(y)), atol=1e-5)


def test_heads_only_trains_only_the_heads():
    model = small("early")
    set_trainable(model, "heads_only")
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith("head") for n in trainable)
    set_trainable(model, "encoder")
    assert all(p.requires_grad for p in model.parameters())


def test_checkpoint_round_trip(tmp_path):
    model = small("cross_attention").eval()
    meta = save_checkpoint(model, tmp_path / "m.safetensors", {"version": "v1", "label_counts": {"dead_air": 3}})
    assert len(meta["weights_sha256"]) == 64
    loaded = load_checkpoint(tmp_path / "m.safetensors")
    assert loaded.version == "v1" and loaded.label_counts == {"dead_air": 3}
    assert loaded.config == model.config
    x = batch()
    assert torch.allclose(window_probabilities(model(x)), window_probabilities(loaded.model(x)), atol=2e-2)


def test_a_tampered_weights_file_is_refused(tmp_path):
    path = tmp_path / "m.safetensors"
    save_checkpoint(small("late"), path, {"version": "v1"})
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="do not match their metadata"):
        load_checkpoint(path)


def test_a_truncated_file_is_refused_even_with_matching_metadata(tmp_path):
    from reviewer_app.core.model.checkpoint import file_sha256

    path = tmp_path / "m.safetensors"
    save_checkpoint(small("late"), path, {"version": "v1"})
    path.write_bytes(path.read_bytes()[:1000])
    meta_file = path.with_suffix(".json")
    meta = json.loads(meta_file.read_text())
    meta["weights_sha256"] = file_sha256(path)  # someone "fixed" the hash
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="cannot read the model"):
        load_checkpoint(path)


def test_pickled_weights_are_never_unpickled(tmp_path):
    """A torch.save pickle under the model's name: refused without running it."""
    from reviewer_app.core.model.checkpoint import file_sha256

    path = tmp_path / "m.safetensors"
    save_checkpoint(small("late"), path, {"version": "v1"})
    torch.save({"anything": torch.zeros(1)}, path)
    meta = json.loads(path.with_suffix(".json").read_text())
    meta["weights_sha256"] = file_sha256(path)
    path.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="cannot read the model"):
        load_checkpoint(path)


def test_missing_or_foreign_metadata_is_a_clear_error(tmp_path):
    path = tmp_path / "m.safetensors"
    with pytest.raises(ModelError, match="metadata not found"):
        load_checkpoint(path)
    path.with_suffix(".json").write_text('{"format": "something else"}')
    with pytest.raises(ModelError, match="not a reviewer-app model"):
        load_checkpoint(path)


def test_weights_of_another_shape_are_refused(tmp_path):
    path = tmp_path / "m.safetensors"
    save_checkpoint(small("early"), path, {"version": "v1"})
    meta = json.loads(path.with_suffix(".json").read_text())
    meta["config"]["d_model"] = 32
    path.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="do not fit the model"):
        load_checkpoint(path)


def test_changing_fusion_keeps_the_branches():
    source, target = small("early"), small("cross_attention")
    copied = transfer_weights(target, source)
    assert any(n.startswith("spectrogram.") for n in copied)
    assert not any(n.startswith("head") for n in copied)
    assert torch.equal(target.text.embed.weight, source.text.embed.weight)


def test_the_bundled_default_checkpoint_loads_and_earns_its_categories_on_held_out_real_calls():
    from reviewer_app.core.detect.merge import policy_from_meta
    from reviewer_app.core.settings import Settings
    from reviewer_app.core.model.registry import default_checkpoint

    loaded = load_checkpoint(default_checkpoint())
    assert loaded.config.encoder_model == "whisper-base" and loaded.config.speech_dim == 512
    assert default_checkpoint().stat().st_size < 10_000_000
    assert loaded.label_counts == {}
    heldout = loaded.meta["heldout_validation"]  # benchmarks/eval_model.py --write-meta
    assert heldout["commit"] and heldout["benchmark"] == "benchmarks/eval_model.py"
    policy = policy_from_meta(loaded.meta, Settings())
    for cat, p in policy.items():  # the model decides exactly where it measured at least the rule's F1
        m, r = heldout["model"].get(cat), heldout["rules"].get(cat)
        earned = bool(m and r and m["support"] and m["f1"] is not None and m["f1"] >= r["f1"])
        assert (p.source == "model") == earned, (cat, p.reason)
        if earned:
            assert p.reason.startswith(f"model F1 {m['f1']:.2f} \u2265 rule {r['f1']:.2f} on held-out real")
