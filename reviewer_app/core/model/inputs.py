"""Everything the model reads for one call (frame features + encoder states), from cache or computed.

During analysis the pipeline hands over what it already measured and the
encoder states captured while transcribing. Later (fine-tuning, re-scoring)
the same inputs come from the cache dir, and only what is missing is computed:
features by decoding the audio again (no ASR), encoder states by running the
encoder alone (see asr/encoder_states.py).
"""
from __future__ import annotations

import dataclasses

from reviewer_app.core.asr.encoder_states import EncoderStates, compute_states
from reviewer_app.core.model import encoder_cache
from reviewer_app.core.errors import ModelError
from reviewer_app.core.settings import Settings
from reviewer_app.core.model.batching import CallInputs
from reviewer_app.core.model.call_features import (
    compute_call_features,
    features_from_audio,
    load_call_features,
    save_call_features,
)


def encoder_loader(encoder_model: str, settings: Settings):
    """A function returning the faster-whisper model whose encoder is named `encoder_model`."""
    def load():
        from reviewer_app.core.asr.transcribe import load_engine

        asr = dataclasses.replace(settings.asr, model=encoder_model)
        engine = load_engine(asr)
        if engine.resolved.name != encoder_model:
            raise ModelError(f"encoder {encoder_model!r} resolved to {engine.resolved.name!r}")
        return engine.model

    return load


def inputs_from_analysis(sha256: str, duration_s: float, signals, pcm_16k, encoder_model: str,
                         captured: list[EncoderStates] | None, settings: Settings) -> CallInputs:
    """From the pipeline's own measurements; encoder states captured, cached or computed."""
    features = compute_call_features(sha256, duration_s, signals, pcm_16k)
    save_call_features(features)
    speech = None
    if encoder_model:
        if captured and len(captured) == len(pcm_16k) and all(c.model == encoder_model for c in captured):
            speech = captured
        else:
            speech = encoder_cache.states_for_call(sha256, encoder_model, list(pcm_16k), duration_s,
                                                   encoder_loader(encoder_model, settings))
    return CallInputs(features, speech)


def inputs_from_audio(path: str, sha256: str, encoder_model: str, settings: Settings) -> CallInputs:
    """From the cache dir, decoding and encoding only what is not there yet."""
    features = load_call_features(sha256)
    pcm = None
    if features is None:
        features, pcm = features_from_audio(path, sha256, settings)
        save_call_features(features)
    speech = None
    if encoder_model:
        speech = encoder_cache.load_states(sha256, encoder_model)
        if speech is None or len(speech) != len(features.channels):
            if pcm is None:
                from reviewer_app.core.audio.decode import decode_audio
                from reviewer_app.core.audio.signals import channels_16k

                pcm = channels_16k(decode_audio(path))
            model = encoder_loader(encoder_model, settings)()
            speech = [compute_states(model, encoder_model, x, features.duration_s)
                      for x in pcm]
            encoder_cache.save_states(sha256, speech)
    return CallInputs(features, speech)
