"""MAISI's three networks and its rectified-flow scheduler, built from MAISI's own configuration.

`data/config_network_rflow.json` and `data/config_infer.json` are vendored verbatim from MAISI
(NV-Generate-CT); every hyper-parameter comes from them. Two settings there are run-time switches,
not architecture, and follow the device: flash attention and float16 group norms exist only on
CUDA. `tiny` is the same architecture with few channels, for CPU tests and the cost model.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import torch
from monai.networks.schedulers import RFlowScheduler
from torch import nn

NETWORKS = ("maisi", "tiny")
KINDS = ("autoencoder", "diffusion_unet", "controlnet")

# `tiny`: the MAISI networks with 8-16 channels and one residual block per level. Depth, latent
# channels, attention levels and the conditioning path are unchanged, so shapes behave as in MAISI.
TINY: dict[str, dict[str, Any]] = {
    "autoencoder": {"num_channels": [8, 8, 8], "num_res_blocks": [1, 1, 1], "norm_num_groups": 4},
    "diffusion_unet": {
        "num_channels": [8, 8, 16, 16],
        "num_head_channels": [0, 0, 8, 8],
        "num_res_blocks": 1,
        "norm_num_groups": 4,
    },
    "controlnet": {
        "num_channels": [8, 8, 16, 16],
        "num_head_channels": [0, 0, 8, 8],
        "num_res_blocks": 1,
        "norm_num_groups": 4,
        "conditioning_embedding_num_channels": [8, 8, 8],
    },
}


@cache
def maisi_config(name: str) -> dict[str, Any]:
    """One of MAISI's vendored JSON files (`config_network_rflow`, `config_infer`, `modality_mapping`)."""
    return json.loads(resources.files("models.maisi_ct").joinpath(f"data/{name}.json").read_text())


@dataclass(frozen=True)
class Definitions:
    """Constructor arguments of each network (with `_target_`), and what follows from them."""

    network: str
    nets: dict[str, dict[str, Any]]
    scheduler: dict[str, Any]

    @property
    def latent_channels(self) -> int:
        return int(self.nets["autoencoder"]["latent_channels"])

    @property
    def vae_stride(self) -> int:
        """Image voxels per latent voxel along each axis."""
        return 2 ** (len(self.nets["autoencoder"]["num_channels"]) - 1)

    @property
    def size_multiple(self) -> int:
        """Every output size must divide by this: the VAE stride times the UNet's downsamplings."""
        return self.vae_stride * 2 ** (len(self.nets["diffusion_unet"]["num_channels"]) - 1)


def definitions(network: str) -> Definitions:
    root = maisi_config("config_network_rflow")
    nets = {kind: _resolve(root[f"{kind}_def"], root) for kind in KINDS}
    if network == "tiny":
        nets = {kind: {**nets[kind], **TINY[kind]} for kind in KINDS}
    elif network != "maisi":
        raise ValueError(f"unknown network {network!r}")
    scheduler = _resolve(root["noise_scheduler"], root)
    return Definitions(network, nets, scheduler)


def build(defs: Definitions, kind: str, device: torch.device | str = "cpu") -> nn.Module:
    """One network, in evaluation mode, on `device` (`meta` builds the shapes without memory)."""
    args = dict(defs.nets[kind])
    module, _, name = args.pop("_target_").rpartition(".")
    cuda = torch.device(device).type == "cuda"
    if "use_flash_attention" in args:
        args["use_flash_attention"] = bool(args["use_flash_attention"]) and cuda
    if "norm_float16" in args:
        args["norm_float16"] = bool(args["norm_float16"]) and cuda
    if kind == "autoencoder":
        args["save_mem"] = cuda  # frees CUDA's cache between blocks, as MAISI does
    with torch.device(device):
        net = getattr(importlib.import_module(module), name)(**args)
    return net.eval()


def scheduler(defs: Definitions) -> RFlowScheduler:
    args = dict(defs.scheduler)
    args.pop("_target_")
    return RFlowScheduler(**args)


def _resolve(value: Any, root: dict[str, Any]) -> Any:
    """MAISI's `@name` references replaced by the top-level value they name."""
    if isinstance(value, dict):
        return {k: _resolve(v, root) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, root) for v in value]
    if isinstance(value, str) and value.startswith("@") and value[1:] in root:
        return root[value[1:]]
    return value
