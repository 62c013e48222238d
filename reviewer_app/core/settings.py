"""Typed settings with embedded defaults, loaded from and saved to TOML.

A TOML file only needs the keys it changes; an unknown section or key is an
error that names it, so a typo never silently falls back to a default.
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewer_app.core.atomic import write_text_atomic
from reviewer_app.core.domain import AGENT, CATEGORIES, CUSTOMER
from reviewer_app.core.errors import SettingsError


@dataclass
class ChannelSettings:
    # Role of the left and right channel. Most recorders put the customer left.
    roles: list[str] = field(default_factory=lambda: [CUSTOMER, AGENT])


@dataclass
class AsrSettings:
    model: str = "base"  # "base" (bundled multilingual), "tiny.en" (bundled), a directory, or a hub name
    language: str = "auto"
    device: str = "auto"  # auto | cpu | cuda
    compute_type: str = "default"
    beam_size: int = 5
    min_word_prob: float = 0.1  # a word only partly inside its channel's speech needs this probability
    cpu_threads: int = 0  # 0 lets CTranslate2 choose


@dataclass
class RuleSettings:
    dead_air_min_s: float = 5.0
    overtalk_min_s: float = 1.0
    crosstalk_margin_db: float = 15.0  # a channel this far below the other is leakage, not speech
    fast_speech_wpm: float = 200.0
    fast_speech_cpm: float = 330.0
    fast_speech_window_s: float = 15.0
    fast_speech_min_words: int = 20
    greeting_window_s: float = 20.0
    closing_window_s: float = 30.0
    repetition_window_s: float = 20.0
    repetition_min_words: int = 3
    poor_audio_window_s: float = 2.0
    poor_audio_min_s: float = 2.0
    clipping_fraction: float = 0.01
    low_level_dbfs: float = -45.0
    noise_snr_db: float = 10.0
    dropout_min_s: float = 0.15
    emotion_loudness_z: float = 1.5
    emotion_pitch_z: float = 1.5
    emotion_min_s: float = 1.0
    # Added for the detection rules (see reviewer_app/core/detect/rules/).
    overtalk_join_gap_s: float = 0.2  # overlaps closer than this are one overtalk
    fast_speech_max_pause_s: float = 2.0  # a longer gap between agent words counts only this long
    repetition_min_chars: int = 4  # n-gram length for Chinese (characters)
    repetition_min_count: int = 3  # times a phrase must be said within the window
    clipping_min_s: float = 0.25  # shortest run of clipped frames reported
    dropout_dbfs: float = -90.0  # frames at or below this are digital silence
    dropout_max_s: float = 2.0  # longer digital silence is a mute or hold, not a dropout
    noise_floor_dbfs: float = -35.0  # non-speech frames louder than this are noise
    noise_flatness: float = 0.45  # median spectral flatness of speech above this is noisy
    emotion_smooth_s: float = 0.5  # moving average over z-scores before thresholding
    emotion_join_s: float = 0.3  # aroused stretches closer than this are joined
    emotion_lexicon_near_s: float = 2.0  # a lexicon hit this close to arousal backs it up


@dataclass
class LexiconSettings:
    forbidden: list[str] = field(
        default_factory=lambda: [
            "not my problem", "shut up", "calm down", "that's not my job", "whatever",
            "you people", "i don't care", "闭嘴", "不关我的事", "爱买不买", "你听不懂吗",
        ]
    )
    greeting: list[str] = field(
        default_factory=lambda: [
            "thank you for calling", "thanks for calling", "how can i help", "how may i help",
            "good morning", "good afternoon", "good evening", "hello", "hi", "welcome",
            "customer service", "您好", "你好", "很高兴为您服务", "欢迎致电",
        ]
    )
    closing: list[str] = field(
        default_factory=lambda: [
            "have a nice day", "have a great day", "have a good day", "goodbye", "bye",
            "thank you for calling", "thanks for calling", "anything else", "take care",
            "再见", "祝您生活愉快", "感谢您的来电", "还有其他",
        ]
    )
    negative: list[str] = field(
        default_factory=lambda: [
            "ridiculous", "unacceptable", "terrible", "worst", "angry", "furious", "complaint",
            "this is a joke", "sick of", "fed up", "waste of time", "manager", "cancel",
            "投诉", "太差", "生气", "气死", "垃圾", "骗子", "退款",
        ]
    )


@dataclass
class ScoreSettings:
    # Points taken off per segment of a category, capped per category.
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "dead_air": 4, "overtalk": 2, "fast_speech": 3, "forbidden_phrase": 15,
            "missing_greeting": 10, "missing_closing": 10, "poor_audio": 2,
            "repetition": 2, "negative_emotion": 5,
        }
    )
    max_per_category: float = 25.0
    high_min: int = 85
    medium_min: int = 60


@dataclass
class ReviewerSettings:
    name: str = field(default_factory=lambda: os.environ.get("USER", "reviewer"))


FUSIONS = ("early", "late", "cross_attention")
FREEZES = ("encoder", "heads_only")


@dataclass
class ModelSettings:
    """The learned problem-segment model and its fine-tuning (see reviewer_app/core/training/)."""

    fusion: str = "cross_attention"  # early | late | cross_attention (a new fusion trains new layers)
    freeze: str = "encoder"  # encoder: only Whisper's encoder is frozen | heads_only: train the heads only
    min_labels_per_category: int = 20  # reviewed labels a category needs before the model replaces its rule
    epochs: int = 20
    lr: float = 1e-3
    weight_decay: float = 0.01
    dropout: float = 0.2
    patience: int = 4  # epochs without a better validation macro-F1 before stopping
    batch_size: int = 32
    val_fraction: float = 0.25  # share of the labelled calls kept for validation (whole calls)
    threshold: float = 0.5  # window probability at which a category is flagged
    device: str = "auto"  # auto (CUDA, then MPS, then CPU) | cpu | cuda | mps
    seed: int = 0

    def check(self) -> "ModelSettings":
        if self.fusion not in FUSIONS:
            raise SettingsError(f"model.fusion must be one of {', '.join(FUSIONS)}, got {self.fusion!r}")
        if self.freeze not in FREEZES:
            raise SettingsError(f"model.freeze must be one of {', '.join(FREEZES)}, got {self.freeze!r}")
        if self.device not in ("auto", "cpu", "cuda", "mps"):
            raise SettingsError(f"model.device must be auto, cpu, cuda or mps, got {self.device!r}")
        for name in ("epochs", "batch_size", "lr"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"model.{name} must be positive")
        if not 0 < self.val_fraction < 1 or not 0 < self.threshold < 1 or not 0 <= self.dropout < 1:
            raise SettingsError("model.val_fraction and model.threshold must be in (0, 1), model.dropout in [0, 1)")
        return self


@dataclass
class Settings:
    channels: ChannelSettings = field(default_factory=ChannelSettings)
    asr: AsrSettings = field(default_factory=AsrSettings)
    rules: RuleSettings = field(default_factory=RuleSettings)
    lexicon: LexiconSettings = field(default_factory=LexiconSettings)
    score: ScoreSettings = field(default_factory=ScoreSettings)
    reviewer: ReviewerSettings = field(default_factory=ReviewerSettings)
    model: ModelSettings = field(default_factory=ModelSettings)

    def validate(self) -> "Settings":
        roles = self.channels.roles
        if len(roles) != 2 or sorted(roles) != sorted([AGENT, CUSTOMER]):
            raise SettingsError(f"channels.roles must name 'customer' and 'agent' once each, got {roles}")
        unknown = set(self.score.weights) - set(CATEGORIES)
        if unknown:
            raise SettingsError(f"score.weights has unknown categories: {sorted(unknown)}")
        for name in ("dead_air_min_s", "overtalk_min_s", "fast_speech_wpm", "fast_speech_cpm"):
            if getattr(self.rules, name) <= 0:
                raise SettingsError(f"rules.{name} must be positive")
        self.model.check()
        return self


def _apply(section: Any, values: dict, where: str) -> None:
    known = {f.name: f for f in dataclasses.fields(section)}
    for key, value in values.items():
        if key not in known:
            raise SettingsError(f"{where}: unknown key '{key}'")
        current = getattr(section, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise SettingsError(f"{where}.{key} must be a table")
            _apply(current, value, f"{where}.{key}")
            continue
        if isinstance(current, bool) != isinstance(value, bool):
            raise SettingsError(f"{where}.{key} must be {type(current).__name__}, got {value!r}")
        if isinstance(current, float) and isinstance(value, int):
            value = float(value)
        if isinstance(current, dict) and isinstance(value, dict):
            value = {**current, **value}
        if type(current) is not type(value) and not (isinstance(current, float) and isinstance(value, float)):
            raise SettingsError(f"{where}.{key} must be {type(current).__name__}, got {value!r}")
        setattr(section, key, value)


def load_settings(path: str | Path | None = None) -> Settings:
    """Defaults, overridden by the TOML file at `path` when given."""
    settings = Settings()
    if path is None:
        return settings
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{path}: settings file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc})") from None
    try:
        _apply(settings, data, "settings")
        return settings.validate()
    except SettingsError as exc:
        raise SettingsError(f"{path}: {exc}") from None


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")


def dump_settings(settings: Settings) -> str:
    lines: list[str] = []
    for section in dataclasses.fields(settings):
        obj = getattr(settings, section.name)
        lines.append(f"[{section.name}]")
        tables = []
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if isinstance(value, dict):
                tables.append((f.name, value))
            else:
                lines.append(f"{f.name} = {_toml_value(value)}")
        for name, table in tables:
            lines.append(f"\n[{section.name}.{name}]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in table.items())
        lines.append("")
    return "\n".join(lines)


def save_settings(settings: Settings, path: str | Path) -> None:
    """Write atomically: a crash leaves the old file or the new one, never half."""
    write_text_atomic(path, dump_settings(settings))
