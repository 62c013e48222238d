"""Shared set-up for the learning tests (no tests here): a small library built without ASR.

The generated fixture and demo calls come with their script; a call's stored
analysis uses that script as its transcript and the rules' findings as its
predictions, so building the library takes seconds instead of a Whisper run.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewer_app.core.audio.decode import decode_audio, sha256_of_file
from reviewer_app.core.domain import AudioInfo, CallAnalysis, Turn, Word
from reviewer_app.core.settings import Settings
from tests.conftest import FIXTURES, ROOT

CALL_FILES = (
    FIXTURES / "call_basic.wav",
    FIXTURES / "call_noisy_mono.wav",
    ROOT / "resources" / "demo_calls" / "demo_good_call.wav",
    ROOT / "resources" / "demo_calls" / "demo_support_call.wav",
)


@pytest.fixture(scope="module", autouse=True)
def _private_feature_cache(tmp_path_factory):
    """Features and encoder states go to a folder of the test module's own (computed once per module)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REVIEWER_APP_FEATURE_CACHE", str(tmp_path_factory.mktemp("features")))
        yield


def truth_of(wav: Path) -> dict:
    return json.loads(wav.with_suffix(".truth.json").read_text(encoding="utf-8"))


def script_turns(truth: dict, mono: bool) -> list[Turn]:
    turns = []
    for u in truth["utterances"]:
        words = []
        for piece in u["pieces"]:
            tokens = piece["text"].replace(",", "").split()
            step = (piece["end"] - piece["start"]) / max(1, len(tokens))
            words += [Word(t, round(piece["start"] + k * step, 3), round(piece["start"] + (k + 0.9) * step, 3), 1.0)
                      for k, t in enumerate(tokens)]
        turns.append(Turn("both" if mono else u["role"], u["start"], u["end"], u["text"], tuple(words)))
    return sorted(turns, key=lambda t: t.start)


def analysis_without_asr(wav: Path, settings: Settings | None = None) -> CallAnalysis:
    from reviewer_app.core.audio.signals import channel_roles
    from reviewer_app.core.pipeline import redetect

    settings = settings or Settings()
    audio = decode_audio(str(wav))
    roles = channel_roles(audio, settings)
    turns = script_turns(truth_of(wav), roles == ("both",))
    segments, score = redetect(wav, turns, "en", settings)
    info = AudioInfo(str(wav), sha256_of_file(wav), round(audio.duration_s, 3), audio.sample_rate,
                     audio.source_channels, roles)
    return CallAnalysis(info, "en", turns, segments, score, {}, {"detector": "rules"}, [])


def build_library(url: str, files=CALL_FILES, label: bool = True):
    """A library of `files`; with `label`, every truth segment is added by a reviewer and the call reviewed."""
    from reviewer_app.core.storage import repository
    from reviewer_app.core.storage.db import open_database
    from reviewer_app.core.storage.labels import LabelStore

    engine = open_database(url)
    store = LabelStore(engine)
    for wav in files:
        analysis = analysis_without_asr(wav)
        call_id = repository.save_analysis(engine, analysis)
        if not label:
            continue
        mono = analysis.audio.roles == ("both",)
        for t in truth_of(wav).get("segments", []):
            role = "both" if mono else t.get("role", "both")
            store.add(call_id, "tester", t["start"], t["end"], t["category"], role)
        store.mark_reviewed(call_id, "tester")
    return engine


def tiny_model(fusion: str = "early", version: str = "tiny"):
    """A small model without the speech branch (no Whisper encoder needed), as a LoadedModel."""
    import torch

    from reviewer_app.core.model.network import ModelConfig, ProblemSegmentModel
    from reviewer_app.core.model.checkpoint import LoadedModel

    torch.manual_seed(0)
    config = ModelConfig(fusion=fusion, speech_dim=0, encoder_model="", d_model=16, token_dim=8,
                         attention_heads=2, dropout=0.1)
    return LoadedModel(ProblemSegmentModel(config), {"version": version, "label_counts": {}})
