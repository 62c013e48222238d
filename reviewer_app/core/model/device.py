"""Pick the torch device: CUDA, then Apple's MPS, then the CPU; and name it for the user."""
from __future__ import annotations

from reviewer_app.core.errors import ReviewerError


def pick_torch_device(requested: str = "auto") -> str:
    import torch

    if requested == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
        return "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise ReviewerError("--device cuda: no CUDA GPU is available to torch on this machine")
    if requested == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ReviewerError("device mps: Apple's Metal backend is not available on this machine")
    if requested not in ("cpu", "cuda", "mps"):
        raise ReviewerError(f"unknown device {requested!r}: use auto, cpu, cuda or mps")
    return requested


def describe_device(device: str) -> str:
    """What to show the user, e.g. 'cuda (NVIDIA H100 80GB HBM3)' or 'cpu (2 threads)'."""
    import torch

    if device.startswith("cuda"):
        return f"cuda ({torch.cuda.get_device_name(0)})"
    if device == "mps":
        return "mps (Apple GPU)"
    return f"cpu ({torch.get_num_threads()} threads)"


def uses_amp(device: str) -> bool:
    """Mixed precision on CUDA only (MPS and CPU train in float32)."""
    return device.startswith("cuda")
