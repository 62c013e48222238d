"""The multimodal problem-segment classifier over candidate windows (PyTorch).

Four branches read one window of one channel:

* spectrogram: log-mel (N_MELS x 20 ms frames) through a small 2-D CNN;
* prosody: energy, pitch, voicing, flatness, clipping, own and other side's
  activity (20 ms frames) through a 1-D CNN;
* speech: the frozen Whisper encoder's states (100 ms frames, computed once
  per call, see asr/encoder_states.py) through a projection;
* text: the window's words as Whisper tokenizer ids through a trainable
  embedding and a small transformer (a learned summary token first, so a
  window without words still has one unmasked position).

Fusion (`ModelConfig.fusion`): `early` concatenates the pooled branches,
`late` gives every branch its own head and averages their logits,
`cross_attention` lets the audio frames attend to the text tokens, then pools.

Heads: multi-label logits over HEAD_CATEGORIES and emotion logits over
EMOTIONS; `window_probabilities` turns them into one probability per
WINDOW_CATEGORIES entry, negative_emotion being P(angry) + P(sad).
Everything a module holds that the training may change is named `head*`
(the `heads_only` freeze strategy trains only those).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch
from torch import Tensor, nn

from reviewer_app.core.domain import CALL_LEVEL_CATEGORIES, WINDOW_CATEGORIES  # noqa: F401
from reviewer_app.core.settings import FUSIONS

assert WINDOW_CATEGORIES[-1] == "negative_emotion"
HEAD_CATEGORIES = WINDOW_CATEGORIES[:-1]  # the emotion head stands for negative_emotion
EMOTIONS = ("angry", "happy", "sad", "neutral")
NEGATIVE_EMOTIONS = ("angry", "sad")
PROSODY_FEATURES = (
    "energy", "pitch", "voiced", "flatness", "clipped", "active", "other_energy", "other_active",
)
N_MELS = 40
FRAME_HOP_S = 0.02  # mel and prosody frames
SPEECH_HOP_S = 0.1  # pooled encoder states
MAX_WINDOW_S = 4.0
MAX_FRAMES = int(round(MAX_WINDOW_S / FRAME_HOP_S))
MAX_SPEECH_FRAMES = int(round(MAX_WINDOW_S / SPEECH_HOP_S))
MAX_TOKENS = 48
BRANCHES = ("spectrogram", "prosody", "speech", "text")


@dataclass
class ModelConfig:
    fusion: str = "cross_attention"
    speech_dim: int = 512  # width of the encoder states; 0 switches the speech branch off
    encoder_model: str = "whisper-base"  # whose encoder states the speech branch was trained on
    vocab_size: int = 51865  # Whisper's multilingual vocabulary
    d_model: int = 64
    token_dim: int = 32
    text_layers: int = 1
    attention_heads: int = 4
    dropout: float = 0.2

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ModelConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown model config keys: {sorted(unknown)}")
        config = cls(**data)
        if config.fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {config.fusion!r}")
        return config


@dataclass
class WindowBatch:
    """Model inputs for B windows; masks are True where a frame or token is real."""

    mel: Tensor  # (B, N_MELS, MAX_FRAMES)
    prosody: Tensor  # (B, len(PROSODY_FEATURES), MAX_FRAMES)
    frame_mask: Tensor  # (B, MAX_FRAMES) bool
    speech: Tensor  # (B, MAX_SPEECH_FRAMES, speech_dim)
    speech_mask: Tensor  # (B, MAX_SPEECH_FRAMES) bool
    tokens: Tensor  # (B, MAX_TOKENS) long
    token_mask: Tensor  # (B, MAX_TOKENS) bool

    def to(self, device, non_blocking: bool = False) -> "WindowBatch":
        return WindowBatch(*(getattr(self, f.name).to(device, non_blocking=non_blocking)
                             for f in fields(self)))

    def __len__(self) -> int:
        return int(self.mel.shape[0])


def _pool(x: Tensor, mask: Tensor) -> Tensor:
    """Masked mean and max over time: (B, T, d), (B, T) -> (B, 2d); zeros where nothing is valid."""
    m = mask.unsqueeze(-1).to(x.dtype)
    count = m.sum(1).clamp(min=1.0)
    mean = (x * m).sum(1) / count
    floor = torch.finfo(x.dtype).min
    peak = x.masked_fill(~mask.unsqueeze(-1), floor).amax(1)
    peak = torch.where(mask.any(1, keepdim=True), peak, torch.zeros_like(peak))
    return torch.cat([mean, peak], dim=-1)


def _downsample_mask(mask: Tensor, factor: int, length: int) -> Tensor:
    pooled = nn.functional.max_pool1d(mask.unsqueeze(1).float(), factor, factor, ceil_mode=True)
    return pooled.squeeze(1)[:, :length] > 0


class SpectrogramBranch(nn.Module):
    """(B, N_MELS, T) -> (B, T/4, d) frames (80 ms)."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.GELU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.GELU(),
            nn.Conv2d(32, 48, 3, stride=(2, 1), padding=1), nn.GELU(),
        )
        self.proj = nn.Linear(48 * ((N_MELS + 7) // 8), d)

    def forward(self, mel: Tensor) -> Tensor:
        x = self.conv(mel.unsqueeze(1))  # (B, 48, F', T')
        x = x.flatten(1, 2).transpose(1, 2)  # (B, T', 48 F')
        return self.proj(x)


class ProsodyBranch(nn.Module):
    """(B, P, T) -> (B, T/4, d) frames (80 ms)."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(len(PROSODY_FEATURES), 32, 5, padding=2), nn.GELU(),
            nn.Conv1d(32, d, 5, stride=4, padding=2), nn.GELU(),
        )

    def forward(self, prosody: Tensor) -> Tensor:
        return self.conv(prosody).transpose(1, 2)


class SpeechBranch(nn.Module):
    """(B, S, speech_dim) frozen encoder states -> (B, S, d)."""

    def __init__(self, speech_dim: int, d: int) -> None:
        super().__init__()
        self.proj = nn.Sequential(nn.LayerNorm(speech_dim), nn.Linear(speech_dim, d), nn.GELU())

    def forward(self, speech: Tensor) -> Tensor:
        return self.proj(speech)


class TextBranch(nn.Module):
    """(B, L) token ids -> (B, L + 1, d), position 0 a learned summary token."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        d = config.d_model
        self.embed = nn.Embedding(config.vocab_size, config.token_dim)
        self.proj = nn.Linear(config.token_dim, d)
        self.summary = nn.Parameter(torch.zeros(1, 1, d))
        self.position = nn.Parameter(torch.zeros(1, MAX_TOKENS + 1, d))
        nn.init.normal_(self.position, std=0.02)
        layer = nn.TransformerEncoderLayer(d, config.attention_heads, 2 * d, config.dropout,
                                           activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, config.text_layers, enable_nested_tensor=False)

    def forward(self, tokens: Tensor, token_mask: Tensor) -> tuple[Tensor, Tensor]:
        x = self.proj(self.embed(tokens))
        x = torch.cat([self.summary.expand(x.shape[0], -1, -1), x], dim=1)
        x = x + self.position[:, : x.shape[1]]
        mask = torch.cat([torch.ones_like(token_mask[:, :1]), token_mask], dim=1)
        return self.encoder(x, src_key_padding_mask=~mask), mask


class ProblemSegmentModel(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        if config.fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {config.fusion!r}: use one of {', '.join(FUSIONS)}")
        self.config = config
        d = config.d_model
        n_out = len(HEAD_CATEGORIES) + len(EMOTIONS)
        self.spectrogram = SpectrogramBranch(d)
        self.prosody = ProsodyBranch(d)
        self.speech = SpeechBranch(config.speech_dim, d) if config.speech_dim > 0 else None
        self.text = TextBranch(config)
        audio_width = 2 * d * (3 if self.speech is not None else 2)
        if config.fusion == "early":
            self.head = self._mlp(audio_width + d, n_out)
        elif config.fusion == "late":
            widths = {"spectrogram": 2 * d, "prosody": 2 * d, "text": d}
            if self.speech is not None:
                widths["speech"] = 2 * d
            self.head = nn.ModuleDict({k: nn.Sequential(nn.Dropout(config.dropout), nn.Linear(w, n_out))
                                       for k, w in widths.items()})
        else:
            self.modality = nn.Parameter(torch.zeros(3, d))
            self.cross = nn.MultiheadAttention(d, config.attention_heads, dropout=config.dropout,
                                               batch_first=True)
            self.cross_norm = nn.LayerNorm(d)
            self.head = self._mlp(2 * d + d, n_out)

    def _mlp(self, width: int, n_out: int) -> nn.Module:
        hidden = 2 * self.config.d_model
        return nn.Sequential(nn.Dropout(self.config.dropout), nn.Linear(width, hidden), nn.GELU(),
                             nn.Dropout(self.config.dropout), nn.Linear(hidden, n_out))

    def forward(self, batch: WindowBatch, ablate: str | None = None) -> dict[str, Tensor]:
        """`ablate`: a branch name (BRANCHES) whose pooled vector is zeroed (model/explain.py); under
        cross-attention an audio branch's frames leave the pool, and text ablation also drops what
        the audio frames attended to."""
        if ablate is not None and ablate not in BRANCHES:
            raise ValueError(f"unknown branch {ablate!r}: use one of {', '.join(BRANCHES)}")
        spec = self.spectrogram(batch.mel)
        pros = self.prosody(batch.prosody)
        frames = min(spec.shape[1], pros.shape[1])
        spec, pros = spec[:, :frames], pros[:, :frames]
        fmask = _downsample_mask(batch.frame_mask, 4, frames)
        seqs = [(spec, fmask, "spectrogram"), (pros, fmask, "prosody")]
        if self.speech is not None:
            seqs.append((self.speech(batch.speech.to(spec.dtype)), batch.speech_mask, "speech"))
        text, tmask = self.text(batch.tokens, batch.token_mask)
        if ablate == "text":
            text = torch.zeros_like(text)
        text_summary = text[:, 0]
        if self.config.fusion == "early":
            pooled = [_pool(x, m) * (name != ablate) for x, m, name in seqs] + [text_summary]
            logits = self.head(torch.cat(pooled, dim=-1))
        elif self.config.fusion == "late":
            parts = [self.head[name](_pool(x, m) * (name != ablate)) for x, m, name in seqs]
            parts.append(self.head["text"](text_summary))
            logits = torch.stack(parts).mean(0)
        else:
            audio = torch.cat([x + self.modality[i] for i, (x, _, _) in enumerate(seqs)], dim=1)
            amask = torch.cat([m & (name != ablate) for _, m, name in seqs], dim=1)
            attended, _ = self.cross(audio, text, text, key_padding_mask=~tmask, need_weights=False)
            if ablate == "text":  # no text reaches the audio frames either
                attended = torch.zeros_like(attended)
            audio = self.cross_norm(audio + attended)
            logits = self.head(torch.cat([_pool(audio, amask), text_summary], dim=-1))
        n = len(HEAD_CATEGORIES)
        return {"categories": logits[:, :n], "emotion": logits[:, n:]}

    def head_parameter_names(self) -> list[str]:
        return [name for name, _ in self.named_parameters() if name.startswith("head")]


def negative_emotion_probability(emotion_logits: Tensor) -> Tensor:
    probs = emotion_logits.float().softmax(-1)
    return sum(probs[:, EMOTIONS.index(e)] for e in NEGATIVE_EMOTIONS)


def window_probabilities(output: dict[str, Tensor]) -> Tensor:
    """(B, len(WINDOW_CATEGORIES)) probabilities, in WINDOW_CATEGORIES order."""
    cats = output["categories"].float().sigmoid()
    neg = negative_emotion_probability(output["emotion"]).unsqueeze(-1)
    return torch.cat([cats, neg], dim=-1)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
