"""Cut windows out of per-call features into the model's fixed-size batch tensors."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from reviewer_app.core.asr.encoder_states import EncoderStates
from reviewer_app.core.model.network import (
    FRAME_HOP_S,
    MAX_FRAMES,
    MAX_SPEECH_FRAMES,
    MAX_TOKENS,
    N_MELS,
    PROSODY_FEATURES,
    SPEECH_HOP_S,
    WindowBatch,
)
from reviewer_app.core.model.call_features import CallFeatures
from reviewer_app.core.model.windows import Window


@dataclass(eq=False)
class CallInputs:
    """What the windows of one call are cut from."""

    features: CallFeatures
    speech: list[EncoderStates] | None  # one per channel, or None without a speech branch


def make_batch(items: list[tuple[CallInputs, Window]], speech_dim: int) -> WindowBatch:
    b = len(items)
    mel = np.zeros((b, N_MELS, MAX_FRAMES), np.float32)
    prosody = np.zeros((b, len(PROSODY_FEATURES), MAX_FRAMES), np.float32)
    frame_mask = np.zeros((b, MAX_FRAMES), bool)
    speech = np.zeros((b, MAX_SPEECH_FRAMES, max(speech_dim, 1)), np.float32)
    speech_mask = np.zeros((b, MAX_SPEECH_FRAMES), bool)
    tokens = np.zeros((b, MAX_TOKENS), np.int64)
    token_mask = np.zeros((b, MAX_TOKENS), bool)
    for k, (call, w) in enumerate(items):
        ch = call.features.channels[w.channel]
        f0 = int(round(w.start / FRAME_HOP_S))
        f1 = min(int(round(w.end / FRAME_HOP_S)), f0 + MAX_FRAMES, ch.mel.shape[1])
        if f1 > f0:
            mel[k, :, : f1 - f0] = ch.mel[:, f0:f1]
            prosody[k, :, : f1 - f0] = ch.prosody[:, f0:f1]
            frame_mask[k, : f1 - f0] = True
        if speech_dim and call.speech is not None:
            st = call.speech[w.channel]
            s0 = int(np.floor(w.start / SPEECH_HOP_S + 1e-6))
            s1 = min(int(np.ceil(w.end / SPEECH_HOP_S - 1e-6)), s0 + MAX_SPEECH_FRAMES, st.states.shape[0])
            if s1 > s0 and st.dim == speech_dim:
                speech[k, : s1 - s0] = st.states[s0:s1]
                speech_mask[k, : s1 - s0] = st.covered[s0:s1]
        if w.tokens:
            n = min(len(w.tokens), MAX_TOKENS)
            tokens[k, :n] = w.tokens[:n]
            token_mask[k, :n] = True
    return WindowBatch(
        torch.from_numpy(mel), torch.from_numpy(prosody), torch.from_numpy(frame_mask),
        torch.from_numpy(speech), torch.from_numpy(speech_mask),
        torch.from_numpy(tokens), torch.from_numpy(token_mask),
    )
