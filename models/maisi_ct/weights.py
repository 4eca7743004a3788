"""MAISI checkpoints: which files, how they are checked before any work, loaded, and written.

A weights folder holds MAISI's three released files under their released names, so a folder
downloaded with MAISI's own `download_model_data` works as it is:

    autoencoder_v1.pt           the autoencoder's state dict (or {"unet_state_dict": ...})
    diff_unet_3d_rflow-ct.pt    {"unet_state_dict": ..., "scale_factor": tensor}
    controlnet_3d_rflow-ct.pt   {"controlnet_state_dict": ...}

Every file is opened with `torch.load(..., weights_only=True)`, memory-mapped for the check so a
driver checks a multi-GB folder in about a second. The ControlNet starts from the diffusion
UNet's weights (MAISI's `copy_model_state`), so a key it lacks is fine if the UNet has it with the
same shape.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from models.errors import ParamError, first_line
from models.maisi_ct.networks import KINDS, Definitions, build

FIELD = "params.weights_dir"
FILES = {
    "autoencoder": "autoencoder_v1.pt",
    "diffusion_unet": "diff_unet_3d_rflow-ct.pt",
    "controlnet": "controlnet_3d_rflow-ct.pt",
}
STATE_KEYS = {
    "autoencoder": "unet_state_dict",
    "diffusion_unet": "unet_state_dict",
    "controlnet": "controlnet_state_dict",
}
RANDOM_SEED = 0  # random weights (weights_dir null) are always these


@dataclass(frozen=True)
class Checkpoints:
    states: dict[str, dict[str, torch.Tensor]]
    scale_factor: float


def read(folder: Path) -> Checkpoints:
    """The three state dicts of `folder`; `ParamError` naming the folder or file otherwise."""
    if not folder.is_dir():
        raise ParamError(FIELD, f"{folder} is not a folder (it must hold {', '.join(FILES.values())})")
    missing = [name for name in FILES.values() if not (folder / name).is_file()]
    if missing:
        raise ParamError(FIELD, f"{folder} lacks {', '.join(missing)} (expected {', '.join(FILES.values())})")
    raw = {kind: _load(folder / FILES[kind]) for kind in KINDS}
    states = {kind: _state(kind, folder / FILES[kind], raw[kind]) for kind in KINDS}
    scale = raw["diffusion_unet"].get("scale_factor") if isinstance(raw["diffusion_unet"], dict) else None
    if scale is None:
        raise ParamError(FIELD, f"{folder / FILES['diffusion_unet']} has no scale_factor")
    return Checkpoints(states, float(torch.as_tensor(scale).float()))


def check(checkpoints: Checkpoints, defs: Definitions, folder: Path) -> None:
    """Every parameter of every network is in its file with the right shape, or `ParamError`."""
    unet = checkpoints.states["diffusion_unet"]
    for kind in KINDS:
        expected = build(defs, kind, "meta").state_dict()
        given = checkpoints.states[kind]
        fallback = _shared(unet, expected) if kind == "controlnet" else {}
        missing = [k for k in expected if k not in given and k not in fallback]
        wrong = [
            f"{k} {tuple(given[k].shape)} != {tuple(v.shape)}"
            for k, v in expected.items()
            if k in given and tuple(given[k].shape) != tuple(v.shape)
        ]
        if missing or wrong:
            detail = f"{len(missing)} missing keys (first {missing[0]})" if missing else ""
            if wrong:
                detail += ("; " if detail else "") + f"{len(wrong)} shapes differ (first {wrong[0]})"
            where = folder / FILES[kind]
            raise ParamError(FIELD, f"{where} does not fit network {defs.network!r}: {detail} (wrong file or network?)")


def load(nets: dict[str, nn.Module], checkpoints: Checkpoints) -> None:
    """Copy checked weights into the networks (MAISI's order: the ControlNet from the UNet first)."""
    nets["autoencoder"].load_state_dict(checkpoints.states["autoencoder"])
    nets["diffusion_unet"].load_state_dict(checkpoints.states["diffusion_unet"], strict=False)
    control = nets["controlnet"]
    control.load_state_dict(_shared(checkpoints.states["diffusion_unet"], control.state_dict()), strict=False)
    control.load_state_dict(checkpoints.states["controlnet"], strict=False)


def randomise(nets: dict[str, nn.Module]) -> None:
    """Reproducible random weights: the same for every worker and every run."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(RANDOM_SEED)
        for kind in KINDS:
            for name, tensor in sorted(nets[kind].state_dict().items()):
                if tensor.is_floating_point() and not name.endswith(("running_mean", "running_var")):
                    _fill(name, tensor)


def save(nets: dict[str, nn.Module], scale_factor: float, folder: Path) -> None:
    """Write `nets` as a MAISI weights folder (tests, fine-tuned models)."""
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(nets["autoencoder"].state_dict(), folder / FILES["autoencoder"])
    torch.save(
        {"unet_state_dict": nets["diffusion_unet"].state_dict(), "scale_factor": torch.tensor(scale_factor)},
        folder / FILES["diffusion_unet"],
    )
    torch.save({"controlnet_state_dict": nets["controlnet"].state_dict()}, folder / FILES["controlnet"])


def fingerprint(folder: Path) -> str:
    """SHA-256 over the three files, in a fixed order: which weights made a dataset."""
    digest = hashlib.sha256()
    for kind in KINDS:
        with open(folder / FILES[kind], "rb") as f:
            while block := f.read(1 << 24):
                digest.update(block)
    return digest.hexdigest()


def _shared(unet: dict[str, torch.Tensor], control: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """What the ControlNet takes from the UNet: same name and shape (MONAI's `copy_model_state`)."""
    return {k: v for k, v in unet.items() if k in control and tuple(control[k].shape) == tuple(v.shape)}


def _load(path: Path) -> Any:
    try:
        try:
            return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as exc:
            if "mmap" not in str(exc):
                raise
            return torch.load(path, map_location="cpu", weights_only=True)  # legacy (non-zip) format
    except Exception as exc:  # torch raises many types for bytes that are not a checkpoint
        reason = first_line(exc)
        raise ParamError(FIELD, f"{path} is not a checkpoint torch.load(weights_only=True) reads ({reason})") from None


def _state(kind: str, path: Path, raw: Any) -> dict[str, torch.Tensor]:
    state = raw.get(STATE_KEYS[kind], raw) if isinstance(raw, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ParamError(FIELD, f"{path} holds no {kind} state dict (MAISI's format: docs/generators/maisi_ct.md)")
    return state


def _fill(name: str, tensor: torch.Tensor) -> None:
    """Small weights keep 30 random steps and the decoder finite; norms start at identity."""
    if tensor.ndim == 1:
        tensor.copy_(torch.ones_like(tensor) if name.endswith(".weight") else torch.zeros_like(tensor))
    else:
        fan_in = max(1, tensor[0].numel())
        tensor.copy_(torch.randn(tensor.shape, dtype=torch.float32).to(tensor.dtype) / fan_in**0.5)
