"""The project's segmentation model: a small MONAI 3D UNet, its one training loop and its
whole-volume inference. `jobs.train` (patches streamed from a dataset) and `jobs.evaluate`
(synthetic studies against real scans) both train through `fit` and predict through `predict`.

The loop runs epochs of a stream that has `set_epoch` (StudyStream, or `pipeline.evaluate.patches`)
until `steps` optimiser steps are done; `state` (step, epoch, losses) is a plain dict so a
checkpoint can hold it, and a run resumed mid-epoch does not restart its epoch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

import torch
from monai.inferers import sliding_window_inference
from monai.losses import DiceCELoss
from monai.networks.nets import UNet

from pipeline.errors import ConfigError

CHANNELS = (16, 32, 64, 128)


class Epochs(Protocol):
    def set_epoch(self, epoch: int) -> None: ...


def build(n_classes: int, channels: tuple[int, ...] = CHANNELS, in_channels: int = 1) -> UNet:
    """A 3D UNet with `n_classes` foreground classes (and background), one residual unit a level."""
    return UNet(
        spatial_dims=3,
        in_channels=in_channels,
        out_channels=n_classes + 1,
        channels=channels,
        strides=(2,) * (len(channels) - 1),
        num_res_units=1,
    )


def check_patch(patch: tuple[int, ...], channels: tuple[int, ...] = CHANNELS) -> None:
    """A patch the UNet of `channels` takes: each side a multiple of its total stride (or the skip
    connections misalign), and more than one voxel left at its deepest level (instance norm)."""
    stride = 2 ** (len(channels) - 1)
    text = ",".join(str(n) for n in patch)
    if any(n % stride for n in patch) or all(n == stride for n in patch):
        raise ConfigError(
            f"--patch: each side must be a multiple of {stride}, not all {stride}, "
            f"for a UNet of {len(channels)} levels; got {text}"
        )


def new_state() -> dict[str, Any]:
    return {"step": 0, "epoch": 0, "losses": []}


def fit(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loader: Iterable[dict[str, Any]],
    stream: Epochs,
    state: dict[str, Any],
    steps: int,
    device: torch.device,
    after_step: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Train until `state["step"]` reaches `steps` (Dice + cross-entropy on softmax outputs).
    `after_step(state)` runs after every step (logging, checkpoints)."""
    loss_fn = DiceCELoss(to_onehot_y=True, softmax=True)
    model.train()
    resumed_mid_epoch = state["step"] > 0
    while state["step"] < steps:
        if not resumed_mid_epoch:
            stream.set_epoch(state["epoch"])
        resumed_mid_epoch = False
        stepped = False
        for batch in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(batch["image"].to(device)), batch["label"].to(device))
            loss.backward()
            optimizer.step()
            state["step"] += 1
            state["losses"].append(loss.item())
            stepped = True
            if after_step is not None:
                after_step(state)
            if state["step"] >= steps:
                return
        if not stepped:  # an empty selection would otherwise loop for ever
            raise ConfigError("the training stream yielded no samples: select at least one study")
        state["epoch"] += 1


@torch.no_grad()
def predict(model: torch.nn.Module, image: torch.Tensor, patch: tuple[int, ...], device: torch.device) -> torch.Tensor:
    """Class index per voxel of `image` ([C, D, H, W]), by sliding windows of `patch` (overlap 0.25)."""
    model.eval()
    logits = sliding_window_inference(image[None].to(device), patch, 2, model, overlap=0.25)
    return logits.argmax(1)[0].cpu()
