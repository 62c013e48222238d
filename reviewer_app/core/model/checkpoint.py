"""Model checkpoints: weights as safetensors (never pickled code) plus a JSON of metadata.

`<stem>.safetensors` holds only tensors; `<stem>.json` holds the model config,
the sha256 of the weights file, and what the run measured (label counts,
metrics, device, duration). Loading checks the sha256 before reading a byte of
the weights, so a tampered or truncated file is a clear ModelError, not a crash
or a silently different model.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from reviewer_app.core.atomic import atomic_path
from reviewer_app.core.checksums import sha256_of_file
from reviewer_app.core.errors import ModelError
from reviewer_app.core.messages import one_line, show_value

if TYPE_CHECKING:  # torch is imported only when a model is saved or loaded
    from reviewer_app.core.model.network import ModelConfig, ProblemSegmentModel

FORMAT = "reviewer-app-model/1"


@dataclass(eq=False)
class LoadedModel:
    model: ProblemSegmentModel
    meta: dict = field(default_factory=dict)
    path: Path | None = None  # the .safetensors file

    @property
    def config(self) -> ModelConfig:
        return self.model.config

    @property
    def version(self) -> str:
        return str(self.meta.get("version", "unknown"))

    @property
    def label_counts(self) -> dict[str, int]:
        return {k: int(v) for k, v in (self.meta.get("label_counts") or {}).items()}


def file_sha256(path: Path) -> str:
    return sha256_of_file(path)


def meta_path(weights: Path) -> Path:
    return weights.with_suffix(".json")


def _atomic_write(path: Path, write) -> None:
    with atomic_path(path) as tmp:
        write(str(tmp))


def save_checkpoint(model: ProblemSegmentModel, weights: Path, meta: dict) -> dict:
    """Write weights (float16) and metadata; returns the metadata written (with the sha256)."""
    import torch
    from safetensors.torch import save_file

    weights = Path(weights)
    state = {k: (v.detach().to("cpu", torch.float16) if v.is_floating_point() else v.detach().cpu())
             .contiguous() for k, v in model.state_dict().items()}
    _atomic_write(weights, lambda tmp: save_file(state, tmp, metadata={"format": FORMAT}))
    meta = dict(meta, format=FORMAT, config=model.config.as_dict(), weights_sha256=file_sha256(weights),
                weights_file=weights.name)

    def write_json(tmp: str) -> None:
        Path(tmp).write_text(json.dumps(meta, indent=1, sort_keys=True), encoding="utf-8")

    _atomic_write(meta_path(weights), write_json)
    return meta


def read_meta(weights: Path) -> dict:
    path = meta_path(Path(weights))
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: model metadata not found") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # ValueError: bad JSON, an over-long integer
        raise ModelError(f"{path}: unreadable model metadata ({one_line(exc, 200)})") from None
    except RecursionError:
        raise ModelError(f"{path}: unreadable model metadata (nested too deeply)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelError(f"{path}: not a reviewer-app model "
                         f"(format {show_value(meta.get('format')) if isinstance(meta, dict) else '?'})")
    return meta


def check_recorded_sha256(weights: Path, actual: str, recorded: str | None) -> None:
    """The weights must be the file the database recorded when the version was registered: a
    replaced file with its model.json rewritten to match still fails here."""
    if recorded and actual != recorded:
        raise ModelError(f"{weights}: weights sha256 {actual[:12]}… differ from the sha256 recorded in the "
                         f"database when this version was registered ({recorded[:12]}…): the file was replaced")


def load_checkpoint(weights: Path, device: str = "cpu", recorded_sha256: str | None = None) -> LoadedModel:
    """Verify and load; raises ModelError naming the file and what is wrong. `recorded_sha256` is the
    weights' sha256 as the database recorded it (a trained version); the file must have it too."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from reviewer_app.core.model.network import ModelConfig, ProblemSegmentModel

    weights = Path(weights)
    meta = read_meta(weights)
    if not weights.is_file():
        raise ModelError(f"{weights}: model weights not found")
    actual = file_sha256(weights)
    if actual != meta.get("weights_sha256"):
        raise ModelError(f"{weights}: weights do not match their metadata (sha256 {actual[:12]}…, expected "
                         f"{str(meta.get('weights_sha256'))[:12]}…): the file is damaged or was changed")
    check_recorded_sha256(weights, actual, recorded_sha256)
    try:
        config = ModelConfig.from_dict(meta["config"])
        state = load_file(str(weights), device="cpu")
    except (SafetensorError, KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{weights}: cannot read the model ({exc})") from None
    model = ProblemSegmentModel(config)
    try:
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise ModelError(f"{weights}: weights do not fit the model ({first})") from None
    model.to(device).eval()
    return LoadedModel(model, meta, weights)


def transfer_weights(target: ProblemSegmentModel, source: ProblemSegmentModel) -> list[str]:
    """Copy the branches' parameters whose name and shape match (another fusion: new heads)."""
    mine = target.state_dict()
    copied = []
    for name, value in source.state_dict().items():
        if name.startswith("head"):
            continue
        if name in mine and mine[name].shape == value.shape:
            mine[name] = value.detach().clone().to(mine[name].dtype)
            copied.append(name)
    target.load_state_dict(mine)
    return copied
