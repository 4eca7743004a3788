"""MAISI's image-from-mask sampling: rectified flow in latent space, then the autoencoder decode.

The loop is MAISI's (`ldm_conditional_sample_one_image`), run over a batch of images: at each of
the scheduler's timesteps the ControlNet turns (latent, label code, modality) into residuals for
the diffusion UNet, which also sees the voxel spacing; the scheduler steps along the predicted
velocity. One change, exact: the ControlNet's embedding of the label code does not depend on the
timestep, so it is computed once per label map instead of once per step. A batch runs so that
each image gets the bits it gets alone (`models.maisi_ct.invariant`); each is decoded on its own.
Output: MAISI's intensity, [0, 1] mapped to [-1000, 1000] HU.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import torch
from monai.apps.generation.maisi.networks.autoencoderkl_maisi import MaisiConvolution
from monai.inferers.inferer import SlidingWindowInferer
from torch import nn

from models.maisi_ct import invariant
from models.maisi_ct.conditioning import encode_labels
from models.maisi_ct.networks import Definitions, scheduler
from models.maisi_ct.sizing import DecodePlan

log = logging.getLogger(__name__)

HU_MIN, HU_MAX = -1000.0, 1000.0


@dataclass(frozen=True)
class Draw:
    """One image to sample: its label map (MAISI axes), spacing (mm, x y z), modality code and
    initial latent noise."""

    label_xyz: np.ndarray
    spacing_xyz: tuple[float, float, float]
    modality: int
    noise: np.ndarray


@dataclass
class Timing:
    steps_s: float = 0.0
    decode_s: float = 0.0


class Sampler:
    """The three networks on one device, loaded once, used for every study a worker makes."""

    def __init__(
        self,
        defs: Definitions,
        nets: dict[str, nn.Module],
        scale_factor: float,
        device: torch.device,
        cache_condition: bool = True,  # False: MAISI's loop as published (for the benchmark's baseline)
    ) -> None:
        self.defs = defs
        self.cache_condition = cache_condition
        self.nets = nets
        self.scale_factor = scale_factor
        self.device = device
        self.cuda = device.type == "cuda"
        self.dtype = torch.float16 if self.cuda else torch.float32  # MAISI runs in float16 under autocast
        if self.cuda:  # as MAISI's inference does (MONAI's set_determinism): same GPU, same bytes
            torch.backends.cudnn.deterministic = True
            torch.backends.cudnn.benchmark = False
        invariant.make_batch_invariant((nets["controlnet"], nets["diffusion_unet"]), device)
        self.invariant: dict[tuple[int, ...], bool] = {}  # batch shape -> checked bit-exact on this device

    def latent_shape(self, size_xyz: tuple[int, int, int]) -> tuple[int, int, int, int]:
        stride = self.defs.vae_stride
        return (self.defs.latent_channels, *(n // stride for n in size_xyz))  # type: ignore[return-value]

    def sample(
        self,
        label_xyz: np.ndarray,
        spacing_xyz: tuple[float, float, float],
        modality: int,
        noise: np.ndarray,
        steps: int,
        plan: DecodePlan,
        timing: Timing | None = None,
    ) -> np.ndarray:
        """HU image (float32, x, y, z) for a uint8 label map; `noise` is the initial latent."""
        draw = Draw(label_xyz, spacing_xyz, modality, noise)
        return self.sample_batch([draw], steps, plan, [timing if timing is not None else Timing()])[0]

    def sample_batch(
        self, draws: Sequence[Draw], steps: int, plan: DecodePlan, timings: Sequence[Timing]
    ) -> list[np.ndarray]:
        """One HU image per draw (all of one latent shape), denoised together in one batch and
        decoded one by one. Each image has the bytes it has when sampled alone."""
        started = _now(self.device)
        latents = self.denoise_batch(draws, steps)
        share = (_now(self.device) - started) / len(draws)
        images = []
        for latent, timing in zip(latents, timings, strict=True):
            timing.steps_s += share
            started = _now(self.device)
            images.append(self.decode(latent[None], plan))
            timing.decode_s += _now(self.device) - started
        return images

    def denoise(
        self,
        label_xyz: np.ndarray,
        spacing_xyz: tuple[float, float, float],
        modality: int,
        noise: np.ndarray,
        steps: int,
    ) -> torch.Tensor:
        """The latent after `steps` rectified-flow steps from `noise`, conditioned on the labels."""
        return self.denoise_batch([Draw(label_xyz, spacing_xyz, modality, noise)], steps)

    def denoise_batch(self, draws: Sequence[Draw], steps: int) -> torch.Tensor:
        """The latents (one per draw, in order) after `steps` steps, as one batch where the device
        gives every sample the bits it has alone (`invariant.check`), else one by one."""
        shape = (len(draws), *draws[0].noise.shape)
        if len(draws) > 1 and self.invariant.get(shape) is False:
            return torch.cat([self.denoise_batch([draw], steps) for draw in draws])
        with torch.inference_mode(), self._autocast():
            try:
                latents = self._denoise(draws, steps, check=len(draws) > 1 and shape not in self.invariant)
            except invariant.BatchVariance as found:
                log.warning("maisi_ct: %s on %s; sampling one at a time", found, self.device)
                self.invariant[shape] = False
                return self.denoise_batch(draws, steps)
        if len(draws) > 1:
            self.invariant[shape] = True
        return latents

    def decode(self, latents: torch.Tensor, plan: DecodePlan) -> np.ndarray:
        """The latent as an HU image (float32, x, y, z), clipped to MAISI's [-1000, 1000]."""
        with torch.inference_mode(), self._autocast():
            image = self._decode(latents, plan)
        image = torch.clip(image.float(), 0.0, 1.0) * (HU_MAX - HU_MIN) + HU_MIN
        return image[0, 0].numpy()

    def _denoise(self, draws: Sequence[Draw], steps: int, check: bool) -> torch.Tensor:
        controlnet, unet = self.nets["controlnet"], self.nets["diffusion_unet"]
        condition = self._conditions(draws)
        latents = torch.from_numpy(np.stack([d.noise for d in draws])).to(self.device, self.dtype)
        classes = torch.tensor([d.modality for d in draws], dtype=torch.long, device=self.device)
        spacing = (torch.tensor([d.spacing_xyz for d in draws], dtype=torch.float32) * 1e2).to(self.device, self.dtype)
        flow = scheduler(self.defs)
        flow.set_timesteps(num_inference_steps=steps, input_img_size_numel=math.prod(latents.shape[-3:]))
        timesteps = flow.timesteps
        following = torch.cat((timesteps[1:], torch.tensor([0], dtype=timesteps.dtype)))

        def velocity(x: torch.Tensor, t: torch.Tensor, at: slice) -> torch.Tensor:
            when = torch.full((x.shape[0],), float(t), device=self.device)
            if self.cache_condition:
                down, mid = control_residuals(controlnet, x, when, condition[at], classes[at])
            else:
                down, mid = controlnet(x=x, timesteps=when, controlnet_cond=condition[at], class_labels=classes[at])
            return unet(
                x=x,
                timesteps=when,
                spacing_tensor=spacing[at],
                class_labels=classes[at],
                down_block_additional_residuals=down,
                mid_block_additional_residual=mid,
            )

        every = slice(None)
        for i, (t, next_t) in enumerate(zip(timesteps, following, strict=True)):
            v = velocity(latents, t, every)
            if check and i == 0:  # the first sample alone, bit for bit
                invariant.check(v, velocity(latents[:1], t, slice(0, 1)))
            latents, _ = flow.step(v, t, latents, next_t)
        return latents

    def _conditions(self, draws: Sequence[Draw]) -> torch.Tensor:
        """Each draw's label code (embedded once per label map: the series of a study share it)."""
        controlnet = self.nets["controlnet"]
        done: dict[int, torch.Tensor] = {}
        for draw in draws:
            if id(draw.label_xyz) not in done:
                code = encode_labels(torch.from_numpy(draw.label_xyz).to(self.device)).to(self.dtype)
                # The code itself is freed: 8 planes of the full image size.
                done[id(draw.label_xyz)] = controlnet.controlnet_cond_embedding(code) if self.cache_condition else code
        return torch.cat([done[id(draw.label_xyz)] for draw in draws])

    def _decode(self, latents: torch.Tensor, plan: DecodePlan) -> torch.Tensor:
        """Latent -> image in [0, 1]-ish, assembled on the CPU so only windows occupy the GPU."""
        autoencoder = self.nets["autoencoder"]
        for module in autoencoder.modules():
            if isinstance(module, MaisiConvolution):
                module.num_splits = plan.num_splits

        def decode(z: torch.Tensor) -> torch.Tensor:
            return autoencoder.decode_stage_2_outputs(z / self.scale_factor)

        if math.prod(latents.shape[2:]) <= math.prod(plan.roi):
            return decode(latents).cpu()
        roi = [min(r, n) for r, n in zip(plan.roi, latents.shape[2:], strict=True)]
        inferer = SlidingWindowInferer(
            roi_size=roi,
            sw_batch_size=1,
            overlap=plan.overlap,
            mode="gaussian",
            sw_device=self.device,
            device=torch.device("cpu"),
            progress=False,
        )
        return inferer(inputs=latents, network=decode)

    def _autocast(self):
        return torch.autocast("cuda", dtype=torch.float16) if self.cuda else nullcontext()


def control_residuals(
    net: nn.Module, x: torch.Tensor, timesteps: torch.Tensor, condition: torch.Tensor, class_labels: torch.Tensor
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """`ControlNetMaisi.forward` (conditioning scale 1) with the label embedding given, not recomputed."""
    emb = net._prepare_time_and_class_embedding(x, timesteps, class_labels)
    h = net._apply_initial_convolution(x) + condition
    down, h = net._apply_down_blocks(emb, None, h)
    h = net._apply_mid_block(emb, None, h)
    return net._apply_controlnet_blocks(h, down)


def _now(device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()
