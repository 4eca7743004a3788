"""Batch-invariant execution of MAISI's denoising networks: a study's bytes must not depend on the
batch it was sampled in.

Most layers of the diffusion UNet and the ControlNet treat each sample of a batch on its own with
the same arithmetic whatever the batch size (group norms, activations, attention over one sample's
tokens, the scheduler step). Two kinds do not: a matrix product picks its kernel, and so the order
of its sums, by the size of the batch. Measured on the CPU with the tiny networks (torch 2.13,
oneDNN on): `Linear` layers (the time, class and spacing embeddings) and oneDNN's `Conv3d` give a
sample other low bits in a batch of 4 than alone, up to 2e-5, and the latent after two steps moves
by 3e-6, which is 809 voxels of a 256 x 256 x 32 image off by 1 HU after rounding. Those layers are
therefore run one sample at a time (`SPLIT`): a batch of one calls them exactly as before, so
a study sampled alone keeps the bytes it had before batching existed.

On CUDA the convolutions stay batched (they are the work a batch is meant to share) under
deterministic cuDNN. Whether cuDNN picks the same arithmetic for every batch size is not
assumed: `check` compares the first step of each new batch shape with its first sample alone,
bit for bit, and the sampler falls back to one sample at a time where they differ.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

import torch
from torch import nn

# The layers run one sample at a time, per device type; any other device splits both.
SPLIT: dict[str, tuple[type[nn.Module], ...]] = {
    "cpu": (nn.Linear, nn.Conv3d),
    "cuda": (nn.Linear,),
}


class BatchVariance(Exception):
    """A batch gave a sample other bits than sampling it alone."""

    def __init__(self, shape: tuple[int, ...], difference: float) -> None:
        super().__init__(f"batch of shape {list(shape)} differs from its first sample alone by up to {difference:.3g}")
        self.difference = difference


def make_batch_invariant(nets: Iterable[nn.Module], device: torch.device) -> None:
    """Run the layers that choose their arithmetic by batch size one sample at a time."""
    kinds = SPLIT.get(device.type, (nn.Linear, nn.Conv3d))
    for net in nets:
        for module in net.modules():
            if isinstance(module, kinds) and not getattr(module.forward, "per_sample", False):
                module.forward = _per_sample(module.forward)


def check(batched: torch.Tensor, alone: torch.Tensor) -> None:
    """Raise `BatchVariance` unless the first sample of `batched` has exactly the bits of `alone`."""
    if not torch.equal(batched[:1], alone):
        difference = float((batched[:1].float() - alone.float()).abs().max())
        raise BatchVariance(tuple(batched.shape), difference)


def _per_sample(forward: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    @functools.wraps(forward)
    def run(x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        if x.shape[0] == 1:
            return forward(x, *args, **kwargs)
        return torch.cat([forward(x[i : i + 1], *args, **kwargs) for i in range(x.shape[0])])

    run.per_sample = True  # type: ignore[attr-defined]
    return run
