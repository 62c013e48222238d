"""Typed settings with embedded defaults, loaded from and saved to TOML.

A TOML file only needs the keys it changes; an unknown section or key is an
error that names it, so a typo never silently falls back to a default.
"""
from __future__ import annotations

import dataclasses
import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewer_app.core.atomic import write_text_atomic
from reviewer_app.core.domain import AGENT, CATEGORIES, CUSTOMER
from reviewer_app.core.errors import SettingsError
from reviewer_app.core.messages import show_name, show_value


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
    crosstalk_margin_db: float = 15.0  # a channel this far below the other and a copy of it (coherence) is leakage
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
    poor_audio_join_s: float = 5.0  # poor_audio findings of one channel closer than this are one finding
    clipping_fraction: float = 0.01
    low_level_dbfs: float = -45.0
    noise_snr_db: float = 18.0  # speech level minus noise floor below this is noise: finds 15 dB SNR, spares 20 (was 10)
    dropout_min_s: float = 0.02  # packet loss drops 20 ms and up (was 0.15)
    emotion_loudness_z: float = 1.5
    emotion_pitch_z: float = 1.5  # unused since emotion_arousal_z; kept so older settings files still load
    emotion_arousal_z: float = 1.0  # mean of the pitch and vocal-effort z-scores above which a speaker is aroused
    emotion_min_s: float = 1.0
    # Added for the detection rules (see reviewer_app/core/detect/rules/).
    overtalk_join_gap_s: float = 0.7  # a pause shorter than this inside one side's talk does not end its turn
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
    # --- poor_audio below full scale and dead air at the edges (issue 9; see rules/poor_audio.py, dead_air.py)
    saturation_share: float = 0.05  # share of samples within 10% of the channel's peak, over the window, that is saturation
    saturation_window_s: float = 0.2  # window of that share
    repeat_min_s: float = 0.01  # shortest run of repeated (concealed) packets reported as a dropout
    repeat_max_s: float = 0.25  # longer repetition is a steady sound, not concealment
    low_level_relative_db: float = 20.0  # speech this far below the other side's is low level
    dead_air_count_edges: int = 0  # 1: silence before the first and after the last speech is dead air too
    # (an int, not a bool: the settings dialog edits every rule with a number box)
    noise_window_s: float = 1.5  # minimum-statistics window for noise under speech (longer than a word)
    noise_burst_rise_db: float = 10.0  # a local floor this far above the channel's usual one is a noise burst
    crackle_per_s: float = 5.0  # clicks a second (over 1 s) that make crackle; clean calls show at most 2
    # Overtalk and looped audio (issue 9; see detect/rules/overtalk.py and looped_audio.py).
    overtalk_backchannel_max_s: float = 1.0  # a burst this short over the other's speech, no real words: backchannel
    looped_audio_min_s: float = 0.5  # shortest piece of audio whose immediate replay counts as a loop
    looped_audio_max_lag_s: float = 5.0  # longest loop period (time from the piece to its replay) searched
    looped_audio_min_r: float = 0.85  # band-energy correlation of piece and replay (with the same pitch) for a loop
    # Phrase rules, repetition twice, fast speech (issue 9; see detect/text.py, detect/phonetic.py and
    # detect/rules/forbidden_phrase.py, greeting.py, closing.py, repetition.py, fast_speech.py).
    forbidden_min_match: float = 0.78  # weakest approximate (misheard) match reported as forbidden; exact is 1.0
    greeting_closing_min_match: float = 0.6  # weakest approximate match that counts as a greeting or closing
    repetition_twice_min_words: int = 4  # a phrase this long said twice in a row is a repetition
    repetition_twice_min_chars: int = 6  # the same for Chinese, in characters
    repetition_twice_max_gap_s: float = 2.0  # the second saying starts at most this long after the first ends
    repetition_twice_min_similarity: float = 0.8  # how alike the two sayings must be (1.0: the same words)
    fast_speech_syllables: int = 30  # syllable-rate window: this many syllables (characters for Chinese)
    fast_speech_relative: float = 1.3  # a window this many times the agent's usual syllable rate and over the limit
    fast_speech_syllables_per_s: float = 7.0  # faster than this is fast whatever the usual rate (English)
    fast_speech_baseline_min_s: float = 20.0  # agent speech needed before the usual rate is trusted


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
    advance_after_decision: bool = True  # C / R confirm or reject, then select and play the next finding


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
            raise SettingsError(f"model.fusion must be one of {', '.join(FUSIONS)}, got {show_value(self.fusion)}")
        if self.freeze not in FREEZES:
            raise SettingsError(f"model.freeze must be one of {', '.join(FREEZES)}, got {show_value(self.freeze)}")
        if self.device not in ("auto", "cpu", "cuda", "mps"):
            raise SettingsError(f"model.device must be auto, cpu, cuda or mps, got {show_value(self.device)}")
        check_section(self, "model")
        return self


@dataclass
class ClusterSettings:
    """Where the window's Import sends its analysis (the CLI's `analyze --cluster`)."""

    address: str = ""  # empty: analyse in this process | auto | HOST:PORT | ray://HOST:PORT (a Ray cluster)
    ship_audio: bool = False  # send the audio through Ray's object store (the workers need no shared disk)


PRIVACY_MODES = ("mute", "tone")
MAX_PADDING_S = 10.0


@dataclass
class PrivacySettings:
    """Personal data in calls (see reviewer_app/core/privacy/)."""

    redact: bool = False  # analysis stores only redacted transcripts, with where the data was (not what)
    padding_s: float = 0.25  # audio removed on each side of a span
    mode: str = "mute"  # mute | tone: what replaces a span in redacted audio
    patterns: list[str] = field(default_factory=list)  # more regular expressions to redact ("custom")
    second_hearings: int = 4  # stretches after a cue heard again biased to digits (privacy/redecode.py); 0: off

    def check(self) -> "PrivacySettings":
        import re

        if self.mode not in PRIVACY_MODES:
            raise SettingsError(f"privacy.mode must be one of {', '.join(PRIVACY_MODES)}, got {show_value(self.mode)}")
        if self.padding_s > MAX_PADDING_S:
            raise SettingsError(f"privacy.padding_s = {show_value(self.padding_s)}: must be ≤ {MAX_PADDING_S:g}")
        for n, pattern in enumerate(self.patterns):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise SettingsError(f"privacy.patterns[{n}] = {show_value(pattern)}: not a regular expression "
                                    f"({exc})") from None
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
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)

    def validate(self) -> "Settings":
        """Check every value (types, finite numbers, ranges, known roles and categories); raises
        SettingsError naming the key, the value and what it must be."""
        for section in dataclasses.fields(self):
            if section.name != "model":
                check_section(getattr(self, section.name), section.name)
        roles = self.channels.roles
        if len(roles) != 2 or sorted(roles) != sorted([AGENT, CUSTOMER]):
            raise SettingsError(f"channels.roles = {show_value(roles)}: must name 'customer' and 'agent' once each")
        unknown = set(self.score.weights) - set(CATEGORIES)
        if unknown:
            raise SettingsError(f"score.weights has unknown categories: {show_value(sorted(unknown))}")
        if self.score.medium_min > self.score.high_min:
            raise SettingsError(f"score.medium_min = {self.score.medium_min}: must not be above "
                                f"score.high_min ({self.score.high_min})")
        self.model.check()
        self.privacy.check()
        return self


# ---- value checks -------------------------------------------------------------------------------
# Every key is checked by its type: numbers finite (and in range), integers integers, lists lists of
# strings, tables of finite numbers, strings printable and of a sane length. RANGES gives the range
# of the keys whose meaning is known here; a key without an entry gets the range its name implies
# (SUFFIX_RANGES), so a key added to a section later is checked without touching this table.

DAY_S = 86_400.0


@dataclass(frozen=True)
class Bound:
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False  # the bound itself is not allowed
    hi_open: bool = False

    def holds(self, v: float) -> bool:
        if self.lo is not None and (v <= self.lo if self.lo_open else v < self.lo):
            return False
        return not (self.hi is not None and (v >= self.hi if self.hi_open else v > self.hi))

    def describe(self) -> str:
        lo = None if self.lo is None else f"{'>' if self.lo_open else '≥'} {self.lo:g}"
        hi = None if self.hi is None else f"{'<' if self.hi_open else '≤'} {self.hi:g}"
        return " and ".join(x for x in (lo, hi) if x) or "any value"


RANGES: dict[str, Bound] = {
    "asr.beam_size": Bound(1, 50),
    "asr.min_word_prob": Bound(0, 1),
    "privacy.second_hearings": Bound(0, 20),
    "asr.cpu_threads": Bound(0, 1024),
    "rules.dead_air_min_s": Bound(0.1, DAY_S),
    "rules.overtalk_min_s": Bound(0.05, DAY_S),
    "rules.fast_speech_wpm": Bound(1, 10_000),
    "rules.fast_speech_cpm": Bound(1, 20_000),
    "rules.fast_speech_window_s": Bound(1, DAY_S),
    "rules.fast_speech_min_words": Bound(1, 100_000),
    "rules.repetition_min_words": Bound(1, 1000),
    "rules.repetition_min_chars": Bound(1, 1000),
    "rules.repetition_min_count": Bound(2, 1000),
    "rules.clipping_fraction": Bound(0, 1),
    "rules.noise_flatness": Bound(0, 1),
    "score.max_per_category": Bound(0, 100),
    "score.high_min": Bound(0, 100),
    "score.medium_min": Bound(0, 100),
    "model.min_labels_per_category": Bound(0, 1_000_000_000),
    "model.epochs": Bound(1, 100_000),
    "model.lr": Bound(0, 10, lo_open=True),
    "model.weight_decay": Bound(0, 10),
    "model.dropout": Bound(0, 1, hi_open=True),
    "model.patience": Bound(0, 100_000),
    "model.batch_size": Bound(1, 1 << 16),
    "model.val_fraction": Bound(0, 1, lo_open=True, hi_open=True),
    "model.threshold": Bound(0, 1, lo_open=True, hi_open=True),
    "model.seed": Bound(0, 2**32 - 1),
}

# The range a key's name implies, first match wins; numbers matching none need only be finite.
SUFFIX_RANGES: tuple[tuple[str, Bound], ...] = (
    ("_window_s", Bound(0, DAY_S, lo_open=True)),  # a window of no length finds everything or nothing
    ("_s", Bound(0, DAY_S)),
    ("_dbfs", Bound(-400, 0)),
    ("_db", Bound(0, 400)),
    ("_fraction", Bound(0, 1)),
    ("_share", Bound(0, 1)),
    ("_prob", Bound(0, 1)),
    ("_match", Bound(0, 1)),
    ("_similarity", Bound(0, 1)),
    ("_r", Bound(-1, 1)),
    ("_z", Bound(0, 1000)),
    ("_wpm", Bound(1, 100_000)),
    ("_cpm", Bound(1, 100_000)),
    ("_words", Bound(1, 1_000_000)),
    ("_count", Bound(1, 1_000_000)),
    ("_chars", Bound(1, 1_000_000)),
)
INT_DEFAULT = Bound(0, 1_000_000_000)
WEIGHT = Bound(0, 100)
MAX_TEXT = 4096  # a setting string longer than this is a mistake (or an attack on the log)
MAX_PHRASE = 500
MAX_PHRASES = 10_000


def bound_for(key: str, value: float) -> Bound | None:
    """The range of `section.name` (RANGES, else by its name's ending, else ≥ 0 for integers)."""
    if key in RANGES:
        return RANGES[key]
    name = key.rsplit(".", 1)[-1]
    for suffix, bound in SUFFIX_RANGES:
        if name.endswith(suffix):
            return bound
    return INT_DEFAULT if isinstance(value, int) else None


def _fail(key: str, value: Any, must: str) -> SettingsError:
    return SettingsError(f"{key} = {show_value(value)}: must be {must}")


def _check_number(key: str, value: Any, kind: type) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(key, value, "an integer" if kind is int else "a number")
    if kind is int and not isinstance(value, int):
        raise _fail(key, value, "an integer")
    bound = bound_for(key, value)
    noun = "an integer" if kind is int else "a finite number"
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail(key, value, noun + (f" {bound.describe()}" if bound else ""))
    if bound is not None and not bound.holds(value):
        raise _fail(key, value, f"{noun} {bound.describe()}")


def _check_text(key: str, value: Any, limit: int = MAX_TEXT) -> None:
    if not isinstance(value, str):
        raise _fail(key, value, "a string")
    if len(value) > limit:
        raise SettingsError(f"{key}: a string of {len(value)} characters; at most {limit}")
    if not value.isprintable():
        raise _fail(key, value, "printable text (no control characters)")


def check_section(section: Any, name: str) -> None:
    """Check every value of one settings section by the type of its default (see RANGES)."""
    defaults = type(section)()
    for f in dataclasses.fields(section):
        key, value, default = f"{name}.{f.name}", getattr(section, f.name), getattr(defaults, f.name)
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise _fail(key, value, "true or false")
        elif isinstance(default, (int, float)):
            _check_number(key, value, int if isinstance(default, int) else float)
        elif isinstance(default, str):
            _check_text(key, value)
        elif isinstance(default, list):
            if not isinstance(value, list) or len(value) > MAX_PHRASES:
                raise _fail(key, value, f"a list of at most {MAX_PHRASES} strings")
            for n, item in enumerate(value):
                _check_text(f"{key}[{n}]", item, MAX_PHRASE)
                if not item.strip():
                    raise _fail(f"{key}[{n}]", item, "a non-empty phrase")
        elif isinstance(default, dict):
            if not isinstance(value, dict):
                raise _fail(key, value, "a table")
            for k, v in value.items():
                _check_text(f"{key} key", k, 100)
                number = isinstance(v, (int, float)) and not isinstance(v, bool)
                if not number or not math.isfinite(v) or not WEIGHT.holds(v):
                    raise _fail(f"{key}.{k}", v, f"a finite number {WEIGHT.describe()}")
    if name == "asr" and section.device not in ("auto", "cpu", "cuda"):
        raise _fail("asr.device", section.device, "auto, cpu or cuda")
    if name == "reviewer" and not section.name.strip():
        raise _fail("reviewer.name", section.name, "a non-empty name (it is written with every label)")


def _apply(section: Any, values: dict, where: str = "") -> None:
    known = {f.name: f for f in dataclasses.fields(section)}
    for name, value in values.items():
        if name not in known:
            raise SettingsError(f"{where or 'settings'}: unknown key {show_value(name)}")
        key = f"{where}.{name}" if where else name
        current = getattr(section, name)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise SettingsError(f"{key} must be a table")
            _apply(current, value, key)
            continue
        if isinstance(current, bool) != isinstance(value, bool):
            raise SettingsError(f"{key} must be {type(current).__name__}, got {show_value(value)}")
        if isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
            try:
                value = float(value)
            except OverflowError:
                raise SettingsError(f"{key} = {show_value(value)}: must be a finite number") from None
        if isinstance(current, dict) and isinstance(value, dict):
            value = {**current, **value}
        if type(current) is not type(value) and not (isinstance(current, float) and isinstance(value, float)):
            raise SettingsError(f"{key} must be {type(current).__name__}, got {show_value(value)}")
        setattr(section, name, value)


_UNITS = (  # a setting's name ending -> its unit, as the settings dialog shows it
    ("_dbfs", "dBFS"), ("_db", "dB"), ("_syllables_per_s", "syllables/s"), ("_per_s", "per s"),
    ("_wpm", "words/min"), ("_cpm", "characters/min"), ("_s", "s"), ("_z", "z-score"), ("_fraction", "0–1"), ("_share", "0–1"),
    ("_similarity", "0–1"), ("_match", "0–1"), ("_r", "correlation, 0–1"), ("_hz", "Hz"),
)
_NAMED = {"max_per_category": "Most points off per category", "high_min": "High grade from (score)",
          "medium_min": "Medium grade from (score)"}
_WORDS = {"dbfs": "dBFS", "db": "dB", "wpm": "", "cpm": "", "snr": "SNR", "asr": "ASR", "min": "min."}


def setting_label(name: str) -> str:
    """A readable label with its unit: crosstalk_margin_db -> "Crosstalk margin (dB)",
    dead_air_min_s -> "Dead air min. (s)", fast_speech_wpm -> "Fast speech (words/min)"."""
    if name in _NAMED:
        return _NAMED[name]
    unit = ""
    for suffix, text in _UNITS:
        if name.endswith(suffix):
            unit, name = text, name[: -len(suffix)] if suffix not in ("_fraction", "_share", "_similarity",
                                                                      "_match") else name
            break
    words = [_WORDS.get(w, w) for w in name.split("_") if _WORDS.get(w, w)]
    text = " ".join(words) or name
    text = text[:1].upper() + text[1:]
    return f"{text} ({unit})" if unit else text


def load_settings(path: str | Path | None = None) -> Settings:
    """Defaults, overridden by the TOML file at `path` when given."""
    settings = Settings()
    if path is None:
        return settings
    path = Path(path)
    shown = show_name(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError(f"{shown}: settings file not found") from None
    except UnicodeDecodeError as exc:
        raise SettingsError(f"{shown}: not valid TOML ({exc})") from None
    except (OSError, ValueError) as exc:  # a folder, no permission, a name the system refuses
        reason = getattr(exc, "strerror", None) or exc
        raise SettingsError(f"{shown}: cannot read the settings file ({reason})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{shown}: not valid TOML ({exc})") from None
    except ValueError as exc:  # e.g. an integer over Python's 4,300-digit limit
        raise SettingsError(f"{shown}: not valid TOML ({str(exc).split(';')[0]})") from None
    except RecursionError:
        raise SettingsError(f"{shown}: not valid TOML (nested too deeply)") from None
    try:
        _apply(settings, data)
        return settings.validate()
    except SettingsError as exc:
        raise SettingsError(f"{shown}: {exc}") from None


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
